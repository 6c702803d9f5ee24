//! Evaluation in dependency order: locals, resource and data instances (through the
//! caller's visitor), outputs and module calls, once per module instance. The entry
//! points are in `stack_eval.rs`, the provider block in `provider_eval.rs`.

use std::collections::{BTreeMap, BTreeSet};

use infra_model::{Address, DesiredInstance, Diagnostic, InstanceKey, ModuleStep, Value};

use crate::body::BodyEval;
use crate::decl::Expansion;
use crate::expand::{self, Expander};
use crate::graph::Node;
use crate::modules::Module;
use crate::scope::{self, Bind};
use crate::stored::ModScope;
use crate::{OutputValue, Stack};

/// A module instance path: `module.env["prod"].module.net` (empty for the root).
pub(crate) type Instance = Vec<ModuleStep>;

pub(crate) struct Walker<'s> {
    pub stack: &'s Stack,
    /// The base scope of each module instance.
    pub scopes: BTreeMap<Instance, ModScope<'s>>,
    /// The instances of each module path (call names), in expansion order.
    pub module_instances: BTreeMap<Vec<String>, Vec<Instance>>,
    /// The `count` / `each` binding of each module instance (from its call).
    pub bindings: BTreeMap<Instance, Option<(&'static str, Value)>>,
    /// The outputs of each module instance other than the root.
    pub module_outputs: BTreeMap<Instance, BTreeMap<String, Value>>,
    /// How many instances each resource block evaluated so far has, keyed by the block's
    /// address in its module instance (module keys set, no resource key).
    pub instances: BTreeMap<Address, usize>,
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
    /// With `only_instance`: the values known now, by instance address. The other
    /// instances are read from here when an expression reaches them (`stored.rs`)
    /// instead of being copied into the scope.
    pub known: Option<&'s BTreeMap<Address, Value>>,
}

type Visit<'v> = &'v mut dyn FnMut(&DesiredInstance) -> Value;

pub(crate) fn names(inst: &[ModuleStep]) -> Vec<String> {
    inst.iter().map(|s| s.name.clone()).collect()
}

