//! Collection functions: length, element, concat, merge, lookup, for sets, ...

use std::collections::BTreeMap;

use infra_model::value::format_number;
use infra_model::Value;

use super::{string_of, Args, FnResult};
use crate::eval::{describe, to_bool};
use crate::types::{set_of, unify};

/// Most elements `range` may produce, as in Terraform.
const MAX_RANGE: usize = 1024;

pub(super) fn call(a: Args) -> FnResult {
    match a.f {
        "length" => match &a.args[0] {
            Value::List(items) => Ok(Value::Number(items.len() as f64)),
            Value::Map(m) => Ok(Value::Number(m.len() as f64)),
            Value::String(s) => Ok(Value::Number(s.chars().count() as f64)),
            other => Err(a.bad(
                "value",
                format!("expected list, map or string, got {}", describe(other)),
            )),
        },
        "element" => {
            let list = a.list(0, "list")?;
            let idx = a.int(1, "index")?;
            if list.is_empty() {
                return Err(a.bad("list", "cannot use element with an empty list"));
            }
            if idx < 0 {
                return Err(a.bad("index", "must not be negative"));
            }
            Ok(list[(idx as usize) % list.len()].clone())
        }
        "index" => {
            let list = a.list(0, "list")?;
            let needle = &a.args[1];
            match list.iter().position(|v| crate::eval::ops_equal(v, needle)) {
                Some(i) => Ok(Value::Number(i as f64)),
                None => Err(a.bad("value", format!("item {} not found in the list", needle))),
            }
        }
        "concat" => {
            let mut out = Vec::new();
            for i in 0..a.args.len() {
                out.extend(a.list(i, "seqs")?.iter().cloned());
            }
            Ok(Value::List(out))
        }
        "merge" => {
            let mut out = BTreeMap::new();
            for (i, v) in a.args.iter().enumerate() {
                match v {
                    Value::Null => {}
                    Value::Map(m) => out.extend(m.clone()),
                    other => {
                        return Err(a.bad(
                            "maps",
                            format!(
                                "argument {}: expected map or object, got {}",
                                i + 1,
                                describe(other)
                            ),
                        ))
                    }
                }
            }
            Ok(Value::Map(out))
        }
        "lookup" => {
            let map = a.map(0, "inputMap")?;
            let key = a.string(1, "key")?;
            match (map.get(&key), a.args.get(2)) {
                (Some(v), _) => Ok(v.clone()),
                (None, Some(default)) => Ok(default.clone()),
                (None, None) => Err(a.bad(
                    "key",
                    format!("the map has no key \"{key}\"; add a default as the third argument"),
                )),
            }
        }
        "keys" => Ok(Value::List(
            a.map(0, "inputMap")?
                .keys()
                .map(|k| Value::String(k.clone()))
                .collect(),
        )),
        "values" => Ok(Value::List(
            a.map(0, "mapping")?.values().cloned().collect(),
        )),
        "tolist" => match &a.args[0] {
            Value::List(items) => Ok(Value::List(
                unify(items.clone()).map_err(|e| a.bad("v", e))?,
            )),
            Value::Null => Ok(Value::Null),
            other => Err(a.bad("v", format!("cannot convert {} to a list", describe(other)))),
        },
        "toset" => match &a.args[0] {
            Value::List(items) => Ok(Value::List(set_of(
                unify(items.clone()).map_err(|e| a.bad("v", e))?,
            ))),
            Value::Null => Ok(Value::Null),
            other => Err(a.bad("v", format!("cannot convert {} to a set", describe(other)))),
        },
        "tomap" => match &a.args[0] {
            Value::Map(m) => {
                let (keys, values): (Vec<String>, Vec<Value>) = m.clone().into_iter().unzip();
                Ok(Value::Map(
                    keys.into_iter()
                        .zip(unify(values).map_err(|e| a.bad("v", e))?)
                        .collect(),
                ))
            }
            Value::Null => Ok(Value::Null),
            other => Err(a.bad("v", format!("cannot convert {} to a map", describe(other)))),
        },
        "range" => range(&a),
        "slice" => {
            let list = a.list(0, "list")?;
            let start = a.int(1, "start_index")?;
            let end = a.int(2, "end_index")?;
            if start < 0 || start as usize > list.len() {
                return Err(a.bad(
                    "start_index",
                    format!(
                        "{start} is out of range for a list of {} elements",
                        list.len()
                    ),
                ));
            }
            if end < start || end as usize > list.len() {
                return Err(a.bad(
                    "end_index",
                    format!(
                        "{end} must be between start_index ({start}) and the list length ({})",
                        list.len()
                    ),
                ));
            }
            Ok(Value::List(list[start as usize..end as usize].to_vec()))
        }
        "sort" => {
            let mut items = a.strings(0, "list")?;
            items.sort();
            Ok(Value::List(items.into_iter().map(Value::String).collect()))
        }
        "distinct" => {
            let mut out: Vec<Value> = Vec::new();
            for v in a.list(0, "list")? {
                if !out.contains(v) {
                    out.push(v.clone());
                }
            }
            Ok(Value::List(out))
        }
        "flatten" => {
            let mut out = Vec::new();
            if !flatten_into(a.list(0, "list")?, &mut out, 0) {
                return Ok(Value::Unknown);
            }
            Ok(Value::List(out))
        }
        "zipmap" => {
            let keys = a.list(0, "keys")?;
            let values = a.list(1, "values")?;
            if keys.len() != values.len() {
                return Err(a.bad(
                    "values",
                    format!(
                        "has {} elements but keys has {}; they must have the same length",
                        values.len(),
                        keys.len()
                    ),
                ));
            }
            let mut out = BTreeMap::new();
            for (k, v) in keys.iter().zip(values) {
                match k {
                    Value::Unknown => return Ok(Value::Unknown),
                    other => match string_of(other) {
                        Some(s) => {
                            out.insert(s, v.clone());
                        }
                        None => {
                            return Err(
                                a.bad("keys", format!("expected strings, got {}", describe(other)))
                            )
                        }
                    },
                }
            }
            Ok(Value::Map(out))
        }
        "contains" => {
            let list = a.list(0, "list")?;
            Ok(Value::Bool(
                list.iter().any(|v| crate::eval::ops_equal(v, &a.args[1])),
            ))
        }
        "coalesce" => {
            for v in &a.args {
                match v {
                    Value::Unknown => return Ok(Value::Unknown),
                    Value::Null => {}
                    Value::String(s) if s.is_empty() => {}
                    other => return Ok(other.clone()),
                }
            }
            Err(format!("{}: no non-null, non-empty-string arguments; add a fallback value as the last argument", a.f))
        }
        "coalescelist" => {
            for (i, v) in a.args.iter().enumerate() {
                match v {
                    Value::List(items) if items.is_empty() => {}
                    Value::Null => {}
                    Value::List(_) => return Ok(v.clone()),
                    other => {
                        return Err(a.bad(
                            "vals",
                            format!("argument {}: expected list, got {}", i + 1, describe(other)),
                        ))
                    }
                }
            }
            Err(format!(
                "{}: no non-empty list arguments; add a fallback list as the last argument",
                a.f
            ))
        }
        "compact" => {
            let mut out = Vec::new();
            for v in a.list(0, "list")? {
                match v {
                    Value::Null => {}
                    Value::String(s) if s.is_empty() => {}
                    other => match string_of(other) {
                        Some(s) => out.push(Value::String(s)),
                        None => {
                            return Err(a.bad(
                                "list",
                                format!(
                                    "expected a list of strings, got an element of type {}",
                                    other.type_name()
                                ),
                            ))
                        }
                    },
                }
            }
            Ok(Value::List(out))
        }
        "reverse" => Ok(Value::List(
            a.list(0, "list")?.iter().rev().cloned().collect(),
        )),
        "one" => {
            let list = a.list(0, "list")?;
            match list {
                [] => Ok(Value::Null),
                [v] => Ok(v.clone()),
                _ => Err(a.bad(
                    "list",
                    format!("must have no more than one element, got {}", list.len()),
                )),
            }
        }
        "alltrue" | "anytrue" => {
            let list = a.list(0, "list")?;
            let mut bools = Vec::with_capacity(list.len());
            for (i, v) in list.iter().enumerate() {
                match to_bool(v) {
                    Some(b) => bools.push(b),
                    None => {
                        return Err(a.bad(
                            "list",
                            format!("element {i}: expected bool, got {}", describe(v)),
                        ))
                    }
                }
            }
            Ok(Value::Bool(if a.f == "alltrue" {
                bools.iter().all(|b| *b)
            } else {
                bools.iter().any(|b| *b)
            }))
        }
        "chunklist" => {
            let list = a.list(0, "list")?;
            let size = a.int(1, "size")?;
            if size < 0 {
                return Err(a.bad("size", "must not be negative"));
            }
            if size == 0 {
                return Ok(Value::List(vec![Value::List(list.to_vec())]));
            }
            Ok(Value::List(
                list.chunks(size as usize)
                    .map(|c| Value::List(c.to_vec()))
                    .collect(),
            ))
        }
        "setunion" => {
            let mut out = Vec::new();
            for i in 0..a.args.len() {
                out.extend(a.list(i, "sets")?.iter().cloned());
            }
            Ok(Value::List(set_of(out)))
        }
        "setintersection" => {
            let mut out = a.list(0, "first_set")?.to_vec();
            for i in 1..a.args.len() {
                let other = a.list(i, "other_sets")?;
                out.retain(|v| other.contains(v));
            }
            Ok(Value::List(set_of(out)))
        }
        "setsubtract" => {
            let other = a.list(1, "b")?;
            let out = a
                .list(0, "a")?
                .iter()
                .filter(|v| !other.contains(v))
                .cloned()
                .collect();
            Ok(Value::List(set_of(out)))
        }
        other => Err(format!("{other}: not implemented")),
    }
}

