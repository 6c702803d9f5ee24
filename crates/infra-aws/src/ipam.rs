//! VPC IP Address Manager: `aws_vpc_ipam` (operating regions, description, tier and tags
//! change in place; CreateIpam makes the private and public default scopes the pools name)
//! and `aws_vpc_ipam_pool` (description, allocation rules, allocation resource tags,
//! auto-import and tags change in place; the rest forces a new pool). Ids are AWS's
//! (`ipam-…`, `ipam-pool-…`), which are also Terraform's import ids.
//!
//! A refresh reads every IPAM with one paginated DescribeIpams and every pool with one
//! paginated DescribeIpamPools (an id list would fail the whole call when one is gone).
//! Creates send the intent's token as ClientToken and the `infra:*` tags; a create whose
//! answer was lost is found again by those tags. Both settle asynchronously on AWS
//! (`create-in-progress`, `modify-in-progress`, `delete-in-progress`): each write waits.
//! `cascade` is sent with the delete only.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ec2::types::{
    AddIpamOperatingRegion, AddressFamily, Filter, Ipam, IpamPool, IpamPoolAwsService,
    IpamPoolPublicIpSource, IpamTier, RemoveIpamOperatingRegion, RequestIpamResourceTag,
    ResourceType,
};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::missing;
use crate::util::{
    get_bool, get_i64, get_str, infra_filters, opt, put_tags, tag_spec, update_tags,
};
use crate::AwsProvider;

pub(crate) const IPAM: &str = "aws_vpc_ipam";
pub(crate) const POOL: &str = "aws_vpc_ipam_pool";

fn number(n: Option<i32>) -> Value {
    n.map(|n| Value::Number(f64::from(n)))
        .unwrap_or(Value::Null)
}

fn int(v: &Value, key: &str) -> Option<i32> {
    get_i64(v, key).and_then(|n| i32::try_from(n).ok())
}

/// A state that says the object is being deleted or is gone.
fn deleting(state: Option<&str>) -> bool {
    state.is_some_and(|s| s.starts_with("delete") || s == "isolate-complete")
}

/// Wait until `state` of the object (None: not found) leaves `…-in-progress`; a `…-failed`
/// state is an error naming AWS's message.
async fn settle<F, Fut>(p: &AwsProvider, what: String, state: F) -> Result<(), ProviderError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<Option<(String, Option<String>)>, ProviderError>>,
{
    p.poll(&what, || async {
        let Some((state, message)) = state().await? else {
            return Ok(Some(()));
        };
        if state.ends_with("-failed") {
            return Err(ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "{what} is `{state}`: {}",
                    message.as_deref().unwrap_or("AWS gave no reason")
                ),
            ));
        }
        Ok((!state.ends_with("-in-progress")).then_some(()))
    })
    .await
}

// ---- IPAM ----

async fn describe_ipams(p: &AwsProvider, filters: Vec<Filter>) -> Result<Vec<Ipam>, ProviderError> {
    p.paginate(
        "ec2:DescribeIpams",
        |token| {
            p.ec2()
                .describe_ipams()
                .set_filters((!filters.is_empty()).then(|| filters.clone()))
                .max_results(1000)
                .set_next_token(token)
                .send()
        },
        |page| page.ipams(),
        |page| page.next_token(),
    )
    .await
}

fn ipam_value(i: &Ipam, prior: Option<&Value>) -> Option<(String, Value)> {
    let id = i.ipam_id()?.to_string();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("arn".into(), opt(i.ipam_arn()));
    m.insert("description".into(), opt(i.description()));
    m.insert(
        "tier".into(),
        Value::string(i.tier().map(|t| t.as_str()).unwrap_or("advanced")),
    );
    m.insert(
        "enable_private_gua".into(),
        Value::Bool(i.enable_private_gua().unwrap_or(false)),
    );
    m.insert(
        "metered_account".into(),
        opt(i.metered_account().map(|x| x.as_str())),
    );
    m.insert("scope_count".into(), number(i.scope_count()));
    m.insert(
        "private_default_scope_id".into(),
        opt(i.private_default_scope_id()),
    );
    m.insert(
        "public_default_scope_id".into(),
        opt(i.public_default_scope_id()),
    );
    m.insert(
        "default_resource_discovery_id".into(),
        opt(i.default_resource_discovery_id()),
    );
    m.insert(
        "default_resource_discovery_association_id".into(),
        opt(i.default_resource_discovery_association_id()),
    );
    let regions = i
        .operating_regions()
        .iter()
        .filter_map(|r| r.region_name())
        .map(|r| Value::map([("region_name", Value::string(r))]))
        .collect();
    m.insert("operating_regions".into(), Value::List(regions));
    // not an attribute of the IPAM: what the configuration says DeleteIpam sends
    m.insert(
        "cascade".into(),
        prior
            .map(|p| p.get("cascade").clone())
            .unwrap_or(Value::Null),
    );
    put_tags(&mut m, i.tags(), prior);
    Some((id, Value::Map(m)))
}

