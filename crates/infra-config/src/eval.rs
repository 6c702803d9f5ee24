//! Evaluation in dependency order: locals, resource and data instances (through the
//! caller's visitor), outputs and module calls, once per module instance; plus the
//! provider block at load time and the apply-time re-evaluation entry points.

use std::collections::{BTreeMap, BTreeSet};

use hcl_edit::expr::Expression;
use infra_lang::TypeConstraint;
use infra_model::{Address, DesiredInstance, Diagnostic, InstanceKey, ModuleStep, Value};

use crate::body::BodyEval;
use crate::decl::{span, Expansion};
use crate::expand::{self, Expander};
use crate::graph::Node;
use crate::modules::Module;
use crate::scope::{self, Bind};
use crate::{config_address, Evaluation, OutputValue, ProviderConfig, Stack};

/// A module instance path: `module.env["prod"].module.net` (empty for the root).
pub(crate) type Instance = Vec<ModuleStep>;

pub(crate) struct Walker<'s> {
    pub stack: &'s Stack,
    /// The base scope of each module instance.
    pub scopes: BTreeMap<Instance, BTreeMap<String, Value>>,
    /// The instances of each module path (call names), in expansion order.
    pub module_instances: BTreeMap<Vec<String>, Vec<Instance>>,
    /// The `count` / `each` binding of each module instance (from its call).
    pub bindings: BTreeMap<Instance, Option<(&'static str, Value)>>,
    /// The outputs of each module instance other than the root.
    pub module_outputs: BTreeMap<Instance, BTreeMap<String, Value>>,
    /// Instance addresses of each resource block evaluated so far, keyed by the block's
    /// address in its module instance (module keys set, no resource key).
    pub instances: BTreeMap<Address, Vec<Address>>,
    pub outputs: BTreeMap<String, OutputValue>,
    pub diags: Vec<Diagnostic>,
    /// Check postconditions on the value `visit` returns (not when re-evaluating an
    /// instance that is about to change).
    pub postconditions: bool,
    /// Re-evaluating one instance at apply time (`Stack::evaluate_instance`): only this
    /// instance's configuration is evaluated; every other resource and data instance is
    /// taken as `visit` gives it (the values known now), so that resolving each of N
    /// steps costs O(1) instance evaluations, not O(N).
    pub only_instance: Option<Address>,
}

type Visit<'v> = &'v mut dyn FnMut(&DesiredInstance) -> Value;

pub(crate) fn names(inst: &[ModuleStep]) -> Vec<String> {
    inst.iter().map(|s| s.name.clone()).collect()
}

impl<'s> Walker<'s> {
    pub(crate) fn new(stack: &'s Stack) -> Self {
        let mut scopes = BTreeMap::new();
        scopes.insert(Vec::new(), scope::root(&stack.variables, "."));
        let mut module_instances = BTreeMap::new();
        module_instances.insert(Vec::new(), vec![Vec::new()]);
        Walker {
            stack,
            scopes,
            module_instances,
            bindings: BTreeMap::new(),
            module_outputs: BTreeMap::new(),
            instances: BTreeMap::new(),
            outputs: BTreeMap::new(),
            diags: Vec::new(),
            postconditions: true,
            only_instance: None,
        }
    }

    /// Evaluate `only` (or everything) in dependency order.
    pub(crate) fn run(&mut self, only: Option<&BTreeSet<Node>>, visit: Visit) {
        let files = self.stack.data_files.clone();
        infra_lang::with_files(files, || self.run_nodes(only, visit))
    }

    fn run_nodes(&mut self, only: Option<&BTreeSet<Node>>, visit: Visit) {
        for node in self.stack.graph.order() {
            if only.is_some_and(|o| !o.contains(&node)) {
                continue;
            }
            let path = node.module_path();
            for inst in self.instances_of(&path) {
                let before = self.diags.len();
                match &node {
                    Node::Provider => {}
                    Node::Variable(p, name) if !p.is_empty() => self.module_variable(&inst, name),
                    Node::Variable(..) => {}
                    Node::Local(_, name) => self.local(&inst, name),
                    Node::Resource(a) => self.resource(&inst, a, visit),
                    Node::Output(p, name) if p.is_empty() => self.root_output(name),
                    Node::Output(_, name) => self.module_output(&inst, name),
                    Node::Module(p) => {
                        if let Some(name) = p.last() {
                            self.module_call(&inst, name);
                        }
                    }
                }
                self.annotate(before, &inst);
            }
        }
        if only.is_none() {
            self.checks();
        }
    }

