//! The config-level dependency graph: one node per variable, local, resource or data
//! block, output and module call of every module, and the provider; an edge from each
//! dependent to what it depends on, carrying the span of the reference (or `depends_on`
//! entry) that creates it. Every node inside a module also depends on its module call
//! (which expands the call's `count` / `for_each` and carries its `depends_on`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use infra_model::{Address, Diagnostic, Span};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::decl::Declarations;
use crate::modules::Module;

/// The nodes one module declares (not its calls, which belong to the callee's path).
fn module_nodes(path: &ModulePath, decls: &Declarations) -> Vec<Node> {
    let p = || path.clone();
    decls
        .variables
        .keys()
        .map(|n| Node::Variable(p(), n.clone()))
        .chain(decls.locals.keys().map(|n| Node::Local(p(), n.clone())))
        .chain(decls.resources.keys().map(|a| Node::Resource(a.clone())))
        .chain(decls.outputs.keys().map(|n| Node::Output(p(), n.clone())))
        .chain(
            decls
                .providers
                .keys()
                .map(|a| Node::Provider(crate::providers::config_key(path, a))),
        )
        .collect()
}

/// A module path: the names of the module calls from the root (`[]` is the root module).
pub type ModulePath = Vec<String>;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    /// An input variable of the module at the path.
    Variable(ModulePath, String),
    Local(ModulePath, String),
    /// A `resource` or `data` block (config address with its module path, no keys;
    /// `mode` tells which).
    Resource(Address),
    Output(ModulePath, String),
    /// A `module` block; the path ends with the call's own name.
    Module(ModulePath),
    /// A root `provider "aws"` block, by its alias (`""` for the one without).
    Provider(String),
}

impl Node {
    /// The module path the node lives in (for a module call: the calling module).
    pub fn module_path(&self) -> ModulePath {
        match self {
            Node::Variable(p, _) | Node::Local(p, _) | Node::Output(p, _) => p.clone(),
            Node::Resource(a) => a.module.iter().map(|s| s.name.clone()).collect(),
            Node::Module(p) => p[..p.len().saturating_sub(1)].to_vec(),
            Node::Provider(key) => crate::providers::split_key(key).0,
        }
    }
}

