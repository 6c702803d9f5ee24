//! Expression evaluation with unknown values.
//!
//! The evaluator walks hcl-edit's tree directly. Names bound by for expressions and template
//! `%{for}` directives live in a small stack of locals in front of the caller's [`Scope`].

mod for_expr;
mod ops;
mod template;
mod traverse;

use std::collections::BTreeMap;

use hcl_edit::expr::{Expression, FuncCall, ObjectKey};
use infra_model::{Diagnostic, Span, Value};

use crate::{span_of, Scope, SourceFile};

/// Deepest expression nesting evaluated before giving up (the parser already rejects
/// deeper input; this guards trees built by hand).
const MAX_EVAL_DEPTH: usize = 160;

/// Names that are always candidates for "did you mean".
const WELL_KNOWN_ROOTS: &[&str] = &[
    "var",
    "local",
    "data",
    "module",
    "count",
    "each",
    "path",
    "self",
    "terraform",
];

pub(crate) use ops::{parse_number, to_bool, to_number};

/// Terraform equality as a plain bool (unknown counts as not equal).
pub(crate) fn ops_equal(a: &Value, b: &Value) -> bool {
    ops::equal(a, b) == Some(true)
}

pub(crate) type EvalResult = Result<Value, Diagnostic>;

/// Evaluate `expr`. Sensitive marks propagate (see [`infra_model::sensitive`]); an
/// error's text never repeats a marked value the evaluation looked into.
pub(crate) fn eval(expr: &Expression, scope: &dyn Scope, file: &SourceFile) -> EvalResult {
    let mut ev = Evaluator {
        scope,
        file,
        locals: Vec::new(),
        depth: 0,
        secrets: Vec::new(),
        tainted: false,
    };
    ev.expr(expr).map_err(|d| ev.scrub(d))
}

pub(crate) struct Evaluator<'a> {
    scope: &'a dyn Scope,
    file: &'a SourceFile,
    locals: Vec<(String, Value)>,
    depth: usize,
    /// The text of every marked value unmarked so far, scrubbed from errors.
    secrets: Vec<String>,
    /// Set when a template being rendered used a marked value.
    tainted: bool,
}

