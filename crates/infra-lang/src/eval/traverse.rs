//! Traversals: `.attr`, `[index]`, legacy `.0`, attribute splat `.*` and full splat `[*]`.

use crate::eval::suggest;
use hcl_edit::expr::{Expression, Traversal, TraversalOperator};
use hcl_edit::Decorated;
use infra_model::value::format_number;
use infra_model::Value;

use super::{describe, EvalResult, Evaluator};
use crate::{Key, Part, Scope};

type Op = Decorated<TraversalOperator>;

impl<'a> Evaluator<'a> {
    pub(crate) fn traversal(&mut self, t: &Traversal) -> EvalResult {
        if let Expression::Variable(name) = &t.expr {
            let scope: &'a dyn Scope = self.scope;
            let shadowed = self.locals.iter().any(|(n, _)| n == name.as_str());
            if let (false, Some(root)) = (shadowed, scope.lookup_parts(name.as_str())) {
                return self.traverse_borrowed(root, &t.operators);
            }
        }
        let base = self.expr(&t.expr)?;
        self.apply_ops(base, &t.operators)
    }

    /// Follow the plain steps by reference so that `aws_subnet.x.id` does not clone every
    /// subnet (nor assemble a block a scope keeps in parts); clone only from the first
    /// splat (or unusual step) on.
    fn traverse_borrowed(&mut self, root: Part<'a>, ops: &[Op]) -> EvalResult {
        let mut cur = root;
        let mut i = 0;
        while i < ops.len() {
            let next = match ops[i].value() {
                TraversalOperator::GetAttr(name) => match &cur {
                    Part::Value(Value::Map(m)) => m.get(name.as_str()).map(Part::Value),
                    Part::Parts(p) => p.get(Key::Name(name.as_str())),
                    Part::Value(_) => None,
                },
                TraversalOperator::LegacyIndex(k) => match (&cur, usize::try_from(*k.value())) {
                    (Part::Value(Value::List(l)), Ok(k)) => l.get(k).map(Part::Value),
                    (Part::Parts(p), Ok(k)) => p.get(Key::Index(k)),
                    _ => None,
                },
                TraversalOperator::Index(e) => match (&cur, self.expr(e)?) {
                    (Part::Value(Value::List(l)), Value::Number(n))
                        if n.fract() == 0.0 && n >= 0.0 =>
                    {
                        l.get(n as usize).map(Part::Value)
                    }
                    (Part::Value(Value::Map(m)), Value::String(s)) => m.get(&s).map(Part::Value),
                    (Part::Parts(p), Value::Number(n)) if n.fract() == 0.0 && n >= 0.0 => {
                        p.get(Key::Index(n as usize))
                    }
                    (Part::Parts(p), Value::String(s)) => p.get(Key::Name(&s)),
                    _ => None,
                },
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => None,
            };
            match next {
                Some(v) => {
                    cur = v;
                    i += 1;
                }
                None => break,
            }
        }
        self.apply_ops(cur.to_value(), &ops[i..])
    }

    fn apply_ops(&mut self, mut value: Value, ops: &[Op]) -> EvalResult {
        let mut i = 0;
        while i < ops.len() {
            let op = &ops[i];
            match op.value() {
                TraversalOperator::GetAttr(name) => {
                    value = self.get_attr(value, name.as_str(), op)?
                }
                TraversalOperator::Index(index_expr) => {
                    let key = self.expr(index_expr)?;
                    value = self.index(value, key, op)?;
                }
                TraversalOperator::LegacyIndex(n) => {
                    value = self.index(value, Value::Number(*n.value() as f64), op)?
                }
                TraversalOperator::AttrSplat(_) => {
                    // `.*` applies only the attribute steps that follow it to each element.
                    let rest = &ops[i + 1..];
                    let n = rest
                        .iter()
                        .take_while(|o| {
                            matches!(
                                o.value(),
                                TraversalOperator::GetAttr(_) | TraversalOperator::LegacyIndex(_)
                            )
                        })
                        .count();
                    value = self.splat(value, &rest[..n])?;
                    i += 1 + n;
                    continue;
                }
                TraversalOperator::FullSplat(_) => {
                    // `[*]` applies every step that follows it to each element.
                    return self.splat(value, &ops[i + 1..]);
                }
            }
            i += 1;
        }
        Ok(value)
    }

