//! Data-driven tests: one `check` helper per feature.

mod cidr;
mod eval;
mod files;
mod functions;
mod parse;
mod prop;
mod refs;
mod sensitive;
mod types;

use std::collections::BTreeMap;

use hcl_edit::expr::Expression;
use infra_model::Value;

use crate::SourceFile;

pub(crate) fn file(src: &str) -> SourceFile {
    SourceFile {
        path: "main.tf".into(),
        text: src.to_string(),
    }
}

/// Parse `x = <src>` and return the expression and its file.
pub(crate) fn expr_of(src: &str) -> (Expression, SourceFile) {
    let f = file(&format!("x = {src}\n"));
    let (body, diags) = crate::parse(&f);
    let body = body.unwrap_or_else(|| panic!("parse failed for {src:?}: {diags:?}"));
    let attr = body.get_attribute("x").expect("attribute x").value.clone();
    (attr, f)
}

/// The scope shared by the evaluation tests.
pub(crate) fn scope() -> BTreeMap<String, Value> {
    let var = Value::map([
        ("name", Value::from("web")),
        ("n", Value::from(3i64)),
        ("half", Value::from(0.5)),
        (
            "list",
            Value::List(vec!["a".into(), "b".into(), "c".into()]),
        ),
        (
            "nums",
            Value::List(vec![3i64.into(), 1i64.into(), 2i64.into()]),
        ),
        (
            "m",
            Value::map([("a", Value::from(1i64)), ("b", Value::from(2i64))]),
        ),
        (
            "objs",
            Value::List(vec![
                Value::map([("id", Value::from("i-1"))]),
                Value::map([("id", Value::from("i-2"))]),
            ]),
        ),
        (
            "obj",
            Value::map([
                ("id", Value::from("o-1")),
                ("tags", Value::map([("env", Value::from("prod"))])),
            ]),
        ),
        ("unknown", Value::Unknown),
        ("partial", Value::List(vec![1i64.into(), Value::Unknown])),
        ("nothing", Value::Null),
        ("flag", Value::Bool(true)),
        ("cidr", Value::from("10.0.0.0/16")),
    ]);
    let subnet = Value::map([
        (
            "private",
            Value::map([
                ("a", Value::map([("id", Value::from("subnet-a"))])),
                ("b", Value::map([("id", Value::from("subnet-b"))])),
            ]),
        ),
        (
            "public",
            Value::List(vec![
                Value::map([("id", Value::from("p0"))]),
                Value::map([("id", Value::from("p1"))]),
            ]),
        ),
        (
            "pending",
            Value::map([
                ("id", Value::Unknown),
                ("cidr_block", Value::from("10.0.1.0/24")),
            ]),
        ),
    ]);
    BTreeMap::from([
        ("var".to_string(), var),
        (
            "local".to_string(),
            Value::map([("prefix", Value::from("dev"))]),
        ),
        ("aws_subnet".to_string(), subnet),
        (
            "count".to_string(),
            Value::map([("index", Value::from(1i64))]),
        ),
        (
            "each".to_string(),
            Value::map([("key", Value::from("k")), ("value", Value::from("v"))]),
        ),
    ])
}

/// Evaluate `src` in [`scope`] and render the value (HCL-like) or `error: summary (detail)`.
pub(crate) fn run(src: &str) -> String {
    let (expr, f) = expr_of(src);
    render(crate::eval(&expr, &scope(), &f))
}

pub(crate) fn render(r: Result<Value, infra_model::Diagnostic>) -> String {
    match r {
        Ok(v) => v.to_string(),
        Err(d) => {
            let mut s = format!("error: {}", d.summary);
            if let Some(detail) = d.detail {
                s.push_str(&format!(" ({detail})"));
            }
            s
        }
    }
}

/// Evaluate each `(src, expected)` pair and report every mismatch at once.
pub(crate) fn check_all(cases: &[(&str, &str)]) {
    let mut failures = Vec::new();
    for (src, expected) in cases {
        let got = run(src);
        if got != *expected {
            failures.push(format!(
                "  {src}\n    expected: {expected}\n    got:      {got}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
