//! `aws_route53_record`, with a per-zone batcher.
//!
//! The engine creates, updates and deletes one record at a time, concurrently. Changes to
//! the same zone that arrive within [`WINDOW`] of each other go out in one
//! ChangeResourceRecordSets call: the first caller for a zone waits until no change has
//! joined for the window (at most [`MAX_WINDOW`]), takes every change queued by then and
//! sends them together; every caller gets its own result. When AWS rejects a batch
//! (it is atomic), each change is retried alone so only the bad one fails.
//!
//! A refresh reads each zone with one paginated ListResourceRecordSets scan, whatever the
//! number of records. Ids are Terraform's: `<zone_id>_<fqdn>_<TYPE>[_<set_identifier>]`.

use std::collections::BTreeMap;

use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ResourceRecord, ResourceRecordSet,
    ResourceRecordSetFailover, RrType,
};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{has_code, missing};
use crate::route53::{norm_name, short_id};
use crate::route53_batch::{send, submit, MAX_CHANGES};
use crate::util::{first_block, get_bool, get_i64, get_str, get_strings, opt};
use crate::AwsProvider;

const TYPE: &str = "aws_route53_record";

// ---- names, ids, values ----

async fn zone_name(p: &AwsProvider, zone: &str) -> Result<String, ProviderError> {
    let mut names = p.records().zone_names.lock().await;
    if let Some(n) = names.get(zone) {
        return Ok(n.clone());
    }
    let out = p
        .call("route53:GetHostedZone", || {
            p.route53().get_hosted_zone().id(zone).send()
        })
        .await?;
    let name = out
        .hosted_zone()
        .map(|z| norm_name(z.name()))
        .ok_or_else(|| ProviderError::not_found(format!("hosted zone {zone} not found")))?;
    names.insert(zone.to_string(), name.clone());
    Ok(name)
}

/// The record's FQDN: `name` as is when it is inside the zone, else `name.zone`.
pub fn expand_name(name: &str, zone: &str) -> String {
    let (n, z) = (norm_name(name), norm_name(zone));
    if n == z || n.ends_with(&format!(".{z}")) {
        n
    } else {
        format!("{n}.{z}")
    }
}

pub fn record_id(zone: &str, fqdn: &str, ty: &str, set_id: Option<&str>) -> String {
    let mut id = format!("{zone}_{fqdn}_{ty}");
    if let Some(s) = set_id.filter(|s| !s.is_empty()) {
        id.push('_');
        id.push_str(s);
    }
    id
}

/// The zone of a record id (zone ids have no underscore).
fn zone_of_id(id: &str) -> &str {
    id.split('_').next().unwrap_or(id)
}

fn key(fqdn: &str, ty: &str, set_id: Option<&str>) -> (String, String, String) {
    (
        norm_name(fqdn),
        ty.to_string(),
        set_id.unwrap_or("").to_string(),
    )
}

fn is_txt(ty: &str) -> bool {
    ty == "TXT" || ty == "SPF"
}

fn record_value(zone: &str, r: &ResourceRecordSet, prior: Option<&Value>) -> Value {
    let fqdn = norm_name(r.name());
    let ty = r.r#type().as_str();
    let name = match prior.and_then(|p| get_str(p, "name")) {
        Some(n) if norm_name(n) == fqdn || expand_name(n, "") == fqdn => n.to_string(),
        Some(n) if fqdn.starts_with(&format!("{}.", norm_name(n))) => n.to_string(),
        _ => fqdn.clone(),
    };
    let records: Vec<Value> = r
        .resource_records()
        .iter()
        .map(|rr| {
            let v = rr.value();
            let v = if is_txt(ty) && v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
                &v[1..v.len() - 1]
            } else {
                v
            };
            Value::string(v)
        })
        .collect();
    let alias: Vec<Value> = r
        .alias_target()
        .map(|a| {
            Value::map([
                ("name", Value::string(norm_name(a.dns_name()))),
                ("zone_id", Value::string(a.hosted_zone_id())),
                (
                    "evaluate_target_health",
                    Value::Bool(a.evaluate_target_health()),
                ),
            ])
        })
        .into_iter()
        .collect();
    let failover: Vec<Value> = r
        .failover()
        .map(|f| Value::map([("type", Value::string(f.as_str()))]))
        .into_iter()
        .collect();
    let weighted: Vec<Value> = r
        .weight()
        .map(|w| Value::map([("weight", Value::Number(w as f64))]))
        .into_iter()
        .collect();
    let mut m = BTreeMap::new();
    m.insert(
        "id".into(),
        Value::string(record_id(zone, &fqdn, ty, r.set_identifier())),
    );
    m.insert("zone_id".into(), Value::string(zone));
    m.insert("name".into(), Value::string(name));
    m.insert("fqdn".into(), Value::string(&fqdn));
    m.insert("type".into(), Value::string(ty));
    m.insert(
        "ttl".into(),
        r.ttl()
            .map(|t| Value::Number(t as f64))
            .unwrap_or(Value::Null),
    );
    m.insert("records".into(), Value::List(records));
    m.insert("set_identifier".into(), opt(r.set_identifier()));
    m.insert("health_check_id".into(), opt(r.health_check_id()));
    m.insert("alias".into(), Value::List(alias));
    m.insert("failover_routing_policy".into(), Value::List(failover));
    m.insert("weighted_routing_policy".into(), Value::List(weighted));
    Value::Map(m)
}

