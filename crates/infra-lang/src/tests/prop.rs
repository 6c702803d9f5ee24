use proptest::prelude::*;

use super::{file, scope};
use crate::{eval, parse, references};

/// Fragments that make the generated input look like HCL, so the parser gets deep.
fn hclish() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "a",
        " = ",
        "\"",
        "${",
        "%{",
        "}",
        "{",
        "[",
        "]",
        "(",
        ")",
        "1",
        "0.5",
        "var.x",
        "[*]",
        ".*",
        "for ",
        " in ",
        " : ",
        "=>",
        "...",
        "?",
        ":",
        "if ",
        "endif",
        "endfor",
        "else",
        "~",
        "<<EOT\n",
        "\nEOT\n",
        "\n",
        ",",
        "+",
        "-",
        "!",
        "==",
        "&&",
        "null",
        "true",
        "cidrsubnet(",
        "try(",
        "#",
        "//",
        "/*",
        "*/",
        "\\",
        "$$",
        "%%",
    ]);
    prop::collection::vec(atoms, 0..60).prop_map(|v| v.concat())
}

fn exercise(src: &str) {
    let f = file(src);
    let (body, _) = parse(&f);
    if let Some(body) = body {
        for attr in body.attributes() {
            let _ = eval(&attr.value, &scope(), &f);
            let _ = references(&attr.value, &f);
        }
    }
    // Also as the value of an attribute.
    let f = file(&format!("x = {src}\n"));
    if let (Some(body), _) = parse(&f) {
        if let Some(attr) = body.get_attribute("x") {
            let _ = eval(&attr.value, &scope(), &f);
            let _ = references(&attr.value, &f);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parse_and_eval_never_panic_on_arbitrary_text(src in "\\PC{0,200}") {
        exercise(&src);
    }

    #[test]
    fn parse_and_eval_never_panic_on_hcl_like_text(src in hclish()) {
        exercise(&src);
    }

    #[test]
    fn functions_never_panic(name in prop::sample::select(crate::FUNCTIONS.to_vec()), args in prop::collection::vec(arb_value(), 0..4)) {
        let _ = crate::call_function(name, args);
    }
}

fn arb_value() -> impl Strategy<Value = infra_model::Value> {
    use infra_model::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        Just(Value::Unknown),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![
            (-300i64..300).prop_map(|n| n as f64),
            any::<f64>().prop_filter("finite", |f| f.is_finite())
        ]
        .prop_map(Value::Number),
        prop_oneof![
            "\\PC{0,12}",
            Just("10.0.0.0/16".to_string()),
            Just("fd00::/56".to_string()),
            Just("%s %d %[2]v".to_string()),
            Just("/a(b)?/".to_string())
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            prop::collection::btree_map("[a-c]{1,2}", inner, 0..3).prop_map(Value::Map),
        ]
    })
}
