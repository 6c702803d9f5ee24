//! A stack's outputs after apply/destroy, recorded in the state so that other stacks can
//! read them with `data "terraform_remote_state"`.

use std::collections::BTreeMap;

use infra_model::{Address, Value};
use infra_state::{OutputRecord, Store};

use crate::engine::LoadedStack;

/// The outputs after an apply: evaluated against `values` with the apply-time `clock`
/// (an output of `timestamp()` is known now; give clones of one clock to every caller
/// that must see the same values: recorded and printed).
pub fn after_apply(
    loaded: &LoadedStack,
    values: &BTreeMap<Address, Value>,
    clock: &infra_lang::ApplyClock,
) -> BTreeMap<String, infra_config::OutputValue> {
    infra_lang::with_clock(Some(clock.clone()), || {
        loaded.stack.evaluate_outputs(values).0
    })
}

/// Replace the stack's recorded outputs with those that evaluate to known values against
/// `values` (an output still unknown is left out rather than recorded as null), at the
/// time of `clock`.
pub async fn persist(
    loaded: &LoadedStack,
    store: &Store,
    stack: &str,
    values: &BTreeMap<Address, Value>,
    clock: &infra_lang::ApplyClock,
) -> anyhow::Result<()> {
    let outputs = after_apply(loaded, values, clock);
    let known: BTreeMap<String, OutputRecord> = outputs
        .into_iter()
        .filter(|(_, o)| o.value.is_wholly_known())
        .map(|(name, o)| (name, OutputRecord::new(o.value.to_json(), o.sensitive)))
        .collect();
    store.save_outputs(stack, &known).await?;
    Ok(())
}

/// After a destroy: a stack with nothing left has no outputs; after a targeted destroy,
/// the outputs that still evaluate are kept.
pub async fn persist_after_destroy(
    loaded: &LoadedStack,
    store: &Store,
    stack: &str,
    values: &BTreeMap<Address, Value>,
    clock: &infra_lang::ApplyClock,
) -> anyhow::Result<()> {
    let managed_left = store
        .resources(stack)
        .await?
        .iter()
        .any(|r| r.mode == "managed");
    if !managed_left {
        store.save_outputs(stack, &BTreeMap::new()).await?;
        Ok(())
    } else {
        persist(loaded, store, stack, values, clock).await
    }
}
