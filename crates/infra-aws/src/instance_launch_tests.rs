//! The RunInstances request built from an `aws_instance` configuration.

use super::*;

fn req(config: Value) -> CreateRequest {
    CreateRequest {
        stack: "s".into(),
        address: infra_model::Address::parse("aws_instance.web[\"a\"]").unwrap(),
        type_name: TYPE.into(),
        config,
        token: "run1-0123456789abcdef".into(),
        known_ids: vec![],
    }
}

fn tags(spec: &TagSpecification) -> Vec<(String, String)> {
    spec.tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn base() -> Vec<(&'static str, Value)> {
    vec![
        ("ami", Value::string("ami-1")),
        ("instance_type", Value::string("t3.micro")),
        ("subnet_id", Value::string("subnet-1")),
        (
            "vpc_security_group_ids",
            Value::List(vec!["sg-1".into(), "sg-2".into()]),
        ),
        ("tags", Value::map([("Name", Value::string("web"))])),
    ]
}

#[test]
fn a_plain_instance_goes_to_its_subnet_with_its_groups_token_and_tags() {
    let mut c = base();
    c.push(("user_data", Value::string("#!/bin/sh\necho hi\n")));
    c.push(("disable_api_termination", Value::Bool(true)));
    c.push(("monitoring", Value::Bool(true)));
    c.push((
        "volume_tags",
        Value::map([("backup", Value::string("daily"))]),
    ));
    let input = run_input(&req(Value::map(c)), None)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(input.image_id(), Some("ami-1"));
    assert_eq!(input.instance_type().map(|t| t.as_str()), Some("t3.micro"));
    assert_eq!((input.min_count(), input.max_count()), (Some(1), Some(1)));
    assert_eq!(input.client_token(), Some("run1-0123456789abcdef"));
    assert_eq!(input.subnet_id(), Some("subnet-1"));
    assert_eq!(input.security_group_ids(), ["sg-1", "sg-2"]);
    assert!(input.network_interfaces().is_empty());
    assert_eq!(
        input.user_data(),
        Some(aws_smithy_types::base64::encode("#!/bin/sh\necho hi\n").as_str())
    );
    assert_eq!(input.disable_api_termination(), Some(true));
    assert_eq!(input.monitoring().and_then(|m| m.enabled()), Some(true));
    let specs = input.tag_specifications();
    assert_eq!(specs.len(), 2);
    assert_eq!(specs[0].resource_type(), Some(&ResourceType::Instance));
    let t = tags(&specs[0]);
    assert!(t.contains(&("Name".into(), "web".into())));
    assert!(t.contains(&("infra:stack".into(), "s".into())));
    assert!(t.contains(&("infra:address".into(), "aws_instance.web[\"a\"]".into())));
    assert_eq!(specs[1].resource_type(), Some(&ResourceType::Volume));
    assert_eq!(
        tags(&specs[1]),
        [("backup".to_string(), "daily".to_string())]
    );
    // no block written: no block device mapping, no metadata options
    assert!(input.block_device_mappings().is_empty());
    assert!(input.metadata_options().is_none());
}

#[test]
fn a_public_address_moves_subnet_groups_and_ips_onto_the_primary_interface() {
    let mut c = base();
    c.push(("associate_public_ip_address", Value::Bool(true)));
    c.push(("private_ip", Value::string("10.0.1.10")));
    c.push((
        "secondary_private_ips",
        Value::List(vec!["10.0.1.11".into()]),
    ));
    let input = run_input(&req(Value::map(c)), None)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(input.subnet_id(), None);
    assert!(input.security_group_ids().is_empty());
    assert_eq!(input.private_ip_address(), None);
    let [eni] = input.network_interfaces() else {
        panic!("one interface: {:?}", input.network_interfaces())
    };
    assert_eq!(eni.device_index(), Some(0));
    assert_eq!(eni.associate_public_ip_address(), Some(true));
    assert_eq!(eni.subnet_id(), Some("subnet-1"));
    assert_eq!(eni.groups(), ["sg-1", "sg-2"]);
    let ips: Vec<(Option<bool>, Option<&str>)> = eni
        .private_ip_addresses()
        .iter()
        .map(|a| (a.primary(), a.private_ip_address()))
        .collect();
    assert_eq!(
        ips,
        [
            (Some(true), Some("10.0.1.10")),
            (Some(false), Some("10.0.1.11"))
        ]
    );
}

#[test]
fn blocks_become_metadata_options_and_block_devices() {
    let mut c = base();
    c.push((
        "metadata_options",
        Value::List(vec![Value::map([
            ("http_endpoint", Value::string("disabled")),
            ("http_put_response_hop_limit", Value::Number(2.0)),
        ])]),
    ));
    c.push((
        "root_block_device",
        Value::List(vec![Value::map([
            ("volume_size", Value::Number(20.0)),
            ("volume_type", Value::string("gp3")),
            ("throughput", Value::Number(250.0)),
            ("iops", Value::Number(4000.0)),
            ("encrypted", Value::Bool(true)),
            ("delete_on_termination", Value::Bool(true)),
        ])]),
    ));
    c.push((
        "ebs_block_device",
        Value::List(vec![Value::map([
            ("device_name", Value::string("/dev/sdf")),
            ("volume_size", Value::Number(5.0)),
            ("volume_type", Value::string("gp2")),
            // IOPS is not sent for gp2 (the provider's 0-means-unset)
            ("iops", Value::Number(0.0)),
            ("snapshot_id", Value::string("snap-1")),
        ])]),
    ));
    let input = run_input(&req(Value::map(c)), Some("/dev/xvda"))
        .unwrap()
        .build()
        .unwrap();
    let md = input.metadata_options().unwrap();
    assert_eq!(md.http_endpoint().map(|e| e.as_str()), Some("disabled"));
    assert_eq!(md.http_put_response_hop_limit(), Some(2));
    assert!(md.http_tokens().is_none(), "unset stays unset");
    let [root, data] = input.block_device_mappings() else {
        panic!("{:?}", input.block_device_mappings())
    };
    assert_eq!(root.device_name(), Some("/dev/xvda"));
    let e = root.ebs().unwrap();
    assert_eq!(
        (e.volume_size(), e.iops(), e.throughput(), e.encrypted()),
        (Some(20), Some(4000), Some(250), Some(true))
    );
    assert_eq!(e.snapshot_id(), None);
    assert_eq!(data.device_name(), Some("/dev/sdf"));
    let e = data.ebs().unwrap();
    assert_eq!((e.volume_size(), e.iops()), (Some(5), None));
    assert_eq!(e.snapshot_id(), Some("snap-1"));
}

#[test]
fn conflicting_or_missing_arguments_are_refused_naming_the_address() {
    let mut c = base();
    c.push(("user_data", Value::string("a")));
    c.push(("user_data_base64", Value::string("YQ==")));
    let e = run_input(&req(Value::map(c)), None).unwrap_err();
    assert!(e.message.starts_with("aws_instance.web[\"a\"]:"), "{e}");
    assert!(e.message.contains("conflict"), "{e}");
    let e = run_input(
        &req(Value::map([("instance_type", Value::string("t3.micro"))])),
        None,
    )
    .unwrap_err();
    assert!(e.message.contains("`ami` must be set"), "{e}");
    let mut c = base();
    c.push((
        "instance_market_options",
        Value::List(vec![Value::map([("market_type", Value::string("spot"))])]),
    ));
    let e = run_input(&req(Value::map(c)), None).unwrap_err();
    assert!(e.message.contains("`instance_market_options`"), "{e}");
    // an empty block (a module's dynamic block with no elements) is fine
    let mut c = base();
    c.push(("instance_market_options", Value::List(vec![])));
    assert!(run_input(&req(Value::map(c)), None).is_ok());
    // a launch template stands in for ami and instance_type
    let c = Value::map([(
        "launch_template",
        Value::List(vec![Value::map([
            ("name", Value::string("lt")),
            ("version", Value::string("$Latest")),
        ])]),
    )]);
    let input = run_input(&req(c), None).unwrap().build().unwrap();
    let lt = input.launch_template().unwrap();
    assert_eq!(
        (lt.launch_template_name(), lt.version()),
        (Some("lt"), Some("$Latest"))
    );
}

#[test]
fn user_data_is_sent_as_base64() {
    let text = Value::map([("user_data", Value::string("hello"))]);
    assert_eq!(
        user_data_base64(&text).unwrap().as_deref(),
        Some("aGVsbG8=")
    );
    let b64 = Value::map([("user_data_base64", Value::string("aGVsbG8="))]);
    assert_eq!(user_data_base64(&b64).unwrap().as_deref(), Some("aGVsbG8="));
    let bad = Value::map([("user_data_base64", Value::string("not base64!"))]);
    assert!(user_data_base64(&bad).unwrap_err().contains("base64"));
    assert_eq!(user_data_base64(&Value::map::<&str>([])).unwrap(), None);
}
