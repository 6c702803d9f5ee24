//! `--target`: keep only the targeted instances and what they need.

use std::collections::{BTreeMap, BTreeSet};

use infra_model::Address;

use crate::deps::DepIndex;
use crate::ResourceChange;

/// Whether the dependency `dep` (as recorded: an instance, a whole resource or a module)
/// refers to `addr`.
pub fn dep_matches(dep: &Address, addr: &Address) -> bool {
    dep == addr || dep.selects(addr)
}

/// Indices of `changes` kept under `targets`. Planning: the targets and everything they
/// depend on, transitively. Destroying: the targets and everything that depends on them.
pub fn select(
    changes: &[ResourceChange],
    prior_deps: &BTreeMap<Address, Vec<Address>>,
    targets: &[Address],
    destroy: bool,
) -> BTreeSet<usize> {
    let mut keep: BTreeSet<usize> = changes
        .iter()
        .enumerate()
        .filter(|(_, c)| targets.iter().any(|t| t.selects(&c.address)))
        .map(|(i, _)| i)
        .collect();
    let deps = |c: &ResourceChange| -> Vec<Address> {
        let mut d = c.depends_on.clone();
        d.extend(prior_deps.get(&c.address).into_iter().flatten().cloned());
        d
    };
    // related[i]: planning, what i depends on; destroying, what depends on i
    let index = DepIndex::new(changes);
    let mut related: Vec<Vec<usize>> = vec![Vec::new(); changes.len()];
    for (i, c) in changes.iter().enumerate() {
        for d in deps(c) {
            index.each_match(&d, |j| {
                if destroy {
                    related[j].push(i);
                } else {
                    related[i].push(j);
                }
            });
        }
    }
    let mut work: Vec<usize> = keep.iter().copied().collect();
    while let Some(i) = work.pop() {
        for &j in &related[i] {
            if keep.insert(j) {
                work.push(j);
            }
        }
    }
    keep
}
