//! Evaluate a resource's body against its schema: arguments converted to the schema's
//! types (naming the argument on failure), CIDR checks, nested and `dynamic` blocks.
//! The result holds only what the user wrote; defaults are the planner's business.

use std::collections::BTreeMap;

use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;
use infra_lang::{Scope, SourceFile, TypeConstraint};
use infra_model::{Address, AttrSchema, AttrType, BlockSchema, Diagnostic, Value};

use crate::cidr;
use crate::decl::{attr_span, header_span, span};
use crate::meta::{META_ATTRS, META_BLOCKS};
use crate::remote_state;
use crate::scope::Bind;

pub(crate) fn type_constraint(t: &AttrType) -> TypeConstraint {
    match t {
        AttrType::String | AttrType::Json => TypeConstraint::String,
        AttrType::Number => TypeConstraint::Number,
        AttrType::Bool => TypeConstraint::Bool,
        AttrType::List(t) => TypeConstraint::List(Box::new(type_constraint(t))),
        AttrType::Set(t) => TypeConstraint::Set(Box::new(type_constraint(t))),
        AttrType::Map(t) => TypeConstraint::Map(Box::new(type_constraint(t))),
        AttrType::Any => TypeConstraint::Any,
    }
}

pub(crate) struct BodyEval<'a> {
    pub file: &'a SourceFile,
    pub address: &'a Address,
    pub diags: &'a mut Vec<Diagnostic>,
}

