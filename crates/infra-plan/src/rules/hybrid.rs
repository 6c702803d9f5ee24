//! Value rules of what terraform-aws-eks's hybrid-nodes example writes besides the
//! cluster: the local provider's files (their content comes from exactly one argument, the
//! provider's `ExactlyOneOf`) and the SSM activation (`registration_limit` in SSM's range).

use infra_model::Value;

/// `local_file` / `local_sensitive_file`: exactly one content argument (an unknown value
/// is set: it will be known at apply).
pub(super) fn local_file(type_name: &str, c: &Value) -> Vec<(String, String)> {
    let names: &[&str] = if type_name == "local_file" {
        &["content", "sensitive_content", "content_base64", "source"]
    } else {
        &["content", "content_base64", "source"]
    };
    let given: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !c.get(n).is_null())
        .collect();
    if given.len() == 1 {
        return Vec::new();
    }
    let summary = if given.is_empty() {
        format!("no content: set one of {}", names.join(", "))
    } else {
        format!("{} conflict", given.join(" and "))
    };
    vec![(
        summary,
        format!(
            "the file's content comes from exactly one of {}",
            names.join(", ")
        ),
    )]
}

/// `aws_ssm_activation`: SSM registers 1 to 1,000 machines per activation.
pub(super) fn activation(c: &Value) -> Vec<(String, String)> {
    match c.get("registration_limit").as_f64() {
        Some(n) if n.fract() != 0.0 || !(1.0..=1000.0).contains(&n) => vec![(
            format!("registration_limit: {n} is outside 1 .. 1000"),
            "SSM registers from 1 (the default) to 1000 machines with one activation".into(),
        )],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_content_argument_and_a_limit_in_range() {
        let c = |pairs: &[(&str, Value)]| {
            Value::Map(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            )
        };
        let one = c(&[("content", Value::string("x")), ("source", Value::Null)]);
        assert!(local_file("local_file", &one).is_empty());
        let unknown = c(&[("content_base64", Value::Unknown)]);
        assert!(local_file("local_sensitive_file", &unknown).is_empty());
        let none = local_file("local_file", &c(&[]));
        assert!(none[0].0.starts_with("no content"), "{none:?}");
        let two = c(&[
            ("content", Value::string("x")),
            ("source", Value::string("f")),
        ]);
        assert_eq!(
            local_file("local_file", &two)[0].0,
            "content and source conflict"
        );
        // the sensitive file has no sensitive_content: it is not a content argument there
        let s = c(&[("sensitive_content", Value::string("x"))]);
        assert!(!local_file("local_sensitive_file", &s).is_empty());
        for (n, ok) in [
            (1.0, true),
            (1000.0, true),
            (0.0, false),
            (1001.0, false),
            (2.5, false),
        ] {
            let a = c(&[("registration_limit", Value::Number(n))]);
            assert_eq!(activation(&a).is_empty(), ok, "{n}");
        }
    }
}
