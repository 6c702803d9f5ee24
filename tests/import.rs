//! `infra import ADDR ID` and `import { to, id }` blocks against the emulator: every
//! resource type of prod (network, NAT per AZ, IAM, EKS, Route53) plus a security group
//! and a standalone route, imported by Terraform's import IDs into a fresh state, plan
//! clean afterwards.

use crate::common::*;

/// A VPC of its own with a gateway, a route and a security group: the types prod lacks.
const EXTRA: &str = r#"
resource "aws_vpc" "extra" {
  cidr_block = "10.250.0.0/16"
}

resource "aws_internet_gateway" "extra" {
  vpc_id = aws_vpc.extra.id
}

resource "aws_route_table" "extra" {
  vpc_id = aws_vpc.extra.id
}

resource "aws_route" "extra" {
  route_table_id         = aws_route_table.extra.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.extra.id
}

resource "aws_security_group" "db" {
  name        = "${var.name}-db"
  description = "database"
  vpc_id      = aws_vpc.extra.id

  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
}
"#;

/// Terraform's import ID of a resource, from its state row: the id, except for the
/// types whose import ID is composite (an association is `SUBNET/TABLE`).
fn import_id(row: &serde_json::Value, attrs: &serde_json::Value) -> String {
    match row["type"].as_str().unwrap() {
        "aws_route_table_association" => format!(
            "{}/{}",
            attrs["subnet_id"].as_str().unwrap(),
            attrs["route_table_id"].as_str().unwrap()
        ),
        _ => row["id"].as_str().unwrap().to_string(),
    }
}

/// The `(address, import ID)` of everything `ws` manages.
fn managed(ws: &Workspace) -> Vec<(String, String, String)> {
    let list = ws.run(&["state", "list", "--json"]);
    assert_eq!(list.code, 0, "{}", list.all());
    let rows: Vec<serde_json::Value> = serde_json::from_str(&list.stdout).unwrap();
    rows.iter()
        .filter(|r| r["mode"] == "managed")
        .map(|r| {
            let addr = r["address"].as_str().unwrap().to_string();
            let show = ws.run(&["state", "show", &addr, "--json"]);
            let attrs: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
            (
                addr,
                r["type"].as_str().unwrap().to_string(),
                import_id(r, &attrs["attributes"]),
            )
        })
        .collect()
}

#[test]
fn import_every_type_of_prod_then_the_plan_is_clean() {
    let original = Workspace::from_environment("prod", true);
    original.write("extra.tf", EXTRA);
    original.apply();
    let objects = managed(&original);
    let types: std::collections::BTreeSet<&str> =
        objects.iter().map(|(_, t, _)| t.as_str()).collect();
    assert_eq!(types.len(), 16, "every supported resource type: {types:?}");

    // the same configuration over an empty state of its own: everything would be created
    let copy = Workspace::from_environment("prod", true);
    copy.write("extra.tf", EXTRA);
    let name = format!("name = \"{}\"\n", original.stack_name);
    copy.write("test.auto.tfvars", &name);
    let before = copy.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(before.code, 2, "{}", before.all());

    for (addr, _, id) in &objects {
        let r = copy.run(&["import", addr, id]);
        assert_eq!(r.code, 0, "import {addr} {id}:\n{}", r.all());
        assert!(r.stdout.contains("Import successful"), "{}", r.all());
    }
    let after = copy.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        after.code,
        0,
        "the plan after import is clean:\n{}",
        after.all()
    );

    // importing into an address the state already holds, an unknown id, and an
    // address without configuration all fail with what to do
    let (addr, _, id) = &objects[0];
    let again = copy.run(&["import", addr, id]);
    assert_eq!(again.code, 1, "{}", again.all());
    assert!(again.stderr.contains("infra state rm"), "{}", again.all());
    copy.run(&["state", "rm", "aws_vpc.extra"]);
    let missing = copy.run(&["import", "aws_vpc.extra", "vpc-00000000000000000"]);
    assert_eq!(missing.code, 1, "{}", missing.all());
    assert!(missing.stderr.contains("the VPC id"), "{}", missing.all());
    let unconfigured = copy.run(&["import", "aws_vpc.nowhere", "vpc-1"]);
    assert_eq!(unconfigured.code, 1, "{}", unconfigured.all());
    assert!(
        unconfigured
            .stderr
            .contains("add a `resource \"aws_vpc\" \"nowhere\"` block"),
        "{}",
        unconfigured.all()
    );

    // import blocks: plan shows what will be imported, apply records it, then clean
    let extra: Vec<_> = objects
        .iter()
        .filter(|(a, _, _)| a.starts_with("aws_"))
        .collect();
    let blocks = Workspace::from_environment("prod", true);
    blocks.write("extra.tf", EXTRA);
    blocks.write("test.auto.tfvars", &name);
    let mut text = String::new();
    for (addr, _, id) in &extra {
        text.push_str(&format!("import {{\n  to = {addr}\n  id = \"{id}\"\n}}\n"));
    }
    blocks.write("imports.tf", &text);
    // only the extra VPC's objects: the rest of prod is planned for creation
    let plan = blocks.run(&[
        "plan",
        "--target",
        "aws_security_group.db",
        "--target",
        "aws_route.extra",
        "--detailed-exitcode",
    ]);
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert!(
        plan.stdout.contains("# aws_route.extra will be imported"),
        "{}",
        plan.all()
    );
    assert!(
        plan.stdout
            .contains(&format!("Import: {} to import.", extra.len())),
        "{}",
        plan.all()
    );
    assert!(
        plan.stdout.contains("No changes") || !plan.stdout.contains("will be created"),
        "{}",
        plan.all()
    );
    let r = blocks.run(&[
        "apply",
        "--auto-approve",
        "--target",
        "aws_security_group.db",
        "--target",
        "aws_route.extra",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    let list = blocks.run(&["state", "list"]);
    for (addr, _, _) in &extra {
        assert!(
            list.stdout.lines().any(|l| l == addr),
            "{addr} imported:\n{}",
            list.all()
        );
    }
    let targets = [
        "--target",
        "aws_security_group.db",
        "--target",
        "aws_route.extra",
    ];
    let clean = blocks.plan_json(&targets);
    assert!(changes(&clean).is_empty(), "{:?}", changes(&clean));

    // a block naming an address without configuration is a load error with its location
    blocks.write(
        "imports.tf",
        "import {\n  to = aws_vpc.nowhere\n  id = \"vpc-1\"\n}\n",
    );
    let bad = blocks.run(&["validate"]);
    assert_eq!(bad.code, 1, "{}", bad.all());
    assert!(bad.stderr.contains("imports.tf:2"), "{}", bad.all());

    let gone = original.run(&["destroy", "--auto-approve"]);
    assert_eq!(gone.code, 0, "{}", gone.all());
}
