//! Dispatch for the EC2 network types around the VPC: network ACLs (`nacl`,
//! `nacl_parts`, `nacl_default`), DHCP options (`dhcp`) and secondary CIDR blocks
//! (`vpc_cidr`), the region's default VPC (`default_vpc`), VPC Block Public Access (`bpa`), VPC IPAM (`ipam`,
//! `ipam_cidr`), VPC peering (`peering`). The provider's match arms send every one of these types here, so that
//! `lib.rs` and `recover.rs` grow by one arm each; each create future is boxed, as in
//! `recover::create_once`.

use std::collections::BTreeMap;

use infra_model::Value;
use infra_provider::{CreateRequest, ProviderError, ReadRequest};

use crate::{
    bpa, default_vpc, dhcp, eip_assoc, ipam, ipam_cidr, nacl, nacl_default, nacl_parts, peering,
    vpc_cidr, AwsProvider,
};

pub(crate) const TYPES: [&str; 18] = [
    nacl::TYPE,
    nacl_parts::RULE,
    nacl_parts::ASSOCIATION,
    nacl_default::TYPE,
    dhcp::OPTIONS,
    dhcp::ASSOCIATION,
    vpc_cidr::TYPE,
    default_vpc::TYPE,
    bpa::OPTIONS,
    bpa::EXCLUSION,
    ipam::IPAM,
    ipam::POOL,
    ipam_cidr::CIDR,
    ipam_cidr::PREVIEW,
    peering::CONNECTION,
    peering::ACCEPTER,
    peering::OPTIONS,
    eip_assoc::TYPE,
];

pub(crate) fn handles(type_name: &str) -> bool {
    TYPES.contains(&type_name)
}

fn unsupported(type_name: &str) -> ProviderError {
    crate::errors::unsupported(type_name, "resource type")
}

pub(crate) async fn read(
    p: &AwsProvider,
    type_name: &str,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    match type_name {
        nacl::TYPE => nacl::read(p, items).await,
        nacl_parts::RULE => nacl_parts::read_rules(p, items).await,
        nacl_parts::ASSOCIATION => nacl_parts::read_associations(p, items).await,
        nacl_default::TYPE => nacl_default::read(p, items).await,
        dhcp::OPTIONS => dhcp::read_options(p, items).await,
        dhcp::ASSOCIATION => dhcp::read_associations(p, items).await,
        vpc_cidr::TYPE => vpc_cidr::read(p, items).await,
        default_vpc::TYPE => default_vpc::read(p, items).await,
        bpa::OPTIONS => bpa::read_options(p, items).await,
        bpa::EXCLUSION => bpa::read_exclusions(p, items).await,
        ipam::IPAM => ipam::read_ipams(p, items).await,
        ipam::POOL => ipam::read_pools(p, items).await,
        ipam_cidr::CIDR => ipam_cidr::read_cidrs(p, items).await,
        ipam_cidr::PREVIEW => ipam_cidr::read_previews(items),
        eip_assoc::TYPE => eip_assoc::read(p, items).await,
        t @ (peering::CONNECTION | peering::ACCEPTER | peering::OPTIONS) => {
            peering::read(p, t, items).await
        }
        other => Err(unsupported(other)),
    }
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    match req.type_name.as_str() {
        nacl::TYPE => Box::pin(nacl::create(p, req)).await,
        nacl_parts::RULE => Box::pin(nacl_parts::create_rule(p, req)).await,
        nacl_parts::ASSOCIATION => Box::pin(nacl_parts::create_association(p, req)).await,
        nacl_default::TYPE => Box::pin(nacl_default::create(p, req)).await,
        dhcp::OPTIONS => Box::pin(dhcp::create_options(p, req)).await,
        dhcp::ASSOCIATION => Box::pin(dhcp::create_association(p, req)).await,
        vpc_cidr::TYPE => Box::pin(vpc_cidr::create(p, req)).await,
        default_vpc::TYPE => Box::pin(default_vpc::create(p, req)).await,
        bpa::OPTIONS => Box::pin(bpa::create_options(p, req)).await,
        bpa::EXCLUSION => Box::pin(bpa::create_exclusion(p, req)).await,
        ipam::IPAM => Box::pin(ipam::create_ipam(p, req)).await,
        ipam::POOL => Box::pin(ipam::create_pool(p, req)).await,
        ipam_cidr::CIDR => Box::pin(ipam_cidr::create_cidr(p, req)).await,
        ipam_cidr::PREVIEW => Box::pin(ipam_cidr::create_preview(p, req)).await,
        eip_assoc::TYPE => Box::pin(eip_assoc::create(p, req)).await,
        peering::CONNECTION | peering::ACCEPTER | peering::OPTIONS => {
            Box::pin(peering::create(p, req)).await
        }
        other => Err(unsupported(other)),
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
        nacl::TYPE => nacl::update(p, id, prior, desired).await,
        nacl_default::TYPE => nacl_default::update(p, id, prior, desired).await,
        dhcp::OPTIONS => dhcp::update_options(p, id, prior, desired).await,
        dhcp::ASSOCIATION => dhcp::update_association(p, id, desired).await,
        default_vpc::TYPE => default_vpc::update(p, id, prior, desired).await,
        bpa::OPTIONS => bpa::update_options(p, id, desired).await,
        bpa::EXCLUSION => bpa::update_exclusion(p, id, prior, desired).await,
        ipam::IPAM => ipam::update_ipam(p, id, prior, desired).await,
        ipam::POOL => ipam::update_pool(p, id, prior, desired).await,
        t @ (peering::CONNECTION | peering::ACCEPTER | peering::OPTIONS) => {
            peering::update(p, t, id, prior, desired).await
        }
        // every argument forces a replacement
        nacl_parts::RULE
        | nacl_parts::ASSOCIATION
        | vpc_cidr::TYPE
        | ipam_cidr::CIDR
        | ipam_cidr::PREVIEW
        | eip_assoc::TYPE => Ok(desired.clone()),
        other => Err(unsupported(other)),
    }
}

