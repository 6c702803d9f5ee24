//! Security group rules: the `ingress` / `egress` blocks of `aws_security_group` as sets
//! of atomic permissions (protocol, ports, one source, description), so that the
//! configuration and what AWS reports compare exactly and updates authorize or revoke only
//! the difference.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, PrefixListId, UserIdGroupPair};
use infra_model::Value;

use crate::util::{get_str, get_strings};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    Cidr(String),
    Ipv6(String),
    PrefixList(String),
    Group(String),
    SelfRef,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Atom {
    pub protocol: String,
    pub from: i64,
    pub to: i64,
    pub source: Source,
    pub description: Option<String>,
}

/// Protocol names as the Terraform provider stores them: `-1` for all, names for the
/// common numbers.
pub fn normalize_protocol(p: &str) -> String {
    match p.trim().to_ascii_lowercase().as_str() {
        "-1" | "all" => "-1".into(),
        "6" | "tcp" => "tcp".into(),
        "17" | "udp" => "udp".into(),
        "1" | "icmp" => "icmp".into(),
        "58" | "icmpv6" => "icmpv6".into(),
        other => other.to_string(),
    }
}

fn ports(protocol: &str, from: Option<i64>, to: Option<i64>) -> (i64, i64) {
    if protocol == "-1" {
        (0, 0)
    } else {
        (from.unwrap_or(0), to.unwrap_or(0))
    }
}

fn description(d: Option<&str>) -> Option<String> {
    d.filter(|d| !d.is_empty()).map(str::to_string)
}

/// The atoms of one configured (or previously returned) rule block.
pub fn rule_atoms(rule: &Value) -> Vec<Atom> {
    let protocol = normalize_protocol(get_str(rule, "protocol").unwrap_or("-1"));
    let (from, to) = ports(
        &protocol,
        rule.get("from_port").as_i64(),
        rule.get("to_port").as_i64(),
    );
    let description = description(get_str(rule, "description"));
    let mut sources: Vec<Source> = get_strings(rule, "cidr_blocks")
        .into_iter()
        .map(Source::Cidr)
        .collect();
    sources.extend(
        get_strings(rule, "ipv6_cidr_blocks")
            .into_iter()
            .map(Source::Ipv6),
    );
    sources.extend(
        get_strings(rule, "prefix_list_ids")
            .into_iter()
            .map(Source::PrefixList),
    );
    sources.extend(
        get_strings(rule, "security_groups")
            .into_iter()
            .map(Source::Group),
    );
    if rule.get("self").as_bool() == Some(true) {
        sources.push(Source::SelfRef);
    }
    sources
        .into_iter()
        .map(|source| Atom {
            protocol: protocol.clone(),
            from,
            to,
            source,
            description: description.clone(),
        })
        .collect()
}

pub fn blocks_atoms(rules: &Value) -> BTreeSet<Atom> {
    rules
        .as_list()
        .unwrap_or_default()
        .iter()
        .flat_map(rule_atoms)
        .collect()
}

/// The atoms of what AWS reports for group `own_id`.
pub fn permission_atoms(perms: &[IpPermission], own_id: &str) -> BTreeSet<Atom> {
    let mut out = BTreeSet::new();
    for perm in perms {
        let protocol = normalize_protocol(perm.ip_protocol().unwrap_or("-1"));
        let (from, to) = ports(
            &protocol,
            perm.from_port().map(i64::from),
            perm.to_port().map(i64::from),
        );
        let atom = |source, d: Option<&str>| Atom {
            protocol: protocol.clone(),
            from,
            to,
            source,
            description: description(d),
        };
        for r in perm.ip_ranges() {
            if let Some(c) = r.cidr_ip() {
                out.insert(atom(Source::Cidr(c.to_string()), r.description()));
            }
        }
        for r in perm.ipv6_ranges() {
            if let Some(c) = r.cidr_ipv6() {
                out.insert(atom(Source::Ipv6(c.to_string()), r.description()));
            }
        }
        for r in perm.prefix_list_ids() {
            if let Some(id) = r.prefix_list_id() {
                out.insert(atom(Source::PrefixList(id.to_string()), r.description()));
            }
        }
        for g in perm.user_id_group_pairs() {
            if let Some(id) = g.group_id() {
                let source = if id == own_id {
                    Source::SelfRef
                } else {
                    Source::Group(id.to_string())
                };
                out.insert(atom(source, g.description()));
            }
        }
    }
    out
}

/// The permission that authorizes (or, with `with_description` false, revokes) one atom.
pub fn to_permission(a: &Atom, own_id: &str, with_description: bool) -> IpPermission {
    let d = if with_description {
        a.description.clone()
    } else {
        None
    };
    let mut b = IpPermission::builder().ip_protocol(&a.protocol);
    if a.protocol != "-1" {
        b = b
            .from_port(i32::try_from(a.from).unwrap_or(-1))
            .to_port(i32::try_from(a.to).unwrap_or(-1));
    }
    match &a.source {
        Source::Cidr(c) => {
            b = b.ip_ranges(IpRange::builder().cidr_ip(c).set_description(d).build())
        }
        Source::Ipv6(c) => {
            b = b.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(d).build())
        }
        Source::PrefixList(id) => {
            b = b.prefix_list_ids(
                PrefixListId::builder()
                    .prefix_list_id(id)
                    .set_description(d)
                    .build(),
            )
        }
        Source::Group(g) => {
            b = b.user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(g)
                    .set_description(d)
                    .build(),
            )
        }
        Source::SelfRef => {
            b = b.user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(own_id)
                    .set_description(d)
                    .build(),
            )
        }
    }
    b.build()
}

