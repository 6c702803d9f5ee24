//! The saved plan file format (`plan --out FILE`). Its own serde types, so the domain types
//! can change without breaking files; values keep their unknowns as a `value` plus an
//! `unknown` mask.

use std::collections::BTreeMap;

use infra_model::{Address, Value};
use serde::{Deserialize, Serialize};

use crate::{Action, ExecGraph, Lifecycle, OutputChange, Plan, ResourceChange, Step, StepKind};

pub const PLAN_FILE_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct FileValue {
    value: serde_json::Value,
    unknown: serde_json::Value,
    /// Where the value is sensitive ([`Value::sensitive_mask`]), so that a saved plan
    /// renders with the same redactions.
    #[serde(default, skip_serializing_if = "is_false")]
    sensitive: serde_json::Value,
}

fn is_false(v: &serde_json::Value) -> bool {
    matches!(v, serde_json::Value::Bool(false) | serde_json::Value::Null)
}

impl FileValue {
    fn from(v: &Value) -> FileValue {
        FileValue {
            value: v.to_json(),
            unknown: v.unknown_mask(),
            sensitive: v.sensitive_mask(),
        }
    }
    fn to_value(&self) -> Value {
        Value::from_json_with_mask(&self.value, &self.unknown).with_mask(&self.sensitive)
    }
}

#[derive(Serialize, Deserialize)]
struct FileLifecycle {
    create_before_destroy: bool,
    prevent_destroy: bool,
    ignore_changes: Vec<String>,
    #[serde(default)]
    timeouts: infra_model::Timeouts,
}

#[derive(Serialize, Deserialize)]
struct FileChange {
    address: String,
    action: String,
    before: Option<FileValue>,
    after: Option<FileValue>,
    replace_paths: Vec<String>,
    reason: Option<String>,
    depends_on: Vec<String>,
    lifecycle: FileLifecycle,
    deposed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_address: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delete_provider: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct FileOutput {
    before: Option<FileValue>,
    after: FileValue,
    sensitive: bool,
}

#[derive(Serialize, Deserialize)]
struct FileStep {
    address: String,
    kind: String,
    deposed: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct PlanFile {
    version: u32,
    destroy: bool,
    changes: Vec<FileChange>,
    outputs: BTreeMap<String, FileOutput>,
    steps: Vec<FileStep>,
    edges: Vec<(usize, usize)>,
}

fn action_name(a: Action) -> &'static str {
    match a {
        Action::NoOp => "no_op",
        Action::Create => "create",
        Action::Update => "update",
        Action::DeleteThenCreate => "delete_then_create",
        Action::CreateThenDelete => "create_then_delete",
        Action::Delete => "delete",
        Action::Read => "read",
        Action::Forget => "forget",
    }
}

fn parse_action(s: &str) -> Result<Action, String> {
    [
        Action::NoOp,
        Action::Create,
        Action::Update,
        Action::DeleteThenCreate,
        Action::CreateThenDelete,
        Action::Delete,
        Action::Read,
        Action::Forget,
    ]
    .into_iter()
    .find(|a| action_name(*a) == s)
    .ok_or_else(|| {
        format!(
            "unknown action `{s}` in the plan file; make the plan again with this version of infra"
        )
    })
}

fn kind_name(k: StepKind) -> &'static str {
    match k {
        StepKind::Create => "create",
        StepKind::Update => "update",
        StepKind::Delete => "delete",
        StepKind::Read => "read",
        StepKind::Barrier => "barrier",
    }
}

fn parse_kind(s: &str) -> Result<StepKind, String> {
    [
        StepKind::Create,
        StepKind::Update,
        StepKind::Delete,
        StepKind::Read,
        StepKind::Barrier,
    ]
        .into_iter()
        .find(|k| kind_name(*k) == s)
        .ok_or_else(|| format!("unknown step kind `{s}` in the plan file; make the plan again with this version of infra"))
}

fn parse_address(s: &str) -> Result<Address, String> {
    Address::parse(s).map_err(|e| format!("the plan file is damaged: {e}"))
}

