//! What a refresh reads back of the launch template arguments `launch_template_more`
//! sends (the latest version's data, in the provider's shapes: nullable network
//! interface booleans as strings, sets sorted, absent blocks as empty lists).

use std::collections::BTreeMap;

use aws_sdk_ec2::primitives::DateTimeFormat;
use aws_sdk_ec2::types::{
    InstanceRequirements, LaunchTemplateInstanceNetworkInterfaceSpecification,
    ResponseLaunchTemplateData,
};
use infra_model::Value;

use crate::util::opt;

fn num(n: Option<i32>) -> Value {
    n.map(|n| Value::Number(f64::from(n)))
        .unwrap_or(Value::Null)
}

fn fnum(n: Option<f64>) -> Value {
    n.map(Value::Number).unwrap_or(Value::Null)
}

fn boolean(b: Option<bool>) -> Value {
    b.map(Value::Bool).unwrap_or(Value::Null)
}

fn bool_str(b: Option<bool>) -> Value {
    b.map(|b| Value::string(b.to_string()))
        .unwrap_or(Value::Null)
}

fn one(v: Option<Value>) -> Value {
    Value::List(v.into_iter().collect())
}

fn set<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    let mut v: Vec<&str> = items.into_iter().collect();
    v.sort_unstable();
    v.dedup();
    crate::util::strings(v)
}

fn range(min: Option<i32>, max: Option<i32>) -> Value {
    Value::map([("min", num(min)), ("max", num(max))])
}

fn frange(min: Option<f64>, max: Option<f64>) -> Value {
    Value::map([("min", fnum(min)), ("max", fnum(max))])
}

fn requirements_value(r: &InstanceRequirements) -> Value {
    Value::map([
        (
            "vcpu_count",
            one(r.v_cpu_count().map(|x| range(x.min(), x.max()))),
        ),
        (
            "memory_mib",
            one(r.memory_mib().map(|x| range(x.min(), x.max()))),
        ),
        (
            "memory_gib_per_vcpu",
            one(r.memory_gib_per_v_cpu().map(|x| frange(x.min(), x.max()))),
        ),
        (
            "accelerator_count",
            one(r.accelerator_count().map(|x| range(x.min(), x.max()))),
        ),
        (
            "accelerator_total_memory_mib",
            one(r
                .accelerator_total_memory_mib()
                .map(|x| range(x.min(), x.max()))),
        ),
        (
            "baseline_ebs_bandwidth_mbps",
            one(r
                .baseline_ebs_bandwidth_mbps()
                .map(|x| range(x.min(), x.max()))),
        ),
        (
            "network_bandwidth_gbps",
            one(r.network_bandwidth_gbps().map(|x| frange(x.min(), x.max()))),
        ),
        (
            "network_interface_count",
            one(r.network_interface_count().map(|x| range(x.min(), x.max()))),
        ),
        (
            "total_local_storage_gb",
            one(r.total_local_storage_gb().map(|x| frange(x.min(), x.max()))),
        ),
        (
            "accelerator_manufacturers",
            set(r.accelerator_manufacturers().iter().map(|x| x.as_str())),
        ),
        (
            "accelerator_names",
            set(r.accelerator_names().iter().map(|x| x.as_str())),
        ),
        (
            "accelerator_types",
            set(r.accelerator_types().iter().map(|x| x.as_str())),
        ),
        (
            "allowed_instance_types",
            set(r.allowed_instance_types().iter().map(String::as_str)),
        ),
        (
            "excluded_instance_types",
            set(r.excluded_instance_types().iter().map(String::as_str)),
        ),
        (
            "cpu_manufacturers",
            set(r.cpu_manufacturers().iter().map(|x| x.as_str())),
        ),
        (
            "instance_generations",
            set(r.instance_generations().iter().map(|x| x.as_str())),
        ),
        (
            "local_storage_types",
            set(r.local_storage_types().iter().map(|x| x.as_str())),
        ),
        ("bare_metal", opt(r.bare_metal().map(|x| x.as_str()))),
        (
            "burstable_performance",
            opt(r.burstable_performance().map(|x| x.as_str())),
        ),
        ("local_storage", opt(r.local_storage().map(|x| x.as_str()))),
        (
            "require_hibernate_support",
            boolean(r.require_hibernate_support()),
        ),
        (
            "max_spot_price_as_percentage_of_optimal_on_demand_price",
            num(r.max_spot_price_as_percentage_of_optimal_on_demand_price()),
        ),
        (
            "on_demand_max_price_percentage_over_lowest_price",
            num(r.on_demand_max_price_percentage_over_lowest_price()),
        ),
        (
            "spot_max_price_percentage_over_lowest_price",
            num(r.spot_max_price_percentage_over_lowest_price()),
        ),
    ])
}

