//! `precondition` / `postcondition` in lifecycle and outputs, and `check` blocks.

use super::*;

const STACK: &str = r#"
variable "cidr" {
  default = "10.0.0.0/16"
}
resource "aws_vpc" "main" {
  cidr_block = var.cidr
  lifecycle {
    precondition {
      condition     = endswith(var.cidr, "/16")
      error_message = "the VPC needs a /16, not ${var.cidr}"
    }
    postcondition {
      condition     = self.cidr_block == var.cidr
      error_message = "the VPC came back with ${self.cidr_block}"
    }
    postcondition {
      condition     = self.id != "id-of-aws_vpc.main"
      error_message = "known only after apply"
    }
  }
}
data "aws_region" "current" {
  lifecycle {
    postcondition {
      condition     = self.id != "mars-1"
      error_message = "unexpected region"
    }
  }
}
output "cidr" {
  value = aws_vpc.main.cidr_block
  precondition {
    condition     = var.cidr != "10.0.0.0/8"
    error_message = "too big"
  }
}
check "vpc" {
  assert {
    condition     = aws_vpc.main.cidr_block == "10.0.0.0/16"
    error_message = "the VPC is not the usual one"
  }
}
"#;

/// Load and walk with `visit`, with `--var cidr=...` when given; compare diagnostics.
fn check(cidr: Option<&str>, visit: fn(&DesiredInstance) -> Value, expected: &str) {
    let mut i = input(&[("main.tf", STACK)]);
    if let Some(c) = cidr {
        i.cli_vars.push(("cidr".into(), c.into()));
    }
    let w = walk_with(&i, visit);
    assert_eq!(render(&w.diags), expected.trim());
}

#[test]
fn conditions_that_hold_or_are_unknown_say_nothing() {
    check(None, planned, "");
}

#[test]
fn a_failed_precondition_is_an_error_with_the_block_and_message() {
    check(
        Some("10.1.0.0/24"),
        planned,
        r#"
main.tf:8:5: error: precondition failed for aws_vpc.main: the VPC needs a /16, not 10.1.0.0/24 -- the precondition block's condition is false; fix the configuration or what it checks
"#,
    );
    check(
        Some("10.0.0.0/8"),
        planned,
        r#"
main.tf:8:5: error: precondition failed for aws_vpc.main: the VPC needs a /16, not 10.0.0.0/8 -- the precondition block's condition is false; fix the configuration or what it checks
main.tf:32:3: error: precondition failed for output "cidr": too big -- the precondition block's condition is false; fix the configuration or what it checks
"#,
    );
}

#[test]
fn postconditions_see_self_and_fail_once_known() {
    // the apply-like visitor makes the id known: the second postcondition now fails
    check(
        None,
        applied,
        r#"
main.tf:16:5: error: postcondition failed for aws_vpc.main: known only after apply -- the postcondition block's condition is false; fix the configuration or what it checks
"#,
    );
    fn mars(i: &DesiredInstance) -> Value {
        let mut v = planned(i);
        if let Value::Map(m) = &mut v {
            m.insert("id".into(), Value::from("mars-1"));
        }
        v
    }
    check(
        None,
        mars,
        r#"
main.tf:24:5: error: postcondition failed for data.aws_region.current: unexpected region -- the postcondition block's condition is false; fix the configuration or what it checks
"#,
    );
}