fn rejected(msg: String) -> ProviderError {
    ProviderError::new(ErrorKind::Rejected, msg)
}

/// The record set `v` describes, in zone `zone_name`.
fn record_set(v: &Value, zone_name: &str) -> Result<ResourceRecordSet, ProviderError> {
    let name = get_str(v, "name").ok_or_else(|| missing(TYPE, "name"))?;
    let ty = get_str(v, "type").ok_or_else(|| missing(TYPE, "type"))?;
    let records: Vec<ResourceRecord> = get_strings(v, "records")
        .into_iter()
        .map(|r| {
            let r = if is_txt(ty) && !r.starts_with('"') {
                format!("\"{r}\"")
            } else {
                r
            };
            ResourceRecord::builder()
                .value(r)
                .build()
                .map_err(|e| rejected(format!("{TYPE}: invalid record value: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let alias = first_block(v, "alias");
    let alias = if alias.is_null() {
        None
    } else {
        Some(
            AliasTarget::builder()
                .dns_name(get_str(alias, "name").unwrap_or_default())
                .hosted_zone_id(get_str(alias, "zone_id").unwrap_or_default())
                .evaluate_target_health(get_bool(alias, "evaluate_target_health").unwrap_or(false))
                .build()
                .map_err(|e| rejected(format!("{TYPE}: invalid alias block: {e}")))?,
        )
    };
    if alias.is_some() && !records.is_empty() {
        return Err(rejected(format!(
            "{TYPE} {name}: `alias` and `records` cannot both be set; keep one of them"
        )));
    }
    let failover = get_str(first_block(v, "failover_routing_policy"), "type");
    let weight = get_i64(first_block(v, "weighted_routing_policy"), "weight");
    if (failover.is_some() || weight.is_some()) && get_str(v, "set_identifier").is_none() {
        return Err(rejected(format!(
            "{TYPE} {name}: a failover or weighted record needs `set_identifier`; set one that is unique among the records of this name and type"
        )));
    }
    if let Some(f) = failover.filter(|f| !matches!(*f, "PRIMARY" | "SECONDARY")) {
        return Err(rejected(format!(
            "{TYPE} {name}: failover type `{f}` is not valid; use PRIMARY or SECONDARY"
        )));
    }
    if alias.is_none() && records.is_empty() {
        return Err(rejected(format!(
            "{TYPE} {name}: set `records` (with `ttl`) or an `alias` block"
        )));
    }
    if alias.is_none() && !get_i64(v, "ttl").is_some_and(|t| (0..=2_147_483_647).contains(&t)) {
        return Err(rejected(format!(
            "{TYPE} {name}: `ttl` must be set to a whole number of seconds (0 to 2147483647) when `records` are"
        )));
    }
    ResourceRecordSet::builder()
        .name(expand_name(name, zone_name))
        .r#type(RrType::from(ty))
        .set_ttl(if alias.is_some() {
            None
        } else {
            get_i64(v, "ttl")
        })
        .set_resource_records((!records.is_empty()).then_some(records))
        .set_alias_target(alias)
        .set_set_identifier(get_str(v, "set_identifier").map(str::to_string))
        .set_failover(failover.map(ResourceRecordSetFailover::from))
        .set_weight(weight)
        .set_health_check_id(get_str(v, "health_check_id").map(str::to_string))
        .build()
        .map_err(|e| rejected(format!("{TYPE} {name}: invalid record: {e}")))
}

fn change(action: ChangeAction, set: ResourceRecordSet) -> Result<Change, ProviderError> {
    Change::builder()
        .action(action)
        .resource_record_set(set)
        .build()
        .map_err(|e| ProviderError::new(ErrorKind::Other, format!("invalid change: {e}")))
}

// ---- reads ----

/// Every record set of a zone: one paginated scan.
async fn list_records(
    p: &AwsProvider,
    zone: &str,
) -> Result<Vec<ResourceRecordSet>, ProviderError> {
    let mut out = Vec::new();
    let mut next: Option<(String, RrType, Option<String>)> = None;
    loop {
        let start = next.clone();
        let page = p
            .call("route53:ListResourceRecordSets", || {
                let (name, ty, ident) = match start.clone() {
                    Some((n, t, i)) => (Some(n), Some(t), i),
                    None => (None, None, None),
                };
                p.route53()
                    .list_resource_record_sets()
                    .hosted_zone_id(zone)
                    .set_start_record_name(name)
                    .set_start_record_type(ty)
                    .set_start_record_identifier(ident)
                    .send()
            })
            .await?;
        out.extend(page.resource_record_sets().iter().cloned());
        match (
            page.is_truncated(),
            page.next_record_name(),
            page.next_record_type(),
        ) {
            (true, Some(n), Some(t)) => {
                next = Some((
                    n.to_string(),
                    t.clone(),
                    page.next_record_identifier().map(str::to_string),
                ))
            }
            _ => return Ok(out),
        }
    }
}

/// The record matching `prior` (or its id) among a zone's records.
fn find<'a>(
    sets: &'a [ResourceRecordSet],
    zone_name: &str,
    id: &str,
    prior: &Value,
) -> Option<&'a ResourceRecordSet> {
    let want = match (get_str(prior, "name"), get_str(prior, "type")) {
        (Some(n), Some(t)) => key(
            &expand_name(n, zone_name),
            t,
            get_str(prior, "set_identifier"),
        ),
        _ => {
            // no prior: match the id itself
            return sets.iter().find(|r| {
                record_id(
                    zone_of_id(id),
                    &norm_name(r.name()),
                    r.r#type().as_str(),
                    r.set_identifier(),
                ) == id
            });
        }
    };
    sets.iter()
        .find(|r| key(r.name(), r.r#type().as_str(), r.set_identifier()) == want)
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let mut by_zone: BTreeMap<String, Vec<&ReadRequest>> = BTreeMap::new();
    for i in items {
        let zone = get_str(&i.prior, "zone_id").unwrap_or_else(|| zone_of_id(&i.id));
        by_zone
            .entry(short_id(zone).to_string())
            .or_default()
            .push(i);
    }
    let mut out = BTreeMap::new();
    for (zone, reqs) in by_zone {
        let sets = match list_records(p, &zone).await {
            Ok(s) => s,
            Err(e) if e.kind == ErrorKind::NotFound => continue, // the zone is gone
            Err(e) => return Err(e),
        };
        let zone_name = sets
            .iter()
            .find(|r| r.r#type() == &RrType::Soa)
            .map(|r| norm_name(r.name()))
            .unwrap_or_default();
        p.records()
            .zone_names
            .lock()
            .await
            .insert(zone.clone(), zone_name.clone());
        for r in reqs {
            if let Some(set) = find(&sets, &zone_name, &r.id, &r.prior) {
                out.insert(r.id.clone(), record_value(&zone, set, Some(&r.prior)));
            }
        }
    }
    Ok(out)
}

// ---- writes ----

fn zone_arg(v: &Value) -> Result<String, ProviderError> {
    get_str(v, "zone_id")
        .map(|z| short_id(z).to_string())
        .ok_or_else(|| missing(TYPE, "zone_id"))
}

fn written(zone: &str, set: &ResourceRecordSet, desired: &Value) -> Value {
    record_value(zone, set, Some(desired))
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let zone = zone_arg(&req.config)?;
    let set = record_set(&req.config, &zone_name(p, &zone).await?)?;
    submit(p, &zone, change(ChangeAction::Create, set.clone())?).await?;
    Ok(written(&zone, &set, &req.config))
}

pub(crate) async fn update(
    p: &AwsProvider,
    _id: &str,
    _prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let zone = zone_arg(desired)?;
    let set = record_set(desired, &zone_name(p, &zone).await?)?;
    submit(p, &zone, change(ChangeAction::Upsert, set.clone())?).await?;
    Ok(written(&zone, &set, desired))
}

pub(crate) async fn delete(p: &AwsProvider, id: &str, prior: &Value) -> Result<(), ProviderError> {
    let zone = get_str(prior, "zone_id")
        .map(|z| short_id(z).to_string())
        .unwrap_or_else(|| zone_of_id(id).to_string());
    let name = match zone_name(p, &zone).await {
        Ok(n) => n,
        Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    // The DELETE must match the record exactly. The state holds what the last refresh
    // read, so that goes first and costs no read (a destroy of N records would otherwise
    // scan the zone N times); only a DELETE the zone refuses for other values looks the
    // record up as the zone holds it now.
    if let Ok(set) = record_set(prior, &name) {
        match submit(p, &zone, change(ChangeAction::Delete, set)?).await {
            Ok(()) => return Ok(()),
            Err(e) if has_code(&e, &["InvalidChangeBatch"]) && e.message.contains("not found") => {
                return Ok(())
            }
            Err(e) if has_code(&e, &["InvalidChangeBatch"]) => {
                tracing::debug!(record = id, error = %e, "the recorded values no longer match the zone's; looking the record up");
            }
            Err(e) => return Err(e),
        }
    }
    let sets = list_records(p, &zone).await?;
    let Some(set) = find(&sets, &name, id, prior).cloned() else {
        return Ok(());
    };
    match submit(p, &zone, change(ChangeAction::Delete, set)?).await {
        Err(e) if has_code(&e, &["InvalidChangeBatch"]) && e.message.contains("not found") => {
            Ok(())
        }
        other => other,
    }
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let zone = zone_arg(&req.config)?;
    let name = zone_name(p, &zone).await?;
    let sets = list_records(p, &zone).await?;
    Ok(find(&sets, &name, "", &req.config).map(|s| record_value(&zone, s, Some(&req.config))))
}

/// Delete every record but the zone's own SOA and NS (`force_destroy`), in one batch.
pub(crate) async fn delete_all_records(p: &AwsProvider, zone: &str) -> Result<(), ProviderError> {
    let sets = list_records(p, zone).await?;
    let apex = sets
        .iter()
        .find(|r| r.r#type() == &RrType::Soa)
        .map(|r| norm_name(r.name()))
        .unwrap_or_default();
    let changes: Vec<Change> = sets
        .into_iter()
        .filter(|r| {
            !(norm_name(r.name()) == apex && matches!(r.r#type(), RrType::Soa | RrType::Ns))
        })
        .map(|r| change(ChangeAction::Delete, r))
        .collect::<Result<_, _>>()?;
    for chunk in changes.chunks(MAX_CHANGES) {
        send(p, zone, chunk.to_vec()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_expand_into_the_zone_and_ids_are_terraforms() {
        assert_eq!(expand_name("www", "example.com."), "www.example.com");
        assert_eq!(
            expand_name("WWW.example.com.", "example.com"),
            "www.example.com"
        );
        assert_eq!(expand_name("example.com", "example.com"), "example.com");
        assert_eq!(
            record_id("Z1", "www.example.com", "A", Some("primary")),
            "Z1_www.example.com_A_primary"
        );
        assert_eq!(record_id("Z1", "a.b", "CNAME", None), "Z1_a.b_CNAME");
        assert_eq!(zone_of_id("Z1_a_b.c_A"), "Z1");
    }

    #[test]
    fn failover_without_set_identifier_and_records_without_ttl_are_rejected() {
        let base = |extra: Vec<(&str, Value)>| {
            let mut m = vec![
                ("name", Value::string("www")),
                ("type", Value::string("A")),
                ("records", Value::List(vec![Value::string("1.2.3.4")])),
            ];
            m.extend(extra);
            Value::map(m)
        };
        let fo = base(vec![
            ("ttl", Value::Number(60.0)),
            (
                "failover_routing_policy",
                Value::List(vec![Value::map([("type", Value::string("PRIMARY"))])]),
            ),
        ]);
        let e = record_set(&fo, "example.com").unwrap_err();
        assert!(e.message.contains("set_identifier"), "{e}");
        let e = record_set(&base(vec![]), "example.com").unwrap_err();
        assert!(e.message.contains("`ttl`"), "{e}");
        assert!(record_set(&base(vec![("ttl", Value::Number(60.0))]), "example.com").is_ok());
    }

    #[test]
    fn alias_and_records_together_are_rejected() {
        let v = Value::map([
            ("name", Value::string("www")),
            ("type", Value::string("A")),
            ("records", Value::List(vec![Value::string("1.2.3.4")])),
            (
                "alias",
                Value::List(vec![Value::map([
                    ("name", Value::string("lb.example.com")),
                    ("zone_id", Value::string("Z2")),
                    ("evaluate_target_health", Value::Bool(true)),
                ])]),
            ),
        ]);
        let e = record_set(&v, "example.com").unwrap_err();
        assert!(e.message.contains("cannot both be set"), "{e}");
    }
}
