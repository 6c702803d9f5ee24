//! Collection functions added for public modules: `matchkeys`, `setproduct`, `transpose`,
//! with Terraform's semantics.

use std::collections::BTreeMap;

use infra_model::Value;

use super::{Args, FnResult};

pub(super) fn call(a: Args) -> FnResult {
    match a.f {
        "matchkeys" => {
            let values = a.list(0, "values")?;
            let keys = a.list(1, "keys")?;
            let search = a.list(2, "searchset")?;
            if values.len() != keys.len() {
                return Err(a.bad(
                    "keys",
                    format!(
                        "length of keys ({}) must match length of values ({})",
                        keys.len(),
                        values.len()
                    ),
                ));
            }
            Ok(Value::List(
                values
                    .iter()
                    .zip(keys)
                    .filter(|(_, k)| search.contains(k))
                    .map(|(v, _)| v.clone())
                    .collect(),
            ))
        }
        "setproduct" => {
            let mut out: Vec<Vec<Value>> = vec![vec![]];
            for i in 0..a.args.len() {
                let set = a.list(i, "sets")?;
                let mut next = Vec::with_capacity(out.len() * set.len());
                for prefix in &out {
                    for v in set {
                        let mut p = prefix.clone();
                        p.push(v.clone());
                        next.push(p);
                    }
                }
                out = next;
            }
            if a.args.len() < 2 {
                return Err(a.bad("sets", "at least two arguments are required"));
            }
            Ok(Value::List(out.into_iter().map(Value::List).collect()))
        }
        "transpose" => {
            let m = a.map(0, "values")?;
            let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
            for (k, list) in m {
                let Value::List(items) = list else {
                    return Err(a.bad(
                        "values",
                        format!("the value of \"{k}\" must be a list of strings"),
                    ));
                };
                for v in items {
                    let Some(s) = super::string_of(v) else {
                        return Err(
                            a.bad("values", format!("the list of \"{k}\" must hold strings"))
                        );
                    };
                    out.entry(s).or_default().push(Value::String(k.clone()));
                }
            }
            Ok(Value::Map(
                out.into_iter().map(|(k, v)| (k, Value::List(v))).collect(),
            ))
        }
        other => Err(format!("{other} is not a collection function")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::call;
    use infra_model::Value;

    fn j(v: serde_json::Value) -> Value {
        Value::from_json(&v)
    }

    #[test]
    fn matchkeys_setproduct_transpose() {
        assert_eq!(
            call(
                "matchkeys",
                vec![
                    j(serde_json::json!(["i-123", "i-abc", "i-def"])),
                    j(serde_json::json!(["us-west", "us-east", "us-east"])),
                    j(serde_json::json!(["us-east"]))
                ]
            )
            .unwrap(),
            j(serde_json::json!(["i-abc", "i-def"]))
        );
        assert!(call(
            "matchkeys",
            vec![
                j(serde_json::json!(["a"])),
                j(serde_json::json!([])),
                j(serde_json::json!([]))
            ]
        )
        .is_err());
        assert_eq!(
            call(
                "setproduct",
                vec![
                    j(serde_json::json!(["development", "staging"])),
                    j(serde_json::json!(["app1", "app2"]))
                ]
            )
            .unwrap(),
            j(serde_json::json!([
                ["development", "app1"],
                ["development", "app2"],
                ["staging", "app1"],
                ["staging", "app2"]
            ]))
        );
        assert_eq!(
            call(
                "setproduct",
                vec![j(serde_json::json!(["a"])), j(serde_json::json!([]))]
            )
            .unwrap(),
            j(serde_json::json!([]))
        );
        assert_eq!(
            call(
                "transpose",
                vec![j(serde_json::json!({"a": ["1", "2"], "b": ["2", "3"]}))]
            )
            .unwrap(),
            j(serde_json::json!({"1": ["a"], "2": ["a", "b"], "3": ["b"]}))
        );
    }
}