/// The saved-plan JSON of `plan`.
pub fn to_file_json(plan: &Plan) -> serde_json::Value {
    let file = PlanFile {
        version: PLAN_FILE_VERSION,
        destroy: plan.destroy,
        changes: plan
            .changes
            .iter()
            .map(|c| FileChange {
                address: c.address.to_string(),
                action: action_name(c.action).to_string(),
                before: c.before.as_ref().map(FileValue::from),
                after: c.after.as_ref().map(FileValue::from),
                replace_paths: c.replace_paths.clone(),
                reason: c.reason.clone(),
                depends_on: c.depends_on.iter().map(ToString::to_string).collect(),
                lifecycle: FileLifecycle {
                    create_before_destroy: c.lifecycle.create_before_destroy,
                    prevent_destroy: c.lifecycle.prevent_destroy,
                    ignore_changes: c.lifecycle.ignore_changes.clone(),
                    timeouts: c.lifecycle.timeouts,
                },
                deposed: c.deposed.clone(),
                previous_address: c.previous_address.as_ref().map(ToString::to_string),
                provider: c.provider.clone(),
                delete_provider: c.delete_provider.clone(),
            })
            .collect(),
        outputs: plan
            .outputs
            .iter()
            .map(|(k, o)| {
                (
                    k.clone(),
                    FileOutput {
                        before: o.before.as_ref().map(FileValue::from),
                        after: FileValue::from(&o.after),
                        sensitive: o.sensitive,
                    },
                )
            })
            .collect(),
        steps: plan
            .graph
            .steps
            .iter()
            .map(|s| FileStep {
                address: s.address.to_string(),
                kind: kind_name(s.kind).to_string(),
                deposed: s.deposed.clone(),
            })
            .collect(),
        edges: plan.graph.edges.clone(),
    };
    serde_json::to_value(file).unwrap_or(serde_json::Value::Null)
}

/// Read a saved plan back.
pub fn from_file_json(json: &serde_json::Value) -> Result<Plan, String> {
    let version = json.get("version").and_then(serde_json::Value::as_u64);
    if version != Some(u64::from(PLAN_FILE_VERSION)) {
        return Err(format!(
            "the plan file has format version {}, but this infra reads version {PLAN_FILE_VERSION}; make the plan again with this version of infra",
            version.map(|v| v.to_string()).unwrap_or_else(|| "(none)".into())
        ));
    }
    let file: PlanFile = serde_json::from_value(json.clone())
        .map_err(|e| format!("the plan file is damaged ({e}); make the plan again"))?;
    let mut changes = Vec::new();
    for c in file.changes {
        changes.push(ResourceChange {
            address: parse_address(&c.address)?,
            action: parse_action(&c.action)?,
            before: c.before.as_ref().map(FileValue::to_value),
            after: c.after.as_ref().map(FileValue::to_value),
            replace_paths: c.replace_paths,
            reason: c.reason,
            depends_on: c
                .depends_on
                .iter()
                .map(|d| parse_address(d))
                .collect::<Result<_, _>>()?,
            lifecycle: Lifecycle {
                create_before_destroy: c.lifecycle.create_before_destroy,
                prevent_destroy: c.lifecycle.prevent_destroy,
                ignore_changes: c.lifecycle.ignore_changes,
                timeouts: c.lifecycle.timeouts,
            },
            deposed: c.deposed,
            previous_address: c
                .previous_address
                .as_deref()
                .map(parse_address)
                .transpose()?,
            provider: c.provider,
            delete_provider: c.delete_provider,
        });
    }
    let outputs = file
        .outputs
        .into_iter()
        .map(|(name, o)| {
            let oc = OutputChange {
                name: name.clone(),
                before: o.before.as_ref().map(FileValue::to_value),
                after: o.after.to_value(),
                sensitive: o.sensitive,
            };
            (name, oc)
        })
        .collect();
    let mut steps = Vec::new();
    for s in file.steps {
        steps.push(Step {
            address: parse_address(&s.address)?,
            kind: parse_kind(&s.kind)?,
            deposed: s.deposed,
        });
    }
    if file
        .edges
        .iter()
        .any(|(a, b)| *a >= steps.len() || *b >= steps.len())
    {
        return Err(
            "the plan file is damaged (an edge points past the steps); make the plan again".into(),
        );
    }
    Ok(Plan {
        changes,
        outputs,
        graph: ExecGraph {
            steps,
            edges: file.edges,
        },
        destroy: file.destroy,
    })
}
