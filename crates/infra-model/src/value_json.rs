//! JSON text straight into a [`Value`], without a `serde_json::Value` tree in between.
//!
//! The state stores every object's attributes as JSON text, and a plan reads all of them:
//! decoding into `serde_json::Value` first (an order-preserving map per object, every
//! string allocated) and then copying that into `Value` was most of reading the state.
//! The result is the same as `Value::from_json(&serde_json::from_str(text)?)`.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::Value;

impl Value {
    /// Decode JSON text (numbers become `f64`, as [`Value::from_json`] does).
    pub fn from_json_str(text: &str) -> Result<Value, serde_json::Error> {
        serde_json::from_str(text)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n as f64))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Number(n))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        // collected, then built in one go: what infra writes is sorted by key already, and
        // a map built from a sorted list costs a fraction of an insert per entry (a
        // repeated key keeps its last value, as serde_json's own map does)
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(entry) = map.next_entry::<String, Value>()? {
            entries.push(entry);
        }
        Ok(Value::Map(BTreeMap::from_iter(entries)))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::Value;

    fn via_tree(text: &str) -> Value {
        Value::from_json(&serde_json::from_str::<serde_json::Value>(text).unwrap())
    }

    #[test]
    fn decodes_as_the_json_tree_does() {
        for text in [
            r#"null"#,
            r#"{"id":"subnet-1","cidr_block":"10.0.1.0/24","map_public_ip_on_launch":false,"tags":{"Name":"a","b":""},"ports":[1,2.5,-3,18446744073709551615],"nested":[{"x":null},[]],"u":"\u00e9\n"}"#,
            r#"[1e3, -0.0, 12345678901234567890]"#,
            r#"{"a":1,"a":2}"#,
        ] {
            assert_eq!(
                Value::from_json_str(text).unwrap(),
                via_tree(text),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_text_is_an_error_not_a_panic() {
        for text in ["", "{", r#"{"a":}"#, "[1,]", "nul", "\"\\x\""] {
            assert!(Value::from_json_str(text).is_err(), "{text}");
        }
    }

    fn json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            (-1e12f64..1e12).prop_map(|n| serde_json::json!(n)),
            "[a-z\\\\\"é\n]{0,8}".prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                prop::collection::btree_map("[a-z_]{0,6}", inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_json_text_decodes_as_the_tree_does(j in json()) {
            let text = j.to_string();
            // against the tree read from the same text (serde_json's default float
            // parsing does not round-trip every f64)
            prop_assert_eq!(Value::from_json_str(&text).unwrap(), via_tree(&text));
        }
    }
}
