//! The pure core of planning: diff desired instances against prior state, decide each
//! resource's action, build the execution graph that apply follows, and render the plan
//! as text (Terraform's visual language) and JSON (`terraform show -json`'s
//! `resource_changes` shape).
//!
//! No IO, no async, no clock.
//!
//! Codemap:
//! - `normalize`: config as written -> full planned attribute map (defaults, prior or
//!   unknown computed values, canonical sets, `tags_all`). Apply calls it too.
//! - `diff`: semantic comparison of planned vs prior, with force-new paths.
//! - `planner`: [`Planner`] decides each instance's action (ignore_changes,
//!   prevent_destroy, `--replace`, orphans, deposed objects, deleted-outside re-creates).
//! - `ignore`: `ignore_changes` ([`keep_ignored`]), for the planner and for apply.
//! - `targets`: `--target` selection. `graph`: the [`ExecGraph`] apply walks.
//! - `render_text`, `render_json`, `planfile`: the three outward formats.
//!
//! This crate does not know HCL or the state database: the binary turns configuration
//! into [`DesiredInstance`]s and state rows into [`PriorInstance`]s.

use std::collections::BTreeMap;

mod deps;
mod diff;
mod fast_hash;
pub mod graph;
mod ignore;
mod normalize;
pub mod paths;
mod planfile;
mod planner;
mod recompute;
mod render_json;
mod render_markdown;
mod render_text;
mod rules;
mod sensitive;
mod suppress;
mod targets;

#[cfg(test)]
mod moved_tests;
#[cfg(test)]
mod removed_tests;
#[cfg(test)]
mod render_tests;

pub use diff::{attr_equal, diff, value_equal, AttrChange};
pub use ignore::keep_ignored;
pub use normalize::{compute_tags_all, normalize, INFRA_TAG_PREFIX};
pub use planfile::{from_file_json, to_file_json, PLAN_FILE_VERSION};
pub use planner::{reasons, PlanOptions, Planner};
pub use render_json::{render_json, FORMAT_VERSION};
pub use render_markdown::render_markdown;
pub use render_text::render_text;
pub use rules::check_instance;

pub use infra_model::instance::{DesiredInstance, Lifecycle};
use infra_model::{Address, Value};

/// What happens to one resource instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    /// Replace, deleting the old object first (the default).
    DeleteThenCreate,
    /// Replace, creating the new object first (`create_before_destroy`).
    CreateThenDelete,
    Delete,
    /// Data source read during apply (its arguments were unknown at plan time).
    Read,
    /// Dropped from the state, left in AWS (a `removed` block with `destroy = false`).
    Forget,
}

impl Action {
    /// Terraform's `change.actions` array.
    pub fn terraform_actions(self) -> &'static [&'static str] {
        match self {
            Action::NoOp => &["no-op"],
            Action::Create => &["create"],
            Action::Update => &["update"],
            Action::DeleteThenCreate => &["delete", "create"],
            Action::CreateThenDelete => &["create", "delete"],
            Action::Delete => &["delete"],
            Action::Read => &["read"],
            Action::Forget => &["forget"],
        }
    }
    pub fn is_replace(self) -> bool {
        matches!(self, Action::DeleteThenCreate | Action::CreateThenDelete)
    }
}

/// One resource instance as the state records it (after refresh).
#[derive(Debug, Clone, PartialEq)]
pub struct PriorInstance {
    pub address: Address,
    pub id: String,
    pub attributes: Value,
    pub depends_on: Vec<Address>,
    /// Set when a create_before_destroy replacement left this old object behind.
    pub deposed: Option<String>,
    /// The provider configuration the state recorded (see [`DesiredInstance::provider`]).
    pub provider: String,
}

/// The planned change of one resource instance.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceChange {
    pub address: Address,
    pub action: Action,
    /// Prior attributes (None for a create).
    pub before: Option<Value>,
    /// Planned attributes, with unknowns (None for a delete).
    pub after: Option<Value>,
    /// Attribute paths whose change forces the replacement.
    pub replace_paths: Vec<String>,
    /// Why, when not obvious: "deleted outside infra", "replacement requested", ...
    pub reason: Option<String>,
    pub depends_on: Vec<Address>,
    pub lifecycle: Lifecycle,
    /// The deposed object this change deletes, if any.
    pub deposed: Option<String>,
    /// The address the state knew this object by, when a `moved` block renamed it
    /// (Terraform's `previous_address`); apply renames the state row first.
    pub previous_address: Option<Address>,
    /// The provider configuration the steps of this change go to (see
    /// [`DesiredInstance::provider`]; a delete's is the state's).
    pub provider: String,
    /// The configuration the delete of a replacement goes to when it is not `provider`:
    /// the object moves to another region, and the old one is deleted where it is.
    pub delete_provider: Option<String>,
}

impl ResourceChange {
    /// The provider configuration a step of this change goes to.
    pub fn provider_for(&self, kind: StepKind) -> &str {
        match (kind, &self.delete_provider) {
            (StepKind::Delete, Some(p)) => p,
            _ => &self.provider,
        }
    }
}

/// One unit of work in the execution graph. A replacement is two steps.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Step {
    pub address: Address,
    pub kind: StepKind,
    /// For deletes of a deposed (create_before_destroy) object: its id.
    pub deposed: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Create,
    Update,
    Delete,
    Read,
    /// No work: done once every step before it is done. Joins the steps a dependency on a
    /// whole block stands for (`graph::BARRIER_MIN`); its address is that dependency's.
    Barrier,
}

/// The execution graph: apply walks it and does nothing else to decide ordering.
/// `edges` are `(before, after)` index pairs into `steps`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExecGraph {
    pub steps: Vec<Step>,
    pub edges: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutputChange {
    pub name: String,
    pub before: Option<Value>,
    pub after: Value,
    pub sensitive: bool,
}

/// A whole plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub changes: Vec<ResourceChange>,
    pub outputs: BTreeMap<String, OutputChange>,
    pub graph: ExecGraph,
    pub destroy: bool,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.action != Action::NoOp || c.previous_address.is_some())
            || self
                .outputs
                .values()
                .any(|o| o.before.as_ref() != Some(&o.after))
    }

    /// `(old, new)` for every object a `moved` block renames, in the plan's order.
    pub fn moves(&self) -> Vec<(Address, Address)> {
        self.changes
            .iter()
            .filter(|c| c.deposed.is_none())
            .filter_map(|c| c.previous_address.clone().map(|p| (p, c.address.clone())))
            .collect()
    }

    /// The objects the plan forgets (`removed` blocks with `destroy = false`): apply drops
    /// their state rows before it runs the graph and leaves them in AWS.
    pub fn forgets(&self) -> Vec<&ResourceChange> {
        self.changes
            .iter()
            .filter(|c| c.action == Action::Forget)
            .collect()
    }

    /// `(to add, to change, to destroy)` as Terraform counts them.
    pub fn summary(&self) -> (usize, usize, usize) {
        let mut s = (0, 0, 0);
        for c in &self.changes {
            match c.action {
                Action::Create => s.0 += 1,
                Action::Update => s.1 += 1,
                Action::DeleteThenCreate | Action::CreateThenDelete => {
                    s.0 += 1;
                    s.2 += 1
                }
                Action::Delete => s.2 += 1,
                Action::NoOp | Action::Read | Action::Forget => {}
            }
        }
        s
    }
}
