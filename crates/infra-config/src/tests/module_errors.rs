//! Bad module input: missing inputs, unknown sources, errors inside modules, cycles.

use super::*;

fn stack(main: &str, modules: &[(&str, &str)]) -> StackInput {
    let mut i = input(&[("main.tf", main)]);
    for (dir, text) in modules {
        i.modules
            .insert(dir.to_string(), vec![file(&format!("{dir}/main.tf"), text)]);
    }
    i.root_dir = Some("/work/stacks/prod".into());
    i
}

/// Every diagnostic, with its address and related notes.
fn check(input: &StackInput, expected: &str) {
    let (s, mut diags) = load(input);
    if let Some(s) = s {
        diags.extend(s.walk(&mut planned).1);
    }
    let out: Vec<String> = diags
        .iter()
        .map(|d| {
            let mut line = render(std::slice::from_ref(d));
            if let Some(a) = &d.address {
                line.push_str(&format!(" [{a}]"));
            }
            for (s, note) in &d.related {
                line.push_str(&format!("\n  {s}: {note}"));
            }
            line
        })
        .collect();
    assert_eq!(out.join("\n"), expected.trim());
}

const NET: &str = r#"variable "cidr" {
  type = string
}
variable "size" {
  type = number
  default = 1
  validation {
    condition     = var.size < 10
    error_message = "size must be under 10"
  }
}
resource "aws_vpc" "main" {
  cidr_block = var.cidr
}
output "vpc_id" {
  value = aws_vpc.main.id
}
"#;

#[test]
fn missing_and_unknown_inputs() {
    check(
        &stack(
            r#"module "network" {
  source = "../modules/network"
  cdir   = "10.0.0.0/16"
}
"#,
            &[("../modules/network", NET)],
        ),
        r#"
main.tf:3:3: error: module "network" has no input variable "cdir" -- did you mean `cidr`?
main.tf:1:1: error: module "network": missing required input "cidr" -- the module's variable "cidr" (declared at ../modules/network/main.tf:1:1) has no default; add `cidr = ...` to the module block
  ../modules/network/main.tf:1:1: the variable is declared here
"#,
    );
}

#[test]
fn unknown_and_non_local_sources() {
    check(
        &stack(
            r#"module "x" {
  source = "../modules/y"
}
module "reg" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0.0"
}
module "git" {
  source = "git::https://example.com/vpc.git"
}
"#,
            &[],
        ),
        r#"
main.tf:9:12: error: module "git": source "git::https://example.com/vpc.git" is not a local path, and there is no .terraform/modules/modules.json -- run `terraform init` (infra reads the modules it downloads) or use a local path starting with ./ or ../
main.tf:5:13: error: module "reg": source "terraform-aws-modules/vpc/aws" is not a local path, and there is no .terraform/modules/modules.json -- run `terraform init` (infra reads the modules it downloads) or use a local path starting with ./ or ../
main.tf:2:12: error: module "x": no module at ../modules/y (resolved to /work/stacks/modules/y) -- point `source` at a directory holding the module's .tf files, relative to the calling module's directory
"#,
    );
}

#[test]
fn errors_inside_a_module_name_the_call_and_the_module_file() {
    check(
        &stack(
            r#"module "network" {
  source = "../modules/network"
  cidr   = "10.0.0.0/16"
}
"#,
            &[(
                "../modules/network",
                r#"variable "cidr" {}
resource "aws_vpc" "main" {
  cidr_block = var.cidr
  cidr_blok  = "x"
}
output "id" {
  value = aws_vpc.mian.id
}
"#,
            )],
        ),
        r#"
../modules/network/main.tf:4:3: error: unknown argument `cidr_blok` in module.network.aws_vpc.main -- did you mean `cidr_block`? [module.network.aws_vpc.main]
  main.tf:1:1: in module.network, called here
../modules/network/main.tf:7:11: error: reference to undeclared resource `aws_vpc.mian` -- did you mean `aws_vpc.main`? [module.network]
  main.tf:1:1: in module.network, called here
"#,
    );
}

