//! The parts of a network ACL managed as resources of their own:
//! `aws_network_acl_rule` (one entry; every argument forces a new rule, as AWS entries
//! cannot change; id = Terraform's import ID `NETWORK_ACL_ID:RULE_NUMBER:PROTOCOL:EGRESS`) and
//! `aws_network_acl_association` (a subnet moved to an ACL; id = the association id;
//! deleting it moves the subnet back to its VPC's default ACL).
//!
//! Both are read through their ACLs: one DescribeNetworkAcls per 200 ACLs covers every
//! rule and association of a refresh. Neither takes tags: adoption after a kill finds
//! them by their natural key (an entry with that number and those settings; the
//! subnet's association with that ACL).

use std::collections::BTreeMap;

use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{is_not_found, missing};
use crate::nacl::{create_entry, delete_entry, describe, describe_ids, entries, move_subnet};
use crate::nacl_rules::{protocol_number, Entry, RESOURCE};
use crate::util::{filter, get_str};
use crate::AwsProvider;

pub(crate) const RULE: &str = "aws_network_acl_rule";
pub(crate) const ASSOCIATION: &str = "aws_network_acl_association";

// ---- aws_network_acl_rule ----

/// A rule's id: `NETWORK_ACL_ID:RULE_NUMBER:PROTOCOL:EGRESS`, Terraform's import ID.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RuleId {
    pub acl: String,
    pub rule_no: i64,
    pub protocol: String,
    pub egress: bool,
}

impl RuleId {
    pub(crate) fn parse(s: &str) -> Result<RuleId, ProviderError> {
        let bad = || {
            ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "`{s}` is not an id of {RULE}; write {}",
                    crate::import::id_format(RULE)
                ),
            )
        };
        let parts: Vec<&str> = s.split(':').collect();
        let [acl, rule, protocol, egress] = parts[..] else {
            return Err(bad());
        };
        if !acl.starts_with("acl-") || protocol.is_empty() {
            return Err(bad());
        }
        Ok(RuleId {
            acl: acl.to_string(),
            rule_no: rule.parse().map_err(|_| bad())?,
            protocol: protocol.to_string(),
            egress: egress.parse().map_err(|_| bad())?,
        })
    }

    fn of(config: &Value) -> Result<RuleId, ProviderError> {
        Ok(RuleId {
            acl: get_str(config, "network_acl_id")
                .ok_or_else(|| missing(RULE, "network_acl_id"))?
                .to_string(),
            rule_no: config
                .get("rule_number")
                .as_i64()
                .ok_or_else(|| missing(RULE, "rule_number"))?,
            protocol: get_str(config, "protocol")
                .ok_or_else(|| missing(RULE, "protocol"))?
                .to_string(),
            egress: config.get("egress").as_bool().unwrap_or(false),
        })
    }

    pub(crate) fn id(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.acl, self.rule_no, self.protocol, self.egress
        )
    }
}

/// The value of a rule from what exists: the prior as written when it describes the same
/// entry (`protocol = "tcp"` stays `tcp`), else the entry as AWS reports it.
fn rule_value(id: &str, rid: &RuleId, cloud: &Entry, prior: &Value) -> Value {
    let mut m = match Entry::from_value(prior, RESOURCE, Some(rid.egress)) {
        Some(w) if cloud.matches(&w) => prior.as_map().cloned().unwrap_or_default(),
        _ => {
            let mut m = cloud.to_value(RESOURCE);
            // the protocol as written when only its spelling differs
            if let Some(p) =
                get_str(prior, "protocol").filter(|p| protocol_number(p) == cloud.protocol)
            {
                m.insert("protocol".into(), Value::string(p));
            }
            m
        }
    };
    m.insert("id".into(), Value::string(id));
    m.insert("network_acl_id".into(), Value::string(&rid.acl));
    m.insert("rule_number".into(), Value::Number(rid.rule_no as f64));
    m.insert("egress".into(), Value::Bool(rid.egress));
    Value::Map(m)
}

