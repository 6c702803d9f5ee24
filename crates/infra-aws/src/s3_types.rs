//! The dispatch of the S3 types terraform-aws-s3-bucket makes (`aws_s3_bucket` in `s3`,
//! its settings in `s3_settings`): one arm in each of the provider's matches sends them
//! here. Each type's future is boxed here, so that the provider's dispatch frames stay
//! small (see ARCHITECTURE.md on stack size in debug builds).

use std::collections::BTreeMap;

use infra_model::Value;
use infra_provider::{CreateRequest, ProviderError, ReadRequest};

use crate::s3::{self as b, BUCKET};
use crate::s3_settings::{self as s, ACCESS_BLOCK, ENCRYPTION, OWNERSHIP, POLICY, VERSIONING};
use crate::AwsProvider;

/// Whether `type_name` is dispatched here.
pub(crate) fn handles(type_name: &str) -> bool {
    matches!(
        type_name,
        BUCKET | POLICY | ACCESS_BLOCK | OWNERSHIP | ENCRYPTION | VERSIONING
    )
}

pub(crate) async fn read(
    p: &AwsProvider,
    type_name: &str,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    match type_name {
        BUCKET => Box::pin(b::read(p, items)).await,
        t => Box::pin(s::read(p, t, items)).await,
    }
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    match req.type_name.as_str() {
        BUCKET => Box::pin(b::create(p, req)).await,
        _ => Box::pin(s::create(p, req)).await,
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
        BUCKET => Box::pin(b::update(p, id, prior, desired)).await,
        t => Box::pin(s::update(p, t, id, prior, desired)).await,
    }
}

pub(crate) async fn delete(
    p: &AwsProvider,
    type_name: &str,
    id: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    match type_name {
        BUCKET => Box::pin(b::delete(p, id, prior)).await,
        t => Box::pin(s::delete(p, t, id, prior)).await,
    }
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    match req.type_name.as_str() {
        BUCKET => Box::pin(b::adopt(p, req)).await,
        _ => Box::pin(s::adopt(p, req)).await,
    }
}

/// The codes a create answers when a lost earlier attempt already made the object.
pub(crate) fn exists_codes(type_name: &str) -> &'static [&'static str] {
    match type_name {
        BUCKET => &["BucketAlreadyOwnedByYou"],
        _ => &[],
    }
}

/// What Terraform's import ID of these types looks like (the bucket's name for all).
pub(crate) fn id_format(type_name: &str) -> Option<&'static str> {
    handles(type_name).then_some("the bucket name, e.g. my-bucket")
}