impl BodyEval<'_> {
    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d.with_address(self.address));
    }

    pub(crate) fn body(
        &mut self,
        body: &Body,
        attrs: &[AttrSchema],
        blocks: &[BlockSchema],
        scope: &dyn Scope,
        top: bool,
    ) -> Value {
        let mut out = BTreeMap::new();
        for a in body.attributes() {
            let k = a.key.as_str();
            // a type whose schema takes `region` (ECR Public's token, a us-east-1 service)
            // gets it as an argument
            if top
                && META_ATTRS.contains(&k)
                && !(k == "region" && attrs.iter().any(|s| s.name == k))
            {
                continue;
            }
            let value = match infra_lang::eval(&a.value, scope, self.file) {
                Ok(v) => v,
                Err(e) => {
                    self.error(e);
                    continue;
                }
            };
            if let Some(s) = attrs.iter().find(|s| s.name == k) {
                if value.is_null() {
                    if s.required {
                        self.error(
                            Diagnostic::error(format!("the required argument `{k}` is null"))
                                .with_detail(format!("give `{k}` a {} value", s.ty.describe()))
                                .with_span(span(self.file, &a.value)),
                        );
                    }
                    continue;
                }
                if !(s.required || s.optional) {
                    // a constant was refused at load
                    if !crate::statics::is_constant(&a.value) && !value.is_unknown() {
                        self.error(
                            Diagnostic::error(format!(
                                "`{k}` is computed by AWS and cannot be set"
                            ))
                            .with_detail(format!("leave `{k}` unset (or null); AWS decides it"))
                            .with_span(attr_span(self.file, a)),
                        );
                    }
                    continue;
                }
                if let Some(v) = self.convert(k, value, &s.ty, a) {
                    out.insert(k.to_string(), v);
                }
            } else if let Some(b) = blocks.iter().find(|b| b.name == k) {
                // attributes-as-blocks: `route = [{ ... }]`
                let ty = TypeConstraint::List(Box::new(TypeConstraint::Map(Box::new(
                    TypeConstraint::Any,
                ))));
                match value {
                    Value::Null => {}
                    Value::Unknown => {
                        out.insert(k.to_string(), Value::Unknown);
                    }
                    v => match infra_lang::convert(v, &ty) {
                        Ok(v) => {
                            out.insert(b.name.to_string(), v);
                        }
                        Err(why) => self.error(
                            Diagnostic::error(format!("invalid value for `{k}`: {why}"))
                                .with_detail(format!("`{k}` takes a list of objects, or write `{k} {{ ... }}` blocks"))
                                .with_span(attr_span(self.file, a)),
                        ),
                    },
                }
            }
        }
        let mut written: BTreeMap<&'static str, Option<Vec<Value>>> = BTreeMap::new();
        for b in body.blocks() {
            let k = b.ident.as_str();
            if top && (META_BLOCKS.contains(&k) || k == "provisioner" || k == "connection") {
                continue;
            }
            if k == "dynamic" {
                let Some(name) = b.labels.first().map(|l| l.as_str()) else {
                    continue;
                };
                let Some(s) = blocks.iter().find(|s| s.name == name) else {
                    continue;
                };
                let items = self.dynamic(&b.body, name, s, scope, header_span(self.file, b));
                let slot = written.entry(s.name).or_insert_with(|| Some(Vec::new()));
                match (slot.as_mut(), items) {
                    (Some(list), Some(items)) => list.extend(items),
                    _ => *slot = None,
                }
                continue;
            }
            let Some(s) = blocks.iter().find(|s| s.name == k) else {
                continue;
            };
            let v = self.body(&b.body, &s.attributes, &s.blocks, scope, false);
            if let Some(list) = written.entry(s.name).or_insert_with(|| Some(Vec::new())) {
                list.push(v);
            }
        }
        for (k, v) in written {
            // `dynamic` blocks that yield none of a computed (optional + computed) block
            // are no block at all, as in Terraform: the prior value is kept
            let computed = blocks.iter().any(|s| s.name == k && s.computed);
            if computed && v.as_ref().is_some_and(Vec::is_empty) {
                continue;
            }
            out.insert(k.to_string(), v.map(Value::List).unwrap_or(Value::Unknown));
        }
        Value::Map(out)
    }

    /// The blocks a `dynamic` block generates; `None` when its `for_each` is unknown.
    fn dynamic(
        &mut self,
        body: &Body,
        name: &str,
        s: &BlockSchema,
        scope: &dyn Scope,
        at: Option<infra_model::Span>,
    ) -> Option<Vec<Value>> {
        let iterator = match body.get_attribute("iterator").map(|a| &a.value) {
            Some(Expression::Variable(v)) => v.as_str().to_string(),
            _ => name.to_string(),
        };
        let f = body.get_attribute("for_each")?;
        // a marked collection makes every generated block's iterator value marked
        let (collection, marked) = match infra_lang::eval(&f.value, scope, self.file) {
            Ok(v) => {
                let (v, m) = v.unmark();
                (Ok(v), m)
            }
            Err(e) => (Err(e), false),
        };
        let items: Vec<(Value, Value)> = match collection {
            Ok(Value::Unknown) => return None,
            Ok(Value::Null) => Vec::new(),
            Ok(Value::List(l)) => l
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Value::from(i as i64), v.mark_if(marked)))
                .collect(),
            Ok(Value::Map(m)) => m
                .into_iter()
                .map(|(k, v)| (Value::from(k), v.mark_if(marked)))
                .collect(),
            Ok(other) => {
                self.error(
                    Diagnostic::error(format!(
                        "a dynamic block's `for_each` must be a list, set or map, found {}",
                        other.type_name()
                    ))
                    .with_detail("give it a collection to generate one block per element")
                    .with_span(span(self.file, &f.value).or(at)),
                );
                return Some(Vec::new());
            }
            Err(e) => {
                self.error(e);
                return Some(Vec::new());
            }
        };
        let mut out = Vec::new();
        for (key, value) in items {
            let bind = Bind {
                parent: scope,
                name: &iterator,
                value: Value::map([("key", key), ("value", value)]),
            };
            for c in body.get_blocks("content") {
                out.push(self.body(&c.body, &s.attributes, &s.blocks, &bind, false));
            }
        }
        Some(out)
    }

    fn convert(
        &mut self,
        name: &str,
        value: Value,
        ty: &AttrType,
        attr: &hcl_edit::structure::Attribute,
    ) -> Option<Value> {
        // computed only for an error: every attribute of every instance comes through here,
        // and a span costs a scan of its file
        let file = self.file;
        let at = || attr_span(file, attr);
        let v = if value.is_unknown() {
            value
        } else {
            match infra_lang::convert(value, &type_constraint(ty)) {
                Ok(v) => v,
                Err(why) => {
                    self.error(
                        Diagnostic::error(format!("invalid value for `{name}`: {why}"))
                            .with_detail(format!("`{name}` takes a {}", ty.describe()))
                            .with_span(at()),
                    );
                    return None;
                }
            }
        };
        if name.contains("cidr_block") {
            let mut bad = Vec::new();
            let mut check = |v: &Value| {
                if let Value::String(s) = v {
                    if let Err(why) = cidr::check(s) {
                        bad.push(format!("invalid CIDR block \"{s}\" in `{name}`: {why}"));
                    }
                }
            };
            match &v {
                Value::List(items) => items.iter().for_each(&mut check),
                other => check(other),
            }
            if !bad.is_empty() {
                for b in bad {
                    self.error(
                        Diagnostic::error(b)
                            .with_detail(
                                "write a network address and prefix length such as 10.0.0.0/16",
                            )
                            .with_span(at()),
                    );
                }
                return None;
            }
        }
        if let Some(d) = crate::value_checks::check(self.address, name, &v) {
            self.error(d.with_span(at()));
            return None;
        }
        if self.address.mode == infra_model::Mode::Data
            && self.address.type_name == remote_state::TYPE_NAME
        {
            if let Err(d) = remote_state::check(name, &v) {
                self.error(d.with_span(at()));
                return None;
            }
        }
        Some(v)
    }
}
