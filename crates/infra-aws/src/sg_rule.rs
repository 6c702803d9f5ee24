//! `aws_security_group_rule`: one rule (protocol, ports, one or more sources) of a
//! security group, managed apart from the group.
//!
//! The id is Terraform's import format, `<group>_<type>_<protocol>_<from>_<to>_<source>...`
//! (e.g. `sg-123_ingress_tcp_443_443_10.0.0.0/8`, `self` for the group itself), so that a
//! rule is found from its id alone: refresh, import and adoption need nothing else. Every
//! argument but `description` forces a replacement, as in Terraform. Reads are one
//! batched DescribeSecurityGroups over every group the rules belong to.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_ec2::types::SecurityGroup;
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::security_group::{authorize, describe, revoke, revoke_perms, Direction};
use crate::sg_rules::{
    normalize_protocol, permission_atoms, rule_atoms, to_permission, Atom, Source,
};
use crate::util::{describe_chunks, filter, get_str, id_chunks};
use crate::AwsProvider;

const TYPE: &str = "aws_security_group_rule";

/// A rule as its id says it: everything but the description.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RuleKey {
    pub group: String,
    pub(crate) dir: Direction,
    pub protocol: String,
    pub from: i64,
    pub to: i64,
    pub sources: Vec<Source>,
}

impl RuleKey {
    fn dir_name(&self) -> &'static str {
        match self.dir {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// `<group>_<type>_<protocol>_<from>_<to>_<source>...`, Terraform's import id.
    pub fn id(&self) -> String {
        let mut parts = vec![
            self.group.clone(),
            self.dir_name().to_string(),
            self.protocol.clone(),
            self.from.to_string(),
            self.to.to_string(),
        ];
        parts.extend(self.sources.iter().map(|s| match s {
            Source::Cidr(c) | Source::Ipv6(c) | Source::PrefixList(c) | Source::Group(c) => {
                c.clone()
            }
            Source::SelfRef => "self".to_string(),
        }));
        parts.join("_")
    }

    /// Parse an id (ours or one given to `infra import`).
    pub fn parse(id: &str) -> Result<RuleKey, ProviderError> {
        let bad = |why: &str| {
            ProviderError::new(
                ErrorKind::Rejected,
                format!("`{id}` is not an aws_security_group_rule id ({why}); write it as SECURITYGROUPID_TYPE_PROTOCOL_FROMPORT_TOPORT_SOURCE[_SOURCE...], e.g. sg-123_ingress_tcp_443_443_10.0.0.0/8"),
            )
        };
        let parts: Vec<&str> = id.split('_').collect();
        if parts.len() < 6 {
            return Err(bad("too few parts"));
        }
        if !parts[0].starts_with("sg-") {
            return Err(bad("it must start with the security group id"));
        }
        let dir = match parts[1] {
            "ingress" => Direction::Ingress,
            "egress" => Direction::Egress,
            _ => return Err(bad("the type must be ingress or egress")),
        };
        let protocol = normalize_protocol(parts[2]);
        let port = |s: &str| s.parse::<i64>().map_err(|_| bad("ports must be numbers"));
        let (mut from, mut to) = (port(parts[3])?, port(parts[4])?);
        if protocol == "-1" {
            (from, to) = (0, 0);
        }
        let sources = parts[5..].iter().map(|s| source_of(s, parts[0])).collect();
        Ok(RuleKey {
            group: parts[0].to_string(),
            dir,
            protocol,
            from,
            to,
            sources,
        })
    }

    /// The key of a configured rule.
    fn from_config(c: &Value) -> Result<RuleKey, ProviderError> {
        let missing = |a| crate::errors::missing(TYPE, a);
        let group = get_str(c, "security_group_id").ok_or_else(|| missing("security_group_id"))?;
        let dir = match get_str(c, "type") {
            Some("ingress") => Direction::Ingress,
            Some("egress") => Direction::Egress,
            other => {
                return Err(ProviderError::new(
                    ErrorKind::Rejected,
                    format!(
                        "aws_security_group_rule: type must be \"ingress\" or \"egress\", not {other:?}"
                    ),
                ))
            }
        };
        let atoms = rule_atoms(&as_rule(c));
        let Some(first) = atoms.first() else {
            return Err(ProviderError::new(
                ErrorKind::Rejected,
                "aws_security_group_rule: set one of cidr_blocks, ipv6_cidr_blocks, prefix_list_ids, source_security_group_id or self = true",
            ));
        };
        Ok(RuleKey {
            group: group.to_string(),
            dir,
            protocol: first.protocol.clone(),
            from: first.from,
            to: first.to,
            sources: atoms.iter().map(|a| a.source.clone()).collect(),
        })
    }

    fn atoms(&self, description: Option<&str>) -> Vec<Atom> {
        self.sources
            .iter()
            .map(|source| Atom {
                protocol: self.protocol.clone(),
                from: self.from,
                to: self.to,
                source: source.clone(),
                description: description.filter(|d| !d.is_empty()).map(str::to_string),
            })
            .collect()
    }
}

fn source_of(s: &str, group: &str) -> Source {
    if s == "self" || s == group {
        Source::SelfRef
    } else if s.starts_with("sg-") || s.contains("/sg-") {
        Source::Group(s.rsplit('/').next().unwrap_or(s).to_string())
    } else if s.starts_with("pl-") {
        Source::PrefixList(s.to_string())
    } else if s.contains(':') {
        Source::Ipv6(s.to_string())
    } else {
        Source::Cidr(s.to_string())
    }
}

/// The configuration in the shape of an inline rule block, for [`rule_atoms`].
fn as_rule(c: &Value) -> Value {
    let mut m = c.as_map().cloned().unwrap_or_default();
    let groups: Vec<Value> = get_str(c, "source_security_group_id")
        .map(Value::string)
        .into_iter()
        .collect();
    m.insert("security_groups".into(), Value::List(groups));
    Value::Map(m)
}

/// The attributes of a rule that exists, with the description AWS reports. What the
/// prior configuration wrote (`protocol = "6"`, `"all"`) is kept when it means the same.
fn to_value(key: &RuleKey, description: Option<String>, prior: &Value) -> Value {
    let pick = |f: fn(&Source) -> Option<&String>| {
        Value::List(
            key.sources
                .iter()
                .filter_map(f)
                .map(Value::string)
                .collect(),
        )
    };
    let protocol = match get_str(prior, "protocol") {
        Some(p) if normalize_protocol(p) == key.protocol => p.to_string(),
        _ => key.protocol.clone(),
    };
    let port = |name: &str, v: i64| match prior.get(name).as_i64() {
        // all traffic: ports are meaningless, keep what was written
        Some(w) if key.protocol == "-1" => Value::from(w),
        _ => Value::from(v),
    };
    let group_source = key.sources.iter().find_map(|s| match s {
        Source::Group(g) => Some(g.clone()),
        _ => None,
    });
    Value::map([
        ("id", Value::string(key.id())),
        ("security_group_id", Value::string(&key.group)),
        ("type", Value::string(key.dir_name())),
        ("protocol", Value::string(protocol)),
        ("from_port", port("from_port", key.from)),
        ("to_port", port("to_port", key.to)),
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
            "source_security_group_id",
            group_source.map(Value::string).unwrap_or(Value::Null),
        ),
        ("self", Value::Bool(key.sources.contains(&Source::SelfRef))),
        (
            "description",
            description.map(Value::string).unwrap_or(Value::Null),
        ),
    ])
}

