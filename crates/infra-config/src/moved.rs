//! `moved { from = ..., to = ... }` blocks: lowered with the module path of the module
//! that declares them, checked at load (endpoints of the same kind, no two blocks moving
//! the same object or onto the same address), and resolved against the state's addresses
//! by [`resolve_moves`] (pure). The engine renames the prior instances before planning, the
//! planner records each old address as the change's `previous_address`, and apply renames
//! the state rows before it runs the graph (`infra_state::Store::rename_resource`).
//!
//! Endpoints are a resource (`aws_vpc.a`: every instance, keys kept), a resource instance
//! (`aws_vpc.a[0]`, `aws_vpc.a["k"]`) or a module call (`module.a`: every object inside
//! it, every instance; `module.a["k"]`: one instance). Chains (`a` → `b`, `b` → `c`) are
//! followed. A `from` the state does not have does nothing, as in Terraform.

use std::collections::{BTreeMap, BTreeSet};

use hcl_edit::structure::Block;
use hcl_edit::Span as _;
use infra_lang::SourceFile;
use infra_model::{Address, Diagnostic, Mode, Span};

use crate::decl::{attr_span, header_span, Declarations};

/// One `moved` block, its endpoints with the declaring module's path.
#[derive(Debug, Clone, PartialEq)]
pub struct MovedBlock {
    pub from: Address,
    pub to: Address,
    /// The block's header.
    pub span: Option<Span>,
}

fn is_module(a: &Address) -> bool {
    a.type_name.is_empty()
}

