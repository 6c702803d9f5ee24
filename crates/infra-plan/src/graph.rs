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

use std::collections::BTreeMap;

use infra_model::Address;
use petgraph::algo::{has_path_connecting, toposort, DfsSpace};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::deps::DepIndex;
use crate::fast_hash::{FastMap, FastSet};
use crate::{Action, ExecGraph, ResourceChange, Step, StepKind};

fn forward_kind(a: Action) -> Option<StepKind> {
    match a {
        Action::Create | Action::DeleteThenCreate | Action::CreateThenDelete => {
            Some(StepKind::Create)
        }
        Action::Update => Some(StepKind::Update),
        Action::Read => Some(StepKind::Read),
        Action::NoOp | Action::Delete | Action::Forget => None,
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
    let mut seen = FastSet::default();
    seen.insert(i);
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

/// A dependency that selects more steps than this (a whole counted block, a module) is
/// joined through one barrier step: every dependent gets one edge to the barrier instead of
/// one edge per selected instance, which made the graph quadratic (3,000 associations of
/// `aws_subnet.s` with 3,000 instances: 9 million edges).
pub const BARRIER_MIN: usize = 8;

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    /// the selected steps run before the dependent (creates and updates)
    Before,
    /// the selected steps run after it (deletes, in reverse dependency order)
    After,
}

/// The steps a dependency address stands for: the steps of the changes it selects, and,
/// through selected changes that have no step of this kind (no-ops), the steps their own
/// dependencies stand for. Memoised per address, so that each dependency is resolved once
/// however many instances depend on it.
struct Targets<'a, 'd> {
    index: &'a DepIndex<'a>,
    deps: &'d dyn Fn(usize) -> &'a [Address],
    step: &'d [Option<usize>],
    direction: Direction,
    barrier_min: usize,
    memo: FastMap<&'a Address, Vec<usize>>,
    visiting: FastSet<&'a Address>,
}

impl<'a, 'd> Targets<'a, 'd> {
    fn new(
        index: &'a DepIndex<'a>,
        deps: &'d dyn Fn(usize) -> &'a [Address],
        step: &'d [Option<usize>],
        direction: Direction,
        barrier_min: usize,
    ) -> Self {
        Targets {
            index,
            deps,
            step,
            direction,
            barrier_min,
            memo: FastMap::default(),
            visiting: FastSet::default(),
        }
    }

    /// The steps `dep` stands for, or one barrier step in their place (added to `g`, with
    /// its edges in `edges`) when there are more than `barrier_min` ([`BARRIER_MIN`]).
    fn of(
        &mut self,
        dep: &'a Address,
        g: &mut ExecGraph,
        edges: &mut Vec<(usize, usize)>,
    ) -> Vec<usize> {
        if let Some(t) = self.memo.get(dep) {
            return t.clone();
        }
        // a dependency cycle through no-ops (only a damaged prior state could hold one)
        // contributes nothing more, as a walk with a visited set would
        if !self.visiting.insert(dep) {
            return Vec::new();
        }
        let mut matches = Vec::new();
        self.index.each_match(dep, |j| matches.push(j));
        let mut found = Vec::new();
        let mut seen = FastSet::default();
        for j in matches {
            match self.step[j] {
                Some(s) => {
                    if seen.insert(s) {
                        found.push(s);
                    }
                }
                None => {
                    for d in (self.deps)(j) {
                        for s in self.of(d, g, edges) {
                            if seen.insert(s) {
                                found.push(s);
                            }
                        }
                    }
                }
            }
        }
        self.visiting.remove(dep);
        let out = if found.len() > self.barrier_min {
            g.steps.push(Step {
                address: dep.clone(),
                kind: StepKind::Barrier,
                deposed: None,
            });
            let b = g.steps.len() - 1;
            for s in found {
                edges.push(match self.direction {
                    Direction::Before => (s, b),
                    Direction::After => (b, s),
                });
            }
            vec![b]
        } else {
            found
        };
        self.memo.insert(dep, out.clone());
        out
    }
}

/// Terraform's rule: what a create_before_destroy replacement depends on must also be
/// replaced create-first, or the graph would need the old dependency gone before the new
/// dependent exists. Runs to a fixed point over both configured and prior dependencies.
pub fn promote_create_before_destroy(
    changes: &mut [ResourceChange],
    prior_deps: &BTreeMap<Address, Vec<Address>>,
) {
    // nothing to promote without a create_before_destroy replacement (most plans): skip
    // building the index
    if !changes.iter().any(|c| c.action == Action::CreateThenDelete) {
        return;
    }
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
    build_joining(changes, prior_deps, BARRIER_MIN)
}

/// [`build`], joining dependencies that stand for more than `barrier_min` steps through a
/// barrier (`usize::MAX`: never, one edge per pair, as tests compare).
fn build_joining(
    changes: &[ResourceChange],
    prior_deps: &BTreeMap<Address, Vec<Address>>,
    barrier_min: usize,
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
    let index = DepIndex::new(changes);
    let mut edges = Vec::new();
    {
        let new_deps = |k: usize| changes[k].depends_on.as_slice();
        let prior = |k: usize| old_deps(&changes[k], prior_deps);
        let mut before = Targets::new(&index, &new_deps, &fwd, Direction::Before, barrier_min);
        let mut after = Targets::new(&index, &prior, &del, Direction::After, barrier_min);
        for i in 0..changes.len() {
            if let Some(f) = fwd[i] {
                for d in &changes[i].depends_on {
                    for t in before.of(d, &mut g, &mut edges) {
                        edges.push((t, f));
                    }
                }
            }
            if let Some(d) = del[i] {
                for dep in old_deps(&changes[i], prior_deps) {
                    for t in after.of(dep, &mut g, &mut edges) {
                        edges.push((d, t));
                    }
                }
            }
            match (changes[i].action, fwd[i], del[i]) {
                (Action::DeleteThenCreate, Some(f), Some(d)) => edges.push((d, f)),
                (Action::CreateThenDelete, Some(f), Some(d)) => edges.push((f, d)),
                _ => {}
            }
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
    // per dependency address, once: the instances it selects that are deleted (none in a
    // plan that only creates, however many dependents a block of 3,000 instances has)
    let mut deleted: FastMap<&Address, Vec<usize>> = FastMap::default();
    for (x, c) in changes.iter().enumerate() {
        if fwd[x].is_none() {
            continue;
        }
        for dep in c.depends_on.iter().chain(old_deps(c, prior_deps)) {
            let ys = deleted.entry(dep).or_insert_with(|| {
                let mut ys = Vec::new();
                index.each_match(dep, |y| {
                    if del[y].is_some()
                        && matches!(changes[y].action, Action::Delete | Action::CreateThenDelete)
                    {
                        ys.push(y);
                    }
                });
                ys
            });
            pairs.extend(ys.iter().filter(|&&y| y != x).map(|&y| (y, x)));
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
