//! Sensitivity marks propagate through every kind of expression, and errors never
//! repeat a marked value.

use std::collections::BTreeMap;

use infra_model::Value;

use super::expr_of;
use crate::eval;

const SECRET: &str = "hunter2-s3cret";

fn scope() -> BTreeMap<String, Value> {
    let var = Value::map([
        ("pw", Value::from(SECRET).mark()),
        ("plain", Value::from("open")),
        ("n", Value::from(3i64).mark()),
        ("flag", Value::Bool(true).mark()),
        (
            "creds",
            Value::map([
                ("user", Value::from("admin")),
                ("pass", Value::from(SECRET)),
            ])
            .mark(),
        ),
        (
            "list",
            Value::List(vec![Value::from(SECRET).mark(), Value::from("b")]),
        ),
    ]);
    BTreeMap::from([("var".to_string(), var)])
}

fn eval_src(src: &str) -> Result<Value, String> {
    let (e, f) = expr_of(src);
    eval(&e, &scope(), &f).map_err(|d| format!("{}: {}", d.summary, d.detail.unwrap_or_default()))
}

#[test]
fn derived_values_stay_marked() {
    let marked = [
        "var.pw",
        "\"prefix-${var.pw}\"",
        "<<EOT\n${var.pw}\nEOT\n",
        "upper(var.pw)",
        "jsonencode({ password = var.pw })",
        "base64encode(var.pw)",
        "format(\"%s:%s\", \"u\", var.pw)",
        "join(\",\", [var.plain, var.pw])",
        "var.flag ? \"a\" : \"b\"",
        "var.n + 1",
        "var.n == 3",
        "!var.flag",
        "var.creds.pass",
        "var.creds[\"user\"]",
        "\"%{if var.flag}yes%{endif}\"",
        "[for x in var.creds : x]",
        "{ for k, v in { a = 1 } : k => v if var.flag }",
        "sensitive(var.plain)",
        "length(var.pw)",
        "var.list[0]",
        "[var.plain][var.n - 3]",
        "{ (var.pw) = 1 }",
        "concat(sensitive([[\"a\"]])...)",
    ];
    for src in &marked {
        let v = eval_src(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert!(v.is_marked(), "{src} lost the mark: {v:?}");
        assert!(
            !v.to_string().contains(SECRET),
            "{src} shows the secret: {v}"
        );
    }
}

#[test]
fn marks_stay_where_they_are_in_collections() {
    let v = eval_src("{ name = var.plain, password = var.pw }").unwrap();
    assert!(!v.is_marked());
    assert_eq!(v.sensitive_mask(), serde_json::json!({ "password": true }));
    let v = eval_src("var.list[1]").unwrap();
    assert!(
        !v.is_marked(),
        "an unmarked element of a list stays unmarked"
    );
}

#[test]
fn nonsensitive_removes_the_mark() {
    let v = eval_src("nonsensitive(\"x-${var.pw}\")").unwrap();
    assert_eq!(v, Value::from(format!("x-{SECRET}")));
    let v = eval_src("nonsensitive(var.creds)").unwrap();
    assert!(!v.has_marks());
}

#[test]
fn errors_never_repeat_a_marked_value() {
    for src in [
        "var.pw + 1",
        "var.pw.attr",
        "var.pw[0]",
        "tonumber(var.pw)",
        "cidrsubnet(var.pw, 8, 1)",
        "var.pw ? 1 : 2",
        "[for x in var.pw : x]",
        "\"%{for x in var.pw}${x}%{endfor}\"",
        "var.creds.pass.x",
        "!var.pw",
    ] {
        let e = match eval_src(src) {
            Ok(v) => panic!("{src} evaluated to {v:?}"),
            Err(e) => e,
        };
        assert!(!e.contains(SECRET), "{src}: error shows the secret: {e}");
    }
}

#[test]
fn conversion_keeps_marks_and_hides_them_in_errors() {
    let v = crate::convert(Value::from("12").mark(), &crate::TypeConstraint::Number).unwrap();
    assert_eq!(v, Value::from(12i64).mark());
    let e = crate::convert(Value::from(SECRET).mark(), &crate::TypeConstraint::Number).unwrap_err();
    assert!(!e.contains(SECRET), "{e}");
}
