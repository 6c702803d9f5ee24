//! `aws_cloudwatch_event_rule`: an EventBridge rule. The id is Terraform's: the rule's
//! name on the default bus, `BUS/NAME` on another (also the import id).
//!
//! A refresh is one paginated ListRules per event bus (narrowed by the names' common
//! prefix) and one ListTagsForResource per rule found (the API has no batched tag read).
//! PutRule creates and changes a rule (it replaces every setting it is given, so an update
//! sends them all); tags change by TagResource / UntagResource; the name and bus force a
//! new rule. PutRule is an upsert, so a lost answer is simply sent again; adoption after a
//! kill finds the rule by its name when it carries the request's `infra:*` tags.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_eventbridge::types::{Rule, RuleState, Tag};
use infra_model::policy::json_equivalent;
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{gone_is_done, has_code};
use crate::util::{
    create_tag_pairs, get_bool, get_str, name_or_prefixed, pairs_have_infra_tags, put_tag_pairs,
    tag_changes,
};
use crate::AwsProvider;

pub(crate) const RULE: &str = "aws_cloudwatch_event_rule";

pub(crate) const DEFAULT_BUS: &str = "default";

pub(crate) const NOT_FOUND: &[&str] = &["ResourceNotFoundException"];

/// How long a condition AWS settles by itself is waited out.
const SETTLE: Duration = Duration::from_secs(120);

/// Terraform's id of a rule: its name on the default bus, `BUS/NAME` on another.
pub(crate) fn rule_id(bus: &str, name: &str) -> String {
    if bus.is_empty() || bus == DEFAULT_BUS {
        name.to_string()
    } else {
        format!("{bus}/{name}")
    }
}

/// The bus and name of a rule's id (a bus may be an ARN, with `/` in it: the name is what
/// follows the last one).
pub(crate) fn parse_rule_id(id: &str) -> (&str, &str) {
    match id.rsplit_once('/') {
        Some((bus, name)) if !bus.is_empty() => (bus, name),
        _ => (DEFAULT_BUS, id),
    }
}

/// A build error of the SDK (a required member missing) as the provider's error.
pub(crate) fn invalid(what: &str, e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new(ErrorKind::Rejected, format!("{what}: {e}"))
}

/// A list under a rule or bus that does not exist (any more): nothing.
pub(crate) fn gone_is_empty<T>(r: Result<Vec<T>, ProviderError>) -> Result<Vec<T>, ProviderError> {
    match r {
        Err(e) if has_code(&e, NOT_FOUND) => Ok(Vec::new()),
        r => r,
    }
}

/// The longest prefix every name shares.
fn common_prefix<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut it = names.into_iter();
    let Some(first) = it.next() else {
        return String::new();
    };
    let mut len = first.len();
    for n in it {
        len = first
            .char_indices()
            .zip(n.chars())
            .take_while(|((_, a), b)| a == b)
            .map(|((i, a), _)| i + a.len_utf8())
            .last()
            .unwrap_or(0)
            .min(len);
    }
    first[..len].to_string()
}

/// The rules of `bus` whose names start with `prefix`, one call per page.
async fn list(p: &AwsProvider, bus: &str, prefix: &str) -> Result<Vec<Rule>, ProviderError> {
    let prefix = (!prefix.is_empty()).then(|| prefix.to_string());
    let listed = p
        .paginate(
            "events:ListRules",
            |token| {
                p.events()
                    .list_rules()
                    .event_bus_name(bus)
                    .set_name_prefix(prefix.clone())
                    .set_next_token(token)
                    .send()
            },
            |page| page.rules(),
            |page| page.next_token(),
        )
        .await;
    gone_is_empty(listed)
}