/// The `lt_extra` arguments as the template's latest version holds them.
pub(crate) fn values(m: &mut BTreeMap<String, Value>, d: &ResponseLaunchTemplateData) {
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("kernel_id", opt(d.kernel_id()));
    put("ram_disk_id", opt(d.ram_disk_id()));
    put(
        "disable_api_termination",
        boolean(d.disable_api_termination()),
    );
    put("disable_api_stop", boolean(d.disable_api_stop()));
    put(
        "instance_initiated_shutdown_behavior",
        opt(d.instance_initiated_shutdown_behavior().map(|x| x.as_str())),
    );
    put(
        "placement",
        one(d.placement().map(|p| {
            Value::map([
                ("affinity", opt(p.affinity())),
                ("availability_zone", opt(p.availability_zone())),
                ("group_id", opt(p.group_id())),
                ("group_name", opt(p.group_name())),
                ("host_id", opt(p.host_id())),
                ("host_resource_group_arn", opt(p.host_resource_group_arn())),
                ("partition_number", num(p.partition_number())),
                ("spread_domain", opt(p.spread_domain())),
                ("tenancy", opt(p.tenancy().map(|x| x.as_str()))),
            ])
        })),
    );
    put(
        "cpu_options",
        one(d.cpu_options().map(|o| {
            Value::map([
                ("amd_sev_snp", opt(o.amd_sev_snp().map(|x| x.as_str()))),
                ("core_count", num(o.core_count())),
                (
                    "nested_virtualization",
                    opt(o.nested_virtualization().map(|x| x.as_str())),
                ),
                ("threads_per_core", num(o.threads_per_core())),
            ])
        })),
    );
    put(
        "credit_specification",
        one(d
            .credit_specification()
            .map(|o| Value::map([("cpu_credits", opt(o.cpu_credits()))]))),
    );
    put(
        "capacity_reservation_specification",
        one(d.capacity_reservation_specification().map(|o| {
            Value::map([
                (
                    "capacity_reservation_preference",
                    opt(o.capacity_reservation_preference().map(|x| x.as_str())),
                ),
                (
                    "capacity_reservation_target",
                    one(o.capacity_reservation_target().map(|t| {
                        Value::map([
                            ("capacity_reservation_id", opt(t.capacity_reservation_id())),
                            (
                                "capacity_reservation_resource_group_arn",
                                opt(t.capacity_reservation_resource_group_arn()),
                            ),
                        ])
                    })),
                ),
            ])
        })),
    );
    put(
        "enclave_options",
        one(d
            .enclave_options()
            .map(|o| Value::map([("enabled", boolean(o.enabled()))]))),
    );
    put(
        "hibernation_options",
        one(d
            .hibernation_options()
            .map(|o| Value::map([("configured", boolean(o.configured()))]))),
    );
    put(
        "instance_market_options",
        one(d.instance_market_options().map(|o| {
            Value::map([
                ("market_type", opt(o.market_type().map(|x| x.as_str()))),
                (
                    "spot_options",
                    one(o.spot_options().map(|s| {
                        Value::map([
                            ("block_duration_minutes", num(s.block_duration_minutes())),
                            (
                                "instance_interruption_behavior",
                                opt(s.instance_interruption_behavior().map(|x| x.as_str())),
                            ),
                            ("max_price", opt(s.max_price())),
                            (
                                "spot_instance_type",
                                opt(s.spot_instance_type().map(|x| x.as_str())),
                            ),
                            (
                                "valid_until",
                                opt(s
                                    .valid_until()
                                    .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
                                    .as_deref()),
                            ),
                        ])
                    })),
                ),
            ])
        })),
    );
    put(
        "instance_requirements",
        one(d.instance_requirements().map(requirements_value)),
    );
    put(
        "license_specification",
        Value::List(
            d.license_specifications()
                .iter()
                .map(|l| {
                    Value::map([(
                        "license_configuration_arn",
                        opt(l.license_configuration_arn()),
                    )])
                })
                .collect(),
        ),
    );
    put(
        "maintenance_options",
        one(d
            .maintenance_options()
            .map(|o| Value::map([("auto_recovery", opt(o.auto_recovery().map(|x| x.as_str())))]))),
    );
    put(
        "private_dns_name_options",
        one(d.private_dns_name_options().map(|o| {
            Value::map([
                (
                    "enable_resource_name_dns_aaaa_record",
                    boolean(o.enable_resource_name_dns_aaaa_record()),
                ),
                (
                    "enable_resource_name_dns_a_record",
                    boolean(o.enable_resource_name_dns_a_record()),
                ),
                ("hostname_type", opt(o.hostname_type().map(|x| x.as_str()))),
            ])
        })),
    );
}

