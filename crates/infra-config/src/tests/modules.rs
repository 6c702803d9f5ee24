//! Local modules: addresses, inputs and outputs, expansion, errors inside modules.

use std::collections::BTreeMap;

use infra_model::{Address, Value};

use super::*;

/// A root `main.tf` plus module directories, each `(dir, [(file name, text)])`; file
/// paths are shown relative to the root, as `fs::read_stack` names them.
fn stack(main: &str, modules: &[(&str, &[(&str, &str)])]) -> StackInput {
    let mut i = input(&[("main.tf", main)]);
    for (dir, files) in modules {
        i.modules.insert(
            dir.to_string(),
            files
                .iter()
                .map(|(n, t)| file(&format!("{dir}/{n}"), t))
                .collect(),
        );
    }
    i.root_dir = Some("/work/stacks/prod".into());
    i
}

const NETWORK: &str = r#"
variable "cidr" {
  type = string
  validation {
    condition     = can(cidrhost(var.cidr, 0))
    error_message = "cidr must be a CIDR block"
  }
}
variable "azs" {
  type    = list(string)
  default = ["a", "b"]
}
variable "name" {
  default = "net"
}
resource "aws_vpc" "main" {
  cidr_block = var.cidr
  tags       = { Name = var.name }
}
resource "aws_subnet" "private" {
  for_each   = toset(var.azs)
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet(var.cidr, 8, index(var.azs, each.key))
}
output "vpc_id" {
  value = aws_vpc.main.id
}
output "subnet_ids" {
  value = [for s in aws_subnet.private : s.id]
}
"#;

const ENV: &str = r#"
variable "cidr" {}
module "net" {
  source = "../network"
  cidr   = var.cidr
  azs    = ["a"]
}
output "vpc_id" {
  value = module.net.vpc_id
}
"#;

fn nested() -> StackInput {
    stack(
        r#"
module "env" {
  for_each = { dev = "10.1.0.0/16", prod = "10.2.0.0/16" }
  source   = "../modules/env"
  cidr     = each.value
}
module "single" {
  source = "../modules/network"
  cidr   = "10.9.0.0/16"
  name   = "single"
}
resource "aws_security_group" "sg" {
  vpc_id = module.single.vpc_id
}
output "prod_vpc" {
  value = module.env["prod"].vpc_id
}
output "subnets" {
  value = module.single.subnet_ids
}
"#,
        &[
            ("../modules/env", &[("main.tf", ENV)]),
            ("../modules/network", &[("main.tf", NETWORK)]),
        ],
    )
}

#[test]
fn nested_module_addresses_with_keys() {
    let w = walk_with(&nested(), planned);
    assert_eq!(render(&w.diags), "");
    let mut a = w.addresses();
    a.sort();
    assert_eq!(
        a,
        [
            "aws_security_group.sg",
            "module.env[\"dev\"].module.net.aws_subnet.private[\"a\"]",
            "module.env[\"dev\"].module.net.aws_vpc.main",
            "module.env[\"prod\"].module.net.aws_subnet.private[\"a\"]",
            "module.env[\"prod\"].module.net.aws_vpc.main",
            "module.single.aws_subnet.private[\"a\"]",
            "module.single.aws_subnet.private[\"b\"]",
            "module.single.aws_vpc.main",
        ]
    );
    // inputs flow through two levels, each instance with its own value
    let vpc = w.get("module.env[\"prod\"].module.net.aws_vpc.main");
    assert_eq!(vpc.config.get("cidr_block"), &Value::from("10.2.0.0/16"));
    assert_eq!(
        w.get("module.env[\"dev\"].module.net.aws_subnet.private[\"a\"]")
            .config
            .get("cidr_block"),
        &Value::from("10.1.0.0/24")
    );
    // defaults and overrides
    assert_eq!(
        w.get("module.single.aws_vpc.main").config.get("tags"),
        &map(&[("Name", Value::from("single"))])
    );
    // a resource depends on its sibling in the same module instance only
    assert_eq!(
        w.deps("module.env[\"prod\"].module.net.aws_subnet.private[\"a\"]"),
        ["module.env[\"prod\"].module.net.aws_vpc.main"]
    );
    // through a module output to the resource inside
    assert_eq!(
        w.deps("aws_security_group.sg"),
        ["module.single.aws_vpc.main"]
    );
    // the address parses back and a module target selects it
    let parsed = Address::parse(&vpc.address.to_string()).unwrap();
    assert_eq!(parsed, vpc.address);
    assert!(Address::parse("module.env[\"prod\"]")
        .unwrap()
        .selects(&vpc.address));
    assert!(!Address::parse("module.env[\"dev\"]")
        .unwrap()
        .selects(&vpc.address));
}

