//! `aws_route53_zone`, and the tag helpers Route53 resources share.
//!
//! Zones: one paginated ListHostedZones scan per refresh, tags with ListTagsForResources
//! (10 ids a call), GetHostedZone only for what the listing lacks (name servers of a zone
//! not seen before, the VPCs of a private zone). CallerReference is the idempotency token,
//! so adoption finds a zone by it.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_route53::types::{HostedZone, HostedZoneConfig, Tag, TagResourceType, Vpc, VpcRegion};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{is_not_found, missing};
use crate::util::{create_tag_pairs, get_bool, get_str, opt, put_tag_pairs, strings, tag_changes};
use crate::AwsProvider;

const ZONE: &str = "aws_route53_zone";

/// `/hostedzone/Z123` → `Z123`.
pub(crate) fn short_id(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

/// A DNS name as Route53 compares it: lowercase, no trailing dot, `\052` as `*`.
pub(crate) fn norm_name(name: &str) -> String {
    name.trim_end_matches('.')
        .replace("\\052", "*")
        .to_ascii_lowercase()
}

pub(crate) fn other(msg: impl Into<String>) -> ProviderError {
    ProviderError::new(ErrorKind::Other, msg)
}

// ---- tags (shared by zones and health checks) ----

pub(crate) async fn list_tags(
    p: &AwsProvider,
    kind: TagResourceType,
    ids: &[String],
) -> Result<HashMap<String, Vec<(String, String)>>, ProviderError> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(10) {
        let res = p
            .call("route53:ListTagsForResources", || {
                p.route53()
                    .list_tags_for_resources()
                    .resource_type(kind.clone())
                    .set_resource_ids(Some(chunk.to_vec()))
                    .send()
            })
            .await?;
        for set in res.resource_tag_sets() {
            let Some(id) = set.resource_id() else {
                continue;
            };
            let tags = set
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
                .collect();
            out.insert(id.to_string(), tags);
        }
    }
    Ok(out)
}

pub(crate) async fn change_tags(
    p: &AwsProvider,
    kind: TagResourceType,
    id: &str,
    removed: Vec<String>,
    changed: BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    if removed.is_empty() && changed.is_empty() {
        return Ok(());
    }
    // one call each: the emulator ignores RemoveTagKeys when AddTags is in the same call
    if !removed.is_empty() {
        p.call("route53:ChangeTagsForResource", || {
            p.route53()
                .change_tags_for_resource()
                .resource_type(kind.clone())
                .resource_id(id)
                .set_remove_tag_keys(Some(removed.clone()))
                .send()
        })
        .await?;
    }
    if changed.is_empty() {
        return Ok(());
    }
    let add: Vec<Tag> = changed
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    p.call("route53:ChangeTagsForResource", || {
        p.route53()
            .change_tags_for_resource()
            .resource_type(kind.clone())
            .resource_id(id)
            .set_add_tags(Some(add.clone()))
            .send()
    })
    .await
    .map(|_| ())
}

pub(crate) fn has_infra(tags: &[(String, String)], req: &CreateRequest) -> bool {
    crate::util::pairs_have_infra_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())), req)
}

// ---- zones ----

pub(crate) async fn list_zones(p: &AwsProvider) -> Result<Vec<HostedZone>, ProviderError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = p
            .call("route53:ListHostedZones", || {
                p.route53()
                    .list_hosted_zones()
                    .set_marker(marker.clone())
                    .send()
            })
            .await?;
        out.extend(page.hosted_zones().iter().cloned());
        match page.next_marker() {
            Some(m) if page.is_truncated() && !m.is_empty() => marker = Some(m.to_string()),
            _ => return Ok(out),
        }
    }
}

/// What only GetHostedZone tells: name servers and associated VPCs.
pub(crate) struct ZoneDetail {
    pub(crate) name_servers: Vec<String>,
    pub(crate) vpcs: Vec<Vpc>,
}

