//! Elastic IPs on instances, as the provider's `eip` example and terraform-aws-ec2-instance
//! write them: `aws_eip { instance = ... }` and `aws_eip_association`. The instances are
//! made by an independent EC2 client (the fixture), the stack associates addresses with
//! them: applied with the AssociateAddress answer lost (the association the attempt made
//! is adopted, not made twice), checked with the independent client, re-planned clean,
//! `aws_eip.instance` moved in place to another instance, the association replaced when
//! its instance changes, imported into a fresh state, and destroyed (each address taken
//! off its instance and released).

use aws_sdk_ec2::types::{Address, Filter, InstanceType};

use crate::common::proxy::Match;
use crate::common::{ec2, rt, Workspace};
use crate::coverage_ec2_more::{actions, id_of};
use crate::faults::{apply_losing_one_answer, direct};

const STACK: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "web" {
  type = string
}

variable "worker" {
  type = string
}

resource "aws_eip" "web" {
  domain   = "vpc"
  instance = var.web
  tags     = { Name = "${var.name}-web" }
}

resource "aws_eip" "worker" {
  domain = "vpc"
  tags   = { Name = "${var.name}-worker" }
}

resource "aws_eip_association" "worker" {
  allocation_id = aws_eip.worker.id
  instance_id   = var.worker
}

output "web_ip" {
  value = aws_eip.web.public_ip
}

output "web_private_ip" {
  value = aws_eip.web.private_ip
}
"#;

/// A VPC, a subnet and three running instances, made without infra.
struct Fixture {
    vpc: String,
    instances: Vec<String>,
}

async fn fixture(name: &str) -> Fixture {
    let c = ec2().await;
    let image = c
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .unwrap()
        .images()
        .first()
        .and_then(|i| i.image_id().map(str::to_string))
        .expect("an image");
    let vpc = c
        .create_vpc()
        .cidr_block("10.86.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .and_then(|v| v.vpc_id().map(str::to_string))
        .unwrap();
    let subnet = c
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.86.1.0/24")
        .send()
        .await
        .unwrap()
        .subnet()
        .and_then(|s| s.subnet_id().map(str::to_string))
        .unwrap();
    let out = c
        .run_instances()
        .image_id(image)
        .instance_type(InstanceType::T3Micro)
        .subnet_id(&subnet)
        .min_count(3)
        .max_count(3)
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::Instance)
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key("fixture")
                        .value(name)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let instances = out
        .instances()
        .iter()
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect::<Vec<_>>();
    assert_eq!(instances.len(), 3);
    Fixture { vpc, instances }
}

async fn addresses(allocation_ids: &[&str]) -> Vec<Address> {
    let c = ec2().await;
    c.describe_addresses()
        .filters(
            Filter::builder()
                .name("allocation-id")
                .set_values(Some(allocation_ids.iter().map(|s| s.to_string()).collect()))
                .build(),
        )
        .send()
        .await
        .unwrap()
        .addresses()
        .to_vec()
}

/// The instance the address `allocation_id` is on, as the independent client sees it.
fn on_instance(allocation_id: &str) -> Option<String> {
    rt().block_on(addresses(&[allocation_id]))
        .first()
        .and_then(|a| a.instance_id().map(str::to_string))
        .filter(|i| !i.is_empty())
}

/// Every address tagged with the stack's name.
fn stack_addresses(name: &str) -> Vec<Address> {
    rt().block_on(async {
        let c = ec2().await;
        c.describe_addresses()
            .send()
            .await
            .unwrap()
            .addresses()
            .iter()
            .filter(|a| {
                a.tags()
                    .iter()
                    .any(|t| t.key() == Some("infra:stack") && t.value() == Some(name))
            })
            .cloned()
            .collect()
    })
}

#[test]
fn elastic_ips_on_instances_associate_move_import_and_release() {
    let ws = Workspace::from_files(&[("main.tf", STACK)], true);
    let name = ws.stack_name.clone();
    let fx = rt().block_on(fixture(&name));
    let [a, b, c] = [&fx.instances[0], &fx.instances[1], &fx.instances[2]];
    let vars = |web: &str, worker: &str| {
        format!("name = \"{name}\"\nweb = \"{web}\"\nworker = \"{worker}\"\n")
    };
    ws.write("test.auto.tfvars", &vars(a, b));
    let apply = apply_losing_one_answer(
        &ws,
        Match {
            action: Some("AssociateAddress".into()),
            ..Match::default()
        },
    );
    assert!(
        apply.stdout.contains("web_private_ip = \"10.86.1."),
        "{}",
        apply.all()
    );

    // each address on its instance, none made twice
    let web = id_of(&ws, "aws_eip.web");
    let worker = id_of(&ws, "aws_eip.worker");
    assert_eq!(on_instance(&web).as_deref(), Some(a.as_str()));
    assert_eq!(on_instance(&worker).as_deref(), Some(b.as_str()));
    assert_eq!(stack_addresses(&name).len(), 2);
    let association = id_of(&ws, "aws_eip_association.worker");
    let seen = rt().block_on(addresses(&[&worker]));
    assert_eq!(seen[0].association_id(), Some(association.as_str()));

    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());
    assert!(
        plan.stdout.contains("ec2:DescribeAddresses 2"),
        "one read per type:\n{}",
        plan.all()
    );

    // the address moves in place; the association is replaced
    ws.write("test.auto.tfvars", &vars(c, a));
    let changed = actions(&ws);
    assert_eq!(
        changed.get("aws_eip.web").cloned(),
        Some(vec!["update".to_string()]),
        "{changed:?}"
    );
    assert_eq!(
        changed.get("aws_eip_association.worker").cloned(),
        Some(vec!["delete".to_string(), "create".to_string()]),
        "{changed:?}"
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(id_of(&ws, "aws_eip.web"), web, "moved, not replaced");
    assert_eq!(on_instance(&web).as_deref(), Some(c.as_str()));
    assert_eq!(on_instance(&worker).as_deref(), Some(a.as_str()));
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after the move:\n{}", plan.all());

    // imported into a fresh state: the address by allocation id, the association by its id
    let copy = Workspace::from_files(&[("main.tf", STACK)], true);
    copy.write("test.auto.tfvars", &vars(c, a));
    for addr in [
        "aws_eip.web",
        "aws_eip.worker",
        "aws_eip_association.worker",
    ] {
        let id = id_of(&ws, addr);
        let r = copy.run(&["import", addr, &id]);
        assert_eq!(r.code, 0, "import {addr} {id}:\n{}", r.all());
    }
    let plan = copy.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after import:\n{}", plan.all());

    // an association without a target is refused at plan, naming it
    ws.write(
        "extra.tf",
        "resource \"aws_eip_association\" \"nowhere\" {\n  allocation_id = aws_eip.worker.id\n}\n",
    );
    let plan = direct(&ws, &["plan"]);
    assert_eq!(plan.code, 1, "{}", plan.all());
    assert!(
        plan.stderr.contains("aws_eip_association.nowhere")
            && plan
                .stderr
                .contains("`instance_id` or `network_interface_id`"),
        "{}",
        plan.all()
    );
    std::fs::remove_file(ws.stack_dir().join("extra.tf")).unwrap();

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert!(stack_addresses(&name).is_empty(), "addresses left");
    assert!(rt().block_on(addresses(&[&web, &worker])).is_empty());

    rt().block_on(async {
        let c = ec2().await;
        c.terminate_instances()
            .set_instance_ids(Some(fx.instances.clone()))
            .send()
            .await
            .unwrap();
        let _ = fx.vpc;
    });
}
