//! `aws_iam_policy_document`: rendered locally, no API call, in the Terraform AWS
//! provider's JSON shape: `Version`, optional `Id`, then `Statement` with `Sid`, `Effect`,
//! `Action`, `NotAction`, `Resource`, `NotResource`, `Principal`, `NotPrincipal`,
//! `Condition` in that order. A set with one value renders as a string, with more as an
//! array sorted in reverse (as Terraform does); principals of one type and conditions of
//! one test are merged.

use serde_json::{Map, Value as Json};

use infra_model::Value;
use infra_provider::{ErrorKind, ProviderError};

use crate::util::{get_str, get_strings};

/// A set of strings as Terraform renders it: one value as a string, more as a
/// reverse-sorted array.
fn string_or_list(mut values: Vec<String>) -> Json {
    values.sort();
    values.dedup();
    values.reverse();
    if values.len() == 1 {
        Json::String(values.remove(0))
    } else {
        Json::Array(values.into_iter().map(Json::String).collect())
    }
}

fn principals(blocks: &[Value]) -> Option<Json> {
    if blocks.is_empty() {
        return None;
    }
    let mut by_type: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for b in blocks {
        let ty = get_str(b, "type").unwrap_or("AWS").to_string();
        by_type
            .entry(ty)
            .or_default()
            .extend(get_strings(b, "identifiers"));
    }
    // `type = "*"` with `identifiers = ["*"]` is the anonymous principal, `"Principal": "*"`
    if by_type.len() == 1 {
        if let Some(ids) = by_type.get("*") {
            if ids.iter().all(|i| i == "*") {
                return Some(Json::String("*".into()));
            }
        }
    }
    Some(Json::Object(
        by_type
            .into_iter()
            .map(|(t, ids)| (t, string_or_list(ids)))
            .collect(),
    ))
}

fn conditions(blocks: &[Value]) -> Option<Json> {
    if blocks.is_empty() {
        return None;
    }
    let mut by_test: std::collections::BTreeMap<String, Map<String, Json>> = Default::default();
    for b in blocks {
        let test = get_str(b, "test").unwrap_or_default().to_string();
        let var = get_str(b, "variable").unwrap_or_default().to_string();
        by_test
            .entry(test)
            .or_default()
            .insert(var, string_or_list(get_strings(b, "values")));
    }
    Some(Json::Object(
        by_test
            .into_iter()
            .map(|(t, m)| (t, Json::Object(m)))
            .collect(),
    ))
}

fn statement(st: &Value) -> Json {
    let mut m = Map::new();
    if let Some(sid) = get_str(st, "sid") {
        m.insert("Sid".into(), Json::String(sid.into()));
    }
    m.insert(
        "Effect".into(),
        Json::String(get_str(st, "effect").unwrap_or("Allow").into()),
    );
    for (key, attr) in [
        ("Action", "actions"),
        ("NotAction", "not_actions"),
        ("Resource", "resources"),
        ("NotResource", "not_resources"),
    ] {
        let values = get_strings(st, attr);
        if !values.is_empty() {
            m.insert(key.into(), string_or_list(values));
        }
    }
    let blocks = |k: &str| {
        st.get(k)
            .as_list()
            .map(<[Value]>::to_vec)
            .unwrap_or_default()
    };
    if let Some(p) = principals(&blocks("principals")) {
        m.insert("Principal".into(), p);
    }
    if let Some(p) = principals(&blocks("not_principals")) {
        m.insert("NotPrincipal".into(), p);
    }
    if let Some(c) = conditions(&blocks("condition")) {
        m.insert("Condition".into(), c);
    }
    Json::Object(m)
}

