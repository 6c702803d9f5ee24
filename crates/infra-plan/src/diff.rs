//! Compare a normalized planned object with the prior object, attribute by attribute.

use infra_model::{AttrSchema, AttrType, BlockSchema, Nesting, ResourceSchema, Value};

/// One attribute or block whose planned value differs from the prior value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrChange {
    /// `cidr_block`, `scaling_config[0].desired_size`, `ingress`
    pub path: String,
    /// The change cannot be made in place.
    pub force_new: bool,
}

/// Every changed attribute of `planned` against `prior`. Unknown planned values count as
/// changes; numbers compare numerically; null equals an empty collection; sets and set
/// blocks compare without regard to order.
pub fn diff(schema: &ResourceSchema, prior: &Value, planned: &Value) -> Vec<AttrChange> {
    let mut out = Vec::new();
    // most objects of a plan are unchanged, and planned the same as recorded: one walk
    // over both values instead of a lookup of every schema attribute in each
    if identical_and_known(prior, planned) {
        return out;
    }
    diff_body(
        &schema.attributes,
        &schema.blocks,
        prior,
        planned,
        "",
        false,
        &mut out,
    );
    out
}

/// `a == b` with nothing unknown in either: then no attribute differs under any of the
/// comparisons below (each of them is reflexive on known values).
fn identical_and_known(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Unknown, _) | (_, Value::Unknown) => false,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| identical_and_known(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && identical_and_known(v1, v2))
        }
        (Value::Sensitive(x), Value::Sensitive(y)) => identical_and_known(x, y),
        _ => a == b,
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn diff_body(
    attrs: &[AttrSchema],
    blocks: &[BlockSchema],
    prior: &Value,
    planned: &Value,
    prefix: &str,
    force: bool,
    out: &mut Vec<AttrChange>,
) {
    for a in attrs {
        // an attribute the schema gained after the object was recorded: the prior object
        // had the attribute's default (what AWS does when it is not sent)
        let recorded_before = prior.as_map().is_some_and(|m| !m.contains_key(a.name));
        let same = attr_equal(&a.ty, prior.get(a.name), planned.get(a.name))
            || (recorded_before
                && a.default
                    .as_ref()
                    .is_some_and(|d| attr_equal(&a.ty, d, planned.get(a.name))));
        if !same {
            out.push(AttrChange {
                path: join(prefix, a.name),
                force_new: force || a.force_new,
            });
        }
    }
    for b in blocks {
        let path = join(prefix, b.name);
        let (p, q) = (prior.get(b.name), planned.get(b.name));
        let force = force || b.force_new;
        match (b.nesting, as_items(p), as_items(q)) {
            (Nesting::List, Some(ps), Some(qs)) if ps.len() == qs.len() => {
                for (i, (pi, qi)) in ps.iter().zip(qs).enumerate() {
                    diff_body(
                        &b.attributes,
                        &b.blocks,
                        pi,
                        qi,
                        &format!("{path}[{i}]"),
                        force,
                        out,
                    );
                }
            }
            (Nesting::Set, Some(ps), Some(qs)) => {
                if !set_equal(ps, qs, |x, y| block_equal(b, x, y)) {
                    // the set changed: it forces a replacement when the block does, or when
                    // a force_new field differs between the old and new elements
                    let fn_changed = force || force_new_fields_differ(b, ps, qs);
                    out.push(AttrChange {
                        path,
                        force_new: fn_changed,
                    });
                }
            }
            _ => {
                if !value_equal(p, q) {
                    out.push(AttrChange {
                        path,
                        force_new: force || has_force_new(b),
                    });
                }
            }
        }
    }
}

fn as_items(v: &Value) -> Option<&[Value]> {
    match v {
        Value::Null => Some(&[]),
        Value::List(l) => Some(l),
        _ => None,
    }
}

fn has_force_new(b: &BlockSchema) -> bool {
    b.force_new || b.attributes.iter().any(|a| a.force_new) || b.blocks.iter().any(has_force_new)
}

