//! The walker's module steps: expanding a module call into instances, evaluating a
//! module instance's input variables in the caller's scope, and publishing its outputs
//! to the caller as `module.<name>` (an object, a list for `count`, a map for `for_each`).

use std::collections::BTreeMap;

use infra_model::{ModuleStep, Value};

use crate::decl::span;
use crate::eval::{aggregate, names, Instance, Walker};
use crate::expand::{self, Expander};
use crate::meta::literal;
use crate::modules::ModuleCall;
use crate::scope::{self, Bind};
use crate::stored::ModScope;
use crate::variables;

impl<'s> Walker<'s> {
    /// The call that instantiates `inst` (the last step), with the calling module.
    fn call_of(&self, inst: &[ModuleStep]) -> Option<(&'s crate::modules::Module, &'s ModuleCall)> {
        let stack = self.stack;
        let (last, parent) = inst.split_last()?;
        let pm = stack.modules.get(&names(parent))?;
        Some((pm, pm.decls.calls.get(&last.name)?))
    }

    /// Expand the call `name` in `parent` into module instances.
    pub(crate) fn module_call(&mut self, parent: &Instance, name: &str) {
        let mut path = names(parent);
        path.push(name.to_string());
        let Some(child) = self.stack.modules.get(&path) else {
            return;
        };
        let Some(pm) = self.module(parent) else {
            return;
        };
        let Some(call) = pm.decls.calls.get(name) else {
            return;
        };
        let Some(base) = self.scopes.get(parent) else {
            return;
        };
        let ctx = expand::Ctx {
            decls: &pm.decls,
            file: &pm.files[call.file],
            scope: base,
        };
        let keys = ctx.expand(&Expander {
            expansion: call.expansion,
            count: call.count.as_ref(),
            for_each: call.for_each.as_ref(),
        });
        self.module_instances.entry(path.clone()).or_default();
        let keys = match keys {
            Ok(k) => k,
            Err(e) => {
                self.diags.push(e);
                if let Some(s) = self.scopes.get_mut(parent) {
                    scope::set_module(s.values_mut(), name, Value::Unknown);
                }
                return;
            }
        };
        for (key, bind) in keys {
            let mut inst = parent.clone();
            inst.push(ModuleStep {
                name: name.to_string(),
                key,
            });
            let vars: BTreeMap<String, Value> = child
                .decls
                .variables
                .keys()
                .map(|k| (k.clone(), Value::Unknown))
                .collect();
            self.scopes.insert(
                inst.clone(),
                ModScope::new(scope::root(&vars, &child.dir, &self.stack.cwd)),
            );
            let bind = bind.into_pair(&inst.last().and_then(|s| s.key.clone()));
            self.bindings.insert(inst.clone(), bind);
            let outputs = child
                .decls
                .outputs
                .keys()
                .map(|k| (k.clone(), Value::Unknown))
                .collect();
            self.module_outputs.insert(inst.clone(), outputs);
            self.module_instances
                .entry(path.clone())
                .or_default()
                .push(inst);
        }
        self.publish(parent, name);
    }

    /// Set `module.<name>` in the caller's scope from the outputs of its instances.
    fn publish(&mut self, parent: &Instance, name: &str) {
        let mut path = names(parent);
        path.push(name.to_string());
        let Some((_, call)) = self
            .stack
            .modules
            .get(&names(parent))
            .and_then(|pm| pm.decls.calls.get(name).map(|c| (pm, c)))
        else {
            return;
        };
        let values: Vec<_> = self
            .instances_of(&path)
            .into_iter()
            .filter(|i| i[..i.len() - 1] == parent[..])
            .map(|i| {
                let v = self.module_outputs.get(&i).cloned().unwrap_or_default();
                (i.last().and_then(|s| s.key.clone()), Value::Map(v))
            })
            .collect();
        let v = aggregate(call.expansion, values);
        if let Some(s) = self.scopes.get_mut(parent) {
            scope::set_module(s.values_mut(), name, v);
        }
    }

    /// Evaluate one input variable of a module instance: the call's argument in the
    /// caller's scope (with the call's `count` / `each`), else the default; then type
    /// conversion and validation.
    pub(crate) fn module_variable(&mut self, inst: &Instance, name: &str) {
        let Some(m) = self.module(inst) else { return };
        let Some(v) = m.decls.variables.get(name) else {
            return;
        };
        let Some((pm, call)) = self.call_of(inst) else {
            return;
        };
        let call_name = inst.last().map(|s| s.name.as_str()).unwrap_or_default();
        let parent = &inst[..inst.len() - 1];
        let (value, source, at) = if let Some((e, at)) = call.inputs.get(name) {
            let Some(base) = self.scopes.get(parent) else {
                return;
            };
            let file = &pm.files[call.file];
            let r = match self.bindings.get(inst).cloned().flatten() {
                Some((b, value)) => infra_lang::eval(
                    e,
                    &Bind {
                        parent: base,
                        name: b,
                        value,
                    },
                    file,
                ),
                None => infra_lang::eval(e, base, file),
            };
            let value = r.unwrap_or_else(|d| {
                self.diags.push(d);
                Value::Unknown
            });
            (value, format!("the `{call_name}` module block"), at.clone())
        } else if let Some(d) = &v.default {
            let file = &m.files[v.file];
            let value = literal(d, file).unwrap_or_else(|e| {
                self.diags.push(e.with_detail(
                    "a variable's default must be a literal value; it cannot refer to anything",
                ));
                Value::Unknown
            });
            (value, "its default".to_string(), span(file, d))
        } else {
            // reported at load as a missing input
            return;
        };
        let value = if value.is_unknown() {
            value
        } else {
            let default = v
                .default
                .as_ref()
                .and_then(|d| literal(d, &m.files[v.file]).ok());
            match variables::check_value(
                name,
                v,
                value,
                default,
                &source,
                at.clone().or(v.span.clone()),
                &mut self.diags,
            ) {
                Some(v) => v,
                None => Value::Unknown,
            }
        };
        let Some(scope) = self.scopes.get_mut(inst) else {
            return;
        };
        scope::set_var(scope.values_mut(), name, value.clone());
        if !value.is_unknown() {
            let mut vars = BTreeMap::new();
            vars.insert(
                "var".to_string(),
                scope.values().get("var").cloned().unwrap_or(Value::Null),
            );
            variables::check_rules(name, v, &m.files, &vars, &source, at, &mut self.diags);
        }
    }

    /// Evaluate one output of a module instance and publish it to the caller.
    pub(crate) fn module_output(&mut self, inst: &Instance, name: &str) {
        let Some(m) = self.module(inst) else { return };
        let Some(o) = m.decls.outputs.get(name) else {
            return;
        };
        let value = self.output_value(inst, m, name, o);
        self.module_outputs
            .entry(inst.clone())
            .or_default()
            .insert(name.to_string(), value);
        if let Some((last, parent)) = inst.split_last() {
            self.publish(&parent.to_vec(), &last.name);
        }
    }
}
