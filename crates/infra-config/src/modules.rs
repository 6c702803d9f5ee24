//! Modules at load time: `module` blocks, their sources (local paths, or remote sources
//! installed by `terraform init` and found through its manifest, see [`crate::registry`];
//! read by [`crate::fs`] into [`StackInput::modules`]), the module tree, and the inputs a
//! call passes (unknown inputs, missing required inputs).
//!
//! A module directory is keyed by its path relative to the root stack directory,
//! normalized lexically (`../modules/network`); the root is `.`. Each call lowers the
//! module's files again at its own module path, so addresses carry the call path.

use std::collections::{BTreeMap, BTreeSet};

use hcl_edit::expr::Expression;
use hcl_edit::structure::Block;
use infra_lang::SourceFile;
use infra_model::{schema, Address, Diagnostic, ModuleStep, Span, Value};

use crate::decl::{self, attr_span, header_span, span, Declarations, Expansion};
use crate::graph::{Edge, Node};
use crate::{meta, refs, registry, statics, variables, StackInput};

/// How deep modules may nest before we assume a mistake.
pub(crate) const MAX_DEPTH: usize = 16;

/// One `module "name" { ... }` block.
#[derive(Debug, Clone)]
pub(crate) struct ModuleCall {
    pub file: usize,
    pub span: Option<Span>,
    pub source: Option<String>,
    pub source_span: Option<Span>,
    /// `version = "~> 6.0"` (registry sources only) and its span.
    pub version: Option<String>,
    pub version_span: Option<Span>,
    pub expansion: Expansion,
    pub count: Option<Expression>,
    pub for_each: Option<Expression>,
    pub depends_on_exprs: Vec<Expression>,
    /// Input variables: name → (expression, span of the argument).
    pub inputs: BTreeMap<String, (Expression, Option<Span>)>,
    /// Filled once the module is loaded: its outputs, and every resource in its subtree.
    pub outputs: BTreeSet<String>,
    pub resources: Vec<Address>,
    pub loaded: bool,
    /// `providers = { aws = aws.west, aws.east = aws.b }`: the child's alias (`""` for
    /// `aws`) → the caller's, with the entry's span. `None` when the argument is absent.
    pub providers: Option<Vec<(String, String, Option<Span>)>>,
}

/// One module (the root or a call of a local module), lowered at its module path.
#[derive(Debug, Clone)]
pub(crate) struct Module {
    /// The directory, relative to the root stack directory (`.` for the root).
    pub dir: String,
    pub files: Vec<SourceFile>,
    pub decls: Declarations,
    /// The `aws` provider configurations this module can use: its alias (`""` the
    /// default) → the root module's (`crate::providers::resolve`).
    pub providers: BTreeMap<String, String>,
}

/// Module call names as address steps without keys.
pub(crate) fn steps(path: &[String]) -> Vec<ModuleStep> {
    path.iter()
        .map(|n| ModuleStep {
            name: n.clone(),
            key: None,
        })
        .collect()
}

/// `module.a.module.b`
pub(crate) fn display(path: &[String]) -> String {
    path.iter()
        .map(|n| format!("module.{n}"))
        .collect::<Vec<_>>()
        .join(".")
}

