//! The RunInstances request of an `aws_instance`, built from its configuration (pure: the
//! caller sends it). Arguments map as the Terraform AWS provider maps them: a public IP
//! (`associate_public_ip_address`) or `ipv6_address_count`, `ipv6_addresses`,
//! `secondary_private_ips` or `enable_primary_ipv6` need the primary network interface to
//! be described in the request, which then carries the subnet, security groups and private
//! IP instead of the request itself. The instance is tagged at creation (its tags, the
//! provider's default tags and `infra:*`), its volumes with `volume_tags`, and the request
//! carries the create's idempotency token as `ClientToken`.

use aws_sdk_ec2::operation::run_instances::builders::RunInstancesInputBuilder;
use aws_sdk_ec2::types::{
    AmdSevSnpSpecification, BlockDeviceMapping, CpuOptionsRequest, CreditSpecificationRequest,
    EbsBlockDevice, EnclaveOptionsRequest, HibernationOptionsRequest, HttpTokensState,
    IamInstanceProfileSpecification, InstanceIpv6Address, InstanceMetadataEndpointState,
    InstanceMetadataOptionsRequest, InstanceMetadataProtocolState, InstanceMetadataTagsState,
    InstanceNetworkInterfaceSpecification, InstanceType, LaunchTemplateSpecification,
    NestedVirtualizationSpecification, Placement, PrivateIpAddressSpecification, ResourceType,
    RunInstancesMonitoringEnabled, ShutdownBehavior, Tag, TagSpecification, Tenancy, VolumeType,
};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError};

use crate::util::{first_block, get_bool, get_i64, get_str, get_strings, tag_spec};

pub(crate) const TYPE: &str = "aws_instance";

fn rejected(req: &CreateRequest, what: impl std::fmt::Display) -> ProviderError {
    ProviderError::new(ErrorKind::Rejected, format!("{}: {what}", req.address))
}

/// The user data RunInstances and ModifyInstanceAttribute take (base64): `user_data` as
/// text, or `user_data_base64` as written. `None`: neither is set.
pub(crate) fn user_data_base64(c: &Value) -> Result<Option<String>, String> {
    match (get_str(c, "user_data"), get_str(c, "user_data_base64")) {
        (Some(_), Some(_)) => {
            Err("`user_data` and `user_data_base64` conflict: set one of them".to_string())
        }
        (Some(text), None) => Ok(Some(aws_smithy_types::base64::encode(text))),
        (None, Some(b64)) => {
            aws_smithy_types::base64::decode(b64).map_err(|_| {
                "`user_data_base64` is not valid base64: encode it with base64encode() or use `user_data`".to_string()
            })?;
            Ok(Some(b64.to_string()))
        }
        (None, None) => Ok(None),
    }
}

/// A whole number argument as the API's i32.
fn int(v: &Value, key: &str) -> Option<i32> {
    get_i64(v, key).and_then(|n| i32::try_from(n).ok())
}

/// An EBS volume of a block device block (`root_block_device`, `ebs_block_device`).
pub(crate) fn ebs(b: &Value, root: bool) -> EbsBlockDevice {
    let mut e = EbsBlockDevice::builder()
        .set_delete_on_termination(get_bool(b, "delete_on_termination"))
        .set_encrypted(get_bool(b, "encrypted"))
        .set_kms_key_id(get_str(b, "kms_key_id").map(str::to_string))
        .set_volume_size(int(b, "volume_size"))
        .set_volume_type(get_str(b, "volume_type").map(VolumeType::from));
    // IOPS and throughput only where the volume type takes them (the provider's
    // DiffSuppressFuncs: 0 means "not set" for other types)
    let vt = get_str(b, "volume_type").unwrap_or_default();
    if matches!(vt, "io1" | "io2" | "gp3") {
        e = e.set_iops(int(b, "iops").filter(|n| *n > 0));
    }
    if vt == "gp3" {
        e = e.set_throughput(int(b, "throughput").filter(|n| *n > 0));
    }
    if !root {
        e = e.set_snapshot_id(get_str(b, "snapshot_id").map(str::to_string));
    }
    e.build()
}

/// `root_block_device` on `root_device` (the AMI's root device name) and each
/// `ebs_block_device`.
pub(crate) fn block_devices(c: &Value, root_device: Option<&str>) -> Vec<BlockDeviceMapping> {
    let mut out = Vec::new();
    let root = first_block(c, "root_block_device");
    if let (Value::Map(_), Some(dev)) = (root, root_device) {
        out.push(
            BlockDeviceMapping::builder()
                .device_name(dev)
                .ebs(ebs(root, true))
                .build(),
        );
    }
    for b in c.get("ebs_block_device").as_list().into_iter().flatten() {
        if let Some(dev) = get_str(b, "device_name") {
            out.push(
                BlockDeviceMapping::builder()
                    .device_name(dev)
                    .ebs(ebs(b, false))
                    .build(),
            );
        }
    }
    out
}

