//! EC2 instances as terraform-aws-modules/ec2-instance and terraform-aws-eks's
//! `eks-hybrid-nodes` make them: two `aws_instance`s with `for_each` in a new VPC and
//! subnet, with security groups, a key pair, an instance profile and user data; one with a
//! public address, `metadata_options { http_endpoint = "disabled" }`, a
//! `root_block_device` and `volume_tags`, and a fixed private IP. Applied with the
//! RunInstances answer lost (adopted, not duplicated: an independent EC2 client sees exactly two instances),
//! every attribute checked with that client, re-planned clean with one DescribeInstances,
//! changed in place (tags, a security group, `instance_type` and the user data by stop and
//! start), `one`
//! replaced (a new AMI: its fixed address is free again when the new one starts; only one
//! is replaced, as two replacements at once may hand the freed address to the other),
//! termination protection refused and lifted by `force_destroy`, an Elastic IP associated
//! with `two` (`aws_eip.instance`), read by data source `aws_instance`, imported into a fresh state and found
//! again by `state rebuild`, and destroyed leaving nothing running.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, Instance, InstanceAttributeName, InstanceStateName};

use crate::common::proxy::Match;
use crate::common::{ec2, rt, Workspace};
use crate::coverage_dns::calls_of;
use crate::coverage_ec2_more::{actions, id_of};
use crate::faults::{apply_losing_one_answer, direct};

const NODES: &str = include_str!("fixtures/instance/nodes.tf");

/// The instances alone, their network, key and profile given as variables: what a stack
/// that adopts existing instances writes.
const IMPORTED: &str = include_str!("fixtures/instance/imported.tf");

/// Data source `aws_instance`, by id and by tags and a filter.
const LOOKUP: &str = include_str!("fixtures/instance/lookup.tf");

fn tag(i: &Instance, key: &str) -> Option<String> {
    i.tags()
        .iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
        .map(str::to_string)
}

/// The stack's instances an independent client sees, by `infra:address`, terminated ones
/// left out. Tags are checked here: the emulator reads filter values as globs.
async fn instances(stack: &str) -> BTreeMap<String, Vec<Instance>> {
    let out = ec2()
        .await
        .describe_instances()
        .filters(
            Filter::builder()
                .name("tag:infra:stack")
                .values(stack)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut by: BTreeMap<String, Vec<Instance>> = BTreeMap::new();
    for i in out.reservations().iter().flat_map(|r| r.instances()) {
        let live = !matches!(
            i.state().and_then(|s| s.name()),
            Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
        );
        if live && tag(i, "infra:stack").as_deref() == Some(stack) {
            by.entry(tag(i, "infra:address").unwrap_or_default())
                .or_default()
                .push(i.clone());
        }
    }
    by
}

/// Exactly one live instance per address, `one` and `two`.
fn the_two(stack: &str) -> (Instance, Instance) {
    let seen = rt().block_on(instances(stack));
    let counts: Vec<(&String, usize)> = seen.iter().map(|(a, v)| (a, v.len())).collect();
    assert_eq!(
        counts,
        [
            (&"aws_instance.node[\"one\"]".to_string(), 1),
            (&"aws_instance.node[\"two\"]".to_string(), 1)
        ],
        "one instance per address"
    );
    (
        seen["aws_instance.node[\"one\"]"][0].clone(),
        seen["aws_instance.node[\"two\"]"][0].clone(),
    )
}

/// Two AMIs the emulator knows.
async fn amis() -> (String, String) {
    let out = ec2()
        .await
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .unwrap();
    let ids: Vec<String> = out
        .images()
        .iter()
        .filter(|i| i.root_device_name().is_some())
        .filter_map(|i| i.image_id().map(str::to_string))
        .collect();
    assert!(ids.len() >= 2, "{ids:?}");
    (ids[0].clone(), ids[1].clone())
}

async fn user_data(id: &str) -> String {
    let out = ec2()
        .await
        .describe_instance_attribute()
        .instance_id(id)
        .attribute(InstanceAttributeName::UserData)
        .send()
        .await
        .unwrap();
    let b64 = out.user_data().and_then(|u| u.value()).unwrap_or_default();
    String::from_utf8(base64_decode(b64)).unwrap()
}

/// Standard base64 (the independent check decodes it itself).
fn base64_decode(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| *c != b'=' && !c.is_ascii_whitespace()) {
        let v = A.iter().position(|a| *a == c).expect("base64") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

async fn protected(id: &str) -> bool {
    let out = ec2()
        .await
        .describe_instance_attribute()
        .instance_id(id)
        .attribute(InstanceAttributeName::DisableApiTermination)
        .send()
        .await
        .unwrap();
    out.disable_api_termination()
        .and_then(|v| v.value())
        .unwrap_or(false)
}

/// The root volume of `i`.
async fn root_volume(i: &Instance) -> aws_sdk_ec2::types::Volume {
    let id = i
        .block_device_mappings()
        .iter()
        .find(|b| b.device_name() == i.root_device_name())
        .and_then(|b| b.ebs()?.volume_id())
        .unwrap()
        .to_string();
    ec2()
        .await
        .describe_volumes()
        .volume_ids(id)
        .send()
        .await
        .unwrap()
        .volumes()[0]
        .clone()
}

async fn elastic_ip(allocation: &str) -> aws_sdk_ec2::types::Address {
    ec2()
        .await
        .describe_addresses()
        .allocation_ids(allocation)
        .send()
        .await
        .unwrap()
        .addresses()[0]
        .clone()
}

fn groups(i: &Instance) -> Vec<String> {
    let mut g: Vec<String> = i
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_string))
        .collect();
    g.sort();
    g
}

