//! `import` blocks with `for_each` (Terraform 1.7): one import per element, `each.key`
//! and `each.value` in `to`'s index and in `id`.

use super::*;

fn imports(main: &str) -> (Vec<(String, String)>, String) {
    let (stack, diags) = load(&input(&[("main.tf", main)]));
    let got = stack
        .map(|s| {
            s.import_blocks()
                .iter()
                .map(|b| (b.to.to_string(), b.id.clone()))
                .collect()
        })
        .unwrap_or_default();
    (got, render(&diags))
}

#[test]
fn for_each_expands_an_import_block_over_a_map_a_set_and_a_list() {
    let (got, diags) = imports(
        r#"
variable "subnets" {
  default = { a = "subnet-1", b = "subnet-2" }
}
locals {
  zones = ["Z1", "Z2"]
}
resource "aws_subnet" "this" {
  for_each   = var.subnets
  vpc_id     = "vpc-1"
  cidr_block = "10.0.0.0/24"
}
resource "aws_route53_zone" "z" {
  for_each = toset(local.zones)
  name     = "${each.key}.example.com"
}
resource "aws_vpc" "v" {
  count      = 2
  cidr_block = "10.0.0.0/16"
}
import {
  for_each = var.subnets
  to       = aws_subnet.this[each.key]
  id       = each.value
}
import {
  for_each = toset(local.zones)
  to       = aws_route53_zone.z[each.value]
  id       = lower(each.key)
}
import {
  for_each = [{ id = "vpc-7" }, { id = "vpc-8" }]
  to       = aws_vpc.v[each.key]
  id       = each.value.id
}
"#,
    );
    assert_eq!(diags, "");
    let want: Vec<(String, String)> = [
        ("aws_subnet.this[\"a\"]", "subnet-1"),
        ("aws_subnet.this[\"b\"]", "subnet-2"),
        ("aws_route53_zone.z[\"Z1\"]", "z1"),
        ("aws_route53_zone.z[\"Z2\"]", "z2"),
        ("aws_vpc.v[0]", "vpc-7"),
        ("aws_vpc.v[1]", "vpc-8"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn import_for_each_errors_name_the_argument() {
    let (_, diags) = imports(
        r#"
resource "aws_vpc" "v" {
  for_each   = toset(["x"])
  cidr_block = "10.0.0.0/16"
}
import {
  for_each = 3
  to       = aws_vpc.v[each.key]
  id       = each.value
}
import {
  for_each = { x = "vpc-1" }
  to       = aws_vpc.v[true]
  id       = each.value
}
import {
  for_each = ["vpc-2"]
  to       = aws_vpc.v["x"]
  id       = each.value
}
import {
  to = aws_vpc.v["x"]
  id = "vpc-3"
}
"#,
    );
    assert_eq!(
        diags.trim(),
        r#"
main.tf:7:3: error: invalid `for_each` in an import block: it is number, not a map, set or list -- give a map (each.key is its key), a set of strings, or a list (each.key is the index), built from variables and locals
main.tf:13:3: error: invalid `to` in an import block: an instance key must be a string or a whole number, found bool -- write the resource's address, e.g. `to = aws_subnet.private["us-east-1a"]` (with `for_each`: `to = aws_subnet.private[each.key]`)
main.tf:21:1: error: duplicate import block for `aws_vpc.v["x"]` -- an address can be imported only once; remove one of them
"#
        .trim()
    );
}
