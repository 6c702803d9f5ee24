//! `aws_instance` (an EC2 instance launched by RunInstances) and data source
//! `aws_instance`, with the Terraform AWS provider's (v6) names, defaults and force-new
//! marks (`website/docs/r/instance.html.markdown`, `d/instance`).
//!
//! In place, as the provider: tags, `vpc_security_group_ids`, `source_dest_check`,
//! `disable_api_termination`, `disable_api_stop`, `instance_initiated_shutdown_behavior`,
//! `monitoring`, `metadata_options`, `credit_specification`, `iam_instance_profile`,
//! `secondary_private_ips`, `volume_tags`, the root volume's size, type, IOPS, throughput,
//! `delete_on_termination` and tags, and (stopping and starting the instance)
//! `instance_type` and `user_data` / `user_data_base64` (replaced instead with
//! `user_data_replace_on_change`, a plan rule). The rest replaces the instance.
//!
//! Blocks the provider has and infra does not implement (spot market options, network
//! interfaces, capacity reservations, ...) are in the schema so that a module writing them
//! through an empty `dynamic` block loads; a block written with content is an error naming
//! it (`infra_plan` rules, `UNSUPPORTED_BLOCKS`).

use super::*;

/// Blocks of `aws_instance` infra accepts only empty (a module's `dynamic` block with no
/// elements): written with content, each is an error at plan and validate.
pub const UNSUPPORTED_INSTANCE_BLOCKS: &[&str] = &[
    "capacity_reservation_specification",
    "ephemeral_block_device",
    "instance_market_options",
    "maintenance_options",
    "network_interface",
    "primary_network_interface",
    "private_dns_name_options",
    "secondary_network_interface",
];

fn metadata_options() -> BlockSchema {
    block(
        "metadata_options",
        Nesting::List,
        vec![
            attr("http_endpoint", s()).optional().computed(),
            attr("http_protocol_ipv6", s()).optional().computed(),
            attr("http_put_response_hop_limit", n())
                .optional()
                .computed(),
            attr("http_tokens", s()).optional().computed(),
            attr("instance_metadata_tags", s()).optional().computed(),
        ],
    )
    .max(1)
    .computed()
}

fn root_block_device() -> BlockSchema {
    block(
        "root_block_device",
        Nesting::List,
        vec![
            attr("delete_on_termination", b()).optional().default(true),
            attr("device_name", s()).computed(),
            attr("encrypted", b()).optional().computed().force_new(),
            attr("iops", n()).optional().computed(),
            attr("kms_key_id", s()).optional().computed().force_new(),
            attr("tags", map_s()).optional(),
            attr("tags_all", map_s()).computed(),
            attr("throughput", n()).optional().computed(),
            attr("volume_id", s()).computed(),
            attr("volume_size", n()).optional().computed(),
            attr("volume_type", s()).optional().computed(),
        ],
    )
    .max(1)
    .computed()
}

fn ebs_block_device() -> BlockSchema {
    block(
        "ebs_block_device",
        Nesting::Set,
        vec![
            attr("delete_on_termination", b())
                .optional()
                .default(true)
                .force_new(),
            attr("device_name", s()).required().force_new(),
            attr("encrypted", b()).optional().computed().force_new(),
            attr("iops", n()).optional().computed().force_new(),
            attr("kms_key_id", s()).optional().computed().force_new(),
            attr("snapshot_id", s()).optional().computed().force_new(),
            attr("tags", map_s()).optional(),
            attr("tags_all", map_s()).computed(),
            attr("throughput", n()).optional().computed().force_new(),
            attr("volume_id", s()).computed(),
            attr("volume_size", n()).optional().computed().force_new(),
            attr("volume_type", s()).optional().computed().force_new(),
        ],
    )
    .computed()
}