/// The policy document as Terraform renders it (pretty, two-space indent).
pub fn render(args: &Value) -> Result<(String, String), ProviderError> {
    let mut doc = Map::new();
    doc.insert(
        "Version".into(),
        Json::String(get_str(args, "version").unwrap_or("2012-10-17").into()),
    );
    if let Some(id) = get_str(args, "policy_id") {
        doc.insert("Id".into(), Json::String(id.into()));
    }
    let own: Vec<Json> = args
        .get("statement")
        .as_list()
        .unwrap_or_default()
        .iter()
        .map(statement)
        .collect();
    let err = |e: serde_json::Error| {
        ProviderError::new(
            ErrorKind::Other,
            format!("could not render the policy document: {e}"),
        )
    };
    // source documents first, then this document's statements, then the overrides: a
    // statement replaces an earlier one of the same `Sid`, as in the provider
    let mut statements: Vec<Json> = Vec::new();
    let mut source_sids = std::collections::HashSet::new();
    for (i, text) in get_strings(args, "source_policy_documents")
        .iter()
        .enumerate()
    {
        let (_, stmts) = parse_document(text, "source_policy_documents", i)?;
        for st in &stmts {
            if let Some(sid) = st
                .get("Sid")
                .and_then(Json::as_str)
                .filter(|s| !s.is_empty())
            {
                if !source_sids.insert(sid.to_string()) {
                    return Err(ProviderError::new(
                        ErrorKind::Rejected,
                        format!("source_policy_documents: duplicate Sid ({sid}); each statement of the source documents needs its own Sid"),
                    ));
                }
            }
        }
        merge(&mut statements, stmts);
    }
    merge(&mut statements, own);
    for (i, text) in get_strings(args, "override_policy_documents")
        .iter()
        .enumerate()
    {
        let (id, stmts) = parse_document(text, "override_policy_documents", i)?;
        if let Some(id) = id {
            doc.insert("Id".into(), Json::String(id));
        }
        merge(&mut statements, stmts);
    }
    doc.insert("Statement".into(), Json::Array(statements));
    let doc = Json::Object(doc);
    Ok((
        serde_json::to_string_pretty(&doc).map_err(err)?,
        serde_json::to_string(&doc).map_err(err)?,
    ))
}

/// The `Id` and statements of a JSON policy document given in `attr` (a single statement
/// object is one statement, as IAM accepts).
fn parse_document(
    text: &str,
    attr: &str,
    index: usize,
) -> Result<(Option<String>, Vec<Json>), ProviderError> {
    let doc: Json = serde_json::from_str(text).map_err(|e| {
        ProviderError::new(
            ErrorKind::Rejected,
            format!("{attr}[{index}] is not a JSON policy document: {e}"),
        )
    })?;
    let id = doc.get("Id").and_then(Json::as_str).map(str::to_string);
    let statements = match doc.get("Statement") {
        Some(Json::Array(a)) => a.clone(),
        Some(st @ Json::Object(_)) => vec![st.clone()],
        _ => Vec::new(),
    };
    Ok((id, statements))
}

/// Add `new` to `statements`: one with the `Sid` of an existing statement replaces it.
fn merge(statements: &mut Vec<Json>, new: Vec<Json>) {
    for st in new {
        let sid = st
            .get("Sid")
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let existing = sid.as_deref().and_then(|sid| {
            statements
                .iter()
                .position(|e| e.get("Sid").and_then(Json::as_str) == Some(sid))
        });
        match existing {
            Some(i) => statements[i] = st,
            None => statements.push(st),
        }
    }
}

/// The data source's attributes: the arguments plus `json`, `minified_json` and `id` (a
/// hash of the document, as Terraform's is).
pub fn read(args: &Value) -> Result<Value, ProviderError> {
    let (json, minified) = render(args)?;
    let mut out = args.as_map().cloned().unwrap_or_default();
    out.insert("id".into(), Value::string(fnv_hash(&minified)));
    out.insert("json".into(), Value::string(json));
    out.insert("minified_json".into(), Value::string(minified));
    Ok(Value::Map(out))
}

