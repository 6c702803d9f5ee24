//! How an instance reads back: DescribeInstances and DescribeVolumes answers as values.

use super::*;
use aws_sdk_ec2::types::{
    EbsInstanceBlockDevice, GroupIdentifier, InstanceBlockDeviceMapping,
    InstanceMetadataEndpointState, InstanceMetadataOptionsResponse, InstanceNetworkInterface,
    InstanceNetworkInterfaceAssociation, InstanceNetworkInterfaceAttachment,
    InstancePrivateIpAddress, InstanceState, InstanceType, Monitoring, Placement, Tag, VolumeType,
};
use aws_types::region::Region;
use aws_types::SdkConfig;

fn offline() -> AwsProvider {
    let config = SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .build();
    AwsProvider::from_config(&config).unwrap()
}

fn interface(public: Option<&str>) -> InstanceNetworkInterface {
    InstanceNetworkInterface::builder()
        .network_interface_id("eni-1")
        .attachment(
            InstanceNetworkInterfaceAttachment::builder()
                .device_index(0)
                .build(),
        )
        // the emulator answers an empty association without a public address
        .association(
            InstanceNetworkInterfaceAssociation::builder()
                .set_public_ip(public.map(str::to_string))
                .build(),
        )
        .private_ip_addresses(
            InstancePrivateIpAddress::builder()
                .primary(true)
                .private_ip_address("10.0.1.4")
                .build(),
        )
        .private_ip_addresses(
            InstancePrivateIpAddress::builder()
                .primary(false)
                .private_ip_address("10.0.1.9")
                .build(),
        )
        .build()
}

fn instance(state: InstanceStateName, public: Option<&str>) -> Found {
    let i = Instance::builder()
        .instance_id("i-1")
        .image_id("ami-1")
        .instance_type(InstanceType::T3Micro)
        .state(InstanceState::builder().name(state).build())
        .placement(
            Placement::builder()
                .availability_zone("us-east-1a")
                .group_name("")
                .tenancy(aws_sdk_ec2::types::Tenancy::Default)
                .build(),
        )
        .subnet_id("subnet-1")
        .private_ip_address("10.0.1.4")
        .set_public_ip_address(public.map(str::to_string))
        .security_groups(
            GroupIdentifier::builder()
                .group_id("sg-2")
                .group_name("b")
                .build(),
        )
        .security_groups(
            GroupIdentifier::builder()
                .group_id("sg-1")
                .group_name("a")
                .build(),
        )
        .source_dest_check(true)
        .monitoring(
            Monitoring::builder()
                .state(MonitoringState::Enabled)
                .build(),
        )
        .metadata_options(
            // after ModifyInstanceMetadataOptions the emulator leaves fields out
            InstanceMetadataOptionsResponse::builder()
                .http_endpoint(InstanceMetadataEndpointState::Disabled)
                .http_put_response_hop_limit(1)
                .build(),
        )
        .root_device_name("/dev/xvda")
        .block_device_mappings(
            InstanceBlockDeviceMapping::builder()
                .device_name("/dev/xvda")
                .ebs(
                    EbsInstanceBlockDevice::builder()
                        .volume_id("vol-root")
                        .delete_on_termination(true)
                        .build(),
                )
                .build(),
        )
        .network_interfaces(interface(public))
        .tags(Tag::builder().key("Name").value("web").build())
        .tags(Tag::builder().key("infra:stack").value("s").build())
        .build();
    Found {
        owner: Some("123456789012".into()),
        instance: i,
    }
}

fn root_volume() -> HashMap<String, Volume> {
    let v = Volume::builder()
        .volume_id("vol-root")
        .size(12)
        .volume_type(VolumeType::Gp3)
        .iops(3000)
        .encrypted(false)
        .tags(Tag::builder().key("backup").value("daily").build())
        .build();
    HashMap::from([("vol-root".to_string(), v)])
}

#[test]
fn terminated_and_shutting_down_instances_are_gone() {
    assert!(is_gone(
        &instance(InstanceStateName::Terminated, None).instance
    ));
    assert!(is_gone(
        &instance(InstanceStateName::ShuttingDown, None).instance
    ));
    assert!(!is_gone(
        &instance(InstanceStateName::Stopped, None).instance
    ));
    assert!(!is_gone(
        &instance(InstanceStateName::Pending, None).instance
    ));
}

