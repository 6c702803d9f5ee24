//! The evaluation entry points of [`Stack`]: the whole walk (plan), one instance at apply
//! time, the checks after apply, and the outputs.

use std::collections::BTreeMap;

use infra_model::{Address, DesiredInstance, Diagnostic, Value};

use crate::eval::Walker;
use crate::graph::Node;
use crate::{config_address, Evaluation, OutputValue, Stack};

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

    /// [`Stack::walk`] of what the stack's data sources need: every `data` block and what
    /// it depends on, in dependency order (a resource whose ARN a policy document reads is
    /// visited, one no data source reads is not). Visits nothing when there is no `data`
    /// block. Returns the diagnostics of what it evaluated.
    pub fn walk_data_sources(
        &self,
        visit: &mut dyn FnMut(&DesiredInstance) -> Value,
    ) -> Vec<Diagnostic> {
        let roots: Vec<Node> = self
            .modules
            .values()
            .flat_map(|m| m.decls.resources.keys())
            .filter(|a| a.mode == infra_model::Mode::Data)
            .map(|a| Node::Resource(a.clone()))
            .collect();
        if roots.is_empty() {
            return Vec::new();
        }
        let needs = self.graph.closure(roots.iter());
        let mut w = Walker::new(self);
        w.run(Some(&needs), visit);
        w.diags
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
        w.known = Some(values);
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