/// The blocks infra accepts only empty, with the provider's attribute names (so that a
/// module's `dynamic` content is checked against them).
fn unsupported_blocks() -> Vec<BlockSchema> {
    let opt = |names: &[&'static str]| -> Vec<AttrSchema> {
        names
            .iter()
            .map(|n| attr(n, AttrType::Any).optional())
            .collect()
    };
    vec![
        block(
            "capacity_reservation_specification",
            Nesting::List,
            opt(&["capacity_reservation_preference"]),
        )
        .max(1)
        .blocks(vec![block(
            "capacity_reservation_target",
            Nesting::List,
            opt(&[
                "capacity_reservation_id",
                "capacity_reservation_resource_group_arn",
            ]),
        )
        .max(1)]),
        block(
            "ephemeral_block_device",
            Nesting::Set,
            opt(&["device_name", "no_device", "virtual_name"]),
        ),
        block(
            "instance_market_options",
            Nesting::List,
            opt(&["market_type"]),
        )
        .max(1)
        .blocks(vec![block(
            "spot_options",
            Nesting::List,
            opt(&[
                "instance_interruption_behavior",
                "max_price",
                "spot_instance_type",
                "valid_until",
            ]),
        )
        .max(1)]),
        block(
            "maintenance_options",
            Nesting::List,
            opt(&["auto_recovery"]),
        )
        .max(1),
        block(
            "network_interface",
            Nesting::Set,
            opt(&[
                "delete_on_termination",
                "device_index",
                "network_card_index",
                "network_interface_id",
            ]),
        ),
        block(
            "primary_network_interface",
            Nesting::List,
            opt(&["network_interface_id"]),
        )
        .max(1),
        block(
            "private_dns_name_options",
            Nesting::List,
            opt(&[
                "enable_resource_name_dns_aaaa_record",
                "enable_resource_name_dns_a_record",
                "hostname_type",
            ]),
        )
        .max(1),
        block(
            "secondary_network_interface",
            Nesting::Set,
            opt(&[
                "delete_on_termination",
                "device_index",
                "interface_type",
                "network_card_index",
                "private_ip_address_count",
                "private_ip_addresses",
                "secondary_subnet_id",
            ]),
        ),
    ]
}

fn instance() -> ResourceSchema {
    let mut a = vec![
        attr("ami", s()).optional().computed().force_new(),
        attr("associate_public_ip_address", b())
            .optional()
            .computed()
            .force_new(),
        attr("availability_zone", s())
            .optional()
            .computed()
            .force_new(),
        attr("disable_api_stop", b()).optional().computed(),
        attr("disable_api_termination", b()).optional().computed(),
        attr("ebs_optimized", b()).optional().computed().force_new(),
        attr("enable_primary_ipv6", b())
            .optional()
            .computed()
            .force_new(),
        // infra's own: destroy lifts termination and stop protection first
        attr("force_destroy", b()).optional().default(false),
        attr("get_password_data", b()).optional().default(false),
        attr("hibernation", b()).optional().force_new(),
        attr("host_id", s()).optional().computed().force_new(),
        attr("host_resource_group_arn", s())
            .optional()
            .computed()
            .force_new(),
        attr("iam_instance_profile", s()).optional().computed(),
        attr("instance_initiated_shutdown_behavior", s())
            .optional()
            .computed(),
        attr("instance_type", s()).optional().computed(),
        attr("ipv6_address_count", n())
            .optional()
            .computed()
            .force_new(),
        attr("ipv6_addresses", list_s())
            .optional()
            .computed()
            .force_new(),
        attr("key_name", s()).optional().computed().force_new(),
        attr("monitoring", b()).optional().computed(),
        attr("placement_group", s())
            .optional()
            .computed()
            .force_new(),
        attr("placement_group_id", s())
            .optional()
            .computed()
            .force_new(),
        attr("placement_partition_number", n())
            .optional()
            .computed()
            .force_new(),
        attr("private_ip", s()).optional().computed().force_new(),
        attr("secondary_private_ips", set_s()).optional().computed(),
        attr("security_groups", set_s())
            .optional()
            .computed()
            .force_new(),
        attr("source_dest_check", b()).optional().default(true),
        attr("subnet_id", s()).optional().computed().force_new(),
        attr("tenancy", s()).optional().computed().force_new(),
        attr("user_data", s()).optional().computed(),
        attr("user_data_base64", s()).optional().computed(),
        attr("user_data_replace_on_change", b())
            .optional()
            .default(false),
        attr("volume_tags", map_s()).optional(),
        attr("vpc_security_group_ids", set_s())
            .optional()
            .computed(),
        attr("password_data", s()).computed().sensitive(),
    ];
    a.extend(tags());
    a.extend(computed(&[
        "arn",
        "instance_state",
        "outpost_arn",
        "primary_network_interface_id",
        "private_dns",
        "public_dns",
        "public_ip",
    ]));
    let mut blocks = vec![
        block(
            "credit_specification",
            Nesting::List,
            vec![attr("cpu_credits", s()).optional()],
        )
        .max(1),
        block(
            "cpu_options",
            Nesting::List,
            vec![
                attr("amd_sev_snp", s()).optional().computed().force_new(),
                attr("core_count", n()).optional().computed().force_new(),
                attr("nested_virtualization", s())
                    .optional()
                    .computed()
                    .force_new(),
                attr("threads_per_core", n())
                    .optional()
                    .computed()
                    .force_new(),
            ],
        )
        .max(1)
        .computed(),
        ebs_block_device(),
        block(
            "enclave_options",
            Nesting::List,
            vec![attr("enabled", b()).optional().computed().force_new()],
        )
        .max(1)
        .computed(),
        block(
            "launch_template",
            Nesting::List,
            vec![
                attr("id", s()).optional().force_new(),
                attr("name", s()).optional().force_new(),
                attr("version", s())
                    .optional()
                    .default("$Default")
                    .force_new(),
            ],
        )
        .max(1)
        .force_new(),
        metadata_options(),
        root_block_device(),
    ];
    blocks.extend(unsupported_blocks());
    resource("aws_instance", Mode::Managed, a, blocks)
}