#[test]
fn an_instance_reads_back_with_its_volume_and_network() {
    let p = offline();
    let prior = Value::map([
        ("id", Value::string("i-1")),
        ("tags", Value::map([("Name", Value::string("web"))])),
        ("disable_api_termination", Value::Bool(true)),
        ("user_data", Value::string("hello")),
        (
            "volume_tags",
            Value::map([("backup", Value::string("daily"))]),
        ),
        (
            "metadata_options",
            Value::List(vec![Value::map([
                ("http_endpoint", Value::string("disabled")),
                ("http_tokens", Value::string("required")),
                ("instance_metadata_tags", Value::string("disabled")),
            ])]),
        ),
        (
            "root_block_device",
            Value::List(vec![Value::map([
                ("throughput", Value::Number(250.0)),
                ("tags", Value::Null),
            ])]),
        ),
    ]);
    let f = instance(InstanceStateName::Running, Some("54.1.2.3"));
    let (id, v) = to_value(&p, &f, &root_volume(), None, Some(&prior)).unwrap();
    assert_eq!(id, "i-1");
    assert_eq!(
        v.get("arn").as_str(),
        Some("arn:aws:ec2:us-east-1:123456789012:instance/i-1")
    );
    assert_eq!(v.get("instance_type").as_str(), Some("t3.micro"));
    assert_eq!(v.get("instance_state").as_str(), Some("running"));
    assert_eq!(v.get("public_ip").as_str(), Some("54.1.2.3"));
    assert_eq!(v.get("associate_public_ip_address"), &Value::Bool(true));
    assert_eq!(
        v.get("primary_network_interface_id").as_str(),
        Some("eni-1")
    );
    assert_eq!(
        v.get("secondary_private_ips"),
        &Value::List(vec!["10.0.1.9".into()])
    );
    assert!(
        v.get("placement_group").is_null(),
        "an empty group name is none"
    );
    // ids, as the provider, when the configuration does not name groups
    assert_eq!(
        v.get("security_groups"),
        &Value::List(vec!["sg-2".into(), "sg-1".into()])
    );
    assert_eq!(v.get("monitoring"), &Value::Bool(true));
    // what DescribeInstances does not say is kept from the record
    assert_eq!(v.get("disable_api_termination"), &Value::Bool(true));
    assert_eq!(v.get("user_data").as_str(), Some("hello"));
    // metadata fields the answer leaves out are the record's
    let md = &v.get("metadata_options").as_list().unwrap()[0];
    assert_eq!(md.get("http_endpoint").as_str(), Some("disabled"));
    assert_eq!(md.get("http_tokens").as_str(), Some("required"));
    assert_eq!(md.get("http_put_response_hop_limit").as_f64(), Some(1.0));
    // the root volume: the volume's size and type, the record's throughput (not reported)
    let root = &v.get("root_block_device").as_list().unwrap()[0];
    assert_eq!(root.get("volume_id").as_str(), Some("vol-root"));
    assert_eq!(root.get("device_name").as_str(), Some("/dev/xvda"));
    assert_eq!(root.get("volume_size").as_f64(), Some(12.0));
    assert_eq!(root.get("volume_type").as_str(), Some("gp3"));
    assert_eq!(root.get("throughput").as_f64(), Some(250.0));
    assert_eq!(root.get("delete_on_termination"), &Value::Bool(true));
    assert_eq!(root.get("tags_all").get("backup").as_str(), Some("daily"));
    assert_eq!(v.get("volume_tags").get("backup").as_str(), Some("daily"));
    assert_eq!(v.get("ebs_block_device"), &Value::List(vec![]));
    // infra:* never shows
    assert!(v.get("tags_all").get("infra:stack").is_null());
    assert_eq!(v.get("tags").get("Name").as_str(), Some("web"));
}

#[test]
fn without_a_record_the_attributes_come_from_describe_instance_attribute() {
    let p = offline();
    let f = instance(InstanceStateName::Running, None);
    let attrs = Attributes {
        disable_api_termination: Some(true),
        disable_api_stop: None,
        shutdown_behavior: Some("stop".into()),
        user_data: Some(aws_smithy_types::base64::encode("#!/bin/sh\n")),
    };
    let (_, v) = to_value(&p, &f, &HashMap::new(), Some(&attrs), None).unwrap();
    assert_eq!(v.get("disable_api_termination"), &Value::Bool(true));
    assert_eq!(v.get("disable_api_stop"), &Value::Bool(false));
    assert_eq!(
        v.get("instance_initiated_shutdown_behavior").as_str(),
        Some("stop")
    );
    assert_eq!(v.get("user_data").as_str(), Some("#!/bin/sh\n"));
    assert!(v.get("user_data_base64").is_null());
    // an empty association is no public address
    assert_eq!(v.get("associate_public_ip_address"), &Value::Bool(false));
    assert!(v.get("public_ip").is_null());
    // a configuration using user_data_base64 reads it back as base64
    let b64 = Value::map([("user_data_base64", Value::string("IyEvYmluL3NoCg=="))]);
    let (_, v) = to_value(&p, &f, &HashMap::new(), Some(&attrs), Some(&b64)).unwrap();
    assert!(v.get("user_data").is_null());
    assert_eq!(v.get("user_data_base64").as_str(), Some("IyEvYmluL3NoCg=="));
    // imported with no configuration: tags are what the cloud has
    assert_eq!(v.get("force_destroy"), &Value::Bool(false));
}

#[test]
fn flags_the_cloud_may_leave_unsaid_keep_the_record() {
    let none = Value::map::<&str>([]);
    let yes = Value::map([("hibernation", Value::Bool(true))]);
    let no = Value::map([("hibernation", Value::Bool(false))]);
    assert_eq!(
        flag(Some(true), Some(&none), "hibernation"),
        Value::Bool(true)
    );
    assert_eq!(
        flag(Some(false), Some(&yes), "hibernation"),
        Value::Bool(false)
    );
    assert_eq!(
        flag(Some(false), Some(&no), "hibernation"),
        Value::Bool(false)
    );
    // not configured and not set: stays null (no perpetual diff against a default)
    assert_eq!(flag(Some(false), Some(&none), "hibernation"), Value::Null);
    assert_eq!(flag(None, Some(&yes), "hibernation"), Value::Bool(true));
    assert_eq!(flag(None, None, "hibernation"), Value::Null);
}
