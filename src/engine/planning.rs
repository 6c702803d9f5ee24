//! Turn a loaded stack and its refreshed state into a plan (pure).

use std::collections::BTreeMap;

use infra_model::{Address, Diagnostic, Mode, Value};
use infra_plan::{OutputChange, Plan, PlanOptions, Planner, PriorInstance};

use super::load::LoadedStack;
use super::refresh::Refreshed;

#[derive(Debug, Clone, Default)]
pub struct PlanRequest {
    pub destroy: bool,
    pub targets: Vec<Address>,
    pub replace: Vec<Address>,
    /// The region each provider configuration sends to (`session::Routed::regions`).
    pub regions: BTreeMap<String, String>,
}

/// Parse `--target` / `--replace` addresses.
pub fn parse_addresses(raw: &[String]) -> anyhow::Result<Vec<Address>> {
    raw.iter()
        .map(|s| Address::parse(s).map_err(anyhow::Error::from))
        .collect()
}

/// The arguments a data source has in this plan are those it was read with before it.
fn same_args(inst: &infra_model::DesiredInstance, args: &Value) -> bool {
    if inst.config.has_marks() {
        &inst.config.clone().unmark_deep() == args
    } else {
        &inst.config == args
    }
}

/// The outputs as they were: evaluated against the state's values (`refreshed.values`).
pub fn outputs_before(
    loaded: &LoadedStack,
    refreshed: &Refreshed,
) -> BTreeMap<String, infra_config::OutputValue> {
    loaded.stack.evaluate_outputs(&refreshed.values).0
}

/// Plan `loaded` against the state's objects: `prior` (taken out of `refreshed`, whose
/// other fields are read here too), with `before` the outputs as they were
/// ([`outputs_before`]).
#[allow(clippy::too_many_arguments)]
pub fn make_plan(
    loaded: &LoadedStack,
    prior: Vec<PriorInstance>,
    before: BTreeMap<String, infra_config::OutputValue>,
    refreshed: &Refreshed,
    data: &BTreeMap<Address, Value>,
    data_args: &BTreeMap<Address, Value>,
    req: &PlanRequest,
) -> (Plan, Vec<Diagnostic>) {
    let opts = PlanOptions {
        default_tags: loaded.stack.default_tags(),
        targets: req.targets.clone(),
        replace: req.replace.clone(),
        destroy: req.destroy,
        removed: loaded
            .stack
            .removed_blocks()
            .into_iter()
            .map(|r| (r.from, r.destroy))
            .collect(),
        regions: req.regions.clone(),
    };
    let mut planner = Planner::new(opts, prior);
    for addr in &refreshed.deleted_outside {
        planner.note_deleted_outside(addr);
    }
    for (old, new) in &refreshed.moved {
        planner.note_moved(old.clone(), new.clone());
    }
    let (evaluation, mut diags) = loaded.stack.walk(&mut |inst| {
        if inst.address.mode != Mode::Data {
            return planner.plan_instance(inst);
        }
        match (data.get(&inst.address), data_args.get(&inst.address)) {
            // read before planning with the arguments it has now
            (Some(read), Some(args)) if inst.config.is_wholly_known() && same_args(inst, args) => {
                read.clone()
            }
            // its arguments name what this plan changes: known only after apply (a policy
            // document naming an OIDC provider's ARN, a replaced log group's ARN), or
            // known but not those it was read with (a renamed resource's name): read
            // during apply, after the change
            // not read before planning (its arguments named what the state did not hold
            // yet, e.g. `coalesce(var.version, aws_eks_cluster.this.version)` before the
            // cluster exists), known or not now: read during apply, or its computed
            // attributes would stay unknown
            _ => planner.plan_read_during_apply(inst),
        }
    });
    if req.destroy {
        // a destroy checks no custom conditions (as Terraform)
        diags.retain(|d| {
            !["postcondition failed", "precondition failed", "check "]
                .iter()
                .any(|p| d.summary.starts_with(p))
        });
    }
    let mut outputs = BTreeMap::new();
    if !req.destroy {
        for (name, out) in evaluation.outputs {
            let prior = before
                .get(&name)
                .map(|o| o.value.clone())
                // an output that cannot be evaluated from the prior state (its resources
                // are not there yet) did not exist before: it is created, not updated
                .filter(|v| !v.is_null() && v.is_wholly_known())
                // a null output is not set, before as after: no change (as in Terraform,
                // which neither stores nor shows it), or every re-plan of a module with
                // `try(..., null)` outputs would report changes; a sensitive output's null
                // too (its mark kept, so that before and after are equal)
                .or_else(|| out.value.unmarked().is_null().then(|| out.value.clone()));
            outputs.insert(
                name.clone(),
                OutputChange {
                    name,
                    before: prior,
                    after: out.value,
                    sensitive: out.sensitive,
                },
            );
        }
    }
    let (plan, more) = planner.finish(outputs);
    diags.extend(more);
    // every sensitive text the plan holds (derived ones too) is kept out of what is
    // printed and logged from now on
    for c in &plan.changes {
        c.before
            .iter()
            .chain(&c.after)
            .for_each(crate::redact::register_marked);
    }
    for o in plan.outputs.values() {
        o.before
            .iter()
            .chain([&o.after])
            .for_each(crate::redact::register_marked);
    }
    (plan, diags)
}
