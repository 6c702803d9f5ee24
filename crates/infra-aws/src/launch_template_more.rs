//! The rest of `aws_launch_template`'s data (see `infra_model`'s `lt_extra` schema):
//! what `launch_template::data` adds to the request (`launch_template_read`: what a
//! refresh reads back), in the provider's shapes. Terraform's nullable booleans of a network interface
//! (`associate_carrier_ip_address`, `primary_ipv6`) are strings, as
//! `associate_public_ip_address` is; the other booleans are booleans.

use aws_sdk_ec2::primitives::{DateTime, DateTimeFormat};
use aws_sdk_ec2::types::builders::{
    LaunchTemplateInstanceNetworkInterfaceSpecificationRequestBuilder,
    RequestLaunchTemplateDataBuilder,
};
use aws_sdk_ec2::types::{
    AcceleratorCountRequest, AcceleratorTotalMemoryMiBRequest, AmdSevSnpSpecification, BareMetal,
    BaselineEbsBandwidthMbpsRequest, BurstablePerformance, CapacityReservationPreference,
    CapacityReservationTarget, ConnectionTrackingSpecificationRequest, CreditSpecificationRequest,
    EnaSrdSpecificationRequest, EnaSrdUdpSpecificationRequest, HostnameType,
    InstanceInterruptionBehavior, InstanceIpv6AddressRequest, InstanceRequirementsRequest,
    Ipv4PrefixSpecificationRequest, Ipv6PrefixSpecificationRequest,
    LaunchTemplateAutoRecoveryState, LaunchTemplateCapacityReservationSpecificationRequest,
    LaunchTemplateCpuOptionsRequest, LaunchTemplateEnclaveOptionsRequest,
    LaunchTemplateHibernationOptionsRequest, LaunchTemplateInstanceMaintenanceOptionsRequest,
    LaunchTemplateInstanceMarketOptionsRequest, LaunchTemplateLicenseConfigurationRequest,
    LaunchTemplatePlacementRequest, LaunchTemplatePrivateDnsNameOptionsRequest,
    LaunchTemplateSpotMarketOptionsRequest, LocalStorage, MarketType, MemoryGiBPerVCpuRequest,
    MemoryMiBRequest, NestedVirtualizationSpecification, NetworkBandwidthGbpsRequest,
    NetworkInterfaceCountRequest, PrivateIpAddressSpecification, ShutdownBehavior,
    SpotInstanceType, Tenancy, TotalLocalStorageGbRequest, VCpuCountRangeRequest,
};
use infra_model::Value;

use crate::util::{get_bool, get_i64, get_str, get_strings};

/// The top-level keys this module adds to the template's data (for comparing versions).
pub(crate) const DATA: &[&str] = &[
    "kernel_id",
    "ram_disk_id",
    "disable_api_termination",
    "disable_api_stop",
    "instance_initiated_shutdown_behavior",
    "placement",
    "cpu_options",
    "credit_specification",
    "capacity_reservation_specification",
    "enclave_options",
    "hibernation_options",
    "instance_market_options",
    "instance_requirements",
    "license_specification",
    "maintenance_options",
    "private_dns_name_options",
];

// ---- configuration -> request ----

fn string(v: &Value, k: &str) -> Option<String> {
    get_str(v, k).map(str::to_string)
}

fn int(v: &Value, k: &str) -> Option<i32> {
    get_i64(v, k).and_then(|n| i32::try_from(n).ok())
}

fn float(v: &Value, k: &str) -> Option<f64> {
    match v.get(k) {
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// A string-typed boolean ("true", "false", or unset).
fn str_bool(v: &Value, k: &str) -> Option<bool> {
    match v.get(k) {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn first<'a>(v: &'a Value, k: &str) -> Option<&'a Value> {
    v.get(k).as_list().and_then(|l| l.first())
}

fn all<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k).as_list().map(|l| &l[..]).unwrap_or(&[])
}

fn enums<T: for<'a> From<&'a str>>(v: &Value, k: &str) -> Option<Vec<T>> {
    let l = get_strings(v, k);
    (!l.is_empty()).then(|| l.iter().map(|s| T::from(s.as_str())).collect())
}

