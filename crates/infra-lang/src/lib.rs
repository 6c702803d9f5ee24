//! The Terraform language: parse `.tf` / `.tfvars` files with spans (hcl-edit), evaluate
//! expressions with values that may be unknown until apply, the function library
//! (`cidrsubnet` and friends, computed exactly as Terraform does), type constraints, and
//! reference extraction for the dependency graph.
//!
//! No IO, no clock, no entropy: callers hand in file contents, the stack's directories,
//! the plan's time and, at apply time, "now" and a random seed.
//!
//! Codemap:
//! - `parse.rs`: a nesting pre-scan (hcl-edit's parser is recursive), then hcl-edit, with
//!   syntax errors turned into diagnostics (unterminated strings pinned to their quote).
//! - `eval/`: the evaluator (`mod.rs`: dispatch, names, calls, `try`/`can`), `ops.rs`
//!   (operators), `traverse.rs` (attributes, indexes, splats), `template.rs` (templates,
//!   directives, strip markers), `for_expr.rs`.
//! - `refs.rs`: reference extraction. `types.rs`: type constraints and conversion.
//! - `functions/`: the library by family; `cidr.rs`: the cidr functions (go-cidr's math).
//! - `spans.rs`: a cached line index so that spans stay cheap in large files.
//!
//! Invariants: nothing panics on input (a proptest feeds arbitrary text); unknown in gives
//! unknown out; every error is a lowercase message, with a span when one is known.
//!
//! Deliberately not here: files, modules, `count`/`for_each` expansion, and which names are
//! in scope; infra-config builds the [`Scope`]. `optional(T, default)` defaults do not fit
//! in [`TypeConstraint`], so [`parse_type_with_defaults`] and [`convert_with_defaults`] carry
//! them next to it.
//!
//! PUBLIC API CONTRACT (other crates code against exactly these items):
//! - [`SourceFile`], [`parse`], [`span_of`]
//! - [`Scope`] (implemented for `BTreeMap<String, Value>`), [`Part`], [`Parts`], [`Key`],
//!   [`eval`]
//! - [`Reference`], [`Step`], [`references`]
//! - [`TypeConstraint`], [`parse_type`], [`convert`]
//! - [`call_function`], [`FUNCTIONS`]
//! - what some functions read besides their arguments, set for an evaluation's duration:
//!   [`with_files`] / [`Files`], [`with_stack_env`] / [`StackEnv`] (stack directory, home,
//!   plan time), [`with_clock`] / [`ApplyClock`] / [`fork_clock`] (apply time: `timestamp`,
//!   `uuid`, `bcrypt`; without one they are unknown, as at plan time)

#![allow(clippy::result_large_err)] // the public API returns `Result<_, Diagnostic>`

use std::collections::BTreeMap;
use std::sync::Arc;

mod cidr;
mod eval;
mod functions;
mod parse;
mod refs;
mod spans;
#[cfg(test)]
mod tests;
mod types;

pub use types::{convert_with_defaults, parse_type_with_defaults, TypeDefaults};

pub use hcl_edit;
use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;
use infra_model::{Diagnostic, Span, Value};

/// One source file's path (as shown to the user) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: Arc<str>,
    pub text: String,
}

/// Parse a `.tf` or `.tfvars` file. On a syntax error, returns `None` and a diagnostic with
/// the file, line and column and what was expected.
pub fn parse(file: &SourceFile) -> (Option<Body>, Vec<Diagnostic>) {
    parse::parse(file)
}

/// The span of a parsed node (`node.span()` from hcl-edit's `Span` trait) in `file`.
pub fn span_of(file: &SourceFile, range: Option<std::ops::Range<usize>>) -> Option<Span> {
    range.map(|r| spans::span(file, r.start, r.end))
}

/// The names an expression can see: `var`, `local`, `data`, `module`, `count`, `each`,
/// `path`, `self`, and one entry per resource type (`aws_vpc` maps resource names to
/// their values: a map of attributes, a list for `count`, a map for `for_each`).
pub trait Scope {
    fn lookup(&self, name: &str) -> Option<&Value>;

    /// The value of `name` as the evaluator reads it: whole, or in [`Parts`] for a scope
    /// that keeps it apart (infra-config at apply time keeps every instance of a block in
    /// the map of known values instead of copying them all into the scope for each step).
    /// By default, [`Scope::lookup`]'s value.
    fn lookup_parts(&self, name: &str) -> Option<Part<'_>> {
        self.lookup(name).map(Part::Value)
    }
}

