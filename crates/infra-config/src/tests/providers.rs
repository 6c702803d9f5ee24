//! `provider "aws"` blocks with `alias`, `provider = aws.ALIAS` on resources and data
//! sources, and module calls' `providers` maps.

use super::*;

const TWO_REGIONS: &str = r#"
variable "env" {
  default = "dev"
}
provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = { Env = var.env }
  }
}
provider "aws" {
  alias  = "west"
  region = "us-west-2"
  default_tags {
    tags = { Env = var.env, Site = "dr" }
  }
}
resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_vpc" "dr" {
  provider   = aws.west
  cidr_block = "10.1.0.0/16"
  region     = "us-west-2"
}
data "aws_region" "dr" {
  provider = aws.west
}
resource "random_id" "r" {
  provider    = random
  byte_length = 4
}
"#;

#[test]
fn aliased_provider_blocks_are_configurations_of_their_own() {
    let stack = load_ok(&input(&[("main.tf", TWO_REGIONS)]));
    let regions: Vec<(String, Option<String>)> = stack
        .providers()
        .iter()
        .map(|(k, p)| (k.clone(), p.region.clone()))
        .collect();
    assert_eq!(
        regions,
        [
            (String::new(), Some("eu-west-1".to_string())),
            ("west".to_string(), Some("us-west-2".to_string()))
        ]
    );
    let tags = stack.default_tags();
    assert_eq!(tags.get("")["Env"], "dev");
    assert!(!tags.get("").contains_key("Site"));
    assert_eq!(tags.get("west")["Site"], "dr");
    assert_eq!(tags.get("west")["Env"], "dev");
    assert_eq!(stack.provider().region.as_deref(), Some("eu-west-1"));

    let w = walk(TWO_REGIONS);
    assert_eq!(w.get("aws_vpc.main").provider, "");
    assert_eq!(w.get("aws_vpc.dr").provider, "west");
    assert_eq!(w.get("data.aws_region.dr").provider, "west");
    assert_eq!(w.get("random_id.r").provider, "");
}

#[test]
fn only_aliased_blocks_leave_an_empty_default_configuration() {
    // as Terraform: resources without `provider` use the implicit default configuration
    let stack = load_ok(&input(&[(
        "main.tf",
        r#"provider "aws" {
  alias  = "east"
  region = "us-east-1"
}
resource "aws_vpc" "a" {
  cidr_block = "10.0.0.0/16"
}
"#,
    )]));
    assert_eq!(stack.provider().region, None);
    assert_eq!(
        stack.providers()["east"].region.as_deref(),
        Some("us-east-1")
    );
}

fn with_module(main: &str, module: &str) -> StackInput {
    let mut i = input(&[("main.tf", main)]);
    i.modules
        .insert("net".into(), vec![file("net/main.tf", module)]);
    i.modules
        .insert("net/inner".into(), vec![file("net/inner/main.tf", INNER)]);
    i
}

const INNER: &str = r#"
resource "aws_subnet" "s" {
  vpc_id     = "vpc-1"
  cidr_block = "10.0.1.0/24"
}
"#;

#[test]
fn module_calls_map_configurations_and_inherit_the_default() {
    let main = r#"
provider "aws" {
  region = "eu-west-1"
}
provider "aws" {
  alias  = "west"
  region = "us-west-2"
}
provider "aws" {
  alias  = "peer"
  region = "us-east-1"
}
module "dr" {
  source    = "./net"
  providers = {
    aws        = aws.west
    aws.remote = aws.peer
  }
}
module "home" {
  source = "./net"
  providers = {
    aws.remote = aws.west
  }
}
"#;
    let module = r#"
terraform {
  required_providers {
    aws = {
      source                = "hashicorp/aws"
      configuration_aliases = [aws.remote]
    }
  }
}
resource "aws_vpc" "here" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_vpc" "there" {
  provider   = aws.remote
  cidr_block = "10.1.0.0/16"
}
module "inner" {
  source = "./inner"
}
"#;
    let w = walk_with(&with_module(main, module), planned);
    assert_eq!(render(&w.diags), "");
    let p = |a: &str| w.get(a).provider.clone();
    assert_eq!(p("module.dr.aws_vpc.here"), "west");
    assert_eq!(p("module.dr.aws_vpc.there"), "peer");
    // the default configuration is inherited, through the module's own mapping
    assert_eq!(p("module.dr.module.inner.aws_subnet.s"), "west");
    assert_eq!(p("module.home.aws_vpc.here"), "");
    assert_eq!(p("module.home.aws_vpc.there"), "west");
    assert_eq!(p("module.home.module.inner.aws_subnet.s"), "");
}