fn force_new_fields_differ(b: &BlockSchema, ps: &[Value], qs: &[Value]) -> bool {
    b.attributes.iter().filter(|a| a.force_new).any(|a| {
        let pv: Vec<&Value> = ps.iter().map(|p| p.get(a.name)).collect();
        let qv: Vec<&Value> = qs.iter().map(|q| q.get(a.name)).collect();
        !set_equal(&pv, &qv, |x, y| attr_equal(&a.ty, x, y))
    }) || b.blocks.iter().any(|nb| {
        let pv: Vec<&Value> = ps.iter().map(|p| p.get(nb.name)).collect();
        let qv: Vec<&Value> = qs.iter().map(|q| q.get(nb.name)).collect();
        has_force_new(nb) && !set_equal(&pv, &qv, |x, y| value_equal(x, y))
    })
}

fn block_equal(b: &BlockSchema, p: &Value, q: &Value) -> bool {
    let mut changes = Vec::new();
    diff_body(&b.attributes, &b.blocks, p, q, "", false, &mut changes);
    changes.is_empty()
}

/// Multiset equality with a custom element comparison.
fn set_equal<T>(ps: &[T], qs: &[T], eq: impl Fn(&T, &T) -> bool) -> bool {
    if ps.len() != qs.len() {
        return false;
    }
    let mut used = vec![false; qs.len()];
    ps.iter().all(
        |p| match qs.iter().enumerate().find(|(i, q)| !used[*i] && eq(p, q)) {
            Some((i, _)) => {
                used[i] = true;
                true
            }
            None => false,
        },
    )
}

/// Equality of one attribute's prior and planned values under its type.
pub fn attr_equal(ty: &AttrType, prior: &Value, planned: &Value) -> bool {
    match (ty, as_items(prior), as_items(planned)) {
        (AttrType::Set(inner), Some(ps), Some(qs)) => {
            set_equal(ps, qs, |x, y| attr_equal(inner, x, y))
        }
        (AttrType::List(inner), Some(ps), Some(qs)) => {
            ps.len() == qs.len() && ps.iter().zip(qs).all(|(x, y)| attr_equal(inner, x, y))
        }
        (AttrType::Json, _, _) => match (prior, planned) {
            (Value::String(a), Value::String(b)) => infra_model::policy::json_equivalent(a, b),
            _ => value_equal(prior, planned),
        },
        _ => value_equal(prior, planned),
    }
}

