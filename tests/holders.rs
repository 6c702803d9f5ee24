//! A delete that AWS refuses with DependencyViolation says what holds the resource, in the
//! `Still destroying... (waiting: ...)` line and in the error at the wait timeout: a
//! subnet its network interfaces, a security group the groups and interfaces that use it,
//! an internet gateway the public addresses still mapped in its VPC, a VPC its subnets
//! and security groups. The holders are real objects made outside infra with an
//! independent client. The emulator lets a subnet or a security group in use be deleted
//! and a gateway be detached with addresses mapped (AWS refuses all three), so for those
//! the proxy answers DependencyViolation in AWS's place; DeleteVpc the emulator refuses
//! itself.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::proxy::{point_at, Fault, FaultConfig, Rule};
use crate::common::{ec2, report, rt, run_with_deadline, tagged, Run, Workspace};
use crate::faults::{direct, proxy};

const TIMEOUT: u64 = 45;

const STACK: &str = r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "this" {
  cidr_block = "10.43.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.this.id
  cidr_block = "10.43.1.0/24"
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
}

resource "aws_security_group" "app" {
  name        = "app-${var.name}"
  description = "app"
  vpc_id      = aws_vpc.this.id
}

variable "name" {
  type = string
}
"#;

fn id_of(ws: &Workspace, addr: &str) -> String {
    rt().block_on(async {
        let store = ws.store().await;
        let rows = store.resources(&ws.stack_name).await.unwrap();
        store.close().await;
        rows.into_iter()
            .find(|r| r.address == addr)
            .map(|r| r.cloud_id)
            .unwrap_or_else(|| panic!("no {addr} in the state"))
    })
}

fn destroy(ws: &Workspace, proxy: Option<&crate::common::proxy::Proxy>) -> (Run, u64) {
    let mut cmd = ws.cmd(&["destroy", "--auto-approve"]);
    if let Some(p) = proxy {
        point_at(&mut cmd, p);
    }
    cmd.env("INFRA_WAIT_TIMEOUT", format!("{TIMEOUT}s"));
    let started = Instant::now();
    let d = run_with_deadline(cmd, Duration::from_secs(TIMEOUT * 4));
    (d, started.elapsed().as_secs())
}

/// The error line of `addr`'s failed delete.
fn error_of<'a>(d: &'a Run, addr: &str) -> &'a str {
    d.stderr
        .lines()
        .find(|l| l.contains(addr) && l.contains("cannot be deleted"))
        .unwrap_or_else(|| panic!("no error naming what holds {addr}:\n{}", d.all()))
}

/// The progress line of `addr` while its delete waits.
fn waiting_of<'a>(d: &'a Run, addr: &str) -> &'a str {
    d.stdout
        .lines()
        .find(|l| l.starts_with(&format!("{addr}: Still destroying... [")))
        .unwrap_or_else(|| panic!("no progress line for {addr}:\n{}", d.all()))
}

