//! Data-driven tests: stacks as inline files, checked through one helper per feature.

mod clock;
mod conditions;
mod errors;
mod imports;
mod language;
mod module_errors;
mod modules;
mod moved;
mod providers;
mod registry;
mod removed;
mod sensitive;
mod variables;
mod walk;

use std::collections::BTreeMap;
use std::sync::Arc;

use infra_model::{DesiredInstance, Diagnostic, Value};

use crate::{load, Evaluation, SourceFile, Stack, StackInput};

pub(crate) fn file(path: &str, text: &str) -> SourceFile {
    SourceFile {
        path: Arc::from(path),
        text: text.to_string(),
    }
}

pub(crate) fn input(files: &[(&str, &str)]) -> StackInput {
    StackInput {
        name: "test".into(),
        files: files.iter().map(|(p, t)| file(p, t)).collect(),
        ..StackInput::default()
    }
}

/// `file:line:col: error: summary` per diagnostic (detail after ` -- `), one per line.
pub(crate) fn render(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| {
            let at = d
                .span
                .as_ref()
                .map(|s| format!("{s}: "))
                .unwrap_or_default();
            let level = if d.is_error() { "error" } else { "warning" };
            let detail = d
                .detail
                .as_ref()
                .map(|x| format!(" -- {x}"))
                .unwrap_or_default();
            format!("{at}{level}: {}{detail}", d.summary)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn load_ok(input: &StackInput) -> Stack {
    let (stack, diags) = load(input);
    match stack {
        Some(s) => s,
        None => panic!("load failed:\n{}", render(&diags)),
    }
}

/// A plan-like visitor: the instance's value is its config plus an unknown `id`.
pub(crate) fn planned(inst: &DesiredInstance) -> Value {
    let mut m = inst.config.as_map().cloned().unwrap_or_default();
    m.insert("id".into(), Value::Unknown);
    Value::Map(m)
}

/// An apply-like visitor: the `id` is derived from the address.
pub(crate) fn applied(inst: &DesiredInstance) -> Value {
    let mut m = inst.config.as_map().cloned().unwrap_or_default();
    m.insert("id".into(), Value::from(format!("id-of-{}", inst.address)));
    Value::Map(m)
}

pub(crate) struct Walked {
    pub instances: Vec<DesiredInstance>,
    pub eval: Evaluation,
    pub diags: Vec<Diagnostic>,
}

impl Walked {
    pub(crate) fn get(&self, addr: &str) -> &DesiredInstance {
        match self
            .instances
            .iter()
            .find(|i| i.address.to_string() == addr)
        {
            Some(i) => i,
            None => panic!("no instance {addr} in {:?}", self.addresses()),
        }
    }
    pub(crate) fn addresses(&self) -> Vec<String> {
        self.instances
            .iter()
            .map(|i| i.address.to_string())
            .collect()
    }
    pub(crate) fn deps(&self, addr: &str) -> Vec<String> {
        self.get(addr)
            .depends_on
            .iter()
            .map(|a| a.to_string())
            .collect()
    }
    pub(crate) fn output(&self, name: &str) -> &Value {
        &self.eval.outputs[name].value
    }
}

pub(crate) fn walk_with(input: &StackInput, visit: fn(&DesiredInstance) -> Value) -> Walked {
    let stack = load_ok(input);
    let mut instances = Vec::new();
    let (eval, diags) = stack.walk(&mut |i| {
        instances.push(i.clone());
        visit(i)
    });
    Walked {
        instances,
        eval,
        diags,
    }
}

/// Load and walk one `main.tf`, expecting no diagnostics.
pub(crate) fn walk(main: &str) -> Walked {
    let w = walk_with(&input(&[("main.tf", main)]), planned);
    assert_eq!(render(&w.diags), "");
    w
}

/// Every diagnostic of loading (and, if it loads, walking) the files, rendered.
pub(crate) fn check_errors(files: &[(&str, &str)], expected: &str) {
    check_errors_input(&input(files), expected)
}

pub(crate) fn check_errors_input(input: &StackInput, expected: &str) {
    let (stack, mut diags) = load(input);
    if let Some(s) = stack {
        diags.extend(s.walk(&mut planned).1);
    }
    assert_eq!(render(&diags), expected.trim());
}

pub(crate) fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}
