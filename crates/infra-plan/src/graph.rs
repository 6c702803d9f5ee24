//! The execution graph apply walks.
//!
//! Every change becomes at most two steps: a "forward" step (create, update or read) and a
//! delete step. The ordering rules:
//! - forward step of X after the forward steps of what X depends on (configuration deps);
//! - delete of X before the delete of what X depended on (prior deps), i.e. reverse order;
//! - a delete-then-create replacement deletes before it creates; a create-then-delete
//!   replacement creates, then lets its dependents create/update, then deletes the old object;
//! - a plain delete of Y waits for the creates/updates of what used to depend on Y.
//!
//! Dependencies pass through instances that have no step (no-ops), so ordering is kept.
//! The rules cannot form a cycle once [`promote_create_before_destroy`] has run; the soft
//! rule (the last one) is only added where it would not create one.

use std::collections::{BTreeMap, HashSet};

use infra_model::Address;
use petgraph::algo::{has_path_connecting, toposort, DfsSpace};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::deps::DepIndex;
use crate::{Action, ExecGraph, ResourceChange, Step, StepKind};

fn forward_kind(a: Action) -> Option<StepKind> {
    match a {
        Action::Create | Action::DeleteThenCreate | Action::CreateThenDelete => {
            Some(StepKind::Create)
        }
        Action::Update => Some(StepKind::Update),
        Action::Read => Some(StepKind::Read),
        Action::NoOp | Action::Delete => None,
    }
}

/// The dependencies a change's old object had (state), falling back to its configured ones.
fn old_deps<'a>(
    c: &'a ResourceChange,
    prior_deps: &'a BTreeMap<Address, Vec<Address>>,
) -> &'a [Address] {
    prior_deps
        .get(&c.address)
        .map(Vec::as_slice)
        .unwrap_or(&c.depends_on)
}

/// Indices of the changes `i` reaches through `deps`, passing through changes for which
/// `stop` is false (they have no step of the relevant kind).
fn reach(
    index: &DepIndex,
    i: usize,
    deps: &dyn Fn(usize) -> Vec<Address>,
    stop: &dyn Fn(usize) -> bool,
) -> Vec<usize> {
    let mut out = Vec::new();
    // a set, not a vector of every change: this runs once per change
    let mut seen = HashSet::from([i]);
    let mut work = vec![i];
    while let Some(k) = work.pop() {
        for d in deps(k) {
            index.each_match(&d, |j| {
                if seen.insert(j) {
                    if stop(j) {
                        out.push(j);
                    } else {
                        work.push(j);
                    }
                }
            });
        }
    }
    out
}

/// Terraform's rule: what a create_before_destroy replacement depends on must also be
/// replaced create-first, or the graph would need the old dependency gone before the new
/// dependent exists. Runs to a fixed point over both configured and prior dependencies.
pub fn promote_create_before_destroy(
    changes: &mut [ResourceChange],
    prior_deps: &BTreeMap<Address, Vec<Address>>,
) {
    loop {
        let mut promote = Vec::new();
        let index = DepIndex::new(changes);
        for (i, c) in changes.iter().enumerate() {
            if c.action != Action::CreateThenDelete {
                continue;
            }
            let deps = |k: usize| {
                let mut d = changes[k].depends_on.clone();
                d.extend(old_deps(&changes[k], prior_deps).iter().cloned());
                d
            };
            // walk through deleted and no-op instances to the replacements behind them
            let stop = |j: usize| changes[j].action.is_replace();
            for j in reach(&index, i, &deps, &stop) {
                if changes[j].action == Action::DeleteThenCreate {
                    promote.push(j);
                }
            }
        }
        if promote.is_empty() {
            return;
        }
        for j in promote {
            changes[j].action = Action::CreateThenDelete;
        }
    }
}

