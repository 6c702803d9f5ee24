//! `aws_sqs_queue`: the id is the queue's URL, as in Terraform (and its import id).
//!
//! SQS has no batched read: a queue's attributes come from one GetQueueAttributes and its
//! tags from one ListQueueTags, so a refresh sends those two per queue, a few queues at a
//! time. (ListQueues would tell which exist in one call, but it is eventually consistent on
//! AWS: a new queue is missing from it for up to a minute, and a missing queue would read as
//! deleted.) Every attribute but the name and the FIFO flag changes in place
//! (SetQueueAttributes, TagQueue / UntagQueue). CreateQueue is idempotent for the same name
//! and attributes, so a lost answer is retried as it is; adoption after a kill finds the
//! queue by its name (GetQueueUrl) when it carries the request's `infra:*` tags.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName as Q;
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{gone_is_done, has_code};
use crate::util::{
    create_tag_pairs, get_str, name_or_prefixed, pairs_have_infra_tags, put_tag_pairs, read_each,
    tag_changes,
};
use crate::AwsProvider;

pub(crate) const QUEUE: &str = "aws_sqs_queue";

/// The codes of "no such queue" (the JSON protocol's and the query-compatible one).
pub(crate) const NO_QUEUE: &[&str] = &[
    "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue",
];

/// A queue of this name was deleted less than 60 seconds ago (AWS refuses to make it again).
const DELETED_RECENTLY: &[&str] = &[
    "QueueDeletedRecently",
    "AWS.SimpleQueueService.QueueDeletedRecently",
];

/// How long a write is waited for to show in the queue's attributes (AWS: up to 60
/// seconds); then what is read is taken, with a warning, and the next refresh reads again.
const PROPAGATION: Duration = Duration::from_secs(60);

/// Terraform's value when a queue does not report it.
const KMS_REUSE_DEFAULT: f64 = 300.0;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Number,
    Bool,
    Text,
    /// A JSON document (compared semantically by the planner).
    Json,
}

/// Each argument and the queue attribute that holds it.
const ATTRS: &[(&str, &str, Kind)] = &[
    ("delay_seconds", "DelaySeconds", Kind::Number),
    ("max_message_size", "MaximumMessageSize", Kind::Number),
    (
        "message_retention_seconds",
        "MessageRetentionPeriod",
        Kind::Number,
    ),
    (
        "receive_wait_time_seconds",
        "ReceiveMessageWaitTimeSeconds",
        Kind::Number,
    ),
    (
        "visibility_timeout_seconds",
        "VisibilityTimeout",
        Kind::Number,
    ),
    ("fifo_queue", "FifoQueue", Kind::Bool),
    (
        "content_based_deduplication",
        "ContentBasedDeduplication",
        Kind::Bool,
    ),
    ("deduplication_scope", "DeduplicationScope", Kind::Text),
    ("fifo_throughput_limit", "FifoThroughputLimit", Kind::Text),
    ("policy", "Policy", Kind::Json),
    ("redrive_policy", "RedrivePolicy", Kind::Json),
    ("redrive_allow_policy", "RedriveAllowPolicy", Kind::Json),
    (
        "sqs_managed_sse_enabled",
        "SqsManagedSseEnabled",
        Kind::Bool,
    ),
    ("kms_master_key_id", "KmsMasterKeyId", Kind::Text),
    (
        "kms_data_key_reuse_period_seconds",
        "KmsDataKeyReusePeriodSeconds",
        Kind::Number,
    ),
];

/// The queue's name from its URL (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`).
pub(crate) fn name_from_url(url: &str) -> Option<&str> {
    let path = url.split_once("://").map_or(url, |(_, rest)| rest);
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        [_host, account, name] if !account.is_empty() && !name.is_empty() => Some(name),
        _ => None,
    }
}

