//! `infra validate` checks a stack without variable values, as Terraform's `validate`
//! does: a variable given no value is an unknown of its declared type (issue 8, item 1).
//! What is wrong is still reported, with file:line:col.

use crate::common::Workspace;

const STACK: &str = r#"
variable "env" {
  type = string
  validation {
    condition     = contains(["dev", "prod"], var.env)
    error_message = "env is dev or prod"
  }
}

variable "network" {
  type = object({ cidr = string, azs = list(string) })
}

resource "aws_vpc" "main" {
  cidr_block = var.network.cidr
  tags       = { Name = "${var.env}-vpc" }
}

resource "aws_subnet" "private" {
  count             = length(var.network.azs)
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(var.network.cidr, 8, count.index)
  availability_zone = var.network.azs[count.index]
}
"#;

#[test]
fn validate_passes_without_variable_values_and_still_reports_errors() {
    let ws = Workspace::from_files(&[("main.tf", STACK)], false);
    let r = ws.run(&["validate"]);
    assert_eq!(r.code, 0, "validate needs no variable values:\n{}", r.all());
    assert!(r.stdout.contains("is valid"), "{}", r.all());
    assert!(!r.all().contains("has no value"), "{}", r.all());

    // a value that is given is still checked against its type and rules
    let r = ws.run(&["validate", "--var", "env=qa"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("env is dev or prod"), "{}", r.all());

    // plan still needs the values
    let r = ws.run(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("variable \"env\" has no value"),
        "{}",
        r.all()
    );

    // a bad reference and a type error, each with its file:line:col
    ws.write(
        "bad.tf",
        "resource \"aws_vpc\" \"other\" {\n  cidr_block         = var.network.cidr\n  enable_dns_support = \"maybe\"\n  tags               = { Name = var.nmae }\n}\n",
    );
    let r = ws.run(&["validate"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("bad.tf:4:"), "{}", r.all());
    assert!(r.stderr.contains("nmae"), "{}", r.all());
    std::fs::remove_file(ws.stack_dir().join("bad.tf")).unwrap();
    ws.write(
        "bad.tf",
        "resource \"aws_vpc\" \"other\" {\n  cidr_block         = var.network.cidr\n  enable_dns_support = \"maybe\"\n}\n",
    );
    let r = ws.run(&["validate"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("bad.tf:3:") && r.stderr.contains("enable_dns_support"),
        "{}",
        r.all()
    );
}