#[test]
fn evaluation_errors_inside_a_module_instance() {
    check(
        &stack(
            r#"module "network" {
  for_each = toset(["a"])
  source   = "./net"
  cidr     = "10.0.0.0/33"
  size     = 12
}
"#,
            &[("net", NET)],
        ),
        r#"
main.tf:5:3: error: invalid value for variable "size" from the `network` module block -- size must be under 10 [module.network["a"]]
  net/main.tf:8:21: checked by this validation rule
  main.tf:1:1: in module.network["a"], called here
net/main.tf:13:3: error: invalid CIDR block "10.0.0.0/33" in `cidr_block`: the prefix length must be at most 32, found 33 -- write a network address and prefix length such as 10.0.0.0/16 [module.network["a"].aws_vpc.main]
  main.tf:1:1: in module.network["a"], called here
"#,
    );
}

#[test]
fn reference_cycle_through_a_module() {
    check(
        &stack(
            r#"resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
  tags       = { Name = module.network.vpc_id }
}
module "network" {
  source = "./net"
  cidr   = aws_vpc.main.cidr_block
}
"#,
            &[("net", NET)],
        ),
        r#"
main.tf:3:25: error: dependency cycle between aws_vpc.main, module.network.aws_vpc.main, module.network.output.vpc_id, module.network.var.cidr -- each of these needs another one first; remove one of the references to break the cycle
  main.tf:3:25: aws_vpc.main refers to module.network.output.vpc_id here
  main.tf:7:12: module.network.var.cidr refers to aws_vpc.main here
  net/main.tf:13:16: module.network.aws_vpc.main refers to module.network.var.cidr here
  net/main.tf:16:11: module.network.output.vpc_id refers to module.network.aws_vpc.main here
"#,
    );
}

#[test]
fn a_module_calling_itself() {
    check(
        &stack(
            r#"module "a" {
  source = "./a"
}
"#,
            &[(
                "a",
                r#"module "again" {
  source = "../a"
}
"#,
            )],
        ),
        r#"
a/main.tf:2:12: error: module "again" calls itself: a -> a -- a module cannot call itself, directly or through other modules; remove the call [module.a]
  main.tf:1:1: in module.a, called here
"#,
    );
}

#[test]
fn undeclared_module_and_output() {
    check(
        &stack(
            r#"module "network" {
  source = "./net"
  cidr   = "10.0.0.0/16"
}
output "a" {
  value = module.netwrok.vpc_id
}
output "b" {
  value = module.network.vpc
}
"#,
            &[("net", NET)],
        ),
        r#"
main.tf:6:11: error: reference to undeclared module `module.netwrok` -- did you mean `module.network`?
main.tf:9:11: error: module "network" has no output "vpc" -- did you mean `vpc_id`?
"#,
    );
}

#[test]
fn read_stack_reads_module_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("stacks/prod");
    let net = tmp.path().join("stacks/modules/network");
    let sub = tmp.path().join("stacks/modules/subnets");
    for d in [&root, &net, &sub] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(
        root.join("main.tf"),
        "module \"network\" {\n  source = \"../modules/network\"\n}\nmodule \"x\" {\n  source = \"../modules/y\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        net.join("main.tf"),
        "module \"subnets\" {\n  source = \"../subnets\"\n}\n",
    )
    .unwrap();
    std::fs::write(sub.join("main.tf"), "locals {\n  a = 1\n}\n").unwrap();
    let input = crate::fs::read_stack(&root, &[], Vec::new(), std::iter::empty()).unwrap();
    let dirs: Vec<&String> = input.modules.keys().collect();
    assert_eq!(dirs, ["../modules/network", "../modules/subnets"]);
    assert_eq!(
        &*input.modules["../modules/subnets"][0].path,
        "../modules/subnets/main.tf"
    );
    let (_, diags) = load(&input);
    let abs = std::fs::canonicalize(tmp.path()).unwrap();
    assert_eq!(
        diags.iter().map(|d| d.summary.clone()).collect::<Vec<_>>(),
        [format!(
            "module \"x\": no module at ../modules/y (resolved to {}/stacks/modules/y)",
            abs.display()
        )]
    );
}