/// Untyped semantic equality: an unknown on either side is a change, numbers compare
/// numerically (also against numeric strings), null equals an empty list or map, and a
/// missing map key equals null.
pub fn value_equal(a: &Value, b: &Value) -> bool {
    // marks do not change what a value is
    let (a, b) = (a.unmarked(), b.unmarked());
    match (a, b) {
        (Value::Unknown, _) | (_, Value::Unknown) => false,
        (Value::Null, Value::Null) => true,
        (Value::Null, Value::List(l)) | (Value::List(l), Value::Null) => l.is_empty(),
        (Value::Null, Value::Map(m)) | (Value::Map(m), Value::Null) => m.is_empty(),
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::Number(x), Value::String(s)) | (Value::String(s), Value::Number(x)) => {
            s.trim().parse::<f64>().is_ok_and(|y| y == *x)
        }
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| value_equal(p, q))
        }
        (Value::Map(x), Value::Map(y)) => x
            .keys()
            .chain(y.keys())
            .all(|k| value_equal(a.get(k), b.get(k))),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attribute_added_to_the_schema_later_had_its_default() {
        let schema = infra_model::schema::lookup(infra_model::Mode::Managed, "aws_subnet").unwrap();
        // recorded before `enable_dns64` existed: its default is no change, true is one
        let prior = Value::map([
            ("id", Value::string("subnet-1")),
            ("cidr_block", Value::string("10.0.1.0/24")),
        ]);
        let mut planned = prior.clone();
        if let Value::Map(m) = &mut planned {
            m.insert("enable_dns64".into(), Value::Bool(false));
        }
        assert!(diff(schema, &prior, &planned)
            .iter()
            .all(|c| c.path != "enable_dns64"));
        if let Value::Map(m) = &mut planned {
            m.insert("enable_dns64".into(), Value::Bool(true));
        }
        assert!(diff(schema, &prior, &planned)
            .iter()
            .any(|c| c.path == "enable_dns64"));
        // recorded as null: a change to the default is a change
        let mut prior = prior;
        if let Value::Map(m) = &mut prior {
            m.insert("enable_dns64".into(), Value::Null);
        }
        if let Value::Map(m) = &mut planned {
            m.insert("enable_dns64".into(), Value::Bool(false));
        }
        assert!(diff(schema, &prior, &planned)
            .iter()
            .any(|c| c.path == "enable_dns64"));
    }

    /// The shortcut for identical values agrees with the attribute-by-attribute diff: no
    /// change when nothing is unknown, and an unknown (even on both sides) still changes.
    #[test]
    fn identical_values_have_no_change_unless_something_is_unknown() {
        let schema =
            infra_model::schema::lookup(infra_model::Mode::Managed, "aws_security_group").unwrap();
        let rule = Value::map([
            ("from_port", Value::Number(443.0)),
            ("to_port", Value::Number(443.0)),
            ("protocol", Value::string("tcp")),
            ("cidr_blocks", Value::List(vec!["10.0.0.0/16".into()])),
        ]);
        let prior = Value::map([
            ("id", Value::string("sg-1")),
            ("name", Value::string("web")),
            ("ingress", Value::List(vec![rule.clone()])),
            ("tags", Value::map([("Name", Value::string("web"))])),
        ]);
        assert!(diff(schema, &prior, &prior.clone()).is_empty());
        assert!(identical_and_known(&prior, &prior.clone()));
        let mut unknown = prior.clone();
        if let Value::Map(m) = &mut unknown {
            m.insert("name".into(), Value::Unknown);
        }
        assert!(!identical_and_known(&unknown, &unknown.clone()));
        assert_eq!(
            diff(schema, &unknown, &unknown.clone())
                .iter()
                .map(|c| c.path.as_str())
                .collect::<Vec<_>>(),
            ["name"]
        );
        // a NaN is not equal to itself: the slow path decides
        assert!(!identical_and_known(
            &Value::Number(f64::NAN),
            &Value::Number(f64::NAN)
        ));
    }

    #[test]
    fn semantic_equality() {
        let cases: Vec<(Value, Value, bool)> = vec![
            (Value::Number(5.0), Value::Number(5.0), true),
            (Value::Number(5.0), Value::string("5"), true),
            (Value::Number(5.0), Value::string("6"), false),
            (Value::Null, Value::List(vec![]), true),
            (Value::Null, Value::map::<&str>([]), true),
            (Value::Null, Value::string(""), false),
            (Value::Unknown, Value::Unknown, false),
            (
                Value::map([("a", Value::Null)]),
                Value::map::<&str>([]),
                true,
            ),
            (
                Value::List(vec!["a".into()]),
                Value::List(vec!["b".into()]),
                false,
            ),
        ];
        for (a, b, want) in cases {
            assert_eq!(value_equal(&a, &b), want, "{a} vs {b}");
        }
    }

    #[test]
    fn sets_ignore_order_lists_do_not() {
        let ab = Value::List(vec!["a".into(), "b".into()]);
        let ba = Value::List(vec!["b".into(), "a".into()]);
        assert!(attr_equal(
            &AttrType::Set(Box::new(AttrType::String)),
            &ab,
            &ba
        ));
        assert!(!attr_equal(
            &AttrType::List(Box::new(AttrType::String)),
            &ab,
            &ba
        ));
        assert!(attr_equal(
            &AttrType::Json,
            &Value::string("{\"a\": 1}"),
            &Value::string("{\"a\":1}")
        ));
        // policies: single value vs list, statement order
        assert!(attr_equal(
            &AttrType::Json,
            &Value::string(r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow"}]}"#),
            &Value::string(r#"{"Statement":{"Effect":"Allow","Action":["sts:AssumeRole"]}}"#)
        ));
    }
}
