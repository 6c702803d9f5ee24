//! `aws_network_acl`: a VPC's network ACL with its inline `ingress` / `egress` rules and
//! the subnets it applies to. Created tagged (with a ClientToken), its rules and subnet
//! associations follow the configuration in place; a rule block not written at all leaves
//! the rules to `aws_network_acl_rule` resources (the blocks are computed, as in
//! Terraform: an ACL with inline rules owns all of its rules, one without leaves them).
//! Deleting it first moves its subnets back to the VPC's default ACL (AWS refuses to
//! delete an ACL in use), as the Terraform provider does.
//!
//! The shared reads of this family live here too: [`describe_ids`] (one
//! DescribeNetworkAcls per 200 ACLs, for ACLs, rules and associations alike), the
//! association of a subnet ([`move_subnet`]) and a VPC's default ACL.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{Filter, IcmpTypeCode, NetworkAcl, PortRange, ResourceType, RuleAction};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{has_code, is_not_found, missing};
use crate::nacl_rules::{block_entries, plan, to_blocks, Entry};
use crate::util::{
    ec2_arn, filter, get_str, get_strings, id_chunks, infra_filters, opt, put_tags, tag_spec,
    update_tags,
};
use crate::AwsProvider;

pub(crate) const TYPE: &str = "aws_network_acl";

pub(crate) async fn describe(
    p: &AwsProvider,
    filters: Vec<Filter>,
    ids: Vec<String>,
) -> Result<Vec<NetworkAcl>, ProviderError> {
    p.paginate(
        "ec2:DescribeNetworkAcls",
        |token| {
            let b = p
                .ec2()
                .describe_network_acls()
                .set_filters((!filters.is_empty()).then(|| filters.clone()))
                .set_network_acl_ids((!ids.is_empty()).then(|| ids.clone()));
            // AWS takes no page size together with an id list
            let b = if ids.is_empty() {
                b.max_results(1000)
            } else {
                b
            };
            b.set_next_token(token).send()
        },
        |page| page.network_acls(),
        |page| page.next_token(),
    )
    .await
}

/// The id an "ACL not found" answer names (`... ID 'acl-123' does not exist`).
fn missing_id(e: &ProviderError) -> Option<String> {
    let start = e.message.find("'acl-")? + 1;
    let len = e.message[start..].find('\'')?;
    Some(e.message[start..start + len].to_string())
}

/// The ACLs with these ids that exist, read together with the other ACL reads of the
/// moment (`nacl_batch`: one call for ACLs, rules and associations of a refresh).
pub(crate) async fn describe_ids<'a>(
    p: &AwsProvider,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<NetworkAcl>, ProviderError> {
    crate::nacl_batch::read(p, ids.into_iter().map(str::to_string).collect()).await
}

