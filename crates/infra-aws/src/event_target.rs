//! `aws_cloudwatch_event_target`: a target of an EventBridge rule. The id is Terraform's,
//! `RULE-TARGETID` on the default bus and `BUS-RULE-TARGETID` on another; it cannot be
//! parsed (`-` is allowed in every part), so reads find the target from the state's
//! `event_bus_name`, `rule` and `target_id`. Terraform's import id is `BUS/RULE/TARGETID`
//! (or `RULE/TARGETID`), which a read also takes.
//!
//! A refresh is one paginated ListTargetsByRule per rule (every target of one rule in one
//! call). PutTargets creates and changes a target (an upsert of the whole target, so a lost
//! answer is sent again as it is); RemoveTargets deletes it. The rule, target id and bus
//! force a new target. Targets take no tags: adoption after a kill finds the target by its
//! rule and id (an unset `target_id` is `terraform-` and 26 characters of the create's
//! token, so a rerun of the same intent looks for the same one).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_eventbridge::types::{
    DeadLetterConfig, InputTransformer, RetryPolicy, SqsParameters, Target,
};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{gone_is_done, missing};
use crate::event_rule::{gone_is_empty, invalid, DEFAULT_BUS, NOT_FOUND};
use crate::util::{first_block, get_bool, get_i64, get_str, prefixed_name};
use crate::AwsProvider;

pub(crate) const TARGET: &str = "aws_cloudwatch_event_target";

/// Where a target is: its bus, rule and id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    bus: String,
    rule: String,
    target: String,
}

impl Key {
    /// Terraform's resource id.
    fn id(&self) -> String {
        if self.bus.is_empty() || self.bus == DEFAULT_BUS {
            format!("{}-{}", self.rule, self.target)
        } else {
            format!("{}-{}-{}", self.bus, self.rule, self.target)
        }
    }

    /// From the arguments of a target (`target_id` given or computed).
    fn of(v: &Value, target: &str) -> Option<Key> {
        Some(Key {
            bus: get_str(v, "event_bus_name")
                .unwrap_or(DEFAULT_BUS)
                .to_string(),
            rule: get_str(v, "rule")?.to_string(),
            target: target.to_string(),
        })
    }

    /// Terraform's import id: `RULE/TARGETID` or `BUS/RULE/TARGETID` (the bus may be an ARN).
    fn parse_import(id: &str) -> Option<Key> {
        let (rest, target) = id.rsplit_once('/')?;
        let (bus, rule) = rest.rsplit_once('/').unwrap_or((DEFAULT_BUS, rest));
        (!bus.is_empty() && !rule.is_empty() && !target.is_empty()).then(|| Key {
            bus: bus.to_string(),
            rule: rule.to_string(),
            target: target.to_string(),
        })
    }

    /// The target a read of `id` with `prior` asks for: the prior's, when its id is `id`;
    /// else an import id.
    fn of_read(id: &str, prior: &Value) -> Option<Key> {
        get_str(prior, "target_id")
            .and_then(|t| Key::of(prior, t))
            .filter(|k| k.id() == id)
            .or_else(|| Key::parse_import(id))
    }
}

/// Every target of one rule (none when the rule is gone), one call per page.
async fn list(p: &AwsProvider, bus: &str, rule: &str) -> Result<Vec<Target>, ProviderError> {
    let listed = p
        .paginate(
            "events:ListTargetsByRule",
            |token| {
                p.events()
                    .list_targets_by_rule()
                    .rule(rule)
                    .event_bus_name(bus)
                    .set_next_token(token)
                    .send()
            },
            |page| page.targets(),
            |page| page.next_token(),
        )
        .await;
    gone_is_empty(listed)
}

fn text(s: Option<&str>) -> Value {
    match s {
        Some(t) if !t.is_empty() => Value::string(t),
        _ => Value::Null,
    }
}

fn num(n: Option<i32>) -> Value {
    n.map_or(Value::Null, |n| Value::Number(f64::from(n)))
}

