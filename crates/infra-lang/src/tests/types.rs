use infra_model::Value;

use super::{expr_of, run, scope};
use crate::{
    convert, convert_with_defaults, eval, parse_type, parse_type_with_defaults, TypeConstraint,
};

/// Convert the value of `value_src` to the type `type_src`, rendering the result or error.
fn conv(type_src: &str, value_src: &str) -> String {
    let (ty_expr, f) = expr_of(type_src);
    let (ty, defaults) = match parse_type_with_defaults(&ty_expr, &f) {
        Ok(t) => t,
        Err(d) => return format!("type error: {}", d.summary),
    };
    let (value_expr, vf) = expr_of(value_src);
    let value = eval(&value_expr, &scope(), &vf).expect("value evaluates");
    match convert_with_defaults(value, &ty, &defaults) {
        Ok(v) => v.to_string(),
        Err(e) => format!("error: {e}"),
    }
}

fn check(cases: &[(&str, &str, &str)]) {
    let mut failures = Vec::new();
    for (ty, value, expected) in cases {
        let got = conv(ty, value);
        if got != *expected {
            failures.push(format!(
                "  {ty} <- {value}\n    expected: {expected}\n    got:      {got}"
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
fn primitive_conversions() {
    check(&[
        ("string", "\"a\"", "\"a\""),
        ("string", "5", "\"5\""),
        ("string", "1.5", "\"1.5\""),
        ("string", "true", "\"true\""),
        ("string", "[1]", "error: expected string, got list"),
        ("number", "\"5\"", "5"),
        ("number", "\"-1.5\"", "-1.5"),
        (
            "number",
            "\"abc\"",
            "error: expected number, got string \"abc\"",
        ),
        ("number", "true", "error: expected number, got bool true"),
        ("bool", "\"true\"", "true"),
        (
            "bool",
            "\"yes\"",
            "error: expected bool, got string \"yes\"",
        ),
        ("bool", "1", "error: expected bool, got number 1"),
        ("any", "[1, \"a\"]", "[1, \"a\"]"),
        ("string", "null", "null"),
        ("number", "var.unknown", "(known after apply)"),
        ("\"string\"", "1", "\"1\""),
    ]);
}

#[test]
fn collection_conversions() {
    check(&[
        (
            "list(string)",
            "[1, \"a\", true]",
            "[\"1\", \"a\", \"true\"]",
        ),
        (
            "list(number)",
            "[\"1\", \"x\"]",
            "error: element 1: expected number, got string \"x\"",
        ),
        ("list(any)", "[1, \"a\"]", "[\"1\", \"a\"]"),
        ("list", "[1, 2]", "[1, 2]"),
        ("list(string)", "{ a = 1 }", "error: expected list, got map"),
        ("set(string)", "[\"b\", \"a\", \"b\"]", "[\"a\", \"b\"]"),
        ("set(number)", "[3, 1, 3]", "[1, 3]"),
        ("map(number)", "{ a = \"1\", b = 2 }", "{a = 1, b = 2}"),
        (
            "map(number)",
            "{ a = \"x\" }",
            "error: element \"a\": expected number, got string \"x\"",
        ),
        ("map(string)", "[1]", "error: expected map, got list"),
        ("tuple([string, number])", "[1, \"2\"]", "[\"1\", 2]"),
        (
            "tuple([string, number])",
            "[1]",
            "error: expected a tuple of 2 elements, got 1",
        ),
        (
            "list(number)",
            "[1, var.unknown]",
            "[1, (known after apply)]",
        ),
    ]);
}

#[test]
fn object_conversions() {
    check(&[
        (
            "object({ name = string, size = number })",
            "{ name = \"a\", size = \"2\" }",
            "{name = \"a\", size = 2}",
        ),
        (
            "object({ name = string, size = number })",
            "{ name = \"a\" }",
            "error: attribute \"size\" is required",
        ),
        (
            "object({ name = string, size = optional(number) })",
            "{ name = \"a\" }",
            "{name = \"a\", size = null}",
        ),
        (
            "object({ name = string, size = optional(number, 3) })",
            "{ name = \"a\" }",
            "{name = \"a\", size = 3}",
        ),
        (
            "object({ name = string, size = optional(number, 3) })",
            "{ name = \"a\", size = null }",
            "{name = \"a\", size = 3}",
        ),
        (
            "object({ name = string, size = optional(number, 3) })",
            "{ name = \"a\", size = 7 }",
            "{name = \"a\", size = 7}",
        ),
        (
            "object({ name = string })",
            "{ name = \"a\", extra = 1 }",
            "{name = \"a\"}",
        ),
        (
            "object({ name = string })",
            "{ name = [] }",
            "error: attribute \"name\": expected string, got list",
        ),
        (
            "list(object({ name = string, tags = optional(map(string), {}) }))",
            "[{ name = \"a\" }, { name = \"b\", tags = { x = 1 } }]",
            "[{name = \"a\", tags = {}}, {name = \"b\", tags = {x = \"1\"}}]",
        ),
        (
            "map(object({ cidr = string, public = optional(bool, false) }))",
            "{ a = { cidr = \"10.0.0.0/24\" } }",
            "{a = {cidr = \"10.0.0.0/24\", public = false}}",
        ),
        (
            "object({ inner = object({ n = optional(number, 1) }) })",
            "{ inner = {} }",
            "{inner = {n = 1}}",
        ),
        (
            "object({ n = number })",
            "[1]",
            "error: expected object, got list",
        ),
    ]);
}

#[test]
fn type_errors() {
    check(&[
        ("strng", "1", "type error: unknown type \"strng\""),
        ("list(strng)", "1", "type error: unknown type \"strng\""),
        ("list(string, number)", "1", "type error: list(...) takes exactly one argument, got 2"),
        ("optional(string)", "1", "type error: optional(...) is only allowed for an attribute of object({...})"),
        ("object({ n = optional(number, \"x\") })", "1", "type error: invalid default value: expected number, got string \"x\""),
        ("tuple(string)", "1", "type error: tuple(...) takes a list of types, like tuple([string, number])"),
        ("object(string)", "1", "type error: object(...) takes an object of attribute types, like object({ name = string })"),
        ("1 + 2", "1", "type error: invalid type constraint"),
    ]);
    let (e, f) = expr_of("list(strng)");
    let d = parse_type(&e, &f).unwrap_err();
    assert_eq!(d.detail.as_deref(), Some("did you mean \"string\"?"));
    assert_eq!(
        d.span.map(|s| s.to_string()),
        Some("main.tf:1:10".to_string())
    );
}

#[test]
fn parse_type_shapes() {
    let (e, f) = expr_of("list(object({ name = string, size = optional(number, 1), tags = map(string), pair = tuple([bool, any]) }))");
    let ty = parse_type(&e, &f).unwrap();
    let expected = TypeConstraint::List(Box::new(TypeConstraint::Object(
        [
            ("name".to_string(), (TypeConstraint::String, false)),
            ("size".to_string(), (TypeConstraint::Number, true)),
            (
                "tags".to_string(),
                (TypeConstraint::Map(Box::new(TypeConstraint::String)), false),
            ),
            (
                "pair".to_string(),
                (
                    TypeConstraint::Tuple(vec![TypeConstraint::Bool, TypeConstraint::Any]),
                    false,
                ),
            ),
        ]
        .into_iter()
        .collect(),
    )));
    assert_eq!(ty, expected);
    assert_eq!(convert(Value::Unknown, &ty), Ok(Value::Unknown));
    // `convert` without defaults leaves missing optional attributes null.
    let obj = TypeConstraint::Object(
        [("a".to_string(), (TypeConstraint::Number, true))]
            .into_iter()
            .collect(),
    );
    assert_eq!(
        convert(Value::map([("b", Value::from(1i64))]), &obj),
        Ok(Value::map([("a", Value::Null)]))
    );
    assert_eq!(run("1"), "1");
}
