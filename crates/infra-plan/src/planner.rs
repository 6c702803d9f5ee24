//! The planner: one call per desired instance, then `finish` for orphans, targets, the
//! prevent_destroy check and the execution graph.

use std::collections::{BTreeMap, BTreeSet};

use infra_model::schema::lookup;
use infra_model::{Address, DefaultTags, Diagnostic, Mode, ResourceSchema, Value};

use crate::diff::diff;
use crate::fast_hash::FastMap;
use crate::normalize::normalize;
use crate::sensitive::Marks;
use crate::{
    graph, targets, Action, DesiredInstance, Lifecycle, OutputChange, Plan, PriorInstance,
    ResourceChange,
};

/// Why a change happens, as stored in [`ResourceChange::reason`].
pub mod reasons {
    pub const DELETED_OUTSIDE: &str = "deleted outside infra";
    pub const REPLACE_REQUESTED: &str = "replacement requested";
    pub const NOT_IN_CONFIG: &str = "no longer in configuration";
    pub const CANNOT_UPDATE: &str = "a change to an attribute forces replacement";
    pub const REMOVED_FORGET: &str = "a removed block with destroy = false";
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanOptions {
    /// Each provider configuration's `default_tags`.
    pub default_tags: DefaultTags,
    /// `--target`: plan only these (and what they depend on; for destroy, what depends on them).
    pub targets: Vec<Address>,
    /// `--replace`: force replacement of these instances.
    pub replace: Vec<Address>,
    /// `destroy` / `plan --destroy`: delete everything.
    pub destroy: bool,
    /// The `removed` blocks, `(from, destroy)`, outermost module first: an object in the
    /// state but not in the configuration that the first covering block (`from` selects
    /// it) says `destroy = false` of is forgotten ([`Action::Forget`]), not deleted, in a
    /// destroy plan too.
    pub removed: Vec<(Address, bool)>,
    /// The region each provider configuration (by alias) sends its resources to, where
    /// the binary knows it: an object whose configuration key now names another region
    /// than the one it was created in (a per-resource `region` added, changed or removed)
    /// is replaced, the old one deleted where it is.
    pub regions: BTreeMap<String, String>,
}

impl PlanOptions {
    /// The region a provider key sends to: its own (`alias@region`), else its
    /// configuration's, if known.
    pub fn region_of<'a>(&'a self, key: &'a str) -> Option<&'a str> {
        infra_model::provider_key_region(key).or_else(|| {
            self.regions
                .get(infra_model::provider_alias(key))
                .map(String::as_str)
        })
    }
}

pub struct Planner {
    opts: PlanOptions,
    /// Hashed, not ordered: 10,000 inserts into a B-tree keyed by `Address` cost 4% of a
    /// no-op plan in comparisons alone; `finish` sorts the changes anyway.
    prior: FastMap<Address, PriorInstance>,
    deposed: Vec<PriorInstance>,
    prior_deps: BTreeMap<Address, Vec<Address>>,
    /// Hashed, not ordered: `finish` sorts the changes, and a B-tree insert of every
    /// instance (addresses compared string by string, large values moved) cost a fifth
    /// of planning.
    /// Only what `finish` deletes while the configuration still has it: every instance
    /// of a destroy plan, and instances with a deposed object (their lifecycle and
    /// sensitive marks). A copy of every instance's configuration was 8% of planning a
    /// stack created from empty, and 10 MB of a no-op plan's peak at 10,000 resources.
    desired: FastMap<Address, DesiredInstance>,
    /// The addresses of the deposed objects.
    deposed_at: BTreeSet<Address>,
    /// The changes in planning order (`None` once removed), and where each address is.
    changes: Vec<Option<ResourceChange>>,
    change_at: FastMap<Address, usize>,
    deleted_outside: BTreeSet<Address>,
    /// Data sources to read during apply although their arguments are known now.
    read_at_apply: BTreeSet<Address>,
    /// New address → the address the state had before a `moved` block renamed it.
    moved: BTreeMap<Address, Address>,
    diags: Vec<Diagnostic>,
}

impl Planner {
    pub fn new(opts: PlanOptions, prior: Vec<PriorInstance>) -> Planner {
        let mut current = FastMap::default();
        current.reserve(prior.len());
        let mut deposed = Vec::new();
        // collected, then built in one go (sorting is cheaper than an insert each)
        let mut deps = Vec::with_capacity(prior.len());
        for p in prior {
            if p.deposed.is_some() {
                deposed.push(p);
            } else {
                deps.push((p.address.clone(), p.depends_on.clone()));
                current.insert(p.address.clone(), p);
            }
        }
        let prior_deps: BTreeMap<Address, Vec<Address>> = deps.into_iter().collect();
        let deposed_at = deposed
            .iter()
            .map(|p: &PriorInstance| p.address.clone())
            .collect();
        Planner {
            deposed_at,
            opts,
            prior: current,
            deposed,
            prior_deps,
            desired: FastMap::default(),
            changes: Vec::new(),
            change_at: FastMap::default(),
            deleted_outside: BTreeSet::new(),
            read_at_apply: BTreeSet::new(),
            moved: BTreeMap::new(),
            diags: Vec::new(),
        }
    }