fn to_value(t: &Target, key: &Key, prior: Option<&Value>) -> Value {
    let block = |m: Option<Value>| Value::List(m.into_iter().collect());
    let transformer = t.input_transformer().map(|x| {
        let paths: BTreeMap<String, Value> = x
            .input_paths_map()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), Value::string(v)))
                    .collect()
            })
            .unwrap_or_default();
        Value::map([
            ("input_paths", Value::Map(paths)),
            ("input_template", Value::string(x.input_template())),
        ])
    });
    let sqs = t
        .sqs_parameters()
        .map(|s| Value::map([("message_group_id", text(s.message_group_id()))]));
    let retry = t.retry_policy().map(|r| {
        Value::map([
            (
                "maximum_event_age_in_seconds",
                num(r.maximum_event_age_in_seconds()),
            ),
            ("maximum_retry_attempts", num(r.maximum_retry_attempts())),
        ])
    });
    let dlq = t
        .dead_letter_config()
        .map(|d| Value::map([("arn", text(d.arn()))]));
    let force = prior
        .and_then(|p| get_bool(p, "force_destroy"))
        .unwrap_or(false);
    Value::map([
        ("id", Value::string(key.id())),
        ("rule", Value::string(&key.rule)),
        ("target_id", Value::string(&key.target)),
        ("event_bus_name", Value::string(&key.bus)),
        ("arn", Value::string(t.arn())),
        ("role_arn", text(t.role_arn())),
        ("input", text(t.input())),
        ("input_path", text(t.input_path())),
        ("force_destroy", Value::Bool(force)),
        ("input_transformer", block(transformer)),
        ("sqs_target", block(sqs)),
        ("retry_policy", block(retry)),
        ("dead_letter_config", block(dlq)),
    ])
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    // by rule (bus, name): the targets asked for, each with its requested id and prior
    type Wanted<'a> = HashMap<String, (&'a str, &'a Value, Key)>;
    let mut rules: BTreeMap<(String, String), Wanted> = BTreeMap::new();
    for item in items {
        let Some(key) = Key::of_read(&item.id, &item.prior) else {
            return Err(ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "`{}` is not an id of {TARGET}; import with {}",
                    item.id,
                    id_format()
                ),
            ));
        };
        rules
            .entry((key.bus.clone(), key.rule.clone()))
            .or_default()
            .insert(key.target.clone(), (item.id.as_str(), &item.prior, key));
    }
    let mut out = BTreeMap::new();
    for ((bus, rule), wanted) in rules {
        for t in list(p, &bus, &rule).await? {
            if let Some((id, prior, key)) = wanted.get(t.id()) {
                out.insert(id.to_string(), to_value(&t, key, Some(prior)));
            }
        }
    }
    Ok(out)
}

pub(crate) fn id_format() -> &'static str {
    "RULE/TARGETID or EVENTBUSNAME/RULE/TARGETID, e.g. spot-interruption/queue"
}

/// The target id: `target_id`, else `terraform-` and 26 characters of the create's token.
fn target_id_of(req: &CreateRequest) -> String {
    match get_str(&req.config, "target_id") {
        Some(t) => t.to_string(),
        None => prefixed_name("terraform-", &req.token, 64),
    }
}

/// The target to send from the configuration.
fn target(config: &Value, id: &str) -> Result<Target, ProviderError> {
    let arn = get_str(config, "arn").ok_or_else(|| missing(TARGET, "arn"))?;
    let s = |v: &Value, k: &str| get_str(v, k).map(str::to_string);
    let int = |v: &Value, k: &str| get_i64(v, k).and_then(|n| i32::try_from(n).ok());
    let transformer = match first_block(config, "input_transformer") {
        Value::Null => None,
        b => {
            let paths: Option<HashMap<String, String>> = b.get("input_paths").as_map().map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            });
            Some(
                InputTransformer::builder()
                    .set_input_paths_map(paths)
                    .set_input_template(s(b, "input_template"))
                    .build()
                    .map_err(|e| invalid("input_transformer", e))?,
            )
        }
    };
    let sqs = match first_block(config, "sqs_target") {
        Value::Null => None,
        b => Some(
            SqsParameters::builder()
                .set_message_group_id(s(b, "message_group_id"))
                .build(),
        ),
    };
    let retry = match first_block(config, "retry_policy") {
        Value::Null => None,
        b => Some(
            RetryPolicy::builder()
                .set_maximum_event_age_in_seconds(int(b, "maximum_event_age_in_seconds"))
                .set_maximum_retry_attempts(int(b, "maximum_retry_attempts"))
                .build(),
        ),
    };
    let dlq = match first_block(config, "dead_letter_config") {
        Value::Null => None,
        b => Some(DeadLetterConfig::builder().set_arn(s(b, "arn")).build()),
    };
    Target::builder()
        .id(id)
        .arn(arn)
        .set_role_arn(s(config, "role_arn"))
        .set_input(s(config, "input"))
        .set_input_path(s(config, "input_path"))
        .set_input_transformer(transformer)
        .set_sqs_parameters(sqs)
        .set_retry_policy(retry)
        .set_dead_letter_config(dlq)
        .build()
        .map_err(|e| invalid("target", e))
}