/// The ACLs with these ids that exist: one DescribeNetworkAcls per 200 ids.
///
/// AWS has a `network-acl-id` filter, but the emulator does not implement it (it answers
/// InternalFailure); an id list works on both, and fails the whole call when one id is
/// gone, naming it: that id is dropped and the call sent again.
pub(crate) async fn describe_ids_now<'a>(
    p: &AwsProvider,
    ids: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<NetworkAcl>, ProviderError> {
    let mut out = Vec::new();
    for mut chunk in id_chunks(ids) {
        while !chunk.is_empty() {
            match describe(p, vec![], chunk.clone()).await {
                Ok(found) => {
                    out.extend(found);
                    break;
                }
                // the emulator answers with the route table's code for an ACL
                Err(e)
                    if is_not_found(&e)
                        || has_code(
                            &e,
                            &[
                                "InvalidNetworkAclID.NotFound",
                                "InvalidRouteTableID.NotFound",
                            ],
                        ) =>
                {
                    match missing_id(&e) {
                        Some(gone) if chunk.contains(&gone) => chunk.retain(|i| *i != gone),
                        // no id to drop: ask one by one
                        _ => {
                            for id in std::mem::take(&mut chunk) {
                                match describe(p, vec![], vec![id]).await {
                                    Ok(found) => out.extend(found),
                                    Err(e)
                                        if is_not_found(&e)
                                            || has_code(&e, &["InvalidRouteTableID.NotFound"]) => {}
                                    Err(e) => return Err(e),
                                }
                            }
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(out)
}

/// The entries of an ACL as AWS reports them, without the default deny-all entries.
pub(crate) fn entries(acl: &NetworkAcl) -> Vec<Entry> {
    acl.entries().iter().filter_map(Entry::from_sdk).collect()
}

/// The subnets an ACL applies to, sorted.
pub(crate) fn subnets(acl: &NetworkAcl) -> Vec<String> {
    let set: BTreeSet<String> = acl
        .associations()
        .iter()
        .filter_map(|a| a.subnet_id().map(str::to_string))
        .collect();
    set.into_iter().collect()
}

/// The attributes `aws_network_acl` and `aws_default_network_acl` share.
pub(crate) fn common_value(
    p: &AwsProvider,
    acl: &NetworkAcl,
    prior: Option<&Value>,
) -> Option<(String, BTreeMap<String, Value>)> {
    let id = acl.network_acl_id()?.to_string();
    let cloud = entries(acl);
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("vpc_id".into(), opt(acl.vpc_id()));
    m.insert("owner_id".into(), opt(acl.owner_id()));
    m.insert("arn".into(), ec2_arn(p, acl.owner_id(), "network-acl", &id));
    m.insert(
        "subnet_ids".into(),
        Value::List(subnets(acl).iter().map(Value::string).collect()),
    );
    m.insert("ingress".into(), to_blocks(&cloud, false, prior));
    m.insert("egress".into(), to_blocks(&cloud, true, prior));
    put_tags(&mut m, acl.tags(), prior);
    Some((id, m))
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
            common_value(p, a, prior).map(|(id, m)| (id, Value::Map(m)))
        })
        .collect())
}

fn i32_of(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Create (`replace` false) or replace one entry of ACL `id`.
async fn put_entry(
    p: &AwsProvider,
    id: &str,
    e: &Entry,
    replace: bool,
) -> Result<(), ProviderError> {
    let ports = matches!(e.protocol.as_str(), "6" | "17").then(|| {
        PortRange::builder()
            .from(i32_of(e.from))
            .to(i32_of(e.to))
            .build()
    });
    let icmp = matches!(e.protocol.as_str(), "1" | "58").then(|| {
        IcmpTypeCode::builder()
            .r#type(i32_of(e.icmp_type.unwrap_or(-1)))
            .code(i32_of(e.icmp_code.unwrap_or(-1)))
            .build()
    });
    let action = RuleAction::from(e.action.as_str());
    if replace {
        p.call("ec2:ReplaceNetworkAclEntry", || {
            p.ec2()
                .replace_network_acl_entry()
                .network_acl_id(id)
                .rule_number(i32_of(e.rule_no))
                .egress(e.egress)
                .protocol(&e.protocol)
                .rule_action(action.clone())
                .set_cidr_block(e.cidr.clone())
                .set_ipv6_cidr_block(e.ipv6.clone())
                .set_port_range(ports.clone())
                .set_icmp_type_code(icmp.clone())
                .send()
        })
        .await
        .map(|_| ())
    } else {
        let r = p
            .call("ec2:CreateNetworkAclEntry", || {
                p.ec2()
                    .create_network_acl_entry()
                    .network_acl_id(id)
                    .rule_number(i32_of(e.rule_no))
                    .egress(e.egress)
                    .protocol(&e.protocol)
                    .rule_action(action.clone())
                    .set_cidr_block(e.cidr.clone())
                    .set_ipv6_cidr_block(e.ipv6.clone())
                    .set_port_range(ports.clone())
                    .set_icmp_type_code(icmp.clone())
                    .send()
            })
            .await;
        // an attempt whose answer was lost made it
        crate::errors::unless_done(r).map(|_| ())
    }
}

pub(crate) async fn create_entry(
    p: &AwsProvider,
    id: &str,
    e: &Entry,
) -> Result<(), ProviderError> {
    put_entry(p, id, e, false).await
}

pub(crate) async fn delete_entry(
    p: &AwsProvider,
    id: &str,
    egress: bool,
    rule_no: i64,
) -> Result<(), ProviderError> {
    match p
        .call("ec2:DeleteNetworkAclEntry", || {
            p.ec2()
                .delete_network_acl_entry()
                .network_acl_id(id)
                .egress(egress)
                .rule_number(i32_of(rule_no))
                .send()
        })
        .await
    {
        Err(e) if is_not_found(&e) || has_code(&e, &["InvalidNetworkAclEntry.NotFound"]) => Ok(()),
        r => r.map(|_| ()),
    }
}

/// Bring the entries of ACL `id` from `cloud` to `wanted`: removed numbers first (a
/// renumbered rule frees its old number), then replaced, then new entries.
pub(crate) async fn sync_entries(
    p: &AwsProvider,
    id: &str,
    cloud: &[Entry],
    wanted: &[Entry],
) -> Result<(), ProviderError> {
    let c = plan(cloud, wanted);
    for e in &c.delete {
        delete_entry(p, id, e.egress, e.rule_no).await?;
    }
    for e in &c.replace {
        put_entry(p, id, e, true).await?;
    }
    for e in &c.create {
        put_entry(p, id, e, false).await?;
    }
    Ok(())
}

/// The association of `subnet` now: `(association id, ACL id)`.
async fn association_of(p: &AwsProvider, subnet: &str) -> Result<(String, String), ProviderError> {
    let holders = describe(p, vec![filter("association.subnet-id", [subnet])], vec![]).await?;
    holders
        .iter()
        .flat_map(|a| a.associations())
        .find(|a| a.subnet_id() == Some(subnet))
        .and_then(|a| {
            Some((
                a.network_acl_association_id()?.to_string(),
                a.network_acl_id()?.to_string(),
            ))
        })
        .ok_or_else(|| {
            ProviderError::not_found(format!(
                "subnet {subnet} has no network ACL association (does the subnet exist?)"
            ))
        })
}

/// Associate `subnet` with ACL `acl` (a subnet always has exactly one ACL: its current
/// association is replaced); the new association id. Already there: the current one.
///
/// A replace whose answer was lost may have been carried out, and then its association
/// id is gone (AWS answers NotFound, the emulator InternalError): it is never resent
/// blindly; the subnet's association is looked up again instead.
pub(crate) async fn move_subnet(
    p: &AwsProvider,
    subnet: &str,
    acl: &str,
) -> Result<String, ProviderError> {
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let (assoc, current) = association_of(p, subnet).await?;
        if current == acl {
            return Ok(assoc);
        }
        let r = p
            .call("ec2:ReplaceNetworkAclAssociation", || {
                p.ec2()
                    .replace_network_acl_association()
                    .association_id(&assoc)
                    .network_acl_id(acl)
                    .send()
            })
            .await;
        match r {
            Ok(out) => {
                return out.new_association_id().map(str::to_string).ok_or_else(|| {
                    ProviderError::new(
                        ErrorKind::Other,
                        "ReplaceNetworkAclAssociation returned no id",
                    )
                })
            }
            Err(e)
                if e.kind == ErrorKind::Transient && attempt < p.caller.policy().max_attempts =>
            {
                tracing::warn!(subnet, acl, error = %e, "moving a subnet failed and may have been carried out; looking again");
                tokio::time::sleep(p.caller.policy().backoff(attempt)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The default ACL of `vpc`.
pub(crate) async fn default_acl(p: &AwsProvider, vpc: &str) -> Result<String, ProviderError> {
    let found = describe(
        p,
        vec![filter("vpc-id", [vpc]), filter("default", ["true"])],
        vec![],
    )
    .await?;
    found
        .iter()
        .find(|a| a.is_default() == Some(true) && a.vpc_id() == Some(vpc))
        .and_then(|a| a.network_acl_id())
        .map(str::to_string)
        .ok_or_else(|| ProviderError::not_found(format!("VPC {vpc} has no default network ACL")))
}

/// Move `subnets` back to the default ACL of `vpc`; a subnet already gone is skipped.
pub(crate) async fn release_subnets(
    p: &AwsProvider,
    vpc: &str,
    subnets: &[String],
) -> Result<(), ProviderError> {
    if subnets.is_empty() {
        return Ok(());
    }
    let default = default_acl(p, vpc).await?;
    for s in subnets {
        match move_subnet(p, s, &default).await {
            Err(e) if is_not_found(&e) => {}
            r => {
                r?;
            }
        }
    }
    Ok(())
}

/// The entries `desired` asks for; a direction whose blocks are not known (computed:
/// no block written) keeps what `prior` has.
fn wanted_entries(prior: &Value, desired: &Value) -> Vec<Entry> {
    let mut out = Vec::new();
    for (key, egress) in [("ingress", false), ("egress", true)] {
        let from = if matches!(desired.get(key), Value::List(_)) {
            desired
        } else {
            prior
        };
        out.extend(
            block_entries(from)
                .into_iter()
                .filter(|e| e.egress == egress),
        );
    }
    out
}

/// Whether the configuration sets the list (a computed `subnet_ids` left out is unknown).
fn configured_subnets(v: &Value) -> Option<Vec<String>> {
    matches!(v.get("subnet_ids"), Value::List(_)).then(|| get_strings(v, "subnet_ids"))
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let vpc = get_str(&req.config, "vpc_id").ok_or_else(|| missing(TYPE, "vpc_id"))?;
    let spec = tag_spec(ResourceType::NetworkAcl, req);
    let out = p
        .call("ec2:CreateNetworkAcl", || {
            p.ec2()
                .create_network_acl()
                .vpc_id(vpc)
                .client_token(&req.token)
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let id = out
        .network_acl()
        .and_then(NetworkAcl::network_acl_id)
        .ok_or_else(|| ProviderError::new(ErrorKind::Other, "CreateNetworkAcl returned no id"))?
        .to_string();
    finish(p, &id, &[], &[], &req.config).await?;
    p.read_back(TYPE, &id, &req.config).await
}

/// Bring a new (or adopted) ACL's entries and subnets to the configuration.
async fn finish(
    p: &AwsProvider,
    id: &str,
    cloud: &[Entry],
    cloud_subnets: &[String],
    config: &Value,
) -> Result<(), ProviderError> {
    sync_entries(p, id, cloud, &block_entries(config)).await?;
    for s in configured_subnets(config).unwrap_or_default() {
        if !cloud_subnets.contains(&s) {
            move_subnet(p, &s, id).await?;
        }
    }
    Ok(())
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    sync_entries(
        p,
        id,
        &block_entries(prior),
        &wanted_entries(prior, desired),
    )
    .await?;
    if let Some(want) = configured_subnets(desired) {
        let have = get_strings(prior, "subnet_ids");
        for s in want.iter().filter(|s| !have.contains(s)) {
            move_subnet(p, s, id).await?;
        }
        let gone: Vec<String> = have.into_iter().filter(|s| !want.contains(s)).collect();
        if let Some(vpc) = get_str(prior, "vpc_id") {
            release_subnets(p, vpc, &gone).await?;
        }
    }
    update_tags(p, id, prior, desired).await?;
    p.read_back(TYPE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let Some(acl) = describe_ids(p, [id]).await?.into_iter().next() else {
        return Ok(());
    };
    if let Some(vpc) = acl.vpc_id() {
        release_subnets(p, vpc, &subnets(&acl)).await?;
    }
    p.settle(id, || async {
        p.call("ec2:DeleteNetworkAcl", || {
            p.ec2().delete_network_acl().network_acl_id(id).send()
        })
        .await
        .map(|_| ())
    })
    .await
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let found = crate::util::ours(
        describe(p, infra_filters(req), vec![]).await?,
        req,
        NetworkAcl::tags,
        NetworkAcl::network_acl_id,
    );
    let Some(acl) = found.first() else {
        return Ok(None);
    };
    let id = acl.network_acl_id().unwrap_or_default().to_string();
    // the create may have stopped before its rules and subnets were set: finish it
    let cloud = entries(acl);
    let wanted = block_entries(&req.config);
    let subnets_now = subnets(acl);
    let subnets_done = configured_subnets(&req.config)
        .unwrap_or_default()
        .iter()
        .all(|s| subnets_now.contains(s));
    if !plan(&cloud, &wanted).is_empty() || !subnets_done {
        finish(p, &id, &cloud, &subnets_now, &req.config).await?;
        return p.read_back(TYPE, &id, &req.config).await.map(Some);
    }
    Ok(common_value(p, acl, Some(&req.config)).map(|(_, m)| Value::Map(m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_missing_acl_is_read_from_the_not_found_message() {
        let aws = ProviderError::not_found("The networkAcl ID 'acl-0abc' does not exist");
        assert_eq!(missing_id(&aws).as_deref(), Some("acl-0abc"));
        let emulator = ProviderError::not_found("The routeTable ID 'acl-12345678' does not exist");
        assert_eq!(missing_id(&emulator).as_deref(), Some("acl-12345678"));
        assert_eq!(missing_id(&ProviderError::not_found("no such thing")), None);
    }
}
