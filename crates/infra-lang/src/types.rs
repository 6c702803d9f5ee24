//! Type constraints (`list(object({ name = string, size = optional(number, 1) }))`) and
//! Terraform's safe conversions between values.

use std::collections::BTreeMap;

use crate::eval::suggest;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::Span as _;
use infra_model::value::format_number;
use infra_model::{Diagnostic, Value};

use crate::eval::describe;
use crate::{span_of, SourceFile, TypeConstraint};

/// Defaults given by `optional(T, default)` inside a type constraint, in the same shape as
/// the type. [`TypeConstraint`] has no room for them, so [`parse_type_with_defaults`] returns
/// them alongside and [`convert_with_defaults`] applies them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TypeDefaults {
    /// Default values of optional object attributes.
    pub attrs: BTreeMap<String, Value>,
    /// Defaults inside the types of object attributes.
    pub nested: BTreeMap<String, TypeDefaults>,
    /// Defaults inside the element type of a list, set or map.
    pub elements: Option<Box<TypeDefaults>>,
    /// Defaults inside each element type of a tuple.
    pub tuple: Vec<TypeDefaults>,
}

impl TypeDefaults {
    fn is_empty(&self) -> bool {
        self.attrs.is_empty()
            && self.nested.is_empty()
            && self.elements.is_none()
            && self.tuple.iter().all(TypeDefaults::is_empty)
    }
}

const TYPE_NAMES: &[&str] = &[
    "string", "number", "bool", "any", "list", "set", "map", "tuple", "object",
];

/// Parse a type constraint and the defaults of its `optional(T, default)` attributes.
pub fn parse_type_with_defaults(
    expr: &Expression,
    file: &SourceFile,
) -> Result<(TypeConstraint, TypeDefaults), Diagnostic> {
    parse_type_at(expr, file, 0, false).map(|(t, d, _)| (t, d))
}

type Parsed = (TypeConstraint, TypeDefaults, Option<Option<Value>>);

