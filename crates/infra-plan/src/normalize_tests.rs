use super::*;
use infra_model::schema::lookup;
use infra_model::Mode;

fn schema(t: &str) -> &'static ResourceSchema {
    lookup(Mode::Managed, t).expect("schema")
}

fn json(v: serde_json::Value) -> Value {
    Value::from_json(&v)
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// One normalize case: (type, config, prior, default tags) -> expected fields.
fn check(
    t: &str,
    config: serde_json::Value,
    prior: Option<serde_json::Value>,
    dt: &[(&str, &str)],
    expect: &[(&str, Value)],
) {
    let prior = prior.map(json);
    let got = normalize(schema(t), &json(config), prior.as_ref(), &tags(dt));
    for (k, want) in expect {
        assert_eq!(got.get(k), want, "{t}.{k} in {got}");
    }
    for a in &schema(t).attributes {
        assert!(
            got.as_map().unwrap().contains_key(a.name),
            "{t}.{} missing",
            a.name
        );
    }
}

#[test]
fn create_fills_defaults_and_unknowns() {
    check(
        "aws_vpc",
        serde_json::json!({"cidr_block": "10.0.0.0/16", "tags": {"Name": "main"}}),
        None,
        &[("env", "prod")],
        &[
            ("cidr_block", Value::string("10.0.0.0/16")),
            ("enable_dns_support", Value::Bool(true)),
            ("enable_dns_hostnames", Value::Bool(false)),
            ("id", Value::Unknown),
            ("arn", Value::Unknown),
            (
                "tags_all",
                json(serde_json::json!({"Name": "main", "env": "prod"})),
            ),
        ],
    );
}

#[test]
fn optional_computed_takes_prior_or_unknown() {
    let cfg = serde_json::json!({"vpc_id": "vpc-1", "cidr_block": "10.0.1.0/24"});
    check(
        "aws_subnet",
        cfg.clone(),
        None,
        &[],
        &[("availability_zone", Value::Unknown), ("tags", Value::Null)],
    );
    check(
        "aws_subnet",
        cfg,
        Some(
            serde_json::json!({"id": "subnet-1", "availability_zone": "us-east-1a", "arn": "arn:1"}),
        ),
        &[],
        &[
            ("availability_zone", Value::string("us-east-1a")),
            ("id", Value::string("subnet-1")),
            ("owner_id", Value::Null),
        ],
    );
}

#[test]
fn tags_all_unknown_when_tags_unknown_and_tag_wins_over_default() {
    check(
        "aws_vpc",
        serde_json::json!({"cidr_block": "x"}),
        None,
        &[("a", "1")],
        &[("tags_all", json(serde_json::json!({"a": "1"})))],
    );
    let cfg = Value::map([
        ("cidr_block", Value::from("x")),
        ("tags", Value::map([("a", Value::Unknown)])),
    ]);
    let got = normalize(schema("aws_vpc"), &cfg, None, &tags(&[("a", "1")]));
    assert_eq!(got.get("tags_all"), &Value::Unknown);
    check(
        "aws_vpc",
        serde_json::json!({"cidr_block": "x", "tags": {"a": "2"}}),
        None,
        &[("a", "1")],
        &[("tags_all", json(serde_json::json!({"a": "2"})))],
    );
}

#[test]
fn infra_tags_are_carried_from_prior() {
    check(
        "aws_vpc",
        serde_json::json!({"cidr_block": "x", "tags": {"Name": "n"}}),
        Some(
            serde_json::json!({"tags": {"Name": "n", "infra:stack": "s"}, "tags_all": {"Name": "n", "infra:stack": "s"}}),
        ),
        &[],
        &[
            (
                "tags",
                json(serde_json::json!({"Name": "n", "infra:stack": "s"})),
            ),
            (
                "tags_all",
                json(serde_json::json!({"Name": "n", "infra:stack": "s"})),
            ),
        ],
    );
}

/// An inline route to a gateway, with every other destination and target null.
fn route(cidr: &str, gateway: &str) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for k in [
        "ipv6_cidr_block",
        "destination_prefix_list_id",
        "carrier_gateway_id",
        "core_network_arn",
        "egress_only_gateway_id",
        "local_gateway_id",
        "nat_gateway_id",
        "network_interface_id",
        "transit_gateway_id",
        "vpc_endpoint_id",
        "vpc_peering_connection_id",
    ] {
        m.insert(k.into(), serde_json::Value::Null);
    }
    m.insert("cidr_block".into(), cidr.into());
    m.insert("gateway_id".into(), gateway.into());
    serde_json::Value::Object(m)
}

