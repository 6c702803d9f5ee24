//! `aws_sqs_queue_policy`: a queue's `Policy` attribute as a resource of its own. The id is
//! the queue's URL, as in Terraform (and its import id).
//!
//! A refresh asks each queue for that one attribute (SQS has no batched read); a queue
//! without a policy has no policy resource. Create and update set the attribute (one
//! SetQueueAttributes, idempotent, so a lost answer is simply sent again); delete sets it
//! empty. Adoption after a kill finds the queue and takes the policy when it is the
//! configured one (no tags: the queue's policy is the natural key).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_sqs::types::QueueAttributeName as Q;
use infra_model::policy::json_equivalent;
use infra_model::Value;
use infra_provider::{CreateRequest, ProviderError, ReadRequest};

use crate::errors::{gone_is_done, missing};
use crate::sqs::{attributes, wait_propagated, NO_QUEUE};
use crate::util::{get_str, read_each};
use crate::AwsProvider;

pub(crate) const POLICY: &str = "aws_sqs_queue_policy";

/// The queue's policy, or `None` when the queue is gone or has none.
async fn policy_of(p: &AwsProvider, url: &str) -> Result<Option<String>, ProviderError> {
    Ok(attributes(p, url, Q::Policy)
        .await?
        .and_then(|mut a| a.remove(&Q::Policy))
        .filter(|s| !s.is_empty()))
}

/// The resource's value: the prior's text of the policy when the cloud's is the same
/// document (the service reformats it).
fn to_value(url: &str, policy: &str, prior: Option<&Value>) -> Value {
    let text = match prior.and_then(|p| get_str(p, "policy")) {
        Some(old) if json_equivalent(old, policy) => old.to_string(),
        _ => policy.to_string(),
    };
    Value::map([
        ("id", Value::string(url)),
        ("queue_url", Value::string(url)),
        ("policy", Value::string(text)),
    ])
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    read_each(items, |item| async move {
        Ok(policy_of(p, &item.id)
            .await?
            .map(|doc| to_value(&item.id, &doc, Some(&item.prior))))
    })
    .await
}

/// Set the queue's policy and wait until the queue shows it.
async fn set(p: &AwsProvider, url: &str, policy: &str) -> Result<(), ProviderError> {
    let attrs = HashMap::from([(Q::Policy, policy.to_string())]);
    p.call("sqs:SetQueueAttributes", || {
        p.sqs()
            .set_queue_attributes()
            .queue_url(url)
            .set_attributes(Some(attrs.clone()))
            .send()
    })
    .await?;
    wait_propagated(p, url, &attrs).await
}

fn args(config: &Value) -> Result<(&str, &str), ProviderError> {
    let url = get_str(config, "queue_url").ok_or_else(|| missing(POLICY, "queue_url"))?;
    let policy = get_str(config, "policy").ok_or_else(|| missing(POLICY, "policy"))?;
    Ok((url, policy))
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let (url, policy) = args(&req.config)?;
    set(p, url, policy).await?;
    p.read_back(POLICY, url, &req.config).await
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let (_, policy) = args(desired)?;
    if !get_str(prior, "policy").is_some_and(|old| json_equivalent(old, policy)) {
        set(p, id, policy).await?;
    }
    p.read_back(POLICY, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    gone_is_done(set(p, id, "").await, NO_QUEUE)
}

/// What a create of `req` whose answer was lost did: the queue's policy, when it is the
/// configured document.
pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let Ok((url, want)) = args(&req.config) else {
        return Ok(None);
    };
    if req.known_ids.iter().any(|k| k == url) {
        return Ok(None);
    }
    Ok(policy_of(p, url)
        .await?
        .filter(|have| json_equivalent(have, want))
        .map(|have| to_value(url, &have, Some(&req.config))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prior_text_is_kept_for_the_same_document() {
        let prior = Value::map([(
            "policy",
            Value::string(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}"#,
            ),
        )]);
        let cloud = r#"{"Statement":[{"Action":["sqs:SendMessage"],"Resource":"*","Effect":"Allow"}],"Version":"2012-10-17"}"#;
        let v = to_value("https://q/1/a", cloud, Some(&prior));
        assert_eq!(v.get("policy"), prior.get("policy"));
        let other = r#"{"Version":"2012-10-17","Statement":[]}"#;
        let v = to_value("https://q/1/a", other, Some(&prior));
        assert_eq!(v.get("policy").as_str(), Some(other));
        assert_eq!(v.get("id").as_str(), Some("https://q/1/a"));
    }
}
