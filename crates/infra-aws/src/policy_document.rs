//! `aws_iam_policy_document`: rendered locally, no API call, in the Terraform AWS
//! provider's JSON shape: `Version`, optional `Id`, then `Statement` with `Sid`, `Effect`,
//! `Action`, `NotAction`, `Resource`, `NotResource`, `Principal`, `NotPrincipal`,
//! `Condition` in that order. A set with one value renders as a string, with more as an
//! array sorted in reverse (as Terraform does); principals of one type and conditions of
//! one test are merged; condition values keep their order. `source_policy_documents` and
//! `override_policy_documents` are merged around the statements by `policy_merge`.

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
            .extend(vars(get_strings(b, "identifiers")));
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
    let mut by_test: std::collections::BTreeMap<_, std::collections::BTreeMap<_, Vec<String>>> =
        Default::default();
    for b in blocks {
        let test = get_str(b, "test").unwrap_or_default().to_string();
        let var = get_str(b, "variable").unwrap_or_default().to_string();
        by_test
            .entry(test)
            .or_default()
            .entry(var)
            .or_default()
            .extend(vars(get_strings(b, "values")));
    }
    Some(crate::policy_merge::conditions_json(by_test))
}

/// `&{aws:username}` written for `${aws:username}` (which HCL would interpolate).
fn vars(values: Vec<String>) -> Vec<String> {
    values.into_iter().map(|v| v.replace("&{", "${")).collect()
}

fn statement(st: &Value) -> Map<String, Json> {
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
        let mut values = get_strings(st, attr);
        if attr.ends_with("resources") {
            values = vars(values);
        }
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
    m
}

/// A list-of-documents argument, nulls kept in place (they are skipped, not counted out).
fn documents(args: &Value, key: &str) -> Vec<Option<String>> {
    args.get(key)
        .as_list()
        .unwrap_or_default()
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// The policy document as Terraform renders it (pretty, two-space indent; minified).
pub fn render(args: &Value) -> Result<(String, String), ProviderError> {
    let mut merged =
        crate::policy_merge::merge_sources(&documents(args, "source_policy_documents"))?;
    let statements: Vec<Map<String, Json>> = args
        .get("statement")
        .as_list()
        .unwrap_or_default()
        .iter()
        .map(statement)
        .collect();
    let mut sids = std::collections::HashSet::new();
    for st in &statements {
        if let Some(sid) = st.get("Sid").and_then(Json::as_str) {
            if !sids.insert(sid) {
                return Err(ProviderError::new(
                    ErrorKind::Other,
                    format!(
                        "duplicate Sid ({sid}) in the statements: remove the Sid or make it unique"
                    ),
                ));
            }
        }
    }
    merged.merge(crate::policy_merge::Doc {
        version: get_str(args, "version").unwrap_or("2012-10-17").into(),
        id: get_str(args, "policy_id").unwrap_or_default().into(),
        statements,
    });
    for (i, d) in documents(args, "override_policy_documents")
        .iter()
        .enumerate()
    {
        if let Some(d) = d {
            merged.merge(crate::policy_merge::parse(
                d,
                "override_policy_documents",
                i,
            )?);
        }
    }
    let doc = merged.to_json();
    let err = |e: serde_json::Error| {
        ProviderError::new(
            ErrorKind::Other,
            format!("could not render the policy document: {e}"),
        )
    };
    Ok((
        crate::policy_merge::go_escape(&serde_json::to_string_pretty(&doc).map_err(err)?),
        crate::policy_merge::go_escape(&serde_json::to_string(&doc).map_err(err)?),
    ))
}

/// The data source's attributes: the arguments plus `json`, `minified_json` and `id` (a
/// hash of the document, as Terraform's is).
pub fn read(args: &Value) -> Result<Value, ProviderError> {
    let (json, minified) = render(args)?;
    let mut out = args.as_map().cloned().unwrap_or_default();
    out.insert(
        "id".into(),
        Value::string(crate::policy_merge::hashcode(&json)),
    );
    out.insert("json".into(), Value::string(json));
    out.insert("minified_json".into(), Value::string(minified));
    Ok(Value::Map(out))
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
            r#"{"Version":"2012-10-17","Id":"p1","Statement":[{"Sid":"S3","Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::b/*","Principal":{"AWS":["arn:b","arn:a"]},"Condition":{"StringEquals":{"aws:x":"1","aws:y":["a","b"]}}}]}"#
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

    #[test]
    fn source_and_override_documents_merge_by_sid_like_terraform() {
        let source = r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"Root","Effect":"Allow","Action":"kms:*","Resource":"*",
             "Principal":{"AWS":"arn:aws:iam::111122223333:root"}},
            {"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}"#;
        let over = r#"{"Statement":[{"Sid":"Admin","Effect":"Deny","Action":"kms:Delete*","Resource":"*"}]}"#;
        let args = Value::map([
            (
                "source_policy_documents",
                Value::List(vec![Value::string(source), Value::Null]),
            ),
            (
                "override_policy_documents",
                Value::List(vec![Value::string(over)]),
            ),
            (
                "statement",
                Value::List(vec![
                    Value::map([
                        ("sid", Value::string("Admin")),
                        ("actions", list(&["kms:Create*", "kms:Describe*"])),
                        ("resources", list(&["*"])),
                    ]),
                    Value::map([
                        ("sid", Value::string("Root")),
                        ("actions", list(&["kms:*"])),
                        ("resources", list(&["arn:aws:s3:::b/&{aws:username}"])),
                    ]),
                ]),
            ),
        ]);
        let (pretty, min) = render(&args).unwrap();
        assert_eq!(
            min,
            concat!(
                r#"{"Version":"2012-10-17","Statement":["#,
                r#"{"Sid":"Root","Effect":"Allow","Action":"kms:*","Resource":"arn:aws:s3:::b/${aws:username}"},"#,
                r#"{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"},"#,
                r#"{"Sid":"Admin","Effect":"Deny","Action":"kms:Delete*","Resource":"*"}]}"#
            )
        );
        assert!(pretty.starts_with("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"Root\""), "{pretty}");
        let dup = Value::map([(
            "source_policy_documents",
            Value::List(vec![Value::string(source), Value::string(source)]),
        )]);
        assert!(render(&dup).unwrap_err().to_string().contains("Sid"));
        // no statements at all: the provider omits the empty list
        let (_, empty) = render(&Value::map([("version", Value::string("2012-10-17"))])).unwrap();
        assert_eq!(empty, r#"{"Version":"2012-10-17"}"#);
    }
}
