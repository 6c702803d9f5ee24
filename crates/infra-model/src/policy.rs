//! Semantic comparison of IAM policy documents (`AttrType::Json` attributes).
//!
//! Two documents are equivalent when they differ only in formatting, key order, the order
//! of statements and of values in a list, a single value written as a string or as a
//! one-element list, an empty `Sid`, a `"*"` principal written as `{"AWS": "*"}`, and
//! booleans or numbers written as strings (condition values). This is what the Terraform
//! AWS provider's policy equivalence accepts.

use serde_json::{Map, Value as Json};

/// Whether two JSON documents are the same policy. Text that is not JSON compares as text.
pub fn json_equivalent(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (
        serde_json::from_str::<Json>(a),
        serde_json::from_str::<Json>(b),
    ) {
        (Ok(x), Ok(y)) => normalize(&x) == normalize(&y),
        _ => false,
    }
}

/// The canonical form two equivalent policies share.
pub fn normalize(v: &Json) -> Json {
    match v {
        Json::Bool(b) => Json::String(b.to_string()),
        Json::Number(n) => Json::String(n.to_string()),
        Json::Array(items) => {
            let mut norm: Vec<Json> = items.iter().map(normalize).collect();
            norm.sort_by_cached_key(|x| x.to_string());
            norm.dedup();
            if norm.len() == 1 {
                norm.pop().unwrap_or(Json::Null)
            } else {
                Json::Array(norm)
            }
        }
        Json::Object(m) => {
            let mut out = Map::new();
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                let val = &m[k];
                if k == "Sid" && val.as_str() == Some("") {
                    continue;
                }
                let norm = match (k.as_str(), val) {
                    ("Principal" | "NotPrincipal", Json::String(s)) if s == "*" => {
                        let mut p = Map::new();
                        p.insert("AWS".into(), Json::String("*".into()));
                        Json::Object(p)
                    }
                    _ => normalize(val),
                };
                out.insert(k.clone(), norm);
            }
            Json::Object(out)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eq(a: &str, b: &str) -> bool {
        json_equivalent(a, b)
    }

    #[test]
    fn formatting_order_and_single_values_do_not_matter() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"eks.amazonaws.com"}}]}"#;
        let b = r#"{
          "Statement": {"Principal": {"Service": ["eks.amazonaws.com"]},
                        "Action": ["sts:AssumeRole"], "Sid": "", "Effect": "Allow"},
          "Version": "2012-10-17"
        }"#;
        assert!(eq(a, b));
    }

    #[test]
    fn statement_and_action_order_do_not_matter() {
        let a = r#"{"Statement":[{"Effect":"Allow","Action":["s3:Get","s3:Put"]},{"Effect":"Deny","Action":"ec2:*"}]}"#;
        let b = r#"{"Statement":[{"Effect":"Deny","Action":["ec2:*"]},{"Effect":"Allow","Action":["s3:Put","s3:Get","s3:Get"]}]}"#;
        assert!(eq(a, b));
    }

    #[test]
    fn principal_star_and_condition_scalars() {
        let a = r#"{"Statement":[{"Principal":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}]}"#;
        let b = r#"{"Statement":[{"Principal":{"AWS":["*"]},"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
        assert!(eq(a, b));
    }

    #[test]
    fn real_differences_are_differences() {
        let a = r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#;
        let b = r#"{"Statement":[{"Effect":"Deny","Action":"sts:AssumeRole"}]}"#;
        let c =
            r#"{"Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"]}]}"#;
        assert!(!eq(a, b));
        assert!(!eq(a, c));
        assert!(!eq(a, "not json"));
        assert!(eq("not json", "not json"));
    }
}
