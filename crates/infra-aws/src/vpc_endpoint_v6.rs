//! The provider v6 arguments of `aws_vpc_endpoint`: `dns_options` and
//! `subnet_configuration` as CreateVpcEndpoint / ModifyVpcEndpoint take them, and as the
//! provider reads them back (`subnet_configuration` from the endpoints' network
//! interfaces, one DescribeNetworkInterfaces per 200 interfaces and refresh).

use std::collections::HashMap;

use aws_sdk_ec2::types::{
    DnsOptionsSpecification, DnsRecordIpType, SubnetConfiguration, VpcEndpoint,
};
use infra_model::Value;
use infra_provider::ProviderError;

use crate::util::{filter, first_block, get_bool, get_str, id_chunks, opt};
use crate::AwsProvider;

pub(crate) fn sorted_values(mut v: Vec<Value>) -> Vec<Value> {
    v.sort_by_key(|x| format!("{x:?}"));
    v.dedup();
    v
}

/// `dns_options` as the provider flattens DnsOptions. The emulator answers only
/// `DnsRecordIpType`: a missing `PrivateDnsOnlyForInboundResolverEndpoint` keeps the
/// prior's value.
pub(crate) fn dns_options_value(e: &VpcEndpoint, prior: Option<&Value>) -> Value {
    let Some(d) = e.dns_options() else {
        return Value::List(vec![]);
    };
    let prior_only = prior
        .map(|p| first_block(p, "dns_options"))
        .map(|b| {
            b.get("private_dns_only_for_inbound_resolver_endpoint")
                .clone()
        })
        .filter(|v| !v.is_unknown())
        .unwrap_or(Value::Null);
    Value::List(vec![Value::map([
        (
            "dns_record_ip_type",
            opt(d.dns_record_ip_type().map(|t| t.as_str())),
        ),
        (
            "private_dns_only_for_inbound_resolver_endpoint",
            d.private_dns_only_for_inbound_resolver_endpoint()
                .map(Value::Bool)
                .unwrap_or(prior_only),
        ),
    ])])
}

/// `subnet_configuration` of every interface endpoint's network interfaces (subnet, first
/// IPv4 and IPv6 address), in one DescribeNetworkInterfaces per 200 interfaces.
pub(crate) async fn subnet_configurations(
    p: &AwsProvider,
    endpoints: &[VpcEndpoint],
) -> Result<HashMap<String, Value>, ProviderError> {
    let ids: Vec<&str> = endpoints
        .iter()
        .flat_map(|e| e.network_interface_ids())
        .map(String::as_str)
        .collect();
    let mut out = HashMap::new();
    for chunk in id_chunks(ids) {
        let found = p
            .paginate(
                "ec2:DescribeNetworkInterfaces",
                |token| {
                    p.ec2()
                        .describe_network_interfaces()
                        .filters(filter("network-interface-id", chunk.clone()))
                        .set_next_token(token)
                        .send()
                },
                |page| page.network_interfaces(),
                |page| page.next_token(),
            )
            .await?;
        for n in found {
            let Some(id) = n.network_interface_id() else {
                continue;
            };
            let v6 = n.ipv6_addresses().iter().find_map(|a| a.ipv6_address());
            out.insert(
                id.to_string(),
                Value::map([
                    ("ipv4", opt(n.private_ip_address())),
                    ("ipv6", opt(v6)),
                    ("subnet_id", opt(n.subnet_id())),
                ]),
            );
        }
    }
    Ok(out)
}

/// DnsOptions from the `dns_options` block; as the provider does, the inbound-resolver
/// flag is sent only for S3, the one service with both gateway and interface endpoints.
pub(crate) fn dns_spec(c: &Value, service: &str) -> Option<DnsOptionsSpecification> {
    let b = first_block(c, "dns_options");
    if !matches!(b, Value::Map(_)) {
        return None;
    }
    let s3 = service.starts_with("com.amazonaws.") && service.ends_with(".s3");
    let only = get_bool(b, "private_dns_only_for_inbound_resolver_endpoint").filter(|_| s3);
    Some(
        DnsOptionsSpecification::builder()
            .set_dns_record_ip_type(get_str(b, "dns_record_ip_type").map(DnsRecordIpType::from))
            .set_private_dns_only_for_inbound_resolver_endpoint(only)
            .build(),
    )
}

/// SubnetConfigurations from the `subnet_configuration` blocks (none: not sent).
pub(crate) fn subnet_configs(c: &Value) -> Option<Vec<SubnetConfiguration>> {
    let items: Vec<SubnetConfiguration> = c
        .get("subnet_configuration")
        .as_list()
        .into_iter()
        .flatten()
        .map(|b| {
            SubnetConfiguration::builder()
                .set_subnet_id(get_str(b, "subnet_id").map(str::to_string))
                .set_ipv4(get_str(b, "ipv4").map(str::to_string))
                .set_ipv6(get_str(b, "ipv6").map(str::to_string))
                .build()
        })
        .collect();
    (!items.is_empty()).then_some(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_options_send_the_inbound_resolver_flag_only_for_s3() {
        let block = |only: bool| {
            Value::map([(
                "dns_options",
                Value::List(vec![Value::map([
                    ("dns_record_ip_type", Value::string("ipv4")),
                    (
                        "private_dns_only_for_inbound_resolver_endpoint",
                        Value::Bool(only),
                    ),
                ])]),
            )])
        };
        let s3 = dns_spec(&block(false), "com.amazonaws.eu-west-1.s3").unwrap();
        assert_eq!(
            s3.private_dns_only_for_inbound_resolver_endpoint(),
            Some(false)
        );
        assert_eq!(s3.dns_record_ip_type().map(|t| t.as_str()), Some("ipv4"));
        let ecs = dns_spec(&block(true), "com.amazonaws.eu-west-1.ecs").unwrap();
        assert_eq!(ecs.private_dns_only_for_inbound_resolver_endpoint(), None);
        assert!(dns_spec(&Value::map([("dns_options", Value::List(vec![]))]), "x").is_none());
        let configs = Value::map([(
            "subnet_configuration",
            Value::List(vec![Value::map([
                ("subnet_id", Value::string("subnet-1")),
                ("ipv4", Value::string("10.0.0.10")),
                ("ipv6", Value::Null),
            ])]),
        )]);
        let sent = subnet_configs(&configs).unwrap();
        assert_eq!(sent[0].subnet_id(), Some("subnet-1"));
        assert_eq!(sent[0].ipv4(), Some("10.0.0.10"));
        assert_eq!(sent[0].ipv6(), None);
        assert!(subnet_configs(&Value::Null).is_none());
    }
}
