//! The dispatch of the types of a cluster's control-plane logs and a VPC's flow logs
//! (`log_group`: `aws_cloudwatch_log_group`, `flow_log`: `aws_flow_log`): one arm in each
//! of the provider's matches sends them here.

use std::collections::BTreeMap;

use infra_model::Value;
use infra_provider::{CreateRequest, ProviderError, ReadRequest};

use crate::{flow_log, log_group, AwsProvider};

/// Whether `type_name` is dispatched here.
pub(crate) fn handles(type_name: &str) -> bool {
    matches!(type_name, log_group::TYPE | flow_log::TYPE)
}

pub(crate) async fn read(
    p: &AwsProvider,
    type_name: &str,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    match type_name {
        log_group::TYPE => log_group::read(p, items).await,
        flow_log::TYPE => flow_log::read(p, items).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    match req.type_name.as_str() {
        log_group::TYPE => Box::pin(log_group::create(p, req)).await,
        flow_log::TYPE => Box::pin(flow_log::create(p, req)).await,
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
        log_group::TYPE => log_group::update(p, id, prior, desired).await,
        flow_log::TYPE => flow_log::update(p, id, prior, desired).await,
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
        log_group::TYPE => log_group::delete(p, id, prior).await,
        flow_log::TYPE => flow_log::delete(p, id).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    match req.type_name.as_str() {
        log_group::TYPE => log_group::adopt(p, req).await,
        flow_log::TYPE => flow_log::adopt(p, req).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

/// What Terraform's import ID of these types looks like.
pub(crate) fn id_format(type_name: &str) -> Option<&'static str> {
    Some(match type_name {
        log_group::TYPE => "the log group's name, e.g. /aws/eks/prod/cluster",
        flow_log::TYPE => "the flow log id, e.g. fl-0abc123",
        _ => return None,
    })
}

/// Error codes with which a create is refused because what an earlier attempt whose
/// answer was lost made already exists.
pub(crate) fn exists_codes(type_name: &str) -> &'static [&'static str] {
    match type_name {
        log_group::TYPE => &["ResourceAlreadyExistsException"],
        flow_log::TYPE => &["FlowLogAlreadyExists"],
        _ => &[],
    }
}
