use super::*;

#[test]
fn syntax_error() {
    let (stack, diags) = load(&input(&[
        (
            "main.tf",
            "resource \"aws_vpc\" \"main\" {\n  cidr_block = \n}\n",
        ),
        ("other.tf", "locals {\n  x = [1, 2\n}\n"),
    ]));
    assert!(stack.is_none());
    let spans: Vec<String> = diags
        .iter()
        .map(|d| d.span.as_ref().map(|s| s.to_string()).unwrap_or_default())
        .collect();
    assert_eq!(diags.len(), 2, "{}", render(&diags));
    assert!(spans[0].starts_with("main.tf:"), "{spans:?}");
    assert!(spans[1].starts_with("other.tf:"), "{spans:?}");
}

#[test]
fn unknown_blocks_types_and_arguments() {
    check_errors(
        &[(
            "main.tf",
            r#"resourse "aws_vpc" "main" {
}
resource "aws_vcp" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "a" {
  vpc_id     = "vpc-1"
  cidr_blok  = "10.0.0.0/24"
  arn        = "x"
  routes {
  }
}
data "aws_regions" "current" {
}
"#,
        )],
        r#"
main.tf:1:1: error: unknown block type `resourse` -- did you mean `resource`?
main.tf:8:3: error: unknown argument `cidr_blok` in aws_subnet.a -- did you mean `cidr_block`?
main.tf:9:3: error: `arn` is computed by AWS and cannot be set in aws_subnet.a -- remove it; read it as `aws_subnet.a.arn` instead
main.tf:10:3: error: unknown block `routes` in aws_subnet.a -- expected one of: vpc_id, cidr_block, availability_zone, availability_zone_id, map_public_ip_on_launch, ipv6_cidr_block, ipv6_native, assign_ipv6_address_on_creation, enable_dns64, enable_resource_name_dns_a_record_on_launch, enable_resource_name_dns_aaaa_record_on_launch, private_dns_hostname_type_on_launch, outpost_arn, customer_owned_ipv4_pool, map_customer_owned_ip_on_launch, tags
main.tf:3:1: error: unknown resource type `aws_vcp` -- did you mean `aws_vpc`?
main.tf:13:1: error: unknown data source `aws_regions` -- did you mean `aws_region`?
"#,
    );
}

#[test]
fn wrong_types_and_invalid_cidrs_after_evaluation() {
    check_errors(
        &[(
            "main.tf",
            r#"variable "n" {
  default = 33
}
resource "aws_vpc" "main" {
  cidr_block           = "10.0.0.0/${var.n}"
  enable_dns_hostnames = "maybe"
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = "10.0.1.0/16"
  tags       = ["x"]
}
resource "aws_security_group" "db" {
  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8", "10.1.0.1/16"]
  }
}
"#,
        )],
        r#"
main.tf:18:5: error: invalid CIDR block "10.1.0.1/16" in `cidr_blocks`: host bits are set; the network address is 10.1.0.0/16 -- write a network address and prefix length such as 10.0.0.0/16
main.tf:5:3: error: invalid CIDR block "10.0.0.0/33" in `cidr_block`: the prefix length must be at most 32, found 33 -- write a network address and prefix length such as 10.0.0.0/16
main.tf:6:3: error: invalid value for `enable_dns_hostnames`: expected bool, got string "maybe" -- `enable_dns_hostnames` takes a bool
main.tf:10:3: error: invalid CIDR block "10.0.1.0/16" in `cidr_block`: host bits are set; the network address is 10.0.0.0/16 -- write a network address and prefix length such as 10.0.0.0/16
main.tf:11:3: error: invalid value for `tags`: expected map, got list -- `tags` takes a map(string)
"#,
    );
}

#[test]
fn undeclared_references() {
    check_errors(
        &[(
            "main.tf",
            r#"variable "region" {
  default = "eu-west-1"
}
locals {
  name = "x"
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags = {
    a = var.regoin
    b = local.nmae
    c = data.aws_region.current.name
    d = count.index
  }
}
resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.mian.id
  cidr_block = "10.0.0.0/24"
  tags       = { x = aws_vpcc.main.id }
}
"#,
        )],
        r#"
