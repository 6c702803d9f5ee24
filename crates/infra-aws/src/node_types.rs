//! The dispatch of what the EKS module's node groups add: `aws_ec2_tag` (`ec2_tag`) and the data sources `aws_subnet` and
//! `aws_iam_session_context` (`node_lookups`): one arm in each of the provider's matches.

use std::collections::BTreeMap;

use infra_model::Value;
use infra_provider::{CreateRequest, ProviderError, ReadRequest};

use crate::ec2_tag::{self, TAG};
use crate::{node_lookups, AwsProvider};

pub(crate) fn handles(type_name: &str) -> bool {
    type_name == TAG
}

pub(crate) fn handles_data(type_name: &str) -> bool {
    matches!(type_name, "aws_subnet" | "aws_iam_session_context")
}

pub(crate) async fn read_data(
    p: &AwsProvider,
    type_name: &str,
    args: &Value,
) -> Result<Value, ProviderError> {
    match type_name {
        "aws_subnet" => node_lookups::subnet(p, args).await,
        "aws_iam_session_context" => node_lookups::session_context(p, args).await,
        other => Err(crate::errors::unsupported(other, "data source")),
    }
}

pub(crate) async fn read(
    p: &AwsProvider,
    type_name: &str,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    match type_name {
        TAG => ec2_tag::read_tags(p, items).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    match req.type_name.as_str() {
        TAG => Box::pin(ec2_tag::create_tag(p, req)).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn update(
    p: &AwsProvider,
    type_name: &str,
    id: &str,
    _prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    match type_name {
        TAG => ec2_tag::update_tag(p, id, desired).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn delete(
    p: &AwsProvider,
    type_name: &str,
    id: &str,
) -> Result<(), ProviderError> {
    match type_name {
        TAG => ec2_tag::delete_tag(p, id).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    match req.type_name.as_str() {
        TAG => ec2_tag::adopt_tag(p, req).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) fn id_format(type_name: &str) -> Option<&'static str> {
    Some(match type_name {
        TAG => "RESOURCEID,KEY, e.g. sg-0abc123,Name",
        _ => return None,
    })
}