#[test]
fn refused_deletes_of_subnets_groups_gateways_and_vpcs_name_what_holds_them() {
    let ws = Workspace::from_files(&[("main.tf", STACK)], true);
    ws.write(
        "name.auto.tfvars",
        &format!("name = \"{}\"\n", ws.stack_name),
    );
    let a = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(a.code, 0, "{}", a.all());
    let (vpc, subnet, group) = (
        id_of(&ws, "aws_vpc.this"),
        id_of(&ws, "aws_subnet.a"),
        id_of(&ws, "aws_security_group.app"),
    );

    // outside infra: a network interface in the subnet, using the group, with an Elastic
    // IP; a group whose rule refers to the stack's group; a second subnet in the VPC
    let (eni, allocation, public_ip, other_group, other_subnet) = rt().block_on(async {
        let c = ec2().await;
        let eni = c
            .create_network_interface()
            .subnet_id(&subnet)
            .groups(&group)
            .send()
            .await
            .unwrap();
        let eni = eni
            .network_interface()
            .and_then(|n| n.network_interface_id())
            .unwrap()
            .to_string();
        let eip = c
            .allocate_address()
            .domain(aws_sdk_ec2::types::DomainType::Vpc)
            .send()
            .await
            .unwrap();
        let allocation = eip.allocation_id().unwrap().to_string();
        let public_ip = eip.public_ip().unwrap().to_string();
        c.associate_address()
            .allocation_id(&allocation)
            .network_interface_id(&eni)
            .send()
            .await
            .unwrap();
        let g = c
            .create_security_group()
            .group_name(format!("outside-{}", ws.stack_name))
            .description("outside")
            .vpc_id(&vpc)
            .send()
            .await
            .unwrap();
        let other_group = g.group_id().unwrap().to_string();
        c.authorize_security_group_ingress()
            .group_id(&other_group)
            .ip_permissions(
                aws_sdk_ec2::types::IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(443)
                    .to_port(443)
                    .user_id_group_pairs(
                        aws_sdk_ec2::types::UserIdGroupPair::builder()
                            .group_id(&group)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let s = c
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block("10.43.9.0/24")
            .send()
            .await
            .unwrap();
        let other_subnet = s.subnet().unwrap().subnet_id().unwrap().to_string();
        (eni, allocation, public_ip, other_group, other_subnet)
    });

    // 1. subnet, group and gateway refused (by the proxy, in AWS's place)
    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        rules: vec![
            Rule::action("DeleteSubnet", Fault::DependencyViolation, None),
            Rule::action("DeleteSecurityGroup", Fault::DependencyViolation, None),
            Rule::action("DetachInternetGateway", Fault::DependencyViolation, None),
        ],
    });
    let (d, seconds) = destroy(&ws, Some(&p));
    assert_eq!(d.code, 1, "{}", d.all());
    assert!(
        seconds < TIMEOUT + 30,
        "failed after {seconds}s, the wait timeout is {TIMEOUT}s"
    );
    let subnet_error = error_of(&d, "aws_subnet.a");
    assert!(
        subnet_error.contains(&subnet)
            && subnet_error.contains(&format!("network interface {eni}")),
        "the subnet's error names the interface in it: {subnet_error}"
    );
    let group_error = error_of(&d, "aws_security_group.app");
    assert!(
        group_error.contains(&format!("security group {other_group} (not managed by infra) refers to it"))
            && group_error.contains(&format!("network interface {eni}")),
        "the group's error names the group that refers to it and the interface that uses it: {group_error}"
    );
    let gateway_error = error_of(&d, "aws_internet_gateway.this");
    assert!(
        gateway_error.contains(&vpc)
            && gateway_error.contains(&public_ip)
            && gateway_error.contains(&eni),
        "the gateway's error names the address still mapped in its VPC: {gateway_error}"
    );
    let waiting = waiting_of(&d, "aws_subnet.a");
    assert!(
        waiting.contains("elapsed]") && waiting.contains(&eni),
        "the progress line says what the subnet waits for: {waiting}"
    );
    let group_waiting = waiting_of(&d, "aws_security_group.app");
    assert!(group_waiting.contains(&other_group), "{group_waiting}");
    drop(p);

    // 2. the interface goes: the VPC's own delete is refused (by the emulator) while the
    // outside subnet and group remain
    rt().block_on(async {
        let c = ec2().await;
        let addr = c
            .describe_addresses()
            .allocation_ids(&allocation)
            .send()
            .await
            .unwrap();
        if let Some(assoc) = addr.addresses().first().and_then(|a| a.association_id()) {
            c.disassociate_address()
                .association_id(assoc)
                .send()
                .await
                .unwrap();
        }
        c.release_address()
            .allocation_id(&allocation)
            .send()
            .await
            .unwrap();
        c.delete_network_interface()
            .network_interface_id(&eni)
            .send()
            .await
            .unwrap();
    });
    let (d2, seconds2) = destroy(&ws, None);
    assert_eq!(d2.code, 1, "{}", d2.all());
    assert!(seconds2 < TIMEOUT + 30, "failed after {seconds2}s");
    let vpc_error = error_of(&d2, "aws_vpc.this");
    assert!(
        vpc_error.contains(&vpc)
            && vpc_error.contains(&format!("subnet {other_subnet} (not managed by infra)"))
            && vpc_error.contains(&format!(
                "security group {other_group} (not managed by infra)"
            )),
        "the VPC's error names the subnet and group left in it: {vpc_error}"
    );
    let vpc_waiting = waiting_of(&d2, "aws_vpc.this");
    assert!(vpc_waiting.contains(&other_subnet), "{vpc_waiting}");

    // 3. once they are gone too, destroy completes
    rt().block_on(async {
        let c = ec2().await;
        c.delete_security_group()
            .group_id(&other_group)
            .send()
            .await
            .unwrap();
        c.delete_subnet()
            .subnet_id(&other_subnet)
            .send()
            .await
            .unwrap();
    });
    let d3 = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(d3.code, 0, "{}", d3.all());
    assert!(rt().block_on(tagged(&ws.stack_name)).is_empty());
    report::record(
        "holders",
        json!({
            "wait_timeout_seconds": TIMEOUT,
            "subnet": subnet_error,
            "security_group": group_error,
            "internet_gateway": gateway_error,
            "vpc": vpc_error,
            "progress": [waiting, vpc_waiting],
        }),
    );
}
