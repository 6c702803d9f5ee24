//! For expressions: `[for v in xs : f(v) if p(v)]` and `{for k, v in m : k => v...}`.

use std::collections::BTreeMap;

use hcl_edit::expr::ForExpr;
use infra_model::value::format_number;
use infra_model::Value;

use super::{describe, EvalResult, Evaluator};

impl Evaluator<'_> {
    pub(crate) fn for_expr(&mut self, f: &ForExpr) -> EvalResult {
        let intro = &f.intro;
        let (collection, mut marked) = {
            let v = self.expr(&intro.collection_expr)?;
            self.unmark(v)
        };
        let pairs: Vec<(Value, Value)> = match collection {
            Value::Unknown => return Ok(Value::Unknown),
            Value::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Value::Number(i as f64), v))
                .collect(),
            Value::Map(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
            other => {
                return Err(self
                    .error(
                        &intro.collection_expr,
                        format!(
                            "a for expression needs a list, set or map, got {}",
                            describe(&other)
                        ),
                    )
                    .with_detail("iterate over a collection, e.g. [for x in var.list : x]"))
            }
        };
        let key_var = intro.key_var.as_ref().map(|k| k.as_str().to_string());
        let value_var = intro.value_var.as_str().to_string();

        let mut list = Vec::new();
        let mut map: BTreeMap<String, Value> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut unknown = false;
        for (k, v) in pairs {
            let mut bindings = Vec::with_capacity(2);
            if let Some(name) = &key_var {
                bindings.push((name.clone(), k));
            }
            bindings.push((value_var.clone(), v));
            let (step, step_marked) = self.with_locals(bindings, |ev| -> Result<_, _> {
                let mut cond_marked = false;
                if let Some(cond) = &f.cond {
                    let (c, m) = {
                        let v = ev.expr(&cond.expr)?;
                        ev.unmark_all(v)
                    };
                    cond_marked = m;
                    match c {
                        Value::Unknown => return Ok((Step::Unknown, m)),
                        other => match super::ops::to_bool(&other) {
                            Some(true) => {}
                            Some(false) => return Ok((Step::Skip, m)),
                            None => {
                                return Err(ev.error(
                                    &cond.expr,
                                    format!(
                                    "the if condition of a for expression must be a bool, got {}",
                                    describe(&other)
                                ),
                                ))
                            }
                        },
                    }
                }
                let mut key_marked = false;
                let key = match &f.key_expr {
                    Some(key_expr) => {
                        let (k, m) = {
                            let v = ev.expr(key_expr)?;
                            ev.unmark_all(v)
                        };
                        key_marked = m;
                        Some(k)
                    }
                    None => None,
                };
                let item = Step::Item(key, ev.expr(&f.value_expr)?);
                Ok((item, key_marked || cond_marked))
            })?;
            // a marked filter or key makes the shape of the result sensitive
            marked |= step_marked;
            let (key, value) = match step {
                Step::Skip => continue,
                Step::Unknown => {
                    // An unknown filter makes the shape of the result unknown.
                    unknown = true;
                    continue;
                }
                Step::Item(key, value) => (key, value),
            };
            if f.key_expr.is_none() {
                list.push(value);
                continue;
            }
            let key = match key {
                Some(Value::Unknown) => {
                    unknown = true;
                    continue;
                }
                Some(Value::String(s)) => s,
                Some(Value::Number(n)) => format_number(n),
                Some(Value::Bool(b)) => b.to_string(),
                Some(other) => {
                    let node = f
                        .key_expr
                        .as_ref()
                        .map(|e| e as &dyn hcl_edit::Span)
                        .unwrap_or(f);
                    return Err(self.error(
                        node,
                        format!(
                            "a for expression key must be a string, got {}",
                            describe(&other)
                        ),
                    ));
                }
                None => continue,
            };
            if f.grouping {
                groups.entry(key).or_default().push(value);
            } else {
                match map.entry(key) {
                    std::collections::btree_map::Entry::Occupied(e) => {
                        return Err(self
                            .error(f, format!("duplicate key \"{}\" in for expression", e.key()))
                            .with_detail(
                                "add an ellipsis (...) after the value expression to group values by key",
                            ));
                    }
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(value);
                    }
                }
            }
        }
        let result = if unknown {
            Value::Unknown
        } else if f.key_expr.is_none() {
            Value::List(list)
        } else if f.grouping {
            Value::Map(
                groups
                    .into_iter()
                    .map(|(k, v)| (k, Value::List(v)))
                    .collect(),
            )
        } else {
            Value::Map(map)
        };
        Ok(result.mark_if(marked))
    }
}

enum Step {
    Skip,
    Unknown,
    Item(Option<Value>, Value),
}
