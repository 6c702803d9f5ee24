//! Reference extraction: every `root.step...` an expression mentions, in source order,
//! without the names that for expressions and `%{for}` directives bind.

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::Span as _;
use infra_model::{Diagnostic, Value};

use crate::{span_of, Reference, SourceFile, Step};

/// Deepest nesting walked (matches the evaluator's guard; deeper trees are cut off).
const MAX_DEPTH: usize = 256;

pub(crate) fn references(expr: &Expression, file: &SourceFile, bound: &[&str]) -> Vec<Reference> {
    let mut walker = Walker {
        file,
        bound: bound.iter().map(|s| s.to_string()).collect(),
        out: Vec::new(),
        calls: Vec::new(),
        depth: 0,
    };
    walker.expr(expr);
    walker.out
}

/// Every call of a function we do not have (or of a provider-defined function) in an
/// expression, as errors at the function's name: found before anything is evaluated, so
/// that `validate` lists them with the structural errors.
pub(crate) fn unknown_functions(expr: &Expression, file: &SourceFile) -> Vec<Diagnostic> {
    let mut walker = Walker {
        file,
        bound: Vec::new(),
        out: Vec::new(),
        calls: Vec::new(),
        depth: 0,
    };
    walker.expr(expr);
    let mut out = Vec::new();
    for (name, namespaced, span) in walker.calls {
        if namespaced {
            out.push(
                Diagnostic::error(format!(
                    "provider-defined function \"{name}\" is not supported"
                ))
                .with_detail("use a built-in function instead")
                .with_span(span),
            );
        } else if !crate::functions::NAMES.contains(&name.as_str()) {
            let d = Diagnostic::error(format!("unknown function \"{name}\"")).with_span(span);
            out.push(
                match crate::eval::suggest(&name, crate::functions::NAMES.iter().copied()) {
                    Some(s) => d.with_detail(format!("did you mean \"{s}\"?")),
                    None => {
                        d.with_detail("supported functions are listed in docs/compatibility.md")
                    }
                },
            );
        }
    }
    out
}

struct Walker<'a> {
    file: &'a SourceFile,
    bound: Vec<String>,
    out: Vec<Reference>,
    /// Function calls: name, whether it is namespaced (`provider::x::f`), the name's span.
    calls: Vec<(String, bool, Option<infra_model::Span>)>,
    depth: usize,
}

impl Walker<'_> {
    fn is_bound(&self, name: &str) -> bool {
        self.bound.iter().any(|b| b == name)
    }

    fn expr(&mut self, expr: &Expression) {
        if self.depth >= MAX_DEPTH {
            return;
        }
        self.depth += 1;
        self.expr_inner(expr);
        self.depth -= 1;
    }

    fn expr_inner(&mut self, expr: &Expression) {
        match expr {
            Expression::Null(_)
            | Expression::Bool(_)
            | Expression::Number(_)
            | Expression::String(_) => {}
            Expression::Array(items) => items.iter().for_each(|e| self.expr(e)),
            Expression::Object(object) => {
                for (key, value) in object.iter() {
                    if let ObjectKey::Expression(k) = key {
                        // A bare name as a key is a literal string, not a reference.
                        if !matches!(k, Expression::Variable(_)) {
                            self.expr(k);
                        }
                    }
                    self.expr(value.expr());
                }
            }
            Expression::StringTemplate(t) => self.template(t),
            Expression::HeredocTemplate(h) => self.template(&h.template),
            Expression::Parenthesis(p) => self.expr(p.inner()),
            Expression::Variable(name) => {
                if !self.is_bound(name.as_str()) {
                    self.out.push(Reference {
                        root: name.as_str().to_string(),
                        steps: Vec::new(),
                        span: span_of(self.file, expr.span()),
                    });
                }
            }
            Expression::Conditional(c) => {
                self.expr(&c.cond_expr);
                self.expr(&c.true_expr);
                self.expr(&c.false_expr);
            }
            Expression::FuncCall(call) => {
                self.calls.push((
                    call.name.name.as_str().to_string(),
                    call.name.is_namespaced(),
                    span_of(self.file, call.name.name.span()),
                ));
                call.args.iter().for_each(|a| self.expr(a))
            }
            Expression::Traversal(t) => {
                match &t.expr {
                    Expression::Variable(name) if !self.is_bound(name.as_str()) => {
                        let steps = t
                            .operators
                            .iter()
                            .map(|op| match op.value() {
                                TraversalOperator::GetAttr(a) => Step::Attr(a.as_str().to_string()),
                                TraversalOperator::Index(e) => Step::Index(literal(e)),
                                TraversalOperator::LegacyIndex(n) => {
                                    Step::Index(Some(Value::Number(*n.value() as f64)))
                                }
                                TraversalOperator::AttrSplat(_)
                                | TraversalOperator::FullSplat(_) => Step::Splat,
                            })
                            .collect();
                        self.out.push(Reference {
                            root: name.as_str().to_string(),
                            steps,
                            span: span_of(self.file, expr.span()),
                        });
                    }
                    Expression::Variable(_) => {}
                    other => self.expr(other),
                }
                for op in &t.operators {
                    if let TraversalOperator::Index(e) = op.value() {
                        self.expr(e);
                    }
                }
            }
            Expression::UnaryOp(op) => self.expr(&op.expr),
            Expression::BinaryOp(op) => {
                self.expr(&op.lhs_expr);
                self.expr(&op.rhs_expr);
            }
            Expression::ForExpr(f) => {
                self.expr(&f.intro.collection_expr);
                let mut names = vec![f.intro.value_var.as_str().to_string()];
                if let Some(k) = &f.intro.key_var {
                    names.push(k.as_str().to_string());
                }
                let n = names.len();
                self.bound.extend(names);
                if let Some(k) = &f.key_expr {
                    self.expr(k);
                }
                self.expr(&f.value_expr);
                if let Some(c) = &f.cond {
                    self.expr(&c.expr);
                }
                self.bound.truncate(self.bound.len() - n);
            }
        }
    }

    fn template(&mut self, t: &Template) {
        for element in t.iter() {
            match element {
                Element::Literal(_) => {}
                Element::Interpolation(i) => self.expr(&i.expr),
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(d) => {
                        self.expr(&d.if_expr.cond_expr);
                        self.template(&d.if_expr.template);
                        if let Some(e) = &d.else_expr {
                            self.template(&e.template);
                        }
                    }
                    Directive::For(d) => {
                        let f = &d.for_expr;
                        self.expr(&f.collection_expr);
                        let mut names = vec![f.value_var.as_str().to_string()];
                        if let Some(k) = &f.key_var {
                            names.push(k.as_str().to_string());
                        }
                        let n = names.len();
                        self.bound.extend(names);
                        self.template(&f.template);
                        self.bound.truncate(self.bound.len() - n);
                    }
                },
            }
        }
    }
}

/// The value of a literal index expression (`"a"`, `0`, `-1`), or `None`.
fn literal(e: &Expression) -> Option<Value> {
    match e {
        Expression::String(s) => Some(Value::String(s.value().clone())),
        Expression::Number(n) => n.value().as_f64().map(Value::Number),
        Expression::Bool(b) => Some(Value::Bool(*b.value())),
        Expression::Parenthesis(p) => literal(p.inner()),
        Expression::StringTemplate(t) => {
            let mut s = String::new();
            for el in t.iter() {
                s.push_str(el.as_literal()?.value());
            }
            Some(Value::String(s))
        }
        _ => None,
    }
}