    /// Every `check` block's assertions, in each module instance, once everything else
    /// is evaluated. Failures are warnings.
    fn checks(&mut self) {
        let paths: Vec<Vec<String>> = self.module_instances.keys().cloned().collect();
        for path in paths {
            for inst in self.instances_of(&path) {
                let Some(m) = self.module(&inst) else {
                    continue;
                };
                let Some(scope) = self.scopes.get(&inst) else {
                    continue;
                };
                let before = self.diags.len();
                for c in &m.decls.checks {
                    crate::conditions::check(
                        &c.asserts,
                        &[crate::conditions::Kind::Assert],
                        scope,
                        &m.files,
                        &format!("\"{}\"", c.name),
                        &mut self.diags,
                    );
                }
                self.annotate(before, &inst);
            }
        }
    }

    pub(crate) fn instances_of(&self, path: &[String]) -> Vec<Instance> {
        self.module_instances.get(path).cloned().unwrap_or_default()
    }

    pub(crate) fn module(&self, inst: &[ModuleStep]) -> Option<&'s Module> {
        self.stack.modules.get(&names(inst))
    }

    /// Diagnostics raised inside a module instance name it and point at its calls.
    fn annotate(&mut self, before: usize, inst: &[ModuleStep]) {
        if inst.is_empty() {
            return;
        }
        let shown = |steps: &[ModuleStep]| {
            Address {
                module: steps.to_vec(),
                ..Address::managed("", "")
            }
            .to_string()
        };
        for d in &mut self.diags[before..] {
            if d.address.is_none() {
                d.address = Some(shown(inst));
            }
            for k in (1..=inst.len()).rev() {
                let parent = names(&inst[..k - 1]);
                let call = self
                    .stack
                    .modules
                    .get(&parent)
                    .and_then(|m| m.decls.calls.get(&inst[k - 1].name));
                if let Some(s) = call.and_then(|c| c.span.clone()) {
                    d.related
                        .push((s, format!("in {}, called here", shown(&inst[..k]))));
                }
            }
        }
    }

    fn scope_mut(&mut self, inst: &[ModuleStep]) -> &mut BTreeMap<String, Value> {
        self.scopes.entry(inst.to_vec()).or_default()
    }

    fn local(&mut self, inst: &Instance, name: &str) {
        let Some(m) = self.module(inst) else { return };
        let Some(l) = m.decls.locals.get(name) else {
            return;
        };
        let Some(scope) = self.scopes.get(inst) else {
            return;
        };
        let v = infra_lang::eval(&l.expr, scope, &m.files[l.file]).unwrap_or_else(|e| {
            self.diags.push(e);
            Value::Unknown
        });
        scope::set_local(self.scope_mut(inst), name, v);
    }

    fn root_output(&mut self, name: &str) {
        let Some(m) = self.stack.root() else { return };
        let Some(o) = m.decls.outputs.get(name) else {
            return;
        };
        let value = self.output_value(&[], m, name, o);
        if value.has_marks() && !o.sensitive {
            self.diags.push(
                Diagnostic::error(format!("output \"{name}\" refers to sensitive values"))
                    .with_detail("add `sensitive = true` to the output block, or wrap the value in nonsensitive(...) if it is safe to show")
                    .with_span(o.span.clone()),
            );
        }
        self.outputs.insert(
            name.to_string(),
            OutputValue {
                value,
                sensitive: o.sensitive,
                description: o.description.clone(),
            },
        );
    }

    pub(crate) fn output_value(
        &mut self,
        inst: &[ModuleStep],
        m: &Module,
        name: &str,
        o: &crate::decl::OutputDecl,
    ) -> Value {
        let Some(e) = &o.value else {
            return Value::Null;
        };
        let Some(scope) = self.scopes.get(inst) else {
            return Value::Unknown;
        };
        if crate::conditions::check(
            &o.preconditions,
            &[crate::conditions::Kind::Precondition],
            scope,
            &m.files,
            &format!("output \"{name}\""),
            &mut self.diags,
        ) {
            return Value::Unknown;
        }
        infra_lang::eval(e, scope, &m.files[o.file])
            .unwrap_or_else(|e| {
                self.diags.push(e);
                Value::Unknown
            })
            .mark_if(o.sensitive)
    }

    /// The instances a resource in `inst` depends on, from config addresses: those in
    /// the same module instance, in its ancestors, or anywhere below a module it names.
    fn dependency_instances(&self, deps: &BTreeSet<Address>, inst: &[ModuleStep]) -> Vec<Address> {
        let here = names(inst);
        let mut out = Vec::new();
        for d in deps {
            let there = names(&d.module);
            let common = here.iter().zip(&there).take_while(|(a, b)| a == b).count();
            // each expanded block by its address (no instance key), which stands for all
            // its instances: a dependent of `aws_subnet.s` (count = 3,000) records one
            // address, not 3,000, in every one of its instances and state rows
            let found: Vec<Address> = self
                .instances
                .iter()
                .filter(|(k, v)| {
                    k.mode == d.mode
                        && k.type_name == d.type_name
                        && k.name == d.name
                        && names(&k.module) == there
                        && k.module[..common] == inst[..common]
                        && !v.is_empty()
                })
                .map(|(k, _)| k.clone())
                .collect();
            if found.is_empty() {
                let mut a = d.clone();
                if common == there.len() {
                    a.module = inst[..common].to_vec();
                }
                out.push(a);
            } else {
                out.extend(found);
            }
        }
        out
    }

    fn resource(&mut self, inst: &Instance, addr: &Address, visit: Visit) {
        let Some(m) = self.module(inst) else { return };
        let Some(r) = m.decls.resources.get(addr) else {
            return;
        };
        let Some(schema) = r.schema() else {
            return self.unsupported(inst, addr);
        };
        let file = &m.files[r.file];
        let block = Address {
            module: inst.clone(),
            ..addr.clone()
        };
        let Some(base) = self.scopes.get(inst) else {
            return;
        };
        let ctx = expand::Ctx {
            decls: &m.decls,
            file,
            scope: base,
        };
        let keys = match ctx.expand(&Expander {
            expansion: r.expansion,
            count: r.count.as_ref(),
            for_each: r.for_each.as_ref(),
        }) {
            Ok(k) => k,
            Err(e) => {
                self.diags.push(e.with_address(&block));
                scope::set_resource(self.scope_mut(inst), addr, Value::Unknown);
                self.instances.insert(block, Vec::new());
                return;
            }
        };
        let resolving_another = self
            .only_instance
            .as_ref()
            .is_some_and(|t| t.clone().with_key(None) != block);
        let depends_on = if resolving_another {
            Vec::new()
        } else {
            let mut deps: BTreeSet<Address> = self
                .stack
                .graph
                .resource_dependencies(&Node::Resource(addr.clone()));
            deps.extend(r.depends_on.iter().cloned());
            self.dependency_instances(&deps, inst)
        };
        let mut values = Vec::new();
        let mut addresses = Vec::new();
        for (key, bind) in keys {
            let address = block.clone().with_key(key.clone());
            if self.only_instance.as_ref().is_some_and(|t| *t != address) {
                // not the instance being resolved: what is known of it now
                let v = visit(&DesiredInstance {
                    address: address.clone(),
                    config: Value::Unknown,
                    depends_on: Vec::new(),
                    lifecycle: Default::default(),
                });
                values.push((key, v));
                addresses.push(address);
                continue;
            }
            let before = self.diags.len();
            let config = {
                let Some(base) = self.scopes.get(inst) else {
                    return;
                };
                let mut ev = BodyEval {
                    file,
                    address: &address,
                    diags: &mut self.diags,
                };
                match &bind {
                    Some((name, v)) => {
                        let s = Bind {
                            parent: base,
                            name,
                            value: v.clone(),
                        };
                        ev.body(&r.body, &schema.attributes, &schema.blocks, &s, true)
                    }
                    None => ev.body(&r.body, &schema.attributes, &schema.blocks, base, true),
                }
            };
            let value = if self.diags.len() > before {
                Value::Unknown
            } else {
                use crate::conditions::{check, Kind};
                let Some(base) = self.scopes.get(inst) else {
                    return;
                };
                let bound = bind.as_ref().map(|(name, v)| Bind {
                    parent: base,
                    name,
                    value: v.clone(),
                });
                let scope: &dyn infra_lang::Scope = match &bound {
                    Some(b) => b,
                    None => base,
                };
                // only conditions name the instance: no address formatting for the
                // (many) resources that have none
                let what = if r.conditions.is_empty() {
                    String::new()
                } else {
                    address.to_string()
                };
                if let Some(a) = r.body.get_attribute("region") {
                    region_check(
                        &self.stack.provider,
                        &a.value,
                        scope,
                        file,
                        &address,
                        &mut self.diags,
                    );
                }
                let mut lifecycle = r.lifecycle.clone();
                lifecycle.timeouts =
                    crate::timeouts::evaluate(&r.body, scope, file, &mut self.diags);
                if check(
                    &r.conditions,
                    &[Kind::Precondition],
                    scope,
                    &m.files,
                    &what,
                    &mut self.diags,
                ) {
                    Value::Unknown
                } else {
                    let i = DesiredInstance {
                        address: address.clone(),
                        config,
                        depends_on: depends_on.clone(),
                        lifecycle,
                    };
                    let v = visit(&i);
                    if self.postconditions
                        && r.conditions.iter().any(|c| c.kind == Kind::Postcondition)
                    {
                        let s = Bind {
                            parent: scope,
                            name: "self",
                            value: v.clone(),
                        };
                        check(
                            &r.conditions,
                            &[Kind::Postcondition],
                            &s,
                            &m.files,
                            &what,
                            &mut self.diags,
                        );
                    }
                    v
                }
            };
            values.push((key, value));
            addresses.push(address);
        }
        scope::set_resource(self.scope_mut(inst), addr, aggregate(r.expansion, values));
        self.instances.insert(block, addresses);
    }
}

