//! `aws_default_network_acl`: the ACL AWS makes with every VPC, taken over as Terraform
//! does (like `aws_default_security_group`): "create" finds it by
//! `default_network_acl_id`, replaces its rules with the configured ones (no block
//! written: no rules, all traffic denied), moves the listed subnets to it and tags it
//! `infra:*`; "delete" gives it back: its rules are reset to AWS's default (allow all
//! traffic in and out, rule 100) and the `infra:*` tags removed; AWS deletes it with its
//! VPC. Reads are `aws_network_acl`'s batched read.

use std::collections::BTreeMap;

use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::missing;
use crate::nacl::{common_value, describe_ids, entries, move_subnet, sync_entries};
use crate::nacl_rules::{block_entries, Entry};
use crate::util::{get_str, get_strings, update_tags};
use crate::AwsProvider;

pub(crate) const TYPE: &str = "aws_default_network_acl";

/// The entries AWS gives a new VPC's default ACL.
fn aws_default_entries() -> Vec<Entry> {
    [false, true]
        .into_iter()
        .map(|egress| Entry {
            egress,
            rule_no: 100,
            protocol: "-1".into(),
            action: "allow".into(),
            cidr: Some("0.0.0.0/0".into()),
            ipv6: None,
            from: 0,
            to: 0,
            icmp_type: None,
            icmp_code: None,
        })
        .collect()
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: BTreeMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    Ok(describe_ids(p, items.iter().map(|i| i.id.as_str()))
        .await?
        .iter()
        .filter_map(|a| {
            let prior = a.network_acl_id().and_then(|id| priors.get(id).copied());
            let (id, mut m) = common_value(p, a, prior)?;
            m.insert("default_network_acl_id".into(), Value::string(&id));
            Some((id, Value::Map(m)))
        })
        .collect())
}

/// Move the configured subnets to the default ACL. A subnet can only leave it for
/// another ACL, so one no longer listed stays (as in Terraform).
async fn add_subnets(
    p: &AwsProvider,
    id: &str,
    have: &[String],
    config: &Value,
) -> Result<(), ProviderError> {
    if !matches!(config.get("subnet_ids"), Value::List(_)) {
        return Ok(());
    }
    for s in get_strings(config, "subnet_ids") {
        if !have.contains(&s) {
            move_subnet(p, &s, id).await?;
        }
    }
    Ok(())
}

async fn find(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<aws_sdk_ec2::types::NetworkAcl, ProviderError> {
    let id = get_str(&req.config, "default_network_acl_id")
        .ok_or_else(|| missing(TYPE, "default_network_acl_id"))?;
    let Some(acl) = describe_ids(p, [id]).await?.into_iter().next() else {
        return Err(ProviderError::not_found(format!(
            "{}: network ACL {id} does not exist; use the VPC's `default_network_acl_id`",
            req.address
        )));
    };
    if acl.is_default() != Some(true) {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "{}: network ACL {id} is not its VPC's default ACL; use `aws_network_acl` for it, or the VPC's `default_network_acl_id`",
                req.address
            ),
        ));
    }
    Ok(acl)
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let acl = find(p, req).await?;
    let id = acl.network_acl_id().unwrap_or_default().to_string();
    sync_entries(p, &id, &entries(&acl), &block_entries(&req.config)).await?;
    add_subnets(p, &id, &crate::nacl::subnets(&acl), &req.config).await?;
    crate::defaults::tag(p, &id, req).await?;
    p.read_back(TYPE, &id, &req.config).await
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    sync_entries(p, id, &block_entries(prior), &block_entries(desired)).await?;
    add_subnets(p, id, &get_strings(prior, "subnet_ids"), desired).await?;
    update_tags(p, id, prior, desired).await?;
    p.read_back(TYPE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    if let Some(acl) = describe_ids(p, [id]).await?.into_iter().next() {
        sync_entries(p, id, &entries(&acl), &aws_default_entries()).await?;
    }
    crate::defaults::release(p, id).await
}

/// The same ACL, found again by its id (nothing is created, so nothing is duplicated).
pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let acl = find(p, req).await?;
    Ok(common_value(p, &acl, Some(&req.config)).map(|(id, mut m)| {
        m.insert("default_network_acl_id".into(), Value::string(id));
        Value::Map(m)
    }))
}
