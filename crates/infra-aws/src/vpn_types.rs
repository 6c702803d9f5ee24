//! The dispatch of the VPN types a VPC module makes (`aws_customer_gateway` in
//! `customer_gateway`; `aws_vpn_gateway`, `aws_vpn_gateway_attachment` in `vpn_gateway`):
//! one arm in each of the provider's matches sends them here.

use std::collections::BTreeMap;

use infra_model::Value;
use infra_provider::{CreateRequest, ProviderError, ReadRequest};

use crate::customer_gateway::{self as cg, CUSTOMER};
use crate::vpn_gateway::{self as v, ATTACHMENT, VGW};
use crate::AwsProvider;

/// Whether `type_name` is dispatched here.
pub(crate) fn handles(type_name: &str) -> bool {
    matches!(type_name, CUSTOMER | VGW | ATTACHMENT)
}

pub(crate) async fn read(
    p: &AwsProvider,
    type_name: &str,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    match type_name {
        CUSTOMER => cg::read_customer(p, items).await,
        VGW => v::read_vgw(p, items).await,
        ATTACHMENT => v::read_attachments(p, items).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    match req.type_name.as_str() {
        CUSTOMER => Box::pin(cg::create_customer(p, req)).await,
        VGW => Box::pin(v::create_vgw(p, req)).await,
        ATTACHMENT => Box::pin(v::create_attachment(p, req)).await,
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
        VGW => v::update_vgw(p, id, prior, desired).await,
        // only tags change in place
        CUSTOMER => {
            crate::util::update_tags(p, id, prior, desired).await?;
            p.read_back(CUSTOMER, id, desired).await
        }
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
        CUSTOMER => cg::delete_customer(p, id).await,
        VGW => v::delete_vgw(p, id).await,
        ATTACHMENT => v::delete_attachment(p, id, prior).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    match req.type_name.as_str() {
        CUSTOMER => cg::adopt_customer(p, req).await,
        VGW => v::adopt_vgw(p, req).await,
        ATTACHMENT => v::adopt_attachment(p, req).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}

/// Terraform's import ID of an attachment is made into its id here; the others are ids.
pub(crate) fn resolve_import(type_name: &str, import_id: &str) -> Result<String, ProviderError> {
    match type_name {
        ATTACHMENT => v::resolve_import(import_id),
        _ => Ok(import_id.to_string()),
    }
}

/// What Terraform's import ID of these types looks like.
pub(crate) fn id_format(type_name: &str) -> Option<&'static str> {
    Some(match type_name {
        CUSTOMER => "the customer gateway id, e.g. cgw-0abc123",
        VGW => "the VPN gateway id, e.g. vgw-0abc123",
        ATTACHMENT => "VPCID/VPNGATEWAYID, e.g. vpc-0abc123/vgw-0def456",
        _ => return None,
    })
}
