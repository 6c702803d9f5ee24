//! Data sources that look up what exists outside the stack: `aws_partition` (no call),
//! `aws_vpc` and `aws_subnets` (DescribeVpcs / DescribeSubnets with Terraform's `filter`
//! blocks and `tags`), `aws_route53_zone` (by id, or by name, privacy and VPC).
//!
//! A lookup that matches nothing, or `aws_vpc`/`aws_route53_zone` matching more than one
//! object, is an error that says what was searched for, as Terraform's are.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Filter;
use aws_sdk_route53::types::TagResourceType;
use infra_model::Value;
use infra_provider::{ErrorKind, ProviderError, ReadRequest};

use crate::route53::{norm_name, short_id};
use crate::util::{filter, get_bool, get_str, get_strings, strings};
use crate::AwsProvider;

/// The partition of a region, its DNS suffix and reverse DNS prefix.
pub(crate) fn partition_of(region: &str) -> (&'static str, &'static str, &'static str) {
    if region.starts_with("cn-") {
        ("aws-cn", "amazonaws.com.cn", "cn.com.amazonaws")
    } else if region.starts_with("us-gov-") {
        ("aws-us-gov", "amazonaws.com", "com.amazonaws")
    } else if region.starts_with("us-iso-") {
        ("aws-iso", "c2s.ic.gov", "gov.ic.c2s")
    } else if region.starts_with("us-isob-") {
        ("aws-iso-b", "sc2s.sgov.gov", "gov.sgov.sc2s")
    } else {
        ("aws", "amazonaws.com", "com.amazonaws")
    }
}

/// `aws_partition`: from the configured region, no API call.
pub(crate) fn partition(p: &AwsProvider) -> Value {
    let (partition, dns, reverse) = partition_of(p.region());
    Value::map([
        ("id", Value::string(partition)),
        ("partition", Value::string(partition)),
        ("dns_suffix", Value::string(dns)),
        ("reverse_dns_prefix", Value::string(reverse)),
    ])
}

/// The EC2 filters of Terraform's `filter { name, values }` blocks and a `tags` map.
pub(crate) fn filters_of(args: &Value) -> Vec<Filter> {
    let mut out: Vec<Filter> = args
        .get("filter")
        .as_list()
        .unwrap_or_default()
        .iter()
        .filter_map(|f| Some(filter(get_str(f, "name")?, get_strings(f, "values"))))
        .collect();
    if let Some(tags) = args.get("tags").as_map() {
        for (k, v) in tags {
            if let Some(v) = v.as_str() {
                out.push(filter(&format!("tag:{k}"), [v.to_string()]));
            }
        }
    }
    out
}

pub(crate) fn lookup_error(what: &str, searched: &str, found: usize) -> ProviderError {
    if found == 0 {
        ProviderError::not_found(format!(
            "no {what} matches {searched}; check the arguments and the region"
        ))
    } else {
        ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "{found} {what}s match {searched}; narrow the search (id, filter or tags) to one"
            ),
        )
    }
}

/// `aws_vpc`: the one VPC matching `id`, `cidr_block`, `default`, `state`, `tags` and
/// `filter`; its attributes as the `aws_vpc` resource reads them.
pub(crate) async fn vpc(p: &AwsProvider, args: &Value) -> Result<Value, ProviderError> {
    let mut filters = filters_of(args);
    for (key, name) in [("id", "vpc-id"), ("cidr_block", "cidr"), ("state", "state")] {
        if let Some(v) = get_str(args, key) {
            filters.push(filter(name, [v.to_string()]));
        }
    }
    if let Some(d) = get_bool(args, "default") {
        filters.push(filter("is-default", [d.to_string()]));
    }
    let found = crate::vpc::describe(p, filters).await?;
    let [one] = found.as_slice() else {
        return Err(lookup_error("VPC", &describe_args(args), found.len()));
    };
    let id = one.vpc_id().unwrap_or_default().to_string();
    let item = [ReadRequest {
        id: id.clone(),
        prior: Value::Null,
    }];
    let full = crate::vpc::read(p, &item)
        .await?
        .remove(&id)
        .ok_or_else(|| lookup_error("VPC", &describe_args(args), 0))?;
    let mut m = full.as_map().cloned().unwrap_or_default();
    m.insert(
        "default".into(),
        Value::Bool(one.is_default().unwrap_or(false)),
    );
    m.insert(
        "state".into(),
        Value::string(one.state().map(|s| s.as_str()).unwrap_or("available")),
    );
    m.insert(
        "dhcp_options_id".into(),
        crate::util::opt(one.dhcp_options_id()),
    );
    let tags = m.remove("tags_all").unwrap_or(Value::Null);
    m.insert("tags".into(), tags);
    m.retain(|k, _| DATA_VPC_ATTRS.contains(&k.as_str()));
    Ok(Value::Map(m))
}

const DATA_VPC_ATTRS: &[&str] = &[
    "id",
    "cidr_block",
    "default",
    "state",
    "tags",
    "arn",
    "owner_id",
    "dhcp_options_id",
    "instance_tenancy",
    "enable_dns_support",
    "enable_dns_hostnames",
    "main_route_table_id",
];

/// The arguments of a lookup, for an error message (`filter`s and `tags`).
pub(crate) fn describe_args(args: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(m) = args.as_map() {
        for (k, v) in m {
            if matches!(v, Value::Null | Value::Unknown) || k == "filter" {
                continue;
            }
            if let Some(s) = v.as_str() {
                parts.push(format!("{k} = {s:?}"));
            } else if let Some(tags) = v.as_map() {
                let t: Vec<String> = tags
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("?")))
                    .collect();
                parts.push(format!("{k} {{{}}}", t.join(", ")));
            } else if let Some(b) = v.as_bool() {
                parts.push(format!("{k} = {b}"));
            }
        }
    }
    for f in args.get("filter").as_list().unwrap_or_default() {
        parts.push(format!(
            "filter {} = [{}]",
            get_str(f, "name").unwrap_or("?"),
            get_strings(f, "values").join(", ")
        ));
    }
    if parts.is_empty() {
        "no arguments".into()
    } else {
        parts.join(", ")
    }
}

