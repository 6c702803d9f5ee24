//! The dispatch of what terraform-aws-eks's `karpenter` and `eks-capabilities` examples
//! add: `aws_eks_pod_identity_association` (`eks_pod_identity`), `aws_eks_capability`
//! (`eks_capability`) and the data sources `aws_ssoadmin_instances`,
//! `aws_identitystore_group` and `aws_ecrpublic_authorization_token` (`idc_data`): one arm
//! in each of the provider's matches sends them here.

use std::collections::BTreeMap;

use infra_model::Value;
use infra_provider::{CreateRequest, ProviderError, ReadRequest};

use crate::{eks_capability, eks_pod_identity, idc_data, AwsProvider};

const POD: &str = eks_pod_identity::TYPE;
const CAPABILITY: &str = eks_capability::TYPE;

pub(crate) fn handles(type_name: &str) -> bool {
    matches!(type_name, POD | CAPABILITY)
}

pub(crate) fn handles_data(type_name: &str) -> bool {
    idc_data::handles(type_name)
}

pub(crate) async fn read_data(
    p: &AwsProvider,
    type_name: &str,
    args: &Value,
) -> Result<Value, ProviderError> {
    idc_data::read(p, type_name, args).await
}

pub(crate) async fn read(
    p: &AwsProvider,
    type_name: &str,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    match type_name {
        POD => eks_pod_identity::read(p, items).await,
        CAPABILITY => eks_capability::read(p, items).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    match req.type_name.as_str() {
        POD => Box::pin(eks_pod_identity::create(p, req)).await,
        CAPABILITY => Box::pin(eks_capability::create(p, req)).await,
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
        CAPABILITY => eks_capability::wait_active(p, id, current).await,
        // an association has no status: it is in use once made
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
        POD => eks_pod_identity::update(p, id, prior, desired).await,
        CAPABILITY => eks_capability::update(p, id, prior, desired).await,
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
        POD => eks_pod_identity::delete(p, id, prior).await,
        CAPABILITY => eks_capability::delete(p, id).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    match req.type_name.as_str() {
        POD => eks_pod_identity::adopt(p, req).await,
        CAPABILITY => eks_capability::adopt(p, req).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

/// A name or token already taken: what a create whose answer was lost made.
pub(crate) fn exists_codes(_type_name: &str) -> &'static [&'static str] {
    &["ResourceInUseException"]
}

pub(crate) fn id_format(type_name: &str) -> Option<&'static str> {
    Some(match type_name {
        POD => "CLUSTER,ASSOCIATIONID, e.g. prod,a-0123456789abcdef0",
        CAPABILITY => "CLUSTER,CAPABILITYNAME, e.g. prod,argocd",
        _ => return None,
    })
}

/// Terraform's import ID as the id and the configuration to read it with.
pub(crate) fn import_id(
    type_name: &str,
    import_id: &str,
    config: &Value,
) -> Result<(String, Value), ProviderError> {
    match type_name {
        POD => eks_pod_identity::import_prior(import_id, config),
        CAPABILITY => Ok((eks_capability::import_id(import_id)?, config.clone())),
        _ => Ok((import_id.to_string(), config.clone())),
    }
}
