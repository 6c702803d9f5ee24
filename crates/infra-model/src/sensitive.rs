//! Sensitivity marks. A value derived from a `sensitive` variable or output, from the
//! `sensitive()` function or from a schema attribute marked sensitive is wrapped in
//! [`Value::Sensitive`]. The evaluator propagates the mark through every operator,
//! function, template, conditional and traversal; the planner carries it per attribute
//! path into `ResourceChange::before/after`; renderers show [`REDACTED`]; values are
//! unmarked ([`Value::unmark_deep`]) before they reach a provider or the state.

use std::collections::BTreeMap;

use crate::Value;

/// What a renderer shows instead of a sensitive value.
pub const REDACTED: &str = "(sensitive value)";

/// Sensitive strings shorter than this are not scrubbed from free text (they would
/// match everywhere); they are still redacted wherever the mark is carried.
pub const MIN_SCRUB_LEN: usize = 4;

impl Value {
    /// Mark this value sensitive (once: marking a marked value changes nothing).
    pub fn mark(self) -> Value {
        match self {
            Value::Sensitive(_) => self,
            other => Value::Sensitive(Box::new(other)),
        }
    }

    /// Mark this value when `sensitive` is true.
    pub fn mark_if(self, sensitive: bool) -> Value {
        if sensitive {
            self.mark()
        } else {
            self
        }
    }

    /// True when the value itself carries the mark.
    pub fn is_marked(&self) -> bool {
        matches!(self, Value::Sensitive(_))
    }

    /// True when the value or anything inside it carries the mark.
    pub fn has_marks(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(items) => items.iter().any(Value::has_marks),
            Value::Map(m) => m.values().any(Value::has_marks),
            _ => false,
        }
    }

    /// The value without its own mark (marks inside it stay).
    pub fn unmarked(&self) -> &Value {
        match self {
            Value::Sensitive(v) => v.unmarked(),
            v => v,
        }
    }

    /// Remove the value's own mark; returns whether it had one.
    pub fn unmark(self) -> (Value, bool) {
        match self {
            Value::Sensitive(v) => (v.unmark().0, true),
            v => (v, false),
        }
    }

    /// Remove every mark, however deep; returns the plain value.
    pub fn unmark_deep(self) -> Value {
        match self {
            Value::Sensitive(v) => v.unmark_deep(),
            Value::List(items) => Value::List(items.into_iter().map(Value::unmark_deep).collect()),
            Value::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, v.unmark_deep())).collect()),
            v => v,
        }
    }

    /// Remove every mark; returns the plain value and whether any mark was found.
    pub fn unmark_all(self) -> (Value, bool) {
        let marked = self.has_marks();
        (self.unmark_deep(), marked)
    }

    /// Terraform's `before_sensitive` / `after_sensitive` shape: `true` where a value is
    /// marked; for objects and maps an object holding only the keys that are not plain
    /// `false`; for lists an array of the elements' masks; `false` otherwise.
    pub fn sensitive_mask(&self) -> serde_json::Value {
        match self {
            Value::Sensitive(_) => serde_json::Value::Bool(true),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::sensitive_mask).collect())
            }
            Value::Map(m) => serde_json::Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), v.sensitive_mask()))
                    .filter(|(_, mask)| mask != &serde_json::Value::Bool(false))
                    .collect(),
            ),
            _ => serde_json::Value::Bool(false),
        }
    }

    /// Put back the marks a [`Value::sensitive_mask`] describes.
    pub fn with_mask(self, mask: &serde_json::Value) -> Value {
        match (self, mask) {
            (v, serde_json::Value::Bool(true)) => v.mark(),
            (Value::List(items), serde_json::Value::Array(m)) => Value::List(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| match m.get(i) {
                        Some(mask) => v.with_mask(mask),
                        None => v,
                    })
                    .collect(),
            ),
            (Value::Map(items), serde_json::Value::Object(m)) => Value::Map(
                items
                    .into_iter()
                    .map(|(k, v)| {
                        let v = match m.get(&k) {
                            Some(mask) => v.with_mask(mask),
                            None => v,
                        };
                        (k, v)
                    })
                    .collect(),
            ),
            (v, _) => v,
        }
    }

    /// JSON for display: marked values become `null` (their place is named by
    /// [`Value::sensitive_mask`]), unknown values `null`.
    pub fn to_json_redacted(&self) -> serde_json::Value {
        match self {
            Value::Sensitive(_) => serde_json::Value::Null,
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json_redacted).collect())
            }
            Value::Map(m) => serde_json::Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), v.to_json_redacted()))
                    .collect(),
            ),
            v => v.to_json(),
        }
    }

    /// Every string (and number, as text) under a mark, for scrubbing free text.
    pub fn secret_strings(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect(self, false, &mut out);
        out.sort();
        out.dedup();
        out
    }

    /// Mark every string leaf that contains one of `secrets` (each at least
    /// [`MIN_SCRUB_LEN`] long): copies of a sensitive value made by the provider or the
    /// planner (`tags_all` from `tags`) stay sensitive.
    pub fn mark_containing(self, secrets: &[String]) -> Value {
        if secrets.is_empty() {
            return self;
        }
        match self {
            Value::String(s) if contains_any(&s, secrets) => Value::String(s).mark(),
            Value::List(items) => Value::List(
                items
                    .into_iter()
                    .map(|v| v.mark_containing(secrets))
                    .collect(),
            ),
            Value::Map(m) => Value::Map(
                m.into_iter()
                    .map(|(k, v)| (k, v.mark_containing(secrets)))
                    .collect::<BTreeMap<_, _>>(),
            ),
            v => v,
        }
    }
}