fn full_rule(rule: &Value) -> Value {
    let mut m = rule.as_map().cloned().unwrap_or_default();
    for (k, empty) in [
        ("cidr_blocks", Value::List(vec![])),
        ("ipv6_cidr_blocks", Value::List(vec![])),
        ("prefix_list_ids", Value::List(vec![])),
        ("security_groups", Value::List(vec![])),
        ("self", Value::Bool(false)),
        ("description", Value::Null),
    ] {
        match m.get(k) {
            Some(v) if !v.is_null() => {}
            _ => {
                m.insert(k.to_string(), empty);
            }
        }
    }
    Value::Map(m)
}

/// The rule blocks for the atoms AWS reports. Prior rules whose atoms all still exist are
/// kept as they were written (so `protocol = "6"` or a split of one CIDR list over two
/// blocks does not show as a change); the remaining atoms are grouped per protocol, ports
/// and description.
pub fn to_blocks(cloud: &BTreeSet<Atom>, prior: Option<&Value>) -> Value {
    let mut remaining = cloud.clone();
    let mut out = Vec::new();
    for rule in prior.and_then(Value::as_list).unwrap_or_default() {
        let atoms = rule_atoms(rule);
        if !atoms.is_empty() && atoms.iter().all(|a| remaining.contains(a)) {
            for a in &atoms {
                remaining.remove(a);
            }
            out.push(full_rule(rule));
        }
    }
    let mut groups: BTreeMap<(String, i64, i64, Option<String>), Vec<Source>> = BTreeMap::new();
    for a in remaining {
        groups
            .entry((a.protocol, a.from, a.to, a.description))
            .or_default()
            .push(a.source);
    }
    for ((protocol, from, to, description), sources) in groups {
        let pick = |f: fn(&Source) -> Option<&str>| {
            Value::List(sources.iter().filter_map(f).map(Value::string).collect())
        };
        out.push(Value::map([
            ("protocol", Value::string(protocol)),
            ("from_port", Value::from(from)),
            ("to_port", Value::from(to)),
            (
                "cidr_blocks",
                pick(|s| {
                    if let Source::Cidr(c) = s {
                        Some(c)
                    } else {
                        None
                    }
                }),
            ),
            (
                "ipv6_cidr_blocks",
                pick(|s| {
                    if let Source::Ipv6(c) = s {
                        Some(c)
                    } else {
                        None
                    }
                }),
            ),
            (
                "prefix_list_ids",
                pick(|s| {
                    if let Source::PrefixList(c) = s {
                        Some(c)
                    } else {
                        None
                    }
                }),
            ),
            (
                "security_groups",
                pick(|s| {
                    if let Source::Group(c) = s {
                        Some(c)
                    } else {
                        None
                    }
                }),
            ),
            ("self", Value::Bool(sources.contains(&Source::SelfRef))),
            (
                "description",
                description.map(Value::string).unwrap_or(Value::Null),
            ),
        ]));
    }
    out.sort_by_key(|v| v.to_json().to_string());
    Value::List(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(proto: &str, from: i64, to: i64, cidrs: &[&str]) -> Value {
        Value::map([
            ("protocol", Value::string(proto)),
            ("from_port", Value::from(from)),
            ("to_port", Value::from(to)),
            (
                "cidr_blocks",
                Value::List(cidrs.iter().map(|c| Value::string(*c)).collect()),
            ),
        ])
    }

    #[test]
    fn protocols_normalize() {
        assert_eq!(normalize_protocol("all"), "-1");
        assert_eq!(normalize_protocol("6"), "tcp");
        assert_eq!(normalize_protocol("TCP"), "tcp");
    }

    #[test]
    fn all_traffic_ignores_ports() {
        let a = rule_atoms(&rule("all", 0, 65535, &["0.0.0.0/0"]));
        let b = permission_atoms(
            &[IpPermission::builder()
                .ip_protocol("-1")
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build()],
            "sg-1",
        );
        assert_eq!(a.into_iter().collect::<BTreeSet<_>>(), b);
    }

    #[test]
    fn prior_rules_are_kept_as_written_and_the_rest_grouped() {
        let prior = Value::List(vec![
            rule("6", 443, 443, &["10.0.1.0/24"]),
            rule("tcp", 80, 80, &["10.9.0.0/16"]),
        ]);
        let mut cloud = blocks_atoms(&prior);
        cloud.retain(|a| a.from != 80);
        cloud.extend(rule_atoms(&rule(
            "tcp",
            5432,
            5432,
            &["10.0.2.0/24", "10.0.3.0/24"],
        )));
        let got = to_blocks(&cloud, Some(&prior));
        let list = got.as_list().unwrap();
        assert_eq!(list.len(), 2);
        assert!(
            list.iter().any(|r| r.get("protocol").as_str() == Some("6")),
            "{got}"
        );
        let grouped = list
            .iter()
            .find(|r| r.get("from_port").as_i64() == Some(5432))
            .unwrap();
        assert_eq!(grouped.get("cidr_blocks").as_list().unwrap().len(), 2);
        assert_eq!(blocks_atoms(&got), cloud);
    }

    #[test]
    fn self_and_group_sources() {
        let perms = [IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(1)
            .to_port(2)
            .user_id_group_pairs(UserIdGroupPair::builder().group_id("sg-own").build())
            .user_id_group_pairs(UserIdGroupPair::builder().group_id("sg-other").build())
            .build()];
        let atoms = permission_atoms(&perms, "sg-own");
        assert!(atoms.iter().any(|a| a.source == Source::SelfRef));
        let blocks = to_blocks(&atoms, None);
        let r = &blocks.as_list().unwrap()[0];
        assert_eq!(r.get("self").as_bool(), Some(true));
        assert_eq!(
            r.get("security_groups"),
            &Value::List(vec![Value::string("sg-other")])
        );
    }
}
