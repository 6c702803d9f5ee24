//! `aws_iam_policy_document`'s `source_policy_documents` and `override_policy_documents`,
//! merged as the Terraform AWS provider merges them: the source documents first, in
//! order (a `Sid` repeated across them is an error), then the document's own statements,
//! then the override documents, in order. Each merge takes the newer `Id` when it has
//! one, the greater `Version`, appends statements without a `Sid`, and replaces the
//! statement with the same `Sid` in place (or appends it). A parsed document is written
//! back the way the provider re-encodes it: statement keys in its order, principals
//! and conditions with their keys sorted, principal identifier lists in reverse order,
//! one-value condition lists as a string, unknown keys dropped. Pure.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use infra_provider::{ErrorKind, ProviderError};

/// A policy document between merges.
#[derive(Debug, Default, Clone)]
pub(crate) struct Doc {
    pub version: String,
    pub id: String,
    pub statements: Vec<Map<String, Json>>,
}

fn err(msg: String) -> ProviderError {
    ProviderError::new(ErrorKind::Other, msg)
}

fn sid(st: &Map<String, Json>) -> &str {
    st.get("Sid").and_then(Json::as_str).unwrap_or("")
}

/// The principal set of a parsed statement, re-encoded.
fn principal(v: &Json) -> Result<Option<Json>, String> {
    let mut by_type: BTreeMap<String, Json> = BTreeMap::new();
    match v {
        Json::Null => return Ok(None),
        Json::String(_) => return Ok(Some(Json::String("*".into()))),
        Json::Object(m) => {
            for (k, ids) in m {
                let ids = match ids {
                    Json::String(s) => Json::String(s.clone()),
                    Json::Array(a) => {
                        let mut l = a
                            .iter()
                            .map(|x| {
                                x.as_str().map(str::to_string).ok_or_else(|| {
                                    format!("principal type {k:?}: identifiers must be strings")
                                })
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                        l.sort();
                        l.reverse();
                        Json::Array(l.into_iter().map(Json::String).collect())
                    }
                    other => return Err(format!("unsupported principal identifiers {other}")),
                };
                by_type.insert(k.clone(), ids);
            }
        }
        other => return Err(format!("unsupported principal {other}")),
    }
    if by_type.is_empty() {
        return Ok(None);
    }
    if by_type.len() == 1 {
        if let Some(ids) = by_type.get("*") {
            let star = match ids {
                Json::String(s) => s == "*",
                Json::Array(a) => a.len() == 1 && a[0] == "*",
                _ => false,
            };
            if star {
                return Ok(Some(Json::String("*".into())));
            }
        }
    }
    Ok(Some(Json::Object(by_type.into_iter().collect())))
}

/// The condition set of a parsed statement, re-encoded (booleans become strings,
/// one-value lists strings, other value types are dropped as the provider drops them).
fn condition(v: &Json) -> Result<Option<Json>, String> {
    let Json::Object(tests) = v else {
        return match v {
            Json::Null => Ok(None),
            other => Err(format!("unsupported condition {other}")),
        };
    };
    let mut out: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (test, vars) in tests {
        let Json::Object(vars) = vars else {
            return Err(format!("condition {test:?} must be an object"));
        };
        for (var, values) in vars {
            let values = match values {
                Json::String(s) => vec![s.clone()],
                Json::Bool(b) => vec![b.to_string()],
                Json::Array(a) => a
                    .iter()
                    .map(|x| {
                        x.as_str().map(str::to_string).ok_or_else(|| {
                            format!("condition {test} {var}: values must be strings")
                        })
                    })
                    .collect::<Result<_, _>>()?,
                _ => continue,
            };
            out.entry(test.clone())
                .or_default()
                .entry(var.clone())
                .or_default()
                .extend(values);
        }
    }
    Ok((!out.is_empty()).then(|| conditions_json(out)))
}

/// Test -> variable -> values as JSON, a one-value list as its value.
pub(crate) fn conditions_json(c: BTreeMap<String, BTreeMap<String, Vec<String>>>) -> Json {
    Json::Object(
        c.into_iter()
            .map(|(t, vars)| {
                let vars = vars
                    .into_iter()
                    .map(|(k, mut v)| {
                        let v = if v.len() == 1 {
                            Json::String(v.remove(0))
                        } else {
                            Json::Array(v.into_iter().map(Json::String).collect())
                        };
                        (k, v)
                    })
                    .collect();
                (t, Json::Object(vars))
            })
            .collect(),
    )
}

/// A field of a parsed statement, whatever its letter case (Go's decoder ignores case).
fn field<'a>(st: &'a Map<String, Json>, name: &str) -> Option<&'a Json> {
    st.get(name).or_else(|| {
        st.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

fn statement(st: &Map<String, Json>) -> Result<Map<String, Json>, String> {
    let mut m = Map::new();
    for key in ["Sid", "Effect"] {
        match field(st, key) {
            Some(Json::String(s)) if !s.is_empty() => {
                m.insert(key.into(), Json::String(s.clone()));
            }
            Some(Json::String(_)) | Some(Json::Null) | None => {}
            Some(other) => return Err(format!("{key} must be a string, not {other}")),
        }
    }
    for key in ["Action", "NotAction", "Resource", "NotResource"] {
        if let Some(v) = field(st, key).filter(|v| !v.is_null()) {
            m.insert(key.into(), v.clone());
        }
    }
    for key in ["Principal", "NotPrincipal"] {
        if let Some(p) = field(st, key).map(principal).transpose()?.flatten() {
            m.insert(key.into(), p);
        }
    }
    if let Some(c) = field(st, "Condition").map(condition).transpose()?.flatten() {
        m.insert("Condition".into(), c);
    }
    Ok(m)
}

/// One of `source_policy_documents` / `override_policy_documents` (`what`), parsed.
pub(crate) fn parse(text: &str, what: &str, index: usize) -> Result<Doc, ProviderError> {
    let fail = |e: String| err(format!("{what}[{index}] is not a policy document: {e}"));
    let json: Json = serde_json::from_str(text).map_err(|e| fail(e.to_string()))?;
    let Json::Object(top) = json else {
        return Err(fail("a policy document is a JSON object".into()));
    };
    let text_of = |k: &str| match field(&top, k) {
        Some(Json::String(s)) => Ok(s.clone()),
        None | Some(Json::Null) => Ok(String::new()),
        Some(other) => Err(fail(format!("{k} must be a string, not {other}"))),
    };
    let statements = match field(&top, "Statement") {
        None | Some(Json::Null) => vec![],
        Some(Json::Array(items)) => items
            .iter()
            .map(|s| match s {
                Json::Object(m) => statement(m).map_err(&fail),
                other => Err(fail(format!("a statement must be an object, not {other}"))),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(fail("Statement must be a list of statements".into())),
    };
    Ok(Doc {
        version: text_of("Version")?,
        id: text_of("Id")?,
        statements,
    })
}

impl Doc {
    /// `new` merged into this document, as the provider's `Merge`.
    pub(crate) fn merge(&mut self, new: Doc) {
        if !new.id.is_empty() {
            self.id = new.id;
        }
        if new.version > self.version {
            self.version = new.version;
        }
        for st in new.statements {
            let s = sid(&st).to_string();
            match (!s.is_empty())
                .then(|| self.statements.iter().position(|x| sid(x) == s))
                .flatten()
            {
                Some(i) => self.statements[i] = st,
                None => self.statements.push(st),
            }
        }
    }

    /// The document's JSON value, with the provider's omissions of empty fields.
    pub(crate) fn to_json(&self) -> Json {
        let mut m = Map::new();
        if !self.version.is_empty() {
            m.insert("Version".into(), Json::String(self.version.clone()));
        }
        if !self.id.is_empty() {
            m.insert("Id".into(), Json::String(self.id.clone()));
        }
        if !self.statements.is_empty() {
            m.insert(
                "Statement".into(),
                Json::Array(self.statements.iter().cloned().map(Json::Object).collect()),
            );
        }
        Json::Object(m)
    }
}

/// The source documents merged in order; a `Sid` repeated among them is an error.
pub(crate) fn merge_sources(texts: &[Option<String>]) -> Result<Doc, ProviderError> {
    let mut doc = Doc::default();
    let mut seen = std::collections::HashSet::new();
    for (i, t) in texts.iter().enumerate() {
        let Some(t) = t else { continue };
        let d = parse(t, "source_policy_documents", i)?;
        for (j, st) in d.statements.iter().enumerate() {
            let s = sid(st);
            if !s.is_empty() && !seen.insert(s.to_string()) {
                return Err(err(format!(
                    "source_policy_documents[{i}]: statement {j} repeats the Sid {s:?} of an \
                     earlier source document; remove the Sid or make the Sids unique"
                )));
            }
        }
        doc.merge(d);
    }
    Ok(doc)
}

/// Go's `json.Marshal` escapes `<`, `>` and `&` (only ever inside strings in JSON).
pub(crate) fn go_escape(s: &str) -> String {
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// CRC-32 (IEEE) of the rendered document: the provider's `StringHashcode`, its id.
pub(crate) fn hashcode(s: &str) -> String {
    let mut crc: u32 = 0xffff_ffff;
    for b in s.bytes() {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    (!crc).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_reference_value() {
        assert_eq!(hashcode("123456789"), "3421780262");
    }

    #[test]
    fn parsed_statements_are_re_encoded_as_the_provider_does() {
        let d = parse(
            r#"{"Version":"2012-10-17","Statement":[{"Resource":"*","Action":["b","a"],
                "Effect":"Allow","Sid":"X","Extra":1,
                "Principal":{"Service":"s","AWS":["arn:1","arn:2"]},
                "Condition":{"Bool":{"aws:SecureTransport":false},"StringEquals":{"k":["v"]}}}]}"#,
            "source_policy_documents",
            0,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&d.to_json()).unwrap(),
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"X","Effect":"Allow","Action":["b","a"],"Resource":"*","Principal":{"AWS":["arn:2","arn:1"],"Service":"s"},"Condition":{"Bool":{"aws:SecureTransport":"false"},"StringEquals":{"k":"v"}}}]}"#
        );
        let star = parse(r#"{"Statement":[{"Principal":"*"}]}"#, "x", 0).unwrap();
        assert_eq!(
            serde_json::to_string(&star.to_json()).unwrap(),
            r#"{"Statement":[{"Principal":"*"}]}"#
        );
    }

    #[test]
    fn merges_replace_by_sid_and_sources_may_not_repeat_one() {
        let a = r#"{"Version":"2008-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"a"},{"Effect":"Deny","Action":"n"}]}"#;
        let b = r#"{"Version":"2012-10-17","Id":"i","Statement":[{"Sid":"B","Effect":"Allow","Action":"b"}]}"#;
        let mut d = merge_sources(&[Some(a.into()), None, Some(b.into())]).unwrap();
        assert_eq!(d.version, "2012-10-17");
        assert_eq!(d.id, "i");
        d.merge(
            parse(
                r#"{"Statement":[{"Sid":"A","Effect":"Deny","Action":"z"}]}"#,
                "o",
                0,
            )
            .unwrap(),
        );
        let sids: Vec<_> = d.statements.iter().map(|s| sid(s).to_string()).collect();
        assert_eq!(sids, ["A", "", "B"]);
        assert_eq!(d.statements[0]["Effect"], "Deny");
        let e = merge_sources(&[Some(a.into()), Some(a.into())]).unwrap_err();
        assert!(e.to_string().contains("repeats the Sid \"A\""), "{e}");
        assert!(parse("{", "override_policy_documents", 2)
            .unwrap_err()
            .to_string()
            .contains("override_policy_documents[2]"));
    }
}