fn contains_any(s: &str, secrets: &[String]) -> bool {
    secrets
        .iter()
        .any(|x| x.len() >= MIN_SCRUB_LEN && s.contains(x.as_str()))
}

fn collect(v: &Value, marked: bool, out: &mut Vec<String>) {
    match v {
        Value::Sensitive(inner) => collect(inner, true, out),
        Value::String(s) if marked => out.push(s.clone()),
        Value::Number(n) if marked => out.push(crate::value::format_number(*n)),
        Value::List(items) => items.iter().for_each(|i| collect(i, marked, out)),
        Value::Map(m) => m.values().for_each(|i| collect(i, marked, out)),
        _ => {}
    }
}

/// Replace every occurrence of each secret (at least [`MIN_SCRUB_LEN`] long) in `text`
/// with [`REDACTED`].
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    let mut sorted: Vec<&String> = secrets
        .iter()
        .filter(|s| s.len() >= MIN_SCRUB_LEN)
        .collect();
    // longest first, so a secret that contains another is replaced whole
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in sorted {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), REDACTED);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_round_trip_through_the_mask() {
        let v = Value::map([
            ("name", Value::from("web")),
            (
                "tags",
                Value::map([
                    ("Name", Value::from("a")),
                    ("Secret", Value::from("hunter22").mark()),
                ]),
            ),
            (
                "list",
                Value::List(vec![Value::from(1i64).mark(), Value::from(2i64)]),
            ),
        ]);
        let mask = v.sensitive_mask();
        assert_eq!(
            mask,
            serde_json::json!({"tags": {"Secret": true}, "list": [true, false]})
        );
        assert_eq!(v.clone().unmark_deep().with_mask(&mask), v);
        assert_eq!(
            v.secret_strings(),
            vec!["1".to_string(), "hunter22".to_string()]
        );
        let shown = v.to_string();
        assert!(!shown.contains("hunter22"), "{shown}");
        assert!(shown.contains(REDACTED));
        let json = v.to_json_redacted().to_string();
        assert!(!json.contains("hunter22"), "{json}");
        assert!(v.to_json().to_string().contains("hunter22"));
    }

    #[test]
    fn marks_do_not_nest_and_accessors_look_through() {
        let v = Value::from("abc").mark().mark();
        assert_eq!(v, Value::Sensitive(Box::new(Value::from("abc"))));
        assert_eq!(v.as_str(), Some("abc"));
        assert_eq!(v.type_name(), "string");
        assert_eq!(v.clone().unmark(), (Value::from("abc"), true));
        assert!(Value::Unknown.mark().is_unknown());
    }

    #[test]
    fn copies_are_marked_and_text_is_scrubbed() {
        let secrets = vec!["s3cr3t-value".to_string(), "ab".to_string()];
        let v = Value::map([
            ("a", Value::from("x-s3cr3t-value-y")),
            ("b", Value::from("ab")),
        ])
        .mark_containing(&secrets);
        assert!(v.get("a").is_marked() || v.as_map().is_some_and(|m| m["a"].is_marked()));
        assert!(!v.as_map().is_some_and(|m| m["b"].is_marked()));
        assert_eq!(
            scrub("got s3cr3t-value and ab", &secrets),
            "got (sensitive value) and ab"
        );
    }
}
