//! Custom conditions: `precondition` / `postcondition` blocks in a resource's or data
//! source's `lifecycle`, `precondition` in outputs, and `check` blocks with `assert`s.
//!
//! - Preconditions are checked when the instance is evaluated: at plan when their values
//!   are known, else at apply, when [`crate::Stack::evaluate_instance`] re-evaluates the
//!   instance before its create or update (a failure fails that step).
//! - Postconditions see `self`, the instance's value: at plan, the planned value (checked
//!   only where known); after apply, [`crate::Stack::check_after_apply`] checks them on the
//!   values the cloud returned. `evaluate_instance` leaves them out (the object it
//!   evaluates for is about to change).
//! - A failed condition is an error naming the address, the block and its message. A
//!   failed `check` assertion is a warning, never an error, as in Terraform; checks run at
//!   the end of every whole walk (plan, validate, after apply).

use hcl_edit::expr::Expression;
use hcl_edit::structure::Block;
use infra_lang::{Scope, SourceFile};
use infra_model::{Diagnostic, Span, Value};

use crate::decl::{attr_span, header_span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Precondition,
    Postcondition,
    Assert,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Precondition => "precondition",
            Kind::Postcondition => "postcondition",
            Kind::Assert => "assert",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Condition {
    pub kind: Kind,
    pub file: usize,
    pub span: Option<Span>,
    pub condition: Expression,
    pub error_message: Option<Expression>,
}

/// One `check "name" { ... }` block.
#[derive(Debug, Clone)]
pub(crate) struct CheckDecl {
    pub name: String,
    pub asserts: Vec<Condition>,
}

/// Lower a `precondition`, `postcondition` or `assert` block.
pub(crate) fn lower(
    kind: Kind,
    i: usize,
    file: &SourceFile,
    block: &Block,
    diags: &mut Vec<Diagnostic>,
) -> Option<Condition> {
    let span = header_span(file, block);
    for a in block.body.attributes() {
        let k = a.key.as_str();
        if k != "condition" && k != "error_message" {
            diags.push(
                Diagnostic::error(format!("unknown argument `{k}` in a {} block", kind.name()))
                    .with_detail("it takes `condition` and `error_message`")
                    .with_span(attr_span(file, a)),
            );
        }
    }
    for b in block.body.blocks() {
        diags.push(
            Diagnostic::error(format!(
                "unexpected block `{}` in a {} block",
                b.ident.as_str(),
                kind.name()
            ))
            .with_detail("it takes `condition` and `error_message`")
            .with_span(header_span(file, b)),
        );
    }
    let Some(c) = block.body.get_attribute("condition") else {
        diags.push(
            Diagnostic::error(format!("a {} block needs a `condition`", kind.name()))
                .with_detail("add `condition = <bool expression>` and `error_message = \"...\"`")
                .with_span(span),
        );
        return None;
    };
    if block.body.get_attribute("error_message").is_none() {
        diags.push(
            Diagnostic::error(format!("a {} block needs an `error_message`", kind.name()))
                .with_detail("add `error_message = \"...\"` saying what is wrong")
                .with_span(span),
        );
        return None;
    }
    Some(Condition {
        kind,
        file: i,
        span,
        condition: c.value.clone(),
        error_message: block
            .body
            .get_attribute("error_message")
            .map(|a| a.value.clone()),
    })
}

/// Check `conds` in `scope`; push a diagnostic for each that is known to fail. `what`
/// names the object (`aws_vpc.main`, `output "x"`, `check "y"`). Returns whether any
/// error was pushed.
pub(crate) fn check(
    conds: &[Condition],
    kinds: &[Kind],
    scope: &dyn Scope,
    files: &[SourceFile],
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let mut failed = false;
    for c in conds.iter().filter(|c| kinds.contains(&c.kind)) {
        let Some(file) = files.get(c.file) else {
            continue;
        };
        let v = match infra_lang::eval(&c.condition, scope, file) {
            Ok(v) => v.unmark_deep(),
            Err(e) if c.kind == Kind::Assert => {
                diags.push(
                    Diagnostic::warning(format!("check {what}: {}", e.summary))
                        .with_span(e.span.clone()),
                );
                continue;
            }
            Err(e) => {
                failed = true;
                diags.push(e.with_address(what));
                continue;
            }
        };
        let ok = match v {
            Value::Bool(b) => b,
            Value::Unknown => continue,
            Value::String(s) if s == "true" || s == "false" => s == "true",
            other if !other.is_wholly_known() => continue,
            other => {
                failed |= c.kind != Kind::Assert;
                let d = Diagnostic::error(format!(
                    "the {} condition of {what} must be true or false, found {}",
                    c.kind.name(),
                    other.type_name()
                ))
                .with_detail("write a bool expression")
                .with_span(infra_lang::span_of(
                    file,
                    hcl_edit::Span::span(&c.condition),
                ));
                diags.push(d);
                continue;
            }
        };
        if ok {
            continue;
        }
        let message = c
            .error_message
            .as_ref()
            .and_then(|e| infra_lang::eval(e, scope, file).ok())
            .map(|m| match m.unmark_deep() {
                Value::String(s) => s,
                Value::Unknown => "(the error message is not known yet)".to_string(),
                other => other.to_string(),
            })
            .unwrap_or_else(|| "(the error message could not be evaluated)".to_string());
        let d = if c.kind == Kind::Assert {
            Diagnostic::warning(format!("check {what} failed: {message}"))
                .with_detail("a failed check is a warning: nothing is stopped")
        } else {
            failed = true;
            Diagnostic::error(format!("{} failed for {what}: {message}", c.kind.name()))
                .with_detail(format!(
                    "the {} block's condition is false; fix the configuration or what it checks",
                    c.kind.name()
                ))
                .with_address(what)
        };
        diags.push(d.with_span(c.span.clone()));
    }
    failed
}