fn requirements(r: &Value) -> InstanceRequirementsRequest {
    let range = |k: &str| first(r, k).map(|b| (int(b, "min"), int(b, "max")));
    let frange = |k: &str| first(r, k).map(|b| (float(b, "min"), float(b, "max")));
    InstanceRequirementsRequest::builder()
        .set_v_cpu_count(range("vcpu_count").map(|(a, b)| {
            VCpuCountRangeRequest::builder()
                .set_min(a)
                .set_max(b)
                .build()
        }))
        .set_memory_mib(
            range("memory_mib")
                .map(|(a, b)| MemoryMiBRequest::builder().set_min(a).set_max(b).build()),
        )
        .set_memory_gib_per_v_cpu(frange("memory_gib_per_vcpu").map(|(a, b)| {
            MemoryGiBPerVCpuRequest::builder()
                .set_min(a)
                .set_max(b)
                .build()
        }))
        .set_accelerator_count(range("accelerator_count").map(|(a, b)| {
            AcceleratorCountRequest::builder()
                .set_min(a)
                .set_max(b)
                .build()
        }))
        .set_accelerator_total_memory_mib(range("accelerator_total_memory_mib").map(|(a, b)| {
            AcceleratorTotalMemoryMiBRequest::builder()
                .set_min(a)
                .set_max(b)
                .build()
        }))
        .set_baseline_ebs_bandwidth_mbps(range("baseline_ebs_bandwidth_mbps").map(|(a, b)| {
            BaselineEbsBandwidthMbpsRequest::builder()
                .set_min(a)
                .set_max(b)
                .build()
        }))
        .set_network_bandwidth_gbps(frange("network_bandwidth_gbps").map(|(a, b)| {
            NetworkBandwidthGbpsRequest::builder()
                .set_min(a)
                .set_max(b)
                .build()
        }))
        .set_network_interface_count(range("network_interface_count").map(|(a, b)| {
            NetworkInterfaceCountRequest::builder()
                .set_min(a)
                .set_max(b)
                .build()
        }))
        .set_total_local_storage_gb(frange("total_local_storage_gb").map(|(a, b)| {
            TotalLocalStorageGbRequest::builder()
                .set_min(a)
                .set_max(b)
                .build()
        }))
        .set_accelerator_manufacturers(enums(r, "accelerator_manufacturers"))
        .set_accelerator_names(enums(r, "accelerator_names"))
        .set_accelerator_types(enums(r, "accelerator_types"))
        .set_allowed_instance_types(enums(r, "allowed_instance_types"))
        .set_excluded_instance_types(enums(r, "excluded_instance_types"))
        .set_cpu_manufacturers(enums(r, "cpu_manufacturers"))
        .set_instance_generations(enums(r, "instance_generations"))
        .set_local_storage_types(enums(r, "local_storage_types"))
        .set_bare_metal(get_str(r, "bare_metal").map(BareMetal::from))
        .set_burstable_performance(
            get_str(r, "burstable_performance").map(BurstablePerformance::from),
        )
        .set_local_storage(get_str(r, "local_storage").map(LocalStorage::from))
        .set_require_hibernate_support(get_bool(r, "require_hibernate_support"))
        .set_max_spot_price_as_percentage_of_optimal_on_demand_price(int(
            r,
            "max_spot_price_as_percentage_of_optimal_on_demand_price",
        ))
        .set_on_demand_max_price_percentage_over_lowest_price(int(
            r,
            "on_demand_max_price_percentage_over_lowest_price",
        ))
        .set_spot_max_price_percentage_over_lowest_price(int(
            r,
            "spot_max_price_percentage_over_lowest_price",
        ))
        .build()
}