/// Join a relative source to a directory and normalize `.` and `..` lexically.
pub(crate) fn join(dir: &str, source: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in dir.split('/').chain(source.split('/')) {
        match p {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    match (dir.starts_with('/'), parts.is_empty()) {
        (true, _) => format!("/{}", parts.join("/")),
        (false, true) => ".".into(),
        (false, false) => parts.join("/"),
    }
}

pub(crate) fn is_local(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../")
}

pub(crate) fn lower_call(
    name: &str,
    i: usize,
    file: &SourceFile,
    block: &Block,
    hspan: Option<Span>,
    diags: &mut Vec<Diagnostic>,
) -> ModuleCall {
    let body = &block.body;
    let mut call = ModuleCall {
        file: i,
        span: hspan.clone(),
        source: None,
        source_span: None,
        version: None,
        version_span: None,
        expansion: Expansion::Single,
        count: None,
        for_each: None,
        depends_on_exprs: meta::depends_on(body, file, diags),
        inputs: BTreeMap::new(),
        outputs: BTreeSet::new(),
        resources: Vec::new(),
        loaded: false,
        providers: None,
    };
    for a in body.attributes() {
        let k = a.key.as_str();
        match k {
            "source" => {
                call.source_span = span(file, &a.value);
                match meta::literal(&a.value, file) {
                    Ok(Value::String(s)) => call.source = Some(s),
                    Ok(_) | Err(_) => diags.push(
                        Diagnostic::error(format!(
                            "module \"{name}\": `source` must be a literal string"
                        ))
                        .with_detail("write it as `source = \"../modules/network\"`")
                        .with_span(call.source_span.clone()),
                    ),
                }
            }
            "count" => call.count = Some(a.value.clone()),
            "for_each" => call.for_each = Some(a.value.clone()),
            "depends_on" => {}
            "version" => {
                call.version_span = attr_span(file, a);
                match meta::literal(&a.value, file) {
                    Ok(Value::String(s)) => call.version = Some(s),
                    Ok(_) | Err(_) => diags.push(
                        Diagnostic::error(format!(
                            "module \"{name}\": `version` must be a literal string"
                        ))
                        .with_detail("write it as `version = \"~> 6.0\"`")
                        .with_span(call.version_span.clone()),
                    ),
                }
            }
            "providers" => {
                call.providers = Some(crate::providers::lower_map(name, file, a, diags));
            }
            _ => {
                call.inputs
                    .insert(k.to_string(), (a.value.clone(), attr_span(file, a)));
            }
        }
    }
    for b in body.blocks() {
        diags.push(
            Diagnostic::error(format!(
                "unexpected block `{}` in module \"{name}\"",
                b.ident.as_str()
            ))
            .with_detail(
                "a module block takes `source`, meta-arguments and `input = value` arguments",
            )
            .with_span(header_span(file, b)),
        );
    }
    if call.source.is_none() && !body.has_attribute("source") {
        diags.push(
            Diagnostic::error(format!("module \"{name}\" has no `source`"))
                .with_detail("add `source = \"../modules/<name>\"`")
                .with_span(hspan.clone()),
        );
    }
    if call.count.is_some() && call.for_each.is_some() {
        diags.push(
            Diagnostic::error(format!(
                "module \"{name}\": `count` and `for_each` cannot both be set"
            ))
            .with_detail("keep one of them")
            .with_span(hspan),
        );
    }
    call.expansion = if call.for_each.is_some() {
        Expansion::ForEach
    } else if call.count.is_some() {
        Expansion::Count
    } else {
        Expansion::Single
    };
    call
}

/// What loading the whole tree produces.
pub(crate) struct Tree {
    pub modules: BTreeMap<Vec<String>, Module>,
    pub edges: Vec<(Node, Node, Edge)>,
    pub variables: BTreeMap<String, Value>,
    /// Errors the walk reports again if it runs (`statics::check`'s `deferred`).
    pub deferred: Vec<Diagnostic>,
}

/// Lower, check and resolve the root module and every module it calls, recursively.
pub(crate) fn load_tree(input: &StackInput, diags: &mut Vec<Diagnostic>) -> Tree {
    let mut tree = Tree {
        modules: BTreeMap::new(),
        edges: Vec::new(),
        variables: BTreeMap::new(),
        deferred: Vec::new(),
    };
    let mut chain = vec![".".to_string()];
    load_module(
        input,
        Vec::new(),
        ".".into(),
        input.files.clone(),
        None,
        &mut chain,
        &mut tree,
        diags,
    );
    crate::providers::resolve(&mut tree.modules, diags);
    tree
}

/// Point a diagnostic raised inside a module at the call that instantiates it.
pub(crate) fn annotate(d: &mut Diagnostic, path: &[String], call_span: Option<&Span>) {
    if d.address.is_none() {
        d.address = Some(display(path));
    }
    if let Some(s) = call_span {
        d.related
            .push((s.clone(), format!("in {}, called here", display(path))));
    }
}

#[allow(clippy::too_many_arguments)]
fn load_module(
    input: &StackInput,
    path: Vec<String>,
    dir: String,
    files: Vec<SourceFile>,
    call_span: Option<Span>,
    chain: &mut Vec<String>,
    tree: &mut Tree,
    diags: &mut Vec<Diagnostic>,
) {
    let mut ds = Vec::new();
    let mut deferred = Vec::new();
    let mut decls = decl::lower(&files, &path, &mut ds);
    statics::check(&decls, &files, &mut ds, &mut deferred);
    if path.is_empty() {
        tree.variables = variables::resolve(&decls, &files, input, &mut ds);
    }
    let names: Vec<String> = decls.calls.keys().cloned().collect();
    for name in names {
        let Some(call) = decls.calls.get(&name) else {
            continue;
        };
        let Some(source) = call.source.clone() else {
            continue;
        };
        let at = call.source_span.clone().or(call.span.clone());
        let remote = !is_local(&source);
        let child_dir = if remote {
            let key = path
                .iter()
                .chain(std::iter::once(&name))
                .cloned()
                .collect::<Vec<_>>()
                .join(".");
            match registry::resolve(
                input.module_manifest.as_ref(),
                &key,
                &source,
                call.version.as_deref(),
            ) {
                Ok(rec) => rec.dir.clone(),
                Err(e) => {
                    let span = match e.about_version {
                        true => call.version_span.clone().or(at),
                        false => at,
                    };
                    ds.push(
                        Diagnostic::error(format!("module \"{name}\": {}", e.summary))
                            .with_detail(e.detail)
                            .with_span(span),
                    );
                    continue;
                }
            }
        } else {
            if call.version.is_some() {
                ds.push(
                    Diagnostic::error(format!(
                        "module \"{name}\": `version` applies only to registry modules"
                    ))
                    .with_detail("local modules have no version; remove the argument")
                    .with_span(call.version_span.clone()),
                );
                continue;
            }
            join(&dir, &source)
        };
        if let Some(pos) = chain.iter().position(|d| *d == child_dir) {
            let mut cycle: Vec<&str> = chain[pos..].iter().map(String::as_str).collect();
            cycle.push(&child_dir);
            ds.push(
                Diagnostic::error(format!(
                    "module \"{name}\" calls itself: {}",
                    cycle.join(" -> ")
                ))
                .with_detail("a module cannot call itself, directly or through other modules; remove the call")
                .with_span(at),
            );
            continue;
        }
        let Some(child_files) = input.modules.get(&child_dir) else {
            if remote {
                ds.push(
                    Diagnostic::error(format!("module \"{name}\": {child_dir}, where {} says \"{source}\" was installed, holds no .tf files", registry::MANIFEST_PATH))
                        .with_detail("run `terraform init` again to download the module")
                        .with_span(at),
                );
                continue;
            }
            let resolved = match &input.root_dir {
                Some(root) => join(root, &child_dir),
                None => child_dir.clone(),
            };
            ds.push(
                Diagnostic::error(format!("module \"{name}\": no module at {source} (resolved to {resolved})"))
                    .with_detail("point `source` at a directory holding the module's .tf files, relative to the calling module's directory")
                    .with_span(at),
            );
            continue;
        };
        if path.len() >= MAX_DEPTH {
            ds.push(
                Diagnostic::error(format!(
                    "module \"{name}\" is nested more than {MAX_DEPTH} levels deep"
                ))
                .with_detail("flatten the module tree")
                .with_span(at),
            );
            continue;
        }
        let mut child_path = path.clone();
        child_path.push(name.clone());
        let caller = call.span.clone();
        chain.push(child_dir.clone());
        load_module(
            input,
            child_path.clone(),
            child_dir,
            child_files.clone(),
            caller,
            chain,
            tree,
            &mut ds,
        );
        chain.pop();
        let Some(child) = tree.modules.get(&child_path) else {
            continue;
        };
        let outputs = child.decls.outputs.keys().cloned().collect();
        let resources = tree
            .modules
            .iter()
            .filter(|(p, _)| p.starts_with(&child_path))
            .flat_map(|(_, m)| m.decls.resources.keys().cloned())
            .collect();
        if let Some(call) = decls.calls.get(&name) {
            check_inputs(&name, call, child, &mut ds);
        }
        if let Some(call) = decls.calls.get_mut(&name) {
            call.outputs = outputs;
            call.resources = resources;
            call.loaded = true;
        }
    }
    tree.edges
        .extend(refs::resolve(&mut decls, &files, &mut ds));
    if !path.is_empty() {
        for d in ds.iter_mut().chain(&mut deferred) {
            annotate(d, &path, call_span.as_ref());
        }
    }
    diags.extend(ds);
    tree.deferred.extend(deferred);
    tree.modules.insert(
        path,
        Module {
            dir,
            files,
            decls,
            providers: BTreeMap::new(),
        },
    );
}

/// Every input must be a variable of the module; every variable without a default must
/// be given.
fn check_inputs(name: &str, call: &ModuleCall, child: &Module, diags: &mut Vec<Diagnostic>) {
    let vars = &child.decls.variables;
    for (k, (_, at)) in &call.inputs {
        if vars.contains_key(k) {
            continue;
        }
        let d = Diagnostic::error(format!("module \"{name}\" has no input variable \"{k}\""))
            .with_span(at.clone());
        diags.push(
            match schema::did_you_mean(k, vars.keys().map(String::as_str)) {
                Some(s) => d.with_detail(format!("did you mean `{s}`?")),
                None if vars.is_empty() => {
                    d.with_detail("the module declares no variables; remove the argument")
                }
                None => d.with_detail(format!(
                    "the module's variables are: {}",
                    vars.keys().cloned().collect::<Vec<_>>().join(", ")
                )),
            },
        );
    }
    for (k, v) in vars {
        if v.default.is_some() || call.inputs.contains_key(k) {
            continue;
        }
        let declared = v
            .span
            .as_ref()
            .map(|s| format!(" (declared at {s})"))
            .unwrap_or_default();
        let mut d = Diagnostic::error(format!(
            "module \"{name}\": missing required input \"{k}\""
        ))
        .with_detail(format!(
            "the module's variable \"{k}\"{declared} has no default; add `{k} = ...` to the module block"
        ))
        .with_span(call.span.clone());
        if let Some(s) = &v.span {
            d = d.with_related(s.clone(), "the variable is declared here");
        }
        diags.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn joins_paths() {
        assert_eq!(join(".", "../modules/net"), "../modules/net");
        assert_eq!(join("../modules/net", "../vpc"), "../modules/vpc");
        assert_eq!(join("modules/a", "./b"), "modules/a/b");
        assert_eq!(join(".", "./"), ".");
        assert_eq!(join("/abs/stack", "../modules/x"), "/abs/modules/x");
    }
}