    /// A `moved` block renamed the state's object at `from` to `to` (the prior instances
    /// the planner was given already carry `to`): the change of `to` records `from` as its
    /// previous address.
    pub fn note_moved(&mut self, from: Address, to: Address) {
        self.moved.insert(to, from);
    }

    /// The refresh found `address` gone: plan to create it again. Call it before
    /// [`Planner::plan_instance`] for that address (as the engine does, before the walk):
    /// afterwards only a destroy plan or an instance with a deposed object keeps the
    /// configuration to plan it again.
    pub fn note_deleted_outside(&mut self, address: &Address) {
        self.prior.remove(address);
        self.prior_deps.remove(address);
        self.deleted_outside.insert(address.clone());
        let removed = self
            .change_at
            .remove(address)
            .and_then(|i| self.changes[i].take());
        let Some(mut change) = removed else { return };
        match self.desired.get(address).cloned() {
            Some(d) => {
                self.plan_instance(&d);
            }
            None => {
                // planned with no prior object (no copy kept): planning it again would
                // give the same change, now with the reason
                if change.action == Action::Create {
                    change.reason = Some(reasons::DELETED_OUTSIDE.to_string());
                }
                self.change_at.insert(address.clone(), self.changes.len());
                self.changes.push(Some(change));
            }
        }
    }

    /// Plan a data source as a read during apply even when its arguments are known now:
    /// the read made before planning used other arguments (they name an attribute of a
    /// resource this plan changes), so its result is stale.
    pub fn plan_read_during_apply(&mut self, desired: &DesiredInstance) -> Value {
        if desired.address.mode == Mode::Data {
            self.read_at_apply.insert(desired.address.clone());
        }
        self.plan_instance(desired)
    }

