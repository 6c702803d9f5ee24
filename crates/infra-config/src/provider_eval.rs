//! The provider block, evaluated at load time from variables and locals, and the check of
//! each resource's `region` against it.

use std::collections::BTreeMap;

use hcl_edit::expr::Expression;
use infra_lang::TypeConstraint;
use infra_model::{Address, Diagnostic, Value};

use crate::decl::span;
use crate::eval::Walker;
use crate::graph::Node;
use crate::stored::ModScope;
use crate::{ProviderConfig, Stack};

/// Evaluate every `provider "aws"` block at load time (from variables and locals only),
/// by configuration key (`providers::config_key`): `""` is always there (an empty
/// configuration when the stack has no block without `alias`, as Terraform's implicit
/// one); a block inside a module (legacy, as Terraform still allows) is evaluated from
/// that module's variables and locals.
pub(crate) fn providers(
    stack: &Stack,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, ProviderConfig> {
    let mut out = BTreeMap::from([(String::new(), ProviderConfig::default())]);
    for (path, m) in &stack.modules {
        for alias in m.decls.providers.keys() {
            out.insert(
                crate::providers::config_key(path, alias),
                provider(stack, path, alias, diags),
            );
        }
    }
    out
}

/// Evaluate one provider block.
fn provider(
    stack: &Stack,
    path: &[String],
    alias: &str,
    diags: &mut Vec<Diagnostic>,
) -> ProviderConfig {
    let Some(m) = stack.modules.get(path) else {
        return ProviderConfig::default();
    };
    let Some(p) = m.decls.providers.get(alias) else {
        return ProviderConfig::default();
    };
    let node = Node::Provider(crate::providers::config_key(path, alias));
    let needs = stack.graph.closure([&node]);
    if let Some(Node::Resource(a)) = needs.iter().find(|n| matches!(n, Node::Resource(_))) {
        diags.push(
            Diagnostic::error(format!("the provider configuration cannot depend on `{a}`"))
                .with_detail("configure the provider from variables and locals that do not refer to resources or data sources")
                .with_span(p.span.clone()),
        );
        return ProviderConfig::default();
    }
    let mut w = Walker::new(stack);
    w.run(Some(&needs), &mut |_| Value::Unknown);
    diags.append(&mut w.diags);
    // the module's one instance: a module with a provider block has no count or for_each
    let instance: Vec<infra_model::ModuleStep> = path
        .iter()
        .map(|name| infra_model::ModuleStep {
            name: name.clone(),
            key: None,
        })
        .collect();
    let base = w
        .scopes
        .remove(&instance)
        .map(ModScope::into_values)
        .unwrap_or_default();
    let file = &m.files[p.file];
    let mut out = ProviderConfig::default();
    let mut get = |e: &Expression, ty: TypeConstraint, what: &str| -> Option<Value> {
        let v = infra_lang::eval(e, &base, file)
            .map_err(|d| diags.push(d))
            .ok()?;
        if v.is_null() {
            return None;
        }
        match infra_lang::convert(v, &ty) {
            Ok(v) if v.is_wholly_known() => Some(v),
            Ok(_) => None,
            Err(why) => {
                diags.push(
                    Diagnostic::error(format!("invalid value for the provider's `{what}`: {why}"))
                        .with_span(span(file, e)),
                );
                None
            }
        }
    };
    if let Some(a) = p.body.get_attribute("region") {
        out.region = get(&a.value, TypeConstraint::String, "region")
            .and_then(|v| v.as_str().map(str::to_string));
    }
    for b in p.body.get_blocks("default_tags") {
        if let Some(a) = b.body.get_attribute("tags") {
            if let Some(Value::Map(m)) = get(
                &a.value,
                TypeConstraint::Map(Box::new(TypeConstraint::String)),
                "default_tags.tags",
            ) {
                out.default_tags.extend(
                    m.into_iter()
                        .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string()))),
                );
            }
        }
    }
    out
}

/// The AWS provider v6's per-resource `region`: the key of the configuration the instance
/// goes to (`DesiredInstance::provider`). Null, or the configuration's own region, keeps
/// `alias`; another region gives `alias@REGION` (that region, with the configuration's
/// other settings); a region not known yet gives `alias@`, which the planner refuses (it
/// must know where to send the instance), while walks that only check accept it.
pub(crate) fn region_key(
    alias: &str,
    provider: &ProviderConfig,
    e: &Expression,
    scope: &dyn infra_lang::Scope,
    file: &infra_lang::SourceFile,
    address: &Address,
    diags: &mut Vec<Diagnostic>,
) -> String {
    let v = match infra_lang::eval(e, scope, file) {
        Ok(v) => v.unmark_deep(),
        Err(d) => {
            diags.push(d);
            return alias.to_string();
        }
    };
    match v {
        Value::Null => alias.to_string(),
        Value::Unknown => format!("{alias}@"),
        Value::String(r) if provider.region.as_deref() == Some(r.as_str()) => alias.to_string(),
        Value::String(r) if is_region(&r) => infra_model::provider_key(alias, Some(&r)),
        Value::String(r) => {
            diags.push(
                Diagnostic::error(format!("{address}: `region = \"{r}\"` is not an AWS region name"))
                    .with_detail("write a region such as `us-east-1` or `eu-west-1`, or remove `region` to use the provider configuration's")
                    .with_span(span(file, e))
                    .with_address(address),
            );
            alias.to_string()
        }
        other => {
            diags.push(
                Diagnostic::error(format!(
                    "{address}: `region` must be a string, found {}",
                    other.type_name()
                ))
                .with_span(span(file, e))
                .with_address(address),
            );
            alias.to_string()
        }
    }
}

/// A region name as AWS spells them (`us-east-1`, `us-gov-west-1`, `eu-central-2`):
/// lower-case letters, digits and dashes, starting with a letter, ending with a digit.
fn is_region(r: &str) -> bool {
    !r.is_empty()
        && r.len() <= 32
        && r.starts_with(|c: char| c.is_ascii_lowercase())
        && r.ends_with(|c: char| c.is_ascii_digit())
        && r.contains('-')
        && r.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}