main.tf:17:16: error: reference to undeclared resource `aws_vpc.mian` -- did you mean `aws_vpc.main`?
main.tf:19:22: error: unknown name `aws_vpcc` -- did you mean `aws_vpc`?
main.tf:10:9: error: reference to undeclared input variable `var.regoin` -- did you mean `var.region`?
main.tf:11:9: error: reference to undeclared local value `local.nmae` -- did you mean `local.name`?
main.tf:12:9: error: reference to undeclared data source `data.aws_region.current` -- declare it with `data "aws_region" "current" {}`
main.tf:13:9: error: `count.index` can only be used in a resource or data block that sets `count` -- add `count = ...` to the block, or remove the reference
"#,
    );
}

#[test]
fn duplicates_backend_module_and_structure() {
    check_errors(
        &[
            (
                "main.tf",
                r#"terraform {
  backend "s3" {
    bucket = "b"
  }
}
variable "a" {}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
module "net" {
  source = "./net"
}
"#,
            ),
            (
                "more.tf",
                r#"variable "a" {}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
locals {
  x = 1
}
locals {
  x = 2
}
"#,
            ),
        ],
        r#"
main.tf:2:3: error: `backend` blocks are not supported: infra keeps its own state -- remove the block; the state lives in the SQLite file set by --state (default state/infra.db)
more.tf:1:1: error: duplicate variable "a" -- each name may be declared only once; rename or remove one of them
more.tf:2:1: error: duplicate resource block `aws_vpc.main` -- each name may be declared only once; rename or remove one of them
more.tf:9:3: error: duplicate local value "x" -- each name may be declared only once; rename or remove one of them
main.tf:6:1: error: variable "a" has no value -- set it with `--var a=...`, in a .tfvars file (`a = ...`), or with the TF_VAR_a environment variable; or give the variable a default
main.tf:11:12: error: module "net": no module at ./net (resolved to net) -- point `source` at a directory holding the module's .tf files, relative to the calling module's directory
"#,
    );
}

#[test]
fn for_each_and_count_misuse() {
    check_errors(
        &[(
            "main.tf",
            r#"variable "azs" {
  type    = list(string)
  default = ["a", "b"]
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "list" {
  for_each   = var.azs
  vpc_id     = "v"
  cidr_block = "10.0.0.0/24"
}
resource "aws_subnet" "unknown" {
  count      = length(aws_vpc.main.id) > 3 ? 1 : 0
  vpc_id     = "v"
  cidr_block = "10.0.0.0/24"
}
resource "aws_subnet" "unknown_each" {
  for_each   = { (aws_vpc.main.id) = 1 }
  vpc_id     = "v"
  cidr_block = "10.0.0.0/24"
}
resource "aws_subnet" "ok" {
  for_each   = toset(var.azs)
  vpc_id     = "v"
  cidr_block = "10.0.0.0/24"
}
"#,
        )],
        r#"
main.tf:9:16: error: `for_each` takes a map or a set of strings, and this is a list -- convert it with toset(...), e.g. `for_each = toset(var.azs)`
main.tf:14:16: error: the `count` value depends on resource attributes that cannot be determined until apply -- set `count` from values known at plan time (variables, locals, data sources), or first create the resources it depends on with `infra apply --target ...`
main.tf:19:16: error: the `for_each` value depends on resource attributes that cannot be determined until apply -- set `for_each` from values known at plan time (variables, locals, data sources), or first create the resources it depends on with `infra apply --target ...`
"#,
    );
}

