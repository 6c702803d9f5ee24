//! What EKS node groups and private clusters build on besides the network: launch
//! templates, VPC endpoints (gateway and interface), and the lookups of a node image
//! (`aws_ami`) and of an endpoint service.
//!
//! Names, defaults, computed attributes and force-new marks are the Terraform AWS
//! provider's (`website/docs/r/launch_template.html.markdown`, `r/vpc_endpoint`,
//! `d/ami`, `d/vpc_endpoint_service`).

use super::*;

fn list_of_maps() -> AttrType {
    AttrType::List(Box::new(AttrType::Map(Box::new(AttrType::String))))
}

fn launch_template() -> ResourceSchema {
    // only the name forces a new template: every change of its data is a new version;
    // the provider stores an unset string as "" (terraform-aws-eks passes `image_id = ""`
    // and `ebs_optimized = ""` for what it leaves to EKS), so "" is unset here too
    let mut a = vec![
        attr("name", s()).optional().computed().force_new(),
        attr("name_prefix", s()).optional().computed().force_new(),
        attr("description", s()).optional().empty_is_null(),
        attr("default_version", n()).optional().computed(),
        attr("update_default_version", b()).optional(),
        attr("image_id", s()).optional().empty_is_null(),
        attr("instance_type", s()).optional().empty_is_null(),
        attr("key_name", s()).optional().empty_is_null(),
        attr("user_data", s()).optional().empty_is_null(),
        attr("ebs_optimized", s()).optional().empty_is_null(),
        attr("vpc_security_group_ids", set_s()).optional(),
        attr("security_group_names", set_s()).optional(),
        attr("latest_version", n()).computed(),
    ];
    a.extend(super::lt_extra::attributes());
    a.extend(tags());
    a.extend(computed(&["arn"]));
    let ebs = block(
        "ebs",
        Nesting::List,
        vec![
            attr("delete_on_termination", s())
                .optional()
                .empty_is_null(),
            attr("encrypted", s()).optional().empty_is_null(),
            attr("iops", n()).optional().computed(),
            attr("kms_key_id", s()).optional().empty_is_null(),
            attr("snapshot_id", s()).optional().empty_is_null(),
            attr("throughput", n()).optional().computed(),
            attr("volume_size", n()).optional().computed(),
            attr("volume_type", s()).optional().computed(),
            attr("volume_initialization_rate", n()).optional(),
        ],
    )
    .max(1);
    let bdm = block(
        "block_device_mappings",
        Nesting::List,
        vec![
            attr("device_name", s()).optional(),
            attr("no_device", s()).optional(),
            attr("virtual_name", s()).optional(),
        ],
    )
    .blocks(vec![ebs]);
    let metadata = block(
        "metadata_options",
        Nesting::List,
        vec![
            attr("http_endpoint", s()).optional().computed(),
            attr("http_tokens", s()).optional().computed(),
            attr("http_put_response_hop_limit", n())
                .optional()
                .computed(),
            attr("http_protocol_ipv6", s()).optional(),
            attr("instance_metadata_tags", s()).optional().computed(),
        ],
    )
    .max(1);
    let nic = block(
        "network_interfaces",
        Nesting::List,
        vec![
            attr("associate_public_ip_address", s()).optional(),
            attr("delete_on_termination", s()).optional(),
            attr("description", s()).optional(),
            attr("device_index", n()).optional(),
            attr("network_interface_id", s()).optional(),
            attr("private_ip_address", s()).optional(),
            attr("security_groups", set_s()).optional(),
            attr("subnet_id", s()).optional(),
        ]
        .into_iter()
        .chain(super::lt_extra::nic_attributes())
        .collect(),
    )
    .blocks(super::lt_extra::nic_blocks());
    let tag_spec = block(
        "tag_specifications",
        Nesting::List,
        vec![
            attr("resource_type", s()).optional(),
            attr("tags", map_s()).optional(),
        ],
    );
    let profile = block(
        "iam_instance_profile",
        Nesting::List,
        vec![attr("arn", s()).optional(), attr("name", s()).optional()],
    )
    .max(1);
    let monitoring = block(
        "monitoring",
        Nesting::List,
        vec![attr("enabled", b()).optional()],
    )
    .max(1);
    let mut blocks = vec![bdm, metadata, nic, tag_spec, profile, monitoring];
    blocks.extend(super::lt_extra::blocks());
    resource("aws_launch_template", Mode::Managed, a, blocks)
}

