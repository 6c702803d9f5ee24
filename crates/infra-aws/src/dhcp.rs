//! `aws_vpc_dhcp_options` (a DHCP options set: every argument forces a new set, only
//! tags change in place) and `aws_vpc_dhcp_options_association` (which set a VPC uses;
//! the set changes in place; deleting it gives the VPC the `default` set back, as the
//! Terraform provider does).
//!
//! Reads are batched: one DescribeDhcpOptions (`dhcp-options-id` filter) for every set,
//! one DescribeVpcs (`vpc-id` filter) for every association. An association's id is
//! Terraform's `DHCPOPTIONSID-VPCID`; its import ID is the VPC id.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ec2::types::{DhcpOptions, Filter, NewDhcpConfiguration, ResourceType, Tag};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{is_not_found, missing};
use crate::util::{
    describe_chunks, ec2_arn, filter, get_str, get_strings, id_chunks, infra_filters, opt,
    put_tags, read_by_id, tag_spec, update_tags,
};
use crate::AwsProvider;

pub(crate) const OPTIONS: &str = "aws_vpc_dhcp_options";
pub(crate) const ASSOCIATION: &str = "aws_vpc_dhcp_options_association";

/// Terraform's attribute, the DHCP option key, and whether it is a list.
const KEYS: [(&str, &str, bool); 6] = [
    ("domain_name", "domain-name", false),
    ("domain_name_servers", "domain-name-servers", true),
    ("ntp_servers", "ntp-servers", true),
    ("netbios_name_servers", "netbios-name-servers", true),
    ("netbios_node_type", "netbios-node-type", false),
    (
        "ipv6_address_preferred_lease_time",
        "ipv6-address-preferred-lease-time",
        false,
    ),
];

async fn describe(
    p: &AwsProvider,
    filters: Vec<Filter>,
) -> Result<Vec<DhcpOptions>, ProviderError> {
    p.paginate(
        "ec2:DescribeDhcpOptions",
        |token| {
            p.ec2()
                .describe_dhcp_options()
                .set_filters(Some(filters.clone()))
                .max_results(1000)
                .set_next_token(token)
                .send()
        },
        |page| page.dhcp_options(),
        |page| page.next_token(),
    )
    .await
}

fn to_value(p: &AwsProvider, d: &DhcpOptions, prior: Option<&Value>) -> Option<(String, Value)> {
    let id = d.dhcp_options_id()?.to_string();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("owner_id".into(), opt(d.owner_id()));
    m.insert("arn".into(), ec2_arn(p, d.owner_id(), "dhcp-options", &id));
    for (attr, key, list) in KEYS {
        let values: Vec<&str> = d
            .dhcp_configurations()
            .iter()
            .filter(|c| c.key() == Some(key))
            .flat_map(|c| c.values())
            .filter_map(|v| v.value())
            .collect();
        let v = if list {
            Value::List(values.iter().map(|s| Value::string(*s)).collect())
        } else {
            values
                .first()
                .map(|s| Value::string(*s))
                .unwrap_or(Value::Null)
        };
        m.insert(attr.into(), v);
    }
    put_tags(&mut m, d.tags(), prior);
    Some((id, Value::Map(m)))
}

pub(crate) async fn read_options(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    read_by_id(
        items,
        "dhcp-options-id",
        |f| describe(p, f),
        DhcpOptions::dhcp_options_id,
        |d, prior| to_value(p, d, prior),
    )
    .await
}

fn configurations(config: &Value) -> Vec<NewDhcpConfiguration> {
    KEYS.iter()
        .filter_map(|(attr, key, list)| {
            let values = if *list {
                get_strings(config, attr)
            } else {
                get_str(config, attr)
                    .map(|s| vec![s.to_string()])
                    .unwrap_or_default()
            };
            (!values.is_empty()).then(|| {
                NewDhcpConfiguration::builder()
                    .key(*key)
                    .set_values(Some(values))
                    .build()
            })
        })
        .collect()
}

pub(crate) async fn create_options(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let conf = configurations(&req.config);
    if conf.is_empty() {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            format!("{}: set at least one of domain_name, domain_name_servers, ntp_servers, netbios_name_servers, netbios_node_type", req.address),
        ));
    }
    let spec = tag_spec(ResourceType::DhcpOptions, req);
    let out = p
        .call("ec2:CreateDhcpOptions", || {
            p.ec2()
                .create_dhcp_options()
                .set_dhcp_configurations(Some(conf.clone()))
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let Some(d) = out.dhcp_options() else {
        return Err(ProviderError::new(
            ErrorKind::Other,
            "CreateDhcpOptions returned no set",
        ));
    };
    let id = d.dhcp_options_id().unwrap_or_default().to_string();
    // the emulator ignores the tag specification: tag it (AWS: the same tags again)
    if !crate::util::has_infra_tags(d.tags(), req) {
        let tags: Vec<Tag> = spec.tags().to_vec();
        p.call("ec2:CreateTags", || {
            p.ec2()
                .create_tags()
                .resources(&id)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
    }
    p.read_back(OPTIONS, &id, &req.config).await
}

pub(crate) async fn update_options(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    update_tags(p, id, prior, desired).await?;
    p.read_back(OPTIONS, id, desired).await
}

/// The VPCs still using the set get the `default` set first (AWS refuses to delete a set
/// in use), as the Terraform provider does: a replaced set is deleted before its
/// association moves to the new one.
pub(crate) async fn delete_options(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    for vpc in crate::vpc::describe(p, vec![filter("dhcp-options-id", [id])]).await? {
        if let Some(v) = vpc.vpc_id().filter(|_| vpc.dhcp_options_id() == Some(id)) {
            associate(p, v, "default").await?;
        }
    }
    p.settle(id, || async {
        p.call("ec2:DeleteDhcpOptions", || {
            p.ec2().delete_dhcp_options().dhcp_options_id(id).send()
        })
        .await
        .map(|_| ())
    })
    .await
}

pub(crate) async fn adopt_options(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let found = crate::util::ours(
        describe(p, infra_filters(req)).await?,
        req,
        DhcpOptions::tags,
        DhcpOptions::dhcp_options_id,
    );
    Ok(found
        .first()
        .and_then(|d| to_value(p, d, Some(&req.config)))
        .map(|(_, v)| v))
}

// ---- aws_vpc_dhcp_options_association ----

/// The VPC of an association id `DHCPOPTIONSID-VPCID` (`default-vpc-…` included).
fn vpc_of(id: &str) -> Result<&str, ProviderError> {
    id.find("-vpc-")
        .map(|i| &id[i + 1..])
        .filter(|v| v.len() > 4)
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Rejected,
                format!("`{id}` is not an id of {ASSOCIATION} (DHCPOPTIONSID-VPCID)"),
            )
        })
}