/// The arguments of `lt_extra` added to a template's data.
pub(crate) fn extend(
    b: RequestLaunchTemplateDataBuilder,
    c: &Value,
) -> RequestLaunchTemplateDataBuilder {
    let licenses: Vec<_> = all(c, "license_specification")
        .iter()
        .map(|l| {
            LaunchTemplateLicenseConfigurationRequest::builder()
                .set_license_configuration_arn(string(l, "license_configuration_arn"))
                .build()
        })
        .collect();
    b.set_kernel_id(string(c, "kernel_id"))
        .set_ram_disk_id(string(c, "ram_disk_id"))
        .set_disable_api_termination(get_bool(c, "disable_api_termination"))
        .set_disable_api_stop(get_bool(c, "disable_api_stop"))
        .set_instance_initiated_shutdown_behavior(
            get_str(c, "instance_initiated_shutdown_behavior").map(ShutdownBehavior::from),
        )
        .set_placement(first(c, "placement").map(|p| {
            LaunchTemplatePlacementRequest::builder()
                .set_affinity(string(p, "affinity"))
                .set_availability_zone(string(p, "availability_zone"))
                .set_group_id(string(p, "group_id"))
                .set_group_name(string(p, "group_name"))
                .set_host_id(string(p, "host_id"))
                .set_host_resource_group_arn(string(p, "host_resource_group_arn"))
                .set_partition_number(int(p, "partition_number"))
                .set_spread_domain(string(p, "spread_domain"))
                .set_tenancy(get_str(p, "tenancy").map(Tenancy::from))
                .build()
        }))
        .set_cpu_options(first(c, "cpu_options").map(|o| {
            LaunchTemplateCpuOptionsRequest::builder()
                .set_core_count(int(o, "core_count"))
                .set_threads_per_core(int(o, "threads_per_core"))
                .set_amd_sev_snp(get_str(o, "amd_sev_snp").map(AmdSevSnpSpecification::from))
                .set_nested_virtualization(
                    get_str(o, "nested_virtualization")
                        .map(NestedVirtualizationSpecification::from),
                )
                .build()
        }))
        .set_credit_specification(first(c, "credit_specification").map(|o| {
            CreditSpecificationRequest::builder()
                .set_cpu_credits(string(o, "cpu_credits"))
                .build()
        }))
        .set_capacity_reservation_specification(first(c, "capacity_reservation_specification").map(
            |o| {
                LaunchTemplateCapacityReservationSpecificationRequest::builder()
                    .set_capacity_reservation_preference(
                        get_str(o, "capacity_reservation_preference")
                            .map(CapacityReservationPreference::from),
                    )
                    .set_capacity_reservation_target(first(o, "capacity_reservation_target").map(
                        |t| {
                            CapacityReservationTarget::builder()
                                .set_capacity_reservation_id(string(t, "capacity_reservation_id"))
                                .set_capacity_reservation_resource_group_arn(string(
                                    t,
                                    "capacity_reservation_resource_group_arn",
                                ))
                                .build()
                        },
                    ))
                    .build()
            },
        ))
        .set_enclave_options(first(c, "enclave_options").map(|o| {
            LaunchTemplateEnclaveOptionsRequest::builder()
                .set_enabled(get_bool(o, "enabled"))
                .build()
        }))
        .set_hibernation_options(first(c, "hibernation_options").map(|o| {
            LaunchTemplateHibernationOptionsRequest::builder()
                .set_configured(get_bool(o, "configured"))
                .build()
        }))
        .set_instance_market_options(first(c, "instance_market_options").map(|o| {
            LaunchTemplateInstanceMarketOptionsRequest::builder()
                .set_market_type(get_str(o, "market_type").map(MarketType::from))
                .set_spot_options(first(o, "spot_options").map(|s| {
                    LaunchTemplateSpotMarketOptionsRequest::builder()
                        .set_block_duration_minutes(int(s, "block_duration_minutes"))
                        .set_instance_interruption_behavior(
                            get_str(s, "instance_interruption_behavior")
                                .map(InstanceInterruptionBehavior::from),
                        )
                        .set_max_price(string(s, "max_price"))
                        .set_spot_instance_type(
                            get_str(s, "spot_instance_type").map(SpotInstanceType::from),
                        )
                        .set_valid_until(
                            get_str(s, "valid_until")
                                .and_then(|t| DateTime::from_str(t, DateTimeFormat::DateTime).ok()),
                        )
                        .build()
                }))
                .build()
        }))
        .set_instance_requirements(first(c, "instance_requirements").map(requirements))
        .set_license_specifications((!licenses.is_empty()).then_some(licenses))
        .set_maintenance_options(first(c, "maintenance_options").map(|o| {
            LaunchTemplateInstanceMaintenanceOptionsRequest::builder()
                .set_auto_recovery(
                    get_str(o, "auto_recovery").map(LaunchTemplateAutoRecoveryState::from),
                )
                .build()
        }))
        .set_private_dns_name_options(first(c, "private_dns_name_options").map(|o| {
            LaunchTemplatePrivateDnsNameOptionsRequest::builder()
                .set_enable_resource_name_dns_aaaa_record(get_bool(
                    o,
                    "enable_resource_name_dns_aaaa_record",
                ))
                .set_enable_resource_name_dns_a_record(get_bool(
                    o,
                    "enable_resource_name_dns_a_record",
                ))
                .set_hostname_type(get_str(o, "hostname_type").map(HostnameType::from))
                .build()
        }))
}

