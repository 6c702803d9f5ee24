//! Drift reports, the markdown plan, `state rebuild` after the state file was lost, and
//! `state migrate-from-terraform`, end to end against the emulator.

use crate::common::*;

#[test]
fn drift_reports_what_changed_outside_and_exits_2_without_changing_anything() {
    let ws = small();
    ws.apply();
    let none = ws.run(&["drift"]);
    assert_eq!(none.code, 0, "{}", none.all());
    assert!(none.stdout.contains("No drift"), "{}", none.all());
    let vpc = ws
        .run(&["output", "vpc_id"])
        .stdout
        .trim()
        .trim_matches('"')
        .to_string();
    let eip = ws.run(&["state", "show", "aws_eip.ip", "--json"]);
    let eip: serde_json::Value = serde_json::from_str(&eip.stdout).unwrap();
    let alloc = eip["id"].as_str().unwrap().to_string();
    rt().block_on(async {
        let c = ec2().await;
        c.create_tags()
            .resources(&vpc)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key("Owner")
                    .value("someone")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        c.release_address()
            .allocation_id(&alloc)
            .send()
            .await
            .unwrap();
    });
    let drift = ws.run(&["drift"]);
    assert_eq!(drift.code, 2, "{}", drift.all());
    assert!(drift.stdout.contains("# aws_vpc.main ("), "{}", drift.all());
    assert!(drift.stdout.contains("Owner"), "{}", drift.all());
    assert!(
        drift
            .stdout
            .contains("# aws_eip.ip was deleted outside infra"),
        "{}",
        drift.all()
    );
    let same = ws.run(&["plan", "--refresh-only", "--json"]);
    assert_eq!(same.code, 2, "{}", same.all());
    let j: serde_json::Value = serde_json::from_str(&same.stdout).unwrap();
    let mut drifted: Vec<String> = j["resource_drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["address"].as_str().unwrap(),
                d["change"]["actions"][0].as_str().unwrap()
            )
        })
        .collect();
    drifted.sort();
    assert_eq!(drifted, ["aws_eip.ip delete", "aws_vpc.main update"]);
    // nothing was written: the state still records the released address
    let list = ws.run(&["state", "list"]);
    assert!(
        list.stdout.lines().any(|l| l == "aws_eip.ip"),
        "{}",
        list.all()
    );
    let r = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn markdown_plan_for_a_pull_request_comment() {
    let ws = small();
    let file = ws.dir.path().join("comment.md");
    let r = ws.run(&["plan", "--markdown", file.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.all());
    let md = std::fs::read_to_string(&file).unwrap();
    assert!(
        md.starts_with(&format!(
            "### `{}`: 4 to add, 0 to change, 0 to destroy",
            ws.stack_name
        )),
        "{md}"
    );
    assert!(md.contains("**Create** (4)"), "{md}");
    assert!(md.contains("<details><summary>Full plan</summary>"), "{md}");
    assert!(md.contains("API calls:"), "{md}");
    assert!(!md.contains("hunter2"), "sensitive output redacted:\n{md}");
    ws.apply();
    ws.edit(
        "main.tf",
        "cidrsubnet(var.cidr, 8, 1)",
        "cidrsubnet(var.cidr, 8, 2)",
    );
    let r = ws.run(&["plan", "--format", "markdown"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("> [!WARNING]"), "{}", r.all());
    assert!(r.stdout.contains("`aws_subnet.a` is **replaced** (destroyed, then created): `cidr_block` (`\"10.60.1.0/24\"` → `\"10.60.2.0/24\"`) forces replacement"), "{}", r.all());
    let r = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
}

/// The state file of prod is lost; rebuilding it from the tags finds every object (the
/// Route53 zone and health check too, which crash recovery finds by token), and the plan
/// is clean. An object whose tags were removed is reported, not adopted.
#[test]
fn state_rebuild_from_tags_after_the_state_file_is_lost() {
    let ws = Workspace::from_environment("prod", true);
    ws.apply();
    let before = ws.run(&["state", "list"]).stdout;
    let managed = before
        .lines()
        .filter(|l| !l.starts_with("data.") && !l.contains(".data."))
        .count();
    ws.remove_state();
    // someone removed the cluster role's tags: it must not be taken over silently
    let role = format!("{}-eks-cluster", ws.stack_name);
    let iam = aws_sdk_iam::Client::new(&sdk_config());
    rt().block_on(
        iam.untag_role()
            .role_name(&role)
            .tag_keys("infra:stack")
            .tag_keys("infra:address")
            .send(),
    )
    .unwrap();
    let r = ws.run(&["state", "rebuild"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let blocked = "Not looked for, because they refer to objects not found";
    assert!(r.stdout.contains(blocked), "{}", r.all());
    // neither the role nor what refers to it: its attachment, the cluster, 3 node groups
    let first = format!(
        "{} found, 0 already in the state, of {managed} resource(s)",
        managed - 6
    );
    assert!(r.stdout.contains(&first), "{}", r.all());
    let warn = format!("module.eks.aws_iam_role.cluster: {role} exists but is not tagged");
    assert!(r.stderr.contains(&warn), "{}", r.all());
    let imported = ws.run(&["import", "module.eks.aws_iam_role.cluster", &role]);
    assert_eq!(imported.code, 0, "{}", imported.all());
    // run again, the rebuild keeps what the state holds and finds what depends on it
    let again = ws.run(&["state", "rebuild"]);
    assert_eq!(again.code, 0, "{}", again.all());
    let second = format!("5 found, {} already in the state", managed - 5);
    assert!(again.stdout.contains(&second), "{}", again.all());
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        plan.code,
        0,
        "the rebuilt state plans clean:\n{}",
        plan.all()
    );
    let r = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
}

const MIGRATE_STACK: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

resource "aws_vpc" "main" {
  cidr_block = "10.61.0.0/16"
  tags = {
    Name = var.name
  }
}

resource "aws_subnet" "a" {
  count      = 2
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet("10.61.0.0/16", 8, count.index)
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route" "out" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.gw.id
}

resource "aws_route_table_association" "a" {
  count          = 2
  subnet_id      = aws_subnet.a[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_iam_role" "app" {
  name               = var.name
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })
}

resource "aws_iam_role_policy_attachment" "app" {
  role       = aws_iam_role.app.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

output "vpc_id" {
  value = aws_vpc.main.id
}
"#;

/// A `terraform.tfstate` (format version 4, as Terraform 1.9 writes it:
/// `internal/states/statefile/version4.go`) describing what `ws` manages, with the ids
/// Terraform's provider records (`r-<table><hash>` for a route, `<role>-<timestamp>` for
/// an attachment) rather than ours.
fn terraform_state(ws: &Workspace) -> serde_json::Value {
    let show = |addr: &str| -> serde_json::Value {
        let r = ws.run(&["state", "show", addr, "--json"]);
        assert_eq!(r.code, 0, "{}", r.all());
        serde_json::from_str::<serde_json::Value>(&r.stdout).unwrap()["attributes"].clone()
    };
    let provider = "provider[\"registry.terraform.io/hashicorp/aws\"]";
    let instance = |attrs: serde_json::Value, index: Option<serde_json::Value>, deps: &[&str]| {
        let mut i = serde_json::json!({
            "schema_version": 0,
            "attributes": attrs,
            "sensitive_attributes": [],
            "private": "eyJzY2hlbWFfdmVyc2lvbiI6IjAifQ==",
            "dependencies": deps,
        });
        if let Some(k) = index {
            i["index_key"] = k;
        }
        i
    };
    let single = |ty: &str, name: &str, attrs: serde_json::Value, deps: &[&str]| serde_json::json!({"mode": "managed", "type": ty, "name": name, "provider": provider, "instances": [instance(attrs, None, deps)]});
    let counted = |ty: &str, name: &str, deps: &[&str]| {
        let instances: Vec<_> = (0..2)
            .map(|i| {
                instance(
                    show(&format!("{ty}.{name}[{i}]")),
                    Some(serde_json::json!(i)),
                    deps,
                )
            })
            .collect();
        serde_json::json!({"mode": "managed", "type": ty, "name": name, "each": "list", "provider": provider, "instances": instances})
    };
    let mut route = show("aws_route.out");
    route["id"] = serde_json::json!(format!(
        "r-{}1080289494",
        route["route_table_id"].as_str().unwrap()
    ));
    let mut attachment = show("aws_iam_role_policy_attachment.app");
    attachment["id"] = serde_json::json!(format!(
        "{}-20250102030405060700000001",
        attachment["role"].as_str().unwrap()
    ));
    let vpc = show("aws_vpc.main");
    serde_json::json!({
        "version": 4,
        "terraform_version": "1.9.8",
        "serial": 12,
        "lineage": "3f8a4f2e-6a0c-7d1b-9e4c-2b5d8c1a0f37",
        "outputs": {"vpc_id": {"value": vpc["id"], "type": "string"}},
        "resources": [
            {"mode": "data", "type": "aws_region", "name": "current", "provider": provider,
             "instances": [{"schema_version": 0, "attributes": {"id": "us-east-1", "name": "us-east-1", "description": "US East (N. Virginia)", "endpoint": "ec2.us-east-1.amazonaws.com"}, "sensitive_attributes": []}]},
            single("aws_iam_role", "app", show("aws_iam_role.app"), &[]),
            single("aws_iam_role_policy_attachment", "app", attachment, &["aws_iam_role.app"]),
            single("aws_internet_gateway", "gw", show("aws_internet_gateway.gw"), &["aws_vpc.main"]),
            single("aws_route", "out", route, &["aws_internet_gateway.gw", "aws_route_table.public", "aws_vpc.main"]),
            single("aws_route_table", "public", show("aws_route_table.public"), &["aws_vpc.main"]),
            counted("aws_route_table_association", "a", &["aws_route_table.public", "aws_subnet.a", "aws_vpc.main"]),
            counted("aws_subnet", "a", &["aws_vpc.main"]),
            single("aws_vpc", "main", vpc, &[]),
        ],
        "check_results": null
    })
}

#[test]
fn migrate_from_a_terraform_state_file_then_the_plan_is_clean() {
    let made = Workspace::from_files(&[("main.tf", MIGRATE_STACK)], true);
    made.write(
        "terraform.tfvars",
        &format!("name = \"{}\"\n", made.stack_name),
    );
    made.apply();
    let tfstate = made.dir.path().join("terraform.tfstate");
    std::fs::write(
        &tfstate,
        serde_json::to_string_pretty(&terraform_state(&made)).unwrap(),
    )
    .unwrap();

    // a Terraform user's stack: the same configuration, no infra state yet
    let user = Workspace::from_files(&[("main.tf", MIGRATE_STACK)], true);
    user.write(
        "terraform.tfvars",
        &format!("name = \"{}\"\n", made.stack_name),
    );
    // a type infra does not support: refused, nothing written
    let mut with_instance = terraform_state(&made);
    with_instance["resources"].as_array_mut().unwrap().push(serde_json::json!({"mode": "managed", "type": "aws_ebs_volume", "name": "web", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]", "instances": [{"schema_version": 0, "attributes": {"id": "vol-0abc"}, "sensitive_attributes": []}]}));
    let bad = user.dir.path().join("bucket.tfstate");
    std::fs::write(&bad, with_instance.to_string()).unwrap();
    let r = user.run(&["state", "migrate-from-terraform", bad.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr
            .contains("does not support the resource type `aws_ebs_volume`"),
        "{}",
        r.all()
    );
    assert!(!user.state_path().exists() || user.run(&["state", "list"]).stdout.trim().is_empty());

    let r = user.run(&["state", "migrate-from-terraform", tfstate.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("Migrated 10 resource(s) from the Terraform 1.9.8 state"),
        "{}",
        r.all()
    );
    let plan = user.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        plan.code,
        0,
        "the migrated stack plans clean:\n{}",
        plan.all()
    );
    let list = user.run(&["state", "list"]).stdout;
    assert!(
        list.contains("aws_route.out") && list.contains("aws_iam_role_policy_attachment.app"),
        "{list}"
    );
    let r = user.run(&["destroy", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
}