/// The DHCP options set each of these VPCs uses.
pub(crate) async fn vpc_options<'a>(
    p: &AwsProvider,
    vpcs: impl IntoIterator<Item = &'a str>,
) -> Result<HashMap<String, String>, ProviderError> {
    let chunks = id_chunks(vpcs);
    let found = describe_chunks(chunks, |c| {
        crate::vpc::describe(p, vec![filter("vpc-id", c)])
    });
    Ok(found
        .await?
        .iter()
        .filter_map(|v| {
            let id = v.vpc_id()?.to_string();
            Some((id, v.dhcp_options_id().unwrap_or("default").to_string()))
        })
        .collect())
}

fn association_value(id: &str, vpc: &str, options: &str) -> Value {
    Value::map([
        ("id", Value::string(id)),
        ("vpc_id", Value::string(vpc)),
        ("dhcp_options_id", Value::string(options)),
    ])
}

pub(crate) async fn read_associations(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let vpcs: Vec<(&str, &str)> = items
        .iter()
        .map(|i| vpc_of(&i.id).map(|v| (i.id.as_str(), v)))
        .collect::<Result<_, _>>()?;
    let current = vpc_options(p, vpcs.iter().map(|(_, v)| *v)).await?;
    Ok(vpcs
        .iter()
        .filter_map(|(id, vpc)| {
            let options = current.get(*vpc)?;
            Some((id.to_string(), association_value(id, vpc, options)))
        })
        .collect())
}

/// Import: the VPC id names the association with the set it uses now.
pub(crate) async fn resolve_import(
    p: &AwsProvider,
    vpc: &str,
) -> Result<Option<String>, ProviderError> {
    Ok(vpc_options(p, [vpc])
        .await?
        .get(vpc)
        .map(|options| format!("{options}-{vpc}")))
}

async fn associate(p: &AwsProvider, vpc: &str, options: &str) -> Result<(), ProviderError> {
    p.call("ec2:AssociateDhcpOptions", || {
        p.ec2()
            .associate_dhcp_options()
            .vpc_id(vpc)
            .dhcp_options_id(options)
            .send()
    })
    .await
    .map(|_| ())
}

fn association_args(config: &Value) -> Result<(&str, &str), ProviderError> {
    Ok((
        get_str(config, "vpc_id").ok_or_else(|| missing(ASSOCIATION, "vpc_id"))?,
        get_str(config, "dhcp_options_id")
            .ok_or_else(|| missing(ASSOCIATION, "dhcp_options_id"))?,
    ))
}

pub(crate) async fn create_association(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let (vpc, options) = association_args(&req.config)?;
    associate(p, vpc, options).await?;
    p.read_back(ASSOCIATION, &format!("{options}-{vpc}"), &req.config)
        .await
}

/// Another set for the VPC: associated in place (the id stays the one it was created with).
pub(crate) async fn update_association(
    p: &AwsProvider,
    id: &str,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let (vpc, options) = association_args(desired)?;
    associate(p, vpc, options).await?;
    p.read_back(ASSOCIATION, id, desired).await
}

pub(crate) async fn delete_association(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    match associate(p, vpc_of(id)?, "default").await {
        Err(e) if is_not_found(&e) => Ok(()),
        r => r,
    }
}

/// The VPC already uses the configured set: what an interrupted create did.
pub(crate) async fn adopt_association(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let (vpc, options) = association_args(&req.config)?;
    let id = format!("{options}-{vpc}");
    if req.known_ids.iter().any(|k| *k == id) {
        return Ok(None);
    }
    Ok(vpc_options(p, [vpc])
        .await?
        .get(vpc)
        .filter(|o| o.as_str() == options)
        .map(|o| association_value(&id, vpc, o)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn association_ids_name_their_vpc() {
        assert_eq!(vpc_of("dopt-0abc-vpc-0def").unwrap(), "vpc-0def");
        assert_eq!(vpc_of("default-vpc-1").unwrap(), "vpc-1");
        assert!(vpc_of("vpc-1").is_err());
        assert!(vpc_of("dopt-1").is_err());
    }

    #[test]
    fn only_set_options_are_sent() {
        let config = Value::map([
            ("domain_name", Value::string("corp.internal")),
            (
                "domain_name_servers",
                Value::List(vec![Value::string("AmazonProvidedDNS")]),
            ),
            ("ntp_servers", Value::List(vec![])),
            ("netbios_node_type", Value::Null),
        ]);
        let keys: Vec<String> = configurations(&config)
            .iter()
            .map(|c| c.key().unwrap_or_default().to_string())
            .collect();
        assert_eq!(keys, vec!["domain-name", "domain-name-servers"]);
    }
}
