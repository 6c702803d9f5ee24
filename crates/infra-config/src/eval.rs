//! Evaluation in dependency order: locals, resource and data instances (through the
//! caller's visitor), outputs; plus the provider block at load time and the apply-time
//! re-evaluation entry points.

use std::collections::{BTreeMap, BTreeSet};

use hcl_edit::expr::{Expression, TraversalOperator};
use infra_lang::TypeConstraint;
use infra_model::{Address, DesiredInstance, Diagnostic, InstanceKey, Value};

use crate::body::BodyEval;
use crate::decl::{span, Expansion, ResourceConfig};
use crate::graph::Node;
use crate::scope::{self, Bind};
use crate::{Evaluation, OutputValue, ProviderConfig, Stack};

struct Walker<'s> {
    stack: &'s Stack,
    base: BTreeMap<String, Value>,
    /// Instance addresses of each resource block evaluated so far.
    instances: BTreeMap<Address, Vec<Address>>,
    outputs: BTreeMap<String, OutputValue>,
    diags: Vec<Diagnostic>,
}

/// An instance key with its `count` / `each` binding.
type Keyed = (Option<InstanceKey>, Option<(&'static str, Value)>);

type Visit<'v> = &'v mut dyn FnMut(&DesiredInstance) -> Value;

impl<'s> Walker<'s> {
    fn new(stack: &'s Stack) -> Self {
        Walker {
            stack,
            base: scope::root(&stack.variables),
            instances: BTreeMap::new(),
            outputs: BTreeMap::new(),
            diags: Vec::new(),
        }
    }

    /// Evaluate `only` (or everything) in dependency order.
    fn run(&mut self, only: Option<&BTreeSet<Node>>, visit: Visit) {
        for node in self.stack.graph.order() {
            if only.is_some_and(|o| !o.contains(&node)) {
                continue;
            }
            match &node {
                Node::Variable(_) | Node::Provider => {}
                Node::Local(name) => self.local(name),
                Node::Resource(a) => self.resource(a, visit),
                Node::Output(name) => self.output(name),
            }
        }
    }

    fn local(&mut self, name: &str) {
        let Some(l) = self.stack.decls.locals.get(name) else {
            return;
        };
        let v =
            infra_lang::eval(&l.expr, &self.base, &self.stack.files[l.file]).unwrap_or_else(|e| {
                self.diags.push(e);
                Value::Unknown
            });
        scope::set_local(&mut self.base, name, v);
    }

    fn output(&mut self, name: &str) {
        let Some(o) = self.stack.decls.outputs.get(name) else {
            return;
        };
        let value = match &o.value {
            Some(e) => {
                infra_lang::eval(e, &self.base, &self.stack.files[o.file]).unwrap_or_else(|e| {
                    self.diags.push(e);
                    Value::Unknown
                })
            }
            None => Value::Null,
        };
        self.outputs.insert(
            name.to_string(),
            OutputValue {
                value,
                sensitive: o.sensitive,
                description: o.description.clone(),
            },
        );
    }

    fn resource(&mut self, addr: &Address, visit: Visit) {
        let Some(r) = self.stack.decls.resources.get(addr) else {
            return;
        };
        let Some(schema) = r.schema() else { return };
        let file = &self.stack.files[r.file];
        let keys = match self.expand(r) {
            Ok(k) => k,
            Err(e) => {
                self.diags.push(e.with_address(addr));
                scope::set_resource(&mut self.base, addr, Value::Unknown);
                self.instances.insert(addr.clone(), Vec::new());
                return;
            }
        };
        let mut deps: BTreeSet<Address> = self
            .stack
            .graph
            .resource_dependencies(&Node::Resource(addr.clone()));
        deps.extend(r.depends_on.iter().cloned());
        let depends_on: Vec<Address> = deps
            .iter()
            .flat_map(|d| match self.instances.get(d) {
                Some(list) if !list.is_empty() => list.clone(),
                _ => vec![d.clone()],
            })
            .collect();
        let mut values = Vec::new();
        let mut addresses = Vec::new();
        for (key, bind) in keys {
            let address = addr.clone().with_key(key.clone());
            let before = self.diags.len();
            let config = {
                let mut ev = BodyEval {
                    file,
                    address: &address,
                    diags: &mut self.diags,
                };
                match &bind {
                    Some((name, v)) => {
                        let s = Bind {
                            parent: &self.base,
                            name,
                            value: v.clone(),
                        };
                        ev.body(&r.body, &schema.attributes, &schema.blocks, &s, true)
                    }
                    None => ev.body(
                        &r.body,
                        &schema.attributes,
                        &schema.blocks,
                        &self.base,
                        true,
                    ),
                }
            };
            let value = if self.diags.len() > before {
                Value::Unknown
            } else {
                let inst = DesiredInstance {
                    address: address.clone(),
                    config,
                    depends_on: depends_on.clone(),
                    lifecycle: r.lifecycle.clone(),
                };
                visit(&inst)
            };
            values.push((key, value));
            addresses.push(address);
        }
        let agg = match r.expansion {
            Expansion::Single => values
                .into_iter()
                .next()
                .map(|(_, v)| v)
                .unwrap_or(Value::Null),
            Expansion::Count => Value::List(values.into_iter().map(|(_, v)| v).collect()),
            Expansion::ForEach => Value::Map(
                values
                    .into_iter()
                    .map(|(k, v)| match k {
                        Some(InstanceKey::Str(s)) => (s, v),
                        Some(InstanceKey::Int(i)) => (i.to_string(), v),
                        None => (String::new(), v),
                    })
                    .collect(),
            ),
        };
        scope::set_resource(&mut self.base, addr, agg);
        self.instances.insert(addr.clone(), addresses);
    }

    /// The instance keys of a block, each with its `count` / `each` binding.
    fn expand(&self, r: &ResourceConfig) -> Result<Vec<Keyed>, Diagnostic> {
        let file = &self.stack.files[r.file];
        let after_apply = |what: &str, e: &Expression| {
            Diagnostic::error(format!("the `{what}` value depends on resource attributes that cannot be determined until apply"))
                .with_detail(format!(
                    "set `{what}` from values known at plan time (variables, locals, data sources), or first create the resources it depends on with `infra apply --target ...`"
                ))
                .with_span(span(file, e))
        };
        match r.expansion {
            Expansion::Single => Ok(vec![(None, None)]),
            Expansion::Count => {
                let Some(e) = &r.count else {
                    return Ok(vec![(None, None)]);
                };
                let v = infra_lang::eval(e, &self.base, file)?;
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
                        Ok(Value::Number(n)) if n.fract() == 0.0 && (0.0..1e9).contains(&n) => {
                            n as i64
                        }
                        Ok(Value::Unknown) => return Err(after_apply("count", e)),
                        _ => return Err(bad(v.to_string())),
                    },
                };
                Ok((0..n)
                    .map(|i| {
                        (
                            Some(InstanceKey::Int(i)),
                            Some(("count", Value::map([("index", Value::from(i))]))),
                        )
                    })
                    .collect())
            }
            Expansion::ForEach => {
                let Some(e) = &r.for_each else {
                    return Ok(vec![(None, None)]);
                };
                let v = infra_lang::eval(e, &self.base, file)?;
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
                Ok(entries
                    .into_iter()
                    .map(|(k, v)| {
                        (
                            Some(InstanceKey::Str(k.clone())),
                            Some((
                                "each",
                                Value::map([("key", Value::String(k)), ("value", v)]),
                            )),
                        )
                    })
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
                    "var" => self
                        .stack
                        .decls
                        .variables
                        .get(name.as_str())
                        .is_some_and(|v| {
                            matches!(v.ty, TypeConstraint::List(_) | TypeConstraint::Tuple(_))
                        }),
                    "local" => self
                        .stack
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

/// Evaluate the provider block at load time (from variables and locals only).
pub(crate) fn provider(stack: &Stack, diags: &mut Vec<Diagnostic>) -> ProviderConfig {
    let Some(p) = &stack.decls.provider else {
        return ProviderConfig::default();
    };
    let needs = stack.graph.closure([&Node::Provider]);
    if let Some(Node::Resource(a)) = needs.iter().find(|n| matches!(n, Node::Resource(_))) {
        diags.push(
            Diagnostic::error(format!("the provider configuration cannot depend on `{a}`"))
                .with_detail("configure the provider from variables and locals that do not refer to resources or data sources")
                .with_span(p.span.clone()),
        );
        return ProviderConfig::default();
    }
    let mut w = Walker::new(stack);
    w.run(Some(&needs), &mut |_| Value::Unknown);
    diags.append(&mut w.diags);
    let file = &stack.files[p.file];
    let mut out = ProviderConfig::default();
    let mut get = |e: &Expression, ty: TypeConstraint, what: &str| -> Option<Value> {
        let v = infra_lang::eval(e, &w.base, file)
            .map_err(|d| diags.push(d))
            .ok()?;
        if v.is_null() {
            return None;
        }
        match infra_lang::convert(v, &ty) {
            Ok(v) if v.is_wholly_known() => Some(v),
            Ok(_) => None,
            Err(why) => {
                diags.push(
                    Diagnostic::error(format!("invalid value for the provider's `{what}`: {why}"))
                        .with_span(span(file, e)),
                );
                None
            }
        }
    };
    if let Some(a) = p.body.get_attribute("region") {
        out.region = get(&a.value, TypeConstraint::String, "region")
            .and_then(|v| v.as_str().map(str::to_string));
    }
    for b in p.body.get_blocks("default_tags") {
        if let Some(a) = b.body.get_attribute("tags") {
            if let Some(Value::Map(m)) = get(
                &a.value,
                TypeConstraint::Map(Box::new(TypeConstraint::String)),
                "default_tags.tags",
            ) {
                out.default_tags.extend(
                    m.into_iter()
                        .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string()))),
                );
            }
        }
    }
    out
}

fn stored(values: &BTreeMap<Address, Value>) -> impl FnMut(&DesiredInstance) -> Value + '_ {
    |inst| values.get(&inst.address).cloned().unwrap_or(Value::Unknown)
}

impl Stack {
    /// Evaluate the whole stack in dependency order. Each resource and data instance is
    /// passed to `visit`; the value it returns is what later references to that instance
    /// see. An instance whose configuration has errors is not visited (references to it
    /// see an unknown value) and the errors are returned.
    pub fn walk(
        &self,
        visit: &mut dyn FnMut(&DesiredInstance) -> Value,
    ) -> (Evaluation, Vec<Diagnostic>) {
        let mut w = Walker::new(self);
        w.run(None, visit);
        (Evaluation { outputs: w.outputs }, w.diags)
    }

    /// Re-evaluate one resource instance's configuration from the current values of all
    /// instances (`values`, keyed by instance address; missing ones are unknown). Only
    /// what the instance depends on is evaluated.
    pub fn evaluate_instance(
        &self,
        address: &Address,
        values: &BTreeMap<Address, Value>,
    ) -> Result<Value, Diagnostic> {
        let config_addr = address.config_address();
        if !self.decls.resources.contains_key(&config_addr) {
            return Err(Diagnostic::error(format!(
                "no resource `{config_addr}` in the configuration"
            ))
            .with_address(address));
        }
        let needs = self.graph.closure([&Node::Resource(config_addr)]);
        let mut found = None;
        let mut lookup = stored(values);
        let mut w = Walker::new(self);
        w.run(Some(&needs), &mut |inst| {
            if inst.address == *address {
                found = Some(inst.config.clone());
            }
            lookup(inst)
        });
        if let Some(d) = w
            .diags
            .into_iter()
            .find(|d| d.is_error() && d.address.as_deref() == Some(&address.to_string()))
        {
            return Err(d);
        }
        found.ok_or_else(|| {
            Diagnostic::error(format!("the configuration has no instance `{address}`"))
                .with_detail("its count or for_each no longer produces this key")
                .with_address(address)
        })
    }

    /// Evaluate every output from the current values of all instances.
    pub fn evaluate_outputs(
        &self,
        values: &BTreeMap<Address, Value>,
    ) -> (BTreeMap<String, OutputValue>, Vec<Diagnostic>) {
        let roots: Vec<Node> = self
            .decls
            .outputs
            .keys()
            .map(|n| Node::Output(n.clone()))
            .collect();
        let needs = self.graph.closure(roots.iter());
        let mut w = Walker::new(self);
        w.run(Some(&needs), &mut stored(values));
        (w.outputs, w.diags)
    }

    /// The config addresses of every resource and data block (no keys), sorted; for
    /// callers that check `--target` against the configuration.
    pub fn resource_addresses(&self) -> Vec<Address> {
        self.decls.resources.keys().cloned().collect()
    }
}
