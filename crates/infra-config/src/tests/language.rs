//! Language features real modules use: unsupported types switched off by `count`, every
//! unsupported construct reported in one run.

use super::*;

/// Load and walk `main` (and more files), and compare every diagnostic, rendered; then
/// evaluate the outputs and compare them (`name = value` per line) when `outputs` is given.
fn check(files: &[(&str, &str)], diags: &str, outputs: &[(&str, Value)]) {
    check_errors(files, diags);
    if outputs.is_empty() {
        return;
    }
    let w = walk_with(&input(files), planned);
    for (name, v) in outputs {
        assert_eq!(w.output(name), v, "output {name}");
    }
}

const VPN: &str = r#"
variable "enable_vpn_gateway" {
  type    = bool
  default = false
}
resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_ec2_transit_gateway" "this" {
  count  = var.enable_vpn_gateway ? 1 : 0
  vpc_id = aws_vpc.this.id
  amazon_side_asn = 64512
}
resource "aws_dx_gateway" "this" {
  for_each   = {}
  bgp_asn    = each.value.bgp_asn
  ip_address = each.value.ip_address
  type       = "ipsec.1"
}
output "vgw_ids" { value = aws_ec2_transit_gateway.this[*].id }
output "vgw_id" { value = try(aws_ec2_transit_gateway.this[0].id, "") }
output "vgw_n" { value = length(aws_ec2_transit_gateway.this) }
output "vgw_one" { value = one(aws_ec2_transit_gateway.this[*].id) }
output "vgw_cond" { value = var.enable_vpn_gateway ? aws_ec2_transit_gateway.this[0].id : "none" }
output "cgw" { value = { for k, v in aws_dx_gateway.this : k => v.id } }
"#;

#[test]
fn unsupported_types_with_zero_instances_are_warnings_and_evaluate_empty() {
    check(
        &[("main.tf", VPN)],
        r#"
main.tf:14:1: warning: unsupported resource type `aws_dx_gateway` ignored: `aws_dx_gateway.this` has no instances -- infra does not support this type yet; the block is accepted because its count/for_each yields no instances, and references to it see none
main.tf:9:1: warning: unsupported resource type `aws_ec2_transit_gateway` ignored: `aws_ec2_transit_gateway.this` has no instances -- infra does not support this type yet; the block is accepted because its count/for_each yields no instances, and references to it see none
"#,
        &[
            ("vgw_ids", Value::List(vec![])),
            ("vgw_id", Value::from("")),
            ("vgw_n", Value::Number(0.0)),
            ("vgw_one", Value::Null),
            ("vgw_cond", Value::from("none")),
            ("cgw", Value::Map(BTreeMap::new())),
        ],
    );
}

#[test]
fn unsupported_types_with_instances_or_unknown_count_are_errors() {
    let mut on = input(&[("main.tf", VPN)]);
    on.cli_vars
        .push(("enable_vpn_gateway".into(), "true".into()));
    check_errors_input(
        &on,
        r#"
main.tf:14:1: warning: unsupported resource type `aws_dx_gateway` ignored: `aws_dx_gateway.this` has no instances -- infra does not support this type yet; the block is accepted because its count/for_each yields no instances, and references to it see none
main.tf:9:1: error: unsupported resource type `aws_ec2_transit_gateway`: `aws_ec2_transit_gateway.this` has 1 instance(s) -- infra does not support this type yet (docs/compatibility.md lists what it supports); set its count/for_each so that it yields no instances, or remove the block
"#,
    );
    check_errors(
        &[(
            "main.tf",
            r#"resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_ec2_transit_gateway" "later" {
  count  = length(aws_vpc.this.id) > 0 ? 1 : 0
  vpc_id = aws_vpc.this.id
}
resource "aws_memorydb_subnet_group" "single" {
  name = "x"
}
"#,
        )],
        r#"
main.tf:8:1: error: unknown resource type `aws_memorydb_subnet_group` -- infra does not support it yet (docs/compatibility.md lists what it supports); a block of it is accepted only with `count` or `for_each` that yields no instances
main.tf:4:1: error: unsupported resource type `aws_ec2_transit_gateway`: the number of instances of `aws_ec2_transit_gateway.later` is not known -- infra does not support this type yet; it is accepted only when its count/for_each is known to yield no instances (the `count` value depends on resource attributes that cannot be determined until apply)
"#,
    );
    // without the single block, the unknown count is still an error
    check_errors(
        &[(
            "main.tf",
            r#"resource "aws_vpc" "this" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_ec2_transit_gateway" "later" {
  count  = length(aws_vpc.this.id) > 0 ? 1 : 0
  vpc_id = aws_vpc.this.id
}
"#,
        )],
        r#"
main.tf:4:1: error: unsupported resource type `aws_ec2_transit_gateway`: the number of instances of `aws_ec2_transit_gateway.later` is not known -- infra does not support this type yet; it is accepted only when its count/for_each is known to yield no instances (the `count` value depends on resource attributes that cannot be determined until apply)
"#,
    );
}

#[test]
fn a_misspelt_type_stays_an_error_with_count_zero() {
    check_errors(
        &[(
            "main.tf",
            r#"resource "aws_subnett" "x" {
  count = 0
}
data "aws_regionn" "x" {
  for_each = {}
}
"#,
        )],
        r#"
main.tf:1:1: error: unknown resource type `aws_subnett` -- did you mean `aws_subnet`?
main.tf:4:1: error: unknown data source `aws_regionn` -- did you mean `aws_region`?
"#,
    );
}

#[test]
fn unknown_functions_are_listed_with_structural_errors() {
    check_errors(
        &[
            (
                "main.tf",
                r#"resource "aws_vpc" "a" {
  cidr_block = cidrsubnett("10.0.0.0/8", 8, 0)
  bogus      = 1
}
resource "aws_vpn_connection" "x" {
  vpn_gateway_id = "x"
}
"#,
            ),
            (
                "b.tf",
                r#"locals {
  x = "${upperr("a")}-${local.nope}"
  y = provider::aws::arn_parse("x")
}
"#,
            ),
            (
                "c.tf",
                r#"output "o" {
  value = frobnicate(aws_vpc.a.id)
}
resourc "aws_subnet" "s" {}
"#,
            ),
        ],
        r#"
c.tf:4:1: error: unknown block type `resourc` -- did you mean `resource`?
main.tf:3:3: error: unknown argument `bogus` in aws_vpc.a -- expected one of: cidr_block, ipv4_ipam_pool_id, ipv4_netmask_length, enable_dns_hostnames, enable_dns_support, enable_network_address_usage_metrics, instance_tenancy, assign_generated_ipv6_cidr_block, ipv6_cidr_block, ipv6_cidr_block_network_border_group, ipv6_ipam_pool_id, ipv6_netmask_length, tags
b.tf:2:10: error: unknown function "upperr" -- did you mean "upper"?
b.tf:2:25: error: reference to undeclared local value `local.nope` -- did you mean `local.y`?
b.tf:3:22: error: provider-defined function "arn_parse" is not supported -- use a built-in function instead
main.tf:2:16: error: unknown function "cidrsubnett" -- did you mean "cidrsubnet"?
c.tf:2:11: error: unknown function "frobnicate" -- supported functions are listed in docs/compatibility.md
main.tf:5:1: error: unknown resource type `aws_vpn_connection` -- infra does not support it yet (docs/compatibility.md lists what it supports); a block of it is accepted only with `count` or `for_each` that yields no instances
"#,
    );
}
