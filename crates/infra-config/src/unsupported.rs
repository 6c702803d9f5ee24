//! Blocks of resource types and data sources infra does not support, behind `count` or
//! `for_each`. Real modules (terraform-aws-vpc) declare many such blocks, switched off by
//! default (`count = var.enable_vpn_gateway ? 1 : 0`). A block whose expansion is known to
//! be empty is a warning, and references to it see zero instances (an empty list for
//! `count`, an empty map for `for_each`) with a dynamic schema: `aws_x.this[*].id` is `[]`,
//! `length(aws_x.this)` is 0, `try(aws_x.this[0].id, "")` is `""`. One or more instances,
//! or an expansion not known at plan time, is an error naming the type and the block.
//! A misspelt type is an error at load (`statics`), whatever its count.

use infra_model::{Address, Diagnostic, Mode};

use crate::decl::Expansion;
use crate::eval::{aggregate, Instance, Walker};
use crate::expand::{self, Expander};
use crate::scope;

/// What to do about a single block (no `count`/`for_each`) of an unsupported type.
pub(crate) const SINGLE_HELP: &str = "infra does not support it yet (docs/compatibility.md lists what it supports); a block of it is accepted only with `count` or `for_each` that yields no instances";

impl Walker<'_> {
    pub(crate) fn unsupported(&mut self, inst: &Instance, addr: &Address) {
        let Some(m) = self.module(inst) else { return };
        let Some(r) = m.decls.resources.get(addr) else {
            return;
        };
        let block = Address {
            module: inst.clone(),
            ..addr.clone()
        };
        let Some(base) = self.scopes.get(inst) else {
            return;
        };
        let ctx = expand::Ctx {
            decls: &m.decls,
            file: &m.files[r.file],
            scope: base,
        };
        let what = match addr.mode {
            Mode::Managed => "resource type",
            Mode::Data => "data source",
        };
        let keys = ctx.expand(&Expander {
            expansion: r.expansion,
            count: r.count.as_ref(),
            for_each: r.for_each.as_ref(),
        });
        let d = match keys {
            Ok(_) if r.expansion == Expansion::Single => Diagnostic::error(format!(
                "unknown {what} `{}`",
                addr.type_name
            ))
            .with_detail(SINGLE_HELP),
            Ok(k) if k.is_empty() => Diagnostic::warning(format!(
                "unsupported {what} `{}` ignored: `{block}` has no instances",
                addr.type_name
            ))
            .with_detail("infra does not support this type yet; the block is accepted because its count/for_each yields no instances, and references to it see none"),
            Ok(k) => Diagnostic::error(format!(
                "unsupported {what} `{}`: `{block}` has {} instance(s)",
                addr.type_name,
                k.len()
            ))
            .with_detail("infra does not support this type yet (docs/compatibility.md lists what it supports); set its count/for_each so that it yields no instances, or remove the block"),
            Err(e) => Diagnostic::error(format!(
                "unsupported {what} `{}`: the number of instances of `{block}` is not known",
                addr.type_name
            ))
            .with_detail(format!(
                "infra does not support this type yet; it is accepted only when its count/for_each is known to yield no instances ({})",
                e.summary
            )),
        };
        let ok = !d.is_error();
        self.diags
            .push(d.with_span(r.span.clone()).with_address(&block));
        scope::set_resource(
            self.scopes.entry(inst.clone()).or_default().values_mut(),
            addr,
            if ok {
                aggregate(r.expansion, Vec::new())
            } else {
                infra_model::Value::Unknown
            },
        );
        self.instances.insert(block, 0);
    }
}