/// Returns the type, its nested defaults, and for `optional(...)` (only allowed when
/// `in_object`) `Some(default)`.
fn parse_type_at(
    expr: &Expression,
    file: &SourceFile,
    depth: usize,
    in_object: bool,
) -> Result<Parsed, Diagnostic> {
    let err = |msg: String| Diagnostic::error(msg).with_span(span_of(file, expr.span()));
    if depth > 64 {
        return Err(err("type constraint is nested too deeply".to_string()));
    }
    let simple = |name: &str| -> Option<TypeConstraint> {
        Some(match name {
            "string" => TypeConstraint::String,
            "number" => TypeConstraint::Number,
            "bool" => TypeConstraint::Bool,
            "any" => TypeConstraint::Any,
            "list" => TypeConstraint::List(Box::new(TypeConstraint::Any)),
            "set" => TypeConstraint::Set(Box::new(TypeConstraint::Any)),
            "map" => TypeConstraint::Map(Box::new(TypeConstraint::Any)),
            _ => return None,
        })
    };
    let unknown_type = |name: &str| {
        let d = err(format!("unknown type \"{name}\""));
        match suggest(name, TYPE_NAMES.iter().copied()) {
            Some(s) => d.with_detail(format!("did you mean \"{s}\"?")),
            None => d.with_detail("use string, number, bool, any, list(T), set(T), map(T), tuple([...]) or object({...})"),
        }
    };
    match expr {
        Expression::Variable(name) => match simple(name.as_str()) {
            Some(t) => Ok((t, TypeDefaults::default(), None)),
            None => Err(unknown_type(name.as_str())),
        },
        Expression::String(s) => match simple(s.value()) {
            Some(t) => Ok((t, TypeDefaults::default(), None)),
            None => Err(unknown_type(s.value())),
        },
        Expression::Parenthesis(p) => parse_type_at(p.inner(), file, depth + 1, in_object),
        Expression::FuncCall(call) => {
            let name = call.name.name.as_str();
            let args: Vec<&Expression> = call.args.iter().collect();
            let one_arg = || -> Result<&Expression, Diagnostic> {
                match args.as_slice() {
                    [a] => Ok(*a),
                    _ => Err(err(format!(
                        "{name}(...) takes exactly one argument, got {}",
                        args.len()
                    ))),
                }
            };
            match name {
                "list" | "set" | "map" => {
                    let (inner, d, _) = parse_type_at(one_arg()?, file, depth + 1, false)?;
                    let defaults = TypeDefaults { elements: (!d.is_empty()).then(|| Box::new(d)), ..Default::default() };
                    let t = match name {
                        "list" => TypeConstraint::List(Box::new(inner)),
                        "set" => TypeConstraint::Set(Box::new(inner)),
                        _ => TypeConstraint::Map(Box::new(inner)),
                    };
                    Ok((t, defaults, None))
                }
                "tuple" => match one_arg()? {
                    Expression::Array(items) => {
                        let mut types = Vec::new();
                        let mut defaults = TypeDefaults::default();
                        for item in items.iter() {
                            let (t, d, _) = parse_type_at(item, file, depth + 1, false)?;
                            types.push(t);
                            defaults.tuple.push(d);
                        }
                        Ok((TypeConstraint::Tuple(types), defaults, None))
                    }
                    _ => Err(err("tuple(...) takes a list of types, like tuple([string, number])".to_string())),
                },
                "object" => match one_arg()? {
                    Expression::Object(object) => {
                        let mut attrs = BTreeMap::new();
                        let mut defaults = TypeDefaults::default();
                        for (key, value) in object.iter() {
                            let key = match key {
                                ObjectKey::Ident(i) => i.as_str().to_string(),
                                ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                                ObjectKey::Expression(Expression::Variable(v)) => v.as_str().to_string(),
                                ObjectKey::Expression(e) => {
                                    return Err(Diagnostic::error("object type attribute names must be plain names").with_span(span_of(file, e.span())))
                                }
                            };
                            let (t, d, optional) = parse_type_at(value.expr(), file, depth + 1, true)?;
                            if !d.is_empty() {
                                defaults.nested.insert(key.clone(), d);
                            }
                            if let Some(Some(default)) = &optional {
                                defaults.attrs.insert(key.clone(), default.clone());
                            }
                            attrs.insert(key, (t, optional.is_some()));
                        }
                        Ok((TypeConstraint::Object(attrs), defaults, None))
                    }
                    _ => Err(err("object(...) takes an object of attribute types, like object({ name = string })".to_string())),
                },
                "optional" => {
                    if !in_object {
                        return Err(err("optional(...) is only allowed for an attribute of object({...})".to_string()));
                    }
                    let (type_expr, default_expr) = match args.as_slice() {
                        [t] => (*t, None),
                        [t, d] => (*t, Some(*d)),
                        _ => return Err(err(format!("optional(...) takes a type and an optional default, got {} arguments", args.len()))),
                    };
                    let (t, d, _) = parse_type_at(type_expr, file, depth + 1, false)?;
                    let default = match default_expr {
                        Some(e) => {
                            let empty: BTreeMap<String, Value> = BTreeMap::new();
                            let v = crate::eval::eval(e, &empty, file)?;
                            let v = convert_with_defaults(v, &t, &d)
                                .map_err(|m| Diagnostic::error(format!("invalid default value: {m}")).with_span(span_of(file, e.span())))?;
                            Some(v)
                        }
                        None => None,
                    };
                    Ok((t, d, Some(default)))
                }
                other => Err(unknown_type(other)),
            }
        }
        _ => Err(err("invalid type constraint".to_string()).with_detail(
            "use string, number, bool, any, list(T), set(T), map(T), tuple([...]) or object({...})",
        )),
    }
}

/// Convert a value to a type as Terraform does. Missing optional attributes become null.
pub(crate) fn convert(value: Value, ty: &TypeConstraint) -> Result<Value, String> {
    convert_with_defaults(value, ty, &TypeDefaults::default())
}

