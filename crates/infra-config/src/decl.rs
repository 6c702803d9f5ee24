//! Lowering: parsed files into declarations (variables, locals, resources, data sources,
//! outputs, the provider). Only structure is checked here; values come later.

use std::collections::BTreeMap;

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block, Body};
use hcl_edit::Span as _;
use infra_lang::{SourceFile, TypeConstraint};
use infra_model::{schema, Address, Diagnostic, Lifecycle, Mode, Span, Value};

use crate::meta;

/// How a resource block expands into instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expansion {
    /// One instance, no key.
    Single,
    /// `count`: keys `[0]`, `[1]`, ...
    Count,
    /// `for_each`: keys `["a"]`, ...
    ForEach,
}

/// One `resource` or `data` block.
#[derive(Debug, Clone)]
pub struct ResourceConfig {
    /// Config address (no key); `address.mode` tells resource from data.
    pub address: Address,
    /// The block's header (`resource "aws_vpc" "main"`).
    pub span: Option<Span>,
    pub lifecycle: Lifecycle,
    /// Explicit `depends_on`, as config addresses of resources and data sources.
    pub depends_on: Vec<Address>,
    pub expansion: Expansion,
    pub(crate) file: usize,
    pub(crate) body: Body,
    pub(crate) count: Option<Expression>,
    pub(crate) for_each: Option<Expression>,
    /// `depends_on` entries as written (resolved into graph edges by `refs`).
    pub(crate) depends_on_exprs: Vec<Expression>,
    /// `lifecycle { precondition {...} postcondition {...} }`.
    pub(crate) conditions: Vec<crate::conditions::Condition>,
    /// `provider = aws.ALIAS` as written: the alias in this module's terms (`""` for
    /// `provider = aws` or none) and the argument's span.
    pub(crate) provider_ref: (String, Option<Span>),
    /// The root module's provider configuration that `provider_ref` resolves to through
    /// the module calls' `providers` maps (`crate::providers::resolve`).
    pub(crate) provider_key: String,
}