/// A value in a scope: whole, or kept in parts.
pub enum Part<'a> {
    Value(&'a Value),
    Parts(Box<dyn Parts<'a> + 'a>),
}

impl Part<'_> {
    /// The whole value (a copy).
    pub fn to_value(&self) -> Value {
        match self {
            Part::Value(v) => (*v).clone(),
            Part::Parts(p) => p.assemble(),
        }
    }
}

/// One step into a value kept in parts: an attribute name or map key, or a list index.
#[derive(Debug, Clone, Copy)]
pub enum Key<'k> {
    Name(&'k str),
    Index(usize),
}

/// A value a scope keeps in parts, so that `aws_subnet.s[7].id` reads one instance
/// without assembling every subnet. Both methods must agree: `get` answers exactly what
/// indexing the assembled value would, or `None` (the evaluator then assembles the value
/// and takes the step as on any value, errors included).
pub trait Parts<'a> {
    fn get(&self, key: Key<'_>) -> Option<Part<'a>>;
    fn assemble(&self) -> Value;
}

impl Scope for BTreeMap<String, Value> {
    fn lookup(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

/// Evaluate an expression. Unknown values propagate. Errors name the span in `file`.
pub fn eval(expr: &Expression, scope: &dyn Scope, file: &SourceFile) -> Result<Value, Diagnostic> {
    eval::eval(expr, scope, file)
}

/// One step after the root of a reference.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Attr(String),
    /// A literal index (`["a"]`, `[0]`); `None` when the index is not a literal.
    Index(Option<Value>),
    /// `[*]` or `.*`
    Splat,
}

/// A reference to a named thing: `aws_subnet.private["a"].id` is root `aws_subnet` with
/// steps `private`, `["a"]`, `id`. Names bound by for expressions and `dynamic` iterators
/// are not references.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub root: String,
    pub steps: Vec<Step>,
    pub span: Option<Span>,
}

/// Every reference in an expression, in source order.
pub fn references(expr: &Expression, file: &SourceFile) -> Vec<Reference> {
    refs::references(expr, file, &[])
}

/// Like [`references`], also leaving out `bound` names (e.g. a `dynamic` block's iterator,
/// whose `setting.value` is not a reference to anything).
pub fn references_excluding(
    expr: &Expression,
    file: &SourceFile,
    bound: &[&str],
) -> Vec<Reference> {
    refs::references(expr, file, bound)
}

/// Calls of unknown (or provider-defined) functions in an expression, as errors at each
/// function's name; nothing is evaluated.
pub fn unknown_functions(expr: &Expression, file: &SourceFile) -> Vec<Diagnostic> {
    refs::unknown_functions(expr, file)
}

/// A variable's `type` constraint.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeConstraint {
    Any,
    String,
    Number,
    Bool,
    List(Box<TypeConstraint>),
    Set(Box<TypeConstraint>),
    Map(Box<TypeConstraint>),
    Tuple(Vec<TypeConstraint>),
    /// Attributes with their types, and whether each is `optional(...)`.
    Object(BTreeMap<String, (TypeConstraint, bool)>),
}

/// Parse a type expression such as `list(object({ name = string, size = optional(number) }))`.
pub fn parse_type(expr: &Expression, file: &SourceFile) -> Result<TypeConstraint, Diagnostic> {
    types::parse_type_with_defaults(expr, file).map(|(ty, _)| ty)
}

/// Convert a value to a type as Terraform does (`"5"` to number 5, tuple to list, ...).
/// The error says what was expected and what was given.
pub fn convert(value: Value, ty: &TypeConstraint) -> Result<Value, String> {
    types::convert(value, ty)
}

pub use functions::context::{fork_clock, with_clock, with_stack_env, ApplyClock, StackEnv};
pub use functions::files::{with_files, Files};

/// Names of every function we support.
pub const FUNCTIONS: &[&str] = functions::NAMES;

/// Call a function by name. Unknown arguments give an unknown result (except where a
/// function can do better, e.g. `length` of a list holding unknowns).
pub fn call_function(name: &str, args: Vec<Value>) -> Result<Value, String> {
    functions::call(name, args)
}