impl Evaluator<'_> {
    /// Remove `v`'s own mark, remembering its text for error scrubbing.
    pub(crate) fn unmark(&mut self, v: Value) -> (Value, bool) {
        if v.is_marked() {
            self.secrets.extend(v.secret_strings());
        }
        v.unmark()
    }

    /// Remove every mark in `v`, remembering the text.
    pub(crate) fn unmark_all(&mut self, v: Value) -> (Value, bool) {
        if v.has_marks() {
            self.secrets.extend(v.secret_strings());
        }
        v.unmark_all()
    }

    fn scrub(&self, mut d: Diagnostic) -> Diagnostic {
        use infra_model::sensitive::scrub;
        if self.secrets.is_empty() {
            return d;
        }
        d.summary = scrub(&d.summary, &self.secrets);
        d.detail = d.detail.map(|x| scrub(&x, &self.secrets));
        d
    }

    pub(crate) fn span(&self, node: &dyn hcl_edit::Span) -> Option<Span> {
        span_of(self.file, node.span())
    }

    pub(crate) fn error(
        &self,
        node: &dyn hcl_edit::Span,
        summary: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::error(summary).with_span(self.span(node))
    }

    pub(crate) fn expr(&mut self, expr: &Expression) -> EvalResult {
        if self.depth >= MAX_EVAL_DEPTH {
            return Err(self
                .error(
                    expr,
                    format!("expression is nested too deeply (more than {MAX_EVAL_DEPTH} levels)"),
                )
                .with_detail("split it into smaller locals"));
        }
        self.depth += 1;
        let result = self.expr_inner(expr);
        self.depth -= 1;
        match result {
            // the expressions that can build a value larger than their inputs: a list
            // doubled through a chain of locals must fail, not exhaust memory
            Ok(v) if builds_values(expr) && too_many_values(&v) => {
                Err(self.error(expr, too_large()).with_detail(
                    "a value this large is almost certainly a mistake; check how it is built",
                ))
            }
            result => result,
        }
    }

    fn expr_inner(&mut self, expr: &Expression) -> EvalResult {
        match expr {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => match n.value().as_f64() {
                Some(f) if f.is_finite() => Ok(Value::Number(f)),
                _ => Err(self.error(expr, "number literal is out of range")),
            },
            Expression::String(s) => Ok(Value::String(s.value().clone())),
            Expression::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items.iter() {
                    out.push(self.expr(item)?);
                }
                Ok(Value::List(out))
            }
            Expression::Object(object) => {
                let mut out = BTreeMap::new();
                let mut unknown = false;
                let mut key_marked = false;
                for (key, value) in object.iter() {
                    let (key, key_node): (Value, &dyn hcl_edit::Span) = match key {
                        ObjectKey::Ident(ident) => {
                            (Value::String(ident.as_str().to_string()), ident)
                        }
                        // A bare name as a key is the name itself, not a variable.
                        ObjectKey::Expression(Expression::Variable(v)) => {
                            (Value::String(v.as_str().to_string()), key)
                        }
                        ObjectKey::Expression(key_expr) => {
                            let (k, m) = {
                                let v = self.expr(key_expr)?;
                                self.unmark_all(v)
                            };
                            key_marked |= m;
                            (k, key_expr)
                        }
                    };
                    let value = self.expr(value.expr())?;
                    match key {
                        Value::Unknown => unknown = true,
                        Value::String(s) => {
                            out.insert(s, value);
                        }
                        Value::Number(n) => {
                            out.insert(infra_model::value::format_number(n), value);
                        }
                        Value::Bool(b) => {
                            out.insert(b.to_string(), value);
                        }
                        other => {
                            return Err(self.error(
                                key_node,
                                format!("object key must be a string, got {}", describe(&other)),
                            ));
                        }
                    }
                }
                Ok(if unknown {
                    Value::Unknown
                } else {
                    Value::Map(out)
                }
                .mark_if(key_marked))
            }
            Expression::StringTemplate(t) => self.string_template(t),
            Expression::HeredocTemplate(h) => self.template_value(&h.template),
            Expression::Parenthesis(p) => self.expr(p.inner()),
            Expression::Variable(name) => self.variable(name.as_str(), expr),
            Expression::Conditional(c) => {
                let (cond, marked) = {
                    let v = self.expr(&c.cond_expr)?;
                    self.unmark_all(v)
                };
                let result = match cond {
                    // As in Terraform, errors in either branch are not reported while the
                    // condition is unknown (the guard may be what prevents them).
                    Value::Unknown => Ok(Value::Unknown),
                    other => match ops::to_bool(&other) {
                        Some(true) => self.expr(&c.true_expr),
                        Some(false) => self.expr(&c.false_expr),
                        None => Err(self.error(
                            &c.cond_expr,
                            format!("condition must be a bool, got {}", describe(&other)),
                        )),
                    },
                };
                result.map(|v| v.mark_if(marked))
            }
            Expression::FuncCall(call) => self.func_call(call, expr),
            Expression::Traversal(t) => self.traversal(t),
            Expression::UnaryOp(op) => {
                let (value, marked) = {
                    let v = self.expr(&op.expr)?;
                    self.unmark_all(v)
                };
                ops::unary(*op.operator.value(), value)
                    .map(|v| v.mark_if(marked))
                    .map_err(|m| self.error(expr, m))
            }
            Expression::BinaryOp(op) => self.binary(op, expr),
            Expression::ForExpr(f) => self.for_expr(f),
        }
    }

    fn binary(&mut self, op: &hcl_edit::expr::BinaryOp, whole: &Expression) -> EvalResult {
        use hcl_edit::expr::BinaryOperator as B;
        let operator = *op.operator.value();
        let (lhs, lm) = {
            let v = self.expr(&op.lhs_expr)?;
            self.unmark_all(v)
        };
        // Logical operators short-circuit when the left side decides the result.
        match (operator, ops::to_bool(&lhs)) {
            (B::And, Some(false)) => return Ok(Value::Bool(false).mark_if(lm)),
            (B::Or, Some(true)) => return Ok(Value::Bool(true).mark_if(lm)),
            _ => {}
        }
        let (rhs, rm) = {
            let v = self.expr(&op.rhs_expr)?;
            self.unmark_all(v)
        };
        ops::binary(operator, lhs, rhs)
            .map(|v| v.mark_if(lm || rm))
            .map_err(|m| self.error(whole, m))
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<Value> {
        if let Some((_, v)) = self.locals.iter().rev().find(|(n, _)| n == name) {
            return Some(v.clone());
        }
        self.scope.lookup_parts(name).map(|p| p.to_value())
    }

    fn variable(&self, name: &str, node: &Expression) -> EvalResult {
        if let Some(v) = self.lookup(name) {
            return Ok(v);
        }
        let mut candidates: Vec<&str> = self.locals.iter().map(|(n, _)| n.as_str()).collect();
        candidates.extend(
            WELL_KNOWN_ROOTS
                .iter()
                .copied()
                .filter(|c| self.scope.lookup_parts(c).is_some()),
        );
        let mut diag = self.error(node, format!("unknown name \"{name}\""));
        diag = match suggest(name, candidates) {
            Some(s) => diag.with_detail(format!("did you mean \"{s}\"?")),
            None => diag.with_detail("declare it, or check the spelling (variables are referenced as var.NAME, locals as local.NAME)"),
        };
        Err(diag)
    }

    /// Run `f` with `bindings` visible as names.
    pub(crate) fn with_locals<T>(
        &mut self,
        bindings: Vec<(String, Value)>,
        f: impl FnOnce(&mut Self) -> T,
    ) -> T {
        let n = bindings.len();
        self.locals.extend(bindings);
        let out = f(self);
        let len = self.locals.len();
        self.locals.truncate(len - n);
        out
    }

    fn func_call(&mut self, call: &FuncCall, whole: &Expression) -> EvalResult {
        let name = call.name.name.as_str();
        if call.name.is_namespaced() {
            return Err(self
                .error(
                    whole,
                    format!("provider-defined function \"{name}\" is not supported"),
                )
                .with_detail("use a built-in function instead"));
        }
        match name {
            "try" => return self.call_try(call, whole),
            "can" => return self.call_can(call, whole),
            "templatefile" => return self.call_templatefile(call, whole),
            "templatestring" => return self.call_templatestring(call, whole),
            _ => {}
        }
        if !crate::functions::NAMES.contains(&name) {
            let mut diag = self.error(&call.name.name, format!("unknown function \"{name}\""));
            diag = match suggest(name, crate::functions::NAMES.iter().copied()) {
                Some(s) => diag.with_detail(format!("did you mean \"{s}\"?")),
                None => diag.with_detail("supported functions are listed in docs/compatibility.md"),
            };
            return Err(diag);
        }
        let mut args = Vec::with_capacity(call.args.len());
        for arg in call.args.iter() {
            args.push(self.expr(arg)?);
        }
        // functions::call unmarks the arguments and marks the result; remember the text
        // here too, for errors raised before the call
        let secrets: Vec<String> = args.iter().flat_map(Value::secret_strings).collect();
        self.secrets.extend(secrets);
        let mut expanded_marked = false;
        if call.args.expand_final() {
            let last = args.pop().map(|v| self.unmark(v));
            expanded_marked = last.as_ref().is_some_and(|(_, m)| *m);
            match last.map(|(v, _)| v) {
                Some(Value::List(items)) => args.extend(items),
                Some(Value::Unknown) => return Ok(Value::Unknown),
                Some(other) => {
                    let node: &dyn hcl_edit::Span = match call.args.iter().last() {
                        Some(e) => e,
                        None => whole,
                    };
                    return Err(self.error(node, format!("the final argument to \"{name}\" must be a list to expand it with \"...\", got {}", describe(&other))));
                }
                None => {}
            }
        }
        match crate::functions::call(name, args) {
            Ok(Value::String(s)) if s.len() > MAX_STRING => Err(self.error(whole, too_long())),
            result => result
                .map(|v| v.mark_if(expanded_marked))
                .map_err(|m| self.error(whole, m)),
        }
    }

    fn call_try(&mut self, call: &FuncCall, whole: &Expression) -> EvalResult {
        if call.args.is_empty() {
            return Err(self.error(whole, "try needs at least one argument"));
        }
        let mut errors = Vec::new();
        for arg in call.args.iter() {
            match self.expr(arg) {
                Ok(v) if v.is_wholly_known() => return Ok(v),
                Ok(_) => return Ok(Value::Unknown),
                Err(e) => errors.push(e),
            }
        }
        let detail = errors
            .iter()
            .map(|e| e.summary.clone())
            .collect::<Vec<_>>()
            .join("; ");
        Err(self
            .error(
                whole,
                "no argument to try could be evaluated without an error",
            )
            .with_detail(detail))
    }

    fn call_can(&mut self, call: &FuncCall, whole: &Expression) -> EvalResult {
        if call.args.len() != 1 || call.args.expand_final() {
            return Err(self.error(
                whole,
                format!("can takes exactly one argument, got {}", call.args.len()),
            ));
        }
        let arg = call
            .args
            .iter()
            .next()
            .ok_or_else(|| self.error(whole, "can takes exactly one argument"))?;
        match self.expr(arg) {
            Ok(v) if v.is_wholly_known() => Ok(Value::Bool(true)),
            Ok(_) => Ok(Value::Unknown),
            Err(_) => Ok(Value::Bool(false)),
        }
    }
}