fn endpoint(
    d: &Declarations,
    file: &SourceFile,
    block: &Block,
    name: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Address> {
    let Some(a) = block.body.get_attribute(name) else {
        diags.push(
            Diagnostic::error(format!("a moved block needs `{name}`"))
                .with_detail("write it as `moved { from = aws_vpc.old  to = aws_vpc.new }`")
                .with_span(header_span(file, block)),
        );
        return None;
    };
    let text = a
        .value
        .span()
        .and_then(|r| file.text.get(r))
        .unwrap_or("")
        .trim();
    let bad = |why: String| {
        Diagnostic::error(format!("invalid `{name}` in a moved block: {why}"))
            .with_detail("write a resource address (`aws_vpc.a`, `aws_vpc.a[0]`, `aws_vpc.a[\"k\"]`) or a module call (`module.net`, `module.net[\"k\"]`) without quotes")
            .with_span(attr_span(file, a))
    };
    let parsed = match Address::parse(text) {
        Ok(p) => p,
        Err(e) => {
            diags.push(bad(e.why));
            return None;
        }
    };
    if parsed.mode == Mode::Data {
        diags.push(bad("data sources are read again, not moved".into()));
        return None;
    }
    let mut module = crate::modules::steps(&d.path);
    module.extend(parsed.module.clone());
    Some(Address { module, ..parsed })
}

pub(crate) fn lower(
    d: &mut Declarations,
    file: &SourceFile,
    block: &Block,
    diags: &mut Vec<Diagnostic>,
) {
    let span = header_span(file, block);
    for a in block.body.attributes() {
        let k = a.key.as_str();
        if k != "from" && k != "to" {
            diags.push(
                Diagnostic::error(format!("unknown argument `{k}` in a moved block"))
                    .with_detail("a moved block takes `from` and `to`")
                    .with_span(attr_span(file, a)),
            );
        }
    }
    let from = endpoint(d, file, block, "from", diags);
    let to = endpoint(d, file, block, "to", diags);
    let (Some(from), Some(to)) = (from, to) else {
        return;
    };
    let err = |s: String, detail: &str| {
        Diagnostic::error(s)
            .with_detail(detail.to_string())
            .with_span(span.clone())
    };
    if is_module(&from) != is_module(&to) {
        diags.push(err(
            format!("cannot move `{from}` to `{to}`: one is a module call, the other a resource"),
            "move a module call to a module call, a resource to a resource",
        ));
    } else if !is_module(&from) && from.type_name != to.type_name {
        diags.push(err(
            format!("cannot move `{from}` to `{to}`: the resource types differ"),
            "a moved block renames an object; it cannot change its type",
        ));
    } else if from.key.is_some() != to.key.is_some()
        || from.module.last().map(|s| s.key.is_some()) != to.module.last().map(|s| s.key.is_some())
    {
        diags.push(err(
            format!(
                "cannot move `{from}` to `{to}`: one names an instance, the other the whole block"
            ),
            "give both addresses an instance key, or neither",
        ));
    } else if from == to {
        diags.push(err(
            format!("`{from}` is moved to itself"),
            "remove the moved block",
        ));
    } else {
        d.moved.push(MovedBlock { from, to, span });
    }
}

/// No two blocks move the same object, or onto the same address.
pub(crate) fn check(all: &[MovedBlock], diags: &mut Vec<Diagnostic>) {
    for (i, a) in all.iter().enumerate() {
        for b in &all[..i] {
            let what = if a.from == b.from {
                format!("`{}` is moved by two moved blocks", a.from)
            } else if a.to == b.to {
                format!("two moved blocks move objects onto `{}`", a.to)
            } else {
                continue;
            };
            let mut d = Diagnostic::error(what)
                .with_detail("keep one of the moved blocks")
                .with_span(a.span.clone());
            if let Some(s) = &b.span {
                d = d.with_related(s.clone(), "the other moved block");
            }
            diags.push(d);
        }
    }
}

/// What `m` turns `a` into, if it applies to `a`.
fn apply(m: &MovedBlock, a: &Address) -> Option<Address> {
    if is_module(&m.from) {
        let n = m.from.module.len();
        if a.module.len() < n || !module_matches(&m.from.module, &a.module[..n]) {
            return None;
        }
        let last = &m.from.module[n - 1];
        let step = &a.module[n - 1];
        let mut module = keep_keys(&m.from.module[..n - 1], &m.to.module, &a.module[..n - 1]);
        if last.key.is_none() {
            if let Some(s) = module.last_mut() {
                s.key = step.key.clone();
            }
        }
        module.extend(a.module[n..].iter().cloned());
        return Some(Address {
            module,
            ..a.clone()
        });
    }
    if a.mode != Mode::Managed
        || !module_matches(&m.from.module, &a.module)
        || a.type_name != m.from.type_name
        || a.name != m.from.name
    {
        return None;
    }
    let module = keep_keys(&m.from.module, &m.to.module, &a.module);
    match &m.from.key {
        None => Some(Address {
            module,
            key: a.key.clone(),
            ..m.to.clone()
        }),
        Some(k) if a.key.as_ref() == Some(k) => Some(Address {
            module,
            ..m.to.clone()
        }),
        Some(_) => None,
    }
}

/// A module path of a moved block (keys only where written) matches a state address's
/// path: a step written without a key stands for every instance (a block declared in
/// `module.env` moves in each `module.env["..."]`).
fn module_matches(pattern: &[infra_model::ModuleStep], actual: &[infra_model::ModuleStep]) -> bool {
    pattern.len() == actual.len()
        && pattern
            .iter()
            .zip(actual)
            .all(|(p, a)| p.name == a.name && (p.key.is_none() || p.key == a.key))
}

/// The `to` module path, keeping the state address's keys where `from` and `to` share an
/// unkeyed step.
fn keep_keys(
    from: &[infra_model::ModuleStep],
    to: &[infra_model::ModuleStep],
    actual: &[infra_model::ModuleStep],
) -> Vec<infra_model::ModuleStep> {
    to.iter()
        .enumerate()
        .map(|(i, t)| match (from.get(i), actual.get(i)) {
            (Some(f), Some(a)) if f.name == t.name && f.key.is_none() && t.key.is_none() => {
                a.clone()
            }
            _ => t.clone(),
        })
        .collect()
}

/// The renames the moved blocks make of the state's `addresses` (current objects):
/// `(old, new, block)` for each object that moves, chains followed. A move onto an
/// address the state already has (and that is not itself moving away) is an error naming
/// the block and the resource block there (`resource_span`).
pub fn resolve_moves(
    blocks: &[MovedBlock],
    addresses: &[Address],
    resource_span: &dyn Fn(&Address) -> Option<Span>,
) -> (Vec<(Address, Address)>, Vec<Diagnostic>) {
    let mut renames = Vec::new();
    let mut diags = Vec::new();
    let mut via: BTreeMap<Address, usize> = BTreeMap::new();
    for a in addresses {
        let mut cur = a.clone();
        let mut used = BTreeSet::new();
        let mut last = None;
        while let Some((i, next)) = blocks
            .iter()
            .enumerate()
            .filter(|(i, _)| !used.contains(i))
            .find_map(|(i, m)| apply(m, &cur).map(|n| (i, n)))
        {
            used.insert(i);
            last = Some(i);
            cur = next;
        }
        if let Some(i) = last {
            via.insert(a.clone(), i);
            renames.push((a.clone(), cur));
        }
    }
    let moving_away: BTreeSet<&Address> = renames.iter().map(|(o, _)| o).collect();
    let staying: BTreeSet<&Address> = addresses
        .iter()
        .filter(|a| !moving_away.contains(a))
        .collect();
    let mut targets: BTreeMap<Address, Address> = BTreeMap::new();
    let mut out = Vec::new();
    for (old, new) in renames {
        let block = &blocks[via[&old]];
        let clash = if staying.contains(&new) {
            Some(format!("the state already has an object at `{new}`"))
        } else {
            targets
                .get(&new)
                .map(|other| format!("`{other}` moves there too"))
        };
        if let Some(why) = clash {
            let mut d = Diagnostic::error(format!("cannot move `{old}` to `{new}`: {why}"))
                .with_detail(format!(
                    "remove the moved block, or first remove the object at `{new}` from the state (`infra state rm {new}`) or from the configuration"
                ))
                .with_span(block.span.clone())
                .with_address(&new);
            if let Some(s) = resource_span(&crate::config_address(&new)) {
                d = d.with_related(s, format!("the block of `{new}`"));
            }
            diags.push(d);
            continue;
        }
        targets.insert(new.clone(), old.clone());
        out.push((old, new));
    }
    (out, diags)
}
