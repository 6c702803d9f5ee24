//! Terraform 1.5 `import` blocks: `import { to = ADDR, id = "..." }` in the root module,
//! and Terraform 1.7's `for_each` over them (`to = aws_subnet.this[each.key]`,
//! `id = each.value`). Lowering keeps the block; [`imports`] evaluates `for_each` and `id`
//! (variables and locals only) once the stack is loaded, expands the block into one import
//! per element, and checks each `to` against the configuration.

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
    pub for_each: Option<(Expression, Option<Span>)>,
    /// `provider = aws.ALIAS`: must be the target resource's configuration.
    pub provider: Option<(String, Option<Span>)>,
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
        for_each: None,
        provider: None,
    };
    for a in block.body.attributes() {
        match a.key.as_str() {
            "to" => decl.to = Some((a.value.clone(), attr_span(file, a))),
            "id" => decl.id = Some(a.value.clone()),
            "for_each" => decl.for_each = Some((a.value.clone(), attr_span(file, a))),
            "provider" => {
                let at = attr_span(file, a);
                let written = crate::meta::traversal_path(&a.value).unwrap_or_default();
                match written.split_once('.').unwrap_or((written.as_str(), "")) {
                    ("aws", alias) => decl.provider = Some((alias.to_string(), at)),
                    _ => diags.push(
                        Diagnostic::error("an import block's `provider` must name an `aws` provider configuration")
                            .with_detail("write it as `provider = aws.west` (the `alias` of a `provider \"aws\"` block), the same as the resource's own `provider`")
                            .with_span(at),
                    ),
                }
            }
            other => diags.push(
                Diagnostic::error(format!("unsupported argument `{other}` in an import block"))
                    .with_detail("an import block takes `to` (the resource address), `id` (Terraform's import ID), `for_each` and `provider`")
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
        let Some((for_each, fe_span)) = &decl.for_each else {
            let text = to.to_string();
            let address = match Address::parse(text.trim()) {
                Ok(a) => a,
                Err(e) => {
                    diags.push(bad_to(&e.to_string(), to_span));
                    continue;
                }
            };
            check_one(
                stack, decl, address, id, &scope, file, to_span, &mut out, diags,
            );
            continue;
        };
        let items = match infra_lang::eval(for_each, &scope, file).map(|v| v.unmark_deep()) {
            Ok(v) => match each_items(&v) {
                Ok(items) => items,
                Err(why) => {
                    diags.push(
                        Diagnostic::error(format!("invalid `for_each` in an import block: {why}"))
                            .with_detail("give a map (each.key is its key), a set of strings, or a list (each.key is the index), built from variables and locals")
                            .with_span(fe_span.clone()),
                    );
                    continue;
                }
            },
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        for (key, value) in items {
            let each = crate::scope::Bind {
                parent: &scope,
                name: "each",
                value: Value::map([("key", key), ("value", value)]),
            };
            let address = match to_address(to, &each, file) {
                Ok(a) => a,
                Err(why) => {
                    diags.push(bad_to(&why, to_span));
                    break;
                }
            };
            check_one(
                stack, decl, address, id, &each, file, to_span, &mut out, diags,
            );
        }
    }
    out
}

fn bad_to(why: &str, to_span: &Option<Span>) -> Diagnostic {
    Diagnostic::error(format!("invalid `to` in an import block: {why}"))
        .with_detail("write the resource's address, e.g. `to = aws_subnet.private[\"us-east-1a\"]` (with `for_each`: `to = aws_subnet.private[each.key]`)")
        .with_span(to_span.clone())
}

/// `(each.key, each.value)` of an import block's `for_each`.
fn each_items(v: &Value) -> Result<Vec<(Value, Value)>, String> {
    match v {
        Value::Map(m) => Ok(m
            .iter()
            .map(|(k, v)| (Value::string(k), v.clone()))
            .collect()),
        // a set of strings (`toset(...)`): the key is the element
        Value::List(l) if l.iter().all(|x| matches!(x, Value::String(_))) => {
            Ok(l.iter().map(|x| (x.clone(), x.clone())).collect())
        }
        Value::List(l) => Ok(l
            .iter()
            .enumerate()
            .map(|(i, x)| (Value::Number(i as f64), x.clone()))
            .collect()),
        Value::Null => Err("it is null".into()),
        other if !other.is_wholly_known() => Err("it is known only after apply".into()),
        other => Err(format!(
            "it is {}, not a map, set or list",
            other.type_name()
        )),
    }
}

/// The address `to` names for one element: the traversal with its index expressions
/// (`[each.key]`) evaluated.
fn to_address(
    to: &Expression,
    scope: &dyn infra_lang::Scope,
    file: &SourceFile,
) -> Result<Address, String> {
    use hcl_edit::expr::TraversalOperator;
    let Expression::Traversal(t) = to else {
        return Address::parse(to.to_string().trim()).map_err(|e| e.to_string());
    };
    let mut text = match &t.expr {
        Expression::Variable(v) => v.as_str().to_string(),
        _ => return Err("expected a resource address".into()),
    };
    for op in &t.operators {
        match op.value() {
            TraversalOperator::GetAttr(k) => {
                text.push('.');
                text.push_str(k.as_str());
            }
            TraversalOperator::LegacyIndex(n) => text.push_str(&format!("[{}]", n.value())),
            TraversalOperator::Index(e) => {
                match infra_lang::eval(e, scope, file).map(|v| v.unmark_deep()) {
                    Ok(Value::String(s)) => text.push_str(&format!(
                        "[{}]",
                        serde_json::to_string(&s).unwrap_or_default()
                    )),
                    Ok(Value::Number(n)) if n >= 0.0 && n.fract() == 0.0 => {
                        text.push_str(&format!("[{n}]"))
                    }
                    Ok(other) => {
                        return Err(format!(
                            "an instance key must be a string or a whole number, found {}",
                            other.type_name()
                        ))
                    }
                    Err(d) => return Err(d.summary),
                }
            }
            _ => return Err("splats are not allowed in an address".into()),
        }
    }
    Address::parse(&text).map_err(|e| e.to_string())
}

/// Check one import's address against the configuration and the imports before it, and
/// evaluate its id.
#[allow(clippy::too_many_arguments)]
fn check_one(
    stack: &Stack,
    decl: &ImportDecl,
    address: Address,
    id: &Expression,
    scope: &dyn infra_lang::Scope,
    file: &SourceFile,
    to_span: &Option<Span>,
    out: &mut Vec<ImportBlock>,
    diags: &mut Vec<Diagnostic>,
) {
    if address.mode != infra_model::Mode::Managed {
        diags.push(
            Diagnostic::error(
                "an import block's `to` must be a managed resource, not a data source",
            )
            .with_span(to_span.clone()),
        );
        return;
    }
    let Some(resource) = stack.resource(&address) else {
        diags.push(
            Diagnostic::error(format!("cannot import into `{address}`: the configuration has no such resource"))
                .with_detail("add a `resource` block for it (import needs the configuration the object should match)")
                .with_span(to_span.clone()),
        );
        return;
    };
    if let Some((alias, at)) = &decl.provider {
        if *alias != resource.provider_key {
            let name = |a: &str| match a {
                "" => "aws".to_string(),
                a => format!("aws.{a}"),
            };
            diags.push(
                Diagnostic::error(format!(
                    "the import block's `provider = {}` is not `{address}`'s configuration ({})",
                    name(alias),
                    name(&resource.provider_key)
                ))
                .with_detail("the object is imported through the resource's own provider configuration: make the two the same, or remove the import block's `provider`")
                .with_span(at.clone()),
            );
            return;
        }
    }
    if let Some(prev) = out.iter().find(|b| b.to == address) {
        let mut d = Diagnostic::error(format!("duplicate import block for `{address}`"))
            .with_detail("an address can be imported only once; remove one of them")
            .with_span(decl.span.clone());
        if let Some(s) = &prev.span {
            d = d.with_related(s.clone(), "first imported here");
        }
        diags.push(d);
        return;
    }
    let value = match infra_lang::eval(id, scope, file) {
        Ok(v) => v.unmark_deep(),
        Err(d) => {
            diags.push(d);
            return;
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
                if other.is_wholly_known() {
                    other.to_string()
                } else {
                    "a value known only after apply".into()
                }
            ))
            .with_detail("write the import ID as a string, or build it from variables and locals")
            .with_span(span(file, id)),
        ),
    }
}
