//! `aws_route53_health_check`: one ListHealthChecks scan per refresh, tags with
//! ListTagsForResources (10 ids a call); CallerReference is the idempotency token, so
//! adoption finds a check by it (and tags it if the kill came before its tags).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_route53::types::{HealthCheck, HealthCheckConfig, HealthCheckType, TagResourceType};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{is_not_found, missing};
use crate::route53::{change_tags, has_infra, list_tags, other};
use crate::util::{create_tag_pairs, get_i64, get_str, is_infra, opt, put_tag_pairs, tag_changes};
use crate::AwsProvider;

const CHECK: &str = "aws_route53_health_check";

async fn list_checks(p: &AwsProvider) -> Result<Vec<HealthCheck>, ProviderError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = p
            .call("route53:ListHealthChecks", || {
                p.route53()
                    .list_health_checks()
                    .set_marker(marker.clone())
                    .send()
            })
            .await?;
        out.extend(page.health_checks().iter().cloned());
        match page.next_marker() {
            Some(m) if page.is_truncated() && !m.is_empty() => marker = Some(m.to_string()),
            _ => return Ok(out),
        }
    }
}

fn check_value(h: &HealthCheck, tags: &[(String, String)], prior: Option<&Value>) -> Value {
    let c = h.health_check_config();
    let num = |n: Option<i32>| {
        n.map(|n| Value::Number(f64::from(n)))
            .unwrap_or(Value::Null)
    };
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(h.id()));
    m.insert(
        "arn".into(),
        Value::string(format!("arn:aws:route53:::healthcheck/{}", h.id())),
    );
    m.insert("type".into(), opt(c.map(|c| c.r#type().as_str())));
    m.insert(
        "fqdn".into(),
        opt(c.and_then(HealthCheckConfig::fully_qualified_domain_name)),
    );
    // the emulator renders an absent address as the text "None"
    m.insert(
        "ip_address".into(),
        opt(c
            .and_then(HealthCheckConfig::ip_address)
            .filter(|ip| *ip != "None")),
    );
    m.insert("port".into(), num(c.and_then(HealthCheckConfig::port)));
    m.insert(
        "resource_path".into(),
        opt(c.and_then(HealthCheckConfig::resource_path)),
    );
    m.insert(
        "failure_threshold".into(),
        num(c.and_then(HealthCheckConfig::failure_threshold)),
    );
    m.insert(
        "request_interval".into(),
        num(c.and_then(HealthCheckConfig::request_interval)),
    );
    put_tag_pairs(
        &mut m,
        tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        prior,
    );
    Value::Map(m)
}

async fn checks_with(
    p: &AwsProvider,
    checks: Vec<HealthCheck>,
    priors: &HashMap<&str, &Value>,
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let ids: Vec<String> = checks.iter().map(|h| h.id().to_string()).collect();
    let tags = list_tags(p, TagResourceType::Healthcheck, &ids).await?;
    Ok(checks
        .iter()
        .map(|h| {
            let t = tags.get(h.id()).cloned().unwrap_or_default();
            (
                h.id().to_string(),
                check_value(h, &t, priors.get(h.id()).copied()),
            )
        })
        .collect())
}

pub(crate) async fn read_checks(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: HashMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    let ours = list_checks(p)
        .await?
        .into_iter()
        .filter(|h| priors.contains_key(h.id()))
        .collect();
    checks_with(p, ours, &priors).await
}

fn int(v: &Value, k: &str) -> Option<i32> {
    get_i64(v, k).and_then(|n| i32::try_from(n).ok())
}

pub(crate) async fn create_check(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    let ty = get_str(c, "type").ok_or_else(|| missing(CHECK, "type"))?;
    let config = HealthCheckConfig::builder()
        .r#type(HealthCheckType::from(ty))
        .set_fully_qualified_domain_name(get_str(c, "fqdn").map(str::to_string))
        .set_ip_address(get_str(c, "ip_address").map(str::to_string))
        .set_port(int(c, "port"))
        .set_resource_path(get_str(c, "resource_path").map(str::to_string))
        .set_failure_threshold(int(c, "failure_threshold"))
        .set_request_interval(int(c, "request_interval"))
        .build()
        .map_err(|e| {
            ProviderError::new(
                ErrorKind::Rejected,
                format!("{CHECK}: invalid health check: {e}"),
            )
        })?;
    let out = p
        .call("route53:CreateHealthCheck", || {
            p.route53()
                .create_health_check()
                .caller_reference(&req.token)
                .health_check_config(config.clone())
                .send()
        })
        .await?;
    let id = out
        .health_check()
        .map(|h| h.id().to_string())
        .ok_or_else(|| other("CreateHealthCheck returned no health check"))?;
    change_tags(
        p,
        TagResourceType::Healthcheck,
        &id,
        vec![],
        create_tag_pairs(req),
    )
    .await?;
    p.read_back(CHECK, &id, c).await
}

pub(crate) async fn update_check(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let changed = |k: &str| prior.get(k) != desired.get(k);
    if [
        "fqdn",
        "ip_address",
        "port",
        "resource_path",
        "failure_threshold",
    ]
    .iter()
    .any(|k| changed(k))
    {
        p.call("route53:UpdateHealthCheck", || {
            p.route53()
                .update_health_check()
                .health_check_id(id)
                .set_fully_qualified_domain_name(get_str(desired, "fqdn").map(str::to_string))
                .set_ip_address(get_str(desired, "ip_address").map(str::to_string))
                .set_port(int(desired, "port"))
                .set_resource_path(get_str(desired, "resource_path").map(str::to_string))
                .set_failure_threshold(int(desired, "failure_threshold"))
                .send()
        })
        .await?;
    }
    let (removed, changed) = tag_changes(prior, desired);
    change_tags(p, TagResourceType::Healthcheck, id, removed, changed).await?;
    p.read_back(CHECK, id, desired).await
}

pub(crate) async fn delete_check(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    match p
        .call("route53:DeleteHealthCheck", || {
            p.route53().delete_health_check().health_check_id(id).send()
        })
        .await
    {
        Err(e) if !is_not_found(&e) => Err(e),
        _ => Ok(()),
    }
}

/// The check an interrupted create of `req` made, found by its CallerReference (the
/// intent's token). CreateHealthCheck and the ChangeTagsForResource that tags the check are
/// separate calls: a check the kill left untagged is still ours (the token says so) and is
/// tagged now, as the create would have; one tagged for another address is not adopted.
pub(crate) async fn adopt_check(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    if req.token.is_empty() {
        // no intent (the state is being rebuilt): found by its `infra:*` tags alone
        let checks = list_checks(p).await?;
        let ids: Vec<String> = checks.iter().map(|h| h.id().to_string()).collect();
        let tags = list_tags(p, TagResourceType::Healthcheck, &ids).await?;
        let Some(found) = checks
            .into_iter()
            .find(|h| tags.get(h.id()).is_some_and(|t| has_infra(t, req)))
        else {
            return Ok(None);
        };
        let prior = req.config.clone();
        let id = found.id().to_string();
        let priors: HashMap<&str, &Value> = HashMap::from([(id.as_str(), &prior)]);
        return Ok(checks_with(p, vec![found.clone()], &priors)
            .await?
            .into_values()
            .next());
    }
    let Some(found) = list_checks(p)
        .await?
        .into_iter()
        .find(|h| h.caller_reference() == req.token)
    else {
        return Ok(None);
    };
    let id = found.id().to_string();
    let have = list_tags(p, TagResourceType::Healthcheck, std::slice::from_ref(&id))
        .await?
        .remove(&id)
        .unwrap_or_default();
    if have.iter().any(|(k, _)| is_infra(k)) && !has_infra(&have, req) {
        return Ok(None);
    }
    let lacking: BTreeMap<String, String> = create_tag_pairs(req)
        .into_iter()
        .filter(|(k, v)| !have.iter().any(|(hk, hv)| hk == k && hv == v))
        .collect();
    change_tags(p, TagResourceType::Healthcheck, &id, vec![], lacking).await?;
    let prior = req.config.clone();
    let priors: HashMap<&str, &Value> = HashMap::from([(id.as_str(), &prior)]);
    Ok(checks_with(p, vec![found.clone()], &priors)
        .await?
        .into_values()
        .next())
}
