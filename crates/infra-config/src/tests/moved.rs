//! `moved` blocks: lowering, load-time checks, and resolution against state addresses.

use super::*;
use infra_model::Address;

/// Load `files`, resolve their moved blocks against `state` (addresses), and compare the
/// renames (`old -> new` per line) and the diagnostics (rendered, after a blank line).
fn check(files: &[(&str, &str)], state: &[&str], expected: &str) {
    let mut input = input(files);
    input.modules.insert(
        "./modules/net".trim_start_matches("./").to_string(),
        vec![file(
            "modules/net/main.tf",
            "resource \"aws_vpc\" \"b\" {\n  cidr_block = \"10.0.0.0/16\"\n}\nmoved {\n  from = aws_vpc.a\n  to   = aws_vpc.b\n}\n",
        )],
    );
    let stack = load_ok(&input);
    let addrs: Vec<Address> = state.iter().map(|s| Address::parse(s).unwrap()).collect();
    let span = |a: &Address| stack.resource(a).and_then(|r| r.span.clone());
    let (renames, diags) = crate::resolve_moves(&stack.moved_blocks(), &addrs, &span);
    let mut got: Vec<String> = renames.iter().map(|(o, n)| format!("{o} -> {n}")).collect();
    got.sort();
    if !diags.is_empty() {
        got.push(String::new());
        got.push(render(&diags));
        for d in &diags {
            for (s, note) in &d.related {
                got.push(format!("  {s}: {note}"));
            }
        }
    }
    assert_eq!(got.join("\n").trim(), expected.trim());
}

const MAIN: &str = r#"
resource "aws_vpc" "c" {
  cidr_block = "10.0.0.0/16"
}
resource "aws_subnet" "s" {
  for_each   = toset(["x", "y"])
  vpc_id     = aws_vpc.c.id
  cidr_block = "10.0.0.0/24"
}
moved {
  from = aws_vpc.a
  to   = aws_vpc.b
}
moved {
  from = aws_vpc.b
  to   = aws_vpc.c
}
moved {
  from = aws_subnet.old["a"]
  to   = aws_subnet.s["x"]
}
moved {
  from = aws_subnet.t
  to   = aws_subnet.s
}
moved {
  from = module.network
  to   = module.net
}
module "net" {
  source = "./modules/net"
}
"#;

#[test]
fn moves_resources_instances_chains_and_modules() {
    check(
        &[("main.tf", MAIN)],
        &[
            "aws_vpc.a",
            "aws_subnet.old[\"a\"]",
            "aws_subnet.old[\"b\"]",
            "aws_subnet.t[\"y\"]",
            "module.network.aws_vpc.a",
            "aws_vpc.gone_from_config",
        ],
        r#"
aws_subnet.old["a"] -> aws_subnet.s["x"]
aws_subnet.t["y"] -> aws_subnet.s["y"]
aws_vpc.a -> aws_vpc.c
module.network.aws_vpc.a -> module.net.aws_vpc.b
"#,
    );
}

#[test]
fn a_move_onto_an_existing_object_is_an_error_naming_both_blocks() {
    check(
        &[("main.tf", MAIN)],
        &["aws_vpc.b", "aws_vpc.c"],
        r#"
main.tf:14:1: error: cannot move `aws_vpc.b` to `aws_vpc.c`: the state already has an object at `aws_vpc.c` -- remove the moved block, or first remove the object at `aws_vpc.c` from the state (`infra state rm aws_vpc.c`) or from the configuration
  main.tf:2:1: the block of `aws_vpc.c`
"#,
    );
}

#[test]
fn moved_block_errors_at_load() {
    check_errors(
        &[(
            "main.tf",
            r#"resource "aws_vpc" "b" {
  cidr_block = "10.0.0.0/16"
}
moved {
  from = aws_vpc.a
  to   = aws_subnet.b
}
moved {
  from = aws_vpc.a[0]
  to   = aws_vpc.b
}
moved {
  from = data.aws_region.x
  to   = aws_vpc.b
}
moved {
  from = aws_vpc.x
  to   = aws_vpc.b
}
moved {
  from = aws_vpc.x
  to   = aws_vpc.y
  by   = 1
}
moved {
  to = aws_vpc.b
}
"#,
        )],
        r#"
main.tf:4:1: error: cannot move `aws_vpc.a` to `aws_subnet.b`: the resource types differ -- a moved block renames an object; it cannot change its type
main.tf:8:1: error: cannot move `aws_vpc.a[0]` to `aws_vpc.b`: one names an instance, the other the whole block -- give both addresses an instance key, or neither
main.tf:13:3: error: invalid `from` in a moved block: data sources are read again, not moved -- write a resource address (`aws_vpc.a`, `aws_vpc.a[0]`, `aws_vpc.a["k"]`) or a module call (`module.net`, `module.net["k"]`) without quotes
main.tf:23:3: error: unknown argument `by` in a moved block -- a moved block takes `from` and `to`
main.tf:25:1: error: a moved block needs `from` -- write it as `moved { from = aws_vpc.old  to = aws_vpc.new }`
main.tf:20:1: error: `aws_vpc.x` is moved by two moved blocks -- keep one of the moved blocks
"#,
    );
}