fn vpc_endpoint() -> ResourceSchema {
    let mut a = vec![
        attr("vpc_id", s()).required().force_new(),
        attr("service_name", s()).required().force_new(),
        attr("vpc_endpoint_type", s())
            .optional()
            .default("Gateway")
            .force_new(),
        attr("auto_accept", b()).optional(),
        attr("policy", AttrType::Json).optional().computed(),
        attr("private_dns_enabled", b()).optional().computed(),
        attr("route_table_ids", set_s()).optional().computed(),
        attr("subnet_ids", set_s()).optional().computed(),
        attr("security_group_ids", set_s()).optional().computed(),
        attr("ip_address_type", s()).optional().computed(),
        attr("cidr_blocks", list_s()).computed(),
        attr("network_interface_ids", set_s()).computed(),
        attr("dns_entry", list_of_maps()).computed(),
        attr("requester_managed", b()).computed(),
    ];
    // provider v6: the Region of the service (cross-Region endpoints)
    a.push(
        attr("service_region", s())
            .optional()
            .computed()
            .force_new(),
    );
    a.extend(tags());
    a.extend(computed(&["arn", "owner_id", "prefix_list_id", "state"]));
    let dns_options = block(
        "dns_options",
        Nesting::List,
        vec![
            attr("dns_record_ip_type", s()).optional().computed(),
            attr("private_dns_only_for_inbound_resolver_endpoint", b()).optional(),
        ],
    )
    .max(1)
    .computed();
    // read back from the endpoint's network interfaces, as the provider does
    let subnet_configuration = block(
        "subnet_configuration",
        Nesting::Set,
        vec![
            attr("ipv4", s()).optional(),
            attr("ipv6", s()).optional(),
            attr("subnet_id", s()).optional(),
        ],
    )
    .computed();
    resource(
        "aws_vpc_endpoint",
        Mode::Managed,
        a,
        vec![dns_options, subnet_configuration],
    )
}

fn filter_block() -> BlockSchema {
    block(
        "filter",
        Nesting::Set,
        vec![
            attr("name", s()).required(),
            attr("values", set_s()).required(),
        ],
    )
}

fn data_sources() -> Vec<ResourceSchema> {
    use Mode::Data;
    let mut ami = vec![
        attr("owners", list_s()).optional(),
        attr("most_recent", b()).optional().default(false),
        attr("executable_users", list_s()).optional(),
        attr("include_deprecated", b()).optional().default(false),
        // applied on the client to the images DescribeImages returns, as the provider does
        attr("name_regex", s()).optional(),
    ];
    for name in [
        "id",
        "arn",
        "image_id",
        "name",
        "description",
        "architecture",
        "creation_date",
        "deprecation_time",
        "hypervisor",
        "image_location",
        "image_owner_alias",
        "image_type",
        "kernel_id",
        "owner_id",
        "platform",
        "platform_details",
        "ramdisk_id",
        "root_device_name",
        "root_device_type",
        "root_snapshot_id",
        "sriov_net_support",
        "state",
        "usage_operation",
        "virtualization_type",
        "boot_mode",
        "tpm_support",
        "imds_support",
    ] {
        ami.push(attr(name, s()).computed());
    }
    ami.push(attr("public", b()).computed());
    ami.push(attr("ena_support", b()).computed());
    ami.push(attr("tags", map_s()).optional().computed());
    ami.push(attr("block_device_mappings", AttrType::Any).computed());
    let auth = vec![
        attr("name", s()).required(),
        attr("id", s()).computed(),
        attr("token", s()).computed().sensitive(),
    ];
    let service = vec![
        attr("service", s()).optional(),
        attr("service_name", s()).optional().computed(),
        attr("service_type", s()).optional().computed(),
        // provider v6: look the service up in these Regions (cross-Region endpoints)
        attr("service_regions", set_s()).optional(),
        attr("tags", map_s()).optional().computed(),
        attr("id", s()).computed(),
        attr("service_id", s()).computed(),
        attr("owner", s()).computed(),
        attr("acceptance_required", b()).computed(),
        attr("availability_zones", set_s()).computed(),
        attr("base_endpoint_dns_names", set_s()).computed(),
        attr("manages_vpc_endpoints", b()).computed(),
        attr("private_dns_name", s()).computed(),
        attr("vpc_endpoint_policy_supported", b()).computed(),
        attr("arn", s()).computed(),
    ];
    vec![
        resource("aws_ami", Data, ami, vec![filter_block()]),
        resource("aws_eks_cluster_auth", Data, auth, vec![]),
        resource(
            "aws_vpc_endpoint_service",
            Data,
            service,
            vec![filter_block()],
        ),
    ]
}

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    let mut out = vec![launch_template(), vpc_endpoint()];
    out.extend(data_sources());
    out
}