#[test]
fn cycle_names_every_address_and_reference() {
    let (stack, diags) = load(&input(&[(
        "main.tf",
        r#"resource "aws_security_group" "a" {
  vpc_id = aws_security_group.c.vpc_id
}
resource "aws_security_group" "b" {
  vpc_id = local.x
}
locals {
  x = aws_security_group.a.vpc_id
}
resource "aws_security_group" "c" {
  vpc_id = aws_security_group.b.vpc_id
}
resource "aws_vpc" "self" {
  cidr_block = aws_vpc.self.cidr_block
}
"#,
    )]));
    assert!(stack.is_none());
    let r: Vec<String> = diags
        .iter()
        .map(|d| {
            let mut s = format!(
                "{}: {}",
                d.span.as_ref().map(|s| s.to_string()).unwrap_or_default(),
                d.summary
            );
            for (span, note) in &d.related {
                s.push_str(&format!("\n  {span}: {note}"));
            }
            s
        })
        .collect();
    assert_eq!(
        r.join("\n"),
        r#"main.tf:2:12: dependency cycle between aws_security_group.a, aws_security_group.b, aws_security_group.c, local.x
  main.tf:2:12: aws_security_group.a refers to aws_security_group.c here
  main.tf:5:12: aws_security_group.b refers to local.x here
  main.tf:8:7: local.x refers to aws_security_group.a here
  main.tf:11:12: aws_security_group.c refers to aws_security_group.b here
main.tf:14:16: aws_vpc.self refers to itself
  main.tf:14:16: aws_vpc.self refers to aws_vpc.self here"#
    );
}

#[test]
fn every_error_at_once_across_phases() {
    let (stack, diags) = load(&input(&[(
        "main.tf",
        "variable \"x\" {}\nresource \"aws_subnet\" \"v\" {}\noutput \"o\" {\n  value = var.y\n}\n",
    )]));
    assert!(stack.is_none());
    assert_eq!(
        render(&diags),
        r#"main.tf:2:1: error: missing required argument `vpc_id` in aws_subnet.v -- add `vpc_id = <string>`
main.tf:1:1: error: variable "x" has no value -- set it with `--var x=...`, in a .tfvars file (`x = ...`), or with the TF_VAR_x environment variable; or give the variable a default
main.tf:4:11: error: reference to undeclared input variable `var.y` -- did you mean `var.x`?"#
    );
}

#[test]
fn read_stack_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("b.tf"), "variable \"v\" {}\n").unwrap();
    std::fs::write(p.join("a.tf"), "locals {}\n").unwrap();
    std::fs::write(p.join("terraform.tfvars"), "v = 1\n").unwrap();
    std::fs::write(p.join("z.auto.tfvars"), "v = 2\n").unwrap();
    std::fs::write(p.join("a.auto.tfvars"), "v = 3\n").unwrap();
    std::fs::write(p.join("extra.tfvars"), "v = 4\n").unwrap();
    std::fs::write(p.join("notes.txt"), "x").unwrap();
    let env = vec![
        ("TF_VAR_v".to_string(), "0".to_string()),
        ("HOME".to_string(), "/".to_string()),
    ];
    let input = crate::fs::read_stack(
        p,
        &[p.join("extra.tfvars")],
        vec![("v".to_string(), "5".to_string())],
        env.into_iter(),
    )
    .unwrap();
    let names = |fs: &[SourceFile]| {
        fs.iter()
            .map(|f| f.path.rsplit('/').next().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&input.files), ["a.tf", "b.tf"]);
    assert_eq!(
        names(&input.tfvars),
        [
            "terraform.tfvars",
            "a.auto.tfvars",
            "z.auto.tfvars",
            "extra.tfvars"
        ]
    );
    assert_eq!(input.env_vars, [("v".to_string(), "0".to_string())]);
    assert_eq!(input.cli_vars, [("v".to_string(), "5".to_string())]);

    std::fs::write(p.join("c.tf"), b"locals { x = \"\xff\" }\n").unwrap();
    let err = crate::fs::read_stack(p, &[], Vec::new(), std::iter::empty()).unwrap_err();
    assert!(
        err.summary
            .ends_with("c.tf is not valid UTF-8 (invalid byte at offset 14)"),
        "{}",
        err.summary
    );
    let empty = tempfile::tempdir().unwrap();
    assert!(
        crate::fs::read_stack(empty.path(), &[], Vec::new(), std::iter::empty())
            .unwrap_err()
            .summary
            .starts_with("no .tf files in")
    );
}