/// The attribute's text as the API takes it, when the argument is set (`None`: not set).
fn attribute_text(v: &Value, kind: Kind) -> Option<String> {
    match (kind, v) {
        (Kind::Number, v) => v.as_i64().map(|n| n.to_string()),
        (Kind::Bool, Value::Bool(b)) => Some(b.to_string()),
        (Kind::Text | Kind::Json, Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

/// The attributes a create sends: what is configured, leaving out Terraform's zero values
/// (false, 0, "") except a configured `sqs_managed_sse_enabled`, which is always sent.
fn create_attributes(config: &Value) -> HashMap<Q, String> {
    let mut out = HashMap::new();
    for (arg, name, kind) in ATTRS {
        let Some(text) = attribute_text(config.get(arg), *kind) else {
            continue;
        };
        let zero = matches!(text.as_str(), "" | "0" | "false");
        if zero && *arg != "sqs_managed_sse_enabled" {
            continue;
        }
        out.insert(Q::from(*name), text);
    }
    out
}

/// The attributes an update sends: those whose configured value differs from the prior's
/// (an argument taken out of the configuration is sent empty, which clears it).
fn changed_attributes(prior: &Value, desired: &Value) -> HashMap<Q, String> {
    let mut out = HashMap::new();
    for (arg, name, kind) in ATTRS {
        let want = desired.get(arg);
        if want.is_unknown() || *arg == "fifo_queue" {
            continue;
        }
        let new = attribute_text(want, *kind);
        let old = attribute_text(prior.get(arg), *kind);
        let same = match (&old, &new, kind) {
            (Some(a), Some(b), Kind::Json) => infra_model::policy::json_equivalent(a, b),
            _ => old == new,
        };
        if !same && (new.is_some() || old.is_some()) {
            out.insert(Q::from(*name), new.unwrap_or_default());
        }
    }
    out
}

fn to_value(
    url: &str,
    attrs: &HashMap<Q, String>,
    tags: &HashMap<String, String>,
    prior: Option<&Value>,
) -> Value {
    let name = name_from_url(url).unwrap_or_default();
    let get = |n: &str| attrs.get(&Q::from(n)).map(String::as_str);
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(url));
    m.insert("url".into(), Value::string(url));
    m.insert("name".into(), Value::string(name));
    m.insert(
        "arn".into(),
        get("QueueArn").map_or(Value::Null, Value::string),
    );
    for (arg, attr, kind) in ATTRS {
        let v = match (kind, get(attr)) {
            (Kind::Number, Some(t)) => t.parse::<f64>().map_or(Value::Null, Value::Number),
            (Kind::Bool, Some(t)) => Value::Bool(t.eq_ignore_ascii_case("true")),
            (Kind::Bool, None) => Value::Bool(false),
            (Kind::Text | Kind::Json, Some(t)) if !t.is_empty() => Value::string(t),
            _ => Value::Null,
        };
        m.insert((*arg).into(), v);
    }
    if m.get("kms_data_key_reuse_period_seconds")
        .and_then(Value::as_f64)
        .unwrap_or(0.0)
        == 0.0
    {
        m.insert(
            "kms_data_key_reuse_period_seconds".into(),
            Value::Number(KMS_REUSE_DEFAULT),
        );
    }
    // the prefix is not stored: the prior's, or none
    let prefix = prior.map_or(Value::Null, |p| match p.get("name_prefix") {
        Value::Unknown => Value::Null,
        v => v.clone(),
    });
    m.insert("name_prefix".into(), prefix);
    put_tag_pairs(
        &mut m,
        tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        prior,
    );
    Value::Map(m)
}

/// The attribute `name` (or all) of the queue at `url`, or `None` when it does not exist.
pub(crate) async fn attributes(
    p: &AwsProvider,
    url: &str,
    name: Q,
) -> Result<Option<HashMap<Q, String>>, ProviderError> {
    match p
        .call("sqs:GetQueueAttributes", || {
            p.sqs()
                .get_queue_attributes()
                .queue_url(url)
                .attribute_names(name.clone())
                .send()
        })
        .await
    {
        Ok(out) => Ok(Some(out.attributes().cloned().unwrap_or_default())),
        Err(e) if has_code(&e, NO_QUEUE) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether the queue's attributes show what was sent (JSON documents compared
/// semantically; an empty value sent clears, so it shows as absent). The data key reuse
/// period is not reported for a queue without a KMS key.
fn shows(have: &HashMap<Q, String>, sent: &HashMap<Q, String>) -> bool {
    sent.iter().all(|(k, want)| {
        let got = have.get(k).map_or("", String::as_str);
        got == want
            || got.eq_ignore_ascii_case(want)
            || (got.starts_with('{') && infra_model::policy::json_equivalent(got, want))
            || (*k == Q::KmsDataKeyReusePeriodSeconds && !have.contains_key(&Q::KmsMasterKeyId))
    })
}

/// Wait until the queue at `url` shows `sent` (SQS is eventually consistent), for at most
/// [`PROPAGATION`].
pub(crate) async fn wait_propagated(
    p: &AwsProvider,
    url: &str,
    sent: &HashMap<Q, String>,
) -> Result<(), ProviderError> {
    if sent.is_empty() {
        return Ok(());
    }
    let started = std::time::Instant::now();
    let mut delay = Duration::from_millis(250);
    loop {
        if let Some(have) = attributes(p, url, Q::All).await? {
            if shows(&have, sent) {
                return Ok(());
            }
        }
        if started.elapsed() + delay > PROPAGATION {
            tracing::warn!(
                url,
                "the queue's attributes do not show what was set yet; the next refresh reads them again"
            );
            return Ok(());
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// The attributes and tags of the queue at `url`, or `None` when it does not exist.
async fn fetch(
    p: &AwsProvider,
    url: &str,
) -> Result<Option<(HashMap<Q, String>, HashMap<String, String>)>, ProviderError> {
    let Some(attrs) = attributes(p, url, Q::All).await? else {
        return Ok(None);
    };
    let tags = match p
        .call("sqs:ListQueueTags", || {
            p.sqs().list_queue_tags().queue_url(url).send()
        })
        .await
    {
        Ok(out) => out.tags().cloned().unwrap_or_default(),
        Err(e) if has_code(&e, NO_QUEUE) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(Some((attrs, tags)))
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    read_each(items, |item| async move {
        Ok(fetch(p, &item.id)
            .await?
            .map(|(attrs, tags)| to_value(&item.id, &attrs, &tags, Some(&item.prior))))
    })
    .await
}

/// The queue's name: `name`, else `name_prefix` (or `terraform-`) and 26 characters of the
/// create's token; a FIFO queue's name ends in `.fifo`, as Terraform makes it.
fn name_of(req: &CreateRequest) -> String {
    let fifo = req.config.get("fifo_queue").as_bool() == Some(true);
    let configured = get_str(&req.config, "name").is_some();
    let name = name_or_prefixed(req, "terraform-", if fifo { 75 } else { 80 });
    if fifo && !configured {
        format!("{name}.fifo")
    } else {
        name
    }
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let name = name_of(req);
    let attrs = create_attributes(&req.config);
    let tags: HashMap<String, String> = create_tag_pairs(req).into_iter().collect();
    let started = std::time::Instant::now();
    let url = loop {
        let sent = p
            .call("sqs:CreateQueue", || {
                p.sqs()
                    .create_queue()
                    .queue_name(&name)
                    .set_attributes(Some(attrs.clone()))
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await;
        match sent {
            Ok(out) => break out.queue_url().unwrap_or_default().to_string(),
            // a replacement of the same name: AWS waits 60 s after a delete
            Err(e)
                if has_code(&e, DELETED_RECENTLY)
                    && started.elapsed() < Duration::from_secs(90) =>
            {
                tracing::info!(queue = %name, "a queue of this name was deleted less than 60 s ago; waiting");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            Err(e) => return Err(e),
        }
    };
    if url.is_empty() {
        return Err(ProviderError::new(
            ErrorKind::Other,
            format!("CreateQueue of {name} answered no queue URL; run again to adopt it"),
        ));
    }
    wait_propagated(p, &url, &attrs).await?;
    p.read_back(QUEUE, &url, &req.config).await
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let attrs = changed_attributes(prior, desired);
    if !attrs.is_empty() {
        p.call("sqs:SetQueueAttributes", || {
            p.sqs()
                .set_queue_attributes()
                .queue_url(id)
                .set_attributes(Some(attrs.clone()))
                .send()
        })
        .await?;
        wait_propagated(p, id, &attrs).await?;
    }
    let (removed, changed) = tag_changes(prior, desired);
    if !removed.is_empty() {
        p.call("sqs:UntagQueue", || {
            p.sqs()
                .untag_queue()
                .queue_url(id)
                .set_tag_keys(Some(removed.clone()))
                .send()
        })
        .await?;
    }
    if !changed.is_empty() {
        let tags: HashMap<String, String> = changed.into_iter().collect();
        p.call("sqs:TagQueue", || {
            p.sqs()
                .tag_queue()
                .queue_url(id)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
    }
    p.read_back(QUEUE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let sent = p
        .call("sqs:DeleteQueue", || {
            p.sqs().delete_queue().queue_url(id).send()
        })
        .await;
    gone_is_done(sent, NO_QUEUE)
}

/// The URL of the queue named `name`, if it exists.
pub(crate) async fn url_of(p: &AwsProvider, name: &str) -> Result<Option<String>, ProviderError> {
    match p
        .call("sqs:GetQueueUrl", || {
            p.sqs().get_queue_url().queue_name(name).send()
        })
        .await
    {
        Ok(out) => Ok(out.queue_url().map(str::to_string)),
        Err(e) if has_code(&e, NO_QUEUE) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The URLs of the queues whose names start with `prefix`, one call per page.
async fn urls_with_prefix(p: &AwsProvider, prefix: &str) -> Result<Vec<String>, ProviderError> {
    p.paginate(
        "sqs:ListQueues",
        |token| {
            p.sqs()
                .list_queues()
                .queue_name_prefix(prefix)
                .max_results(1000)
                .set_next_token(token)
                .send()
        },
        |page| page.queue_urls(),
        |page| page.next_token(),
    )
    .await
}

/// What a create of `req` whose answer was lost made: the queue of its name, if it carries
/// the request's `infra:*` tags (the name alone could be anybody's). A queue named from a
/// prefix that is not found by the name the token makes (a state rebuild has no token) is
/// looked for among the queues of the prefix, by the same tags.
pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let mut urls: Vec<String> = url_of(p, &name_of(req)).await?.into_iter().collect();
    if urls.is_empty() && get_str(&req.config, "name").is_none() {
        let prefix = get_str(&req.config, "name_prefix").unwrap_or("terraform-");
        urls = urls_with_prefix(p, prefix).await?;
    }
    for url in urls {
        if req.known_ids.contains(&url) {
            continue;
        }
        let Some((attrs, tags)) = fetch(p, &url).await? else {
            continue;
        };
        if pairs_have_infra_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())), req) {
            return Ok(Some(to_value(&url, &attrs, &tags, Some(&req.config))));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_urls_and_only_well_formed_ones() {
        assert_eq!(
            name_from_url("https://sqs.us-east-1.amazonaws.com/123456789012/jobs"),
            Some("jobs")
        );
        assert_eq!(
            name_from_url(
                "http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/q.fifo"
            ),
            Some("q.fifo")
        );
        assert_eq!(name_from_url("jobs"), None);
        assert_eq!(name_from_url("https://sqs.x/123/"), None);
    }

    #[test]
    fn a_create_sends_what_is_set_and_not_terraforms_zero_values() {
        let config = Value::map([
            ("delay_seconds", Value::Number(0.0)),
            ("max_message_size", Value::Number(262_144.0)),
            ("message_retention_seconds", Value::Number(300.0)),
            ("fifo_queue", Value::Bool(false)),
            ("sqs_managed_sse_enabled", Value::Bool(false)),
            ("kms_master_key_id", Value::Null),
            ("kms_data_key_reuse_period_seconds", Value::Unknown),
        ]);
        let attrs = create_attributes(&config);
        let mut got: Vec<(String, String)> = attrs
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.clone()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                ("MaximumMessageSize".to_string(), "262144".to_string()),
                ("MessageRetentionPeriod".into(), "300".into()),
                ("SqsManagedSseEnabled".into(), "false".into()),
            ]
        );
    }

    #[test]
    fn an_update_sends_changes_only_and_clears_what_was_taken_out() {
        let prior = Value::map([
            ("visibility_timeout_seconds", Value::Number(30.0)),
            (
                "policy",
                Value::string(r#"{"Version":"2012-10-17","Statement":[]}"#),
            ),
            ("redrive_policy", Value::string(r#"{"maxReceiveCount":3}"#)),
        ]);
        let desired = Value::map([
            ("visibility_timeout_seconds", Value::Number(60.0)),
            (
                "policy",
                Value::string(r#"{ "Statement": [], "Version": "2012-10-17" }"#),
            ),
            ("redrive_policy", Value::Null),
        ]);
        let attrs = changed_attributes(&prior, &desired);
        assert_eq!(attrs.len(), 2, "{attrs:?}");
        assert_eq!(attrs[&Q::VisibilityTimeout], "60");
        assert_eq!(attrs[&Q::RedrivePolicy], "");
    }

    #[test]
    fn what_was_sent_shows_semantically() {
        let have = HashMap::from([
            (Q::VisibilityTimeout, "60".to_string()),
            (Q::SqsManagedSseEnabled, "true".to_string()),
            (
                Q::Policy,
                r#"{"Statement": [], "Version": "2012-10-17"}"#.to_string(),
            ),
        ]);
        let sent = |pairs: &[(Q, &str)]| -> HashMap<Q, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect()
        };
        assert!(shows(
            &have,
            &sent(&[
                (Q::VisibilityTimeout, "60"),
                (Q::SqsManagedSseEnabled, "True"),
                (Q::Policy, r#"{"Version":"2012-10-17","Statement":[]}"#),
                (Q::RedrivePolicy, ""),
                (Q::KmsDataKeyReusePeriodSeconds, "600"),
            ])
        ));
        assert!(!shows(&have, &sent(&[(Q::VisibilityTimeout, "30")])));
        assert!(!shows(
            &have,
            &sent(&[(Q::RedrivePolicy, r#"{"maxReceiveCount":4}"#)])
        ));
    }

    #[test]
    fn a_read_fills_terraforms_defaults() {
        let attrs = HashMap::from([
            (Q::QueueArn, "arn:aws:sqs:us-east-1:1:jobs".to_string()),
            (Q::SqsManagedSseEnabled, "true".to_string()),
            (Q::MessageRetentionPeriod, "300".to_string()),
        ]);
        let v = to_value(
            "https://sqs.us-east-1.amazonaws.com/1/jobs",
            &attrs,
            &HashMap::new(),
            None,
        );
        assert_eq!(v.get("name").as_str(), Some("jobs"));
        assert_eq!(v.get("arn").as_str(), Some("arn:aws:sqs:us-east-1:1:jobs"));
        assert_eq!(
            v.get("kms_data_key_reuse_period_seconds").as_i64(),
            Some(300)
        );
        assert_eq!(v.get("sqs_managed_sse_enabled").as_bool(), Some(true));
        assert_eq!(v.get("fifo_queue").as_bool(), Some(false));
        assert_eq!(v.get("policy"), &Value::Null);
    }
}
