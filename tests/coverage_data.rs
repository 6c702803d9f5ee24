//! Data sources that look up what exists: `aws_partition`, `aws_caller_identity`,
//! `aws_region`, `aws_vpc`, `aws_subnets`, `aws_route53_zone`. One stack makes a VPC, its
//! subnets and a zone; another looks them up, and its outputs are compared with what an
//! independent client sees.

use crate::common::{rt, sdk_config, Workspace};
use crate::faults::direct;

const MAKER: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

resource "aws_vpc" "this" {
  cidr_block = "10.77.0.0/16"
  tags       = { Name = var.name }
}

resource "aws_subnet" "private" {
  for_each   = { a = "10.77.1.0/24", b = "10.77.2.0/24" }
  vpc_id     = aws_vpc.this.id
  cidr_block = each.value
  tags       = { Name = "${var.name}-${each.key}", tier = "private" }
}

resource "aws_subnet" "public" {
  vpc_id     = aws_vpc.this.id
  cidr_block = "10.77.3.0/24"
  tags       = { Name = "${var.name}-public", tier = "public" }
}

resource "aws_route53_zone" "this" {
  name = "${var.name}.example.com"
  tags = { owner = var.name }
}
"#;

const READER: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

data "aws_vpc" "this" {
  tags = { Name = var.name }
}

data "aws_subnets" "private" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.this.id]
  }
  tags = { tier = "private" }
}

data "aws_route53_zone" "this" {
  name = "${var.name}.example.com."
}

data "aws_route53_zone" "by_id" {
  zone_id = data.aws_route53_zone.this.zone_id
}

output "vpc" {
  value = {
    id         = data.aws_vpc.this.id
    cidr       = data.aws_vpc.this.cidr_block
    dns        = data.aws_vpc.this.enable_dns_support
    tags       = data.aws_vpc.this.tags
  }
}

output "subnets" {
  value = data.aws_subnets.private.ids
}

output "zone" {
  value = {
    id           = data.aws_route53_zone.this.zone_id
    same         = data.aws_route53_zone.by_id.name
    name_servers = length(data.aws_route53_zone.this.name_servers)
    owner        = data.aws_route53_zone.this.tags["owner"]
  }
}

output "arn_prefix" {
  value = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
}

output "region" {
  value = data.aws_region.current.name
}
"#;

fn output_json(ws: &Workspace) -> serde_json::Value {
    let out = direct(ws, &["output", "--json"]);
    assert_eq!(out.code, 0, "{}", out.all());
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

fn value<'a>(outputs: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let v = &outputs[name];
    if v.get("value").is_some() {
        &v["value"]
    } else {
        v
    }
}

#[test]
fn lookups_find_what_another_stack_made() {
    let maker = Workspace::from_files(&[("main.tf", MAKER)], true);
    let name = maker.stack_name.clone();
    let vars = format!("name = \"{name}\"\n");
    maker.write("test.auto.tfvars", &vars);
    let apply = direct(&maker, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());

    let reader = Workspace::from_files(&[("main.tf", READER)], true);
    reader.write("test.auto.tfvars", &vars);
    let apply = direct(&reader, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let outputs = output_json(&reader);

    // what an independent client sees
    let (vpc_id, mut private, zone_id) = rt().block_on(async {
        let ec2 = aws_sdk_ec2::Client::new(&sdk_config());
        let tag = |k: &str, v: &str| {
            aws_sdk_ec2::types::Filter::builder()
                .name(format!("tag:{k}"))
                .values(v)
                .build()
        };
        let vpcs = ec2
            .describe_vpcs()
            .filters(tag("Name", &name))
            .send()
            .await
            .unwrap();
        let vpc_id = vpcs.vpcs()[0].vpc_id().unwrap().to_string();
        let subnets = ec2
            .describe_subnets()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("vpc-id")
                    .values(&vpc_id)
                    .build(),
            )
            .filters(tag("tier", "private"))
            .send()
            .await
            .unwrap();
        let private: Vec<String> = subnets
            .subnets()
            .iter()
            .map(|s| s.subnet_id().unwrap().to_string())
            .collect();
        let r53 = aws_sdk_route53::Client::new(&sdk_config());
        let zones = r53
            .list_hosted_zones_by_name()
            .dns_name(format!("{name}.example.com."))
            .send()
            .await
            .unwrap();
        let zone = zones.hosted_zones()[0]
            .id()
            .trim_start_matches("/hostedzone/")
            .to_string();
        (vpc_id, private, zone)
    });
    private.sort();
    let vpc = value(&outputs, "vpc");
    assert_eq!(vpc["id"], vpc_id.as_str(), "{outputs}");
    assert_eq!(vpc["cidr"], "10.77.0.0/16");
    assert_eq!(vpc["dns"], true);
    assert_eq!(vpc["tags"]["Name"], name.as_str());
    assert_eq!(value(&outputs, "subnets"), &serde_json::json!(private));
    let zone = value(&outputs, "zone");
    assert_eq!(zone["id"], zone_id.as_str(), "{outputs}");
    assert_eq!(zone["same"], format!("{name}.example.com").as_str());
    assert!(zone["name_servers"].as_f64().unwrap() >= 1.0, "{outputs}");
    assert_eq!(zone["owner"], name.as_str());
    assert_eq!(
        value(&outputs, "arn_prefix"),
        "arn:aws:iam::000000000000:root"
    );
    assert_eq!(value(&outputs, "region"), "us-east-1");

    // a lookup that matches nothing says what it searched for
    reader.write("test.auto.tfvars", &format!("name = \"{name}-missing\"\n"));
    let plan = direct(&reader, &["plan"]);
    assert_ne!(plan.code, 0);
    // (the lookups run at once: whichever fails first is reported)
    let text = plan.all();
    assert!(
        text.contains(&format!("no VPC matches tags {{Name={name}-missing}}"))
            || text.contains(&format!(
                "no hosted zone matches name = \"{name}-missing.example.com.\""
            )),
        "{text}"
    );

    let destroy = direct(&maker, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
}

const NODE_LOOKUPS: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name_pattern" {
  type    = string
  default = "amzn2-ami-hvm-*"
}