/// The `lt_extra` arguments of one network interface as the template holds them.
pub(crate) fn nic_values(
    n: &LaunchTemplateInstanceNetworkInterfaceSpecification,
) -> Vec<(&'static str, Value)> {
    vec![
        (
            "associate_carrier_ip_address",
            bool_str(n.associate_carrier_ip_address()),
        ),
        ("interface_type", opt(n.interface_type())),
        (
            "ipv4_addresses",
            set(n
                .private_ip_addresses()
                .iter()
                .filter(|a| a.primary() != Some(true))
                .filter_map(|a| a.private_ip_address())),
        ),
        (
            "ipv4_address_count",
            num(n.secondary_private_ip_address_count()),
        ),
        (
            "ipv4_prefixes",
            set(n.ipv4_prefixes().iter().filter_map(|p| p.ipv4_prefix())),
        ),
        ("ipv4_prefix_count", num(n.ipv4_prefix_count())),
        (
            "ipv6_addresses",
            set(n.ipv6_addresses().iter().filter_map(|a| a.ipv6_address())),
        ),
        ("ipv6_address_count", num(n.ipv6_address_count())),
        (
            "ipv6_prefixes",
            set(n.ipv6_prefixes().iter().filter_map(|p| p.ipv6_prefix())),
        ),
        ("ipv6_prefix_count", num(n.ipv6_prefix_count())),
        ("network_card_index", num(n.network_card_index())),
        ("primary_ipv6", bool_str(n.primary_ipv6())),
        (
            "ena_srd_specification",
            one(n.ena_srd_specification().map(|e| {
                Value::map([
                    ("ena_srd_enabled", boolean(e.ena_srd_enabled())),
                    (
                        "ena_srd_udp_specification",
                        one(e.ena_srd_udp_specification().map(|u| {
                            Value::map([("ena_srd_udp_enabled", boolean(u.ena_srd_udp_enabled()))])
                        })),
                    ),
                ])
            })),
        ),
        (
            "connection_tracking_specification",
            one(n.connection_tracking_specification().map(|t| {
                Value::map([
                    ("tcp_established_timeout", num(t.tcp_established_timeout())),
                    ("udp_stream_timeout", num(t.udp_stream_timeout())),
                    ("udp_timeout", num(t.udp_timeout())),
                ])
            })),
        ),
    ]
}