/// Whether every source of `key` is a rule of `g`; if so, the description AWS reports.
fn find_in(key: &RuleKey, g: &SecurityGroup) -> Option<Option<String>> {
    let perms = match key.dir {
        Direction::Ingress => g.ip_permissions(),
        Direction::Egress => g.ip_permissions_egress(),
    };
    let cloud: HashMap<Atom, Option<String>> = permission_atoms(perms, &key.group)
        .into_iter()
        .map(|a| {
            let d = a.description.clone();
            (
                Atom {
                    description: None,
                    ..a
                },
                d,
            )
        })
        .collect();
    let mut description = None;
    for (i, a) in key.atoms(None).into_iter().enumerate() {
        let d = cloud.get(&a)?;
        if i == 0 {
            description = d.clone();
        }
    }
    Some(description)
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let keys: Vec<(&ReadRequest, RuleKey)> = items
        .iter()
        .map(|i| RuleKey::parse(&i.id).map(|k| (i, k)))
        .collect::<Result<_, _>>()?;
    let mut groups: HashMap<String, SecurityGroup> = HashMap::new();
    let chunks = id_chunks(keys.iter().map(|(_, k)| k.group.as_str()));
    for g in describe_chunks(chunks, |c| describe(p, vec![filter("group-id", c)])).await? {
        if let Some(id) = g.group_id() {
            groups.insert(id.to_string(), g);
        }
    }
    let mut out = BTreeMap::new();
    for (item, key) in keys {
        let Some(g) = groups.get(&key.group) else {
            continue;
        };
        if let Some(description) = find_in(&key, g) {
            out.insert(item.id.clone(), to_value(&key, description, &item.prior));
        }
    }
    Ok(out)
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let key = RuleKey::from_config(&req.config)?;
    let atoms: BTreeSet<Atom> = key
        .atoms(get_str(&req.config, "description"))
        .into_iter()
        .collect();
    authorize(p, &key.group, key.dir, &atoms)
        .await
        .map_err(|e| {
            if crate::errors::has_code(&e, &["InvalidPermission.Duplicate"]) {
                ProviderError::new(
                    ErrorKind::Rejected,
                    format!("{}: security group {} already has this {} rule (an inline {} block of its aws_security_group, another aws_security_group_rule, or a change made outside this stack); remove the duplicate, or take it over with `infra import {} {}`", req.address, key.group, key.dir_name(), key.dir_name(), req.address, key.id()),
                )
                .with_code("InvalidPermission.Duplicate")
            } else {
                e
            }
        })?;
    p.read_back(TYPE, &key.id(), &req.config).await
}