data "aws_ami" "node" {
  owners      = ["137112412989"]
  most_recent = true
  filter {
    name   = "name"
    values = [var.name_pattern]
  }
}

# narrowed on the client, as terraform-aws-eks's eks-hybrid-nodes example does
data "aws_ami" "gp2" {
  owners      = ["137112412989"]
  most_recent = true
  name_regex  = "^amzn2-ami-hvm-.*-x86_64-gp2$"
}

data "aws_eks_cluster_auth" "this" {
  name = "prod"
}

data "aws_vpc_endpoint_service" "s3" {
  service      = "s3"
  service_type = "Gateway"
}

output "ami" {
  value = { id = data.aws_ami.node.id, name = data.aws_ami.node.name, owner = data.aws_ami.node.owner_id }
}

output "gp2" {
  value = data.aws_ami.gp2.name
}

output "token_kind" {
  value = nonsensitive(split(".", data.aws_eks_cluster_auth.this.token)[0])
}

output "token" {
  value     = data.aws_eks_cluster_auth.this.token
  sensitive = true
}

output "s3_service" {
  value = data.aws_vpc_endpoint_service.s3.service_name
}
"#;

/// `aws_ami` (compared with an independent DescribeImages), `aws_eks_cluster_auth` (a
/// sensitive `k8s-aws-v1.` token, kept out of the plan's text) and
/// `aws_vpc_endpoint_service`; an AMI search matching several without `most_recent` is
/// an error that says what to do.
#[test]
fn node_image_cluster_token_and_endpoint_service_lookups() {
    let ws = Workspace::from_files(&[("main.tf", NODE_LOOKUPS)], true);
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(
        !apply.all().contains("k8s-aws-v1."),
        "the token is not printed:\n{}",
        apply.all()
    );
    let outputs = output_json(&ws);
    let want = rt().block_on(async {
        let out = aws_sdk_ec2::Client::new(&sdk_config())
            .describe_images()
            .owners("137112412989")
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("name")
                    .values("amzn2-ami-hvm-*")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let mut images = out.images().to_vec();
        images.sort_by(|a, b| a.creation_date().cmp(&b.creation_date()));
        let i = images
            .last()
            .expect("the emulator has Amazon Linux 2 images")
            .clone();
        // what `name_regex = "^amzn2-ami-hvm-.*-x86_64-gp2$"` keeps of the owner's images
        let all = aws_sdk_ec2::Client::new(&sdk_config())
            .describe_images()
            .owners("137112412989")
            .send()
            .await
            .unwrap();
        let mut gp2: Vec<_> = all
            .images()
            .iter()
            .filter(|i| {
                i.name()
                    .is_some_and(|n| n.starts_with("amzn2-ami-hvm-") && n.ends_with("-x86_64-gp2"))
            })
            .collect();
        gp2.sort_by(|a, b| a.creation_date().cmp(&b.creation_date()));
        let gp2 = gp2
            .last()
            .expect("the emulator has a gp2 Amazon Linux 2 image")
            .name()
            .unwrap()
            .to_string();
        (
            i.image_id().unwrap().to_string(),
            i.name().unwrap().to_string(),
            gp2,
        )
    });
    assert_eq!(value(&outputs, "gp2"), want.2.as_str(), "{outputs}");
    let ami = value(&outputs, "ami");
    assert_eq!(ami["id"], want.0.as_str(), "{outputs}");
    assert_eq!(ami["name"], want.1.as_str(), "{outputs}");
    assert_eq!(ami["owner"], "137112412989");
    assert_eq!(value(&outputs, "token_kind"), "k8s-aws-v1");
    assert_eq!(value(&outputs, "s3_service"), "com.amazonaws.us-east-1.s3");

    // several images and no most_recent
    ws.edit("main.tf", "  most_recent = true\n", "");
    ws.write("test.auto.tfvars", "name_pattern = \"amzn*\"\n");
    let plan = direct(&ws, &["plan"]);
    assert_ne!(plan.code, 0, "{}", plan.all());
    assert!(
        plan.all().contains("set `most_recent = true`"),
        "{}",
        plan.all()
    );

    // a pattern that is not a regular expression names the argument
    ws.edit("main.tf", "-x86_64-gp2$", "-x86_64-(gp2$");
    let plan = direct(&ws, &["plan"]);
    assert_ne!(plan.code, 0, "{}", plan.all());
    assert!(
        plan.all()
            .contains("`name_regex` is not a valid regular expression"),
        "{}",
        plan.all()
    );
}