/// Build the execution graph of `changes`. Errors only if the rules form a cycle, which
/// [`promote_create_before_destroy`] prevents.
pub fn build(
    changes: &[ResourceChange],
    prior_deps: &BTreeMap<Address, Vec<Address>>,
) -> Result<ExecGraph, String> {
    let mut g = ExecGraph::default();
    let mut fwd = vec![None; changes.len()];
    let mut del = vec![None; changes.len()];
    for (i, c) in changes.iter().enumerate() {
        let delete = |g: &mut ExecGraph| {
            let deposed = match c.action {
                Action::CreateThenDelete => c
                    .before
                    .as_ref()
                    .and_then(|b| b.get("id").as_str())
                    .map(str::to_string),
                _ => c.deposed.clone(),
            };
            g.steps.push(Step {
                address: c.address.clone(),
                kind: StepKind::Delete,
                deposed,
            });
            g.steps.len() - 1
        };
        if c.action == Action::DeleteThenCreate || c.action == Action::Delete {
            del[i] = Some(delete(&mut g));
        }
        if let Some(kind) = forward_kind(c.action) {
            g.steps.push(Step {
                address: c.address.clone(),
                kind,
                deposed: None,
            });
            fwd[i] = Some(g.steps.len() - 1);
        }
        if c.action == Action::CreateThenDelete {
            del[i] = Some(delete(&mut g));
        }
    }
    let new_deps = |k: usize| changes[k].depends_on.clone();
    let prior = |k: usize| old_deps(&changes[k], prior_deps).to_vec();
    let index = DepIndex::new(changes);
    let mut edges = Vec::new();
    for i in 0..changes.len() {
        if let Some(f) = fwd[i] {
            for j in reach(&index, i, &new_deps, &|j| fwd[j].is_some()) {
                edges.push((fwd[j].unwrap_or(f), f));
            }
        }
        if let Some(d) = del[i] {
            for j in reach(&index, i, &prior, &|j| del[j].is_some()) {
                edges.push((d, del[j].unwrap_or(d)));
            }
        }
        match (changes[i].action, fwd[i], del[i]) {
            (Action::DeleteThenCreate, Some(f), Some(d)) => edges.push((d, f)),
            (Action::CreateThenDelete, Some(f), Some(d)) => edges.push((f, d)),
            _ => {}
        }
    }
    let mut pg: DiGraph<(), ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = g.steps.iter().map(|_| pg.add_node(())).collect();
    // update_edge scans a node's edges on every call: quadratic for a node with thousands
    edges.retain(|(a, b)| a != b);
    edges.sort_unstable();
    edges.dedup();
    for &(a, b) in &edges {
        pg.add_edge(nodes[a], nodes[b], ());
    }
    if let Err(cycle) = toposort(&pg, None) {
        let step = &g.steps[cycle.node_id().index()];
        return Err(format!("the execution graph has a cycle through {} ({:?}); this is a bug in infra, please report it with the plan", step.address, step.kind));
    }
    // soft rule: a delete (plain or create-first) waits for whatever is created or updated
    // and depends, or used to depend, on the deleted object
    // (deleted y, dependent x) pairs, visited in the order of y, then x
    let mut pairs = Vec::new();
    for (x, c) in changes.iter().enumerate() {
        if fwd[x].is_none() {
            continue;
        }
        for dep in c.depends_on.iter().chain(old_deps(c, prior_deps)) {
            index.each_match(dep, |y| {
                if y != x
                    && del[y].is_some()
                    && matches!(changes[y].action, Action::Delete | Action::CreateThenDelete)
                {
                    pairs.push((y, x));
                }
            });
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    let mut space = DfsSpace::new(&pg);
    for (y, x) in pairs {
        let (Some(d), Some(f)) = (del[y], fwd[x]) else {
            continue;
        };
        if !has_path_connecting(&pg, nodes[d], nodes[f], Some(&mut space)) {
            pg.update_edge(nodes[f], nodes[d], ());
        }
    }
    let mut all: Vec<(usize, usize)> = pg
        .edge_indices()
        .filter_map(|e| pg.edge_endpoints(e))
        .map(|(a, b)| (a.index(), b.index()))
        .collect();
    all.sort_unstable();
    all.dedup();
    g.edges = all;
    Ok(g)
}

/// Whether `g` is acyclic (used by tests and by apply as a sanity check).
pub fn is_acyclic(g: &ExecGraph) -> bool {
    let mut pg: DiGraph<(), ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = g.steps.iter().map(|_| pg.add_node(())).collect();
    for &(a, b) in &g.edges {
        match (nodes.get(a), nodes.get(b)) {
            (Some(&x), Some(&y)) => {
                pg.add_edge(x, y, ());
            }
            _ => return false,
        }
    }
    toposort(&pg, None).is_ok()
}

#[cfg(test)]
#[path = "graph_tests.rs"]
mod tests;
