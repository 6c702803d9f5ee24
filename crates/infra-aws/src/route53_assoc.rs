//! `aws_route53_zone_association` (a VPC associated with a private zone outside the zone's
//! own `vpc` blocks) and `aws_route53_delegation_set` (reusable name servers).
//!
//! Ids are Terraform's import ids: `<zone id>:<vpc id>` for an association, the delegation
//! set's id. Associations are read with one GetHostedZone per zone, whatever the number of
//! associations; delegation sets with one paginated ListReusableDelegationSets scan.
//! Neither carries tags: an association is found again by its natural key (zone and VPC),
//! a delegation set by the CallerReference its create sent (derived from the idempotency
//! token).

use std::collections::BTreeMap;

use aws_sdk_route53::types::{DelegationSet, Vpc, VpcRegion};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{is_not_found, missing};
use crate::route53::{other, short_id, zone_detail};
use crate::util::{get_str, opt, strings};
use crate::AwsProvider;

const ASSOC: &str = "aws_route53_zone_association";

fn split_assoc(id: &str) -> Result<(&str, &str, Option<&str>), ProviderError> {
    let mut parts = id.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(z), Some(v), region, None) if !z.is_empty() && !v.is_empty() => Ok((z, v, region)),
        _ => Err(ProviderError::new(
            ErrorKind::Rejected,
            format!("`{id}` is not a zone association id; expected `<zone id>:<vpc id>` (or `<zone id>:<vpc id>:<vpc region>`)"),
        )),
    }
}

fn assoc_value(zone: &str, vpc: &str, region: &str) -> Value {
    Value::map([
        ("id", Value::string(format!("{zone}:{vpc}"))),
        ("zone_id", Value::string(zone)),
        ("vpc_id", Value::string(vpc)),
        ("vpc_region", Value::string(region)),
        ("owning_account", Value::Null),
    ])
}

/// One GetHostedZone per zone for all of its associations.
pub(crate) async fn read_associations(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let mut by_zone: BTreeMap<&str, Vec<&ReadRequest>> = BTreeMap::new();
    for i in items {
        by_zone.entry(split_assoc(&i.id)?.0).or_default().push(i);
    }
    let mut out = BTreeMap::new();
    for (zone, asked) in by_zone {
        let Some(detail) = zone_detail(p, zone).await? else {
            continue;
        };
        for i in asked {
            let (_, vpc, _) = split_assoc(&i.id)?;
            if let Some(v) = detail.vpcs.iter().find(|v| v.vpc_id() == Some(vpc)) {
                let region = v.vpc_region().map(|r| r.as_str()).unwrap_or(p.region());
                let mut value = assoc_value(zone, vpc, region);
                if let (Value::Map(m), Some(acct)) =
                    (&mut value, i.prior.get("owning_account").as_str())
                {
                    m.insert("owning_account".into(), Value::string(acct));
                }
                out.insert(i.id.clone(), value);
            }
        }
    }
    Ok(out)
}

fn assoc_args(c: &Value, region: &str) -> Result<(String, String, String), ProviderError> {
    let zone = get_str(c, "zone_id").ok_or_else(|| missing(ASSOC, "zone_id"))?;
    let vpc = get_str(c, "vpc_id").ok_or_else(|| missing(ASSOC, "vpc_id"))?;
    let region = get_str(c, "vpc_region").unwrap_or(region);
    Ok((
        short_id(zone).to_string(),
        vpc.to_string(),
        region.to_string(),
    ))
}

pub(crate) async fn create_association(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let (zone, vpc, region) = assoc_args(&req.config, p.region())?;
    let target = Vpc::builder()
        .vpc_id(&vpc)
        .vpc_region(VpcRegion::from(region.as_str()))
        .build();
    p.call("route53:AssociateVPCWithHostedZone", || {
        p.route53()
            .associate_vpc_with_hosted_zone()
            .hosted_zone_id(&zone)
            .vpc(target.clone())
            .send()
    })
    .await?;
    Ok(assoc_value(&zone, &vpc, &region))
}