async fn tags_of(p: &AwsProvider, arn: &str) -> Result<Vec<Tag>, ProviderError> {
    match p
        .call("events:ListTagsForResource", || {
            p.events().list_tags_for_resource().resource_arn(arn).send()
        })
        .await
    {
        Ok(out) => Ok(out.tags().to_vec()),
        Err(e) if has_code(&e, NOT_FOUND) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

fn to_value(r: &Rule, bus: &str, tags: &[Tag], prior: Option<&Value>) -> Value {
    let name = r.name().unwrap_or_default();
    let carried = |k: &str| match prior.map(|p| p.get(k)) {
        Some(Value::Unknown) | None => Value::Null,
        Some(v) => v.clone(),
    };
    let text = |s: Option<&str>| match s {
        Some(t) if !t.is_empty() => Value::string(t),
        _ => Value::Null,
    };
    // the service reformats the pattern: the prior's text when it is the same document
    let pattern = match (
        r.event_pattern(),
        prior.and_then(|p| get_str(p, "event_pattern")),
    ) {
        (Some(cloud), Some(old)) if json_equivalent(old, cloud) => Value::string(old),
        (cloud, _) => text(cloud),
    };
    let state = r.state().map_or("ENABLED", RuleState::as_str);
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(rule_id(bus, name)));
    m.insert("name".into(), Value::string(name));
    m.insert("name_prefix".into(), carried("name_prefix"));
    m.insert("arn".into(), text(r.arn()));
    m.insert("description".into(), text(r.description()));
    m.insert("event_pattern".into(), pattern);
    m.insert("schedule_expression".into(), text(r.schedule_expression()));
    m.insert("event_bus_name".into(), Value::string(bus));
    m.insert("state".into(), Value::string(state));
    m.insert("is_enabled".into(), Value::Bool(state != "DISABLED"));
    m.insert("role_arn".into(), text(r.role_arn()));
    m.insert(
        "force_destroy".into(),
        match carried("force_destroy") {
            Value::Null => Value::Bool(false),
            v => v,
        },
    );
    put_tag_pairs(&mut m, tags.iter().map(|t| (t.key(), t.value())), prior);
    Value::Map(m)
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    // by bus: the names asked for, and each one's id and prior
    let mut buses: BTreeMap<&str, HashMap<&str, (&str, &Value)>> = BTreeMap::new();
    for item in items {
        let (bus, name) = parse_rule_id(&item.id);
        buses
            .entry(bus)
            .or_default()
            .insert(name, (item.id.as_str(), &item.prior));
    }
    let mut out = BTreeMap::new();
    for (bus, wanted) in buses {
        let prefix = common_prefix(wanted.keys().copied());
        for r in list(p, bus, &prefix).await? {
            let Some((id, prior)) = r.name().and_then(|n| wanted.get(n)) else {
                continue;
            };
            let tags = match r.arn() {
                Some(arn) => tags_of(p, arn).await?,
                None => Vec::new(),
            };
            out.insert(id.to_string(), to_value(&r, bus, &tags, Some(prior)));
        }
    }
    Ok(out)
}

/// The rule's name: `name`, else `name_prefix` (or `terraform-`) and 26 characters of the
/// create's token (Terraform's unique suffix is as long).
fn name_of(req: &CreateRequest) -> String {
    name_or_prefixed(req, "terraform-", 64)
}

fn bus_of(config: &Value) -> &str {
    get_str(config, "event_bus_name").unwrap_or(DEFAULT_BUS)
}

/// The state to send: `state` when given, else from the deprecated `is_enabled`. An update
/// whose `is_enabled` changed while `state` did not follows `is_enabled`.
fn state_of(prior: Option<&Value>, desired: &Value) -> RuleState {
    let flag = get_bool(desired, "is_enabled");
    let from_flag = |on: bool| if on { "ENABLED" } else { "DISABLED" };
    let state = match (prior, get_str(desired, "state"), flag) {
        (Some(p), Some(s), Some(on))
            if get_str(p, "state") == Some(s) && get_bool(p, "is_enabled") != Some(on) =>
        {
            from_flag(on)
        }
        (_, Some(s), _) => s,
        (_, None, Some(on)) => from_flag(on),
        (_, None, None) => "ENABLED",
    };
    RuleState::from(state)
}

/// Whether `e` is the ValidationException whose message says `text` (EventBridge gives
/// these conditions no code of their own).
fn says(e: &ProviderError, text: &str) -> bool {
    has_code(e, &["ValidationException"]) && e.message.contains(text)
}

/// `send` again while it fails with a ValidationException saying `text` (a condition that
/// passes on AWS after a while: an IAM role not assumable yet, targets still being
/// removed), for up to two minutes (Terraform's propagation timeout); then its error.
pub(crate) async fn until_settled<T, F, Fut>(
    what: &str,
    text: &str,
    send: F,
) -> Result<T, ProviderError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, ProviderError>>,
{
    let limit = infra_provider::step_timeout().unwrap_or(SETTLE).min(SETTLE);
    let started = std::time::Instant::now();
    let mut delay = Duration::from_millis(500);
    loop {
        match send().await {
            Err(e) if says(&e, text) && started.elapsed() + delay < limit => {
                tracing::info!(what, error = %e, "not settled yet; trying again");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            r => return r,
        }
    }
}

/// One PutRule with every setting of `config` (tags only when given: on create).
async fn put(
    p: &AwsProvider,
    name: &str,
    config: &Value,
    state: RuleState,
    tags: Option<Vec<Tag>>,
) -> Result<(), ProviderError> {
    let s = |k: &str| get_str(config, k).map(str::to_string);
    // a role made just before is not assumable at once on AWS
    until_settled(
        &format!("rule {name}'s role"),
        "cannot be assumed by principal",
        || async {
            p.call("events:PutRule", || {
                p.events()
                    .put_rule()
                    .name(name)
                    .event_bus_name(bus_of(config))
                    .set_description(s("description"))
                    .set_event_pattern(s("event_pattern"))
                    .set_schedule_expression(s("schedule_expression"))
                    .set_role_arn(s("role_arn"))
                    .state(state.clone())
                    .set_tags(tags.clone())
                    .send()
            })
            .await
            .map(|_| ())
        },
    )
    .await
}

pub(crate) fn tag_list(
    pairs: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<Tag>, ProviderError> {
    pairs
        .into_iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| invalid("a rule's tag", e))
        })
        .collect()
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    if get_str(c, "event_pattern").is_none() && get_str(c, "schedule_expression").is_none() {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            "one of `event_pattern` or `schedule_expression` must be set",
        ));
    }
    let name = name_of(req);
    let tags = tag_list(create_tag_pairs(req))?;
    put(p, &name, c, state_of(None, c), Some(tags)).await?;
    p.read_back(RULE, &rule_id(bus_of(c), &name), c).await
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let (_, name) = parse_rule_id(id);
    let settings = [
        "description",
        "event_pattern",
        "schedule_expression",
        "role_arn",
        "state",
        "is_enabled",
    ];
    if settings.iter().any(|k| prior.get(k) != desired.get(k)) {
        put(p, name, desired, state_of(Some(prior), desired), None).await?;
    }
    let (removed, changed) = tag_changes(prior, desired);
    if !removed.is_empty() || !changed.is_empty() {
        let arn = get_str(prior, "arn").ok_or_else(|| {
            ProviderError::not_found(format!(
                "rule {id} has no ARN in the state; run again to refresh it"
            ))
        })?;
        if !removed.is_empty() {
            p.call("events:UntagResource", || {
                p.events()
                    .untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(removed.clone()))
                    .send()
            })
            .await?;
        }
        if !changed.is_empty() {
            let tags = tag_list(changed)?;
            p.call("events:TagResource", || {
                p.events()
                    .tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        }
    }
    p.read_back(RULE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str, prior: &Value) -> Result<(), ProviderError> {
    let (bus, name) = parse_rule_id(id);
    let force = get_bool(prior, "force_destroy") == Some(true);
    // targets just removed are still counted for a while on AWS
    let what = format!("rule {id}'s targets to be removed");
    until_settled(&what, "has targets", || async {
        let sent = p
            .call("events:DeleteRule", || {
                p.events()
                    .delete_rule()
                    .name(name)
                    .event_bus_name(bus)
                    .force(force)
                    .send()
            })
            .await;
        gone_is_done(sent, NOT_FOUND)
    })
    .await
}

/// What a create of `req` whose answer was lost made: the rule of its name on its bus, if
/// it carries the request's `infra:*` tags (the name alone could be anybody's); a rule
/// named from a prefix is looked for among the rules of the prefix (a state rebuild has no
/// token to make its name from), by the same tags.
pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let bus = bus_of(&req.config);
    // the name the token makes first, then every rule of the prefix (a state rebuild has
    // no token): the tags decide
    let name = name_of(req);
    let prefix = match get_str(&req.config, "name") {
        Some(n) => n,
        None => get_str(&req.config, "name_prefix").unwrap_or("terraform-"),
    };
    let mut candidates: Vec<Rule> = list(p, bus, prefix)
        .await?
        .into_iter()
        .filter(|r| get_str(&req.config, "name").is_none() || r.name() == Some(prefix))
        .collect();
    candidates.sort_by_key(|r| r.name() != Some(name.as_str()));
    for r in candidates {
        let id = rule_id(bus, r.name().unwrap_or_default());
        if req.known_ids.contains(&id) {
            continue;
        }
        let tags = match r.arn() {
            Some(arn) => tags_of(p, arn).await?,
            None => Vec::new(),
        };
        if pairs_have_infra_tags(tags.iter().map(|t| (t.key(), t.value())), req) {
            return Ok(Some(to_value(&r, bus, &tags, Some(&req.config))));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_terraforms() {
        assert_eq!(rule_id("default", "spot"), "spot");
        assert_eq!(rule_id("ops", "spot"), "ops/spot");
        assert_eq!(parse_rule_id("spot"), ("default", "spot"));
        assert_eq!(parse_rule_id("ops/spot"), ("ops", "spot"));
        assert_eq!(
            parse_rule_id("arn:aws:events:us-east-1:1:event-bus/ops/spot"),
            ("arn:aws:events:us-east-1:1:event-bus/ops", "spot")
        );
    }

    #[test]
    fn only_the_named_validation_errors_are_waited_out() {
        let e = |code: &str, text: &str| ProviderError {
            kind: ErrorKind::Rejected,
            code: Some(code.into()),
            message: text.into(),
            operation: None,
        };
        assert!(says(
            &e(
                "ValidationException",
                "Rule can't be deleted since it has targets."
            ),
            "has targets"
        ));
        assert!(!says(
            &e("ValidationException", "bad pattern"),
            "has targets"
        ));
        assert!(!says(&e("AccessDenied", "has targets"), "has targets"));
    }

    #[test]
    fn names_share_a_prefix() {
        assert_eq!(
            common_prefix(["HealthEvent-a", "HealthEvent-b"]),
            "HealthEvent-"
        );
        assert_eq!(common_prefix(["Spot", "Health"]), "");
        assert_eq!(common_prefix(["only"]), "only");
        assert_eq!(common_prefix(Vec::<&str>::new()), "");
    }

    #[test]
    fn state_follows_state_then_is_enabled() {
        let d = Value::map([("is_enabled", Value::Bool(false))]);
        assert_eq!(state_of(None, &d), RuleState::Disabled);
        assert_eq!(
            state_of(None, &Value::map([("x", Value::Null)])),
            RuleState::Enabled
        );
        let prior = Value::map([
            ("state", Value::string("DISABLED")),
            ("is_enabled", Value::Bool(false)),
        ]);
        // is_enabled turned on, state carried from the prior
        let d = Value::map([
            ("state", Value::string("DISABLED")),
            ("is_enabled", Value::Bool(true)),
        ]);
        assert_eq!(state_of(Some(&prior), &d), RuleState::Enabled);
        let d = Value::map([
            ("state", Value::string("ENABLED")),
            ("is_enabled", Value::Bool(false)),
        ]);
        assert_eq!(state_of(Some(&prior), &d), RuleState::Enabled);
    }
}