/// Only the description changes in place; every other argument forces a replacement.
pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let key = RuleKey::parse(id)?;
    let description = get_str(desired, "description");
    if description != get_str(prior, "description") {
        let perms: Vec<_> = key
            .atoms(description)
            .iter()
            .map(|a| to_permission(a, &key.group, true))
            .collect();
        match key.dir {
            Direction::Ingress => {
                p.call("ec2:UpdateSecurityGroupRuleDescriptionsIngress", || {
                    p.ec2()
                        .update_security_group_rule_descriptions_ingress()
                        .group_id(&key.group)
                        .set_ip_permissions(Some(perms.clone()))
                        .send()
                })
                .await?;
            }
            Direction::Egress => {
                p.call("ec2:UpdateSecurityGroupRuleDescriptionsEgress", || {
                    p.ec2()
                        .update_security_group_rule_descriptions_egress()
                        .group_id(&key.group)
                        .set_ip_permissions(Some(perms.clone()))
                        .send()
                })
                .await?;
            }
        }
    }
    p.read_back(TYPE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let key = RuleKey::parse(id)?;
    let atoms: BTreeSet<Atom> = key.atoms(None).into_iter().collect();
    match revoke(p, &key.group, key.dir, revoke_perms(&atoms, &key.group)).await {
        Err(e) if crate::errors::is_not_found(&e) => Ok(()),
        r => r,
    }
}

/// A rule has no tags: what an interrupted create made is found by its natural key (the
/// group and every source of the rule).
pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let key = RuleKey::from_config(&req.config)?;
    let item = ReadRequest {
        id: key.id(),
        prior: req.config.clone(),
    };
    Ok(read(p, std::slice::from_ref(&item)).await?.remove(&item.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_in_terraforms_import_format() {
        let k = RuleKey::parse("sg-123_ingress_tcp_443_443_10.0.0.0/8_10.1.0.0/16").unwrap();
        assert_eq!(k.dir, Direction::Ingress);
        assert_eq!(
            k.sources,
            vec![
                Source::Cidr("10.0.0.0/8".into()),
                Source::Cidr("10.1.0.0/16".into())
            ]
        );
        assert_eq!(k.id(), "sg-123_ingress_tcp_443_443_10.0.0.0/8_10.1.0.0/16");
        let k = RuleKey::parse("sg-1_egress_all_0_65535_self_sg-2_pl-3_::/0").unwrap();
        assert_eq!(k.protocol, "-1");
        assert_eq!((k.from, k.to), (0, 0));
        assert_eq!(
            k.sources,
            vec![
                Source::SelfRef,
                Source::Group("sg-2".into()),
                Source::PrefixList("pl-3".into()),
                Source::Ipv6("::/0".into())
            ]
        );
        assert_eq!(k.id(), "sg-1_egress_-1_0_0_self_sg-2_pl-3_::/0");
        let k = RuleKey::parse("sg-1_ingress_6_22_22_123456789012/sg-9").unwrap();
        assert_eq!(k.sources, vec![Source::Group("sg-9".into())]);
        assert_eq!(k.protocol, "tcp");
    }

    #[test]
    fn bad_ids_say_what_the_format_is() {
        for bad in [
            "sg-1_ingress_tcp_1_2",
            "x_ingress_tcp_1_2_0.0.0.0/0",
            "sg-1_in_tcp_1_2_self",
            "sg-1_ingress_tcp_a_2_self",
        ] {
            let e = RuleKey::parse(bad).unwrap_err();
            assert!(e.message.contains("SECURITYGROUPID_TYPE_PROTOCOL"), "{e}");
        }
    }

    #[test]
    fn a_configured_rule_keys_like_its_id() {
        let c = Value::map([
            ("security_group_id", Value::string("sg-1")),
            ("type", Value::string("ingress")),
            ("protocol", Value::string("6")),
            ("from_port", Value::from(443)),
            ("to_port", Value::from(443)),
            (
                "cidr_blocks",
                Value::List(vec![Value::string("10.0.0.0/8")]),
            ),
            ("source_security_group_id", Value::Null),
            ("self", Value::Bool(false)),
        ]);
        let k = RuleKey::from_config(&c).unwrap();
        assert_eq!(k.id(), "sg-1_ingress_tcp_443_443_10.0.0.0/8");
        let v = to_value(&k, Some("https".into()), &c);
        assert_eq!(v.get("protocol").as_str(), Some("6"));
        assert_eq!(v.get("description").as_str(), Some("https"));
        let none = Value::map([
            ("security_group_id", Value::string("sg-1")),
            ("type", Value::string("ingress")),
            ("protocol", Value::string("tcp")),
        ]);
        let e = RuleKey::from_config(&none).unwrap_err();
        assert!(e.message.contains("source_security_group_id"), "{e}");
    }
}
