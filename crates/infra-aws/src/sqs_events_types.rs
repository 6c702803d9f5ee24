//! The dispatch of the SQS and EventBridge types (`sqs`: `aws_sqs_queue`, `sqs_policy`:
//! `aws_sqs_queue_policy`, `event_rule`: `aws_cloudwatch_event_rule`, `event_target`:
//! `aws_cloudwatch_event_target`): one arm in each of the provider's matches sends them
//! here.

use std::collections::BTreeMap;

use infra_model::Value;
use infra_provider::{CreateRequest, ProviderError, ReadRequest};

use crate::event_rule::{self as r, RULE};
use crate::event_target::{self as t, TARGET};
use crate::sqs::{self as q, QUEUE};
use crate::sqs_policy::{self as qp, POLICY};
use crate::AwsProvider;

/// Whether `type_name` is dispatched here.
pub(crate) fn handles(type_name: &str) -> bool {
    matches!(type_name, QUEUE | POLICY | RULE | TARGET)
}

pub(crate) async fn read(
    p: &AwsProvider,
    type_name: &str,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    match type_name {
        QUEUE => q::read(p, items).await,
        POLICY => qp::read(p, items).await,
        RULE => r::read(p, items).await,
        TARGET => t::read(p, items).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    match req.type_name.as_str() {
        QUEUE => Box::pin(q::create(p, req)).await,
        POLICY => Box::pin(qp::create(p, req)).await,
        RULE => Box::pin(r::create(p, req)).await,
        TARGET => Box::pin(t::create(p, req)).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn update(
    p: &AwsProvider,
    type_name: &str,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    match type_name {
        QUEUE => q::update(p, id, prior, desired).await,
        POLICY => qp::update(p, id, prior, desired).await,
        RULE => r::update(p, id, prior, desired).await,
        TARGET => t::update(p, id, prior, desired).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn delete(
    p: &AwsProvider,
    type_name: &str,
    id: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    match type_name {
        QUEUE => q::delete(p, id).await,
        POLICY => qp::delete(p, id).await,
        RULE => r::delete(p, id, prior).await,
        TARGET => t::delete(p, id, prior).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    match req.type_name.as_str() {
        QUEUE => q::adopt(p, req).await,
        POLICY => qp::adopt(p, req).await,
        RULE => r::adopt(p, req).await,
        TARGET => t::adopt(p, req).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

/// What Terraform's import ID of these types looks like.
pub(crate) fn id_format(type_name: &str) -> Option<&'static str> {
    Some(match type_name {
        QUEUE | POLICY => {
            "the queue URL, e.g. https://sqs.us-east-1.amazonaws.com/123456789012/my-queue"
        }
        RULE => "the rule name on the default bus, else EVENTBUSNAME/RULENAME",
        TARGET => t::id_format(),
        _ => return None,
    })
}

/// Error codes with which a create is refused because what an earlier attempt whose
/// answer was lost made already exists (a queue of the name with other attributes: the
/// lost attempt's, when its tags say so).
pub(crate) fn exists_codes(type_name: &str) -> &'static [&'static str] {
    match type_name {
        QUEUE => &["QueueAlreadyExists", "QueueNameExists"],
        _ => &[],
    }
}