#[test]
fn after_apply_postconditions_and_checks_use_the_stored_values() {
    let stack = load_ok(&input(&[("main.tf", STACK)]));
    let values: BTreeMap<infra_model::Address, Value> = [
        (
            infra_model::Address::parse("aws_vpc.main").unwrap(),
            map(&[
                ("id", Value::from("vpc-1")),
                ("cidr_block", Value::from("10.9.0.0/16")),
            ]),
        ),
        (
            infra_model::Address::parse("data.aws_region.current").unwrap(),
            map(&[("id", Value::from("us-east-1"))]),
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        render(&stack.check_after_apply(&values)),
        r#"main.tf:12:5: error: postcondition failed for aws_vpc.main: the VPC came back with 10.9.0.0/16 -- the postcondition block's condition is false; fix the configuration or what it checks
main.tf:38:3: warning: check "vpc" failed: the VPC is not the usual one -- a failed check is a warning: nothing is stopped"#
    );
    // re-evaluating the instance before an update does not check its postconditions
    assert!(stack
        .evaluate_instance(
            &infra_model::Address::parse("aws_vpc.main").unwrap(),
            &values
        )
        .is_ok());
}

#[test]
fn condition_blocks_are_checked_at_load() {
    check_errors(
        &[(
            "main.tf",
            r#"resource "aws_vpc" "a" {
  cidr_block = "10.0.0.0/16"
  tags       = { Name = self.id }
  lifecycle {
    precondition {
      condition = true
    }
    postcondition {
      error_message = "x"
      bogus         = 1
    }
  }
}
check "empty" {
  data "aws_region" "here" {}
}
"#,
        )],
        r#"
main.tf:5:5: error: a precondition block needs an `error_message` -- add `error_message = "..."` saying what is wrong
main.tf:10:7: error: unknown argument `bogus` in a postcondition block -- it takes `condition` and `error_message`
main.tf:8:5: error: a postcondition block needs a `condition` -- add `condition = <bool expression>` and `error_message = "..."`
main.tf:14:1: error: check "empty" has no `assert` block -- add `assert { condition = ...  error_message = "..." }`
main.tf:3:25: error: `self` is only valid in a postcondition (and in provisioners, which infra does not support) -- refer to the resource by its address
"#,
    );
}

#[test]
fn timeouts_blocks_are_evaluated_per_instance_and_bad_durations_are_errors() {
    let w = walk(
        r#"variable "t" {
  default = { create = "1h30m" }
}
resource "aws_nat_gateway" "n" {
  subnet_id     = "subnet-1"
  allocation_id = "eipalloc-1"
  timeouts {
    create = var.t.create
    delete = "20m"
  }
}
"#,
    );
    let t = w.get("aws_nat_gateway.n").lifecycle.timeouts;
    assert_eq!(
        (t.create, t.update, t.delete),
        (Some(5400), None, Some(1200))
    );
    check_errors(
        &[(
            "main.tf",
            r#"resource "aws_vpc" "a" {
  cidr_block = "10.0.0.0/16"
  timeouts {
    create = "ten minutes"
  }
}
"#,
        )],
        r#"
main.tf:4:14: error: invalid duration "ten minutes" for `timeouts.create` -- write a duration such as "30s", "10m" or "1h30m"
"#,
    );
    check_errors(
        &[("main.tf", "resource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.0.0.0/16\"\n  timeouts {\n    updat = \"1m\"\n  }\n}\n")],
        "main.tf:4:5: error: unknown argument `updat` in a timeouts block -- did you mean `update`?",
    );
}

#[test]
fn dynamic_timeouts_blocks_are_accepted_and_evaluated() {
    let w = walk(
        r#"variable "t" {
  default = { create = "1h", update = null, delete = "25m" }
}
variable "none" {
  default = null
}
resource "aws_nat_gateway" "n" {
  subnet_id     = "subnet-1"
  allocation_id = "eipalloc-1"
  dynamic "timeouts" {
    for_each = var.t != null ? [var.t] : []
    content {
      create = timeouts.value.create
      update = timeouts.value.update
      delete = var.t.delete
    }
  }
}
resource "aws_nat_gateway" "m" {
  subnet_id     = "subnet-1"
  allocation_id = "eipalloc-1"
  dynamic "timeouts" {
    for_each = var.none != null ? [var.none] : []
    iterator = t
    content {
      create = t.value.create
    }
  }
}
"#,
    );
    let t = w.get("aws_nat_gateway.n").lifecycle.timeouts;
    assert_eq!(
        (t.create, t.update, t.delete),
        (Some(3600), None, Some(1500))
    );
    let t = w.get("aws_nat_gateway.m").lifecycle.timeouts;
    assert_eq!((t.create, t.update, t.delete), (None, None, None));
    check_errors(
        &[(
            "main.tf",
            "resource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.0.0.0/16\"\n  dynamic \"timeouts\" {\n    for_each = [1]\n    content {\n      creat = \"1m\"\n    }\n  }\n}\n",
        )],
        "main.tf:6:7: error: unknown argument `creat` in a timeouts block -- did you mean `create`?",
    );
    check_errors(
        &[(
            "main.tf",
            "resource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.0.0.0/16\"\n  dynamic \"timeouts\" {\n    for_each = [\"x\"]\n    content {\n      delete = \"soon\"\n    }\n  }\n}\n",
        )],
        r#"main.tf:6:16: error: invalid duration "soon" for `timeouts.delete` -- write a duration such as "30s", "10m" or "1h30m""#,
    );
}

