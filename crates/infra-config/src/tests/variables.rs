use infra_model::Value;

use super::*;

const VARS: &str = r#"
variable "a" {
  default = "default"
}
variable "b" {
  default = "default"
}
variable "c" {
  default = "default"
}
variable "d" {
  default = "default"
}
variable "e" {
  default = "default"
}
variable "f" {
  default = "default"
}
"#;

/// Each source sets one more variable than the next-higher one, so each variable shows
/// the highest source that sets it.
#[test]
fn precedence() {
    let mut i = input(&[("vars.tf", VARS)]);
    i.env_vars = vec![
        ("b".into(), "env".into()),
        ("c".into(), "env".into()),
        ("d".into(), "env".into()),
        ("e".into(), "env".into()),
        ("f".into(), "env".into()),
    ];
    i.tfvars = vec![
        file(
            "terraform.tfvars",
            "c = \"tfvars\"\nd = \"tfvars\"\ne = \"tfvars\"\nf = \"tfvars\"\n",
        ),
        file(
            "x.auto.tfvars",
            "d = \"auto\"\ne = \"auto\"\nf = \"auto\"\n",
        ),
        file("prod.tfvars", "e = \"var-file\"\nf = \"var-file\"\n"),
    ];
    i.cli_vars = vec![("f".into(), "first".into()), ("f".into(), "cli".into())];
    let stack = load_ok(&i);
    let got: Vec<String> = stack
        .variables()
        .values()
        .map(|v| v.as_str().unwrap_or("?").to_string())
        .collect();
    assert_eq!(got, ["default", "env", "tfvars", "auto", "var-file", "cli"]);
}

#[test]
fn types_and_raw_strings() {
    let mut i = input(&[(
        "vars.tf",
        r#"
variable "count" {
  type = number
}
variable "azs" {
  type = list(string)
}
variable "name" {
  type = string
}
variable "tags" {
  type    = map(string)
  default = { a = 1 }
}
variable "cfg" {
  type = object({ size = number, name = optional(string) })
  default = { size = "3" }
}
"#,
    )]);
    i.cli_vars = vec![
        ("count".into(), "3".into()),
        ("azs".into(), "[\"a\", \"b\"]".into()),
        ("name".into(), "[not parsed]".into()),
    ];
    let stack = load_ok(&i);
    let v = stack.variables();
    assert_eq!(v["count"], Value::Number(3.0));
    assert_eq!(
        v["azs"],
        Value::List(vec![Value::from("a"), Value::from("b")])
    );
    assert_eq!(v["name"], Value::from("[not parsed]"));
    assert_eq!(v["tags"], map(&[("a", Value::from("1"))]));
    assert_eq!(v["cfg"].get("size"), &Value::Number(3.0));
}

#[test]
fn wrong_types_and_undeclared() {
    let mut i = input(&[(
        "vars.tf",
        r#"variable "n" {
  type = number
}
variable "region" {
  default = "x"
}
"#,
    )]);
    i.tfvars = vec![file("terraform.tfvars", "n = \"many\"\nregoin = \"eu\"\n")];
    i.cli_vars = vec![("nope".into(), "1".into())];
    i.env_vars = vec![("other".into(), "1".into())];
    let (stack, diags) = load(&i);
    assert!(stack.is_none());
    let r = render(&diags);
    assert!(
        r.contains("warning: TF_VAR_other is set but the stack declares no variable \"other\""),
        "{r}"
    );
    assert!(r.contains("terraform.tfvars:2:1: error: value for undeclared variable \"regoin\" -- did you mean `region`?"), "{r}");
    assert!(
        r.contains("error: --var sets undeclared variable \"nope\""),
        "{r}"
    );
    assert!(
        r.contains(
            "terraform.tfvars:1:1: error: invalid value for variable \"n\" from terraform.tfvars:"
        ),
        "{r}"
    );
}

#[test]
fn missing_value_says_how_to_set_it() {
    check_errors(
        &[("vars.tf", "variable \"db_password\" {\n  sensitive = true\n}\n")],
        "vars.tf:1:1: error: variable \"db_password\" has no value -- set it with `--var db_password=...`, in a .tfvars file (`db_password = ...`), or with the TF_VAR_db_password environment variable; or give the variable a default",
    );
}

#[test]
fn validation_rules() {
    let main = r#"
variable "cidr" {
  type = string
  validation {
    condition     = length(split("/", var.cidr)) == 2 && split("/", var.cidr)[1] == "16"
    error_message = "the VPC CIDR must be a /16"
  }
}
"#;
    let mut ok = input(&[("main.tf", main)]);
    ok.cli_vars = vec![("cidr".into(), "10.0.0.0/16".into())];
    assert_eq!(load_ok(&ok).variables()["cidr"], Value::from("10.0.0.0/16"));
    let mut bad = input(&[("main.tf", main)]);
    bad.tfvars = vec![file("terraform.tfvars", "cidr = \"10.0.0.0/24\"\n")];
    check_errors_input(&bad, "terraform.tfvars:1:1: error: invalid value for variable \"cidr\" from terraform.tfvars -- the VPC CIDR must be a /16");
}