#[test]
fn module_outputs_unknown_at_plan_known_at_apply() {
    let w = walk_with(&nested(), planned);
    assert_eq!(w.output("prod_vpc"), &Value::Unknown);
    assert_eq!(
        w.get("aws_security_group.sg").config.get("vpc_id"),
        &Value::Unknown
    );
    let w = walk_with(&nested(), applied);
    assert_eq!(
        w.output("prod_vpc"),
        &Value::from("id-of-module.env[\"prod\"].module.net.aws_vpc.main")
    );
    assert_eq!(
        w.output("subnets"),
        &Value::List(vec![
            Value::from("id-of-module.single.aws_subnet.private[\"a\"]"),
            Value::from("id-of-module.single.aws_subnet.private[\"b\"]"),
        ])
    );
    assert_eq!(
        w.get("aws_security_group.sg").config.get("vpc_id"),
        &Value::from("id-of-module.single.aws_vpc.main")
    );
}

#[test]
fn count_on_a_module_and_whole_module_references() {
    let w = walk_with(
        &stack(
            r#"
module "net" {
  count  = 2
  source = "./net"
  cidr   = "10.${count.index}.0.0/16"
  azs    = []
}
output "ids" {
  value = module.net[*].vpc_id
}
output "second" {
  value = module.net[1]
}
"#,
            &[("net", &[("main.tf", NETWORK)])],
        ),
        applied,
    );
    assert_eq!(render(&w.diags), "");
    assert_eq!(
        w.addresses(),
        ["module.net[0].aws_vpc.main", "module.net[1].aws_vpc.main"]
    );
    assert_eq!(
        w.get("module.net[1].aws_vpc.main").config.get("cidr_block"),
        &Value::from("10.1.0.0/16")
    );
    assert_eq!(
        w.output("ids"),
        &Value::List(vec![
            Value::from("id-of-module.net[0].aws_vpc.main"),
            Value::from("id-of-module.net[1].aws_vpc.main"),
        ])
    );
    assert_eq!(
        w.output("second"),
        &map(&[
            ("subnet_ids", Value::List(vec![])),
            ("vpc_id", Value::from("id-of-module.net[1].aws_vpc.main")),
        ])
    );
}

#[test]
fn depends_on_a_module_and_module_depends_on() {
    let w = walk_with(
        &stack(
            r#"
resource "aws_vpc" "first" {
  cidr_block = "10.0.0.0/16"
}
module "net" {
  source     = "./net"
  cidr       = "10.1.0.0/16"
  azs        = ["a"]
  depends_on = [aws_vpc.first]
}
resource "aws_internet_gateway" "gw" {
  depends_on = [module.net]
}
"#,
            &[("net", &[("main.tf", NETWORK)])],
        ),
        planned,
    );
    assert_eq!(render(&w.diags), "");
    assert_eq!(
        w.deps("aws_internet_gateway.gw"),
        [
            // through the module's own depends_on, which its outputs inherit
            "aws_vpc.first",
            "module.net.aws_subnet.private",
            "module.net.aws_vpc.main"
        ]
    );
    assert_eq!(w.deps("module.net.aws_vpc.main"), ["aws_vpc.first"]);
    let pos = |a: &str| w.addresses().iter().position(|x| x == a).unwrap();
    assert!(pos("aws_internet_gateway.gw") > pos("module.net.aws_subnet.private[\"a\"]"));
}

