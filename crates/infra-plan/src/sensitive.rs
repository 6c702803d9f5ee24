//! Sensitivity in the plan. The planner works on unmarked values (normalize, diff and the
//! rules never see a mark); the marks of the configuration are then put back on the
//! planned values per attribute path, together with the schema's sensitive attributes
//! and any string that repeats a marked one (`tags_all` copies `tags`), so every
//! renderer of a `ResourceChange` redacts them.

use infra_model::{BlockSchema, Diagnostic, ResourceSchema, Value};

/// What the configuration of one instance marks, taken before it is unmarked.
pub(crate) struct Marks {
    mask: serde_json::Value,
    secrets: Vec<String>,
}

impl Marks {
    pub(crate) fn of(config: &Value) -> Marks {
        // nearly every configuration marks nothing: skip building its mask (a JSON tree
        // as large as the configuration), which would be all `false` and never read
        if !config.has_marks() {
            return Marks {
                mask: serde_json::Value::Bool(false),
                secrets: Vec::new(),
            };
        }
        Marks {
            mask: config.sensitive_mask(),
            secrets: config.secret_strings(),
        }
    }

    /// True when the configuration marks nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.secrets.is_empty() && !mask_has_true(&self.mask)
    }

    /// `value` with the configuration's marks, the schema's sensitive attributes and
    /// the copies of marked strings marked.
    pub(crate) fn apply(&self, value: Value, schema: Option<&ResourceSchema>) -> Value {
        let v = match schema {
            Some(s) => mark_schema(value, &s.attributes, &s.blocks),
            None => value,
        };
        if self.is_empty() {
            return v;
        }
        v.with_mask(&self.mask).mark_containing(&self.secrets)
    }

    /// A diagnostic with every marked string replaced by `(sensitive value)`.
    pub(crate) fn scrub(&self, mut d: Diagnostic) -> Diagnostic {
        use infra_model::sensitive::scrub;
        if self.secrets.is_empty() {
            return d;
        }
        d.summary = scrub(&d.summary, &self.secrets);
        d.detail = d.detail.map(|x| scrub(&x, &self.secrets));
        d
    }
}

fn mask_has_true(mask: &serde_json::Value) -> bool {
    match mask {
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::Array(a) => a.iter().any(mask_has_true),
        serde_json::Value::Object(o) => o.values().any(mask_has_true),
        _ => false,
    }
}

/// Mark the attributes the schema declares sensitive, in the body and in nested blocks.
pub(crate) fn mark_schema(
    mut value: Value,
    attrs: &[infra_model::AttrSchema],
    blocks: &[BlockSchema],
) -> Value {
    mark_schema_in(&mut value, attrs, blocks);
    value
}

/// [`mark_schema`] in place: only the attributes the schema marks (and the blocks that
/// hold some) are visited, instead of rebuilding every map of every planned value (most
/// schemas mark nothing).
fn mark_schema_in(value: &mut Value, attrs: &[infra_model::AttrSchema], blocks: &[BlockSchema]) {
    let Value::Map(m) = value else {
        return;
    };
    for a in attrs.iter().filter(|a| a.sensitive) {
        if let Some(v) = m.get_mut(a.name) {
            if !v.is_marked() {
                *v = std::mem::replace(v, Value::Null).mark();
            }
        }
    }
    for b in blocks {
        // an attribute of the same name, marked above, is not a block
        if attrs.iter().any(|a| a.name == b.name && a.sensitive) || !has_sensitive(b) {
            continue;
        }
        match m.get_mut(b.name) {
            Some(Value::List(items)) => items
                .iter_mut()
                .for_each(|i| mark_schema_in(i, &b.attributes, &b.blocks)),
            Some(other) => mark_schema_in(other, &b.attributes, &b.blocks),
            None => {}
        }
    }
}

/// Whether a block schema declares a sensitive attribute at any depth.
fn has_sensitive(b: &BlockSchema) -> bool {
    b.attributes.iter().any(|a| a.sensitive) || b.blocks.iter().any(has_sensitive)
}

#[cfg(test)]
mod tests {
    use super::*;
    use infra_model::schema::lookup;
    use infra_model::Mode;

    #[test]
    fn config_marks_return_on_planned_values_and_their_copies() {
        let config = Value::map([(
            "tags",
            Value::map([("Secret", Value::from("hunter2-x").mark())]),
        )]);
        let marks = Marks::of(&config);
        let planned = Value::map([
            ("id", Value::Unknown),
            ("tags", Value::map([("Secret", Value::from("hunter2-x"))])),
            (
                "tags_all",
                Value::map([
                    ("Secret", Value::from("hunter2-x")),
                    ("Env", Value::from("prod")),
                ]),
            ),
        ]);
        let schema = lookup(Mode::Managed, "aws_vpc");
        let v = marks.apply(planned, schema);
        assert_eq!(
            v.sensitive_mask(),
            serde_json::json!({"tags": {"Secret": true}, "tags_all": {"Secret": true}})
        );
        let d = marks.scrub(Diagnostic::error("bad value hunter2-x"));
        assert_eq!(d.summary, "bad value (sensitive value)");
    }

    #[test]
    fn schema_sensitive_attributes_are_marked() {
        let mut attr = infra_model::schema::lookup(Mode::Managed, "aws_vpc")
            .map(|s| s.attributes[0].clone())
            .expect("aws_vpc has attributes");
        attr.sensitive = true;
        let name = attr.name;
        let v = mark_schema(
            Value::map([(name, Value::from("x")), ("other", Value::from("y"))]),
            &[attr],
            &[],
        );
        assert!(v.get(name).is_marked());
        assert!(!v.get("other").is_marked());
    }
}
