//! The dispatch of the types a node group with a custom launch template, a private
//! cluster and Fargate need (`launch_template`, `vpc_endpoint`, `eks_fargate`,
//! `eks_idp`, `key_pair` for a node group's `remote_access.ec2_ssh_key`,
//! `ssm_activation` for hybrid nodes, and `instance`): one arm in each of the provider's matches sends them here, so that the
//! provider's own dispatch stays one screen per operation.

use std::collections::BTreeMap;

use infra_model::Value;
use infra_provider::{CreateRequest, ProviderError, ReadRequest};

use crate::{
    eks_fargate, eks_idp, instance, instance_ops, instance_update, key_pair, launch_template,
    ssm_activation, vpc_endpoint, AwsProvider,
};

/// Whether `type_name` is dispatched here.
pub(crate) fn handles(type_name: &str) -> bool {
    matches!(
        type_name,
        launch_template::TYPE
            | vpc_endpoint::TYPE
            | eks_fargate::TYPE
            | eks_idp::TYPE
            | key_pair::TYPE
            | instance::TYPE
            | ssm_activation::TYPE
    )
}

pub(crate) async fn read(
    p: &AwsProvider,
    type_name: &str,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    match type_name {
        launch_template::TYPE => launch_template::read(p, items).await,
        vpc_endpoint::TYPE => vpc_endpoint::read(p, items).await,
        eks_fargate::TYPE => eks_fargate::read(p, items).await,
        eks_idp::TYPE => eks_idp::read(p, items).await,
        key_pair::TYPE => key_pair::read(p, items).await,
        instance::TYPE => instance::read(p, items).await,
        ssm_activation::TYPE => ssm_activation::read(p, items).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    match req.type_name.as_str() {
        launch_template::TYPE => Box::pin(launch_template::create(p, req)).await,
        vpc_endpoint::TYPE => Box::pin(vpc_endpoint::create(p, req)).await,
        eks_fargate::TYPE => Box::pin(eks_fargate::create(p, req)).await,
        eks_idp::TYPE => Box::pin(eks_idp::create(p, req)).await,
        key_pair::TYPE => Box::pin(key_pair::create(p, req)).await,
        instance::TYPE => Box::pin(instance_ops::create(p, req)).await,
        ssm_activation::TYPE => Box::pin(ssm_activation::create(p, req)).await,
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
        eks_fargate::TYPE => eks_fargate::wait_active(p, id, current).await,
        eks_idp::TYPE => eks_idp::wait_active(p, id, current).await,
        instance::TYPE => instance_ops::wait_ready(p, id, current).await,
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
        launch_template::TYPE => launch_template::update(p, id, prior, desired).await,
        vpc_endpoint::TYPE => vpc_endpoint::update(p, id, prior, desired).await,
        eks_fargate::TYPE => eks_fargate::update(p, id, prior, desired).await,
        eks_idp::TYPE => eks_idp::update(p, id, prior, desired).await,
        key_pair::TYPE => key_pair::update(p, id, prior, desired).await,
        instance::TYPE => Box::pin(instance_update::update(p, id, prior, desired)).await,
        ssm_activation::TYPE => ssm_activation::update(p, id, prior, desired).await,
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
        launch_template::TYPE => launch_template::delete(p, id).await,
        vpc_endpoint::TYPE => vpc_endpoint::delete(p, id).await,
        eks_fargate::TYPE => eks_fargate::delete(p, id).await,
        eks_idp::TYPE => eks_idp::delete(p, id).await,
        key_pair::TYPE => key_pair::delete(p, id).await,
        instance::TYPE => instance_ops::delete(p, id, prior).await,
        ssm_activation::TYPE => ssm_activation::delete(p, id).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    match req.type_name.as_str() {
        launch_template::TYPE => launch_template::adopt(p, req).await,
        vpc_endpoint::TYPE => vpc_endpoint::adopt(p, req).await,
        eks_fargate::TYPE => eks_fargate::adopt(p, req).await,
        eks_idp::TYPE => eks_idp::adopt(p, req).await,
        key_pair::TYPE => key_pair::adopt(p, req).await,
        instance::TYPE => instance_ops::adopt(p, req).await,
        ssm_activation::TYPE => ssm_activation::adopt(p, req).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

/// What Terraform's import ID of these types looks like.
pub(crate) fn id_format(type_name: &str) -> Option<&'static str> {
    Some(match type_name {
        launch_template::TYPE => "the launch template id, e.g. lt-0abc123",
        vpc_endpoint::TYPE => "the VPC endpoint id, e.g. vpce-0abc123",
        eks_fargate::TYPE => "CLUSTER:PROFILE, e.g. prod:kube-system",
        eks_idp::TYPE => "CLUSTER:CONFIGNAME, e.g. prod:okta",
        key_pair::TYPE => "the key name, e.g. deployer-key",
        instance::TYPE => "the instance id, e.g. i-0abc1234567890def",
        ssm_activation::TYPE => "the activation id, e.g. 6f432fbf-5868-4aa5-a247-be0d53aae2d8",
        _ => return None,
    })
}