#[test]
fn graph_has_module_qualified_nodes() {
    let s = load_ok(&nested());
    let nodes: Vec<String> = s.graph().nodes().map(|n| n.to_string()).collect();
    for n in [
        "module.env",
        "module.env.module.net",
        "module.env.module.net.aws_vpc.main",
        "module.env.module.net.var.cidr",
        "module.env.output.vpc_id",
        "module.single.aws_subnet.private",
    ] {
        assert!(nodes.iter().any(|x| x == n), "{n} not in {nodes:?}");
    }
    assert!(s
        .graph()
        .to_dot()
        .contains("\"aws_security_group.sg\" -> \"module.single.output.vpc_id\""));
    assert_eq!(
        s.resource_addresses()
            .iter()
            .filter(|a| a.to_string() == "module.env.module.net.aws_vpc.main")
            .count(),
        1
    );
    assert!(s
        .resource(&Address::parse("module.env[\"dev\"].module.net.aws_vpc.main").unwrap())
        .is_some());
}

#[test]
fn evaluate_instance_inside_a_module() {
    let s = load_ok(&nested());
    let mut values = BTreeMap::new();
    values.insert(
        Address::parse("module.single.aws_vpc.main").unwrap(),
        map(&[("id", Value::from("vpc-123"))]),
    );
    let cfg = s
        .evaluate_instance(
            &Address::parse("module.single.aws_subnet.private[\"b\"]").unwrap(),
            &values,
        )
        .unwrap();
    assert_eq!(cfg.get("vpc_id"), &Value::from("vpc-123"));
    assert_eq!(cfg.get("cidr_block"), &Value::from("10.9.1.0/24"));
    let e = s
        .evaluate_instance(
            &Address::parse("module.single.aws_subnet.private[\"z\"]").unwrap(),
            &values,
        )
        .unwrap_err();
    assert!(e.summary.contains("no instance"), "{e}");
    let (outs, diags) = s.evaluate_outputs(&values);
    assert_eq!(render(&diags), "");
    assert_eq!(outs.keys().collect::<Vec<_>>(), ["prod_vpc", "subnets"]);
}

/// A module call passing `null` to a `nullable = false` variable gets the variable's
/// default, as in Terraform (terraform-aws-eks's sub-module calls pass `null` for every
/// setting the user left out); without a default it is an error at the call.
#[test]
fn null_for_a_non_nullable_variable_takes_its_default() {
    let module = r#"
variable "name" {
  type     = string
  default  = "from-default"
  nullable = false
}
variable "tags" {
  type     = map(string)
  default  = {}
  nullable = false
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags       = merge(var.tags, { Name = var.name })
}
"#;
    let main = r#"
module "net" {
  source = "./modules/net"
  name   = null
  tags   = null
}
"#;
    let w = walk_with(
        &stack(main, &[("modules/net", &[("main.tf", module)])]),
        planned,
    );
    assert_eq!(
        w.get("module.net.aws_vpc.main").config.get("tags"),
        &Value::from_json(&serde_json::json!({"Name": "from-default"}))
    );

    let strict = r#"
variable "name" {
  type     = string
  nullable = false
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags       = { Name = var.name }
}
"#;
    let w = walk_with(
        &stack(
            main.replace("  tags   = null\n", "").as_str(),
            &[("modules/net", &[("main.tf", strict)])],
        ),
        planned,
    );
    let errs = render(&w.diags);
    assert!(
        errs.contains("variable \"name\" must not be null"),
        "{errs}"
    );
}

#[test]
fn path_cwd_is_the_stack_directory_in_every_module() {
    let mut i = stack(
        r#"
module "net" {
  source = "./modules/net"
}
output "root" {
  value = [basename(path.cwd), path.root, path.module]
}
output "child" {
  value = module.net.paths
}
"#,
        &[(
            "modules/net",
            &[(
                "main.tf",
                r#"output "paths" {
  value = [basename(path.cwd), path.root, path.module]
}"#,
            )],
        )],
    );
    i.root_dir = Some("/home/ops/eks-auto-mode".into());
    let w = walk_with(&i, planned);
    assert_eq!(render(&w.diags), "");
    let list = |v: &[&str]| Value::List(v.iter().map(|s| Value::from(*s)).collect());
    assert_eq!(w.output("root"), &list(&["eks-auto-mode", ".", "."]));
    assert_eq!(
        w.output("child"),
        &list(&["eks-auto-mode", ".", "modules/net"])
    );
}
