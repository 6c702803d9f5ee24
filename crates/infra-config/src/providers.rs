//! Provider configurations across modules: each module's `aws` configurations (its
//! aliases, `""` the default) mapped to the root module's `provider "aws"` blocks through
//! the module calls' `providers = { ... }` arguments, and each resource's `provider =
//! aws.ALIAS` resolved to one of those blocks.

use std::collections::BTreeMap;

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::Attribute;
use infra_lang::SourceFile;
use infra_model::{Diagnostic, Span};

use crate::decl::{attr_span, is_identifier, span};
use crate::meta::traversal_path;
use crate::modules::{annotate, display, Module};

/// `aws` → `""`, `aws.west` → `"west"`; `None` for another provider's configuration
/// (`random`, `kubernetes.x`: nothing infra passes) or for what is not a reference.
fn aws_alias(written: &str) -> Option<Result<String, ()>> {
    let (name, alias) = written.split_once('.').unwrap_or((written, ""));
    if name != "aws" {
        return (!is_identifier(name)).then_some(Err(()));
    }
    if !alias.is_empty() && !is_identifier(alias) {
        return Some(Err(()));
    }
    Some(Ok(alias.to_string()))
}

/// A module call's `providers = { aws = aws.west, aws.east = aws.b }`: (the child's alias,
/// the caller's alias, the entry's span) for each `aws` entry.
pub(crate) fn lower_map(
    call: &str,
    file: &SourceFile,
    a: &Attribute,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(String, String, Option<Span>)> {
    let bad = |at: Option<Span>| {
        Diagnostic::error(format!("module \"{call}\": `providers` must map provider configurations"))
            .with_detail("write it as `providers = { aws = aws.west }` (the module's `aws` is the caller's `aws.west`), or `{ aws.east = aws.east }` for an alias the module uses")
            .with_span(at)
    };
    let Expression::Object(object) = &a.value else {
        diags.push(bad(attr_span(file, a)));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in object.iter() {
        let child = match key {
            ObjectKey::Ident(i) => Some(i.as_str().to_string()),
            ObjectKey::Expression(e) => traversal_path(e),
        };
        let at = span(file, value.expr());
        let parent = traversal_path(value.expr());
        let (Some(child), Some(parent)) = (child, parent) else {
            diags.push(bad(at));
            continue;
        };
        match (aws_alias(&child), aws_alias(&parent)) {
            (Some(Ok(c)), Some(Ok(p))) => out.push((c, p, at)),
            (None, None) => {} // another provider's configuration
            _ => diags.push(bad(at)),
        }
    }
    out
}

/// The key of the `provider "aws"` configuration `alias` declared in the module at `path`:
/// the alias itself in the root module (`""` the default), `module.NAME[.module.NAME...]`
/// for a (legacy) block inside a module, `.ALIAS` appended for an aliased one. Never an
/// `@` (see `infra_model::provider_key`).
pub fn config_key(path: &[String], alias: &str) -> String {
    if path.is_empty() {
        return alias.to_string();
    }
    let mut key = path
        .iter()
        .map(|n| format!("module.{n}"))
        .collect::<Vec<_>>()
        .join(".");
    if !alias.is_empty() {
        key.push('.');
        key.push_str(alias);
    }
    key
}

/// The module path and alias of a configuration key ([`config_key`] reversed).
pub fn split_key(key: &str) -> (Vec<String>, String) {
    let mut path = Vec::new();
    let mut rest = key;
    while let Some(after) = rest.strip_prefix("module.") {
        let (name, tail) = after.split_once('.').unwrap_or((after, ""));
        path.push(name.to_string());
        rest = tail;
    }
    (path, rest.to_string())
}

/// Fill in each module's [`Module::providers`] and each resource's `provider_key`,
/// parents before children (module paths sort that way). The default configuration is
/// inherited by a module unless its call passes another; an alias only when passed.
pub(crate) fn resolve(modules: &mut BTreeMap<Vec<String>, Module>, diags: &mut Vec<Diagnostic>) {
    let paths: Vec<Vec<String>> = modules.keys().cloned().collect();
    for path in paths {
        let mut map = BTreeMap::new();
        let mut call_span = None;
        let mut expanded = false;
        if let Some((name, parent_path)) = path.split_last() {
            let Some(parent) = modules.get(parent_path) else {
                continue;
            };
            let call = parent.decls.calls.get(name);
            expanded = call.is_some_and(|c| c.count.is_some() || c.for_each.is_some());
            call_span = call.and_then(|c| c.span.clone());
            if let Some(default) = parent.providers.get("") {
                map.insert(String::new(), default.clone());
            }
            for (child, from, at) in call
                .and_then(|c| c.providers.as_ref())
                .into_iter()
                .flatten()
            {
                match parent.providers.get(from) {
                    Some(root) => {
                        map.insert(child.clone(), root.clone());
                    }
                    None => {
                        let mut d = Diagnostic::error(format!(
                            "module \"{name}\": `providers` passes `aws.{from}`, which {} does not have",
                            if parent_path.is_empty() { "the root module".to_string() } else { display(parent_path) }
                        ))
                        .with_detail(format!(
                            "declare `provider \"aws\" {{ alias = \"{from}\" ... }}` in the root module{}",
                            if parent_path.is_empty() { "" } else { " and pass it down through each module's `providers`" }
                        ))
                        .with_span(at.clone());
                        if !parent_path.is_empty() {
                            annotate(&mut d, parent_path, None);
                        }
                        diags.push(d);
                    }
                }
            }
        } else {
            map.insert(String::new(), String::new());
            if let Some(root) = modules.get(&path) {
                for alias in root.decls.providers.keys() {
                    map.insert(alias.clone(), alias.clone());
                }
            }
        }
        let Some(module) = modules.get_mut(&path) else {
            continue;
        };
        // a module's own (legacy) provider blocks configure it and what it calls
        if !path.is_empty() {
            for (i, (alias, p)) in module.decls.providers.iter().enumerate() {
                map.insert(alias.clone(), config_key(&path, alias));
                if expanded && i == 0 {
                    let mut d = Diagnostic::error(format!(
                        "{}: a module with its own `provider \"aws\"` block cannot be called with `count` or `for_each`",
                        display(&path)
                    ))
                    .with_detail("as in Terraform: move the provider block to the root module and pass it with the call's `providers = { aws = aws.NAME }`")
                    .with_span(p.span.clone());
                    annotate(&mut d, &path, None);
                    diags.push(d);
                }
            }
        }
        for r in module.decls.resources.values_mut() {
            let (alias, at) = &r.provider_ref;
            match map.get(alias) {
                Some(root) => r.provider_key = root.clone(),
                None if path.is_empty() => diags.push(
                    Diagnostic::error(format!(
                        "{}: no `provider \"aws\"` block has `alias = \"{alias}\"`",
                        r.address
                    ))
                    .with_detail(format!(
                        "declare `provider \"aws\" {{ alias = \"{alias}\"  region = \"...\" }}`, or name one the stack has: {}",
                        configured(&map)
                    ))
                    .with_span(at.clone())
                    .with_address(&r.address),
                ),
                None => {
                    let mut d = Diagnostic::error(format!(
                        "{}: `provider = aws.{alias}`, but {} is not passed `aws.{alias}`",
                        r.address,
                        display(&path)
                    ))
                    .with_detail(format!(
                        "pass it in the module block: `providers = {{ aws.{alias} = aws.NAME }}`, naming a configuration of the caller"
                    ))
                    .with_span(at.clone())
                    .with_address(&r.address);
                    annotate(&mut d, &path, call_span.as_ref());
                    diags.push(d);
                }
            }
        }
        module.providers = map;
    }
}

fn configured(map: &BTreeMap<String, String>) -> String {
    map.keys()
        .map(|a| match a.as_str() {
            "" => "`aws`".to_string(),
            a => format!("`aws.{a}`"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