/// What a reference to a whole block sees: the value, a list for `count`, a map for
/// `for_each`.
pub(crate) fn aggregate(expansion: Expansion, values: Vec<(Option<InstanceKey>, Value)>) -> Value {
    match expansion {
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
    }
}

/// Evaluate the provider block at load time (from variables and locals only).
pub(crate) fn provider(stack: &Stack, diags: &mut Vec<Diagnostic>) -> ProviderConfig {
    let Some(root) = stack.root() else {
        return ProviderConfig::default();
    };
    let Some(p) = &root.decls.provider else {
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
    let file = &root.files[p.file];
    let base = w.scopes.remove(&Vec::new()).unwrap_or_default();
    let mut out = ProviderConfig::default();
    let mut get = |e: &Expression, ty: TypeConstraint, what: &str| -> Option<Value> {
        let v = infra_lang::eval(e, &base, file)
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
        let config_addr = config_address(address);
        if self.resource(&config_addr).is_none() {
            return Err(Diagnostic::error(format!(
                "no resource `{config_addr}` in the configuration"
            ))
            .with_address(address));
        }
        let needs = self.graph.closure([&Node::Resource(config_addr)]);
        let mut found = None;
        let mut lookup = stored(values);
        let mut w = Walker::new(self);
        w.postconditions = false;
        w.only_instance = Some(address.clone());
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

    /// After apply: evaluate everything from the values the cloud returned (`values`, by
    /// instance address) and return what the postconditions, output preconditions and
    /// `check` blocks report (errors and warnings).
    pub fn check_after_apply(&self, values: &BTreeMap<Address, Value>) -> Vec<Diagnostic> {
        let mut w = Walker::new(self);
        w.run(None, &mut stored(values));
        w.diags
            .into_iter()
            .filter(|d| {
                ["postcondition failed", "precondition failed", "check "]
                    .iter()
                    .any(|p| d.summary.starts_with(p))
            })
            .collect()
    }

    /// Evaluate every output from the current values of all instances.
    pub fn evaluate_outputs(
        &self,
        values: &BTreeMap<Address, Value>,
    ) -> (BTreeMap<String, OutputValue>, Vec<Diagnostic>) {
        let roots: Vec<Node> = self
            .output_names()
            .map(|n| Node::Output(Vec::new(), n.to_string()))
            .collect();
        let needs = self.graph.closure(roots.iter());
        let mut w = Walker::new(self);
        w.run(Some(&needs), &mut stored(values));
        (w.outputs, w.diags)
    }

    /// The config addresses of every resource and data block of every module (no keys,
    /// module paths without keys), sorted; for callers that check `--target` against
    /// the configuration.
    pub fn resource_addresses(&self) -> Vec<Address> {
        let mut out: Vec<Address> = self.resources().map(|r| r.address.clone()).collect();
        out.sort();
        out
    }
}

/// The AWS provider v6's per-resource `region`: null or the provider's region is the
/// stack's region; any other value would need a second provider configuration, which a
/// stack does not have.
fn region_check(
    provider: &ProviderConfig,
    e: &Expression,
    scope: &dyn infra_lang::Scope,
    file: &infra_lang::SourceFile,
    address: &Address,
    diags: &mut Vec<Diagnostic>,
) {
    let v = match infra_lang::eval(e, scope, file) {
        Ok(v) => v.unmark_deep(),
        Err(d) => {
            diags.push(d);
            return;
        }
    };
    // only the provider block is known here (no environment): without its `region`, a
    // resource's region cannot be checked, so it must be left out
    let here = provider.region.clone();
    match v {
        Value::Null | Value::Unknown => {}
        Value::String(r) if here.as_deref() == Some(r.as_str()) => {}
        Value::String(r) => diags.push(
            Diagnostic::error(format!(
                "{address}: `region = \"{r}\"` differs from the stack's region ({})",
                here.as_deref().unwrap_or("the provider block sets none")
            ))
            .with_detail("infra applies a stack in one region: a multi-region configuration needs one stack per region (each with its own provider block); remove `region` or set it to the provider's region")
            .with_span(span(file, e))
            .with_address(address),
        ),
        other => diags.push(
            Diagnostic::error(format!("{address}: `region` must be a string, found {}", other.type_name()))
                .with_span(span(file, e))
                .with_address(address),
        ),
    }
}