fn fnv_hash(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::string(*s)).collect())
    }

    #[test]
    fn assume_role_policy_renders_like_terraform() {
        let args = Value::map([(
            "statement",
            Value::List(vec![Value::map([
                ("effect", Value::string("Allow")),
                ("actions", list(&["sts:AssumeRole"])),
                (
                    "principals",
                    Value::List(vec![Value::map([
                        ("type", Value::string("Service")),
                        ("identifiers", list(&["eks.amazonaws.com"])),
                    ])]),
                ),
            ])]),
        )]);
        let (json, _) = render(&args).unwrap();
        let want = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "sts:AssumeRole",
      "Principal": {
        "Service": "eks.amazonaws.com"
      }
    }
  ]
}"#;
        assert_eq!(json, want);
    }

    #[test]
    fn sets_render_reverse_sorted_and_conditions_merge() {
        let args = Value::map([
            ("policy_id", Value::string("p1")),
            (
                "statement",
                Value::List(vec![Value::map([
                    ("sid", Value::string("S3")),
                    (
                        "actions",
                        list(&["s3:GetObject", "s3:PutObject", "s3:GetObject"]),
                    ),
                    ("resources", list(&["arn:aws:s3:::b/*"])),
                    (
                        "principals",
                        Value::List(vec![
                            Value::map([
                                ("type", Value::string("AWS")),
                                ("identifiers", list(&["arn:a"])),
                            ]),
                            Value::map([
                                ("type", Value::string("AWS")),
                                ("identifiers", list(&["arn:b"])),
                            ]),
                        ]),
                    ),
                    (
                        "condition",
                        Value::List(vec![
                            Value::map([
                                ("test", Value::string("StringEquals")),
                                ("variable", Value::string("aws:x")),
                                ("values", list(&["1"])),
                            ]),
                            Value::map([
                                ("test", Value::string("StringEquals")),
                                ("variable", Value::string("aws:y")),
                                ("values", list(&["a", "b"])),
                            ]),
                        ]),
                    ),
                ])]),
            ),
        ]);
        let (_, min) = render(&args).unwrap();
        assert_eq!(
            min,
            r#"{"Version":"2012-10-17","Id":"p1","Statement":[{"Sid":"S3","Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::b/*","Principal":{"AWS":["arn:b","arn:a"]},"Condition":{"StringEquals":{"aws:x":"1","aws:y":["b","a"]}}}]}"#
        );
    }

    #[test]
    fn source_and_override_documents_merge_by_sid() {
        let src = r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"B","Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#;
        let over = r#"{"Version":"2012-10-17","Statement":[{"Sid":"B","Effect":"Deny","Action":"ec2:*","Resource":"*"},{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}"#;
        let args = Value::map([
            ("source_policy_documents", list(&[src])),
            ("override_policy_documents", list(&[over])),
            (
                "statement",
                Value::List(vec![Value::map([
                    ("sid", Value::string("A")),
                    ("actions", list(&["kms:*"])),
                    ("resources", list(&["*"])),
                ])]),
            ),
        ]);
        let (_, min) = render(&args).unwrap();
        let doc: Json = serde_json::from_str(&min).unwrap();
        let st = doc["Statement"].as_array().unwrap();
        assert_eq!(st.len(), 3, "{min}");
        assert_eq!(st[0]["Action"], "kms:*");
        assert_eq!(st[1]["Effect"], "Deny");
        assert_eq!(st[2]["Action"], "sqs:*");
        let dup = Value::map([("source_policy_documents", list(&[src, src]))]);
        assert!(render(&dup).unwrap_err().message.contains("duplicate Sid"));
        let none = Value::map([
            ("source_policy_documents", Value::List(vec![])),
            ("override_policy_documents", Value::Null),
        ]);
        assert_eq!(
            serde_json::from_str::<Json>(&render(&none).unwrap().1).unwrap()["Statement"],
            Json::Array(vec![])
        );
    }

    #[test]
    fn anonymous_principal_is_a_star() {
        let args = Value::map([(
            "statement",
            Value::List(vec![Value::map([
                ("actions", list(&["s3:GetObject"])),
                (
                    "principals",
                    Value::List(vec![Value::map([
                        ("type", Value::string("*")),
                        ("identifiers", list(&["*"])),
                    ])]),
                ),
            ])]),
        )]);
        let (_, min) = render(&args).unwrap();
        assert!(min.contains(r#""Principal":"*""#), "{min}");
        let v = read(&args).unwrap();
        assert!(infra_model::policy::json_equivalent(
            v.get("json").as_str().unwrap(),
            &min
        ));
    }
}