#[test]
fn a_per_resource_region_sends_the_instance_to_that_region() {
    let w = walk(
        r#"provider "aws" {
  region = "eu-west-1"
}
provider "aws" {
  alias  = "west"
  region = "us-west-2"
}
variable "dr" {
  default = "ap-south-1"
}
resource "aws_vpc" "same" {
  cidr_block = "10.0.0.0/16"
  region     = "eu-west-1"
}
resource "aws_vpc" "other" {
  cidr_block = "10.1.0.0/16"
  region     = "us-east-2"
}
resource "aws_vpc" "aliased" {
  provider   = aws.west
  cidr_block = "10.2.0.0/16"
  region     = var.dr
}
resource "aws_vpc" "null" {
  cidr_block = "10.3.0.0/16"
  region     = null
}
data "aws_region" "r" {
  region = "us-east-2"
}
"#,
    );
    // `region` is not an argument of the type: it picks where the instance goes
    assert!(!w
        .get("aws_vpc.same")
        .config
        .as_map()
        .unwrap()
        .contains_key("region"));
    assert_eq!(w.get("aws_vpc.same").provider, "");
    assert_eq!(w.get("aws_vpc.null").provider, "");
    assert_eq!(w.get("aws_vpc.other").provider, "@us-east-2");
    assert_eq!(w.get("aws_vpc.aliased").provider, "west@ap-south-1");
    assert_eq!(w.get("data.aws_region.r").provider, "@us-east-2");
    check_errors(
        &[(
            "main.tf",
            r#"provider "aws" {
  region = "eu-west-1"
}
resource "aws_vpc" "a" {
  cidr_block = "10.0.0.0/16"
  region     = "US West"
}
resource "aws_vpc" "b" {
  cidr_block = "10.0.0.0/16"
  region     = 3
}
"#,
        )],
        r#"main.tf:6:16: error: aws_vpc.a: `region = "US West"` is not an AWS region name -- write a region such as `us-east-1` or `eu-west-1`, or remove `region` to use the provider configuration's
main.tf:10:16: error: aws_vpc.b: `region` must be a string, found number"#,
    );
}

#[test]
fn a_type_whose_schema_takes_region_gets_it_as_an_argument() {
    // the karpenter example reads ECR Public's token in us-east-1 from eu-west-1
    let w = walk(
        r#"provider "aws" {
  region = "eu-west-1"
}
data "aws_ecrpublic_authorization_token" "t" {
  region = "us-east-1"
}
"#,
    );
    assert_eq!(
        w.get("data.aws_ecrpublic_authorization_token.t")
            .config
            .get("region"),
        &Value::string("us-east-1")
    );
}

#[test]
fn a_computed_argument_may_be_written_as_an_expression_that_is_null() {
    // terraform-aws-eks writes `service_ipv6_cidr = var.service_ipv6_cidr` (null)
    let w = walk(
        r#"variable "none" {
  default = null
}
resource "aws_subnet" "a" {
  vpc_id     = "vpc-1"
  cidr_block = "10.0.0.0/24"
  arn        = var.none
}
"#,
    );
    assert!(w.get("aws_subnet.a").config.get("arn").is_null());
    check_errors(
        &[(
            "main.tf",
            "variable \"v\" {\n  default = \"x\"\n}\nresource \"aws_subnet\" \"a\" {\n  vpc_id     = \"vpc-1\"\n  cidr_block = \"10.0.0.0/24\"\n  arn        = var.v\n}\n",
        )],
        "main.tf:7:3: error: `arn` is computed by AWS and cannot be set -- leave `arn` unset (or null); AWS decides it",
    );
}