#[test]
fn provider_lifecycle_and_meta_argument_errors() {
    check_errors(
        &[(
            "main.tf",
            r#"resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  count      = 1
  for_each   = {}
  lifecycle {
    ignore_changes = [upper("x")]
    prevent_destroy = "soon"
  }
}
provider "aws" {
  region = aws_vpc.main[0].arn
  regoin = "x"
}
output "o" {
  value      = 1
  depends_on = [var.nope]
}
"#,
        )],
        r#"
main.tf:4:3: error: `count` and `for_each` cannot both be set -- keep one of them
main.tf:7:23: error: `prevent_destroy` must be true or false, found string -- write a literal bool
main.tf:6:23: error: `ignore_changes` must be `all` or a list of attribute paths -- write it as `ignore_changes = [tags, scaling_config[0].desired_size]` or `ignore_changes = all`
main.tf:12:3: error: unknown argument `regoin` in the aws provider -- did you mean `region`?
main.tf:16:17: error: reference to undeclared input variable `var.nope` -- declare it with `variable "nope" {}`
"#,
    );
}

#[test]
fn provider_cannot_depend_on_resources() {
    check_errors(
        &[("main.tf", "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.0.0.0/16\"\n}\nprovider \"aws\" {\n  region = aws_vpc.main.arn\n}\n")],
        "main.tf:4:1: error: the provider configuration cannot depend on `aws_vpc.main` -- configure the provider from variables and locals that do not refer to resources or data sources",
    );
}

#[test]
fn for_each_list_through_a_local_and_non_string_sets() {
    check_errors(
        &[(
            "main.tf",
            r#"locals {
  names = [for n in ["a", "b"] : upper(n)]
}
resource "aws_eip" "a" {
  for_each = local.names
}
resource "aws_eip" "b" {
  for_each = toset([1, 2])
}
resource "aws_eip" "c" {
  count = -1
}
"#,
        )],
        r#"
main.tf:5:14: error: `for_each` takes a map or a set of strings, and this is a list -- convert it with toset(...), e.g. `for_each = toset(var.azs)`
main.tf:8:14: error: a `for_each` set must hold strings, found number -- use a map, or a set of strings such as toset(["a", "b"])
main.tf:11:11: error: `count` must be a whole number of zero or more, found -1 -- give count a number such as `count = length(var.azs)`
"#,
    );
}

#[test]
fn terraform_remote_state_takes_only_the_infra_backend_and_a_stack() {
    check_errors(
        &[(
            "main.tf",
            r#"data "terraform_remote_state" "a" {
  backend = "s3"
  config = {
    stack = "dev"
  }
}
data "terraform_remote_state" "b" {
  backend = "infra"
  config = {
    bucket = "dev"
  }
}
data "terraform_remote_state" "c" {
  backend = "infra"
  config = {
    path = "other.db"
  }
  defaults = "none"
  workspace = "staging"
}
data "terraform_remote_state" "ok" {
  backend = "infra"
  config = {
    stack = "dev"
    path  = "other.db"
  }
  defaults = {
    vpc_id = "vpc-1"
  }
}
"#,
        )],
        r#"
main.tf:2:3: error: unsupported backend "s3" for terraform_remote_state -- infra reads other stacks from its own state: write backend = "infra" and config = { stack = "<stack name>" } (optionally path = "<state file>"; by default the state file of this run)
main.tf:9:3: error: unsupported key `bucket` in terraform_remote_state's config -- the infra backend takes `stack` (required) and `path` (optional)
main.tf:15:3: error: terraform_remote_state's config has no `stack` -- name the stack to read: config = { stack = "dev" }
main.tf:18:3: error: terraform_remote_state's defaults is not an object -- write defaults = { output_name = value, ... }
main.tf:19:3: error: terraform_remote_state's workspace "staging" does not exist -- infra has no workspaces: each environment is its own stack; name it in config = { stack = "..." } and remove `workspace`
"#,
    );
}