pub(crate) async fn read_rules(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let parsed: Vec<(&ReadRequest, RuleId)> = items
        .iter()
        .map(|i| RuleId::parse(&i.id).map(|r| (i, r)))
        .collect::<Result<_, _>>()?;
    let acls = describe_ids(p, parsed.iter().map(|(_, r)| r.acl.as_str())).await?;
    let by_acl: BTreeMap<&str, Vec<Entry>> = acls
        .iter()
        .filter_map(|a| Some((a.network_acl_id()?, entries(a))))
        .collect();
    let mut out = BTreeMap::new();
    for (item, rid) in &parsed {
        let found = by_acl
            .get(rid.acl.as_str())
            .and_then(|es| es.iter().find(|e| e.key() == (rid.egress, rid.rule_no)));
        if let Some(e) = found {
            out.insert(item.id.clone(), rule_value(&item.id, rid, e, &item.prior));
        }
    }
    Ok(out)
}

pub(crate) async fn create_rule(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let rid = RuleId::of(&req.config)?;
    let e = Entry::from_value(&req.config, RESOURCE, None).ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "{}: `rule_number`, `protocol` and `rule_action` must be known",
                req.address
            ),
        )
    })?;
    if e.cidr.is_none() && e.ipv6.is_none() {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "{}: set one of `cidr_block` or `ipv6_cidr_block`",
                req.address
            ),
        ));
    }
    create_entry(p, &rid.acl, &e).await?;
    p.read_back(RULE, &rid.id(), &req.config).await
}

pub(crate) async fn delete_rule(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let rid = RuleId::parse(id)?;
    match delete_entry(p, &rid.acl, rid.egress, rid.rule_no).await {
        Err(e) if is_not_found(&e) => Ok(()),
        r => r,
    }
}

/// An entry with the rule's number and settings already in its ACL: what an interrupted
/// create made. One with other settings is somebody else's (the create then fails with
/// NetworkAclEntryAlreadyExists, naming the number).
pub(crate) async fn adopt_rule(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let rid = RuleId::of(&req.config)?;
    let Some(wanted) = Entry::from_value(&req.config, RESOURCE, None) else {
        return Ok(None);
    };
    let id = rid.id();
    if req.known_ids.iter().any(|k| *k == id) {
        return Ok(None);
    }
    let acls = describe_ids(p, [rid.acl.as_str()]).await?;
    Ok(acls
        .iter()
        .flat_map(entries)
        .find(|e| e.key() == wanted.key() && e.matches(&wanted))
        .map(|e| rule_value(&id, &rid, &e, &req.config)))
}

// ---- aws_network_acl_association ----

fn association_value(id: &str, acl: &str, subnet: &str) -> Value {
    Value::map([
        ("id", Value::string(id)),
        ("network_acl_id", Value::string(acl)),
        ("subnet_id", Value::string(subnet)),
    ])
}

/// Where association `id` is: `(acl, subnet)`, looked up by its id alone.
async fn find_association(
    p: &AwsProvider,
    id: &str,
) -> Result<Option<(String, String)>, ProviderError> {
    let found = describe(p, vec![filter("association.association-id", [id])], vec![]).await?;
    Ok(found
        .iter()
        .flat_map(|a| a.associations())
        .find(|a| a.network_acl_association_id() == Some(id))
        .and_then(|a| Some((a.network_acl_id()?.to_string(), a.subnet_id()?.to_string()))))
}

pub(crate) async fn read_associations(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    // through the ACLs the state names: an association id is new with every move, so one
    // that is not on its ACL any more is gone
    let acls = describe_ids(
        p,
        items
            .iter()
            .filter_map(|i| get_str(&i.prior, "network_acl_id")),
    )
    .await?;
    let mut out = BTreeMap::new();
    for a in acls.iter().flat_map(|a| a.associations()) {
        if let (Some(id), Some(acl), Some(subnet)) = (
            a.network_acl_association_id(),
            a.network_acl_id(),
            a.subnet_id(),
        ) {
            if items.iter().any(|i| i.id == id) {
                out.insert(id.to_string(), association_value(id, acl, subnet));
            }
        }
    }
    // an import names the association only
    for i in items
        .iter()
        .filter(|i| get_str(&i.prior, "network_acl_id").is_none())
    {
        if let Some((acl, subnet)) = find_association(p, &i.id).await? {
            out.insert(i.id.clone(), association_value(&i.id, &acl, &subnet));
        }
    }
    Ok(out)
}