/// `aws_subnets`: the ids of every subnet matching `filter` and `tags`, sorted (an empty
/// list when none match, as Terraform's).
pub(crate) async fn subnets(p: &AwsProvider, args: &Value) -> Result<Value, ProviderError> {
    let filters = filters_of(args);
    let found = crate::subnet::describe(p, filters).await?;
    let mut ids: Vec<&str> = found.iter().filter_map(|s| s.subnet_id()).collect();
    ids.sort();
    let mut m = args.as_map().cloned().unwrap_or_default();
    m.insert("id".into(), Value::string(p.region()));
    m.insert("ids".into(), strings(ids));
    Ok(Value::Map(m))
}

/// `aws_route53_zone`: by `zone_id`, or by `name` (with `private_zone`, `vpc_id`, `tags`).
pub(crate) async fn route53_zone(p: &AwsProvider, args: &Value) -> Result<Value, ProviderError> {
    let private = get_bool(args, "private_zone").unwrap_or(false);
    let want_name = get_str(args, "name").map(norm_name);
    let want_id = get_str(args, "zone_id").map(|z| short_id(z).to_string());
    if want_id.is_none() && want_name.is_none() {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            "data \"aws_route53_zone\" needs `zone_id` or `name`",
        ));
    }
    let want_tags: BTreeMap<String, String> = args
        .get("tags")
        .as_map()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let matches: Vec<_> = crate::route53::list_zones(p)
        .await?
        .into_iter()
        .filter(|z| {
            let is_private = z.config().is_some_and(|c| c.private_zone());
            want_id.as_ref().is_none_or(|w| w == short_id(z.id()))
                && want_name.as_ref().is_none_or(|w| *w == norm_name(z.name()))
                && (want_id.is_some() || is_private == private)
        })
        .collect();
    let ids: Vec<String> = matches
        .iter()
        .map(|z| short_id(z.id()).to_string())
        .collect();
    // one ListTagsForResources per 10 candidates
    let mut tags = if ids.is_empty() {
        Default::default()
    } else {
        crate::route53::list_tags(p, TagResourceType::Hostedzone, &ids).await?
    };
    let mut keep = Vec::new();
    for z in matches {
        let id = short_id(z.id()).to_string();
        let zone_tags = tags.remove(&id).unwrap_or_default();
        if !want_tags
            .iter()
            .all(|(k, v)| zone_tags.iter().any(|(tk, tv)| tk == k && tv == v))
        {
            continue;
        }
        keep.push((z, id, zone_tags));
    }
    if let Some(vpc) = get_str(args, "vpc_id") {
        let mut with_vpc = Vec::new();
        for k in keep {
            let detail = crate::route53::zone_detail(p, &k.1).await?;
            if detail.is_some_and(|d| d.vpcs.iter().any(|v| v.vpc_id() == Some(vpc))) {
                with_vpc.push(k);
            }
        }
        keep = with_vpc;
    }
    let [(z, id, tags)] = keep.as_slice() else {
        return Err(lookup_error(
            "hosted zone",
            &describe_args(args),
            keep.len(),
        ));
    };
    let name_servers = crate::route53::zone_detail(p, id)
        .await?
        .map(|d| d.name_servers)
        .unwrap_or_default();
    Ok(Value::map([
        ("id", Value::string(id)),
        ("zone_id", Value::string(id)),
        ("name", Value::string(z.name().trim_end_matches('.'))),
        (
            "arn",
            Value::string(format!("arn:aws:route53:::hostedzone/{id}")),
        ),
        (
            "private_zone",
            Value::Bool(z.config().is_some_and(|c| c.private_zone())),
        ),
        ("vpc_id", args.get("vpc_id").clone()),
        (
            "comment",
            crate::util::opt(z.config().and_then(|c| c.comment())),
        ),
        ("caller_reference", Value::string(z.caller_reference())),
        (
            "name_servers",
            strings(name_servers.iter().map(String::as_str)),
        ),
        (
            "resource_record_set_count",
            Value::Number(z.resource_record_set_count().unwrap_or(0) as f64),
        ),
        (
            "tags",
            Value::Map(
                tags.iter()
                    .filter(|(k, _)| !crate::util::is_infra(k))
                    .map(|(k, v)| (k.clone(), Value::string(v)))
                    .collect(),
            ),
        ),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(partition_of("us-east-1").0, "aws");
        assert_eq!(partition_of("cn-north-1").1, "amazonaws.com.cn");
        assert_eq!(partition_of("us-gov-west-1").0, "aws-us-gov");
    }

    #[test]
    fn filters_come_from_blocks_and_tags() {
        let args = Value::map([
            (
                "filter",
                Value::List(vec![Value::map([
                    ("name", Value::string("vpc-id")),
                    ("values", Value::List(vec![Value::string("vpc-1")])),
                ])]),
            ),
            ("tags", Value::map([("tier", Value::string("private"))])),
        ]);
        let f = filters_of(&args);
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].name(), Some("tag:tier"));
        let text = describe_args(&args);
        assert!(
            text.contains("tier=private") && text.contains("vpc-id = [vpc-1]"),
            "{text}"
        );
        let e = lookup_error("VPC", &text, 0);
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert!(lookup_error("VPC", &text, 2).message.contains("narrow"));
    }
}
