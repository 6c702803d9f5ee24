//! `count` and `for_each` expansion (of resources, data sources and module calls) into
//! instance keys with their `count.index` / `each` bindings.

use std::collections::BTreeSet;

use hcl_edit::expr::{Expression, TraversalOperator};
use infra_lang::{SourceFile, TypeConstraint};
use infra_model::{Diagnostic, InstanceKey, Value};

use crate::decl::{span, Declarations, Expansion};

/// The most instances one block may expand into: far beyond what an AWS account holds,
/// and low enough that a typo (`count = 1e9`) fails at once instead of exhausting memory.
pub(crate) const MAX_INSTANCES: usize = 10_000;

fn too_many(what: &str, n: f64, file: &SourceFile, e: &Expression) -> Diagnostic {
    Diagnostic::error(format!(
        "`{what}` asks for {n} instances, more than the {MAX_INSTANCES} one block may have"
    ))
    .with_detail(format!(
        "check the `{what}` value; split the block if you really need more"
    ))
    .with_span(span(file, e))
}

/// An instance key with what its `count` / `each` binding is made of.
pub(crate) type Keyed = (Option<InstanceKey>, Binding);

/// What an instance's `count` / `each` binding is made of; the binding itself is built
/// only for an instance that is evaluated (at apply time, one of a block's instances).
pub(crate) enum Binding {
    None,
    Count,
    /// `each.value` (`each.key` is the instance key).
    Each(Value),
}

impl Binding {
    /// `count = { index }` or `each = { key, value }` for the instance `key`.
    pub(crate) fn into_pair(self, key: &Option<InstanceKey>) -> Option<(&'static str, Value)> {
        let index = match key {
            Some(InstanceKey::Int(i)) => Value::from(*i),
            Some(InstanceKey::Str(s)) => Value::String(s.clone()),
            None => Value::Null,
        };
        match self {
            Binding::None => None,
            Binding::Count => Some(("count", Value::map([("index", index)]))),
            Binding::Each(v) => Some(("each", Value::map([("key", index), ("value", v)]))),
        }
    }
}

/// What a block's expansion needs.
pub(crate) struct Expander<'a> {
    pub expansion: Expansion,
    pub count: Option<&'a Expression>,
    pub for_each: Option<&'a Expression>,
}

/// Where expansion evaluates: the module's declarations, the file and the scope.
pub(crate) struct Ctx<'a> {
    pub decls: &'a Declarations,
    pub file: &'a SourceFile,
    pub scope: &'a dyn infra_lang::Scope,
}