pub(crate) async fn read_ipams(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: HashMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    Ok(describe_ipams(p, vec![])
        .await?
        .iter()
        .filter(|i| !deleting(i.state().map(|s| s.as_str())))
        .filter_map(|i| {
            let prior = priors.get(i.ipam_id()?)?;
            ipam_value(i, Some(prior))
        })
        .collect())
}

async fn settle_ipam(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    settle(p, format!("IPAM {id}"), || async {
        let found = describe_ipams(p, vec![]).await?;
        Ok(found.iter().find(|i| i.ipam_id() == Some(id)).map(|i| {
            (
                i.state()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                i.state_message().map(str::to_string),
            )
        }))
    })
    .await
}

/// The configured operating regions, in order.
fn regions(config: &Value) -> Vec<String> {
    config
        .get("operating_regions")
        .as_list()
        .unwrap_or_default()
        .iter()
        .filter_map(|r| get_str(r, "region_name").map(str::to_string))
        .collect()
}

pub(crate) async fn create_ipam(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    let regions = regions(c);
    if !regions.iter().any(|r| r == p.region()) {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "{}: `operating_regions` must include the provider's region {} (add an `operating_regions {{ region_name = \"{}\" }}` block)",
                req.address,
                p.region(),
                p.region()
            ),
        ));
    }
    let add: Vec<AddIpamOperatingRegion> = regions
        .iter()
        .map(|r| AddIpamOperatingRegion::builder().region_name(r).build())
        .collect();
    let spec = tag_spec(ResourceType::Ipam, req);
    let out = p
        .call("ec2:CreateIpam", || {
            p.ec2()
                .create_ipam()
                .set_description(get_str(c, "description").map(str::to_string))
                .set_operating_regions(Some(add.clone()))
                .set_tier(get_str(c, "tier").map(IpamTier::from))
                .set_enable_private_gua(get_bool(c, "enable_private_gua").filter(|b| *b))
                .set_metered_account(get_str(c, "metered_account").map(Into::into))
                .client_token(&req.token)
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let id = out
        .ipam()
        .and_then(Ipam::ipam_id)
        .ok_or_else(|| ProviderError::new(ErrorKind::Other, "CreateIpam returned no id"))?
        .to_string();
    settle_ipam(p, &id).await?;
    p.read_back(IPAM, &id, c).await
}

pub(crate) async fn update_ipam(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let (old, new) = (regions(prior), regions(desired));
    let add: Vec<AddIpamOperatingRegion> = new
        .iter()
        .filter(|r| !old.contains(r))
        .map(|r| AddIpamOperatingRegion::builder().region_name(r).build())
        .collect();
    let remove: Vec<RemoveIpamOperatingRegion> = old
        .iter()
        .filter(|r| !new.contains(r))
        .map(|r| RemoveIpamOperatingRegion::builder().region_name(r).build())
        .collect();
    let changed = |k: &str| prior.get(k) != desired.get(k);
    let description = changed("description").then(|| {
        get_str(desired, "description")
            .unwrap_or_default()
            .to_string()
    });
    let tier = changed("tier")
        .then(|| get_str(desired, "tier").map(IpamTier::from))
        .flatten();
    let gua = changed("enable_private_gua")
        .then(|| get_bool(desired, "enable_private_gua") == Some(true));
    let metered = changed("metered_account")
        .then(|| get_str(desired, "metered_account").map(Into::into))
        .flatten();
    if !add.is_empty()
        || !remove.is_empty()
        || description.is_some()
        || tier.is_some()
        || gua.is_some()
        || metered.is_some()
    {
        p.call("ec2:ModifyIpam", || {
            p.ec2()
                .modify_ipam()
                .ipam_id(id)
                .set_description(description.clone())
                .set_add_operating_regions((!add.is_empty()).then(|| add.clone()))
                .set_remove_operating_regions((!remove.is_empty()).then(|| remove.clone()))
                .set_tier(tier.clone())
                .set_enable_private_gua(gua)
                .set_metered_account(metered.clone())
                .send()
        })
        .await?;
        settle_ipam(p, id).await?;
    }
    update_tags(p, id, prior, desired).await?;
    p.read_back(IPAM, id, desired).await
}

pub(crate) async fn delete_ipam(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    let cascade = get_bool(prior, "cascade").filter(|b| *b);
    match p
        .call("ec2:DeleteIpam", || {
            p.ec2()
                .delete_ipam()
                .ipam_id(id)
                .set_cascade(cascade)
                .send()
        })
        .await
    {
        Ok(_) => settle_ipam(p, id).await,
        Err(e) if crate::errors::is_not_found(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

pub(crate) async fn adopt_ipam(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let found: Vec<Ipam> = describe_ipams(p, infra_filters(req))
        .await?
        .into_iter()
        .filter(|i| !deleting(i.state().map(|s| s.as_str())))
        .collect();
    let found = crate::util::ours(found, req, Ipam::tags, Ipam::ipam_id);
    Ok(found
        .first()
        .and_then(|i| ipam_value(i, Some(&req.config)))
        .map(|(_, v)| v))
}

// ---- pools ----

async fn describe_pools(
    p: &AwsProvider,
    filters: Vec<Filter>,
) -> Result<Vec<IpamPool>, ProviderError> {
    p.paginate(
        "ec2:DescribeIpamPools",
        |token| {
            p.ec2()
                .describe_ipam_pools()
                .set_filters((!filters.is_empty()).then(|| filters.clone()))
                .max_results(1000)
                .set_next_token(token)
                .send()
        },
        |page| page.ipam_pools(),
        |page| page.next_token(),
    )
    .await
}

/// `arn:aws:ec2::ACCOUNT:ipam-scope/ipam-scope-…` -> `ipam-scope-…`
fn scope_id(arn: &str) -> Option<&str> {
    arn.split_once('/')
        .map(|(_, id)| id)
        .filter(|id| !id.is_empty())
}

fn pool_value(pool: &IpamPool, prior: Option<&Value>) -> Option<(String, Value)> {
    let id = pool.ipam_pool_id()?.to_string();
    let carried = |k: &str| prior.map(|p| p.get(k).clone()).unwrap_or(Value::Null);
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("arn".into(), opt(pool.ipam_pool_arn()));
    m.insert(
        "address_family".into(),
        opt(pool.address_family().map(|f| f.as_str())),
    );
    m.insert(
        "ipam_scope_id".into(),
        opt(pool.ipam_scope_arn().and_then(scope_id)),
    );
    m.insert(
        "ipam_scope_type".into(),
        opt(pool.ipam_scope_type().map(|t| t.as_str())),
    );
    m.insert(
        "allocation_default_netmask_length".into(),
        number(pool.allocation_default_netmask_length()),
    );
    m.insert(
        "allocation_max_netmask_length".into(),
        number(pool.allocation_max_netmask_length()),
    );
    m.insert(
        "allocation_min_netmask_length".into(),
        number(pool.allocation_min_netmask_length()),
    );
    let rtags: BTreeMap<String, Value> = pool
        .allocation_resource_tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), Value::string(t.value().unwrap_or("")))))
        .collect();
    m.insert("allocation_resource_tags".into(), Value::Map(rtags));
    m.insert(
        "auto_import".into(),
        Value::Bool(pool.auto_import().unwrap_or(false)),
    );
    m.insert(
        "aws_service".into(),
        opt(pool.aws_service().map(|s| s.as_str())),
    );
    m.insert("description".into(), opt(pool.description()));
    m.insert(
        "locale".into(),
        Value::string(pool.locale().unwrap_or("None")),
    );
    m.insert(
        "public_ip_source".into(),
        opt(pool.public_ip_source().map(|s| s.as_str())),
    );
    // AWS reports it for IPv6 pools only; otherwise what the configuration said
    m.insert(
        "publicly_advertisable".into(),
        match pool.publicly_advertisable() {
            Some(b) => Value::Bool(b),
            None => carried("publicly_advertisable"),
        },
    );
    m.insert(
        "source_ipam_pool_id".into(),
        opt(pool.source_ipam_pool_id()),
    );
    m.insert("pool_depth".into(), number(pool.pool_depth()));
    m.insert("state".into(), opt(pool.state().map(|s| s.as_str())));
    m.insert("cascade".into(), carried("cascade"));
    put_tags(&mut m, pool.tags(), prior);
    Some((id, Value::Map(m)))
}

