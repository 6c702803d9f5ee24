//! A stack that calls registry modules the way a Terraform user's does after
//! `terraform init` (issue 12): `source = "acme/net/aws"` with `version`, the module
//! downloaded into `.terraform/modules/net` and listed in `modules.json`, and a registry
//! module nested inside it (key `net.sg`). Our own small modules, written here. Applied
//! to the emulator, re-planned clean, destroyed; checked with an independent EC2 client.

use aws_sdk_ec2::types::Filter;

use crate::common::{changes, ec2, rt, Workspace};

const ROOT: &str = r#"
variable "name" {
  type = string
}

module "net" {
  source  = "acme/net/aws"
  version = "~> 1.2"
  name    = var.name
  cidr    = "10.71.0.0/16"
}

output "vpc_id" {
  value = module.net.vpc_id
}

output "sg_name" {
  value = module.net.sg_name
}
"#;

const NET: &str = r#"
variable "name" {
  type = string
}

variable "cidr" {
  type = string
}

resource "aws_vpc" "this" {
  cidr_block = var.cidr
  tags       = { Name = var.name }
}

resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.this.id
  cidr_block = cidrsubnet(var.cidr, 8, 1)
  tags       = { Name = "${var.name}-a" }
}

module "sg" {
  source  = "registry.terraform.io/acme/sg/aws"
  version = ">= 0.3, < 1"
  name    = "${var.name}-web"
  vpc_id  = aws_vpc.this.id
}

output "vpc_id" {
  value = aws_vpc.this.id
}

output "sg_name" {
  value = module.sg.name
}
"#;

const SG: &str = r#"
variable "name" {
  type = string
}

variable "vpc_id" {
  type = string
}

resource "aws_security_group" "this" {
  name   = var.name
  vpc_id = var.vpc_id
}

output "name" {
  value = aws_security_group.this.name
}
"#;

const MANIFEST: &str = r#"{"Modules":[
{"Key":"","Source":"","Dir":"."},
{"Key":"net","Source":"registry.terraform.io/acme/net/aws","Version":"1.4.2","Dir":".terraform/modules/net"},
{"Key":"net.sg","Source":"registry.terraform.io/acme/sg/aws","Version":"0.3.1","Dir":".terraform/modules/net.sg"}
]}"#;

fn write(ws: &Workspace, path: &str, text: &str) {
    let p = ws.stack_dir().join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// `(subnets, security group names)` of the VPC named `name`, or `None` without one.
fn vpc_view(name: &str) -> Option<(usize, Vec<String>)> {
    rt().block_on(async {
        let c = ec2().await;
        let by_name = Filter::builder().name("tag:Name").values(name).build();
        let vpcs = c.describe_vpcs().filters(by_name).send().await.unwrap();
        let vpc = vpcs.vpcs().first()?.vpc_id()?.to_string();
        let in_vpc = || Filter::builder().name("vpc-id").values(&vpc).build();
        let subnets = c.describe_subnets().filters(in_vpc()).send().await.unwrap();
        let groups = c
            .describe_security_groups()
            .filters(in_vpc())
            .send()
            .await
            .unwrap();
        let mut names: Vec<String> = groups
            .security_groups()
            .iter()
            .filter_map(|g| g.group_name())
            .filter(|n| *n != "default")
            .map(str::to_string)
            .collect();
        names.sort();
        Some((subnets.subnets().len(), names))
    })
}

#[test]
fn a_registry_module_installed_by_terraform_init_is_applied_and_destroyed() {
    let ws = Workspace::from_files(&[("main.tf", ROOT)], true);
    let name = ws.stack_name.clone();
    write(&ws, "test.auto.tfvars", &format!("name = \"{name}\"\n"));
    write(&ws, ".terraform/modules/net/main.tf", NET);
    write(&ws, ".terraform/modules/net.sg/main.tf", SG);

    // before `terraform init`: the error says what to do, at the module block
    let r = ws.run(&["validate"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.all().contains("run `terraform init`"), "{}", r.all());
    assert!(r.all().contains("main.tf:7"), "{}", r.all());

    write(&ws, ".terraform/modules/modules.json", MANIFEST);
    let r = ws.run(&["validate"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let apply = ws.apply();
    assert!(
        apply
            .all()
            .contains("module.net.module.sg.aws_security_group.this"),
        "{}",
        apply.all()
    );
    assert_eq!(vpc_view(&name), Some((1, vec![format!("{name}-web")])));
    let plan = ws.plan_json(&[]);
    assert_eq!(changes(&plan), vec![], "re-plan after apply is clean");
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);

    // an installed version the constraint no longer allows: named, nothing changed
    write(
        &ws,
        ".terraform/modules/modules.json",
        &MANIFEST.replace("0.3.1", "1.0.0"),
    );
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.all().contains("\"net.sg\"") && r.all().contains("\"1.0.0\""),
        "{}",
        r.all()
    );
    write(&ws, ".terraform/modules/modules.json", MANIFEST);

    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert_eq!(vpc_view(&name), None, "the VPC is gone");
}
