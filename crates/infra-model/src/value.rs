//! Values flowing through expressions, plans and state. A value may be `Unknown`: it is
//! not known until apply (a VPC's id before the VPC exists). Unknown propagates through
//! every operation that consumes it.

use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    /// Lists, tuples and sets (sets are deduplicated lists).
    List(Vec<Value>),
    /// Maps and objects.
    Map(BTreeMap<String, Value>),
    /// Known only after apply.
    Unknown,
    /// A value derived from something marked `sensitive` (see [`crate::sensitive`]). The
    /// mark travels with the value through expressions; renderers show
    /// `(sensitive value)`; it is stripped before a value reaches a provider or storage.
    Sensitive(Box<Value>),
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// True when this value and everything inside it is known.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(m) => m.values().all(Value::is_wholly_known),
            Value::Sensitive(v) => v.is_wholly_known(),
            _ => true,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.unmarked(), Value::Unknown)
    }

    pub fn is_null(&self) -> bool {
        matches!(self.unmarked(), Value::Null)
    }

    /// A short name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Unknown => "unknown",
            Value::Sensitive(v) => v.type_name(),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.unmarked() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.unmarked() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.unmarked() {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The number as an integer, if it is a whole number in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self.unmarked() {
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 => {
                Some(*n as i64)
            }
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self.unmarked() {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self.unmarked() {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The attribute `key` of a map value; `Null` when absent; `Unknown` when the map is unknown.
    pub fn get(&self, key: &str) -> &Value {
        static NULL: Value = Value::Null;
        static UNKNOWN: Value = Value::Unknown;
        match self.unmarked() {
            Value::Map(m) => m.get(key).unwrap_or(&NULL),
            Value::Unknown => &UNKNOWN,
            _ => &NULL,
        }
    }

    /// Convert to JSON. Unknown values become `null`; see [`Value::unknown_mask`]. Marked
    /// values are written as they are (for storage and providers); renderers use
    /// [`Value::to_json_redacted`].
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Sensitive(v) => v.to_json(),
            Value::Null | Value::Unknown => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => number_to_json(*n),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Map(m) => {
                serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }

    /// Terraform's `after_unknown`: `true` where a value is unknown, nested in the same
    /// shape; `false` for known leaves.
    pub fn unknown_mask(&self) -> serde_json::Value {
        match self {
            Value::Unknown => serde_json::Value::Bool(true),
            Value::Sensitive(v) => v.unknown_mask(),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::unknown_mask).collect())
            }
            Value::Map(m) => serde_json::Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), v.unknown_mask()))
                    .collect(),
            ),
            _ => serde_json::Value::Bool(false),
        }
    }

    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Restore unknowns from a value and its `unknown_mask` (used by saved plan files).
    pub fn from_json_with_mask(json: &serde_json::Value, mask: &serde_json::Value) -> Value {
        match (json, mask) {
            (_, serde_json::Value::Bool(true)) => Value::Unknown,
            (serde_json::Value::Array(a), serde_json::Value::Array(m)) => Value::List(
                a.iter()
                    .enumerate()
                    .map(|(i, v)| {
                        Value::from_json_with_mask(
                            v,
                            m.get(i).unwrap_or(&serde_json::Value::Bool(false)),
                        )
                    })
                    .collect(),
            ),
            (serde_json::Value::Object(o), serde_json::Value::Object(m)) => Value::Map(
                o.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            Value::from_json_with_mask(
                                v,
                                m.get(k).unwrap_or(&serde_json::Value::Bool(false)),
                            ),
                        )
                    })
                    .collect(),
            ),
            _ => Value::from_json(json),
        }
    }
}

fn number_to_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
        serde_json::Value::Number((n as i64).into())
    } else {
        serde_json::Number::from_f64(n)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
    }
}

/// Format a number the way Terraform prints it: integers without a fraction.
pub fn format_number(n: f64) -> String {
    // whole numbers that fit in an i64 (all but the rarest) print as one: i128's
    // formatting costs several times as much, and templates format every `count.index`
    if n.fract() == 0.0 && n.abs() < 9e18 {
        (n as i64).to_string()
    } else if n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{}", n as i128)
    } else {
        format!("{n}")
    }
}

impl fmt::Display for Value {
    /// HCL-like rendering, used in plans and error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => f.write_str(&format_number(*n)),
            Value::String(s) => write!(f, "{}", serde_json::to_string(s).unwrap_or_default()),
            Value::Unknown => f.write_str("(known after apply)"),
            Value::Sensitive(_) => f.write_str(crate::sensitive::REDACTED),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Map(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} = {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(n as f64)
    }
}
impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::List(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_with_unknowns() {
        let v = Value::map([
            ("id", Value::Unknown),
            ("cidr", Value::from("10.0.0.0/16")),
            ("n", Value::from(3i64)),
        ]);
        let json = v.to_json();
        let mask = v.unknown_mask();
        assert_eq!(json["n"], serde_json::json!(3));
        assert_eq!(mask["id"], serde_json::json!(true));
        assert_eq!(Value::from_json_with_mask(&json, &mask), v);
        assert!(!v.is_wholly_known());
    }
}
