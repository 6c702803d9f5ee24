use std::collections::BTreeMap;

use infra_model::{Address, InstanceKey, Value};

use super::*;

const NETWORK: &str = r#"
variable "azs" {
  type    = list(string)
  default = ["us-east-1a", "us-east-1b", "us-east-1c"]
}

locals {
  vpc_id = aws_vpc.main.id
  name   = "prod"
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags       = { Name = local.name }
}

resource "aws_subnet" "private" {
  for_each          = toset(var.azs)
  vpc_id            = local.vpc_id
  availability_zone = each.key
  cidr_block        = cidrsubnet("10.0.0.0/16", 8, index(var.azs, each.value))
}

resource "aws_subnet" "public" {
  count                   = length(var.azs)
  vpc_id                  = aws_vpc.main.id
  availability_zone       = var.azs[count.index]
  cidr_block              = cidrsubnet("10.0.0.0/16", 8, 100 + count.index)
  map_public_ip_on_launch = true
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table_association" "public" {
  count          = 3
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

output "public_subnet_ids" {
  value = aws_subnet.public[*].id
}

output "private_cidrs" {
  value = [for s in aws_subnet.private : s.cidr_block]
}
"#;

#[test]
fn count_and_for_each_addresses() {
    let w = walk(NETWORK);
    assert_eq!(
        w.addresses(),
        [
            "aws_vpc.main",
            "aws_route_table.public",
            "aws_subnet.private[\"us-east-1a\"]",
            "aws_subnet.private[\"us-east-1b\"]",
            "aws_subnet.private[\"us-east-1c\"]",
            "aws_subnet.public[0]",
            "aws_subnet.public[1]",
            "aws_subnet.public[2]",
            "aws_route_table_association.public[0]",
            "aws_route_table_association.public[1]",
            "aws_route_table_association.public[2]",
        ]
    );
    let s = w.get("aws_subnet.private[\"us-east-1b\"]");
    assert_eq!(
        s.config.get("availability_zone"),
        &Value::from("us-east-1b")
    );
    assert_eq!(s.config.get("cidr_block"), &Value::from("10.0.1.0/24"));
    assert_eq!(
        w.get("aws_subnet.public[2]").config.get("cidr_block"),
        &Value::from("10.0.102.0/24")
    );
    assert_eq!(
        w.get("aws_subnet.public[2]")
            .config
            .get("availability_zone"),
        &Value::from("us-east-1c")
    );
}

#[test]
fn references_become_depends_on() {
    let w = walk(NETWORK);
    assert_eq!(w.deps("aws_subnet.public[0]"), ["aws_vpc.main"]);
    // through a local
    assert_eq!(
        w.deps("aws_subnet.private[\"us-east-1a\"]"),
        ["aws_vpc.main"]
    );
    // every instance of a counted resource, as the resource's address (which selects
    // them all)
    assert_eq!(
        w.deps("aws_route_table_association.public[1]"),
        ["aws_route_table.public", "aws_subnet.public"]
    );
    assert!(w.deps("aws_vpc.main").is_empty());
}

#[test]
fn unknown_values_propagate_and_known_ones_flow() {
    let w = walk(NETWORK);
    assert_eq!(
        w.get("aws_subnet.public[0]").config.get("vpc_id"),
        &Value::Unknown
    );
    assert_eq!(
        w.get("aws_subnet.private[\"us-east-1a\"]")
            .config
            .get("vpc_id"),
        &Value::Unknown
    );
    assert_eq!(
        w.output("public_subnet_ids"),
        &Value::List(vec![Value::Unknown; 3])
    );

    let w = walk_with(&input(&[("main.tf", NETWORK)]), applied);
    assert_eq!(render(&w.diags), "");
    assert_eq!(
        w.get("aws_subnet.public[0]").config.get("vpc_id"),
        &Value::from("id-of-aws_vpc.main")
    );
    assert_eq!(
        w.get("aws_subnet.private[\"us-east-1c\"]")
            .config
            .get("vpc_id"),
        &Value::from("id-of-aws_vpc.main")
    );
    assert_eq!(
        w.get("aws_route_table_association.public[2]")
            .config
            .get("subnet_id"),
        &Value::from("id-of-aws_subnet.public[2]")
    );
    assert_eq!(
        w.output("public_subnet_ids"),
        &Value::List(
            (0..3)
                .map(|i| Value::from(format!("id-of-aws_subnet.public[{i}]")))
                .collect()
        )
    );
    assert_eq!(
        w.output("private_cidrs"),
        &Value::List(vec![
            Value::from("10.0.0.0/24"),
            Value::from("10.0.1.0/24"),
            Value::from("10.0.2.0/24")
        ])
    );
}

#[test]
fn config_holds_only_what_was_written() {
    let w = walk(NETWORK);
    let vpc = w.get("aws_vpc.main");
    assert_eq!(
        vpc.config,
        map(&[
            ("cidr_block", Value::from("10.0.0.0/16")),
            ("tags", map(&[("Name", Value::from("prod"))]))
        ])
    );
}

#[test]
fn dynamic_blocks_and_nested_blocks() {
    let w = walk(
        r#"
variable "ports" {
  type    = map(string)
  default = { "5432" = "postgres", "6379" = "redis" }
}
resource "aws_security_group" "db" {
  name   = "db"
  vpc_id = "vpc-1"
  dynamic "ingress" {
    for_each = var.ports
    iterator = port
    content {
      from_port   = port.key
      to_port     = port.key
      protocol    = "tcp"
      description = port.value
      cidr_blocks = ["10.0.0.0/16"]
    }
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"#,
    );
    let sg = w.get("aws_security_group.db");
    let ingress = sg.config.get("ingress").as_list().unwrap();
    assert_eq!(ingress.len(), 2);
    assert_eq!(ingress[0].get("from_port"), &Value::Number(5432.0));
    assert_eq!(ingress[1].get("description"), &Value::from("redis"));
    assert_eq!(
        ingress[1].get("cidr_blocks"),
        &Value::List(vec![Value::from("10.0.0.0/16")])
    );
    let egress = sg.config.get("egress").as_list().unwrap();
    assert_eq!(egress.len(), 1);
    assert_eq!(egress[0].get("protocol"), &Value::from("-1"));
}

#[test]
fn data_sources_go_through_the_visitor() {
    let main = r#"
data "aws_availability_zones" "available" {
  state = "available"
}
resource "aws_subnet" "a" {
  vpc_id            = "vpc-1"
  cidr_block        = "10.0.0.0/24"
  availability_zone = data.aws_availability_zones.available.names[0]
}
"#;
    fn reader(i: &DesiredInstance) -> Value {
        match i.address.mode {
            infra_model::Mode::Data => map(&[(
                "names",
                Value::List(vec![Value::from("eu-west-1a"), Value::from("eu-west-1b")]),
            )]),
            infra_model::Mode::Managed => planned(i),
        }
    }
    let w = walk_with(&input(&[("main.tf", main)]), reader);
    assert_eq!(render(&w.diags), "");
    let d = w.get("data.aws_availability_zones.available");
    assert_eq!(d.config, map(&[("state", Value::from("available"))]));
    assert_eq!(
        w.get("aws_subnet.a").config.get("availability_zone"),
        &Value::from("eu-west-1a")
    );
    assert_eq!(
        w.deps("aws_subnet.a"),
        ["data.aws_availability_zones.available"]
    );
}

#[test]
fn lifecycle_and_explicit_depends_on() {
    let w = walk(
        r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_internet_gateway" "gw" {
  vpc_id = "vpc-1"
  depends_on = [aws_vpc.main]
  lifecycle {
    create_before_destroy = true
    prevent_destroy       = true
    ignore_changes        = [tags, tags["Name"]]
  }
}
resource "aws_eip" "nat" {
  lifecycle {
    ignore_changes = all
  }
}
"#,
    );
    let gw = w.get("aws_internet_gateway.gw");
    assert_eq!(w.deps("aws_internet_gateway.gw"), ["aws_vpc.main"]);
    assert!(gw.lifecycle.create_before_destroy && gw.lifecycle.prevent_destroy);
    assert_eq!(gw.lifecycle.ignore_changes, ["tags", "tags[\"Name\"]"]);
    assert_eq!(w.get("aws_eip.nat").lifecycle.ignore_changes, ["all"]);
}

#[test]
fn provider_and_graph() {
    let stack = load_ok(&input(&[(
        "main.tf",
        r#"
variable "region" {
  default = "eu-west-1"
}
locals {
  tags = { team = "net", env = "prod" }
}
provider "aws" {
  region = var.region
  default_tags {
    tags = local.tags
  }
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
output "vpc" {
  value = aws_vpc.main.id
}
"#,
    )]));
    assert_eq!(stack.provider().region.as_deref(), Some("eu-west-1"));
    assert_eq!(
        stack
            .provider()
            .default_tags
            .get("team")
            .map(String::as_str),
        Some("net")
    );
    assert_eq!(
        stack
            .resources()
            .map(|r| r.address.to_string())
            .collect::<Vec<_>>(),
        ["aws_vpc.main"]
    );
    let dot = stack.graph().to_dot();
    assert!(dot.contains("\"output.vpc\" -> \"aws_vpc.main\";"), "{dot}");
    assert!(dot.contains("\"provider.aws\" -> \"local.tags\";"), "{dot}");
    assert!(stack.graph().to_mermaid().contains("-->"));
}

#[test]
fn evaluate_instance_and_outputs_from_current_values() {
    let stack = load_ok(&input(&[("main.tf", NETWORK)]));
    let mut values = BTreeMap::new();
    values.insert(
        Address::managed("aws_vpc", "main"),
        map(&[("id", Value::from("vpc-42"))]),
    );
    for i in 0..3 {
        values.insert(
            Address::managed("aws_subnet", "public").with_key(Some(InstanceKey::Int(i))),
            map(&[("id", Value::from(format!("subnet-{i}")))]),
        );
    }
    values.insert(
        Address::managed("aws_route_table", "public"),
        map(&[("id", Value::from("rtb-1"))]),
    );
    let addr = Address::parse("aws_route_table_association.public[1]").unwrap();
    let config = stack.evaluate_instance(&addr, &values).unwrap();
    assert_eq!(
        config,
        map(&[
            ("route_table_id", Value::from("rtb-1")),
            ("subnet_id", Value::from("subnet-1"))
        ])
    );

    let private = Address::parse("aws_subnet.private[\"us-east-1a\"]").unwrap();
    assert_eq!(
        stack
            .evaluate_instance(&private, &values)
            .unwrap()
            .get("vpc_id"),
        &Value::from("vpc-42")
    );

    let missing = Address::parse("aws_subnet.public[7]").unwrap();
    assert_eq!(
        stack
            .evaluate_instance(&missing, &values)
            .unwrap_err()
            .summary,
        "the configuration has no instance `aws_subnet.public[7]`"
    );

    let (outputs, diags) = stack.evaluate_outputs(&values);
    assert_eq!(render(&diags), "");
    assert_eq!(
        outputs["public_subnet_ids"].value,
        Value::List((0..3).map(|i| Value::from(format!("subnet-{i}"))).collect())
    );
}

/// Resolving one instance at apply time evaluates only that instance; every other
/// instance is what is known of it now, whole blocks (splats) included.
#[test]
fn evaluate_instance_sees_other_instances_as_known_now() {
    let stack = load_ok(&input(&[(
        "main.tf",
        r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "a" {
  count      = 3
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet("10.0.0.0/16", 8, count.index)
}
resource "aws_security_group" "all" {
  for_each = toset(["x", "y"])
  name     = "sg-${each.key}"
  vpc_id   = aws_vpc.main.id
  tags     = { subnets = join(",", aws_subnet.a[*].id) }
}
"#,
    )]));
    let mut values = BTreeMap::new();
    values.insert(
        Address::managed("aws_vpc", "main"),
        map(&[("id", Value::from("vpc-7"))]),
    );
    for i in 0..3 {
        values.insert(
            Address::managed("aws_subnet", "a").with_key(Some(InstanceKey::Int(i))),
            map(&[("id", Value::from(format!("subnet-{i}")))]),
        );
    }
    let y = Address::parse("aws_security_group.all[\"y\"]").unwrap();
    let config = stack.evaluate_instance(&y, &values).unwrap();
    assert_eq!(config.get("name"), &Value::from("sg-y"));
    assert_eq!(
        config.get("tags").get("subnets"),
        &Value::from("subnet-0,subnet-1,subnet-2")
    );
    // a subnet not created yet is unknown to whoever refers to it
    values.remove(&Address::managed("aws_subnet", "a").with_key(Some(InstanceKey::Int(2))));
    let config = stack.evaluate_instance(&y, &values).unwrap();
    assert!(!config.get("tags").is_wholly_known(), "{config:?}");
    let s1 = Address::parse("aws_subnet.a[1]").unwrap();
    assert_eq!(
        stack
            .evaluate_instance(&s1, &values)
            .unwrap()
            .get("cidr_block"),
        &Value::from("10.0.1.0/24")
    );
}

/// At apply time the blocks an instance refers to are read from the known values in
/// parts (`stored.rs`): indexes, keys, legacy `.1` steps, whole-block uses and errors
/// give what the assembled block gives.
#[test]
fn evaluate_instance_reads_blocks_in_parts_as_whole_values() {
    let stack = load_ok(&input(&[(
        "main.tf",
        r#"
resource "aws_vpc" "v" {
  count      = 2
  cidr_block = "10.${count.index}.0.0/16"
}
resource "aws_subnet" "m" {
  for_each   = { a = 0, b = 1 }
  vpc_id     = aws_vpc.v[each.value].id
  cidr_block = "10.${each.value}.1.0/24"
}
resource "aws_route_table" "r" {
  count  = 2
  vpc_id = aws_subnet.m["b"].vpc_id
  tags = {
    n      = length(aws_vpc.v)
    ids    = join(",", [for s in aws_subnet.m : s.id])
    legacy = aws_vpc.v.1.id
    key    = aws_subnet.m[count.index == 0 ? "a" : "b"].id
    all    = join(",", aws_vpc.v[*].id)
  }
}
resource "aws_route_table" "bad" {
  vpc_id = aws_vpc.v[5].id
}
"#,
    )]));
    let mut values = BTreeMap::new();
    for i in 0..2 {
        values.insert(
            Address::managed("aws_vpc", "v").with_key(Some(InstanceKey::Int(i))),
            map(&[("id", Value::from(format!("vpc-{i}")))]),
        );
    }
    for (k, i) in [("a", 0), ("b", 1)] {
        values.insert(
            Address::managed("aws_subnet", "m").with_key(Some(InstanceKey::Str(k.into()))),
            map(&[
                ("id", Value::from(format!("subnet-{k}"))),
                ("vpc_id", Value::from(format!("vpc-{i}"))),
            ]),
        );
    }
    let r0 = Address::parse("aws_route_table.r[0]").unwrap();
    let config = stack.evaluate_instance(&r0, &values).unwrap();
    assert_eq!(config.get("vpc_id"), &Value::from("vpc-1"));
    let tags = config.get("tags");
    assert_eq!(tags.get("n"), &Value::from("2"));
    assert_eq!(tags.get("ids"), &Value::from("subnet-a,subnet-b"));
    assert_eq!(tags.get("legacy"), &Value::from("vpc-1"));
    assert_eq!(tags.get("key"), &Value::from("subnet-a"));
    assert_eq!(tags.get("all"), &Value::from("vpc-0,vpc-1"));
    let bad = Address::parse("aws_route_table.bad").unwrap();
    let err = stack.evaluate_instance(&bad, &values).unwrap_err();
    assert!(
        err.summary
            .contains("index 5 is out of range for a list of 2 elements"),
        "{err:?}"
    );
}

/// `walk_data_sources` (what the data-source read before planning walks): every data block
/// and what it reads, in order, and nothing else.
#[test]
fn walk_data_sources_visits_data_blocks_and_what_they_read() {
    let main = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "unread" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/24"
}
data "aws_vpc" "found" {
  id = aws_vpc.main.id
}
module "m" {
  source = "./m"
  vpc    = data.aws_vpc.found.id
}
"#;
    let module = r#"
variable "vpc" {
  type = string
}
data "aws_subnets" "in_vpc" {
  filter {
    name   = "vpc-id"
    values = [var.vpc]
  }
}
resource "aws_route_table" "unread" {
  vpc_id = var.vpc
}
"#;
    let mut i = input(&[("main.tf", main)]);
    i.modules
        .insert("m".to_string(), vec![file("m/main.tf", module)]);
    let stack = load_ok(&i);
    let mut seen = Vec::new();
    let diags = stack.walk_data_sources(&mut |inst| {
        seen.push(inst.address.to_string());
        let mut m = inst.config.as_map().cloned().unwrap_or_default();
        m.insert(
            "id".into(),
            Value::string(format!("id-of-{}", inst.address)),
        );
        Value::Map(m)
    });
    assert_eq!(render(&diags), "");
    assert_eq!(
        seen,
        [
            "aws_vpc.main",
            "data.aws_vpc.found",
            "module.m.data.aws_subnets.in_vpc"
        ]
    );

    // no data block: nothing is evaluated
    let stack = load_ok(&input(&[(
        "main.tf",
        "resource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n",
    )]));
    let mut visited = 0;
    assert!(stack
        .walk_data_sources(&mut |_| {
            visited += 1;
            Value::Unknown
        })
        .is_empty());
    assert_eq!(visited, 0);
}

/// A block large enough to be evaluated on several threads, in more than one batch, is
/// visited in key order, with each instance's diagnostics in that order too, the file
/// functions readable on every thread, and preconditions and postconditions checked per
/// instance as on one thread.
#[test]
fn a_large_block_is_visited_and_reported_in_key_order() {
    let main = r#"
resource "aws_subnet" "s" {
  count      = 1300
  vpc_id     = "vpc-1"
  # 10.0.0.0/16 has 256 /24s: instances 256.. fail
  cidr_block = cidrsubnet("10.0.0.0/16", 8, count.index)
  tags       = { Name = "s${count.index}", Note = trimspace(file("note.txt")) }

  lifecycle {
    precondition {
      condition     = count.index != 7
      error_message = "not seven"
    }
    postcondition {
      condition     = self.id != "id-of-aws_subnet.s[9]"
      error_message = "not nine"
    }
  }
}
"#;
    let mut input = input(&[("main.tf", main)]);
    let mut files = infra_lang::Files::new();
    files.insert("note.txt".into(), std::sync::Arc::from(&b"hello\n"[..]));
    input.data_files = std::sync::Arc::new(files);
    let w = walk_with(&input, applied);
    let visited: Vec<String> = w.instances.iter().map(|i| i.address.to_string()).collect();
    let expected: Vec<String> = (0..256)
        .filter(|i| *i != 7)
        .map(|i| format!("aws_subnet.s[{i}]"))
        .collect();
    assert_eq!(visited, expected);
    assert!(w
        .instances
        .iter()
        .all(|i| i.config.get("tags").get("Note").as_str() == Some("hello")));
    let errors: Vec<String> = w
        .diags
        .iter()
        .map(|d| format!("{} {}", d.address.as_deref().unwrap_or(""), d.summary))
        .collect();
    assert_eq!(errors.len(), 2 + 1300 - 256, "{errors:#?}");
    assert!(errors[0].contains("not seven"), "{errors:#?}");
    assert!(errors[1].contains("not nine"), "{errors:#?}");
    for (n, e) in errors[2..].iter().enumerate() {
        assert!(
            e.starts_with(&format!("aws_subnet.s[{}] ", 256 + n)),
            "{n}: {e}"
        );
    }
}

/// Expressions nested nearly as deep as the parser allows (64 levels) evaluate on the
/// evaluation threads of a large block as on the walking thread (with a 128 KiB stack for
/// those threads, this test overflows it).
#[test]
fn deeply_nested_expressions_evaluate_in_a_large_block() {
    let depth = 60;
    let nested = format!("{}count.index{}", "[".repeat(depth), "]".repeat(depth));
    let main = format!(
        r#"
resource "aws_subnet" "s" {{
  count      = 300
  vpc_id     = "vpc-1"
  cidr_block = "10.0.0.0/24"
  tags       = {{ Deep = jsonencode({nested}) }}
}}
"#
    );
    let w = walk(&main);
    assert_eq!(w.instances.len(), 300);
    let last = w.instances[299]
        .config
        .get("tags")
        .get("Deep")
        .as_str()
        .unwrap_or("");
    assert_eq!(
        last,
        format!("{}299{}", "[".repeat(depth), "]".repeat(depth))
    );
}