pub(crate) async fn delete_association(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    let (zone, vpc, region) = split_assoc(id)?;
    let region = region
        .or_else(|| get_str(prior, "vpc_region"))
        .unwrap_or(p.region())
        .to_string();
    let target = Vpc::builder()
        .vpc_id(vpc)
        .vpc_region(VpcRegion::from(region.as_str()))
        .build();
    match p
        .call("route53:DisassociateVPCFromHostedZone", || {
            p.route53()
                .disassociate_vpc_from_hosted_zone()
                .hosted_zone_id(zone)
                .vpc(target.clone())
                .send()
        })
        .await
    {
        Err(e)
            if !is_not_found(&e) && !crate::errors::has_code(&e, &["VPCAssociationNotFound"]) =>
        {
            Err(e)
        }
        _ => Ok(()),
    }
}

pub(crate) async fn adopt_association(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let (zone, vpc, region) = assoc_args(&req.config, p.region())?;
    Ok(zone_detail(p, &zone)
        .await?
        .filter(|d| d.vpcs.iter().any(|v| v.vpc_id() == Some(vpc.as_str())))
        .map(|_| assoc_value(&zone, &vpc, &region)))
}

// ---- reusable delegation sets ----

/// The CallerReference of a create: `reference_name` (Terraform's prefix) and the token,
/// at most 128 characters, the same on every rerun of the intent.
fn caller_reference(req: &CreateRequest) -> String {
    let prefix = get_str(&req.config, "reference_name").unwrap_or("infra");
    format!("{prefix}-{}", req.token)
        .chars()
        .take(128)
        .collect()
}

fn set_value(d: &DelegationSet, prior: Option<&Value>) -> Option<(String, Value)> {
    let id = short_id(d.id()?).to_string();
    let reference = prior
        .map(|p| p.get("reference_name").clone())
        .unwrap_or(Value::Null);
    Some((
        id.clone(),
        Value::map([
            ("id", Value::string(&id)),
            (
                "arn",
                Value::string(format!("arn:aws:route53:::delegationset/{id}")),
            ),
            ("reference_name", reference),
            ("caller_reference", opt(d.caller_reference())),
            (
                "name_servers",
                strings(d.name_servers().iter().map(String::as_str)),
            ),
        ]),
    ))
}

async fn list_sets(p: &AwsProvider) -> Result<Vec<DelegationSet>, ProviderError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = p
            .call("route53:ListReusableDelegationSets", || {
                p.route53()
                    .list_reusable_delegation_sets()
                    .set_marker(marker.clone())
                    .send()
            })
            .await?;
        out.extend(page.delegation_sets().iter().cloned());
        match page.next_marker() {
            Some(m) if page.is_truncated() && !m.is_empty() => marker = Some(m.to_string()),
            _ => return Ok(out),
        }
    }
}

pub(crate) async fn read_sets(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: BTreeMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    Ok(list_sets(p)
        .await?
        .iter()
        .filter_map(|d| {
            let id = short_id(d.id()?);
            set_value(d, Some(priors.get(id)?))
        })
        .collect())
}

pub(crate) async fn create_set(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let reference = caller_reference(req);
    let out = p
        .call("route53:CreateReusableDelegationSet", || {
            p.route53()
                .create_reusable_delegation_set()
                .caller_reference(&reference)
                .send()
        })
        .await?;
    out.delegation_set()
        .and_then(|d| set_value(d, Some(&req.config)))
        .map(|(_, v)| v)
        .ok_or_else(|| other("CreateReusableDelegationSet returned no delegation set"))
}

pub(crate) async fn delete_set(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    match p
        .call("route53:DeleteReusableDelegationSet", || {
            p.route53().delete_reusable_delegation_set().id(id).send()
        })
        .await
    {
        Err(e) if !is_not_found(&e) => Err(e),
        _ => Ok(()),
    }
}

pub(crate) async fn adopt_set(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let reference = caller_reference(req);
    Ok(list_sets(p)
        .await?
        .iter()
        .find(|d| d.caller_reference() == Some(reference.as_str()))
        .and_then(|d| set_value(d, Some(&req.config)))
        .map(|(_, v)| v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn association_ids_are_terraforms() {
        assert_eq!(split_assoc("Z1:vpc-1").unwrap(), ("Z1", "vpc-1", None));
        assert_eq!(
            split_assoc("Z1:vpc-1:eu-west-1").unwrap(),
            ("Z1", "vpc-1", Some("eu-west-1"))
        );
        let e = split_assoc("Z1").unwrap_err();
        assert!(e.message.contains("<zone id>:<vpc id>"), "{e}");
    }
}
