//! Language features real modules use (issue 12), end to end: blocks of unsupported types
//! switched off by `count`, `validate` listing every unsupported construct at once, and
//! `moved` blocks renaming state rows without replacing anything (checked with an
//! independent EC2 client).

use crate::common::{changes, rt, tagged_objects, Workspace};

const SWITCHED_OFF: &str = r#"
variable "enable_vpn_gateway" {
  type    = bool
  default = false
}

resource "aws_vpc" "this" {
  cidr_block = "10.61.0.0/16"
}

resource "aws_ec2_transit_gateway" "this" {
  count  = var.enable_vpn_gateway ? 1 : 0
  vpc_id = aws_vpc.this.id
}

resource "aws_memorydb_subnet_group" "database" {
  for_each   = {}
  name       = each.key
  subnet_ids = []
}

output "vgw_id" {
  value = try(aws_ec2_transit_gateway.this[0].id, "")
}

output "vgw_ids" {
  value = aws_ec2_transit_gateway.this[*].id
}

output "db_groups" {
  value = length(aws_memorydb_subnet_group.database)
}
"#;

#[test]
fn unsupported_types_with_zero_instances_plan_and_apply_with_a_warning() {
    let ws = Workspace::from_files(&[("main.tf", SWITCHED_OFF)], true);
    let r = ws.apply();
    for want in [
        "main.tf:11:1",
        "unsupported resource type `aws_ec2_transit_gateway` ignored",
        "main.tf:16:1",
        "unsupported resource type `aws_memorydb_subnet_group` ignored",
        "Apply complete! Resources: 1 added",
        "vgw_id    = \"\"",
        "db_groups = 0",
    ] {
        assert!(r.all().contains(want), "missing {want:?}:\n{}", r.all());
    }
    let live = rt().block_on(tagged_objects(&ws.stack_name, false));
    assert_eq!(
        live.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(),
        ["aws_vpc.this"]
    );

    // switched on, it is an error naming the type and the block, and nothing changes
    let r = ws.run(&["plan", "--var", "enable_vpn_gateway=true"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("main.tf:11:1")
            && r.stderr.contains("unsupported resource type `aws_ec2_transit_gateway`: `aws_ec2_transit_gateway.this` has 1 instance(s)"),
        "{}",
        r.all()
    );
    assert_eq!(rt().block_on(tagged_objects(&ws.stack_name, false)), live);
    let r = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn validate_lists_every_unsupported_construct_in_one_run() {
    let ws = Workspace::from_files(
        &[
            (
                "main.tf",
                "resource \"aws_vpc\" \"a\" {\n  cidr_block = cidrsubnett(\"10.0.0.0/8\", 8, 0)\n}\nresource \"aws_dx_gateway\" \"x\" {\n  bgp_asn = 65000\n}\n",
            ),
            (
                "net.tf",
                "locals {\n  name = upperr(\"a\")\n  zone = local.nope\n}\nresource \"aws_subnett\" \"s\" {\n  count = 0\n}\n",
            ),
            (
                "out.tf",
                "output \"o\" {\n  value = templatefilee(\"x.tpl\", {})\n}\nresourc \"aws_subnet\" \"s\" {}\n",
            ),
        ],
        false,
    );
    let r = ws.run(&["validate"]);
    assert_eq!(r.code, 1, "{}", r.all());
    for want in [
        "main.tf:2:16",
        "unknown function \"cidrsubnett\"",
        "main.tf:4:1",
        "unknown resource type `aws_dx_gateway`",
        "net.tf:2:10",
        "unknown function \"upperr\"",
        "net.tf:3:10",
        "local.nope",
        "net.tf:5:1",
        "unknown resource type `aws_subnett`",
        "did you mean `aws_subnet`?",
        "out.tf:2:11",
        "unknown function \"templatefilee\"",
        "out.tf:4:1",
        "unknown block type `resourc`",
        "7 errors found",
    ] {
        assert!(r.stderr.contains(want), "missing {want:?}:\n{}", r.all());
    }
}

const BEFORE_MOVE: &str = r#"
resource "aws_vpc" "a" {
  cidr_block = "10.62.0.0/16"
}

resource "aws_subnet" "s" {
  count      = 2
  vpc_id     = aws_vpc.a.id
  cidr_block = cidrsubnet("10.62.0.0/16", 8, count.index)
}
"#;

const AFTER_MOVE: &str = r#"
resource "aws_vpc" "b" {
  cidr_block = "10.62.0.0/16"
}

resource "aws_subnet" "private" {
  for_each   = { a = 0, b = 1 }
  vpc_id     = aws_vpc.b.id
  cidr_block = cidrsubnet("10.62.0.0/16", 8, each.value)
}

moved {
  from = aws_vpc.a
  to   = aws_vpc.b
}

moved {
  from = aws_subnet.s[0]
  to   = aws_subnet.private["a"]
}

moved {
  from = aws_subnet.s[1]
  to   = aws_subnet.private["b"]
}
"#;

#[test]
fn moved_blocks_rename_state_rows_without_replacing_anything() {
    let ws = Workspace::from_files(&[("main.tf", BEFORE_MOVE)], true);
    ws.apply();
    let live = rt().block_on(tagged_objects(&ws.stack_name, false));
    assert_eq!(live.len(), 3, "{live:?}");
    let ids = |l: &[(String, String)]| {
        let mut v: Vec<String> = l.iter().map(|(_, id)| id.clone()).collect();
        v.sort();
        v
    };

    ws.write("main.tf", AFTER_MOVE);
    let plan = ws.plan_json(&[]);
    assert!(
        changes(&plan).is_empty(),
        "no create/destroy: {:?}",
        changes(&plan)
    );
    let prev: Vec<(String, String)> = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["previous_address"].as_str().unwrap_or("").to_string(),
                c["address"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        prev,
        [
            (
                "aws_subnet.s[0]".to_string(),
                "aws_subnet.private[\"a\"]".to_string()
            ),
            (
                "aws_subnet.s[1]".to_string(),
                "aws_subnet.private[\"b\"]".to_string()
            ),
            ("aws_vpc.a".to_string(), "aws_vpc.b".to_string()),
        ]
    );
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("# aws_vpc.a has moved to aws_vpc.b"),
        "{}",
        r.all()
    );
    assert!(
        r.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy."),
        "{}",
        r.all()
    );

    let r = ws.apply();
    assert!(
        r.stdout.contains("0 added, 0 changed, 0 destroyed"),
        "{}",
        r.all()
    );
    let after = rt().block_on(tagged_objects(&ws.stack_name, false));
    assert_eq!(ids(&after), ids(&live), "the same objects, none replaced");
    let r = ws.run(&["state", "list"]);
    assert_eq!(r.code, 0, "{}", r.all());
    for a in [
        "aws_vpc.b",
        "aws_subnet.private[\"a\"]",
        "aws_subnet.private[\"b\"]",
    ] {
        assert!(r.stdout.contains(a), "missing {a}:\n{}", r.all());
    }
    assert!(!r.stdout.contains("aws_vpc.a"), "{}", r.all());
    // the apply's history entry records the moves
    let r = ws.run(&["state", "history", "--json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("aws_vpc.a -> aws_vpc.b"), "{}", r.all());

    // the moved blocks stay: their `from` is no longer in the state, so nothing happens;
    // a chain (b -> c) renames again
    let r = ws.run(&["plan"]);
    assert!(r.stdout.contains("No changes."), "{}", r.all());
    ws.edit(
        "main.tf",
        "resource \"aws_vpc\" \"b\"",
        "resource \"aws_vpc\" \"c\"",
    );
    ws.edit(
        "main.tf",
        "vpc_id     = aws_vpc.b.id",
        "vpc_id     = aws_vpc.c.id",
    );
    ws.write(
        "chain.tf",
        "moved {\n  from = aws_vpc.b\n  to   = aws_vpc.c\n}\n",
    );
    let r = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("# aws_vpc.b has moved to aws_vpc.c"),
        "{}",
        r.all()
    );
    assert_eq!(
        ids(&rt().block_on(tagged_objects(&ws.stack_name, false))),
        ids(&live)
    );

    // a move onto an address the state already has is an error naming both blocks
    ws.write(
        "clash.tf",
        "resource \"aws_vpc\" \"d\" {\n  cidr_block = \"10.63.0.0/16\"\n}\n",
    );
    ws.apply();
    ws.write(
        "clash.tf",
        "resource \"aws_vpc\" \"d\" {\n  cidr_block = \"10.63.0.0/16\"\n}\nmoved {\n  from = aws_vpc.c\n  to   = aws_vpc.d\n}\n",
    );
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("cannot move `aws_vpc.c` to `aws_vpc.d`")
            && r.stderr.contains("clash.tf:4:1")
            && r.stderr.contains("note: the block of `aws_vpc.d`"),
        "{}",
        r.all()
    );
    std::fs::remove_file(ws.stack_dir().join("clash.tf")).unwrap();
    let r = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(rt()
        .block_on(tagged_objects(&ws.stack_name, false))
        .is_empty());
}

const CONDITIONS: &str = r#"
variable "cidr" {
  type    = string
  default = "10.64.0.0/16"
}

variable "id_prefix" {
  type    = string
  default = "vpc-"
}

resource "aws_vpc" "main" {
  cidr_block = var.cidr
  lifecycle {
    precondition {
      condition     = endswith(var.cidr, "/16")
      error_message = "the VPC needs a /16, got ${var.cidr}"
    }
    postcondition {
      condition     = startswith(self.id, var.id_prefix)
      error_message = "the VPC id ${self.id} does not start with ${var.id_prefix}"
    }
  }
}

output "vpc_id" {
  value = aws_vpc.main.id
  precondition {
    condition     = var.cidr != "10.0.0.0/16"
    error_message = "10.0.0.0/16 is taken"
  }
}

check "dns" {
  assert {
    condition     = aws_vpc.main.enable_dns_hostnames
    error_message = "DNS hostnames are off in ${aws_vpc.main.id}"
  }
}
"#;

#[test]
fn preconditions_postconditions_and_checks_at_plan_and_after_apply() {
    let ws = Workspace::from_files(&[("main.tf", CONDITIONS)], true);
    // a precondition known at plan fails the plan, naming the address, block and message
    let r = ws.run(&["plan", "--var", "cidr=10.64.0.0/24"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains(
            "precondition failed for aws_vpc.main: the VPC needs a /16, got 10.64.0.0/24"
        ) && r.stderr.contains("main.tf:15:5"),
        "{}",
        r.all()
    );
    let r = ws.run(&["plan", "--var", "cidr=10.0.0.0/16"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr
            .contains("precondition failed for output \"vpc_id\": 10.0.0.0/16 is taken"),
        "{}",
        r.all()
    );

    // the check is a warning after apply (the VPC's value is known then), never an error
    let r = ws.apply();
    assert!(
        r.all()
            .contains("check \"dns\" failed: DNS hostnames are off in vpc-"),
        "{}",
        r.all()
    );
    let live = rt().block_on(tagged_objects(&ws.stack_name, false));
    assert_eq!(live.len(), 1, "{live:?}");

    // a postcondition known at plan (the VPC's id is) fails the plan
    let r = ws.run(&["plan", "--var", "id_prefix=subnet-"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr
            .contains("postcondition failed for aws_vpc.main: the VPC id vpc-")
            && r.stderr.contains("does not start with subnet-")
            && r.stderr.contains("main.tf:19:5"),
        "{}",
        r.all()
    );
    // one known only once the object exists fails the apply after the create; the object
    // is recorded in the state all the same
    ws.write(
        "subnet.tf",
        r#"resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet(var.cidr, 8, 0)
  lifecycle {
    postcondition {
      condition     = startswith(self.id, "vpc-")
      error_message = "wrong prefix: ${self.id}"
    }
  }
}
"#,
    );
    let r = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stdout.contains("1 added") || r.all().contains("aws_subnet.a: Creation complete"),
        "{}",
        r.all()
    );
    assert!(
        r.stderr
            .contains("postcondition failed for aws_subnet.a: wrong prefix: subnet-")
            && r.stderr.contains("subnet.tf:5:5"),
        "{}",
        r.all()
    );
    let r = ws.run(&["state", "list"]);
    assert!(r.stdout.contains("aws_subnet.a"), "{}", r.all());
    // a destroy checks no conditions
    let r = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(rt()
        .block_on(tagged_objects(&ws.stack_name, false))
        .is_empty());
}

#[test]
fn templatefile_and_file_read_the_stack_and_module_directories() {
    let ws = Workspace::from_files(
        &[(
            "main.tf",
            r#"
module "net" {
  source = "./modules/net"
  owners = ["ops", "dev"]
}

output "note" {
  value = trimspace(file("${path.root}/notes/note.txt"))
}
"#,
        )],
        true,
    );
    let dir = ws.stack_dir().join("modules/net/templates");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        ws.stack_dir().join("modules/net/main.tf"),
        r#"
variable "owners" {
  type = list(string)
}

resource "aws_vpc" "this" {
  cidr_block = "10.65.0.0/16"
  tags = {
    Owners = templatefile("${path.module}/templates/owners.tpl", { owners = var.owners })
    Exists = fileexists("${path.module}/templates/none.tpl") ? "yes" : "no"
  }
}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("owners.tpl"),
        "%{ for i, o in owners ~}\n${i > 0 ? \",\" : \"\"}${upper(o)}\n%{~ endfor }",
    )
    .unwrap();
    std::fs::create_dir_all(ws.stack_dir().join("notes")).unwrap();
    std::fs::write(ws.stack_dir().join("notes/note.txt"), "hello\n").unwrap();
    let r = ws.apply();
    assert!(r.stdout.contains("note = \"hello\""), "{}", r.all());
    let live = rt().block_on(tagged_objects(&ws.stack_name, false));
    assert_eq!(live.len(), 1, "{live:?}");
    let tags = rt().block_on(async {
        crate::common::ec2()
            .await
            .describe_vpcs()
            .vpc_ids(&live[0].1)
            .send()
            .await
            .unwrap()
            .vpcs()[0]
            .tags()
            .iter()
            .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
            .collect::<std::collections::BTreeMap<_, _>>()
    });
    assert_eq!(
        tags.get("Owners").map(String::as_str),
        Some("OPS,DEV"),
        "{tags:?}"
    );
    assert_eq!(
        tags.get("Exists").map(String::as_str),
        Some("no"),
        "{tags:?}"
    );

    // a missing file is an error at the call
    ws.edit("main.tf", "notes/note.txt", "notes/gone.txt");
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("main.tf:8:21") && r.stderr.contains("no file \"./notes/gone.txt\""),
        "{}",
        r.all()
    );
    ws.edit("main.tf", "notes/gone.txt", "notes/note.txt");
    let r = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
}