/// One run lists every unsupported construct: a provider infra does not have (a warning:
/// its block configures nothing), a single data source of an unsupported type in the root,
/// and a resource of an unsupported type inside a module, whose instances only the walk
/// knows. References to the unsupported blocks are unknown, not further errors.
#[test]
fn every_unsupported_block_is_listed_with_those_inside_modules() {
    check(
        &stack(
            r#"provider "helm" {
  kubernetes = {
    host = module.cap.arn
  }
}
data "aws_organizations_organization" "this" {}
module "cap" {
  source = "../modules/cap"
  idc    = one(data.aws_organizations_organization.this.id)
}
module "off" {
  source = "../modules/cap"
  create = false
  idc    = "x"
}
resource "helm_release" "x" {
  name = module.cap.arn
}
"#,
            &[(
                "../modules/cap",
                r#"variable "create" {
  type    = bool
  default = true
}
variable "idc" {
  type = string
}
resource "aws_sagemaker_domain" "this" {
  count = var.create ? 1 : 0
  idc   = var.idc
}
output "arn" {
  value = try(aws_sagemaker_domain.this[0].arn, null)
}
"#,
            )],
        ),
        r#"
main.tf:1:1: warning: unsupported provider `helm`: its block is ignored -- infra supports the `aws` provider and, built in, `null`, `time`, `random`, `tls`, `cloudinit`, `http`, `local`; resources and data sources of `helm` are errors
main.tf:6:1: error: unknown data source `aws_organizations_organization` -- infra does not support it yet (docs/compatibility.md lists what it supports); a block of it is accepted only with `count` or `for_each` that yields no instances [data.aws_organizations_organization.this]
../modules/cap/main.tf:8:1: error: unsupported resource type `aws_sagemaker_domain`: `module.cap.aws_sagemaker_domain.this` has 1 instance(s) -- infra does not support this type yet (docs/compatibility.md lists what it supports); set its count/for_each so that it yields no instances, or remove the block [module.cap.aws_sagemaker_domain.this]
  main.tf:7:1: in module.cap, called here
main.tf:16:1: error: unknown resource type `helm_release` -- infra does not support it yet (docs/compatibility.md lists what it supports); a block of it is accepted only with `count` or `for_each` that yields no instances [helm_release.x]
../modules/cap/main.tf:8:1: warning: unsupported resource type `aws_sagemaker_domain` ignored: `module.off.aws_sagemaker_domain.this` has no instances -- infra does not support this type yet; the block is accepted because its count/for_each yields no instances, and references to it see none [module.off.aws_sagemaker_domain.this]
  main.tf:11:1: in module.off, called here
"#,
    );
}

/// When loading fails before the walk, unsupported types behind `count` / `for_each` are
/// listed too: an error for a literal expansion with instances, a warning saying when it
/// is one otherwise (as terraform-aws-eks's `eks-hybrid-nodes` had its instances behind a
/// literal `for_each`, next to a data source argument infra lacks).
#[test]
fn unsupported_types_behind_expansions_are_listed_when_loading_fails() {
    check_errors(
        &[(
            "main.tf",
            r#"variable "n" {
  default = 1
}
data "aws_ami" "x" {
  owners  = ["self"]
  nme_rgx = "abc"
}
resource "aws_ebs_volume" "b" {
  for_each = { one = 0, two = 1 }
  ami      = data.aws_ami.x.id
}
resource "aws_ebs_volume" "c" {
  count = var.n
  ami   = "ami-1"
}
resource "aws_ebs_volume" "d" {
  count = 0
  ami   = "ami-1"
}
"#,
        )],
        r#"
main.tf:6:3: error: unknown argument `nme_rgx` in data.aws_ami.x -- did you mean `name_regex`?
main.tf:8:1: error: unsupported resource type `aws_ebs_volume`: `aws_ebs_volume.b` has instances -- infra does not support it yet (docs/compatibility.md lists what it supports); a block of it is accepted only with `count` or `for_each` that yields no instances
main.tf:12:1: warning: unsupported resource type `aws_ebs_volume` behind `count` -- an error unless `count` yields no instances, which is checked once the other errors are fixed; infra does not support it yet (docs/compatibility.md lists what it supports); a block of it is accepted only with `count` or `for_each` that yields no instances
main.tf:16:1: warning: unsupported resource type `aws_ebs_volume` ignored: `aws_ebs_volume.d` has no instances
"#,
    );
}