/// The `lt_extra` arguments of one `network_interfaces` block added to its request.
pub(crate) fn extend_nic(
    b: LaunchTemplateInstanceNetworkInterfaceSpecificationRequestBuilder,
    n: &Value,
) -> LaunchTemplateInstanceNetworkInterfaceSpecificationRequestBuilder {
    let v4: Vec<_> = get_strings(n, "ipv4_addresses")
        .into_iter()
        .map(|a| {
            PrivateIpAddressSpecification::builder()
                .primary(false)
                .private_ip_address(a)
                .build()
        })
        .collect();
    let v6: Vec<_> = get_strings(n, "ipv6_addresses")
        .into_iter()
        .map(|a| {
            InstanceIpv6AddressRequest::builder()
                .ipv6_address(a)
                .build()
        })
        .collect();
    let p4: Vec<_> = get_strings(n, "ipv4_prefixes")
        .into_iter()
        .map(|a| {
            Ipv4PrefixSpecificationRequest::builder()
                .ipv4_prefix(a)
                .build()
        })
        .collect();
    let p6: Vec<_> = get_strings(n, "ipv6_prefixes")
        .into_iter()
        .map(|a| {
            Ipv6PrefixSpecificationRequest::builder()
                .ipv6_prefix(a)
                .build()
        })
        .collect();
    b.set_associate_carrier_ip_address(str_bool(n, "associate_carrier_ip_address"))
        .set_interface_type(string(n, "interface_type"))
        .set_private_ip_addresses((!v4.is_empty()).then_some(v4))
        .set_secondary_private_ip_address_count(int(n, "ipv4_address_count"))
        .set_ipv4_prefixes((!p4.is_empty()).then_some(p4))
        .set_ipv4_prefix_count(int(n, "ipv4_prefix_count"))
        .set_ipv6_addresses((!v6.is_empty()).then_some(v6))
        .set_ipv6_address_count(int(n, "ipv6_address_count"))
        .set_ipv6_prefixes((!p6.is_empty()).then_some(p6))
        .set_ipv6_prefix_count(int(n, "ipv6_prefix_count"))
        .set_network_card_index(int(n, "network_card_index"))
        .set_primary_ipv6(str_bool(n, "primary_ipv6"))
        .set_ena_srd_specification(first(n, "ena_srd_specification").map(|e| {
            EnaSrdSpecificationRequest::builder()
                .set_ena_srd_enabled(get_bool(e, "ena_srd_enabled"))
                .set_ena_srd_udp_specification(first(e, "ena_srd_udp_specification").map(|u| {
                    EnaSrdUdpSpecificationRequest::builder()
                        .set_ena_srd_udp_enabled(get_bool(u, "ena_srd_udp_enabled"))
                        .build()
                }))
                .build()
        }))
        .set_connection_tracking_specification(first(n, "connection_tracking_specification").map(
            |t| {
                ConnectionTrackingSpecificationRequest::builder()
                    .set_tcp_established_timeout(int(t, "tcp_established_timeout"))
                    .set_udp_stream_timeout(int(t, "udp_stream_timeout"))
                    .set_udp_timeout(int(t, "udp_timeout"))
                    .build()
            },
        ))
}