/// `metadata_options` as RunInstances and ModifyInstanceMetadataOptions take it.
pub(crate) fn metadata_options(c: &Value) -> Option<InstanceMetadataOptionsRequest> {
    let m = first_block(c, "metadata_options");
    m.as_map()?;
    Some(
        InstanceMetadataOptionsRequest::builder()
            .set_http_endpoint(get_str(m, "http_endpoint").map(InstanceMetadataEndpointState::from))
            .set_http_tokens(get_str(m, "http_tokens").map(HttpTokensState::from))
            .set_http_put_response_hop_limit(int(m, "http_put_response_hop_limit"))
            .set_http_protocol_ipv6(
                get_str(m, "http_protocol_ipv6").map(InstanceMetadataProtocolState::from),
            )
            .set_instance_metadata_tags(
                get_str(m, "instance_metadata_tags").map(InstanceMetadataTagsState::from),
            )
            .build(),
    )
}

/// Whether the primary network interface must be described in the request.
fn needs_interface(c: &Value) -> bool {
    get_bool(c, "associate_public_ip_address").is_some()
        || get_i64(c, "ipv6_address_count").is_some()
        || !get_strings(c, "ipv6_addresses").is_empty()
        || !get_strings(c, "secondary_private_ips").is_empty()
        || get_bool(c, "enable_primary_ipv6") == Some(true)
}

/// The primary network interface of the request, carrying the subnet, groups and addresses.
fn primary_interface(c: &Value) -> InstanceNetworkInterfaceSpecification {
    let mut addresses: Vec<PrivateIpAddressSpecification> = Vec::new();
    if let Some(ip) = get_str(c, "private_ip") {
        addresses.push(
            PrivateIpAddressSpecification::builder()
                .primary(true)
                .private_ip_address(ip)
                .build(),
        );
    }
    for ip in get_strings(c, "secondary_private_ips") {
        addresses.push(
            PrivateIpAddressSpecification::builder()
                .primary(false)
                .private_ip_address(ip)
                .build(),
        );
    }
    let groups = get_strings(c, "vpc_security_group_ids");
    let ipv6: Vec<InstanceIpv6Address> = get_strings(c, "ipv6_addresses")
        .into_iter()
        .map(|a| InstanceIpv6Address::builder().ipv6_address(a).build())
        .collect();
    InstanceNetworkInterfaceSpecification::builder()
        .device_index(0)
        .delete_on_termination(true)
        .set_associate_public_ip_address(get_bool(c, "associate_public_ip_address"))
        .set_subnet_id(get_str(c, "subnet_id").map(str::to_string))
        .set_groups((!groups.is_empty()).then_some(groups))
        .set_private_ip_addresses((!addresses.is_empty()).then_some(addresses))
        .set_ipv6_address_count(int(c, "ipv6_address_count"))
        .set_ipv6_addresses((!ipv6.is_empty()).then_some(ipv6))
        .set_primary_ipv6(get_bool(c, "enable_primary_ipv6"))
        .build()
}

fn placement(c: &Value) -> Option<Placement> {
    let p = Placement::builder()
        .set_availability_zone(get_str(c, "availability_zone").map(str::to_string))
        .set_group_name(get_str(c, "placement_group").map(str::to_string))
        .set_group_id(get_str(c, "placement_group_id").map(str::to_string))
        .set_partition_number(int(c, "placement_partition_number"))
        .set_host_id(get_str(c, "host_id").map(str::to_string))
        .set_host_resource_group_arn(get_str(c, "host_resource_group_arn").map(str::to_string))
        .set_tenancy(get_str(c, "tenancy").map(Tenancy::from))
        .build();
    let empty = Placement::builder().build();
    (p != empty).then_some(p)
}

fn cpu_options(c: &Value) -> Option<CpuOptionsRequest> {
    let b = first_block(c, "cpu_options");
    b.as_map()?;
    let r = CpuOptionsRequest::builder()
        .set_core_count(int(b, "core_count"))
        .set_threads_per_core(int(b, "threads_per_core"))
        .set_amd_sev_snp(get_str(b, "amd_sev_snp").map(AmdSevSnpSpecification::from))
        .set_nested_virtualization(
            get_str(b, "nested_virtualization").map(NestedVirtualizationSpecification::from),
        )
        .build();
    (r != CpuOptionsRequest::builder().build()).then_some(r)
}

fn launch_template(c: &Value) -> Option<LaunchTemplateSpecification> {
    let b = first_block(c, "launch_template");
    b.as_map()?;
    Some(
        LaunchTemplateSpecification::builder()
            .set_launch_template_id(get_str(b, "id").map(str::to_string))
            .set_launch_template_name(get_str(b, "name").map(str::to_string))
            .set_version(get_str(b, "version").map(str::to_string))
            .build(),
    )
}

