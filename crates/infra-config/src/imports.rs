//! Terraform 1.5 `import` blocks: `import { to = ADDR, id = "..." }` in the root module.
//! Lowering keeps the block; [`imports`] checks `to` against the configuration and
//! evaluates `id` (variables and locals only) once the stack is loaded.

use hcl_edit::expr::Expression;
use hcl_edit::structure::Block;
use infra_lang::SourceFile;
use infra_model::{Address, Diagnostic, Span, Value};

use crate::decl::{attr_span, header_span, span, Declarations};
use crate::eval::Walker;
use crate::stored::ModScope;
use crate::{Node, Stack};

/// One `import` block as written.
#[derive(Debug, Clone)]
pub(crate) struct ImportDecl {
    pub file: usize,
    pub span: Option<Span>,
    pub to: Option<(Expression, Option<Span>)>,
    pub id: Option<Expression>,
}

/// One `import` block after loading: the instance to import into and the import ID.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportBlock {
    pub to: Address,
    pub id: String,
    pub span: Option<Span>,
}

pub(crate) fn lower(
    d: &mut Declarations,
    i: usize,
    file: &SourceFile,
    block: &Block,
    diags: &mut Vec<Diagnostic>,
) {
    let hspan = header_span(file, block);
    if !d.path.is_empty() {
        diags.push(
            Diagnostic::error("an `import` block is only allowed in the root module")
                .with_detail("move it to the stack that calls this module and write `to = module.<name>.<type>.<name>`")
                .with_span(hspan),
        );
        return;
    }
    if !block.labels.is_empty() {
        diags.push(
            Diagnostic::error("an `import` block takes no labels")
                .with_detail("write it as import { to = aws_vpc.main, id = \"vpc-0abc123\" }")
                .with_span(hspan),
        );
        return;
    }
    let mut decl = ImportDecl {
        file: i,
        span: hspan.clone(),
        to: None,
        id: None,
    };
    for a in block.body.attributes() {
        match a.key.as_str() {
            "to" => decl.to = Some((a.value.clone(), attr_span(file, a))),
            "id" => decl.id = Some(a.value.clone()),
            other => diags.push(
                Diagnostic::error(format!("unsupported argument `{other}` in an import block"))
                    .with_detail("an import block takes `to` (the resource address) and `id` (Terraform's import ID); `for_each` and `provider` are not supported")
                    .with_span(attr_span(file, a)),
            ),
        }
    }
    for b in block.body.blocks() {
        diags.push(
            Diagnostic::error(format!(
                "unexpected block `{}` in an import block",
                b.ident.as_str()
            ))
            .with_detail("an import block takes only `to` and `id`")
            .with_span(header_span(file, b)),
        );
    }
    for (missing, what) in [
        (
            decl.to.is_none(),
            "`to` (the address to import into, e.g. `to = aws_vpc.main`)",
        ),
        (
            decl.id.is_none(),
            "`id` (Terraform's import ID, e.g. `id = \"vpc-0abc123\"`)",
        ),
    ] {
        if missing {
            diags.push(
                Diagnostic::error(format!("an import block needs {what}")).with_span(hspan.clone()),
            );
        }
    }
    d.imports.push(decl);
}

/// Check every import block of the root module and evaluate its id.
pub(crate) fn imports(stack: &Stack, diags: &mut Vec<Diagnostic>) -> Vec<ImportBlock> {
    let Some(root) = stack.root() else {
        return Vec::new();
    };
    if root.decls.imports.is_empty() {
        return Vec::new();
    }
    let roots: Vec<Node> = stack
        .graph
        .nodes()
        .filter(|n| matches!(n, Node::Variable(p, _) | Node::Local(p, _) if p.is_empty()))
        .cloned()
        .collect();
    let needs = stack.graph.closure(roots.iter());
    let mut w = Walker::new(stack);
    w.run(Some(&needs), &mut |_| Value::Unknown);
    let scope = w
        .scopes
        .remove(&Vec::new())
        .map(ModScope::into_values)
        .unwrap_or_default();
    let mut out: Vec<ImportBlock> = Vec::new();
    for decl in &root.decls.imports {
        let (Some((to, to_span)), Some(id)) = (&decl.to, &decl.id) else {
            continue;
        };
        let file = &root.files[decl.file];
        let text = to.to_string();
        let address = match Address::parse(text.trim()) {
            Ok(a) if a.mode == infra_model::Mode::Managed => a,
            Ok(_) => {
                diags.push(
                    Diagnostic::error(
                        "an import block's `to` must be a managed resource, not a data source",
                    )
                    .with_span(to_span.clone()),
                );
                continue;
            }
            Err(e) => {
                diags.push(
                    Diagnostic::error(format!("invalid `to` in an import block: {e}"))
                        .with_detail("write the resource's address, e.g. `to = aws_subnet.private[\"us-east-1a\"]`")
                        .with_span(to_span.clone()),
                );
                continue;
            }
        };
        if stack.resource(&address).is_none() {
            diags.push(
                Diagnostic::error(format!("cannot import into `{address}`: the configuration has no such resource"))
                    .with_detail("add a `resource` block for it (import needs the configuration the object should match)")
                    .with_span(to_span.clone()),
            );
            continue;
        }
        if let Some(prev) = out.iter().find(|b| b.to == address) {
            let mut d = Diagnostic::error(format!("duplicate import block for `{address}`"))
                .with_detail("an address can be imported only once; remove one of them")
                .with_span(decl.span.clone());
            if let Some(s) = &prev.span {
                d = d.with_related(s.clone(), "first imported here");
            }
            diags.push(d);
            continue;
        }
        let value = match infra_lang::eval(id, &scope, file) {
            Ok(v) => v.unmark_deep(),
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        match value {
            Value::String(s) if !s.is_empty() => out.push(ImportBlock {
                to: address,
                id: s,
                span: decl.span.clone(),
            }),
            other => diags.push(
                Diagnostic::error(format!(
                    "an import block's `id` must be a non-empty string known before planning, found {}",
                    if other.is_wholly_known() { other.to_string() } else { "a value known only after apply".into() }
                ))
                .with_detail("write the import ID as a string, or build it from variables and locals")
                .with_span(span(file, id)),
            ),
        }
    }
    out
}
