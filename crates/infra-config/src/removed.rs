//! `removed { from = ...  lifecycle { destroy = false } }` blocks (Terraform 1.7): the
//! resource or module call named by `from` has left the configuration on purpose. With
//! `destroy = false` the planner *forgets* its objects (apply drops them from the state
//! and leaves them in AWS); with `destroy = true` (the default) they are destroyed, as
//! for any resource removed from the configuration, and the block only documents it.
//!
//! `from` is a resource (`aws_vpc.old`: every instance) or a module call (`module.net`:
//! every object inside every instance of it), without instance keys, relative to the
//! module that declares the block. It must no longer be declared there.

use hcl_edit::expr::Expression;
use hcl_edit::structure::Block;
use hcl_edit::Span as _;
use infra_lang::SourceFile;
use infra_model::{Address, Diagnostic, Mode, Span};

use crate::decl::{attr_span, header_span, span, Declarations};

/// One `removed` block, `from` with the declaring module's path.
#[derive(Debug, Clone, PartialEq)]
pub struct RemovedBlock {
    pub from: Address,
    /// `lifecycle { destroy = ... }`: false keeps the objects in AWS.
    pub destroy: bool,
    /// The block's header.
    pub span: Option<Span>,
}

impl RemovedBlock {
    /// Whether the block covers `a`, an instance address from the state (any keys).
    pub fn covers(&self, a: &Address) -> bool {
        a.mode == Mode::Managed && self.from.selects(a)
    }
}

const USAGE: &str = "write it as `removed { from = aws_vpc.old  lifecycle { destroy = false } }` (or `from = module.net`)";

pub(crate) fn lower(
    d: &mut Declarations,
    file: &SourceFile,
    block: &Block,
    diags: &mut Vec<Diagnostic>,
) {
    let header = header_span(file, block);
    for a in block.body.attributes() {
        if a.key.as_str() != "from" {
            diags.push(
                Diagnostic::error(format!(
                    "unknown argument `{}` in a removed block",
                    a.key.as_str()
                ))
                .with_detail(USAGE)
                .with_span(attr_span(file, a)),
            );
        }
    }
    let mut destroy = true;
    for b in block.body.blocks() {
        match b.ident.as_str() {
            "lifecycle" => {
                if let Some(v) = lifecycle_destroy(file, b, diags) {
                    destroy = v;
                }
            }
            "provisioner" | "connection" => diags.push(
                Diagnostic::error(format!("`{}` blocks are not supported", b.ident.as_str()))
                    .with_detail("infra manages cloud resources only; remove the block")
                    .with_span(header_span(file, b)),
            ),
            other => diags.push(
                Diagnostic::error(format!("unknown block `{other}` in a removed block"))
                    .with_detail(USAGE)
                    .with_span(header_span(file, b)),
            ),
        }
    }
    let Some(a) = block.body.get_attribute("from") else {
        diags.push(
            Diagnostic::error("a removed block needs `from`")
                .with_detail(USAGE)
                .with_span(header),
        );
        return;
    };
    let text = a
        .value
        .span()
        .and_then(|r| file.text.get(r))
        .unwrap_or("")
        .trim();
    let bad = |why: &str| {
        Diagnostic::error(format!("invalid `from` in a removed block: {why}"))
            .with_detail("write a resource (`aws_vpc.old`) or a module call (`module.net`) without instance keys or quotes")
            .with_span(attr_span(file, a))
    };
    let parsed = match Address::parse(text) {
        Ok(p) => p,
        Err(e) => {
            diags.push(bad(&e.why));
            return;
        }
    };
    if parsed.mode == Mode::Data {
        diags.push(bad("data sources are not in the state to remove"));
        return;
    }
    if parsed.key.is_some() || parsed.module.iter().any(|s| s.key.is_some()) {
        diags.push(bad(
            "instance keys are not allowed: a removed block covers every instance",
        ));
        return;
    }
    let mut module = crate::modules::steps(&d.path);
    module.extend(parsed.module.clone());
    let from = Address { module, ..parsed };
    if let Some(prev) = d.removed.iter().find(|r| r.from == from) {
        let mut e = Diagnostic::error(format!("`{from}` is removed by two removed blocks"))
            .with_detail("keep one of them")
            .with_span(header);
        if let Some(s) = &prev.span {
            e = e.with_related(s.clone(), "the other removed block");
        }
        diags.push(e);
        return;
    }
    d.removed.push(RemovedBlock {
        from,
        destroy,
        span: header,
    });
}

