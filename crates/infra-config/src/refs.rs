//! Resolve every reference in the stack to a graph node, reporting references to things
//! that are not declared (with suggestions) and context names used out of place.

use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;
use infra_lang::{Reference, SourceFile, Step};
use infra_model::{schema, Address, Diagnostic, Mode};

use crate::decl::{span, Declarations};
use crate::graph::{Edge, EdgeKind, Node};

/// Where a reference is written: which context names are valid there.
#[derive(Default, Clone)]
pub(crate) struct Ctx {
    pub count: bool,
    pub each: bool,
    /// `dynamic` iterator names in scope.
    pub iterators: Vec<String>,
    /// Only variables may be referenced (variable validation).
    pub vars_only: bool,
    /// `self` is the instance's own value (a postcondition).
    pub self_ok: bool,
}

fn attr(steps: &[Step], i: usize) -> Option<&str> {
    match steps.get(i) {
        Some(Step::Attr(s)) => Some(s),
        _ => None,
    }
}

fn with_suggestion(d: Diagnostic, name: &str, candidates: &[String], fallback: &str) -> Diagnostic {
    match schema::did_you_mean(name, candidates.iter().map(String::as_str)) {
        Some(s) => d.with_detail(format!("did you mean `{s}`?")),
        None => d.with_detail(fallback.to_string()),
    }
}

/// An address as written inside its own module (without the module path).
fn local_name(a: &Address) -> String {
    Address {
        module: Vec::new(),
        ..a.clone()
    }
    .to_string()
}

/// `module.<name>`, `module.<name>[key]` and `module.<name>[key].<output>`: the outputs
/// the reference needs.
fn module_ref(decls: &Declarations, r: &Reference) -> Result<Vec<Node>, Diagnostic> {
    let err = |s: String| Diagnostic::error(s).with_span(r.span.clone());
    let Some(name) = attr(&r.steps, 0) else {
        return Err(err("`module` must be followed by a module name".into())
            .with_detail("write module.<name>.<output>"));
    };
    let Some(call) = decls.calls.get(name) else {
        let names: Vec<String> = decls.calls.keys().map(|k| format!("module.{k}")).collect();
        return Err(with_suggestion(
            err(format!("reference to undeclared module `module.{name}`")),
            &format!("module.{name}"),
            &names,
            &format!("declare it with `module \"{name}\" {{ source = \"../modules/{name}\" }}`"),
        ));
    };
    let mut path = decls.path.clone();
    path.push(name.to_string());
    let next = match r.steps.get(1) {
        Some(Step::Index(_)) => 2,
        _ => 1,
    };
    match attr(&r.steps, next) {
        Some(out) if call.loaded && !call.outputs.contains(out) => {
            let names: Vec<String> = call.outputs.iter().cloned().collect();
            Err(with_suggestion(
                err(format!("module \"{name}\" has no output \"{out}\"")),
                out,
                &names,
                &format!("declare it in the module with `output \"{out}\" {{ value = ... }}`"),
            ))
        }
        Some(out) => Ok(vec![Node::Output(path, out.to_string())]),
        None => Ok(call
            .outputs
            .iter()
            .map(|o| Node::Output(path.clone(), o.clone()))
            .collect()),
    }
}

/// The nodes a reference points at; empty for context names (`count`, `each`, ...).
pub(crate) fn classify(
    decls: &Declarations,
    r: &Reference,
    ctx: &Ctx,
) -> Result<Vec<Node>, Diagnostic> {
    if r.root == "module" && !ctx.iterators.contains(&r.root) && !ctx.vars_only {
        return module_ref(decls, r);
    }
    classify_one(decls, r, ctx).map(|n| n.into_iter().collect())
}