#[test]
fn computed_blocks_empty_on_create_prior_on_update_and_sets_sorted() {
    let rt = serde_json::json!({"vpc_id": "vpc-1"});
    check(
        "aws_route_table",
        rt.clone(),
        None,
        &[],
        &[("route", Value::List(vec![]))],
    );
    let prior_routes = serde_json::json!([{"cidr_block": "0.0.0.0/0", "gateway_id": "igw-1", "nat_gateway_id": null}]);
    check(
        "aws_route_table",
        rt,
        Some(serde_json::json!({"id": "rtb-1", "route": prior_routes})),
        &[],
        // a route the state recorded before the block had every destination and target:
        // the attributes it lacks are null
        &[(
            "route",
            json(serde_json::json!([route("0.0.0.0/0", "igw-1")])),
        )],
    );
    let cfg = serde_json::json!({"vpc_id": "v", "route": [{"cidr_block": "10.1.0.0/16", "gateway_id": "b"}, {"cidr_block": "0.0.0.0/0", "gateway_id": "a"}]});
    check(
        "aws_route_table",
        cfg,
        None,
        &[],
        &[(
            "route",
            json(serde_json::json!([
                route("0.0.0.0/0", "a"),
                route("10.1.0.0/16", "b"),
            ])),
        )],
    );
}

#[test]
fn set_attributes_sorted_and_block_defaults_applied() {
    let cfg = serde_json::json!({"name": "db", "ingress": [{"from_port": 5432, "to_port": 5432, "protocol": "tcp", "security_groups": ["sg-b", "sg-a", "sg-b"]}]});
    let got = normalize(
        schema("aws_security_group"),
        &json(cfg),
        None,
        &BTreeMap::new(),
    );
    let rule = &got.get("ingress").as_list().unwrap()[0];
    assert_eq!(
        rule.get("security_groups"),
        &json(serde_json::json!(["sg-a", "sg-b"]))
    );
    assert_eq!(rule.get("self"), &Value::Bool(false));
    assert_eq!(got.get("egress"), &Value::List(vec![]));
    assert_eq!(
        got.get("description"),
        &Value::string("Managed by Terraform")
    );
}

#[test]
fn unknown_config_is_unknown() {
    assert_eq!(
        normalize(schema("aws_vpc"), &Value::Unknown, None, &BTreeMap::new()),
        Value::Unknown
    );
}

#[test]
fn an_empty_string_is_unset_where_the_provider_stores_unset_strings_as_empty() {
    // terraform-aws-vpc passes `netbios_node_type = var.dhcp_options_netbios_node_type`,
    // whose default is "": against a set read back without the option, that must not
    // plan a (forcing) change
    let prior = serde_json::json!({"id": "dopt-1", "domain_name_servers": ["10.0.0.2"],
        "netbios_node_type": null, "tags": {}});
    check(
        "aws_vpc_dhcp_options",
        serde_json::json!({"domain_name_servers": ["10.0.0.2"], "netbios_node_type": "",
            "domain_name": "", "ipv6_address_preferred_lease_time": ""}),
        Some(prior),
        &[],
        &[
            ("netbios_node_type", Value::Null),
            ("domain_name", Value::Null),
            ("ipv6_address_preferred_lease_time", Value::Null),
        ],
    );
    // where the provider tells "" from unset, "" stays a value
    check(
        "aws_vpc",
        serde_json::json!({"cidr_block": "10.0.0.0/16", "ipv4_ipam_pool_id": ""}),
        None,
        &[],
        &[("ipv4_ipam_pool_id", Value::String(String::new()))],
    );
}

#[test]
fn a_launch_template_passed_empty_strings_plans_them_unset() {
    // terraform-aws-eks's node group module passes `image_id = ""` (and more) for what it
    // leaves to EKS; the template read back has none, so nothing must be planned
    check(
        "aws_launch_template",
        serde_json::json!({"name": "lt", "image_id": "", "kernel_id": "", "instance_type": "m5.large",
            "block_device_mappings": [{"device_name": "/dev/xvda", "ebs": [{"kms_key_id": "", "volume_size": 20}]}]}),
        None,
        &[],
        &[
            ("image_id", Value::Null),
            ("kernel_id", Value::Null),
            ("instance_type", Value::String("m5.large".into())),
        ],
    );
}
