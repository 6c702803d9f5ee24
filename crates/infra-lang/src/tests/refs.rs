use super::expr_of;
use crate::{references, Step};

/// Render every reference in `src` as `root.steps@col`, joined by spaces.
fn refs(src: &str) -> String {
    let (expr, f) = expr_of(src);
    references(&expr, &f)
        .iter()
        .map(|r| {
            let mut s = r.root.clone();
            for step in &r.steps {
                match step {
                    Step::Attr(a) => s.push_str(&format!(".{a}")),
                    Step::Index(Some(v)) => s.push_str(&format!("[{v}]")),
                    Step::Index(None) => s.push_str("[?]"),
                    Step::Splat => s.push_str("[*]"),
                }
            }
            let span = r
                .span
                .as_ref()
                .map(|sp| format!("@{}:{}", sp.line, sp.col))
                .unwrap_or_default();
            s + &span
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn check(cases: &[(&str, &str)]) {
    let mut failures = Vec::new();
    for (src, expected) in cases {
        let got = refs(src);
        if got != *expected {
            failures.push(format!(
                "  {src}\n    expected: {expected}\n    got:      {got}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn references_in_source_order() {
    // `x = ` is four columns, so the expression starts at column 5.
    check(&[
        ("1", ""),
        ("var.name", "var.name@1:5"),
        ("foo", "foo@1:5"),
        (
            "aws_subnet.private[\"a\"].id",
            "aws_subnet.private[\"a\"].id@1:5",
        ),
        ("aws_subnet.public[0].id", "aws_subnet.public[0].id@1:5"),
        ("aws_subnet.public.0.id", "aws_subnet.public[0].id@1:5"),
        ("aws_subnet.public[*].id", "aws_subnet.public[*].id@1:5"),
        ("aws_subnet.public.*.id", "aws_subnet.public[*].id@1:5"),
        (
            "aws_subnet.public[count.index].id",
            "aws_subnet.public[?].id@1:5 count.index@1:23",
        ),
        (
            "aws_subnet.x[\"${each.key}\"].id",
            "aws_subnet.x[?].id@1:5 each.key@1:21",
        ),
        ("aws_subnet.x[\"lit${\"a\"}\"]", "aws_subnet.x[?]@1:5"),
        ("\"${var.a}-${local.b}\"", "var.a@1:8 local.b@1:17"),
        ("<<EOT\n${var.a}\nEOT", "var.a@2:3"),
        (
            "\"%{if var.c}${var.d}%{else}${var.e}%{endif}\"",
            "var.c@1:11 var.d@1:19 var.e@1:34",
        ),
        (
            "\"%{for x in var.l}${x}${var.y}%{endfor}\"",
            "var.l@1:17 var.y@1:29",
        ),
        ("var.a ? var.b : var.c", "var.a@1:5 var.b@1:13 var.c@1:21"),
        ("max(var.a, length(local.b)...)", "var.a@1:9 local.b@1:23"),
        ("-var.a + var.b * 2", "var.a@1:6 var.b@1:14"),
        (
            "[var.a, { k = var.b, (var.c) = 1 }]",
            "var.a@1:6 var.b@1:19 var.c@1:27",
        ),
        (
            "[for s in aws_subnet.x : s.id if s.id != var.skip]",
            "aws_subnet.x@1:15 var.skip@1:46",
        ),
        ("{for k, v in var.m : k => v...}", "var.m@1:18"),
        (
            "[for s in var.l : [for t in s : t + s + var.z]]",
            "var.l@1:15 var.z@1:45",
        ),
        ("(var.a).b", "var.a@1:6"),
        ("try(var.a.b, null)", "var.a.b@1:9"),
        ("var.a[var.b[0]]", "var.a[?]@1:5 var.b[0]@1:11"),
    ]);
}

#[test]
fn for_bound_names_are_scoped() {
    // `x` is bound only inside the for expression; the later `x` is a reference.
    check(&[
        ("concat([for x in var.l : x], [x])", "var.l@1:22 x@1:35"),
        (
            "[for i, v in var.l : i + v + count.index]",
            "var.l@1:18 count.index@1:34",
        ),
    ]);
}

#[test]
fn dynamic_iterators_can_be_excluded() {
    let (expr, f) = expr_of("\"${setting.value}-${var.suffix}\"");
    let roots: Vec<String> = crate::references_excluding(&expr, &f, &["setting"])
        .into_iter()
        .map(|r| r.root)
        .collect();
    assert_eq!(roots, ["var"]);
    let roots: Vec<String> = references(&expr, &f).into_iter().map(|r| r.root).collect();
    assert_eq!(roots, ["setting", "var"]);
}
