//! `removed` blocks: lowering and load-time checks (the planner's side is in infra-plan).

use super::*;
use infra_model::Address;

fn errors(main: &str) -> String {
    let (_, diags) = load(&input(&[("main.tf", main)]));
    render(&diags)
}

#[test]
fn removed_blocks_are_lowered_with_their_module_path() {
    let mut i = input(&[(
        "main.tf",
        r#"
module "net" {
  source = "./modules/net"
}
removed {
  from = aws_vpc.old
  lifecycle {
    destroy = false
  }
}
removed {
  from = module.legacy
}
"#,
    )]);
    i.modules.insert(
        "modules/net".into(),
        vec![file(
            "modules/net/main.tf",
            "removed {\n  from = aws_subnet.s\n  lifecycle {\n    destroy = false\n  }\n}\n",
        )],
    );
    let stack = load_ok(&i);
    let got: Vec<(String, bool)> = stack
        .removed_blocks()
        .iter()
        .map(|r| (r.from.to_string(), r.destroy))
        .collect();
    assert_eq!(
        got,
        [
            ("aws_vpc.old".to_string(), false),
            ("module.legacy".to_string(), true),
            ("module.net.aws_subnet.s".to_string(), false),
        ]
    );
    let r = &stack.removed_blocks()[2];
    assert!(r.covers(&Address::parse("module.net.aws_subnet.s[3]").unwrap()));
}

#[test]
fn removed_block_errors_at_load() {
    let got = errors(
        r#"resource "aws_vpc" "kept" {
  cidr_block = "10.0.0.0/16"
}
removed {
  from = aws_vpc.kept
}
removed {
  from = aws_vpc.a[0]
}
removed {
  from = data.aws_region.here
}
removed {
  from = aws_vpc.b
  lifecycle {
    destroy = var.keep
  }
}
removed {
  from = aws_vpc.c
  to   = aws_vpc.d
}
removed {
  lifecycle {
    destroy = false
  }
}
removed {
  from = aws_vpc.e
}
removed {
  from = aws_vpc.e
}
"#,
    );
    assert_eq!(
        got.trim(),
        r#"
main.tf:8:3: error: invalid `from` in a removed block: instance keys are not allowed: a removed block covers every instance -- write a resource (`aws_vpc.old`) or a module call (`module.net`) without instance keys or quotes
main.tf:11:3: error: invalid `from` in a removed block: data sources are not in the state to remove -- write a resource (`aws_vpc.old`) or a module call (`module.net`) without instance keys or quotes
main.tf:16:15: error: `destroy` in a removed block must be `true` or `false` -- write the literal value: it is decided before any expression is evaluated
main.tf:21:3: error: unknown argument `to` in a removed block -- write it as `removed { from = aws_vpc.old  lifecycle { destroy = false } }` (or `from = module.net`)
main.tf:23:1: error: a removed block needs `from` -- write it as `removed { from = aws_vpc.old  lifecycle { destroy = false } }` (or `from = module.net`)
main.tf:31:1: error: `aws_vpc.e` is removed by two removed blocks -- keep one of them
main.tf:4:1: error: `aws_vpc.kept` is in a removed block but still declared in the configuration -- delete its block too (a removed block says it is gone), or delete the removed block to keep managing it
"#
        .trim()
    );
}