fn classify_one(
    decls: &Declarations,
    r: &Reference,
    ctx: &Ctx,
) -> Result<Option<Node>, Diagnostic> {
    let err = |s: String| Diagnostic::error(s).with_span(r.span.clone());
    if ctx.iterators.contains(&r.root) {
        return Ok(None);
    }
    if ctx.vars_only && r.root != "var" {
        return Err(err(format!(
            "a variable validation can only refer to input variables, not `{}`",
            r.root
        ))
        .with_detail("use var.<name> in the condition"));
    }
    match r.root.as_str() {
        "var" => {
            let Some(n) = attr(&r.steps, 0) else {
                return Err(err("`var` must be followed by a variable name".into())
                    .with_detail("write var.<name>"));
            };
            if decls.variables.contains_key(n) {
                return Ok(Some(Node::Variable(decls.path.clone(), n.to_string())));
            }
            let names: Vec<String> = decls.variables.keys().map(|k| format!("var.{k}")).collect();
            Err(with_suggestion(
                err(format!("reference to undeclared input variable `var.{n}`")),
                &format!("var.{n}"),
                &names,
                &format!("declare it with `variable \"{n}\" {{}}`"),
            ))
        }
        "local" => {
            let Some(n) = attr(&r.steps, 0) else {
                return Err(err("`local` must be followed by a local value name".into())
                    .with_detail("write local.<name>"));
            };
            if decls.locals.contains_key(n) {
                return Ok(Some(Node::Local(decls.path.clone(), n.to_string())));
            }
            let names: Vec<String> = decls.locals.keys().map(|k| format!("local.{k}")).collect();
            Err(with_suggestion(
                err(format!("reference to undeclared local value `local.{n}`")),
                &format!("local.{n}"),
                &names,
                &format!("declare it in a `locals {{ {n} = ... }}` block"),
            ))
        }
        "data" => {
            let (Some(t), Some(n)) = (attr(&r.steps, 0), attr(&r.steps, 1)) else {
                return Err(
                    err("`data` must be followed by a data source type and name".into())
                        .with_detail("write data.<type>.<name>"),
                );
            };
            let a = decls.address(Mode::Data, t, n);
            if decls.resources.contains_key(&a) {
                return Ok(Some(Node::Resource(a)));
            }
            let names: Vec<String> = decls
                .resources
                .keys()
                .filter(|a| a.mode == Mode::Data)
                .map(local_name)
                .collect();
            let a = local_name(&a);
            Err(with_suggestion(
                err(format!("reference to undeclared data source `{a}`")),
                &a,
                &names,
                &format!("declare it with `data \"{t}\" \"{n}\" {{}}`"),
            ))
        }
        "count" => {
            if !ctx.count {
                return Err(err(
                    "`count.index` can only be used in a resource or data block that sets `count`"
                        .into(),
                )
                .with_detail("add `count = ...` to the block, or remove the reference"));
            }
            match attr(&r.steps, 0) {
                Some("index") => Ok(None),
                _ => Err(err("`count` has only the attribute `index`".into())
                    .with_detail("write count.index")),
            }
        }
        "each" => {
            if !ctx.each {
                return Err(err("`each.key` and `each.value` can only be used in a resource or data block that sets `for_each`".into()).with_detail("add `for_each = ...` to the block, or remove the reference"));
            }
            match attr(&r.steps, 0) {
                Some("key" | "value") => Ok(None),
                _ => Err(
                    err("`each` has only the attributes `key` and `value`".into())
                        .with_detail("write each.key or each.value"),
                ),
            }
        }
        "path" | "terraform" => Ok(None),
        "self" if ctx.self_ok => Ok(None),
        "self" => Err(err(
            "`self` is only valid in a postcondition (and in provisioners, which infra does not support)".into(),
        )
        .with_detail("refer to the resource by its address")),
        root => {
            let Some(n) = attr(&r.steps, 0) else {
                return Err(unknown_root(decls, r, root));
            };
            let a = decls.address(Mode::Managed, root, n);
            if decls.resources.contains_key(&a) {
                return Ok(Some(Node::Resource(a)));
            }
            let a = local_name(&a);
            let declared_type = decls
                .resources
                .keys()
                .any(|a| a.mode == Mode::Managed && a.type_name == root);
            if declared_type || schema::lookup(Mode::Managed, root).is_some() {
                let names: Vec<String> = decls
                    .resources
                    .keys()
                    .filter(|a| a.mode == Mode::Managed)
                    .map(local_name)
                    .collect();
                return Err(with_suggestion(
                    err(format!("reference to undeclared resource `{a}`")),
                    &a,
                    &names,
                    &format!("declare it with `resource \"{root}\" \"{n}\" {{}}`"),
                ));
            }
            Err(unknown_root(decls, r, root))
        }
    }
}

fn unknown_root(decls: &Declarations, r: &Reference, root: &str) -> Diagnostic {
    let mut names: Vec<String> = ["var", "local", "data", "module", "count", "each", "path"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    names.extend(
        decls
            .resources
            .keys()
            .filter(|a| a.mode == Mode::Managed)
            .map(|a| a.type_name.clone()),
    );
    names.extend(
        schema::type_names(Mode::Managed)
            .iter()
            .map(|s| s.to_string()),
    );
    with_suggestion(
        Diagnostic::error(format!("unknown name `{root}`")).with_span(r.span.clone()),
        root,
        &names,
        "a reference starts with var., local., data., module., or a resource type such as aws_vpc.",
    )
}

struct Collector<'a> {
    decls: &'a Declarations,
    file: &'a SourceFile,
    edges: Vec<(Node, Node, Edge)>,
    diags: &'a mut Vec<Diagnostic>,
}