/// The candidate closest to `name`, for "did you mean" hints: Jaro-Winkler first, then a
/// small edit distance (which catches short names like `vr` for `var`).
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    if let Some(s) = infra_model::schema::did_you_mean(name, candidates.iter().copied()) {
        return Some(s);
    }
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit && *d < name.chars().count())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A value with its type, for error messages: `string "abc"`, `list`, `null`.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let shown: String = s.chars().take(40).collect();
            let ellipsis = if shown.len() < s.len() { "..." } else { "" };
            format!("string {:?}{ellipsis}", shown)
        }
        Value::Number(_) | Value::Bool(_) => format!("{} {v}", v.type_name()),
        Value::Null => "null".to_string(),
        other => other.type_name().to_string(),
    }
}

/// The longest string an expression may build (templates, function results): far above
/// any real value, and low enough that doubling a string through a chain of locals fails
/// with an error instead of exhausting memory.
pub(crate) const MAX_STRING: usize = 64 << 20;

/// The most elements (list items, map entries, scalars: every value counted once) a value
/// built by one expression may hold.
pub(crate) const MAX_VALUES: usize = 200_000;

fn builds_values(expr: &Expression) -> bool {
    matches!(
        expr,
        Expression::Array(_)
            | Expression::Object(_)
            | Expression::FuncCall(_)
            | Expression::ForExpr(_)
    )
}

/// More than MAX_VALUES values in `v`, counted with an early exit.
fn too_many_values(v: &Value) -> bool {
    fn count(v: &Value, seen: &mut usize) -> bool {
        *seen += 1;
        if *seen > MAX_VALUES {
            return true;
        }
        match v {
            Value::List(items) => items.iter().any(|i| count(i, seen)),
            Value::Map(m) => m.values().any(|i| count(i, seen)),
            Value::Sensitive(inner) => count(inner, seen),
            _ => false,
        }
    }
    // a small collection of scalars cannot be too large: skip the walk
    match v {
        Value::List(items) if items.len() < 1024 && items.iter().all(is_scalar) => false,
        Value::Map(m) if m.len() < 1024 && m.values().all(is_scalar) => false,
        _ => count(v, &mut 0),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::List(_) | Value::Map(_) | Value::Sensitive(_))
}

pub(crate) fn too_large() -> String {
    format!("the resulting value holds more than {MAX_VALUES} elements")
}

pub(crate) fn too_long() -> String {
    format!(
        "the resulting string is longer than {} MiB",
        MAX_STRING >> 20
    )
}
