//! Block-level settings that are literal: variable declarations, output settings,
//! resource meta-arguments (`count`, `for_each`, `depends_on`, `lifecycle`).

use std::collections::BTreeMap;

use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{Block, Body};
use infra_lang::{SourceFile, TypeConstraint};
use infra_model::{Address, Diagnostic, Lifecycle, Span, Value};

use crate::decl::{
    attr_span, header_span, span, Expansion, OutputDecl, ResourceConfig, Validation, VariableDecl,
};

/// Evaluate an expression that must not reference anything (defaults, flags).
pub(crate) fn literal(expr: &Expression, file: &SourceFile) -> Result<Value, Diagnostic> {
    let empty: BTreeMap<String, Value> = BTreeMap::new();
    infra_lang::eval(expr, &empty, file)
}

fn literal_bool(
    body: &Body,
    name: &str,
    file: &SourceFile,
    default: bool,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let Some(a) = body.get_attribute(name) else {
        return default;
    };
    match literal(&a.value, file) {
        Ok(Value::Bool(b)) => b,
        Ok(Value::Null) => default,
        Ok(Value::String(s)) if s == "true" || s == "false" => s == "true",
        Ok(v) => {
            diags.push(
                Diagnostic::error(format!(
                    "`{name}` must be true or false, found {}",
                    v.type_name()
                ))
                .with_detail("write a literal bool")
                .with_span(span(file, &a.value)),
            );
            default
        }
        Err(e) => {
            diags.push(e);
            default
        }
    }
}

fn literal_string(
    body: &Body,
    name: &str,
    file: &SourceFile,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let a = body.get_attribute(name)?;
    match literal(&a.value, file) {
        Ok(Value::String(s)) => Some(s),
        Ok(Value::Null) => None,
        Ok(v) => {
            diags.push(
                Diagnostic::error(format!(
                    "`{name}` must be a string, found {}",
                    v.type_name()
                ))
                .with_span(span(file, &a.value)),
            );
            None
        }
        Err(e) => {
            diags.push(e);
            None
        }
    }
}

fn unexpected(
    diags: &mut Vec<Diagnostic>,
    file: &SourceFile,
    body: &Body,
    in_what: &str,
    attrs: &[&str],
    blocks: &[&str],
) {
    for a in body.attributes() {
        let k = a.key.as_str();
        if !attrs.contains(&k) {
            let mut d = Diagnostic::error(format!("unknown argument `{k}` in {in_what}"))
                .with_span(attr_span(file, a));
            d = match infra_model::schema::did_you_mean(k, attrs.iter().copied()) {
                Some(s) => d.with_detail(format!("did you mean `{s}`?")),
                None => d.with_detail(format!("expected one of: {}", attrs.join(", "))),
            };
            diags.push(d);
        }
    }
    for b in body.blocks() {
        let k = b.ident.as_str();
        if !blocks.contains(&k) {
            let detail = if blocks.is_empty() {
                "remove the block".to_string()
            } else {
                format!("expected one of: {}", blocks.join(", "))
            };
            diags.push(
                Diagnostic::error(format!("unexpected block `{k}` in {in_what}"))
                    .with_detail(detail)
                    .with_span(header_span(file, b)),
            );
        }
    }
}

pub(crate) fn variable(
    i: usize,
    file: &SourceFile,
    block: &Block,
    hspan: Option<Span>,
    diags: &mut Vec<Diagnostic>,
) -> VariableDecl {
    let body = &block.body;
    unexpected(
        diags,
        file,
        body,
        "a variable block",
        &[
            "type",
            "default",
            "description",
            "sensitive",
            "nullable",
            "ephemeral",
        ],
        &["validation"],
    );
    let (ty, type_defaults) = match body.get_attribute("type") {
        Some(a) => infra_lang::parse_type_with_defaults(&a.value, file).unwrap_or_else(|e| {
            diags.push(e);
            (TypeConstraint::Any, Default::default())
        }),
        None => (TypeConstraint::Any, Default::default()),
    };
    let _ = literal_string(body, "description", file, diags);
    let mut validations = Vec::new();
    for v in body.get_blocks("validation") {
        unexpected(
            diags,
            file,
            &v.body,
            "a validation block",
            &["condition", "error_message"],
            &[],
        );
        match v.body.get_attribute("condition") {
            Some(c) => validations.push(Validation { file: i, condition: c.value.clone(), error_message: v.body.get_attribute("error_message").map(|e| e.value.clone()) }),
            None => diags.push(
                Diagnostic::error("a validation block needs a `condition`")
                    .with_detail("add `condition = <bool expression using var.<name>>` and an `error_message`")
                    .with_span(header_span(file, v)),
            ),
        }
    }
    VariableDecl {
        file: i,
        span: hspan,
        ty,
        type_defaults,
        default: body.get_attribute("default").map(|a| a.value.clone()),
        sensitive: literal_bool(body, "sensitive", file, false, diags),
        nullable: literal_bool(body, "nullable", file, true, diags),
        validations,
    }
}