/// [`crate::convert`], also filling in `optional(T, default)` defaults.
pub fn convert_with_defaults(
    value: Value,
    ty: &TypeConstraint,
    defaults: &TypeDefaults,
) -> Result<Value, String> {
    if value.is_marked() {
        // convert the value under the mark; an error never repeats its text
        let secrets = value.secret_strings();
        let (inner, _) = value.unmark();
        return convert_with_defaults(inner, ty, defaults)
            .map(Value::mark)
            .map_err(|e| infra_model::sensitive::scrub(&e, &secrets));
    }
    if matches!(value, Value::Unknown) {
        return Ok(Value::Unknown);
    }
    if matches!(value, Value::Null) {
        return Ok(Value::Null);
    }
    let none = TypeDefaults::default();
    let elem_defaults = defaults.elements.as_deref().unwrap_or(&none);
    match ty {
        TypeConstraint::Any => Ok(value),
        TypeConstraint::String => match value {
            Value::String(_) => Ok(value),
            Value::Number(n) => Ok(Value::String(format_number(n))),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            other => Err(format!("expected string, got {}", describe(&other))),
        },
        TypeConstraint::Number => match &value {
            Value::Number(_) => Ok(value),
            Value::String(s) => match crate::eval::parse_number(s) {
                Some(n) => Ok(Value::Number(n)),
                None => Err(format!("expected number, got {}", describe(&value))),
            },
            other => Err(format!("expected number, got {}", describe(other))),
        },
        TypeConstraint::Bool => match crate::eval::to_bool(&value) {
            Some(b) => Ok(Value::Bool(b)),
            None => Err(format!("expected bool, got {}", describe(&value))),
        },
        TypeConstraint::List(elem) | TypeConstraint::Set(elem) => {
            let items = match value {
                Value::List(items) => items,
                other => {
                    return Err(format!(
                        "expected {}, got {}",
                        if matches!(ty, TypeConstraint::Set(_)) {
                            "set"
                        } else {
                            "list"
                        },
                        describe(&other)
                    ))
                }
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                out.push(
                    convert_with_defaults(item, elem, elem_defaults)
                        .map_err(|e| format!("element {i}: {e}"))?,
                );
            }
            if **elem == TypeConstraint::Any {
                out = unify(out)?;
            }
            if matches!(ty, TypeConstraint::Set(_)) {
                out = set_of(out);
            }
            Ok(Value::List(out))
        }
        TypeConstraint::Map(elem) => {
            let entries = match value {
                Value::Map(m) => m,
                other => return Err(format!("expected map, got {}", describe(&other))),
            };
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let v = convert_with_defaults(v, elem, elem_defaults)
                    .map_err(|e| format!("element \"{k}\": {e}"))?;
                out.insert(k, v);
            }
            if **elem == TypeConstraint::Any {
                let (keys, values): (Vec<String>, Vec<Value>) = out.into_iter().unzip();
                out = keys.into_iter().zip(unify(values)?).collect();
            }
            Ok(Value::Map(out))
        }
        TypeConstraint::Tuple(types) => {
            let items = match value {
                Value::List(items) => items,
                other => return Err(format!("expected tuple, got {}", describe(&other))),
            };
            if items.len() != types.len() {
                return Err(format!(
                    "expected a tuple of {} elements, got {}",
                    types.len(),
                    items.len()
                ));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, t)) in items.into_iter().zip(types).enumerate() {
                let d = defaults.tuple.get(i).unwrap_or(&none);
                out.push(
                    convert_with_defaults(item, t, d).map_err(|e| format!("element {i}: {e}"))?,
                );
            }
            Ok(Value::List(out))
        }
        TypeConstraint::Object(attrs) => {
            let mut entries = match value {
                Value::Map(m) => m,
                other => return Err(format!("expected object, got {}", describe(&other))),
            };
            let mut out = BTreeMap::new();
            for (name, (t, optional)) in attrs {
                let nested = defaults.nested.get(name).unwrap_or(&none);
                let v = match entries.remove(name) {
                    Some(Value::Null) | None if *optional => {
                        defaults.attrs.get(name).cloned().unwrap_or(Value::Null)
                    }
                    None => return Err(format!("attribute \"{name}\" is required")),
                    Some(v) => convert_with_defaults(v, t, nested)
                        .map_err(|e| format!("attribute \"{name}\": {e}"))?,
                };
                out.insert(name.clone(), v);
            }
            Ok(Value::Map(out))
        }
    }
}

/// Give the elements of a collection one type, as Terraform does for `list(any)`: strings
/// win over numbers and bools; other mixes are an error.
pub(crate) fn unify(items: Vec<Value>) -> Result<Vec<Value>, String> {
    let kinds: Vec<&'static str> = items
        .iter()
        .filter(|v| !v.is_null() && !v.is_unknown())
        .map(Value::type_name)
        .collect();
    let first = match kinds.first() {
        Some(k) => *k,
        None => return Ok(items),
    };
    if kinds.iter().all(|k| *k == first) {
        return Ok(items);
    }
    let primitive = |k: &&str| matches!(*k, "string" | "number" | "bool");
    if kinds.iter().all(primitive) && kinds.contains(&"string") {
        return items
            .into_iter()
            .map(|v| convert(v, &TypeConstraint::String))
            .collect();
    }
    Err(format!(
        "all elements must have the same type, got a mix of {} and {}",
        first,
        kinds.iter().find(|k| **k != first).unwrap_or(&first)
    ))
}

/// Deduplicate, and sort strings and numbers the way Terraform orders sets.
pub(crate) fn set_of(items: Vec<Value>) -> Vec<Value> {
    if !items.iter().all(Value::is_wholly_known) {
        return items;
    }
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    if out.iter().all(|v| matches!(v, Value::String(_))) {
        out.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    } else if out.iter().all(|v| matches!(v, Value::Number(_))) {
        out.sort_by(|a, b| {
            a.as_f64()
                .unwrap_or(0.0)
                .total_cmp(&b.as_f64().unwrap_or(0.0))
        });
    }
    out
}