impl Ctx<'_> {
    /// The instance keys of a block, each with its `count` / `each` binding.
    pub(crate) fn expand(&self, r: &Expander) -> Result<Vec<Keyed>, Diagnostic> {
        let file = self.file;
        let after_apply = |what: &str, e: &Expression| {
            Diagnostic::error(format!("the `{what}` value depends on resource attributes that cannot be determined until apply"))
                .with_detail(format!(
                    "set `{what}` from values known at plan time (variables, locals, data sources), or first create the resources it depends on with `infra apply --target ...`"
                ))
                .with_span(span(file, e))
        };
        match r.expansion {
            Expansion::Single => Ok(vec![(None, Binding::None)]),
            Expansion::Count => {
                let Some(e) = r.count else {
                    return Ok(vec![(None, Binding::None)]);
                };
                let v = infra_lang::eval(e, self.scope, file)?;
                if v.has_marks() {
                    return Err(sensitive_expansion("count", file, e));
                }
                let bad = |found: String| {
                    Diagnostic::error(format!(
                        "`count` must be a whole number of zero or more, found {found}"
                    ))
                    .with_detail("give count a number such as `count = length(var.azs)`")
                    .with_span(span(file, e))
                };
                let n = match v {
                    Value::Unknown => return Err(after_apply("count", e)),
                    Value::Null => return Err(bad("null".into())),
                    v => match infra_lang::convert(v.clone(), &TypeConstraint::Number) {
                        Ok(Value::Number(n)) if n.fract() == 0.0 && n > MAX_INSTANCES as f64 => {
                            return Err(too_many("count", n, file, e))
                        }
                        Ok(Value::Number(n)) if n.fract() == 0.0 && n >= 0.0 => n as i64,
                        Ok(Value::Unknown) => return Err(after_apply("count", e)),
                        _ => return Err(bad(v.to_string())),
                    },
                };
                Ok((0..n)
                    .map(|i| (Some(InstanceKey::Int(i)), Binding::Count))
                    .collect())
            }
            Expansion::ForEach => {
                let Some(e) = r.for_each else {
                    return Ok(vec![(None, Binding::None)]);
                };
                let v = infra_lang::eval(e, self.scope, file)?;
                // the keys become instance addresses, shown everywhere: they cannot be
                // secret (a marked map *value* is fine: each.value keeps its mark)
                if v.is_marked() || v.as_list().is_some_and(|l| l.iter().any(Value::has_marks)) {
                    return Err(sensitive_expansion("for_each", file, e));
                }
                let entries: Vec<(String, Value)> = match v {
                    Value::Unknown => return Err(after_apply("for_each", e)),
                    Value::Map(m) => m.into_iter().collect(),
                    Value::List(items) => {
                        if self.is_list_expr(e, 0) {
                            return Err(Diagnostic::error(
                                "`for_each` takes a map or a set of strings, and this is a list",
                            )
                            .with_detail(
                                "convert it with toset(...), e.g. `for_each = toset(var.azs)`",
                            )
                            .with_span(span(file, e)));
                        }
                        let mut keys = BTreeSet::new();
                        for item in items {
                            match item {
                                Value::String(s) => {
                                    keys.insert(s);
                                }
                                Value::Unknown => return Err(after_apply("for_each", e)),
                                other => return Err(Diagnostic::error(format!(
                                    "a `for_each` set must hold strings, found {}",
                                    other.type_name()
                                ))
                                .with_detail(
                                    "use a map, or a set of strings such as toset([\"a\", \"b\"])",
                                )
                                .with_span(span(file, e))),
                            }
                        }
                        keys.into_iter()
                            .map(|k| (k.clone(), Value::String(k)))
                            .collect()
                    }
                    other => {
                        return Err(Diagnostic::error(format!(
                            "`for_each` takes a map or a set of strings, found {}",
                            other.type_name()
                        ))
                        .with_detail("use a map, or toset([...]) of strings")
                        .with_span(span(file, e)))
                    }
                };
                if entries.len() > MAX_INSTANCES {
                    return Err(too_many("for_each", entries.len() as f64, file, e));
                }
                Ok(entries
                    .into_iter()
                    .map(|(k, v)| (Some(InstanceKey::Str(k)), Binding::Each(v)))
                    .collect())
            }
        }
    }

    /// Whether an expression statically produces a list or tuple rather than a set
    /// (values do not carry the distinction, expressions do).
    fn is_list_expr(&self, e: &Expression, depth: usize) -> bool {
        if depth > 8 {
            return false;
        }
        match e {
            Expression::Array(_) => true,
            Expression::ForExpr(f) => f.key_expr.is_none(),
            Expression::Parenthesis(p) => self.is_list_expr(p.inner(), depth + 1),
            Expression::FuncCall(f) => matches!(
                f.name.name.as_str(),
                "concat"
                    | "tolist"
                    | "split"
                    | "range"
                    | "slice"
                    | "sort"
                    | "keys"
                    | "values"
                    | "flatten"
                    | "compact"
                    | "distinct"
                    | "reverse"
                    | "formatlist"
                    | "cidrsubnets"
            ),
            Expression::Traversal(t) => {
                let (Expression::Variable(root), [op]) = (&t.expr, t.operators.as_slice()) else {
                    return false;
                };
                let TraversalOperator::GetAttr(name) = op.value() else {
                    return false;
                };
                match root.as_str() {
                    "var" => self.decls.variables.get(name.as_str()).is_some_and(|v| {
                        matches!(v.ty, TypeConstraint::List(_) | TypeConstraint::Tuple(_))
                    }),
                    "local" => self
                        .decls
                        .locals
                        .get(name.as_str())
                        .is_some_and(|l| self.is_list_expr(&l.expr, depth + 1)),
                    _ => false,
                }
            }
            _ => false,
        }
    }
}

fn sensitive_expansion(what: &str, file: &SourceFile, e: &Expression) -> Diagnostic {
    Diagnostic::error(format!(
        "`{what}` cannot use sensitive values, or values derived from them"
    ))
    .with_detail(
        "instance keys are shown in every plan; use a value that is not sensitive, or wrap it in nonsensitive(...) if it is safe to show",
    )
    .with_span(span(file, e))
}