    /// Plan one desired instance and return the value later references see: the planned
    /// attributes, with what the cloud computes `Unknown` for a create or a replace.
    /// Sensitive marks in the configuration are taken off for planning and put back on
    /// the change's `before`/`after` and on the returned value (see [`crate::sensitive`]).
    pub fn plan_instance(&mut self, desired: &DesiredInstance) -> Value {
        let addr = &desired.address;
        if self.opts.destroy || self.deposed_at.contains(addr) {
            self.desired.insert(addr.clone(), desired.clone());
        }
        let marks = Marks::of(&desired.config);
        let schema = lookup(addr.mode, &addr.type_name);
        // an unmarked copy only when there are marks to take off (most configurations
        // have none, and a copy of each instance was a tenth of planning)
        let plain;
        let unmarked = if desired.config.has_marks() {
            plain = DesiredInstance {
                address: desired.address.clone(),
                config: desired.config.clone().unmark_deep(),
                depends_on: desired.depends_on.clone(),
                lifecycle: desired.lifecycle.clone(),
                provider: desired.provider.clone(),
            };
            &plain
        } else {
            desired
        };
        let diags_before = self.diags.len();
        let planned = self.plan_unmarked(unmarked, schema);
        for d in &mut self.diags[diags_before..] {
            *d = marks.scrub(std::mem::replace(d, Diagnostic::error("")));
        }
        let change = self.change_at.get(addr).copied();
        if let Some(c) = change.and_then(|i| self.changes[i].as_mut()) {
            c.before = c.before.take().map(|v| marks.apply(v, schema));
            c.after = c.after.take().map(|v| marks.apply(v, schema));
            // what is sensitive now was sensitive before (`tags_all` repeating a tag
            // whose old value no longer appears in the configuration)
            if let (Some(before), Some(after)) = (c.before.as_mut(), &c.after) {
                if after.has_marks() {
                    *before = std::mem::take(before).with_mask(&after.sensitive_mask());
                }
            }
        }
        marks.apply(planned, schema)
    }

    fn plan_unmarked(
        &mut self,
        desired: &DesiredInstance,
        schema: Option<&'static ResourceSchema>,
    ) -> Value {
        let addr = &desired.address;
        let Some(schema) = schema else {
            self.diags.push(
                Diagnostic::error(format!("unsupported resource type `{}`", addr.type_name))
                    .with_detail("use one of the resource types infra supports")
                    .with_address(addr),
            );
            return desired.config.clone();
        };
        if !self.opts.destroy {
            self.diags.extend(crate::rules::check_instance(desired));
        }
        // borrowed, not cloned: the diagnostics are pushed to a field of their own
        let diags = &mut self.diags;
        let opts = &self.opts;
        let dt = opts.default_tags.get(&desired.provider);
        let prior = self.prior.get(addr);
        if opts.destroy {
            // finish() deletes everything; remember the lifecycle for prevent_destroy
            return prior
                .map(|p| p.attributes.clone())
                .unwrap_or_else(|| normalize(schema, &desired.config, None, dt));
        }
        let lc = &desired.lifecycle;
        if desired.provider.ends_with('@') {
            diags.push(
                Diagnostic::error(format!(
                    "{addr}: its `region` is not known until apply"
                ))
                .with_detail("infra must know when planning which region to send it to: set `region` from a literal or a variable, or remove it to use the provider configuration's region")
                .with_address(addr),
            );
            return normalize(schema, &desired.config, None, dt);
        }
        // the region the object is in, when its configuration now sends it elsewhere
        let moved_from = prior
            .filter(|p| p.provider != desired.provider)
            .and_then(|p| {
                let (from, to) = (
                    opts.region_of(&p.provider)?,
                    opts.region_of(&desired.provider)?,
                );
                (from != to).then(|| (p.provider.clone(), from.to_string(), to.to_string()))
            });
        let (action, after, replace_paths, reason) = if addr.mode == Mode::Data {
            let planned = normalize(schema, &desired.config, prior.map(|p| &p.attributes), dt);
            if desired.config.is_wholly_known() && !self.read_at_apply.contains(addr) {
                return planned;
            }
            (
                Action::Read,
                normalize(schema, &desired.config, None, dt),
                Vec::new(),
                None,
            )
        } else if let Some(p) = prior {
            let mut planned = normalize(schema, &desired.config, Some(&p.attributes), dt);
            ignore_changes(diags, dt, schema, &mut planned, p, lc, addr, false);
            crate::suppress::keep_equivalent(schema.type_name, &p.attributes, &mut planned);
            let mut changed = diff(schema, &p.attributes, &planned);
            crate::rules::forces_new(schema.type_name, &planned, &mut changed);
            let forced: Vec<String> = changed
                .iter()
                .filter(|c| c.force_new)
                .map(|c| c.path.clone())
                .collect();
            let requested = opts.replace.iter().any(|r| r.selects(addr));
            if requested || !forced.is_empty() || moved_from.is_some() {
                let mut fresh = normalize(schema, &desired.config, None, dt);
                ignore_changes(diags, dt, schema, &mut fresh, p, lc, addr, true);
                let action = if lc.create_before_destroy {
                    Action::CreateThenDelete
                } else {
                    Action::DeleteThenCreate
                };
                let (forced, reason) = match &moved_from {
                    Some((_, from, to)) if forced.is_empty() && !requested => (
                        vec!["region".to_string()],
                        format!("it moves from region {from} to {to}"),
                    ),
                    _ if requested => (forced, reasons::REPLACE_REQUESTED.to_string()),
                    _ => (forced, reasons::CANNOT_UPDATE.to_string()),
                };
                (action, fresh, forced, Some(reason))
            } else if changed.is_empty() {
                (Action::NoOp, planned, Vec::new(), None)
            } else {
                crate::recompute::on_update(schema.type_name, &changed, &mut planned);
                (Action::Update, planned, Vec::new(), None)
            }
        } else {
            let reason = self
                .deleted_outside
                .contains(addr)
                .then(|| reasons::DELETED_OUTSIDE.to_string());
            (
                Action::Create,
                normalize(schema, &desired.config, None, dt),
                Vec::new(),
                reason,
            )
        };
        // the prior object moves into the change: `finish` skips planned addresses, and
        // `note_deleted_outside` drops the prior anyway (a copy of every prior value was
        // 4% of a no-op plan)
        let before = self.prior.remove(addr).map(|p| p.attributes);
        let change = ResourceChange {
            address: addr.clone(),
            action,
            before,
            after: Some(after.clone()),
            replace_paths,
            reason,
            depends_on: desired.depends_on.clone(),
            lifecycle: lc.clone(),
            deposed: None,
            previous_address: None,
            provider: desired.provider.clone(),
            delete_provider: moved_from
                .filter(|_| action.is_replace())
                .map(|(key, _, _)| key),
        };
        // planned again (after `note_deleted_outside`): the new change takes the old one's
        // place, as a map insert would
        match self.change_at.get(addr) {
            Some(&i) => self.changes[i] = Some(change),
            None => {
                self.change_at.insert(addr.clone(), self.changes.len());
                self.changes.push(Some(change));
            }
        }
        after
    }

