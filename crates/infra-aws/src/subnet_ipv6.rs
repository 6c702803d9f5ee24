//! `aws_subnet`'s attributes set after creation with ModifySubnetAttribute (one attribute
//! per call, as AWS takes them): `assign_ipv6_address_on_creation`, `enable_dns64`, the
//! resource-name DNS options on launch, `private_dns_hostname_type_on_launch`, and the
//! Outposts pair `map_customer_owned_ip_on_launch` / `customer_owned_ipv4_pool`; and the
//! subnet's IPv6 block, changed in place (DisassociateSubnetCidrBlock, then
//! AssociateSubnetCidrBlock) as the Terraform provider does.
//!
//! Emulator quirk (LocalStack 4.13.1, moto): ModifySubnetAttribute accepts but ignores
//! `EnableDns64`, `PrivateDnsHostnameTypeOnLaunch` and
//! `EnableResourceNameDnsAAAARecordOnLaunch`, and DescribeSubnets leaves `EnableDns64`
//! out. AWS always reports `EnableDns64`; when it is missing, the three are carried from
//! the prior state instead of read.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{AttributeBooleanValue, HostnameType, Subnet, SubnetCidrBlockStateCode};
use infra_model::Value;
use infra_provider::ProviderError;

use crate::util::{get_bool, get_str, opt};
use crate::AwsProvider;

/// The boolean attributes ModifySubnetAttribute sets one at a time.
const FLAGS: [&str; 4] = [
    "assign_ipv6_address_on_creation",
    "enable_dns64",
    "enable_resource_name_dns_a_record_on_launch",
    "enable_resource_name_dns_aaaa_record_on_launch",
];

/// A new subnet's values of what `modify` sets.
pub(crate) fn defaults() -> Value {
    let mut m: BTreeMap<String, Value> = FLAGS
        .iter()
        .map(|k| (k.to_string(), Value::Bool(false)))
        .collect();
    m.insert("map_customer_owned_ip_on_launch".into(), Value::Bool(false));
    Value::Map(m)
}

async fn flag(p: &AwsProvider, id: &str, key: &str, on: bool) -> Result<(), ProviderError> {
    let b = AttributeBooleanValue::builder().value(on).build();
    p.call("ec2:ModifySubnetAttribute", || {
        let r = p.ec2().modify_subnet_attribute().subnet_id(id);
        match key {
            "assign_ipv6_address_on_creation" => r.assign_ipv6_address_on_creation(b.clone()),
            "enable_dns64" => r.enable_dns64(b.clone()),
            "enable_resource_name_dns_a_record_on_launch" => {
                r.enable_resource_name_dns_a_record_on_launch(b.clone())
            }
            _ => r.enable_resource_name_dns_aaaa_record_on_launch(b.clone()),
        }
        .send()
    })
    .await?;
    Ok(())
}

/// Set what `to` configures and `from` does not have.
pub(crate) async fn modify(
    p: &AwsProvider,
    id: &str,
    from: &Value,
    to: &Value,
) -> Result<(), ProviderError> {
    for key in FLAGS {
        if let Some(v) = get_bool(to, key).filter(|v| get_bool(from, key).unwrap_or(false) != *v) {
            flag(p, id, key, v).await?;
        }
    }
    if let Some(t) = get_str(to, "private_dns_hostname_type_on_launch")
        .filter(|t| get_str(from, "private_dns_hostname_type_on_launch") != Some(*t))
    {
        let t = HostnameType::from(t);
        p.call("ec2:ModifySubnetAttribute", || {
            p.ec2()
                .modify_subnet_attribute()
                .subnet_id(id)
                .private_dns_hostname_type_on_launch(t.clone())
                .send()
        })
        .await?;
    }
    let coip = get_bool(to, "map_customer_owned_ip_on_launch");
    let pool = get_str(to, "customer_owned_ipv4_pool");
    if coip.is_some_and(|v| get_bool(from, "map_customer_owned_ip_on_launch").unwrap_or(false) != v)
        || pool.is_some_and(|v| get_str(from, "customer_owned_ipv4_pool") != Some(v))
    {
        // AWS takes the two together
        let b = AttributeBooleanValue::builder()
            .value(coip.unwrap_or(false))
            .build();
        p.call("ec2:ModifySubnetAttribute", || {
            p.ec2()
                .modify_subnet_attribute()
                .subnet_id(id)
                .map_customer_owned_ip_on_launch(b.clone())
                .set_customer_owned_ipv4_pool(pool.map(str::to_string))
                .send()
        })
        .await?;
    }
    Ok(())
}