impl<'s> Walker<'s> {
    pub(crate) fn new(stack: &'s Stack) -> Self {
        let mut scopes = BTreeMap::new();
        scopes.insert(
            Vec::new(),
            ModScope::new(scope::root(&stack.variables, ".", &stack.cwd)),
        );
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
            known: None,
        }
    }

    /// Evaluate `only` (or everything) in dependency order.
    pub(crate) fn run(&mut self, only: Option<&BTreeSet<Node>>, visit: Visit) {
        let files = self.stack.data_files.clone();
        let env = self.stack.lang_env.clone();
        infra_lang::with_files(files, || {
            infra_lang::with_stack_env(env, || self.run_nodes(only, visit))
        })
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
                    Node::Provider(_) => {}
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

    fn scope_mut(&mut self, inst: &[ModuleStep]) -> &mut ModScope<'s> {
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
        scope::set_local(self.scope_mut(inst).values_mut(), name, v);
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
                        && **v > 0
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
        if r.schema().is_none() {
            return self.unsupported(inst, addr);
        }
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
                scope::set_resource(self.scope_mut(inst).values_mut(), addr, Value::Unknown);
                self.instances.insert(block, 0);
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
        let one = One {
            inst,
            m,
            r,
            depends_on: &depends_on,
        };
        if let (Some(known), Some(target)) = (self.known, self.only_instance.clone()) {
            // re-evaluating one instance at apply time: the others stay in `known`
            self.instances.insert(block.clone(), keys.len());
            let mut stored = crate::stored::Stored {
                known,
                block,
                expansion: r.expansion,
                keys: Vec::with_capacity(keys.len()),
            };
            for (key, bind) in keys {
                if target.key == key && target.clone().with_key(None) == stored.block {
                    self.instance(&one, &target, bind.into_pair(&key), visit);
                }
                stored.keys.push(key);
            }
            self.scope_mut(inst).set_stored(addr, stored);
            return;
        }
        let n = keys.len();
        let values = if self.only_instance.is_none() {
            self.instances(&one, &block, keys, visit)
        } else {
            let mut values = Vec::with_capacity(n);
            for (key, bind) in keys {
                let address = block.clone().with_key(key.clone());
                let value = if self.only_instance.as_ref().is_some_and(|t| *t != address) {
                    // not the instance being resolved: what is known of it now
                    visit(&DesiredInstance {
                        address,
                        config: Value::Unknown,
                        depends_on: Vec::new(),
                        lifecycle: Default::default(),
                        provider: one.r.provider_key.clone(),
                    })
                } else {
                    self.instance(&one, &address, bind.into_pair(&key), visit)
                };
                values.push((key, value));
            }
            values
        };
        scope::set_resource(
            self.scope_mut(inst).values_mut(),
            addr,
            aggregate(r.expansion, values),
        );
        self.instances.insert(block, n);
    }

    /// Evaluate one instance of a resource block (configuration, region, timeouts,
    /// preconditions), visit it and check its postconditions on what `visit` returns.
    fn instance(
        &mut self,
        one: &One<'_, 's>,
        address: &Address,
        bind: Option<(&'static str, Value)>,
        visit: Visit,
    ) -> Value {
        let evaluated = self.evaluate_instance(one, address, bind);
        self.visit_instance(one, evaluated, visit)
    }

    /// Evaluate the instances of one block and visit them in key order. Instances of a
    /// block never see each other (the block's value is set once all are visited), so a
    /// large block is evaluated on helper threads while this one visits (plans) those
    /// already evaluated; the visits stay on this thread and in key order, as do the
    /// diagnostics.
    fn instances(
        &mut self,
        one: &One<'_, 's>,
        block: &Address,
        keys: Vec<expand::Keyed>,
        visit: Visit,
    ) -> Vec<(Option<InstanceKey>, Value)> {
        let mut values = Vec::with_capacity(keys.len());
        let threads = if keys.len() >= PARALLEL_MIN_INSTANCES {
            std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS))
        } else {
            1
        };
        if threads <= 1 {
            for (key, bind) in keys {
                let address = block.clone().with_key(key.clone());
                let evaluated = self.evaluate_instance(one, &address, bind.into_pair(&key));
                values.push((key, self.visit_instance(one, evaluated, visit)));
            }
            return values;
        }
        // the visits write diagnostics while the helpers read the walker
        let mut diags = std::mem::take(&mut self.diags);
        let this = &*self;
        let work = |(key, bind): expand::Keyed| {
            let address = block.clone().with_key(key.clone());
            let pair = bind.into_pair(&key);
            (key, this.evaluate_instance(one, &address, pair))
        };
        let files = &this.stack.data_files;
        let env = &this.stack.lang_env;
        // at apply time: the same "now", a random stream of each helper's own (forked
        // here, from this thread's clock)
        let clocks: Vec<_> = (0..threads).map(|_| infra_lang::fork_clock()).collect();
        let wrap = |clock, body: &mut dyn FnMut()| {
            infra_lang::with_files(files.clone(), || {
                infra_lang::with_stack_env(env.clone(), || infra_lang::with_clock(clock, body))
            })
        };
        crate::pipeline::ordered(
            keys,
            crate::pipeline::Layout {
                batch: BATCH,
                stack_size: EVAL_STACK,
            },
            clocks,
            &work,
            &wrap,
            &mut |(key, evaluated)| {
                let value = this.visit_evaluated(one, evaluated, visit, &mut diags);
                values.push((key, value));
            },
        );
        self.diags = diags;
        values
    }

    /// Evaluate one instance's configuration, region, timeouts and preconditions: the
    /// desired instance, or none when the configuration had errors or a precondition
    /// failed. Reads the walker only, so that instances can be evaluated in parallel.
    fn evaluate_instance(
        &self,
        one: &One<'_, 's>,
        address: &Address,
        bind: Option<(&'static str, Value)>,
    ) -> Evaluated {
        use crate::conditions::{check, Kind};
        let mut diags = Vec::new();
        let (m, r) = (one.m, one.r);
        let (Some(schema), Some(base)) = (r.schema(), self.scopes.get(one.inst)) else {
            return Evaluated {
                desired: None,
                bind,
                diags,
            };
        };
        let file = &m.files[r.file];
        let name = bind.as_ref().map(|(name, _)| *name);
        let bound = bound(base, bind);
        let scope = in_scope(&bound, base);
        let config = BodyEval {
            file,
            address,
            diags: &mut diags,
        }
        .body(&r.body, &schema.attributes, &schema.blocks, scope, true);
        let desired = if !diags.is_empty() {
            None
        } else {
            let region = r.body.get_attribute("region");
            let provider = match region.filter(|_| schema.attribute("region").is_none()) {
                Some(a) => crate::provider_eval::region_key(
                    &r.provider_key,
                    self.stack.provider_config(&r.provider_key),
                    &a.value,
                    scope,
                    file,
                    address,
                    &mut diags,
                ),
                None => r.provider_key.clone(),
            };
            let mut lifecycle = r.lifecycle.clone();
            lifecycle.timeouts = crate::timeouts::evaluate(&r.body, scope, file, &mut diags);
            // only conditions name the instance: no address formatting for the (many)
            // resources that have none
            let failed = !r.conditions.is_empty()
                && check(
                    &r.conditions,
                    &[Kind::Precondition],
                    scope,
                    &m.files,
                    &address.to_string(),
                    &mut diags,
                );
            (!failed).then(|| DesiredInstance {
                address: address.clone(),
                config,
                depends_on: one.depends_on.to_vec(),
                lifecycle,
                provider,
            })
        };
        Evaluated {
            desired,
            bind: name.zip(bound.map(|b| b.value)),
            diags,
        }
    }

    /// Visit an evaluated instance and check its postconditions on what `visit` returns
    /// (unknown when it could not be evaluated).
    fn visit_instance(&mut self, one: &One<'_, 's>, evaluated: Evaluated, visit: Visit) -> Value {
        let mut diags = std::mem::take(&mut self.diags);
        let value = self.visit_evaluated(one, evaluated, visit, &mut diags);
        self.diags = diags;
        value
    }

    /// [`Self::visit_instance`], writing diagnostics to `out` (so that helper threads can
    /// read the walker meanwhile).
    fn visit_evaluated(
        &self,
        one: &One<'_, 's>,
        evaluated: Evaluated,
        visit: Visit,
        out: &mut Vec<Diagnostic>,
    ) -> Value {
        use crate::conditions::{check, Kind};
        let Evaluated {
            desired,
            bind,
            diags,
        } = evaluated;
        out.extend(diags);
        let Some(desired) = desired else {
            return Value::Unknown;
        };
        let v = visit(&desired);
        let r = one.r;
        if self.postconditions && r.conditions.iter().any(|c| c.kind == Kind::Postcondition) {
            let Some(base) = self.scopes.get(one.inst) else {
                return v;
            };
            let bound = bound(base, bind);
            let scope = in_scope(&bound, base);
            let s = Bind {
                parent: scope,
                name: "self",
                value: v.clone(),
            };
            let what = desired.address.to_string();
            let kinds = [Kind::Postcondition];
            check(&r.conditions, &kinds, &s, &one.m.files, &what, out);
        }
        v
    }
}

