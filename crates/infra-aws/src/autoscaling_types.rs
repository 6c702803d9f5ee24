//! The dispatch of `aws_autoscaling_group` (terraform-aws-eks's self-managed node
//! groups; `autoscaling` reads and builds, `autoscaling_ops` acts): one arm in each of
//! the provider's matches sends it here.

use std::collections::BTreeMap;

use infra_model::Value;
use infra_provider::{CreateRequest, ProviderError, ReadRequest};

use crate::autoscaling::{self as a, GROUP};
use crate::autoscaling_ops as ops;
use crate::AwsProvider;

/// Whether `type_name` is dispatched here.
pub(crate) fn handles(type_name: &str) -> bool {
    type_name == GROUP
}

pub(crate) async fn read(
    p: &AwsProvider,
    type_name: &str,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    match type_name {
        GROUP => a::read_groups(p, items).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    match req.type_name.as_str() {
        GROUP => Box::pin(ops::create_group(p, req)).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn wait_ready(
    p: &AwsProvider,
    type_name: &str,
    id: &str,
    current: &Value,
) -> Result<Value, ProviderError> {
    match type_name {
        GROUP => Box::pin(ops::wait_capacity(p, id, current)).await,
        _ => Ok(current.clone()),
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
        GROUP => Box::pin(ops::update_group(p, id, prior, desired)).await,
        other => Err(crate::errors::unsupported(other, "update of")),
    }
}

pub(crate) async fn delete(
    p: &AwsProvider,
    type_name: &str,
    id: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    match type_name {
        GROUP => Box::pin(ops::delete_group(p, id, prior)).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    match req.type_name.as_str() {
        GROUP => ops::adopt_group(p, req).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

/// The codes a create answers when a lost earlier attempt already made the object.
pub(crate) fn exists_codes(type_name: &str) -> &'static [&'static str] {
    match type_name {
        GROUP => &["AlreadyExists"],
        _ => &[],
    }
}

/// What Terraform's import ID looks like (the group's name, its id).
pub(crate) fn id_format(type_name: &str) -> Option<&'static str> {
    Some(match type_name {
        GROUP => "the Auto Scaling group's name, e.g. my-asg",
        _ => return None,
    })
}