#[test]
fn nullable_and_sensitive() {
    let main = r#"
variable "pw" {
  sensitive = true
  default   = "hunter2"
}
variable "opt" {
  default = null
}
variable "strict" {
  nullable = false
  default  = null
}
output "pw" {
  value = var.pw
}
"#;
    check_errors(
        &[("main.tf", main)],
        r#"
main.tf:11:14: error: variable "strict" must not be null -- it is declared `nullable = false` without a default, but its default sets null; set it with `--var strict=...`, in a .tfvars file (`strict = ...`), or with the TF_VAR_strict environment variable; or give the variable a default
main.tf:13:1: error: output "pw" refers to the sensitive variable `var.pw` -- add `sensitive = true` to the output block
"#,
    );
    let fixed = main
        .replace("value = var.pw", "value     = var.pw\n  sensitive = true")
        .replace(
            "nullable = false\n  default  = null",
            "nullable = false\n  default  = \"x\"",
        );
    let stack = load_ok(&input(&[("main.tf", &fixed)]));
    assert!(stack.is_sensitive_variable("pw"));
    assert!(!stack.is_sensitive_variable("opt"));
    assert_eq!(stack.variables()["opt"], Value::Null);
    let (eval, _) = stack.walk(&mut planned);
    assert!(eval.outputs["pw"].sensitive);
    assert_eq!(eval.outputs["pw"].value, Value::from("hunter2").mark());
}

const UNSET: &str = r#"
variable "env" {
  type = string
  validation {
    condition     = contains(["dev", "prod"], var.env)
    error_message = "env is dev or prod"
  }
}
variable "sizes" {
  type = object({ min = number, max = number })
}
variable "azs" {
  type = list(string)
}
resource "aws_vpc" "v" {
  cidr_block = cidrsubnet("10.0.0.0/8", 8, var.sizes.min)
  tags       = { Name = "${var.env}-vpc", Zone = var.azs[0] }
}
resource "aws_subnet" "s" {
  count      = length(var.azs)
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.1.0.0/24"
}
"#;

/// `validate`: variables given no value are unknowns of their declared type (object
/// attributes resolve); what is given is still checked; without the flag they are errors.
#[test]
fn unset_variables_are_unknown_for_validate() {
    let mut i = input(&[("main.tf", UNSET)]);
    let (stack, diags) = load(&i);
    assert!(stack.is_none());
    assert_eq!(
        diags
            .iter()
            .filter(|d| d.summary.contains("has no value"))
            .count(),
        3,
        "{}",
        render(&diags)
    );

    i.unset_variables_unknown = true;
    let stack = load_ok(&i);
    assert_eq!(stack.variables()["env"], Value::Unknown);
    assert_eq!(
        stack.variables()["sizes"],
        Value::map([("max", Value::Unknown), ("min", Value::Unknown)])
    );
    let (_, diags) = stack.walk(&mut planned);
    let errors: Vec<_> = diags
        .iter()
        .filter(|d| d.is_error() && !d.summary.contains("cannot be determined until apply"))
        .collect();
    assert!(errors.is_empty(), "{}", render(&diags));

    // a given value is still converted and validated
    i.cli_vars = vec![("env".into(), "qa".into())];
    let (_, diags) = load(&i);
    assert!(
        render(&diags).contains("env is dev or prod"),
        "{}",
        render(&diags)
    );
    i.cli_vars = vec![("azs".into(), "5".into())];
    let (_, diags) = load(&i);
    assert!(
        render(&diags).contains("invalid value for variable \"azs\""),
        "{}",
        render(&diags)
    );

    // bad references and type errors are still reported with their location
    let with = |extra: &str| {
        let mut i = input(&[("main.tf", &format!("{UNSET}\n{extra}"))]);
        i.unset_variables_unknown = true;
        i
    };
    let (_, diags) = load(&with(
        "resource \"aws_vpc\" \"w\" {\n  cidr_block = \"10.2.0.0/16\"\n  tags = { Name = var.nope }\n}\n",
    ));
    let text = render(&diags);
    assert!(text.contains("main.tf:") && text.contains("nope"), "{text}");
    let stack = load_ok(&with(
        "resource \"aws_vpc\" \"w\" {\n  cidr_block = \"10.2.0.0/16\"\n  enable_dns_support = \"maybe\"\n  tags = { Name = var.env }\n}\n",
    ));
    let (_, diags) = stack.walk(&mut planned);
    let text = render(&diags);
    assert!(
        text.contains("main.tf:") && text.contains("enable_dns_support"),
        "{text}"
    );
}

/// `optional(T, default)` defaults are filled in for a variable's value, inside maps and
/// lists of objects too, from any source (a default, a tfvars file, a module call), as
/// terraform-aws-eks's `addons` and node group maps rely on.
#[test]
fn optional_attribute_defaults_are_filled_in() {
    let main = r#"
variable "addons" {
  type = map(object({
    name           = optional(string)
    before_compute = optional(bool, false)
    tags           = optional(map(string), {})
    timeouts = optional(object({
      create = optional(string, "20m")
    }), {})
  }))
  default = null
}
variable "encryption" {
  type = object({
    resources = optional(list(string), ["secrets"])
  })
  default = {}
}
output "before" {
  value = { for k, v in var.addons : k => v if v.before_compute }
}
output "timeouts" {
  value = { for k, v in var.addons : k => v.timeouts.create }
}
output "resources" {
  value = var.encryption.resources
}
"#;
    let mut i = input(&[("main.tf", main)]);
    i.tfvars = vec![file(
        "terraform.tfvars",
        "addons = {\n  coredns = {}\n  vpc-cni = { before_compute = true }\n}\n",
    )];
    let stack = load_ok(&i);
    let (eval, diags) = stack.walk(&mut planned);
    assert_eq!(render(&diags), "");
    assert_eq!(
        eval.outputs["before"].value.to_json(),
        serde_json::json!({"vpc-cni": {"name": null, "before_compute": true, "tags": {}, "timeouts": {"create": "20m"}}})
    );
    assert_eq!(
        eval.outputs["timeouts"].value.to_json(),
        serde_json::json!({"coredns": "20m", "vpc-cni": "20m"})
    );
    assert_eq!(
        eval.outputs["resources"].value.to_json(),
        serde_json::json!(["secrets"])
    );
}
