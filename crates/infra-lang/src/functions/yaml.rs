//! `yamldecode`: one YAML 1.2 document (core schema: `true`/`false`, `null`/`~`, integers
//! and floats untagged), read by yaml-rust2, into the values Terraform's `yamldecode`
//! gives: mappings are objects with string keys (a scalar key is its text), sequences are
//! tuples. An empty document is null; more than one document is an error.

use infra_model::Value;
use yaml_rust2::{Yaml, YamlLoader};

use super::{Args, FnResult};

pub(super) fn decode(a: &Args) -> FnResult {
    let text = a.string(0, "src")?;
    let docs = YamlLoader::load_from_str(&text).map_err(|e| {
        a.bad(
            "src",
            format!(
                "invalid YAML on line {}, column {}: {}",
                e.marker().line(),
                e.marker().col() + 1,
                e.info()
            ),
        )
    })?;
    match docs.as_slice() {
        [] => Ok(Value::Null),
        [doc] => value(doc).map_err(|m| a.bad("src", m)),
        more => Err(a.bad(
            "src",
            format!(
                "{} YAML documents; yamldecode reads exactly one",
                more.len()
            ),
        )),
    }
}

fn value(y: &Yaml) -> Result<Value, String> {
    Ok(match y {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Integer(i) => Value::Number(*i as f64),
        Yaml::Real(text) => match y.as_f64() {
            Some(f) if f.is_finite() => Value::Number(f),
            _ => return Err(format!("the number {text} cannot be represented")),
        },
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Array(items) => Value::List(items.iter().map(value).collect::<Result<_, _>>()?),
        Yaml::Hash(h) => Value::Map(
            h.iter()
                .map(|(k, v)| Ok((key(k)?, value(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        Yaml::Alias(_) => return Err("an alias to an anchor that is not defined".into()),
        Yaml::BadValue => return Err("a value that cannot be read".into()),
    })
}

/// A mapping key: a scalar's text (`1: x` has the key `"1"`).
fn key(k: &Yaml) -> Result<String, String> {
    Ok(match k {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Null => "null".into(),
        _ => return Err("a mapping key that is not a scalar (a list or a mapping)".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_str(s: &str) -> FnResult {
        decode(&Args {
            f: "yamldecode",
            args: vec![Value::String(s.into())],
        })
    }

    #[test]
    fn documents_decode_to_objects_tuples_and_scalars() {
        let v = decode_str(
            "name: web\nreplicas: 3\nratio: 0.5\nenabled: true\nnothing: ~\nports:\n  - 80\n  - \"443\"\nnested: {a: [1, {b: null}]}\n1: one\n",
        )
        .unwrap();
        assert_eq!(v.get("name").as_str(), Some("web"));
        assert_eq!(v.get("replicas"), &Value::Number(3.0));
        assert_eq!(v.get("ratio"), &Value::Number(0.5));
        assert_eq!(v.get("enabled"), &Value::Bool(true));
        assert_eq!(v.get("nothing"), &Value::Null);
        assert_eq!(
            v.get("ports"),
            &Value::List(vec![Value::Number(80.0), Value::String("443".into())])
        );
        assert_eq!(
            v.get("1").as_str(),
            Some("one"),
            "scalar keys are their text"
        );
        assert_eq!(
            v.get("nested").get("a"),
            &Value::List(vec![Value::Number(1.0), Value::map([("b", Value::Null)])])
        );
    }

    #[test]
    fn anchors_and_block_scalars() {
        let v = decode_str("base: &b {x: 1}\ncopy: *b\ntext: |\n  line one\n  line two\n").unwrap();
        assert_eq!(v.get("copy"), v.get("base"));
        assert_eq!(v.get("text").as_str(), Some("line one\nline two\n"));
    }

    #[test]
    fn empty_is_null_and_bad_input_is_an_error_naming_the_place() {
        assert_eq!(decode_str("").unwrap(), Value::Null);
        let e = decode_str("a: [1, 2\n").unwrap_err();
        assert!(
            e.starts_with("yamldecode: invalid value for \"src\": invalid YAML on line"),
            "{e}"
        );
        let e = decode_str("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(e.contains("2 YAML documents"), "{e}");
        let e = decode_str("? [1, 2]\n: x\n").unwrap_err();
        assert!(e.contains("not a scalar"), "{e}");
        assert!(decode_str("x: .inf\n")
            .unwrap_err()
            .contains("cannot be represented"));
    }
}