pub(crate) async fn read_pools(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: HashMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    Ok(describe_pools(p, vec![])
        .await?
        .iter()
        .filter(|x| !deleting(x.state().map(|s| s.as_str())))
        .filter_map(|x| {
            let prior = priors.get(x.ipam_pool_id()?)?;
            pool_value(x, Some(prior))
        })
        .collect())
}

async fn settle_pool(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    settle(p, format!("IPAM pool {id}"), || async {
        let found = describe_pools(p, vec![]).await?;
        Ok(found
            .iter()
            .find(|x| x.ipam_pool_id() == Some(id))
            .map(|x| {
                (
                    x.state()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    x.state_message().map(str::to_string),
                )
            }))
    })
    .await
}

fn resource_tags(v: &Value) -> Vec<(String, String)> {
    v.as_map()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn request_tags(tags: &[(String, String)]) -> Vec<RequestIpamResourceTag> {
    tags.iter()
        .map(|(k, v)| RequestIpamResourceTag::builder().key(k).value(v).build())
        .collect()
}

/// Whether the IPAM scope `id` is a public one (DescribeIpamScopes).
async fn scope_is_public(p: &AwsProvider, id: &str) -> Result<bool, ProviderError> {
    let out = p
        .call("ec2:DescribeIpamScopes", || {
            p.ec2().describe_ipam_scopes().ipam_scope_ids(id).send()
        })
        .await?;
    Ok(out
        .ipam_scopes()
        .iter()
        .any(|s| s.ipam_scope_type().is_some_and(|t| t.as_str() == "public")))
}

pub(crate) async fn create_pool(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    let family = get_str(c, "address_family").ok_or_else(|| missing(POOL, "address_family"))?;
    let scope = get_str(c, "ipam_scope_id").ok_or_else(|| missing(POOL, "ipam_scope_id"))?;
    let locale = get_str(c, "locale").filter(|l| *l != "None");
    let public_ip_source = get_str(c, "public_ip_source");
    // AWS wants `publicly_advertisable` for an IPv6 pool of a public scope whose addresses
    // are brought (BYOIP; Terraform sends false when it is not set) and refuses it for
    // Amazon-provided ones: the scope's type decides, as in the Terraform provider
    let advertisable = match (get_bool(c, "publicly_advertisable"), public_ip_source) {
        (_, Some("amazon")) => None,
        (Some(b), _) => Some(b),
        (None, _) if family == "ipv6" && scope_is_public(p, scope).await? => Some(false),
        (None, _) => None,
    };
    let rtags = request_tags(&resource_tags(c.get("allocation_resource_tags")));
    let spec = tag_spec(ResourceType::IpamPool, req);
    let out = p
        .call("ec2:CreateIpamPool", || {
            p.ec2()
                .create_ipam_pool()
                .ipam_scope_id(scope)
                .address_family(AddressFamily::from(family))
                .set_locale(locale.map(str::to_string))
                .set_source_ipam_pool_id(get_str(c, "source_ipam_pool_id").map(str::to_string))
                .set_description(get_str(c, "description").map(str::to_string))
                .set_auto_import(get_bool(c, "auto_import").filter(|b| *b))
                .set_publicly_advertisable(advertisable)
                .set_allocation_min_netmask_length(int(c, "allocation_min_netmask_length"))
                .set_allocation_max_netmask_length(int(c, "allocation_max_netmask_length"))
                .set_allocation_default_netmask_length(int(c, "allocation_default_netmask_length"))
                .set_allocation_resource_tags((!rtags.is_empty()).then(|| rtags.clone()))
                .set_aws_service(get_str(c, "aws_service").map(IpamPoolAwsService::from))
                .set_public_ip_source(public_ip_source.map(IpamPoolPublicIpSource::from))
                .client_token(&req.token)
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let id = out
        .ipam_pool()
        .and_then(IpamPool::ipam_pool_id)
        .ok_or_else(|| ProviderError::new(ErrorKind::Other, "CreateIpamPool returned no id"))?
        .to_string();
    settle_pool(p, &id).await?;
    p.read_back(POOL, &id, c).await
}

pub(crate) async fn update_pool(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let changed = |k: &str| prior.get(k) != desired.get(k);
    let netmask = |k: &str| changed(k).then(|| int(desired, k)).flatten();
    let clear_default = changed("allocation_default_netmask_length")
        && desired.get("allocation_default_netmask_length").is_null();
    let (old, new) = (
        resource_tags(prior.get("allocation_resource_tags")),
        resource_tags(desired.get("allocation_resource_tags")),
    );
    let added: Vec<_> = new.iter().filter(|t| !old.contains(t)).cloned().collect();
    let removed: Vec<_> = old
        .iter()
        .filter(|(k, _)| !new.iter().any(|(n, _)| n == k))
        .cloned()
        .collect();
    let description = changed("description").then(|| {
        get_str(desired, "description")
            .unwrap_or_default()
            .to_string()
    });
    let auto_import =
        changed("auto_import").then(|| get_bool(desired, "auto_import") == Some(true));
    let send = description.is_some()
        || auto_import.is_some()
        || clear_default
        || !added.is_empty()
        || !removed.is_empty()
        || [
            "allocation_min_netmask_length",
            "allocation_max_netmask_length",
            "allocation_default_netmask_length",
        ]
        .iter()
        .any(|k| changed(k));
    if send {
        p.call("ec2:ModifyIpamPool", || {
            p.ec2()
                .modify_ipam_pool()
                .ipam_pool_id(id)
                .set_description(description.clone())
                .set_auto_import(auto_import)
                .set_allocation_min_netmask_length(netmask("allocation_min_netmask_length"))
                .set_allocation_max_netmask_length(netmask("allocation_max_netmask_length"))
                .set_allocation_default_netmask_length(netmask("allocation_default_netmask_length"))
                .set_clear_allocation_default_netmask_length(clear_default.then_some(true))
                .set_add_allocation_resource_tags((!added.is_empty()).then(|| request_tags(&added)))
                .set_remove_allocation_resource_tags(
                    (!removed.is_empty()).then(|| request_tags(&removed)),
                )
                .send()
        })
        .await?;
        settle_pool(p, id).await?;
    }
    update_tags(p, id, prior, desired).await?;
    p.read_back(POOL, id, desired).await
}

pub(crate) async fn delete_pool(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    let cascade = get_bool(prior, "cascade").filter(|b| *b);
    match p
        .call("ec2:DeleteIpamPool", || {
            p.ec2()
                .delete_ipam_pool()
                .ipam_pool_id(id)
                .set_cascade(cascade)
                .send()
        })
        .await
    {
        Ok(_) => settle_pool(p, id).await,
        Err(e) if crate::errors::is_not_found(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

pub(crate) async fn adopt_pool(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let found: Vec<IpamPool> = describe_pools(p, infra_filters(req))
        .await?
        .into_iter()
        .filter(|x| !deleting(x.state().map(|s| s.as_str())))
        .collect();
    let found = crate::util::ours(found, req, IpamPool::tags, IpamPool::ipam_pool_id);
    Ok(found
        .first()
        .and_then(|x| pool_value(x, Some(&req.config)))
        .map(|(_, v)| v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scope_id_is_the_last_part_of_its_arn() {
        assert_eq!(
            scope_id("arn:aws:ec2::123456789012:ipam-scope/ipam-scope-0abc"),
            Some("ipam-scope-0abc")
        );
        assert_eq!(scope_id("ipam-scope-0abc"), None);
    }

    #[test]
    fn delete_states_count_as_gone() {
        assert!(deleting(Some("delete-in-progress")));
        assert!(deleting(Some("delete-complete")));
        assert!(!deleting(Some("create-complete")));
        assert!(!deleting(None));
    }
}