#[test]
fn wrong_provider_references_name_the_file_and_what_to_do() {
    check_errors(
        &[(
            "main.tf",
            r#"provider "aws" {
  region = "eu-west-1"
}
provider "aws" {
  alias  = "west"
  region = "us-west-2"
}
provider "aws" {
  alias = "west"
}
provider "aws" {
  alias = var.x
}
resource "aws_vpc" "a" {
  provider   = aws.east
  cidr_block = "10.0.0.0/16"
}
resource "aws_vpc" "b" {
  provider   = google.west
  cidr_block = "10.0.0.0/16"
}
resource "aws_vpc" "c" {
  provider   = aws.west
  cidr_block = "10.0.0.0/16"
  region     = "eu-west-1"
}
"#,
        )],
        r#"
main.tf:8:1: error: duplicate provider "aws" block with `alias = "west"` -- each name may be declared only once; rename or remove one of them
main.tf:12:3: error: the provider's `alias` must be a literal name -- write it as `alias = "west"` (letters, digits, `_` and `-`, starting with a letter); resources choose it with `provider = aws.west`
main.tf:19:3: error: aws_vpc.b: `provider = google.west` names another provider than `aws` -- `aws_vpc` belongs to the aws provider; write `provider = aws` or `provider = aws.ALIAS`
main.tf:15:3: error: aws_vpc.a: no `provider "aws"` block has `alias = "east"` -- declare `provider "aws" { alias = "east"  region = "..." }`, or name one the stack has: `aws`, `aws.west`
"#,
    );
}

#[test]
fn a_module_must_be_passed_the_aliases_it_uses() {
    let main = r#"
provider "aws" {
  alias  = "west"
  region = "us-west-2"
}
module "m" {
  source    = "./net"
  providers = {
    aws.other = aws.nowhere
  }
}
"#;
    let module = r#"
resource "aws_vpc" "there" {
  provider   = aws.remote
  cidr_block = "10.1.0.0/16"
}
"#;
    check_errors_input(
        &with_module(main, module),
        r#"
main.tf:9:17: error: module "m": `providers` passes `aws.nowhere`, which the root module does not have -- declare `provider "aws" { alias = "nowhere" ... }` in the root module
net/main.tf:3:3: error: module.m.aws_vpc.there: `provider = aws.remote`, but module.m is not passed `aws.remote` -- pass it in the module block: `providers = { aws.remote = aws.NAME }`, naming a configuration of the caller
"#,
    );
}

#[test]
fn an_import_blocks_provider_must_be_the_resources() {
    let main = r#"provider "aws" {
  region = "eu-west-1"
}
provider "aws" {
  alias  = "west"
  region = "us-west-2"
}
resource "aws_vpc" "dr" {
  provider   = aws.west
  cidr_block = "10.1.0.0/16"
}
import {
  provider = aws.west
  to       = aws_vpc.dr
  id       = "vpc-1"
}
"#;
    let stack = load_ok(&input(&[("main.tf", main)]));
    assert_eq!(stack.import_blocks().len(), 1);
    check_errors(
        &[(
            "main.tf",
            &main.replace("provider = aws.west\n  to", "provider = aws\n  to"),
        )],
        r#"
main.tf:13:3: error: the import block's `provider = aws` is not `aws_vpc.dr`'s configuration (aws.west) -- the object is imported through the resource's own provider configuration: make the two the same, or remove the import block's `provider`
"#,
    );
}

#[test]
fn a_provider_block_inside_a_module_configures_it_and_what_it_calls() {
    // a legacy module that configures its own provider from its variables
    let main = r#"
provider "aws" {
  region = "eu-west-1"
  default_tags {
    tags = { Site = "home" }
  }
}
variable "dr_region" {
  default = "us-west-2"
}
module "dr" {
  source = "./net"
  region = var.dr_region
}
resource "aws_vpc" "home" {
  cidr_block = "10.9.0.0/16"
}
"#;
    let module = r#"
variable "region" {
  type = string
}
locals {
  site = "dr-${var.region}"
}
provider "aws" {
  region = var.region
  default_tags {
    tags = { Site = local.site }
  }
}
provider "aws" {
  alias  = "peer"
  region = "ap-south-1"
}
resource "aws_vpc" "here" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_vpc" "there" {
  provider   = aws.peer
  cidr_block = "10.1.0.0/16"
}
module "inner" {
  source = "./inner"
}
"#;
    let input = with_module(main, module);
    let stack = load_ok(&input);
    let regions: Vec<(String, Option<String>)> = stack
        .providers()
        .iter()
        .map(|(k, p)| (k.clone(), p.region.clone()))
        .collect();
    assert_eq!(
        regions,
        [
            (String::new(), Some("eu-west-1".to_string())),
            ("module.dr".to_string(), Some("us-west-2".to_string())),
            ("module.dr.peer".to_string(), Some("ap-south-1".to_string())),
        ]
    );
    let tags = stack.default_tags();
    assert_eq!(tags.get("module.dr")["Site"], "dr-us-west-2");
    assert_eq!(tags.get("")["Site"], "home");
    let w = walk_with(&input, planned);
    assert_eq!(render(&w.diags), "");
    let p = |a: &str| w.get(a).provider.clone();
    assert_eq!(p("aws_vpc.home"), "");
    assert_eq!(p("module.dr.aws_vpc.here"), "module.dr");
    assert_eq!(p("module.dr.aws_vpc.there"), "module.dr.peer");
    // a module it calls inherits its configuration
    assert_eq!(p("module.dr.module.inner.aws_subnet.s"), "module.dr");

    // as in Terraform, such a module cannot be expanded
    let counted = main.replace(
        "  source = \"./net\"\n",
        "  source = \"./net\"\n  count  = 1\n",
    );
    let (_, diags) = load(&with_module(&counted, module));
    let text = render(&diags);
    assert!(
        text.contains("net/main.tf:8:1: error: module.dr: a module with its own `provider \"aws\"` block cannot be called with `count` or `for_each`"),
        "{text}"
    );
    assert_eq!(text.matches("cannot be called with").count(), 1, "{text}");
}