impl ResourceConfig {
    pub fn schema(&self) -> Option<&'static schema::ResourceSchema> {
        schema::lookup(self.address.mode, &self.address.type_name)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Validation {
    pub file: usize,
    pub condition: Expression,
    pub error_message: Option<Expression>,
}

#[derive(Debug, Clone)]
pub(crate) struct VariableDecl {
    pub file: usize,
    pub span: Option<Span>,
    pub ty: TypeConstraint,
    /// The `optional(T, default)` defaults inside `ty`, filled in on conversion.
    pub type_defaults: infra_lang::TypeDefaults,
    pub default: Option<Expression>,
    pub sensitive: bool,
    pub nullable: bool,
    pub validations: Vec<Validation>,
}

#[derive(Debug, Clone)]
pub(crate) struct LocalDecl {
    pub file: usize,
    pub span: Option<Span>,
    pub expr: Expression,
}

#[derive(Debug, Clone)]
pub(crate) struct OutputDecl {
    pub file: usize,
    pub span: Option<Span>,
    pub value: Option<Expression>,
    pub sensitive: bool,
    pub description: Option<String>,
    pub depends_on_exprs: Vec<Expression>,
    pub preconditions: Vec<crate::conditions::Condition>,
}

#[derive(Debug, Clone)]
pub(crate) struct ProviderDecl {
    pub file: usize,
    pub span: Option<Span>,
    pub body: Body,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Declarations {
    pub variables: BTreeMap<String, VariableDecl>,
    pub locals: BTreeMap<String, LocalDecl>,
    pub resources: BTreeMap<Address, ResourceConfig>,
    pub outputs: BTreeMap<String, OutputDecl>,
    /// `provider "aws"` blocks (root module only) by alias, `""` for the one without.
    pub providers: BTreeMap<String, ProviderDecl>,
    /// `module` blocks by name.
    pub calls: BTreeMap<String, crate::modules::ModuleCall>,
    /// The module path (call names) these declarations live at; empty for the root.
    pub path: Vec<String>,
    /// `import` blocks (root module only).
    pub imports: Vec<crate::imports::ImportDecl>,
    /// `moved` blocks, endpoints with this module's path.
    pub moved: Vec<crate::moved::MovedBlock>,
    /// `removed` blocks, `from` with this module's path.
    pub removed: Vec<crate::removed::RemovedBlock>,
    /// `check` blocks (their scoped `data` blocks are in `resources`).
    pub checks: Vec<crate::conditions::CheckDecl>,
}

impl Declarations {
    /// A config address (no keys) inside this module.
    pub(crate) fn address(&self, mode: Mode, type_name: &str, name: &str) -> Address {
        Address {
            module: crate::modules::steps(&self.path),
            mode,
            ..Address::managed(type_name, name)
        }
    }
}

pub(crate) fn span(file: &SourceFile, node: &impl hcl_edit::Span) -> Option<Span> {
    infra_lang::span_of(file, node.span())
}

/// The span of a block's header (`resource "a" "b"`), not its whole body.
pub(crate) fn header_span(file: &SourceFile, block: &Block) -> Option<Span> {
    let start = block.ident.span()?.start;
    let end = block
        .labels
        .last()
        .and_then(label_span)
        .map(|r| r.end)
        .unwrap_or_else(|| block.ident.span().map(|r| r.end).unwrap_or(start));
    infra_lang::span_of(file, Some(start..end))
}

fn label_span(l: &hcl_edit::structure::BlockLabel) -> Option<std::ops::Range<usize>> {
    match l {
        hcl_edit::structure::BlockLabel::Ident(i) => i.span(),
        hcl_edit::structure::BlockLabel::String(s) => s.span(),
    }
}

pub(crate) fn attr_span(file: &SourceFile, a: &Attribute) -> Option<Span> {
    span(file, &a.key).or_else(|| span(file, a))
}

/// Parse every file and lower its blocks. Syntax errors and structural errors go to `diags`.
pub(crate) fn lower(
    files: &[SourceFile],
    path: &[String],
    diags: &mut Vec<Diagnostic>,
) -> Declarations {
    let mut d = Declarations {
        path: path.to_vec(),
        ..Declarations::default()
    };
    for (i, file) in files.iter().enumerate() {
        let (body, ds) = infra_lang::parse(file);
        diags.extend(ds);
        let Some(body) = body else { continue };
        for a in body.attributes() {
            diags.push(
                Diagnostic::error(format!("unexpected attribute `{}` at the top level", a.key.as_str()))
                    .with_detail("a stack file holds blocks: resource, data, variable, locals, output, provider, terraform")
                    .with_span(attr_span(file, a)),
            );
        }
        for block in body.blocks() {
            lower_block(&mut d, i, file, block, diags);
        }
    }
    crate::moved::check(&d.moved, diags);
    crate::removed::check(&d, diags);
    d
}

const TOP_BLOCKS: &[&str] = &[
    "terraform",
    "provider",
    "variable",
    "locals",
    "resource",
    "data",
    "output",
    "module",
    "import",
    "moved",
    "removed",
    "check",
];

/// A Terraform identifier: a letter or `_`, then letters, digits, `_` and `-`.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn labels(block: &Block) -> Vec<&str> {
    block.labels.iter().map(|l| l.as_str()).collect()
}

fn expect_labels(
    file: &SourceFile,
    block: &Block,
    n: usize,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    if block.labels.len() == n {
        return true;
    }
    diags.push(
        Diagnostic::error(format!(
            "a `{}` block takes {n} label(s), found {}",
            block.ident.as_str(),
            block.labels.len()
        ))
        .with_detail(format!("write it as {what}"))
        .with_span(header_span(file, block)),
    );
    false
}

fn duplicate(diags: &mut Vec<Diagnostic>, what: String, here: Option<Span>, first: Option<&Span>) {
    let mut d = Diagnostic::error(format!("duplicate {what}"))
        .with_detail("each name may be declared only once; rename or remove one of them")
        .with_span(here);
    if let Some(f) = first {
        d = d.with_related(f.clone(), "first declared here");
    }
    diags.push(d);
}

fn lower_block(
    d: &mut Declarations,
    i: usize,
    file: &SourceFile,
    block: &Block,
    diags: &mut Vec<Diagnostic>,
) {
    let hspan = header_span(file, block);
    match block.ident.as_str() {
        "terraform" => {
            for b in block.body.blocks() {
                if matches!(b.ident.as_str(), "backend" | "cloud") {
                    diags.push(
                        Diagnostic::error(format!("`{}` blocks are not supported: infra keeps its own state", b.ident.as_str()))
                            .with_detail("remove the block; the state lives in the SQLite file set by --state (default state/infra.db)")
                            .with_span(header_span(file, b)),
                    );
                }
            }
        }
        "provider" => {
            if !expect_labels(file, block, 1, "provider \"aws\" { ... }", diags) {
                return;
            }
            let name = block.labels[0].as_str();
            if infra_model::schema::BUILTIN_PROVIDERS.contains(&name) {
                // implemented by infra itself (infra-builtin): nothing to configure
                return;
            }
            if name != "aws" {
                // the block configures nothing infra uses; each resource or data block of
                // the provider is an error of its own (an unknown type), so that one
                // `validate` lists every one of them
                diags.push(
                    Diagnostic::warning(format!("unsupported provider `{name}`: its block is ignored"))
                        .with_detail(format!(
                            "infra supports the `aws` provider and, built in, {}; resources and data sources of `{name}` are errors",
                            infra_model::schema::BUILTIN_PROVIDERS
                                .iter()
                                .map(|p| format!("`{p}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                        .with_span(hspan),
                );
                return;
            }
            let alias = match block.body.get_attribute("alias") {
                None => String::new(),
                Some(a) => match meta::literal(&a.value, file) {
                    Ok(Value::String(s)) if is_identifier(&s) => s,
                    _ => {
                        diags.push(
                            Diagnostic::error("the provider's `alias` must be a literal name")
                                .with_detail("write it as `alias = \"west\"` (letters, digits, `_` and `-`, starting with a letter); resources choose it with `provider = aws.west`")
                                .with_span(attr_span(file, a)),
                        );
                        return;
                    }
                },
            };
            if let Some(prev) = d.providers.get(&alias) {
                let what = match alias.as_str() {
                    "" => "provider \"aws\" block without `alias`".to_string(),
                    a => format!("provider \"aws\" block with `alias = \"{a}\"`"),
                };
                duplicate(diags, what, hspan, prev.span.as_ref());
                return;
            }
            d.providers.insert(
                alias,
                ProviderDecl {
                    file: i,
                    span: hspan,
                    body: block.body.clone(),
                },
            );
        }
        "variable" => {
            if !expect_labels(file, block, 1, "variable \"name\" { ... }", diags) {
                return;
            }
            let name = block.labels[0].as_str().to_string();
            if let Some(prev) = d.variables.get(&name) {
                duplicate(
                    diags,
                    format!("variable \"{name}\""),
                    hspan,
                    prev.span.as_ref(),
                );
                return;
            }
            let v = meta::variable(i, file, block, hspan, diags);
            d.variables.insert(name, v);
        }
        "locals" => {
            for b in block.body.blocks() {
                diags.push(
                    Diagnostic::error(format!("unexpected block `{}` in locals", b.ident.as_str()))
                        .with_detail("a locals block holds only `name = expression` attributes")
                        .with_span(header_span(file, b)),
                );
            }
            for a in block.body.attributes() {
                let name = a.key.as_str().to_string();
                let s = attr_span(file, a);
                if let Some(prev) = d.locals.get(&name) {
                    duplicate(
                        diags,
                        format!("local value \"{name}\""),
                        s,
                        prev.span.as_ref(),
                    );
                    continue;
                }
                d.locals.insert(
                    name,
                    LocalDecl {
                        file: i,
                        span: s,
                        expr: a.value.clone(),
                    },
                );
            }
        }
        "check" => {
            if !expect_labels(file, block, 1, "check \"name\" { assert { ... } }", diags) {
                return;
            }
            let name = block.labels[0].as_str().to_string();
            let mut asserts = Vec::new();
            for a in block.body.attributes() {
                diags.push(
                    Diagnostic::error(format!(
                        "unknown argument `{}` in a check block",
                        a.key.as_str()
                    ))
                    .with_detail("a check block holds `assert` blocks and at most one `data` block")
                    .with_span(attr_span(file, a)),
                );
            }
            for b in block.body.blocks() {
                match b.ident.as_str() {
                    "assert" => asserts.extend(crate::conditions::lower(
                        crate::conditions::Kind::Assert,
                        i,
                        file,
                        b,
                        diags,
                    )),
                    "data" => lower_block(d, i, file, b, diags),
                    other => diags.push(
                        Diagnostic::error(format!("unexpected block `{other}` in a check block"))
                            .with_detail(
                                "a check block holds `assert` blocks and at most one `data` block",
                            )
                            .with_span(header_span(file, b)),
                    ),
                }
            }
            if asserts.is_empty() {
                diags.push(
                    Diagnostic::error(format!("check \"{name}\" has no `assert` block"))
                        .with_detail("add `assert { condition = ...  error_message = \"...\" }`")
                        .with_span(hspan),
                );
            }
            d.checks
                .push(crate::conditions::CheckDecl { name, asserts });
        }
        "resource" | "data" => {
            let mode = if block.ident.as_str() == "resource" {
                Mode::Managed
            } else {
                Mode::Data
            };
            let example = if mode == Mode::Managed {
                "resource \"aws_vpc\" \"main\" { ... }"
            } else {
                "data \"aws_region\" \"current\" { ... }"
            };
            if !expect_labels(file, block, 2, example, diags) {
                return;
            }
            let l = labels(block);
            let address = d.address(mode, l[0], l[1]);
            if let Some(prev) = d.resources.get(&address) {
                duplicate(
                    diags,
                    format!("{} block `{address}`", block.ident.as_str()),
                    hspan,
                    prev.span.as_ref(),
                );
                return;
            }
            let r = meta::resource(address.clone(), i, file, block, hspan, diags);
            d.resources.insert(address, r);
        }
        "output" => {
            if !expect_labels(file, block, 1, "output \"name\" { value = ... }", diags) {
                return;
            }
            let name = block.labels[0].as_str().to_string();
            if let Some(prev) = d.outputs.get(&name) {
                duplicate(
                    diags,
                    format!("output \"{name}\""),
                    hspan,
                    prev.span.as_ref(),
                );
                return;
            }
            let o = meta::output(i, file, block, hspan, diags);
            d.outputs.insert(name, o);
        }
        "module" => {
            if !expect_labels(
                file,
                block,
                1,
                "module \"name\" { source = \"../modules/x\" }",
                diags,
            ) {
                return;
            }
            let name = block.labels[0].as_str().to_string();
            if let Some(prev) = d.calls.get(&name) {
                duplicate(
                    diags,
                    format!("module \"{name}\""),
                    hspan,
                    prev.span.as_ref(),
                );
                return;
            }
            let c = crate::modules::lower_call(&name, i, file, block, hspan, diags);
            d.calls.insert(name, c);
        }
        "import" => crate::imports::lower(d, i, file, block, diags),
        "moved" => {
            if expect_labels(
                file,
                block,
                0,
                "moved { from = aws_vpc.old  to = aws_vpc.new }",
                diags,
            ) {
                crate::moved::lower(d, file, block, diags);
            }
        }
        "removed" => {
            if expect_labels(
                file,
                block,
                0,
                "removed { from = aws_vpc.old  lifecycle { destroy = false } }",
                diags,
            ) {
                crate::removed::lower(d, file, block, diags);
            }
        }
        other => {
            let mut d = Diagnostic::error(format!("unknown block type `{other}`")).with_span(hspan);
            d = match schema::did_you_mean(other, TOP_BLOCKS.iter().copied()) {
                Some(s) => d.with_detail(format!("did you mean `{s}`?")),
                None => d.with_detail(format!("expected one of: {}", TOP_BLOCKS.join(", "))),
            };
            diags.push(d);
        }
    }
}