impl Collector<'_> {
    fn expr(&mut self, from: &Node, e: &Expression, ctx: &Ctx, kind: EdgeKind) -> Vec<Node> {
        let mut out = Vec::new();
        self.diags
            .extend(infra_lang::unknown_functions(e, self.file));
        for r in infra_lang::references(e, self.file) {
            match classify(self.decls, &r, ctx) {
                Ok(nodes) => {
                    for n in nodes {
                        out.push(n.clone());
                        self.edges.push((
                            from.clone(),
                            n,
                            Edge {
                                kind,
                                span: r.span.clone(),
                            },
                        ));
                    }
                }
                Err(d) => self.diags.push(d),
            }
        }
        out
    }

    /// Every expression of a resource body, except meta-arguments handled elsewhere.
    fn body(&mut self, from: &Node, body: &Body, ctx: &Ctx, top: bool) {
        for a in body.attributes() {
            if top
                && matches!(
                    a.key.as_str(),
                    "depends_on" | "provider" | "count" | "for_each"
                )
            {
                continue;
            }
            self.expr(from, &a.value, ctx, EdgeKind::Reference);
        }
        for b in body.blocks() {
            match b.ident.as_str() {
                "lifecycle" | "provisioner" | "connection" if top => {}
                "dynamic" => {
                    if let Some(f) = b.body.get_attribute("for_each") {
                        self.expr(from, &f.value, ctx, EdgeKind::Reference);
                    }
                    let name = match b.body.get_attribute("iterator").map(|a| &a.value) {
                        Some(Expression::Variable(v)) => v.as_str().to_string(),
                        _ => b
                            .labels
                            .first()
                            .map(|l| l.as_str().to_string())
                            .unwrap_or_default(),
                    };
                    let mut inner = ctx.clone();
                    inner.iterators.push(name);
                    if let Some(l) = b.body.get_attribute("labels") {
                        self.expr(from, &l.value, &inner, EdgeKind::Reference);
                    }
                    for c in b.body.get_blocks("content") {
                        self.body(from, &c.body, &inner, false);
                    }
                }
                _ => self.body(from, &b.body, ctx, false),
            }
        }
    }

    fn depends_on(&mut self, from: &Node, exprs: &[Expression]) -> Vec<Address> {
        let mut out = Vec::new();
        for e in exprs {
            let refs = infra_lang::references(e, self.file);
            if refs.len() != 1 || !matches!(e, Expression::Traversal(_) | Expression::Variable(_)) {
                self.diags.push(
                    Diagnostic::error(
                        "each `depends_on` entry must be a reference to a resource or data source",
                    )
                    .with_detail("write it as `depends_on = [aws_vpc.main]`")
                    .with_span(span(self.file, e)),
                );
                continue;
            }
            if refs[0].root == "module" {
                out.extend(self.depends_on_module(from, &refs[0]));
                continue;
            }
            for n in self.expr(from, e, &Ctx::default(), EdgeKind::DependsOn) {
                if let Node::Resource(a) = n {
                    out.push(a);
                }
            }
        }
        out
    }
}

impl Collector<'_> {
    /// `depends_on = [module.x]`: every resource inside the module, and its outputs.
    fn depends_on_module(&mut self, from: &Node, r: &Reference) -> Vec<Address> {
        let edge = |to: Node| {
            (
                from.clone(),
                to,
                Edge {
                    kind: EdgeKind::DependsOn,
                    span: r.span.clone(),
                },
            )
        };
        let call = attr(&r.steps, 0).and_then(|n| self.decls.calls.get(n).map(|c| (n, c)));
        let Some((name, call)) = call else {
            if let Err(d) = module_ref(self.decls, r) {
                self.diags.push(d);
            }
            return Vec::new();
        };
        if r.steps.len() > 1 {
            self.diags.push(
                Diagnostic::error("a `depends_on` entry names a whole module")
                    .with_detail(format!("write it as `depends_on = [module.{name}]`"))
                    .with_span(r.span.clone()),
            );
            return Vec::new();
        }
        let mut path = self.decls.path.clone();
        path.push(name.to_string());
        for o in &call.outputs {
            self.edges.push(edge(Node::Output(path.clone(), o.clone())));
        }
        for a in &call.resources {
            self.edges.push(edge(Node::Resource(a.clone())));
        }
        call.resources.clone()
    }
}