    fn splat(&mut self, value: Value, ops: &[Op]) -> EvalResult {
        match value {
            Value::Sensitive(_) => {
                let (inner, _) = self.unmark(value);
                Ok(self.splat(inner, ops)?.mark())
            }
            Value::Unknown => Ok(Value::Unknown),
            Value::Null => Ok(Value::List(Vec::new())),
            Value::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.apply_ops(item, ops)?);
                }
                Ok(Value::List(out))
            }
            other => Ok(Value::List(vec![self.apply_ops(other, ops)?])),
        }
    }

    fn get_attr(&mut self, value: Value, name: &str, op: &Op) -> EvalResult {
        match value {
            Value::Sensitive(_) => {
                let (inner, _) = self.unmark(value);
                Ok(self.get_attr(inner, name, op)?.mark())
            }
            Value::Unknown => Ok(Value::Unknown),
            Value::Map(mut m) => match m.remove(name) {
                Some(v) => Ok(v),
                None => {
                    let diag = self.error(op, format!("unsupported attribute \"{name}\""));
                    Err(match suggest(name, m.keys().map(String::as_str)) {
                        Some(s) => diag.with_detail(format!("did you mean \"{s}\"?")),
                        None => diag
                            .with_detail(format!("this object has no attribute named \"{name}\"")),
                    })
                }
            },
            Value::Null => Err(self
                .error(
                    op,
                    format!("cannot get attribute \"{name}\" of a null value"),
                )
                .with_detail("guard the access with a condition or try(...)")),
            Value::List(_) => Err(self
                .error(op, format!("cannot get attribute \"{name}\" of a list"))
                .with_detail(format!(
                    "use an index like [0].{name} or a splat like [*].{name}"
                ))),
            other => Err(self.error(
                op,
                format!("cannot get attribute \"{name}\" of {}", describe(&other)),
            )),
        }
    }

    fn index(&mut self, value: Value, key: Value, op: &Op) -> EvalResult {
        if value.is_marked() || key.has_marks() {
            let (value, vm) = self.unmark(value);
            let (key, km) = self.unmark_all(key);
            return Ok(self.index(value, key, op)?.mark_if(vm || km));
        }
        if key.is_unknown() || value.is_unknown() {
            return Ok(Value::Unknown);
        }
        match value {
            Value::List(mut items) => {
                let idx = match &key {
                    Value::Number(n) => Some(*n),
                    Value::String(s) => super::ops::parse_number(s),
                    _ => None,
                };
                let idx = match idx {
                    Some(i) if i.fract() == 0.0 => i,
                    _ => {
                        return Err(self.error(
                            op,
                            format!("list index must be a whole number, got {}", describe(&key)),
                        ))
                    }
                };
                if idx < 0.0 || idx >= items.len() as f64 {
                    return Err(self
                        .error(
                            op,
                            format!(
                                "index {} is out of range for a list of {} elements",
                                format_number(idx),
                                items.len()
                            ),
                        )
                        .with_detail("check the length with length(...) before indexing"));
                }
                Ok(items.swap_remove(idx as usize))
            }
            Value::Map(mut m) => {
                let k = match &key {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => format_number(*n),
                    Value::Bool(b) => b.to_string(),
                    _ => {
                        return Err(self.error(
                            op,
                            format!("map key must be a string, got {}", describe(&key)),
                        ))
                    }
                };
                match m.remove(&k) {
                    Some(v) => Ok(v),
                    None => {
                        let diag = self.error(op, format!("no element with key \"{k}\""));
                        Err(match suggest(&k, m.keys().map(String::as_str)) {
                            Some(s) => diag.with_detail(format!("did you mean \"{s}\"?")),
                            None => diag.with_detail(
                                "use lookup(map, key, default) when the key may be missing",
                            ),
                        })
                    }
                }
            }
            Value::Null => Err(self
                .error(op, "cannot index a null value")
                .with_detail("guard the access with a condition or try(...)")),
            other => Err(self
                .error(op, format!("cannot index {}", describe(&other)))
                .with_detail("only lists and maps can be indexed")),
        }
    }
}