    /// Deletes for orphans (or everything, when destroying), targets, prevent_destroy and
    /// the execution graph.
    pub fn finish(mut self, outputs: BTreeMap<String, OutputChange>) -> (Plan, Vec<Diagnostic>) {
        let destroy = self.opts.destroy;
        let mut changes: Vec<ResourceChange> = std::mem::take(&mut self.changes)
            .into_iter()
            .flatten()
            .collect();
        // the addresses planned are those indexed (a removed change leaves the index too)
        let planned = &self.change_at;
        for (addr, p) in std::mem::take(&mut self.prior) {
            if addr.mode == Mode::Data || (!destroy && planned.contains_key(&addr)) {
                continue;
            }
            let lifecycle = if destroy {
                self.desired
                    .get(&addr)
                    .map(|d| d.lifecycle.clone())
                    .unwrap_or_default()
            } else {
                Lifecycle::default()
            };
            let forget = !self.desired.contains_key(&addr)
                && self
                    .opts
                    .removed
                    .iter()
                    .find(|(from, _)| from.selects(&addr))
                    .is_some_and(|(_, destroy)| !destroy);
            if forget {
                let mut c = delete_change(p, Some(reasons::REMOVED_FORGET.to_string()), lifecycle);
                c.action = Action::Forget;
                changes.push(c);
                continue;
            }
            let reason = (!destroy).then(|| reasons::NOT_IN_CONFIG.to_string());
            changes.push(delete_change(p, reason, lifecycle));
        }
        for p in std::mem::take(&mut self.deposed) {
            changes.push(delete_change(p, None, Lifecycle::default()));
        }
        // deletes show their prior attributes: mark them as the configuration (if any)
        // and the schema say
        for c in changes
            .iter_mut()
            .filter(|c| matches!(c.action, Action::Delete | Action::Forget))
        {
            let marks = Marks::of(
                self.desired
                    .get(&c.address)
                    .map(|d| &d.config)
                    .unwrap_or(&Value::Null),
            );
            let schema = lookup(c.address.mode, &c.address.type_name);
            c.before = c.before.take().map(|v| marks.apply(v, schema));
        }
        for c in changes.iter_mut().filter(|c| c.deposed.is_none()) {
            c.previous_address = self.moved.get(&c.address).cloned();
        }
        changes.sort_by(|a, b| {
            a.address
                .cmp(&b.address)
                .then_with(|| a.deposed.cmp(&b.deposed))
        });

        if !self.opts.targets.is_empty() {
            let keep = targets::select(&changes, &self.prior_deps, &self.opts.targets, destroy);
            changes = changes
                .into_iter()
                .enumerate()
                .filter(|(i, _)| keep.contains(i))
                .map(|(_, c)| c)
                .collect();
            self.diags.push(
                Diagnostic::warning("resource targeting is in effect")
                    .with_detail("the plan may be incomplete; use --target only to recover from mistakes, then run a full plan"),
            );
        }

        for c in &changes {
            let destroys = matches!(
                c.action,
                Action::Delete | Action::DeleteThenCreate | Action::CreateThenDelete
            );
            if destroys && c.lifecycle.prevent_destroy && c.deposed.is_none() {
                self.diags.push(
                    Diagnostic::error(format!("`{}` has lifecycle.prevent_destroy set, but the plan would destroy it", c.address))
                        .with_detail("remove prevent_destroy from its lifecycle block, or change the plan (configuration, --target, --replace) so that it no longer destroys or replaces this resource")
                        .with_address(&c.address),
                );
            }
        }

        graph::promote_create_before_destroy(&mut changes, &self.prior_deps);
        let graph = match graph::build(&changes, &self.prior_deps) {
            Ok(g) => g,
            Err(e) => {
                self.diags.push(Diagnostic::error(e));
                Default::default()
            }
        };
        (
            Plan {
                changes,
                outputs,
                graph,
                destroy,
            },
            self.diags,
        )
    }
}

/// Apply `lifecycle.ignore_changes`: ignored paths keep the prior value. For a
/// replacement (`fresh`), read-only attributes stay unknown.
#[allow(clippy::too_many_arguments)]
fn ignore_changes(
    diags: &mut Vec<Diagnostic>,
    default_tags: &BTreeMap<String, String>,
    schema: &ResourceSchema,
    planned: &mut Value,
    prior: &PriorInstance,
    lc: &Lifecycle,
    addr: &Address,
    fresh: bool,
) {
    let invalid = crate::ignore::keep_ignored(
        schema,
        planned,
        &prior.attributes,
        &lc.ignore_changes,
        default_tags,
        fresh,
    );
    for raw in invalid {
        diags.push(
            Diagnostic::warning(format!(
                "ignore_changes entry `{raw}` is not an attribute path"
            ))
            .with_detail("write it as `tags`, `tags[\"Name\"]` or `scaling_config[0].desired_size`")
            .with_address(addr),
        );
    }
}

fn delete_change(p: PriorInstance, reason: Option<String>, lifecycle: Lifecycle) -> ResourceChange {
    ResourceChange {
        address: p.address,
        action: Action::Delete,
        before: Some(p.attributes),
        after: None,
        replace_paths: Vec::new(),
        reason,
        depends_on: p.depends_on,
        lifecycle,
        deposed: p.deposed,
        previous_address: None,
        provider: p.provider,
        delete_provider: None,
    }
}

/// Copy the prior value at `steps` into `planned` (removing it when the prior has none).
#[cfg(test)]
#[path = "planner_tests.rs"]
mod tests;