/// One PutTargets of `config` as target `key`; a failed entry is an error.
async fn put(p: &AwsProvider, key: &Key, config: &Value) -> Result<(), ProviderError> {
    let t = target(config, &key.target)?;
    let out = p
        .call("events:PutTargets", || {
            p.events()
                .put_targets()
                .rule(&key.rule)
                .event_bus_name(&key.bus)
                .targets(t.clone())
                .send()
        })
        .await?;
    match out.failed_entries().first() {
        Some(f) => Err(ProviderError {
            kind: ErrorKind::Rejected,
            code: f.error_code().map(str::to_string),
            message: format!(
                "PutTargets refused target {} of rule {}: {}",
                key.target,
                key.rule,
                f.error_message().unwrap_or("no reason given")
            ),
            operation: Some("events:PutTargets".into()),
        }),
        None => Ok(()),
    }
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let id = target_id_of(req);
    let key = Key::of(&req.config, &id).ok_or_else(|| missing(TARGET, "rule"))?;
    put(p, &key, &req.config).await?;
    let mut prior = req.config.clone();
    if let Value::Map(m) = &mut prior {
        m.insert("target_id".into(), Value::string(&id));
    }
    p.read_back(TARGET, &key.id(), &prior).await
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let key = Key::of_read(id, prior).ok_or_else(|| {
        ProviderError::not_found(format!(
            "{TARGET} {id}: the state has no rule and target id; run again to refresh it"
        ))
    })?;
    put(p, &key, desired).await?;
    p.read_back(TARGET, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str, prior: &Value) -> Result<(), ProviderError> {
    let Some(key) = Key::of_read(id, prior) else {
        return Err(ProviderError::not_found(format!(
            "{TARGET} {id}: the state has no rule and target id; run again to refresh it"
        )));
    };
    let force = get_bool(prior, "force_destroy") == Some(true);
    let sent = p
        .call("events:RemoveTargets", || {
            p.events()
                .remove_targets()
                .rule(&key.rule)
                .event_bus_name(&key.bus)
                .ids(&key.target)
                .force(force)
                .send()
        })
        .await;
    gone_is_done(sent, NOT_FOUND)
}

/// What a create of `req` whose answer was lost made: the target of its id on its rule.
/// Without a configured `target_id` and without the id the token makes (a state rebuild
/// has no token), the one target of the rule with a generated id (`terraform-...`) and the
/// configured ARN, if there is exactly one.
pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let Some(key) = Key::of(&req.config, &target_id_of(req)) else {
        return Ok(None);
    };
    let targets = list(p, &key.bus, &key.rule).await?;
    let known = |id: &str| {
        let k = Key {
            target: id.to_string(),
            ..key.clone()
        };
        req.known_ids.contains(&k.id())
    };
    let exact = targets
        .iter()
        .find(|t| t.id() == key.target && !known(t.id()));
    let found = match exact {
        Some(t) => Some(t),
        None if get_str(&req.config, "target_id").is_none() => {
            let arn = get_str(&req.config, "arn");
            let mut generated = targets.iter().filter(|t| {
                t.id().starts_with("terraform-") && Some(t.arn()) == arn && !known(t.id())
            });
            match (generated.next(), generated.next()) {
                (Some(t), None) => Some(t),
                _ => None,
            }
        }
        None => None,
    };
    Ok(found.map(|t| {
        let key = Key {
            target: t.id().to_string(),
            ..key.clone()
        };
        to_value(t, &key, Some(&req.config))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_import_ids_are_terraforms() {
        let k = Key::parse_import("spot/queue").unwrap();
        assert_eq!((k.bus.as_str(), k.id()), ("default", "spot-queue".into()));
        let k = Key::parse_import("ops/spot/queue").unwrap();
        assert_eq!(k.id(), "ops-spot-queue");
        let k = Key::parse_import("arn:aws:events:us-east-1:1:event-bus/ops/spot/queue").unwrap();
        assert_eq!(k.bus, "arn:aws:events:us-east-1:1:event-bus/ops");
        assert!(Key::parse_import("spot-queue").is_none());
        assert!(Key::parse_import("/queue").is_none());
        // a state id is found from the prior, whatever `-` it holds
        let prior = Value::map([
            ("rule", Value::string("a-b")),
            ("target_id", Value::string("c-d")),
            ("event_bus_name", Value::string("default")),
        ]);
        let k = Key::of_read("a-b-c-d", &prior).unwrap();
        assert_eq!((k.rule.as_str(), k.target.as_str()), ("a-b", "c-d"));
        assert!(Key::of_read("other", &prior).is_none());
    }

    #[test]
    fn a_target_is_sent_with_its_blocks() {
        let config = Value::map([
            ("arn", Value::string("arn:aws:sqs:us-east-1:1:q")),
            (
                "input_transformer",
                Value::List(vec![Value::map([
                    ("input_paths", Value::map([("id", Value::string("$.id"))])),
                    ("input_template", Value::string("\"<id>\"")),
                ])]),
            ),
            (
                "retry_policy",
                Value::List(vec![Value::map([
                    ("maximum_retry_attempts", Value::Number(3.0)),
                    ("maximum_event_age_in_seconds", Value::Null),
                ])]),
            ),
            ("sqs_target", Value::List(vec![])),
        ]);
        let t = target(&config, "t").unwrap();
        assert_eq!(t.id(), "t");
        assert_eq!(t.input_transformer().unwrap().input_template(), "\"<id>\"");
        assert_eq!(t.retry_policy().unwrap().maximum_retry_attempts(), Some(3));
        assert!(t.sqs_parameters().is_none());
        let v = to_value(
            &t,
            &Key {
                bus: "default".into(),
                rule: "r".into(),
                target: "t".into(),
            },
            None,
        );
        assert_eq!(v.get("id").as_str(), Some("r-t"));
        assert_eq!(v.get("sqs_target"), &Value::List(vec![]));
        assert!(target(&Value::map([("x", Value::Null)]), "t").is_err());
    }
}
