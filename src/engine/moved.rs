//! `moved` and `removed` blocks at plan and apply time. Planning renames the refreshed prior instances
//! in memory ([`apply_moves`]; the planner then records each old address as the change's
//! `previous_address`); apply renames the state rows, one transaction each, before it
//! runs the graph ([`rename_in_state`]), from the plan's own record of the moves, so a
//! saved plan renames exactly what it showed.

use std::collections::BTreeMap;

use infra_config::Stack;
use infra_model::{Address, Diagnostic};
use infra_state::Store;

use super::refresh::Refreshed;

/// Resolve the stack's moved blocks against what the state holds and rename the
/// refreshed instances. Returns the renames `(old, new)` and any errors (a move onto an
/// address the state already has).
pub fn apply_moves(
    stack: &Stack,
    refreshed: &mut Refreshed,
) -> (Vec<(Address, Address)>, Vec<Diagnostic>) {
    let blocks = stack.moved_blocks();
    if blocks.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let mut addresses: Vec<Address> = refreshed
        .prior
        .iter()
        .filter(|p| p.deposed.is_none())
        .map(|p| p.address.clone())
        .chain(refreshed.deleted_outside.iter().cloned())
        .collect();
    addresses.sort();
    addresses.dedup();
    let span = |a: &Address| stack.resource(a).and_then(|r| r.span.clone());
    let (renames, diags) = infra_config::resolve_moves(&blocks, &addresses, &span);
    let map: BTreeMap<Address, Address> = renames.iter().cloned().collect();
    let by_text: BTreeMap<String, String> = renames
        .iter()
        .map(|(o, n)| (o.to_string(), n.to_string()))
        .collect();
    let rename = |a: &mut Address| {
        if let Some(n) = map.get(a) {
            *a = n.clone();
        }
    };
    let rename_text = |a: &mut String| {
        if let Some(n) = by_text.get(a) {
            *a = n.clone();
        }
    };
    for p in &mut refreshed.prior {
        rename(&mut p.address);
    }
    refreshed.values = std::mem::take(&mut refreshed.values)
        .into_iter()
        .map(|(mut a, v)| {
            rename(&mut a);
            (a, v)
        })
        .collect();
    refreshed.deleted_outside.iter_mut().for_each(rename);
    for r in &mut refreshed.changed {
        rename_text(&mut r.address);
    }
    for (a, _) in &mut refreshed.gone {
        rename_text(a);
    }
    (renames, diags)
}

/// Drop the state rows of the objects the plan forgets (`removed` blocks with
/// `destroy = false`), one transaction each, before the graph runs: nothing is called in
/// AWS. A row already gone (a rerun after an interruption) is skipped.
pub async fn forget_in_state(
    store: &Store,
    stack: &str,
    plan: &infra_plan::Plan,
) -> anyhow::Result<()> {
    for c in plan.forgets() {
        store
            .remove_resource(stack, &c.address.to_string(), c.deposed.as_deref())
            .await?;
    }
    Ok(())
}

/// Rename the state rows of the plan's moves (`(old, new)`), one transaction each. A row
/// already renamed (a rerun after an interruption) is skipped.
pub async fn rename_in_state(
    store: &Store,
    stack: &str,
    moves: &[(Address, Address)],
) -> anyhow::Result<()> {
    for (old, new) in moves {
        store
            .rename_resource(stack, &old.to_string(), &new.to_string())
            .await?;
    }
    Ok(())
}