fn prefix(f: &mut fmt::Formatter<'_>, p: &[String]) -> fmt::Result {
    for n in p {
        write!(f, "module.{n}.")?;
    }
    Ok(())
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Variable(p, n) => {
                prefix(f, p)?;
                write!(f, "var.{n}")
            }
            Node::Local(p, n) => {
                prefix(f, p)?;
                write!(f, "local.{n}")
            }
            Node::Resource(a) => write!(f, "{a}"),
            Node::Output(p, n) => {
                prefix(f, p)?;
                write!(f, "output.{n}")
            }
            Node::Module(p) => f.write_str(&crate::modules::display(p)),
            Node::Provider(key) => {
                let (path, alias) = crate::providers::split_key(key);
                prefix(f, &path)?;
                match alias.as_str() {
                    "" => f.write_str("provider.aws"),
                    a => write!(f, "provider.aws.{a}"),
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    Reference,
    DependsOn,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub kind: EdgeKind,
    /// Where the reference is written.
    pub span: Option<Span>,
}

/// Dependent → dependency.
#[derive(Debug, Clone, Default)]
pub struct ConfigGraph {
    graph: DiGraph<Node, Edge>,
    index: BTreeMap<Node, NodeIndex>,
}

impl ConfigGraph {
    pub(crate) fn build(
        modules: &BTreeMap<ModulePath, Module>,
        edges: Vec<(Node, Node, Edge)>,
    ) -> ConfigGraph {
        let mut g = ConfigGraph::default();
        for (path, m) in modules {
            let nodes = module_nodes(path, &m.decls);
            if !path.is_empty() {
                let call = g.add(Node::Module(path.clone()));
                for n in &nodes {
                    let i = g.add(n.clone());
                    g.graph.add_edge(
                        i,
                        call,
                        Edge {
                            kind: EdgeKind::Reference,
                            span: None,
                        },
                    );
                }
            }
            for n in nodes {
                g.add(n);
            }
        }
        for (from, to, e) in edges {
            let (a, b) = (g.add(from), g.add(to));
            g.graph.add_edge(a, b, e);
        }
        g
    }

    fn add(&mut self, n: Node) -> NodeIndex {
        if let Some(i) = self.index.get(&n) {
            return *i;
        }
        let i = self.graph.add_node(n.clone());
        self.index.insert(n, i);
        i
    }

    /// Every node, sorted.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.index.keys()
    }

    pub fn contains(&self, n: &Node) -> bool {
        self.index.contains_key(n)
    }

    /// Every edge (dependent, dependency, edge), in insertion order.
    pub fn edges(&self) -> impl Iterator<Item = (&Node, &Node, &Edge)> {
        self.graph
            .edge_references()
            .map(|e| (&self.graph[e.source()], &self.graph[e.target()], e.weight()))
    }

    /// What `n` depends on directly, sorted and deduplicated.
    pub fn dependencies(&self, n: &Node) -> BTreeSet<&Node> {
        match self.index.get(n) {
            Some(i) => self.graph.neighbors(*i).map(|j| &self.graph[j]).collect(),
            None => BTreeSet::new(),
        }
    }

    /// The underlying petgraph graph.
    pub fn petgraph(&self) -> &DiGraph<Node, Edge> {
        &self.graph
    }

    /// Everything `roots` depend on, transitively, including the roots.
    pub(crate) fn closure<'a>(
        &'a self,
        roots: impl IntoIterator<Item = &'a Node>,
    ) -> BTreeSet<Node> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<NodeIndex> = roots
            .into_iter()
            .filter_map(|n| self.index.get(n).copied())
            .collect();
        while let Some(i) = stack.pop() {
            if seen.insert(self.graph[i].clone()) {
                stack.extend(self.graph.neighbors(i));
            }
        }
        seen
    }

    /// The resources and data sources `n` depends on, directly or through locals and
    /// variables (not through other resources).
    pub(crate) fn resource_dependencies(&self, n: &Node) -> BTreeSet<Address> {
        let mut out = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut stack: Vec<NodeIndex> = self
            .index
            .get(n)
            .map(|i| self.graph.neighbors(*i).collect())
            .unwrap_or_default();
        while let Some(i) = stack.pop() {
            if !seen.insert(i) {
                continue;
            }
            match &self.graph[i] {
                Node::Resource(a) => {
                    out.insert(a.clone());
                }
                _ => stack.extend(self.graph.neighbors(i)),
            }
        }
        out
    }

    /// Nodes with dependencies before dependents; ties in node order. Nodes in cycles
    /// (rejected at load) come last.
    pub(crate) fn order(&self) -> Vec<Node> {
        let mut remaining: BTreeMap<NodeIndex, usize> = BTreeMap::new();
        for i in self.graph.node_indices() {
            let deps: BTreeSet<NodeIndex> = self.graph.neighbors(i).collect();
            remaining.insert(i, deps.len());
        }
        let mut ready: BTreeSet<&Node> = remaining
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(i, _)| &self.graph[*i])
            .collect();
        let mut out = Vec::new();
        let mut done = BTreeSet::new();
        while let Some(n) = ready.pop_first() {
            let i = self.index[n];
            done.insert(i);
            out.push(n.clone());
            let dependents: BTreeSet<NodeIndex> = self
                .graph
                .neighbors_directed(i, petgraph::Direction::Incoming)
                .collect();
            for d in dependents {
                if let Some(c) = remaining.get_mut(&d) {
                    *c -= 1;
                    if *c == 0 {
                        ready.insert(&self.graph[d]);
                    }
                }
            }
        }
        for n in self.index.keys() {
            if !done.contains(&self.index[n]) {
                out.push(n.clone());
            }
        }
        out
    }

    /// One error per cycle, naming every node in it, with a related span at each
    /// reference that forms it.
    pub(crate) fn check_cycles(&self, diags: &mut Vec<Diagnostic>) {
        for scc in petgraph::algo::tarjan_scc(&self.graph) {
            let members: BTreeSet<NodeIndex> = scc.iter().copied().collect();
            let self_loop = scc.len() == 1 && self.graph.contains_edge(scc[0], scc[0]);
            if scc.len() < 2 && !self_loop {
                continue;
            }
            let mut names: Vec<String> = scc.iter().map(|i| self.graph[*i].to_string()).collect();
            names.sort();
            let mut related = Vec::new();
            for e in self.graph.edge_references() {
                if members.contains(&e.source()) && members.contains(&e.target()) {
                    if let Some(s) = &e.weight().span {
                        let how = if e.weight().kind == EdgeKind::DependsOn {
                            "depends on"
                        } else {
                            "refers to"
                        };
                        related.push((
                            s.clone(),
                            format!(
                                "{} {how} {} here",
                                self.graph[e.source()],
                                self.graph[e.target()]
                            ),
                        ));
                    }
                }
            }
            related.sort_by(|a, b| (&a.0.file, a.0.start).cmp(&(&b.0.file, b.0.start)));
            let summary = if self_loop {
                format!("{} refers to itself", names[0])
            } else {
                format!("dependency cycle between {}", names.join(", "))
            };
            let mut d = Diagnostic::error(summary)
                .with_detail("each of these needs another one first; remove one of the references to break the cycle")
                .with_span(related.first().map(|r| r.0.clone()));
            d.related = related;
            diags.push(d);
        }
    }

    /// Graphviz DOT, one edge per dependent/dependency pair.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph {\n  rankdir = \"RL\";\n");
        for n in self.index.keys() {
            out.push_str(&format!("  {};\n", quote(&n.to_string())));
        }
        for (a, b) in self.pairs() {
            out.push_str(&format!(
                "  {} -> {};\n",
                quote(&a.to_string()),
                quote(&b.to_string())
            ));
        }
        out.push_str("}\n");
        out
    }

    /// A mermaid flowchart.
    pub fn to_mermaid(&self) -> String {
        let ids: BTreeMap<&Node, usize> =
            self.index.keys().enumerate().map(|(i, n)| (n, i)).collect();
        let mut out = String::from("flowchart RL\n");
        for (n, i) in &ids {
            out.push_str(&format!(
                "  n{i}[\"{}\"]\n",
                n.to_string().replace('"', "#quot;")
            ));
        }
        for (a, b) in self.pairs() {
            out.push_str(&format!("  n{} --> n{}\n", ids[a], ids[b]));
        }
        out
    }

    fn pairs(&self) -> BTreeSet<(&Node, &Node)> {
        self.edges().map(|(a, b, _)| (a, b)).collect()
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}