#[test]
fn instances_adopted_checked_changed_in_place_replaced_imported_and_destroyed() {
    let ws = Workspace::from_files(&[("main.tf", NODES)], true);
    let name = ws.stack_name.clone();
    let (ami, other_ami) = rt().block_on(amis());
    let vars = format!("name = \"{name}\"\nami = \"{ami}\"\n");
    ws.write("test.auto.tfvars", &vars);
    apply_losing_one_answer(
        &ws,
        Match {
            action: Some("RunInstances".into()),
            ..Match::default()
        },
    );

    // exactly the two instances, each with what was configured, seen by another client
    let (one, two) = the_two(&name);
    let sg_a = id_of(&ws, "aws_security_group.a");
    let sg_b = id_of(&ws, "aws_security_group.b");
    let subnet = id_of(&ws, "aws_subnet.s");
    for (i, key) in [(&one, "one"), (&two, "two")] {
        assert_eq!(i.image_id(), Some(ami.as_str()));
        assert_eq!(i.instance_type().map(|t| t.as_str()), Some("t3.micro"));
        assert_eq!(i.subnet_id(), Some(subnet.as_str()));
        assert_eq!(groups(i), std::slice::from_ref(&sg_a));
        assert_eq!(i.key_name(), Some(format!("{name}-key").as_str()));
        assert!(
            i.iam_instance_profile()
                .and_then(|p| p.arn())
                .is_some_and(|a| a.ends_with(&format!("instance-profile/{name}-node"))),
            "{:?}",
            i.iam_instance_profile()
        );
        assert_eq!(
            i.monitoring().and_then(|m| m.state()).map(|s| s.as_str()),
            Some("enabled")
        );
        assert_eq!(
            i.state().and_then(|s| s.name()),
            Some(&InstanceStateName::Running)
        );
        assert_eq!(tag(i, "Name"), Some(format!("{name}-{key}")));
        assert_eq!(tag(i, "team").as_deref(), Some("platform"));
        assert_eq!(tag(i, "suite").as_deref(), Some("instance"), "default tags");
        let id = i.instance_id().unwrap();
        assert_eq!(id_of(&ws, &format!("aws_instance.node[\"{key}\"]")), id);
        assert_eq!(
            rt().block_on(user_data(id)),
            format!("#!/bin/sh\necho {key}\n")
        );
    }
    assert!(one.public_ip_address().is_some_and(|ip| !ip.is_empty()));
    assert_eq!(one.private_ip_address(), Some("10.61.1.10"));
    assert_eq!(one.source_dest_check(), Some(true));
    assert_eq!(
        one.metadata_options()
            .and_then(|m| m.http_endpoint())
            .map(|e| e.as_str()),
        Some("disabled")
    );
    let root = rt().block_on(root_volume(&one));
    assert_eq!(root.size(), Some(12));
    assert_eq!(root.volume_type().map(|t| t.as_str()), Some("gp3"));
    assert_eq!(root.encrypted(), Some(true));
    assert!(
        root.tags()
            .iter()
            .any(|t| t.key() == Some("backup") && t.value() == Some("daily")),
        "{:?}",
        root.tags()
    );
    // the Elastic IP is associated with `two`, and is its public address
    let eip = rt().block_on(elastic_ip(&id_of(&ws, "aws_eip.two")));
    assert_eq!(eip.instance_id(), two.instance_id());
    assert_eq!(eip.public_ip(), two.public_ip_address());
    assert_eq!(two.source_dest_check(), Some(false));
    // RunInstances ignores it on the emulator: set after the create
    assert!(rt().block_on(protected(two.instance_id().unwrap())));
    assert!(!rt().block_on(protected(one.instance_id().unwrap())));

    // the state: the cloud's values
    let out = ws.run(&["output", "--json"]);
    let out: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(out["public_ip"]["value"].as_str(), one.public_ip_address());

    // clean, and one DescribeInstances for the refresh of both
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());
    assert_eq!(
        calls_of(&plan.all(), "ec2:DescribeInstances"),
        1,
        "{}",
        plan.all()
    );

    // in place: a tag, a second security group, a bigger type (stop, modify, start)
    let vars2 = format!(
        "{vars}team = \"edge\"\nextra_group = true\ntype = \"t3.small\"\nmotd = \" hello\"\n"
    );
    ws.write("test.auto.tfvars", &vars2);
    let changed = actions(&ws);
    assert_eq!(
        changed,
        BTreeMap::from([
            (
                "aws_instance.node[\"one\"]".to_string(),
                vec!["update".to_string()]
            ),
            (
                "aws_instance.node[\"two\"]".to_string(),
                vec!["update".to_string()]
            ),
        ]),
        "{changed:?}"
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(
        calls_of(&apply.all(), "ec2:StopInstances") == 2,
        "{}",
        apply.all()
    );
    assert!(
        calls_of(&apply.all(), "ec2:StartInstances") == 2,
        "{}",
        apply.all()
    );
    let (one2, two2) = the_two(&name);
    assert_eq!(one2.instance_id(), one.instance_id(), "the same instance");
    assert_eq!(two2.instance_id(), two.instance_id(), "the same instance");
    for i in [&one2, &two2] {
        assert_eq!(i.instance_type().map(|t| t.as_str()), Some("t3.small"));
        let mut want = vec![sg_a.clone(), sg_b.clone()];
        want.sort();
        assert_eq!(groups(i), want);
        assert_eq!(tag(i, "team").as_deref(), Some("edge"));
        assert_eq!(
            i.state().and_then(|s| s.name()),
            Some(&InstanceStateName::Running),
            "started again"
        );
        let key = if i.instance_id() == one.instance_id() {
            "one"
        } else {
            "two"
        };
        assert_eq!(
            rt().block_on(user_data(i.instance_id().unwrap())),
            format!("#!/bin/sh\necho {key} hello\n"),
            "the user data changed while it was stopped"
        );
    }
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // termination protection holds: destroying the protected instance is an error that
    // says how to lift it, and nothing is terminated
    let refused = direct(
        &ws,
        &[
            "destroy",
            "--auto-approve",
            "--target",
            "aws_instance.node[\"two\"]",
        ],
    );
    assert_ne!(refused.code, 0, "{}", refused.all());
    assert!(
        refused.all().contains("termination protection") && refused.all().contains("force_destroy"),
        "{}",
        refused.all()
    );
    let _ = the_two(&name);
    // `force_destroy` is recorded by an apply (no call to AWS), as in the provider ...
    ws.edit(
        "main.tf",
        "  monitoring                  = true\n  disable_api_termination",
        "  monitoring                  = true\n  force_destroy               = true\n  disable_api_termination",
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    // a new AMI replaces `one`
    let vars3 = format!("{vars2}ami_one = \"{other_ami}\"\n");
    ws.write("test.auto.tfvars", &vars3);
    let changed = actions(&ws);
    assert_eq!(
        changed,
        BTreeMap::from([(
            "aws_instance.node[\"one\"]".to_string(),
            vec!["delete".to_string(), "create".to_string()]
        )]),
        "{changed:?}"
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let (one3, two3) = the_two(&name);
    assert_ne!(one3.instance_id(), one.instance_id(), "replaced");
    assert_eq!(two3.instance_id(), two.instance_id(), "kept");
    assert_eq!(two3.image_id(), Some(ami.as_str()));
    assert_eq!(one3.image_id(), Some(other_ami.as_str()));
    assert_eq!(one3.private_ip_address(), Some("10.61.1.10"));
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // data source aws_instance: by id (with the user data) and by tags and a filter
    let lookup = Workspace::from_files(&[("main.tf", LOOKUP)], true);
    lookup.write(
        "test.auto.tfvars",
        &format!(
            "name = \"{name}\"\none = \"{}\"\nsubnet = \"{subnet}\"\n",
            one3.instance_id().unwrap()
        ),
    );
    let read = lookup.run(&["apply", "--auto-approve"]);
    assert_eq!(read.code, 0, "{}", read.all());
    let out = lookup.run(&["output", "--json"]);
    let out: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let o = &out["one"]["value"];
    assert_eq!(o["id"].as_str(), one3.instance_id());
    assert_eq!(o["public_ip"].as_str(), one3.public_ip_address());
    assert_eq!(o["type"], "t3.small");
    assert_eq!(o["user_data"], "#!/bin/sh\necho one hello\n");
    assert_eq!(o["endpoint"], "disabled");
    let t = &out["two"]["value"];
    assert_eq!(t["id"].as_str(), two3.instance_id());
    assert_eq!(t["private_ip"].as_str(), two3.private_ip_address());
    assert_eq!(t["protected"], true);
    assert_eq!(t["tags"]["team"], "edge");

    // import into a fresh state of the same stack, then a clean plan
    let mut copy = Workspace::from_files(&[("main.tf", IMPORTED)], true);
    copy.stack_name = name.clone();
    let mut want = [sg_a.clone(), sg_b.clone()];
    want.sort();
    copy.write(
        "test.auto.tfvars",
        &format!(
            "name = \"{name}\"\nami = \"{ami}\"\nami_one = \"{other_ami}\"\nteam = \"edge\"\ntype = \"t3.small\"\nsubnet = \"{subnet}\"\nmotd = \" hello\"\ngroups = [\"{}\", \"{}\"]\n",
            want[0], want[1]
        ),
    );
    for (addr, i) in [
        ("aws_instance.node[\"one\"]", &one3),
        ("aws_instance.node[\"two\"]", &two3),
    ] {
        let id = i.instance_id().unwrap();
        let r = copy.run(&["import", addr, id]);
        assert_eq!(r.code, 0, "import {addr} {id}:\n{}", r.all());
    }
    let plan = copy.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after import:\n{}", plan.all());
    // the copy's state lost: a rebuild finds both again by their tags
    copy.remove_state();
    let rebuild = copy.run(&["state", "rebuild"]);
    assert_eq!(rebuild.code, 0, "{}", rebuild.all());
    assert_eq!(
        id_of(&copy, "aws_instance.node[\"one\"]"),
        one3.instance_id().unwrap()
    );
    assert_eq!(
        id_of(&copy, "aws_instance.node[\"two\"]"),
        two3.instance_id().unwrap()
    );
    let plan = copy.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after the rebuild:\n{}", plan.all());

    let allocation = id_of(&ws, "aws_eip.two");
    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    let released = rt().block_on(async {
        ec2()
            .await
            .describe_addresses()
            .allocation_ids(&allocation)
            .send()
            .await
    });
    assert!(
        released.map(|o| o.addresses().is_empty()).unwrap_or(true),
        "the Elastic IP is released"
    );
    assert!(
        rt().block_on(instances(&name)).is_empty(),
        "nothing running"
    );
    let left = rt().block_on(crate::common::tagged_no_nat(&name));
    assert!(left.is_empty(), "nothing of the stack is left: {left:?}");
}