fn association_args<'a>(req: &'a CreateRequest) -> Result<(&'a str, &'a str), ProviderError> {
    Ok((
        get_str(&req.config, "network_acl_id")
            .ok_or_else(|| missing(ASSOCIATION, "network_acl_id"))?,
        get_str(&req.config, "subnet_id").ok_or_else(|| missing(ASSOCIATION, "subnet_id"))?,
    ))
}

pub(crate) async fn create_association(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let (acl, subnet) = association_args(req)?;
    let id = move_subnet(p, subnet, acl).await?;
    p.read_back(ASSOCIATION, &id, &req.config).await
}

/// Move the subnet back to its VPC's default ACL (AWS has no "disassociate").
pub(crate) async fn delete_association(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    let Some((acl, subnet)) = find_association(p, id).await? else {
        return Ok(());
    };
    let vpc = describe_ids(p, [acl.as_str()])
        .await?
        .first()
        .and_then(|a| a.vpc_id().map(str::to_string));
    let Some(vpc) = vpc else {
        return Ok(());
    };
    let default = crate::nacl::default_acl(p, &vpc).await?;
    if default == acl {
        return Ok(());
    }
    tracing::debug!(id, subnet, prior_acl = ?get_str(prior, "network_acl_id"), "moving the subnet back to the default network ACL");
    match move_subnet(p, &subnet, &default).await {
        Err(e) if is_not_found(&e) => Ok(()),
        r => r.map(|_| ()),
    }
}

/// The subnet's association with the configured ACL, when it is already there.
pub(crate) async fn adopt_association(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let (acl, subnet) = association_args(req)?;
    let found = describe(p, vec![filter("association.subnet-id", [subnet])], vec![]).await?;
    Ok(found
        .iter()
        .flat_map(|a| a.associations())
        .find(|a| a.subnet_id() == Some(subnet) && a.network_acl_id() == Some(acl))
        .and_then(|a| a.network_acl_association_id())
        .filter(|id| !req.known_ids.iter().any(|k| k == id))
        .map(|id| association_value(id, acl, subnet)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_terraforms_import_ids() {
        let r = RuleId::parse("acl-7aaabd18:100:tcp:false").unwrap();
        assert_eq!(
            r,
            RuleId {
                acl: "acl-7aaabd18".into(),
                rule_no: 100,
                protocol: "tcp".into(),
                egress: false
            }
        );
        assert_eq!(r.id(), "acl-7aaabd18:100:tcp:false");
        for bad in [
            "acl-1:100:tcp",
            "sg-1:100:tcp:false",
            "acl-1:x:tcp:false",
            "acl-1:1::true",
            "acl-1:1:6:yes",
        ] {
            let e = RuleId::parse(bad).unwrap_err();
            assert!(
                e.message
                    .contains("NETWORK_ACL_ID:RULE_NUMBER:PROTOCOL:EGRESS"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn a_rule_keeps_its_written_protocol_and_reports_drift_as_aws_has_it() {
        let rid = RuleId::parse("acl-1:100:tcp:false").unwrap();
        let prior = Value::map([
            ("rule_number", Value::Number(100.0)),
            ("rule_action", Value::string("allow")),
            ("protocol", Value::string("tcp")),
            ("from_port", Value::Number(443.0)),
            ("to_port", Value::Number(443.0)),
            ("cidr_block", Value::string("0.0.0.0/0")),
        ]);
        let same = Entry::from_value(&prior, RESOURCE, Some(false)).unwrap();
        let v = rule_value("acl-1:100:tcp:false", &rid, &same, &prior);
        assert_eq!(v.get("protocol").as_str(), Some("tcp"));
        assert_eq!(v.get("network_acl_id").as_str(), Some("acl-1"));
        let mut moved = same.clone();
        moved.from = 8443;
        let v = rule_value("acl-1:100:tcp:false", &rid, &moved, &prior);
        assert_eq!(v.get("from_port").as_i64(), Some(8443));
        assert_eq!(
            v.get("protocol").as_str(),
            Some("tcp"),
            "same protocol, written as before"
        );
    }
}
