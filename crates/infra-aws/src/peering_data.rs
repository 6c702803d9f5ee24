//! Data source `aws_vpc_peering_connection`: the one connection matching every argument
//! given (`id`, `status`, each side's VPC, owner, CIDR block and region, `tags`, `filter`
//! blocks). The arguments go to DescribeVpcPeeringConnections as filters and are checked
//! again here, with the `filter` blocks of the names below: LocalStack ignores every filter
//! of this call. Without `status`, connections that are gone (`deleted`, `rejected`,
//! `failed`, `expired`, which AWS lists for a while and LocalStack forever) are left out.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{VpcPeeringConnection, VpcPeeringConnectionVpcInfo};
use infra_model::Value;
use infra_provider::ProviderError;

use crate::lookups::{describe_args, filters_of, lookup_error};
use crate::util::{filter, get_str, get_strings};
use crate::AwsProvider;

/// Each argument and the filter name that means the same.
const ARGS: [(&str, &str); 10] = [
    ("id", "vpc-peering-connection-id"),
    ("status", "status-code"),
    ("vpc_id", "requester-vpc-info.vpc-id"),
    ("owner_id", "requester-vpc-info.owner-id"),
    ("cidr_block", "requester-vpc-info.cidr-block"),
    ("region", "requester-vpc-info.region"),
    ("peer_vpc_id", "accepter-vpc-info.vpc-id"),
    ("peer_owner_id", "accepter-vpc-info.owner-id"),
    ("peer_cidr_block", "accepter-vpc-info.cidr-block"),
    ("peer_region", "accepter-vpc-info.region"),
];

/// The values of filter `name` on `c`, for the names this data source knows.
fn values_of(c: &VpcPeeringConnection, name: &str) -> Option<Vec<String>> {
    let side = |accepter: bool| {
        if accepter {
            c.accepter_vpc_info()
        } else {
            c.requester_vpc_info()
        }
    };
    let one = |v: Option<&str>| Some(v.map(str::to_string).into_iter().collect());
    if let Some(key) = name.strip_prefix("tag:") {
        return one(c
            .tags()
            .iter()
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value()));
    }
    let (accepter, field) = match name.split_once('.') {
        Some(("accepter-vpc-info", f)) => (true, f),
        Some(("requester-vpc-info", f)) => (false, f),
        _ => {
            return match name {
                "vpc-peering-connection-id" => one(c.vpc_peering_connection_id()),
                "status-code" => one(super::peering::status_of(c)),
                _ => None,
            }
        }
    };
    let info = side(accepter);
    match field {
        "vpc-id" => one(info.and_then(|i| i.vpc_id())),
        "owner-id" => one(info.and_then(|i| i.owner_id())),
        "region" => one(info.and_then(|i| i.region())),
        "cidr-block" => Some(cidrs(info).into_iter().collect()),
        _ => None,
    }
}

/// A side's IPv4 blocks: its primary and the set.
fn cidrs(info: Option<&VpcPeeringConnectionVpcInfo>) -> Vec<String> {
    let Some(i) = info else { return Vec::new() };
    let mut out: Vec<String> = i.cidr_block().map(str::to_string).into_iter().collect();
    for b in i.cidr_block_set() {
        if let Some(c) = b.cidr_block() {
            if !out.iter().any(|x| x == c) {
                out.push(c.to_string());
            }
        }
    }
    out
}

/// Whether `c` matches every filter whose name this data source knows (EC2 filter values
/// are alternatives; `*` and `?` are wildcards, as on AWS).
fn matches(c: &VpcPeeringConnection, filters: &[(String, Vec<String>)]) -> bool {
    filters
        .iter()
        .all(|(name, wanted)| match values_of(c, name) {
            None => true,
            Some(have) => have.iter().any(|h| wanted.iter().any(|w| wildcard(w, h))),
        })
}

/// EC2's filter wildcards: `*` any run of characters, `?` one character.
fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut i, mut j) = (0, 0);
    // the last `*` seen, and where in the text it was tried
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