/// Flatten nested lists. Returns false when an unknown element makes the result unknown.
fn flatten_into(items: &[Value], out: &mut Vec<Value>, depth: usize) -> bool {
    for v in items {
        match v {
            Value::Unknown => return false,
            Value::List(inner) if depth < 64 => {
                if !flatten_into(inner, out, depth + 1) {
                    return false;
                }
            }
            other => out.push(other.clone()),
        }
    }
    true
}

fn range(a: &Args) -> FnResult {
    let nums: Vec<f64> = (0..a.args.len())
        .map(|i| a.number(i, ["start", "limit", "step"][i.min(2)]))
        .collect::<Result<_, _>>()?;
    let (start, limit, step) = match nums.as_slice() {
        [limit] => (0.0, *limit, 1.0),
        [start, limit] => (*start, *limit, if start > limit { -1.0 } else { 1.0 }),
        [start, limit, step] => (*start, *limit, *step),
        _ => return Err(format!("{}: takes 1 to 3 arguments", a.f)),
    };
    if step == 0.0 {
        return Err(a.bad("step", "must not be zero"));
    }
    if (step > 0.0 && start > limit) || (step < 0.0 && start < limit) {
        return Err(a.bad(
            "step",
            format!(
                "{} goes the wrong way from {} to {}",
                format_number(step),
                format_number(start),
                format_number(limit)
            ),
        ));
    }
    let mut out = Vec::new();
    let mut x = start;
    while (step > 0.0 && x < limit) || (step < 0.0 && x > limit) {
        if out.len() >= MAX_RANGE {
            return Err(format!(
                "{}: more than {MAX_RANGE} elements is not allowed; use a smaller range",
                a.f
            ));
        }
        out.push(Value::Number(x));
        x += step;
    }
    Ok(Value::List(out))
}