/// Data source `aws_instance`: one instance found by `instance_id`, `instance_tags` and
/// `filter` blocks (exactly one must match).
fn instance_data() -> ResourceSchema {
    let mut a = vec![
        attr("instance_id", s()).optional().computed(),
        attr("instance_tags", map_s()).optional().computed(),
        attr("get_password_data", b()).optional().default(false),
        attr("get_user_data", b()).optional().default(false),
        attr("tags", map_s()).optional().computed(),
        attr("associate_public_ip_address", b()).computed(),
        attr("disable_api_stop", b()).computed(),
        attr("disable_api_termination", b()).computed(),
        attr("ebs_optimized", b()).computed(),
        attr("monitoring", b()).computed(),
        attr("source_dest_check", b()).computed(),
        attr("secondary_private_ips", set_s()).computed(),
        attr("security_groups", set_s()).computed(),
        attr("vpc_security_group_ids", set_s()).computed(),
        attr("ipv6_addresses", list_s()).computed(),
        attr("password_data", s()).computed().sensitive(),
        attr("user_data", s()).computed(),
        attr("user_data_base64", s()).computed(),
        attr("root_block_device", AttrType::Any).computed(),
        attr("ebs_block_device", AttrType::Any).computed(),
        attr("metadata_options", AttrType::Any).computed(),
        attr("credit_specification", AttrType::Any).computed(),
    ];
    a.extend(computed(&[
        "ami",
        "arn",
        "availability_zone",
        "host_id",
        "iam_instance_profile",
        "instance_initiated_shutdown_behavior",
        "instance_state",
        "instance_type",
        "key_name",
        "outpost_arn",
        "placement_group",
        "primary_network_interface_id",
        "private_dns",
        "private_ip",
        "public_dns",
        "public_ip",
        "subnet_id",
        "tenancy",
    ]));
    let filter = block(
        "filter",
        Nesting::Set,
        vec![
            attr("name", s()).required(),
            attr("values", set_s()).required(),
        ],
    );
    resource("aws_instance", Mode::Data, a, vec![filter])
}

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    vec![instance(), instance_data()]
}
