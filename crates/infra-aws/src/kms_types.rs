//! The dispatch of the KMS types an EKS module makes (`aws_kms_key` in `kms`,
//! `aws_kms_alias` in `kms_alias`): one arm in each of the provider's matches sends them
//! here.

use std::collections::BTreeMap;

use infra_model::Value;
use infra_provider::{CreateRequest, ProviderError, ReadRequest};

use crate::kms::{self as k, KEY};
use crate::kms_alias::{self as a, ALIAS};
use crate::AwsProvider;

/// Whether `type_name` is dispatched here.
pub(crate) fn handles(type_name: &str) -> bool {
    matches!(type_name, KEY | ALIAS)
}

pub(crate) async fn read(
    p: &AwsProvider,
    type_name: &str,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    match type_name {
        KEY => k::read_keys(p, items).await,
        ALIAS => a::read_aliases(p, items).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    match req.type_name.as_str() {
        KEY => Box::pin(k::create_key(p, req)).await,
        ALIAS => Box::pin(a::create_alias(p, req)).await,
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
        KEY => k::update_key(p, id, prior, desired).await,
        ALIAS => a::update_alias(p, id, prior, desired).await,
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
        KEY => k::delete_key(p, id, prior).await,
        ALIAS => a::delete_alias(p, id).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    match req.type_name.as_str() {
        KEY => k::adopt_key(p, req).await,
        ALIAS => a::adopt_alias(p, req).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

/// The codes a create answers when a lost earlier attempt already made the object.
pub(crate) fn exists_codes(type_name: &str) -> &'static [&'static str] {
    match type_name {
        ALIAS => &["AlreadyExistsException"],
        _ => &[],
    }
}

/// What Terraform's import ID of these types looks like (both are ids).
pub(crate) fn id_format(type_name: &str) -> Option<&'static str> {
    Some(match type_name {
        KEY => "the key id, e.g. 1234abcd-12ab-34cd-56ef-1234567890ab",
        ALIAS => "the alias name, e.g. alias/my-key",
        _ => return None,
    })
}