pub(crate) async fn delete(
    p: &AwsProvider,
    type_name: &str,
    id: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    match type_name {
        nacl::TYPE => nacl::delete(p, id).await,
        nacl_parts::RULE => nacl_parts::delete_rule(p, id).await,
        nacl_parts::ASSOCIATION => nacl_parts::delete_association(p, id, prior).await,
        nacl_default::TYPE => nacl_default::delete(p, id).await,
        dhcp::OPTIONS => dhcp::delete_options(p, id).await,
        dhcp::ASSOCIATION => dhcp::delete_association(p, id).await,
        vpc_cidr::TYPE => vpc_cidr::delete(p, id, prior).await,
        default_vpc::TYPE => default_vpc::delete(p, id, prior).await,
        bpa::OPTIONS => bpa::delete_options(p).await,
        bpa::EXCLUSION => bpa::delete_exclusion(p, id).await,
        ipam::IPAM => ipam::delete_ipam(p, id, prior).await,
        ipam::POOL => ipam::delete_pool(p, id, prior).await,
        ipam_cidr::CIDR => ipam_cidr::delete_cidr(p, id).await,
        // nothing was made
        ipam_cidr::PREVIEW => Ok(()),
        eip_assoc::TYPE => eip_assoc::delete(p, id).await,
        t @ (peering::CONNECTION | peering::ACCEPTER | peering::OPTIONS) => {
            peering::delete(p, t, id).await
        }
        other => Err(unsupported(other)),
    }
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    match req.type_name.as_str() {
        nacl::TYPE => nacl::adopt(p, req).await,
        nacl_parts::RULE => nacl_parts::adopt_rule(p, req).await,
        nacl_parts::ASSOCIATION => nacl_parts::adopt_association(p, req).await,
        nacl_default::TYPE => nacl_default::adopt(p, req).await,
        dhcp::OPTIONS => dhcp::adopt_options(p, req).await,
        dhcp::ASSOCIATION => dhcp::adopt_association(p, req).await,
        vpc_cidr::TYPE => vpc_cidr::adopt(p, req).await,
        default_vpc::TYPE => default_vpc::adopt(p, req).await,
        bpa::OPTIONS => bpa::adopt_options(p).await,
        bpa::EXCLUSION => bpa::adopt_exclusion(p, req).await,
        ipam::IPAM => ipam::adopt_ipam(p, req).await,
        ipam::POOL => ipam::adopt_pool(p, req).await,
        ipam_cidr::CIDR => ipam_cidr::adopt_cidr(p, req).await,
        // a preview makes nothing: there is nothing to find, make it again
        ipam_cidr::PREVIEW => Ok(None),
        eip_assoc::TYPE => eip_assoc::adopt(p, req).await,
        peering::CONNECTION | peering::ACCEPTER | peering::OPTIONS => peering::adopt(p, req).await,
        other => Err(unsupported(other)),
    }
}
