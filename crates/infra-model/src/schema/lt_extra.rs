//! The launch template arguments node groups set beyond the basics: kernel and RAM disk,
//! termination and shutdown behaviour, placement, CPU and credit options, capacity
//! reservations, enclaves, Spot market options, attribute-based instance requirements,
//! licenses, maintenance, hostname options, and the network interfaces' addressing, ENA
//! Express and connection tracking. Names and shapes are the Terraform AWS provider's
//! (`website/docs/r/launch_template.html.markdown`); none forces a new template (a
//! change is a new version).

use super::*;

fn min_max(name: &'static str, ty: AttrType) -> BlockSchema {
    block(
        name,
        Nesting::List,
        vec![
            attr("min", ty.clone()).optional(),
            attr("max", ty).optional(),
        ],
    )
    .max(1)
}

fn one(name: &'static str, attrs: Vec<AttrSchema>) -> BlockSchema {
    block(name, Nesting::List, attrs).max(1)
}

/// Top-level arguments.
pub(crate) fn attributes() -> Vec<AttrSchema> {
    vec![
        attr("kernel_id", s()).optional().empty_is_null(),
        attr("ram_disk_id", s()).optional().empty_is_null(),
        attr("disable_api_termination", b()).optional(),
        attr("disable_api_stop", b()).optional(),
        attr("instance_initiated_shutdown_behavior", s())
            .optional()
            .empty_is_null(),
    ]
}

pub(crate) fn instance_requirements() -> BlockSchema {
    let mut memory_mib = min_max("memory_mib", n());
    memory_mib.min_items = 1;
    let mut vcpu = min_max("vcpu_count", n());
    vcpu.min_items = 1;
    one(
        "instance_requirements",
        vec![
            attr("accelerator_manufacturers", set_s()).optional(),
            attr("accelerator_names", set_s()).optional(),
            attr("accelerator_types", set_s()).optional(),
            attr("allowed_instance_types", set_s()).optional(),
            attr("bare_metal", s()).optional(),
            attr("burstable_performance", s()).optional(),
            attr("cpu_manufacturers", set_s()).optional(),
            attr("excluded_instance_types", set_s()).optional(),
            attr("instance_generations", set_s()).optional(),
            attr("local_storage", s()).optional(),
            attr("local_storage_types", set_s()).optional(),
            attr(
                "max_spot_price_as_percentage_of_optimal_on_demand_price",
                n(),
            )
            .optional(),
            attr("on_demand_max_price_percentage_over_lowest_price", n()).optional(),
            attr("require_hibernate_support", b()).optional(),
            attr("spot_max_price_percentage_over_lowest_price", n()).optional(),
        ],
    )
    .blocks(vec![
        min_max("accelerator_count", n()),
        min_max("accelerator_total_memory_mib", n()),
        min_max("baseline_ebs_bandwidth_mbps", n()),
        min_max("memory_gib_per_vcpu", n()),
        memory_mib,
        min_max("network_bandwidth_gbps", n()),
        min_max("network_interface_count", n()),
        min_max("total_local_storage_gb", n()),
        vcpu,
    ])
}

/// Top-level blocks.
pub(crate) fn blocks() -> Vec<BlockSchema> {
    vec![
        one(
            "placement",
            vec![
                attr("affinity", s()).optional(),
                attr("availability_zone", s()).optional(),
                attr("group_id", s()).optional(),
                attr("group_name", s()).optional(),
                attr("host_id", s()).optional(),
                attr("host_resource_group_arn", s()).optional(),
                attr("partition_number", n()).optional(),
                attr("spread_domain", s()).optional(),
                attr("tenancy", s()).optional(),
            ],
        ),
        one(
            "cpu_options",
            vec![
                attr("amd_sev_snp", s()).optional(),
                attr("core_count", n()).optional(),
                attr("nested_virtualization", s()).optional(),
                attr("threads_per_core", n()).optional(),
            ],
        ),
        one(
            "credit_specification",
            vec![attr("cpu_credits", s()).optional()],
        ),
        one(
            "capacity_reservation_specification",
            vec![attr("capacity_reservation_preference", s()).optional()],
        )
        .blocks(vec![one(
            "capacity_reservation_target",
            vec![
                attr("capacity_reservation_id", s()).optional(),
                attr("capacity_reservation_resource_group_arn", s()).optional(),
            ],
        )]),
        one("enclave_options", vec![attr("enabled", b()).optional()]),
        one(
            "hibernation_options",
            vec![attr("configured", b()).required()],
        ),
        one(
            "instance_market_options",
            vec![attr("market_type", s()).optional()],
        )
        .blocks(vec![one(
            "spot_options",
            vec![
                attr("block_duration_minutes", n()).optional(),
                attr("instance_interruption_behavior", s()).optional(),
                attr("max_price", s()).optional(),
                attr("spot_instance_type", s()).optional(),
                attr("valid_until", s()).optional().computed(),
            ],
        )]),
        instance_requirements(),
        block(
            "license_specification",
            Nesting::Set,
            vec![attr("license_configuration_arn", s()).required()],
        ),
        one(
            "maintenance_options",
            vec![attr("auto_recovery", s()).optional()],
        ),
        one(
            "private_dns_name_options",
            vec![
                attr("enable_resource_name_dns_aaaa_record", b()).optional(),
                attr("enable_resource_name_dns_a_record", b()).optional(),
                attr("hostname_type", s()).optional(),
            ],
        ),
    ]
}

/// More arguments of a `network_interfaces` block.
pub(crate) fn nic_attributes() -> Vec<AttrSchema> {
    vec![
        // a boolean written as a string, "" when unset, as `associate_public_ip_address`
        attr("associate_carrier_ip_address", s()).optional(),
        attr("interface_type", s()).optional(),
        attr("ipv4_addresses", set_s()).optional(),
        attr("ipv4_address_count", n()).optional(),
        attr("ipv4_prefixes", set_s()).optional(),
        attr("ipv4_prefix_count", n()).optional(),
        attr("ipv6_addresses", set_s()).optional(),
        attr("ipv6_address_count", n()).optional(),
        attr("ipv6_prefixes", set_s()).optional(),
        attr("ipv6_prefix_count", n()).optional(),
        attr("network_card_index", n()).optional(),
        attr("primary_ipv6", s()).optional(),
    ]
}

/// More blocks of a `network_interfaces` block.
pub(crate) fn nic_blocks() -> Vec<BlockSchema> {
    vec![
        one(
            "ena_srd_specification",
            vec![attr("ena_srd_enabled", b()).optional()],
        )
        .blocks(vec![one(
            "ena_srd_udp_specification",
            vec![attr("ena_srd_udp_enabled", b()).optional()],
        )]),
        one(
            "connection_tracking_specification",
            vec![
                attr("tcp_established_timeout", n()).optional(),
                attr("udp_stream_timeout", n()).optional(),
                attr("udp_timeout", n()).optional(),
            ],
        ),
    ]
}