/// `lifecycle { destroy = true|false }`: a literal boolean, as Terraform requires.
fn lifecycle_destroy(file: &SourceFile, b: &Block, diags: &mut Vec<Diagnostic>) -> Option<bool> {
    let mut out = None;
    for a in b.body.attributes() {
        if a.key.as_str() != "destroy" {
            diags.push(
                Diagnostic::error(format!(
                    "unknown argument `{}` in a removed block's lifecycle",
                    a.key.as_str()
                ))
                .with_detail(
                    "a removed block's lifecycle takes only `destroy = true` or `destroy = false`",
                )
                .with_span(attr_span(file, a)),
            );
            continue;
        }
        match &a.value {
            Expression::Bool(v) => out = Some(*v.value()),
            _ => diags.push(
                Diagnostic::error("`destroy` in a removed block must be `true` or `false`")
                    .with_detail(
                        "write the literal value: it is decided before any expression is evaluated",
                    )
                    .with_span(span(file, &a.value)),
            ),
        }
    }
    out
}

/// A removed block's `from` must be gone from its module's configuration.
pub(crate) fn check(d: &Declarations, diags: &mut Vec<Diagnostic>) {
    for r in &d.removed {
        let here = r.from.module.len() == d.path.len();
        let declared = if r.from.type_name.is_empty() {
            r.from.module.len() == d.path.len() + 1
                && r.from
                    .module
                    .last()
                    .is_some_and(|s| d.calls.contains_key(&s.name))
        } else {
            here && d.resources.contains_key(&d.address(
                Mode::Managed,
                &r.from.type_name,
                &r.from.name,
            ))
        };
        if declared {
            diags.push(
                Diagnostic::error(format!(
                    "`{}` is in a removed block but still declared in the configuration",
                    r.from
                ))
                .with_detail("delete its block too (a removed block says it is gone), or delete the removed block to keep managing it")
                .with_span(r.span.clone()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(from: &str, destroy: bool) -> RemovedBlock {
        RemovedBlock {
            from: Address::parse(from).unwrap(),
            destroy,
            span: None,
        }
    }

    #[test]
    fn covers_every_instance_of_a_resource_or_everything_in_a_module_call() {
        let a = |s: &str| Address::parse(s).unwrap();
        let r = block("aws_vpc.old", false);
        assert!(r.covers(&a("aws_vpc.old")));
        assert!(r.covers(&a("aws_vpc.old[2]")));
        assert!(r.covers(&a("aws_vpc.old[\"k\"]")));
        assert!(!r.covers(&a("aws_vpc.other")));
        assert!(!r.covers(&a("module.m.aws_vpc.old")));
        assert!(!r.covers(&a("data.aws_vpc.old")));
        let m = block("module.net", false);
        assert!(m.covers(&a("module.net.aws_vpc.this")));
        assert!(m.covers(&a("module.net[\"prod\"].module.sub.aws_subnet.s[0]")));
        assert!(!m.covers(&a("module.network.aws_vpc.this")));
        assert!(!m.covers(&a("aws_vpc.this")));
        let inner = block("module.net.aws_subnet.s", false);
        assert!(inner.covers(&a("module.net[1].aws_subnet.s[0]")));
        assert!(!inner.covers(&a("module.net.module.x.aws_subnet.s")));
    }
}
