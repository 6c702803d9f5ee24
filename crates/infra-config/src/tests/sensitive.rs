//! Sensitive variables mark everything derived from them: locals, templates, functions,
//! module inputs and outputs, resource arguments; outputs that would expose them fail.

use super::*;

const SECRET: &str = "hunter2-s3cret";

const MAIN: &str = r#"
variable "db_password" {
  type      = string
  sensitive = true
  default   = "hunter2-s3cret"
}
locals {
  conn = jsonencode({ user = "app", password = var.db_password })
  tag  = "db-${upper(local.conn)}"
}
module "m" {
  source = "./m"
  input  = local.tag
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags = {
    Name   = "plain"
    Secret = module.m.echo
  }
}
output "conn" {
  value     = local.conn
  sensitive = true
}
output "vpc_tags" {
  value     = aws_vpc.main.tags
  sensitive = true
}
"#;

const MODULE: &str = r#"
variable "input" {
  type = string
}
output "echo" {
  value = "echo-${var.input}"
}
"#;

fn stack_input(main: &str) -> StackInput {
    let mut i = input(&[("main.tf", main)]);
    i.modules
        .insert("m".to_string(), vec![file("m/main.tf", MODULE)]);
    i
}

#[test]
fn marks_flow_through_locals_modules_and_resources() {
    let w = walk_with(&stack_input(MAIN), planned);
    assert_eq!(render(&w.diags), "");
    let vpc = w.get("aws_vpc.main");
    let tags = vpc.config.get("tags");
    assert!(
        !tags.is_marked(),
        "only the derived tag is marked: {tags:?}"
    );
    assert!(tags.get("Secret").is_marked(), "{tags:?}");
    assert!(!tags.get("Name").is_marked());
    assert!(tags
        .get("Secret")
        .as_str()
        .is_some_and(|s| s.contains("HUNTER2-S3CRET")));
    assert_eq!(
        vpc.config.sensitive_mask(),
        serde_json::json!({ "tags": { "Secret": true } })
    );
    assert!(w.output("conn").is_marked());
    assert!(w.output("vpc_tags").is_marked());
    let shown = format!("{} {}", vpc.config, w.output("conn"));
    assert!(
        !shown.contains(SECRET) && !shown.contains("HUNTER2"),
        "{shown}"
    );
}

#[test]
fn an_output_derived_from_a_sensitive_value_must_be_marked() {
    let main = MAIN.replace(
        "  value     = local.conn\n  sensitive = true",
        "  value = local.conn",
    );
    let w = walk_with(&stack_input(&main), planned);
    let shown = render(&w.diags);
    assert!(
        shown.contains("output \"conn\" refers to sensitive values"),
        "{shown}"
    );
    assert!(!shown.contains(SECRET), "{shown}");
    // nonsensitive() is the explicit way out
    let main = MAIN.replace(
        "  value     = local.conn\n  sensitive = true",
        "  value = nonsensitive(local.conn)",
    );
    let w = walk_with(&stack_input(&main), planned);
    assert_eq!(render(&w.diags), "");
    assert!(!w.output("conn").has_marks());
}

#[test]
fn errors_about_sensitive_values_do_not_show_them() {
    let main = r#"
variable "pw" {
  type      = number
  sensitive = true
  default   = "hunter2-s3cret"
}
"#;
    let (_, diags) = crate::load(&input(&[("main.tf", main)]));
    let shown = render(&diags);
    assert!(
        shown.contains("invalid value for variable \"pw\""),
        "{shown}"
    );
    assert!(!shown.contains(SECRET), "{shown}");

    let main = r#"
variable "pw" {
  sensitive = true
  default   = "hunter2-s3cret"
}
resource "aws_vpc" "main" {
  count      = length(var.pw)
  cidr_block = cidrsubnet(var.pw, 8, 1)
}
"#;
    let w = walk_with(&input(&[("main.tf", main)]), planned);
    let shown = render(&w.diags);
    assert!(
        shown.contains("`count` cannot use sensitive values"),
        "{shown}"
    );
    let main = main.replace("  count      = length(var.pw)\n", "");
    let w = walk_with(&input(&[("main.tf", &main)]), planned);
    let shown = render(&w.diags);
    assert!(shown.contains("cidrsubnet"), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");

    let main = r#"
variable "pw" {
  sensitive = true
  default   = "hunter2-s3cret"
  validation {
    condition     = length(var.pw) < 5
    error_message = "too long: ${var.pw}"
  }
}
"#;
    let (_, diags) = crate::load(&input(&[("main.tf", main)]));
    let shown = render(&diags);
    assert!(
        shown.contains("invalid value for variable \"pw\""),
        "{shown}"
    );
    assert!(!shown.contains(SECRET), "{shown}");
}

/// `Stack::may_mark_values` lets the CLI skip a whole walk of the stack; it must never say
/// "no" for a stack whose walk marks a configuration.
#[test]
fn may_mark_values_is_never_wrong_when_it_says_no() {
    let any_marked = |input: &StackInput| {
        let mut marked = false;
        let stack = load_ok(input);
        let _ = stack.walk(&mut |inst| {
            marked |= inst.config.has_marks();
            planned(inst)
        });
        (stack.may_mark_values(), marked)
    };
    let plain = r#"
variable "name" {
  default = "x"
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags       = { Name = var.name }
}
"#;
    assert_eq!(any_marked(&input(&[("main.tf", plain)])), (false, false));
    // each origin of a mark: a sensitive variable (and a module's output of it), a call
    let origins = [
        stack_input(MAIN),
        input(&[(
            "main.tf",
            r#"
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags       = { Name = sensitive("x") }
}
"#,
        )]),
    ];
    for i in &origins {
        assert_eq!(any_marked(i), (true, true));
    }
    // a module whose output is declared sensitive marks the caller's value
    let mut i = input(&[(
        "main.tf",
        r#"
module "m" {
  source = "./m"
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags       = { Name = module.m.out }
}
"#,
    )]);
    i.modules.insert(
        "m".to_string(),
        vec![file(
            "m/main.tf",
            "output \"out\" {\n  value     = \"x\"\n  sensitive = true\n}\n",
        )],
    );
    assert_eq!(any_marked(&i), (true, true));
}