/// Blocks with fewer instances are evaluated on one thread (a thread costs tens of
/// microseconds; an instance a few).
const PARALLEL_MIN_INSTANCES: usize = 256;
/// The evaluation threads' stack: as the runtime's worker threads (`src/main.rs`), for
/// expressions nested up to the evaluator's depth limit in a debug build.
const EVAL_STACK: usize = 16 * 1024 * 1024;
/// Instances per batch a helper thread evaluates at a time (helpers stay a few batches
/// ahead of the visits).
const BATCH: usize = 128;
const MAX_THREADS: usize = 4;

/// An instance's `count` / `each` binding over its module instance's scope.
fn bound<'a>(base: &'a ModScope<'_>, bind: Option<(&'static str, Value)>) -> Option<Bind<'a>> {
    bind.map(|(name, value)| Bind {
        parent: base,
        name,
        value,
    })
}

/// The scope an instance's expressions see: its binding, else the module instance's.
fn in_scope<'a>(bound: &'a Option<Bind<'a>>, base: &'a ModScope<'_>) -> &'a dyn infra_lang::Scope {
    match bound {
        Some(b) => b,
        None => base,
    }
}

/// One instance evaluated, not yet visited.
struct Evaluated {
    desired: Option<DesiredInstance>,
    /// The `count` / `each` binding, for the postconditions.
    bind: Option<(&'static str, Value)>,
    diags: Vec<Diagnostic>,
}

/// The block an instance belongs to, for [`Walker::instance`].
struct One<'a, 's> {
    inst: &'a Instance,
    m: &'s Module,
    r: &'s crate::decl::ResourceConfig,
    depends_on: &'a [Address],
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