/// The volume tags of a create: `volume_tags` (never `infra:*`: the volumes are not
/// objects of the state).
fn volume_tag_spec(c: &Value) -> Option<TagSpecification> {
    let tags: Vec<Tag> = c
        .get("volume_tags")
        .as_map()?
        .iter()
        .filter(|(k, _)| !crate::util::is_infra(k))
        .filter_map(|(k, v)| Some(Tag::builder().key(k).value(v.as_str()?).build()))
        .collect();
    (!tags.is_empty()).then(|| {
        TagSpecification::builder()
            .resource_type(ResourceType::Volume)
            .set_tags(Some(tags))
            .build()
    })
}

/// Blocks of the provider's schema infra does not implement, written with content.
pub(crate) fn unsupported_blocks(c: &Value) -> Vec<&'static str> {
    infra_model::schema::UNSUPPORTED_INSTANCE_BLOCKS
        .iter()
        .copied()
        .filter(|b| c.get(b).as_list().is_some_and(|l| !l.is_empty()))
        .collect()
}

/// The RunInstances request for `req`. `root_device` is the AMI's root device name, where
/// `root_block_device` goes (looked up by the caller only when that block is written).
pub(crate) fn run_input(
    req: &CreateRequest,
    root_device: Option<&str>,
) -> Result<RunInstancesInputBuilder, ProviderError> {
    let c = &req.config;
    if let Some(b) = unsupported_blocks(c).first() {
        return Err(rejected(
            req,
            format!("infra does not support the `{b}` block of aws_instance yet; remove it"),
        ));
    }
    let has_template = first_block(c, "launch_template").as_map().is_some();
    if get_str(c, "ami").is_none() && !has_template {
        return Err(rejected(
            req,
            "`ami` must be set unless a `launch_template` gives the image",
        ));
    }
    if get_str(c, "instance_type").is_none() && !has_template {
        return Err(rejected(
            req,
            "`instance_type` must be set unless a `launch_template` gives it",
        ));
    }
    let user_data = user_data_base64(c).map_err(|e| rejected(req, e))?;
    let interface = needs_interface(c);
    let groups = get_strings(c, "vpc_security_group_ids");
    let names = get_strings(c, "security_groups");
    let mut specs = vec![tag_spec(ResourceType::Instance, req)];
    specs.extend(volume_tag_spec(c));
    let devices = block_devices(c, root_device);
    let credits = first_block(c, "credit_specification");
    let enclave = first_block(c, "enclave_options");
    let mut input = RunInstancesInputBuilder::default()
        .min_count(1)
        .max_count(1)
        .client_token(&req.token)
        .set_image_id(get_str(c, "ami").map(str::to_string))
        .set_instance_type(get_str(c, "instance_type").map(InstanceType::from))
        .set_key_name(get_str(c, "key_name").map(str::to_string))
        .set_user_data(user_data)
        .set_iam_instance_profile(
            get_str(c, "iam_instance_profile")
                .map(|n| IamInstanceProfileSpecification::builder().name(n).build()),
        )
        .set_metadata_options(metadata_options(c))
        .set_block_device_mappings((!devices.is_empty()).then_some(devices))
        .set_monitoring(
            get_bool(c, "monitoring")
                .map(|m| RunInstancesMonitoringEnabled::builder().enabled(m).build()),
        )
        .set_disable_api_termination(get_bool(c, "disable_api_termination"))
        .set_disable_api_stop(get_bool(c, "disable_api_stop"))
        .set_instance_initiated_shutdown_behavior(
            get_str(c, "instance_initiated_shutdown_behavior").map(ShutdownBehavior::from),
        )
        .set_ebs_optimized(get_bool(c, "ebs_optimized"))
        .set_credit_specification(get_str(credits, "cpu_credits").map(|cc| {
            CreditSpecificationRequest::builder()
                .cpu_credits(cc)
                .build()
        }))
        .set_enclave_options(
            get_bool(enclave, "enabled")
                .map(|e| EnclaveOptionsRequest::builder().enabled(e).build()),
        )
        .set_hibernation_options(
            get_bool(c, "hibernation")
                .map(|h| HibernationOptionsRequest::builder().configured(h).build()),
        )
        .set_cpu_options(cpu_options(c))
        .set_placement(placement(c))
        .set_launch_template(launch_template(c))
        .set_security_groups((!names.is_empty()).then_some(names))
        .set_tag_specifications(Some(specs));
    input = if interface {
        input.network_interfaces(primary_interface(c))
    } else {
        input
            .set_subnet_id(get_str(c, "subnet_id").map(str::to_string))
            .set_security_group_ids((!groups.is_empty()).then_some(groups))
            .set_private_ip_address(get_str(c, "private_ip").map(str::to_string))
    };
    Ok(input)
}

#[cfg(test)]
#[path = "instance_launch_tests.rs"]
mod tests;