pub(crate) async fn read(p: &AwsProvider, args: &Value) -> Result<Value, ProviderError> {
    let mut wanted: Vec<(String, Vec<String>)> = Vec::new();
    for (arg, name) in ARGS {
        if let Some(v) = get_str(args, arg) {
            wanted.push((name.to_string(), vec![v.to_string()]));
        }
    }
    if let Some(tags) = args.get("tags").as_map() {
        for (k, v) in tags {
            if let Some(v) = v.as_str() {
                wanted.push((format!("tag:{k}"), vec![v.to_string()]));
            }
        }
    }
    for f in args.get("filter").as_list().unwrap_or_default() {
        if let Some(name) = get_str(f, "name") {
            wanted.push((name.to_string(), get_strings(f, "values")));
        }
    }
    // the `filter` blocks and tags, then the arguments
    let mut api = filters_of(args);
    for (arg, name) in ARGS {
        if let Some(v) = get_str(args, arg) {
            api.push(filter(name, [v.to_string()]));
        }
    }
    let explicit_status = get_str(args, "status").is_some();
    let found: Vec<VpcPeeringConnection> = super::peering::describe(p, api)
        .await?
        .into_iter()
        .filter(|c| explicit_status || !super::peering::gone(c))
        .filter(|c| matches(c, &wanted))
        .collect();
    let [c] = found.as_slice() else {
        return Err(lookup_error(
            "VPC peering connection",
            &describe_args(args),
            found.len(),
        ));
    };
    Ok(value(c))
}

fn value(c: &VpcPeeringConnection) -> Value {
    let (req, acc) = (c.requester_vpc_info(), c.accepter_vpc_info());
    let s = |v: Option<&str>| crate::util::opt(v);
    let options = |i: Option<&VpcPeeringConnectionVpcInfo>| {
        let o = i.and_then(VpcPeeringConnectionVpcInfo::peering_options);
        Value::map([(
            "allow_remote_vpc_dns_resolution",
            Value::Bool(
                o.and_then(|o| o.allow_dns_resolution_from_remote_vpc())
                    .unwrap_or(false),
            ),
        )])
    };
    let v4 = |i: Option<&VpcPeeringConnectionVpcInfo>| {
        Value::List(
            cidrs(i)
                .into_iter()
                .map(|c| Value::map([("cidr_block", Value::String(c))]))
                .collect(),
        )
    };
    let v6 = |i: Option<&VpcPeeringConnectionVpcInfo>| {
        Value::List(
            i.map(|i| i.ipv6_cidr_block_set())
                .unwrap_or_default()
                .iter()
                .filter_map(|b| b.ipv6_cidr_block())
                .map(|c| Value::map([("ipv6_cidr_block", Value::string(c))]))
                .collect(),
        )
    };
    let tags: BTreeMap<String, Value> = c
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), Value::string(t.value().unwrap_or("")))))
        .filter(|(k, _)| !crate::util::is_infra(k))
        .collect();
    Value::map([
        ("id", s(c.vpc_peering_connection_id())),
        ("status", s(super::peering::status_of(c))),
        ("vpc_id", s(req.and_then(|i| i.vpc_id()))),
        ("owner_id", s(req.and_then(|i| i.owner_id()))),
        ("cidr_block", s(req.and_then(|i| i.cidr_block()))),
        ("region", s(req.and_then(|i| i.region()))),
        ("peer_vpc_id", s(acc.and_then(|i| i.vpc_id()))),
        ("peer_owner_id", s(acc.and_then(|i| i.owner_id()))),
        ("peer_cidr_block", s(acc.and_then(|i| i.cidr_block()))),
        ("peer_region", s(acc.and_then(|i| i.region()))),
        ("tags", Value::Map(tags)),
        ("accepter", options(acc)),
        ("requester", options(req)),
        ("cidr_block_set", v4(req)),
        ("peer_cidr_block_set", v4(acc)),
        ("ipv6_cidr_block_set", v6(req)),
        ("peer_ipv6_cidr_block_set", v6(acc)),
    ])
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn ec2_wildcards() {
        assert!(wildcard("vpc-*", "vpc-0abc"));
        assert!(wildcard("a?c", "abc"));
        assert!(wildcard("*", ""));
        assert!(wildcard("10.*.0.0/16", "10.71.0.0/16"));
        assert!(!wildcard("vpc-*", "pcx-1"));
        assert!(!wildcard("a?c", "ac"));
        assert!(wildcard("[x]", "[x]"), "brackets are literal");
    }
}