pub(crate) async fn zone_detail(
    p: &AwsProvider,
    id: &str,
) -> Result<Option<ZoneDetail>, ProviderError> {
    match p
        .call("route53:GetHostedZone", || {
            p.route53().get_hosted_zone().id(id).send()
        })
        .await
    {
        Ok(out) => Ok(Some(ZoneDetail {
            name_servers: out
                .delegation_set()
                .map(|d| d.name_servers().to_vec())
                .unwrap_or_default(),
            vpcs: out.vpcs().to_vec(),
        })),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

fn zone_value(
    z: &HostedZone,
    tags: &[(String, String)],
    detail: Option<&ZoneDetail>,
    prior: Option<&Value>,
) -> Value {
    let id = short_id(z.id()).to_string();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("zone_id".into(), Value::string(&id));
    m.insert(
        "arn".into(),
        Value::string(format!("arn:aws:route53:::hostedzone/{id}")),
    );
    // keep the configured spelling (trailing dot, case) when it is the same name
    let name = match prior.and_then(|p| get_str(p, "name")) {
        Some(n) if norm_name(n) == norm_name(z.name()) => n.to_string(),
        _ => norm_name(z.name()),
    };
    m.insert("name".into(), Value::string(name));
    m.insert(
        "comment".into(),
        Value::string(z.config().and_then(HostedZoneConfig::comment).unwrap_or("")),
    );
    m.insert(
        "force_destroy".into(),
        Value::Bool(
            prior
                .and_then(|p| get_bool(p, "force_destroy"))
                .unwrap_or(false),
        ),
    );
    let carried = |k: &str| prior.map(|p| p.get(k).clone()).unwrap_or(Value::Null);
    // a zone's delegation set never changes: carried from its create
    m.insert("delegation_set_id".into(), carried("delegation_set_id"));
    match detail {
        Some(d) => {
            m.insert(
                "name_servers".into(),
                strings(d.name_servers.iter().map(String::as_str)),
            );
            let vpcs = d
                .vpcs
                .iter()
                .map(|v| {
                    Value::map([
                        ("vpc_id", opt(v.vpc_id())),
                        ("vpc_region", opt(v.vpc_region().map(VpcRegion::as_str))),
                    ])
                })
                .collect();
            m.insert("vpc".into(), Value::List(vpcs));
        }
        None => {
            m.insert("name_servers".into(), carried("name_servers"));
            m.insert(
                "vpc".into(),
                match carried("vpc") {
                    Value::Null => Value::List(vec![]),
                    v => v,
                },
            );
        }
    }
    put_tag_pairs(
        &mut m,
        tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        prior,
    );
    Value::Map(m)
}

/// Values of listed zones, fetching tags in batches and details where needed.
async fn zones_with(
    p: &AwsProvider,
    zones: Vec<HostedZone>,
    priors: &HashMap<String, &Value>,
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let ids: Vec<String> = zones.iter().map(|z| short_id(z.id()).to_string()).collect();
    let tags = list_tags(p, TagResourceType::Hostedzone, &ids).await?;
    let mut out = BTreeMap::new();
    for z in &zones {
        let id = short_id(z.id()).to_string();
        let prior = priors.get(&id).copied();
        let private = z.config().is_some_and(HostedZoneConfig::private_zone);
        let known_ns = prior.is_some_and(|p| p.get("name_servers").as_list().is_some());
        let detail = if private || !known_ns {
            zone_detail(p, &id).await?
        } else {
            None
        };
        let t = tags.get(&id).cloned().unwrap_or_default();
        out.insert(id, zone_value(z, &t, detail.as_ref(), prior));
    }
    Ok(out)
}

pub(crate) async fn read_zones(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: HashMap<String, &Value> = items
        .iter()
        .map(|i| (short_id(&i.id).to_string(), &i.prior))
        .collect();
    let ours: Vec<HostedZone> = list_zones(p)
        .await?
        .into_iter()
        .filter(|z| priors.contains_key(short_id(z.id())))
        .collect();
    zones_with(p, ours, &priors).await
}

fn vpc_of(b: &Value, region: &str) -> Vpc {
    Vpc::builder()
        .set_vpc_id(get_str(b, "vpc_id").map(str::to_string))
        .vpc_region(VpcRegion::from(get_str(b, "vpc_region").unwrap_or(region)))
        .build()
}

fn vpc_blocks(v: &Value) -> Vec<Value> {
    v.get("vpc")
        .as_list()
        .map(<[Value]>::to_vec)
        .unwrap_or_default()
}

pub(crate) async fn create_zone(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    let name = get_str(c, "name").ok_or_else(|| missing(ZONE, "name"))?;
    let vpcs = vpc_blocks(c);
    let config = HostedZoneConfig::builder()
        .set_comment(get_str(c, "comment").map(str::to_string))
        .private_zone(!vpcs.is_empty())
        .build();
    let first = vpcs.first().map(|b| vpc_of(b, p.region()));
    let out = p
        .call("route53:CreateHostedZone", || {
            p.route53()
                .create_hosted_zone()
                .name(name)
                .caller_reference(&req.token)
                .hosted_zone_config(config.clone())
                .set_vpc(first.clone())
                .set_delegation_set_id(get_str(c, "delegation_set_id").map(str::to_string))
                .send()
        })
        .await?;
    let id = out
        .hosted_zone()
        .map(|z| short_id(z.id()).to_string())
        .ok_or_else(|| other("CreateHostedZone returned no hosted zone"))?;
    for b in vpcs.iter().skip(1) {
        associate(p, &id, vpc_of(b, p.region())).await?;
    }
    let tags = create_tag_pairs(req);
    change_tags(p, TagResourceType::Hostedzone, &id, vec![], tags).await?;
    p.read_back(ZONE, &id, c).await
}

async fn associate(p: &AwsProvider, id: &str, vpc: Vpc) -> Result<(), ProviderError> {
    p.call("route53:AssociateVPCWithHostedZone", || {
        p.route53()
            .associate_vpc_with_hosted_zone()
            .hosted_zone_id(id)
            .vpc(vpc.clone())
            .send()
    })
    .await
    .map(|_| ())
}

pub(crate) async fn update_zone(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    if get_str(prior, "comment") != get_str(desired, "comment") {
        p.call("route53:UpdateHostedZoneComment", || {
            p.route53()
                .update_hosted_zone_comment()
                .id(id)
                .comment(get_str(desired, "comment").unwrap_or(""))
                .send()
        })
        .await?;
    }
    let key = |b: &Value| get_str(b, "vpc_id").map(str::to_string);
    let old: Vec<Value> = vpc_blocks(prior);
    let new: Vec<Value> = vpc_blocks(desired);
    // associate first: a private zone must keep at least one VPC
    for b in new.iter().filter(|b| !old.iter().any(|o| key(o) == key(b))) {
        associate(p, id, vpc_of(b, p.region())).await?;
    }
    for b in old.iter().filter(|b| !new.iter().any(|n| key(n) == key(b))) {
        let vpc = vpc_of(b, p.region());
        p.call("route53:DisassociateVPCFromHostedZone", || {
            p.route53()
                .disassociate_vpc_from_hosted_zone()
                .hosted_zone_id(id)
                .vpc(vpc.clone())
                .send()
        })
        .await?;
    }
    let (removed, changed) = tag_changes(prior, desired);
    change_tags(p, TagResourceType::Hostedzone, id, removed, changed).await?;
    let mut next = desired.as_map().cloned().unwrap_or_default();
    next.insert("name_servers".into(), Value::Null); // refetch
    p.read_back(ZONE, id, &Value::Map(next)).await
}

pub(crate) async fn delete_zone(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    if get_bool(prior, "force_destroy") == Some(true) {
        crate::route53_records::delete_all_records(p, id).await?;
    }
    match p
        .call("route53:DeleteHostedZone", || {
            p.route53().delete_hosted_zone().id(id).send()
        })
        .await
    {
        Err(e) if !is_not_found(&e) => Err(e),
        _ => Ok(()),
    }
}

/// The zone an interrupted create of `req` made, found by its CallerReference (the
/// intent's token), finished as the create would have: the zone is made first, its further
/// VPC associations and its tags (`infra:*` included) come in later calls that a kill may
/// have cut off, so an adopted zone is brought to them before it is recorded.
pub(crate) async fn adopt_zone(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    if req.token.is_empty() {
        return find_tagged_zone(p, req).await;
    }
    let Some(zone) = list_zones(p)
        .await?
        .into_iter()
        .find(|z| z.caller_reference() == req.token)
    else {
        return Ok(None);
    };
    let id = short_id(zone.id()).to_string();
    finish_zone(p, req, &id).await?;
    let priors = HashMap::new();
    Ok(zones_with(p, vec![zone], &priors)
        .await?
        .into_values()
        .next()
        .map(|mut v| {
            // the configuration owns `tags`
            if let Value::Map(m) = &mut v {
                m.insert("tags".into(), req.config.get("tags").clone());
            }
            v
        }))
}

/// A zone found by its `infra:*` tags alone (no intent, hence no token: the state was
/// lost and is being rebuilt). Only zones of the configured name are looked at.
async fn find_tagged_zone(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let Some(name) = crate::util::get_str(&req.config, "name").map(norm_name) else {
        return Ok(None);
    };
    let zones: Vec<HostedZone> = list_zones(p)
        .await?
        .into_iter()
        .filter(|z| norm_name(z.name()) == name)
        .collect();
    let ids: Vec<String> = zones.iter().map(|z| short_id(z.id()).to_string()).collect();
    let tags = list_tags(p, TagResourceType::Hostedzone, &ids).await?;
    let Some(zone) = zones.into_iter().find(|z| {
        tags.get(short_id(z.id()))
            .is_some_and(|t| has_infra(t, req))
    }) else {
        return Ok(None);
    };
    let prior = req.config.clone();
    let id = short_id(zone.id()).to_string();
    let priors = HashMap::from([(id, &prior)]);
    Ok(zones_with(p, vec![zone], &priors)
        .await?
        .into_values()
        .next())
}

/// What [`create_zone`] does after CreateHostedZone, for a zone it may not have reached:
/// associate the configured VPCs it lacks and set the tags it lacks (never removing any).
async fn finish_zone(p: &AwsProvider, req: &CreateRequest, id: &str) -> Result<(), ProviderError> {
    let vpcs = vpc_blocks(&req.config);
    if vpcs.len() > 1 {
        if let Some(detail) = zone_detail(p, id).await? {
            for b in &vpcs {
                let want = get_str(b, "vpc_id");
                if !detail.vpcs.iter().any(|v| v.vpc_id() == want) {
                    associate(p, id, vpc_of(b, p.region())).await?;
                }
            }
        }
    }
    let have = list_tags(p, TagResourceType::Hostedzone, &[id.to_string()])
        .await?
        .remove(id)
        .unwrap_or_default();
    let lacking: BTreeMap<String, String> = create_tag_pairs(req)
        .into_iter()
        .filter(|(k, v)| !have.iter().any(|(hk, hv)| hk == k && hv == v))
        .collect();
    change_tags(p, TagResourceType::Hostedzone, id, vec![], lacking).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_normalize() {
        assert_eq!(short_id("/hostedzone/Z1ABC"), "Z1ABC");
        assert_eq!(short_id("Z1ABC"), "Z1ABC");
        assert_eq!(norm_name("\\052.Example.COM."), "*.example.com");
    }
}