pub(crate) fn output(
    i: usize,
    file: &SourceFile,
    block: &Block,
    hspan: Option<Span>,
    diags: &mut Vec<Diagnostic>,
) -> OutputDecl {
    let body = &block.body;
    unexpected(
        diags,
        file,
        body,
        "an output block",
        &[
            "value",
            "sensitive",
            "description",
            "depends_on",
            "ephemeral",
        ],
        &["precondition"],
    );
    let preconditions = body
        .get_blocks("precondition")
        .filter_map(|b| {
            crate::conditions::lower(crate::conditions::Kind::Precondition, i, file, b, diags)
        })
        .collect();
    let value = body.get_attribute("value").map(|a| a.value.clone());
    if value.is_none() {
        diags.push(
            Diagnostic::error("an output block needs a `value`")
                .with_detail("add `value = <expression>`")
                .with_span(hspan.clone()),
        );
    }
    OutputDecl {
        file: i,
        span: hspan,
        value,
        sensitive: literal_bool(body, "sensitive", file, false, diags),
        description: literal_string(body, "description", file, diags),
        depends_on_exprs: depends_on(body, file, diags),
        preconditions,
    }
}

pub(crate) fn depends_on(
    body: &Body,
    file: &SourceFile,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Expression> {
    let Some(a) = body.get_attribute("depends_on") else {
        return Vec::new();
    };
    match &a.value {
        Expression::Array(items) => items.iter().cloned().collect(),
        other => {
            diags.push(
                Diagnostic::error("`depends_on` must be a list of references")
                    .with_detail(
                        "write it as `depends_on = [aws_vpc.main, data.aws_region.current]`",
                    )
                    .with_span(span(file, other)),
            );
            Vec::new()
        }
    }
}

/// Meta-argument names a resource or data block may hold besides its schema's.
/// `region` is the AWS provider v6's per-resource region (`crate::eval` checks it).
pub(crate) const META_ATTRS: &[&str] = &["count", "for_each", "depends_on", "provider", "region"];
pub(crate) const META_BLOCKS: &[&str] = &["lifecycle", "timeouts"];

pub(crate) fn resource(
    address: Address,
    i: usize,
    file: &SourceFile,
    block: &Block,
    hspan: Option<Span>,
    diags: &mut Vec<Diagnostic>,
) -> ResourceConfig {
    let body = &block.body;
    let count = body.get_attribute("count").map(|a| a.value.clone());
    let for_each = body.get_attribute("for_each").map(|a| a.value.clone());
    if count.is_some() && for_each.is_some() {
        diags.push(
            Diagnostic::error("`count` and `for_each` cannot both be set")
                .with_detail("keep one of them")
                .with_span(
                    body.get_attribute("for_each")
                        .and_then(|a| attr_span(file, a)),
                )
                .with_address(&address),
        );
    }
    let expansion = if for_each.is_some() {
        Expansion::ForEach
    } else if count.is_some() {
        Expansion::Count
    } else {
        Expansion::Single
    };
    let mut lifecycle = Lifecycle::default();
    let mut conditions = Vec::new();
    let mut seen_lifecycle = false;
    for b in body.blocks() {
        match b.ident.as_str() {
            "lifecycle" => {
                if seen_lifecycle {
                    diags.push(Diagnostic::error("duplicate lifecycle block").with_detail("merge the settings into one lifecycle block").with_span(header_span(file, b)));
                }
                seen_lifecycle = true;
                lifecycle = parse_lifecycle(file, &b.body, address.mode == infra_model::Mode::Data, diags);
                use crate::conditions::{lower, Kind};
                for c in b.body.blocks() {
                    let kind = match c.ident.as_str() {
                        "precondition" => Kind::Precondition,
                        "postcondition" => Kind::Postcondition,
                        _ => continue,
                    };
                    conditions.extend(lower(kind, i, file, c, diags));
                }
            }
            "timeouts" => crate::timeouts::check_block(file, b, diags),
            "provisioner" | "connection" => diags.push(
                Diagnostic::error(format!("`{}` blocks are not supported", b.ident.as_str()))
                    .with_detail("infra manages cloud resources only; run configuration steps outside the stack")
                    .with_span(header_span(file, b)),
            ),
            _ => {}
        }
    }
    let provider_ref = provider_ref(&address, body, file, diags);
    ResourceConfig {
        address,
        span: hspan,
        provider_ref,
        provider_key: String::new(),
        lifecycle,
        depends_on: Vec::new(),
        expansion,
        file: i,
        body: body.clone(),
        count,
        for_each,
        depends_on_exprs: depends_on(body, file, diags),
        conditions,
    }
}

/// A resource's `provider` meta-argument: `aws` or `aws.ALIAS` (the alias, `""` for the
/// default configuration, with the argument's span). The built-in providers' types may
/// name theirs (`random.x`): they have nothing to configure, so it is ignored.
fn provider_ref(
    address: &Address,
    body: &Body,
    file: &SourceFile,
    diags: &mut Vec<Diagnostic>,
) -> (String, Option<Span>) {
    let Some(a) = body.get_attribute("provider") else {
        return (String::new(), None);
    };
    let at = attr_span(file, a);
    let written = traversal_path(&a.value);
    let (name, alias) = match written
        .as_deref()
        .map(|p| p.split_once('.').unwrap_or((p, "")))
    {
        Some((name, alias))
            if crate::decl::is_identifier(name)
                && (alias.is_empty() || crate::decl::is_identifier(alias)) =>
        {
            (name.to_string(), alias.to_string())
        }
        _ => {
            diags.push(
                Diagnostic::error(format!("{address}: `provider` must name a provider configuration"))
                    .with_detail("write it as `provider = aws.west`, naming the `alias` of a `provider \"aws\"` block (or `provider = aws` for the one without)")
                    .with_span(at)
                    .with_address(address),
            );
            return (String::new(), None);
        }
    };
    if !address.type_name.starts_with("aws_") {
        // a built-in provider's type (nothing to configure) or another provider's (an
        // error of its own)
        return (String::new(), None);
    }
    if name != "aws" {
        diags.push(
            Diagnostic::error(format!("{address}: `provider = {}` names another provider than `aws`", written.unwrap_or_default()))
                .with_detail(format!("`{}` belongs to the aws provider; write `provider = aws` or `provider = aws.ALIAS`", address.type_name))
                .with_span(at)
                .with_address(address),
        );
        return (String::new(), None);
    }
    (alias, at)
}

fn parse_lifecycle(
    file: &SourceFile,
    body: &Body,
    data: bool,
    diags: &mut Vec<Diagnostic>,
) -> Lifecycle {
    if data {
        unexpected(
            diags,
            file,
            body,
            "a data source's lifecycle block",
            &[],
            &["precondition", "postcondition"],
        );
        return Lifecycle::default();
    }
    unexpected(
        diags,
        file,
        body,
        "a lifecycle block",
        &["create_before_destroy", "prevent_destroy", "ignore_changes"],
        &["precondition", "postcondition"],
    );
    let mut l = Lifecycle {
        create_before_destroy: literal_bool(body, "create_before_destroy", file, false, diags),
        prevent_destroy: literal_bool(body, "prevent_destroy", file, false, diags),
        ignore_changes: Vec::new(),
        timeouts: Default::default(),
    };
    if let Some(a) = body.get_attribute("ignore_changes") {
        let bad = |e: &Expression| {
            Diagnostic::error("`ignore_changes` must be `all` or a list of attribute paths")
                .with_detail("write it as `ignore_changes = [tags, scaling_config[0].desired_size]` or `ignore_changes = all`")
                .with_span(span(file, e))
        };
        match &a.value {
            Expression::Variable(v) if v.as_str() == "all" => l.ignore_changes = vec!["all".into()],
            Expression::String(s) if s.as_str() == "all" => l.ignore_changes = vec!["all".into()],
            Expression::Array(items) => {
                for e in items.iter() {
                    match traversal_path(e) {
                        Some(p) => l.ignore_changes.push(p),
                        None => diags.push(bad(e)),
                    }
                }
            }
            other => diags.push(bad(other)),
        }
    }
    l
}

/// A static attribute path (`tags`, `scaling_config[0].desired_size`, `tags["Name"]`) as a string.
pub(crate) fn traversal_path(e: &Expression) -> Option<String> {
    match e {
        Expression::Variable(v) => Some(v.as_str().to_string()),
        Expression::String(s) => Some(s.as_str().to_string()),
        Expression::Traversal(t) => {
            let mut out = match &t.expr {
                Expression::Variable(v) => v.as_str().to_string(),
                _ => return None,
            };
            for op in &t.operators {
                match op.value() {
                    TraversalOperator::GetAttr(k) => {
                        out.push('.');
                        out.push_str(k.as_str());
                    }
                    TraversalOperator::LegacyIndex(n) => out.push_str(&format!("[{}]", n.value())),
                    TraversalOperator::Index(Expression::Number(n)) => {
                        out.push_str(&format!("[{}]", n.value()))
                    }
                    TraversalOperator::Index(Expression::String(s)) => {
                        out.push_str(&format!("[{}]", serde_json::to_string(s.as_str()).ok()?))
                    }
                    _ => return None,
                }
            }
            Some(out)
        }
        _ => None,
    }
}