/// Resolve all references; fills each resource's `depends_on`. Returns the graph's edges.
pub(crate) fn resolve(
    decls: &mut Declarations,
    files: &[SourceFile],
    diags: &mut Vec<Diagnostic>,
) -> Vec<(Node, Node, Edge)> {
    let mut edges = Vec::new();
    let mut resolved_depends = Vec::new();
    {
        let d: &Declarations = decls;
        let mut go = |file: usize, f: &mut dyn FnMut(&mut Collector)| {
            let mut c = Collector {
                decls: d,
                file: &files[file],
                edges: Vec::new(),
                diags: &mut *diags,
            };
            f(&mut c);
            edges.extend(c.edges);
        };
        for (name, v) in &d.variables {
            for val in &v.validations {
                let from = Node::Variable(d.path.clone(), name.clone());
                go(val.file, &mut |c| {
                    let ctx = Ctx {
                        vars_only: true,
                        ..Ctx::default()
                    };
                    // a variable's validation refers to the variable itself; that is not an edge
                    let _ = c.expr(&from, &val.condition, &ctx, EdgeKind::Reference);
                    if let Some(m) = &val.error_message {
                        let _ = c.expr(&from, m, &ctx, EdgeKind::Reference);
                    }
                    c.edges.clear();
                });
            }
        }
        for (name, l) in &d.locals {
            go(l.file, &mut |c| {
                c.expr(
                    &Node::Local(d.path.clone(), name.clone()),
                    &l.expr,
                    &Ctx::default(),
                    EdgeKind::Reference,
                );
            });
        }
        for (addr, r) in &d.resources {
            let from = Node::Resource(addr.clone());
            go(r.file, &mut |c| {
                for e in r.count.iter().chain(r.for_each.iter()) {
                    c.expr(&from, e, &Ctx::default(), EdgeKind::Reference);
                }
                let ctx = Ctx {
                    count: r.count.is_some(),
                    each: r.for_each.is_some(),
                    ..Ctx::default()
                };
                c.body(&from, &r.body, &ctx, true);
                for cond in &r.conditions {
                    let ctx = Ctx {
                        self_ok: cond.kind == crate::conditions::Kind::Postcondition,
                        ..ctx.clone()
                    };
                    // a postcondition's references to other objects are dependencies too;
                    // `self` is not
                    c.expr(&from, &cond.condition, &ctx, EdgeKind::Reference);
                    if let Some(m) = &cond.error_message {
                        c.expr(&from, m, &ctx, EdgeKind::Reference);
                    }
                }
                resolved_depends.push((addr.clone(), c.depends_on(&from, &r.depends_on_exprs)));
            });
        }
        for (name, o) in &d.outputs {
            let from = Node::Output(d.path.clone(), name.clone());
            go(o.file, &mut |c| {
                if let Some(v) = &o.value {
                    let nodes = c.expr(&from, v, &Ctx::default(), EdgeKind::Reference);
                    let sensitive = nodes.iter().find_map(|n| match n {
                        Node::Variable(_, v) if d.variables.get(v).is_some_and(|v| v.sensitive) => {
                            Some(v.clone())
                        }
                        _ => None,
                    });
                    if let (Some(v), false) = (sensitive, o.sensitive) {
                        c.diags.push(
                            Diagnostic::error(format!(
                                "output \"{name}\" refers to the sensitive variable `var.{v}`"
                            ))
                            .with_detail("add `sensitive = true` to the output block")
                            .with_span(o.span.clone()),
                        );
                    }
                }
                c.depends_on(&from, &o.depends_on_exprs);
                for cond in &o.preconditions {
                    c.expr(&from, &cond.condition, &Ctx::default(), EdgeKind::Reference);
                    if let Some(m) = &cond.error_message {
                        c.expr(&from, m, &Ctx::default(), EdgeKind::Reference);
                    }
                }
            });
        }
        for check in &d.checks {
            for cond in &check.asserts {
                // checks run after everything else: their references need no edges
                go(cond.file, &mut |c| {
                    let from = Node::Provider(String::new());
                    c.expr(&from, &cond.condition, &Ctx::default(), EdgeKind::Reference);
                    if let Some(m) = &cond.error_message {
                        c.expr(&from, m, &Ctx::default(), EdgeKind::Reference);
                    }
                    c.edges.clear();
                });
            }
        }
        for (name, call) in &d.calls {
            let mut path = d.path.clone();
            path.push(name.clone());
            let from = Node::Module(path.clone());
            go(call.file, &mut |c| {
                for e in call.count.iter().chain(call.for_each.iter()) {
                    c.expr(&from, e, &Ctx::default(), EdgeKind::Reference);
                }
                c.depends_on(&from, &call.depends_on_exprs);
                let ctx = Ctx {
                    count: call.count.is_some(),
                    each: call.for_each.is_some(),
                    ..Ctx::default()
                };
                for (k, (e, _)) in &call.inputs {
                    c.expr(
                        &Node::Variable(path.clone(), k.clone()),
                        e,
                        &ctx,
                        EdgeKind::Reference,
                    );
                }
            });
        }
        for (alias, p) in &d.providers {
            go(p.file, &mut |c| {
                c.body(
                    &Node::Provider(crate::providers::config_key(&d.path, alias)),
                    &p.body,
                    &Ctx::default(),
                    false,
                );
            });
        }
    }
    for (addr, deps) in resolved_depends {
        if let Some(r) = decls.resources.get_mut(&addr) {
            r.depends_on = deps;
        }
    }
    edges
}