/// An update: the IPv6 block first (turning `assign_ipv6_address_on_creation` off while
/// it changes, as AWS requires), then every changed attribute.
pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<(), ProviderError> {
    let want = get_str(desired, "ipv6_cidr_block");
    let mut from = prior.clone();
    if want.is_some() && want != get_str(prior, "ipv6_cidr_block") {
        if get_bool(prior, "assign_ipv6_address_on_creation") == Some(true) {
            flag(p, id, "assign_ipv6_address_on_creation", false).await?;
            if let Value::Map(m) = &mut from {
                m.insert("assign_ipv6_address_on_creation".into(), Value::Bool(false));
            }
        }
        if let Some(assoc) = get_str(prior, "ipv6_cidr_block_association_id") {
            p.call("ec2:DisassociateSubnetCidrBlock", || {
                p.ec2()
                    .disassociate_subnet_cidr_block()
                    .association_id(assoc)
                    .send()
            })
            .await?;
        }
        let block = want.unwrap_or_default();
        p.call("ec2:AssociateSubnetCidrBlock", || {
            p.ec2()
                .associate_subnet_cidr_block()
                .subnet_id(id)
                .ipv6_cidr_block(block)
                .send()
        })
        .await?;
    }
    modify(p, id, &from, desired).await
}

/// The attributes of this module as DescribeSubnets reports them.
pub(crate) fn fields(s: &Subnet, prior: Option<&Value>, m: &mut BTreeMap<String, Value>) {
    let carried = |k: &str| prior.map(|p| p.get(k).clone()).unwrap_or(Value::Null);
    let assoc = s.ipv6_cidr_block_association_set().iter().find(|a| {
        matches!(
            a.ipv6_cidr_block_state().and_then(|x| x.state()),
            Some(SubnetCidrBlockStateCode::Associated)
                | Some(SubnetCidrBlockStateCode::Associating)
        )
    });
    m.insert(
        "ipv6_cidr_block".into(),
        opt(assoc.and_then(|a| a.ipv6_cidr_block())),
    );
    m.insert(
        "ipv6_cidr_block_association_id".into(),
        opt(assoc.and_then(|a| a.association_id())),
    );
    let flag = |v: Option<bool>| Value::Bool(v.unwrap_or(false));
    m.insert("ipv6_native".into(), flag(s.ipv6_native()));
    m.insert(
        "assign_ipv6_address_on_creation".into(),
        flag(s.assign_ipv6_address_on_creation()),
    );
    m.insert(
        "map_customer_owned_ip_on_launch".into(),
        flag(s.map_customer_owned_ip_on_launch()),
    );
    m.insert(
        "customer_owned_ipv4_pool".into(),
        opt(s.customer_owned_ipv4_pool()),
    );
    m.insert("outpost_arn".into(), opt(s.outpost_arn()));
    // the emulator neither reports EnableDns64 nor honours three of these (module docs)
    let emulated = s.enable_dns64().is_none();
    let keep_or = |k: &str, read: Value| {
        if emulated {
            match carried(k) {
                Value::Null => read,
                v => v,
            }
        } else {
            read
        }
    };
    m.insert(
        "enable_dns64".into(),
        keep_or("enable_dns64", flag(s.enable_dns64())),
    );
    let o = s.private_dns_name_options_on_launch();
    m.insert(
        "enable_resource_name_dns_a_record_on_launch".into(),
        flag(o.and_then(|o| o.enable_resource_name_dns_a_record())),
    );
    m.insert(
        "enable_resource_name_dns_aaaa_record_on_launch".into(),
        keep_or(
            "enable_resource_name_dns_aaaa_record_on_launch",
            flag(o.and_then(|o| o.enable_resource_name_dns_aaaa_record())),
        ),
    );
    m.insert(
        "private_dns_hostname_type_on_launch".into(),
        keep_or(
            "private_dns_hostname_type_on_launch",
            opt(o.and_then(|o| o.hostname_type()).map(|h| h.as_str())),
        ),
    );
}
