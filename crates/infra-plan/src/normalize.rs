//! Turn an instance's evaluated configuration (only what the user wrote) into the full
//! planned attribute map that the schema describes.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use infra_model::{AttrSchema, AttrType, BlockSchema, Nesting, ResourceSchema, Value};

/// Tag keys with this prefix are put on resources by `infra` itself at creation. They are
/// carried over from the prior object so that they never show up as a diff.
pub const INFRA_TAG_PREFIX: &str = "infra:";

/// The full planned attribute map of one instance:
/// - every schema attribute is present;
/// - optional attributes not written get their default (or null);
/// - optional+computed attributes not written, and read-only computed attributes, take the
///   prior value when there is one, else `Unknown`;
/// - nested blocks become lists of normalized maps (set-nested blocks sorted canonically);
///   a `computed` block not written keeps the prior value on update and is empty on create;
/// - `tags_all` is `merge(default_tags, tags)` (`Unknown` if any part is unknown).
pub fn normalize(
    schema: &ResourceSchema,
    config: &Value,
    prior: Option<&Value>,
    default_tags: &BTreeMap<String, String>,
) -> Value {
    if config.is_unknown() {
        return Value::Unknown;
    }
    let mut out = normalize_body(&schema.attributes, &schema.blocks, config, prior);
    if schema.attribute("tags_all").is_some() {
        let tags_all = compute_tags_all(out.get("tags"), prior, default_tags);
        if let Value::Map(m) = &mut out {
            m.insert("tags_all".to_string(), tags_all);
        }
    }
    if let (Value::Map(m), Some(prior)) = (&mut out, prior) {
        carry_infra_tags(m, prior);
    }
    out
}

/// `merge(default_tags, tags)`, plus the `infra:` tags the prior object carries.
pub fn compute_tags_all(
    tags: &Value,
    prior: Option<&Value>,
    default_tags: &BTreeMap<String, String>,
) -> Value {
    if !tags.is_wholly_known() {
        return Value::Unknown;
    }
    let mut merged: BTreeMap<String, Value> = default_tags
        .iter()
        .map(|(k, v)| (k.clone(), Value::string(v)))
        .collect();
    if let Value::Map(t) = tags {
        merged.extend(t.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    if let Some(Value::Map(p)) = prior.map(|p| p.get("tags_all")) {
        for (k, v) in p {
            if k.starts_with(INFRA_TAG_PREFIX) {
                merged.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    Value::Map(merged)
}

/// Keep `infra:*` keys of the prior `tags` in the planned `tags`, so they are never
/// planned for removal.
fn carry_infra_tags(out: &mut BTreeMap<String, Value>, prior: &Value) {
    let Some(Value::Map(prior_tags)) = prior.as_map().and_then(|p| p.get("tags")) else {
        return;
    };
    let infra: Vec<(String, Value)> = prior_tags
        .iter()
        .filter(|(k, _)| k.starts_with(INFRA_TAG_PREFIX))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if infra.is_empty() {
        return;
    }
    match out.get_mut("tags") {
        Some(Value::Map(t)) => {
            for (k, v) in infra {
                t.entry(k).or_insert(v);
            }
        }
        Some(Value::Null) | None => {
            out.insert("tags".to_string(), Value::Map(infra.into_iter().collect()));
        }
        _ => {}
    }
}

fn normalize_body(
    attrs: &[AttrSchema],
    blocks: &[BlockSchema],
    config: &Value,
    prior: Option<&Value>,
) -> Value {
    // collected, then built in one go: a map built from a (nearly) sorted list costs a
    // fraction of an insert per attribute (a later entry of the same name still wins)
    let mut out = Vec::with_capacity(attrs.len() + blocks.len());
    let prior_map = prior.and_then(Value::as_map);
    for a in attrs {
        let written = config
            .as_map()
            .and_then(|m| m.get(a.name))
            .filter(|v| !v.is_null() && !(a.empty_is_null && v.as_str() == Some("")));
        let v = match written {
            Some(v) => canonical_attr(&a.ty, v.clone()),
            // an attribute the prior object lacks is null there, so keep it null
            None if a.computed => match prior {
                Some(_) => prior_map
                    .and_then(|p| p.get(a.name))
                    .cloned()
                    .unwrap_or(Value::Null),
                None => Value::Unknown,
            },
            None => a.default.clone().unwrap_or(Value::Null),
        };
        out.push((a.name.to_string(), v));
    }
    for b in blocks {
        let written = config
            .as_map()
            .and_then(|m| m.get(b.name))
            .filter(|v| !v.is_null());
        let prior_block = prior_map.and_then(|p| p.get(b.name));
        let v = match written {
            Some(Value::Unknown) => Value::Unknown,
            Some(Value::List(items)) => normalize_blocks(b, items, prior_block),
            Some(single @ Value::Map(_)) => {
                normalize_blocks(b, std::slice::from_ref(single), prior_block)
            }
            Some(other) => other.clone(),
            None if b.computed && prior.is_some() => match prior_block {
                Some(Value::List(items)) => normalize_blocks(b, items, prior_block),
                Some(Value::Null) | None => Value::List(Vec::new()),
                Some(other) => other.clone(),
            },
            None => Value::List(Vec::new()),
        };
        out.push((b.name.to_string(), v));
    }
    Value::Map(out.into_iter().collect())
}

fn normalize_blocks(b: &BlockSchema, items: &[Value], prior: Option<&Value>) -> Value {
    let prior_items = prior.and_then(Value::as_list);
    let mut out: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            if item.is_unknown() {
                return Value::Unknown;
            }
            // List blocks line up with the prior block at the same index; set blocks have no
            // identity, so their computed attributes stay unknown.
            let p = match b.nesting {
                Nesting::List => prior_items.and_then(|p| p.get(i)),
                Nesting::Set => {
                    prior_items.and_then(|p| p.iter().find(|p| block_config_matches(b, item, p)))
                }
            };
            normalize_body(&b.attributes, &b.blocks, item, p)
        })
        .collect();
    if b.nesting == Nesting::Set {
        sort_canonical(&mut out);
        out.dedup();
    }
    Value::List(out)
}

/// Whether a prior set element is the same element as a configured one (every written
/// attribute equal).
fn block_config_matches(b: &BlockSchema, item: &Value, prior: &Value) -> bool {
    let Some(m) = item.as_map() else { return false };
    b.attributes.iter().all(|a| match m.get(a.name) {
        Some(v) if !v.is_null() => {
            crate::diff::attr_equal(&a.ty, prior.get(a.name), &canonical_attr(&a.ty, v.clone()))
        }
        _ => true,
    })
}

/// Sets are deduplicated and sorted so that equal sets look equal.
pub(crate) fn canonical_attr(ty: &AttrType, v: Value) -> Value {
    match (ty, v) {
        (AttrType::Set(inner), Value::List(items)) => {
            let mut items: Vec<Value> = items
                .into_iter()
                .map(|i| canonical_attr(inner, i))
                .collect();
            sort_canonical(&mut items);
            items.dedup();
            Value::List(items)
        }
        (AttrType::List(inner), Value::List(items)) => Value::List(
            items
                .into_iter()
                .map(|i| canonical_attr(inner, i))
                .collect(),
        ),
        (AttrType::Map(inner), Value::Map(m)) => Value::Map(
            m.into_iter()
                .map(|(k, v)| (k, canonical_attr(inner, v)))
                .collect(),
        ),
        (_, v) => v,
    }
}

/// Sort with [`canonical_cmp`]; unknown elements keep their relative order at the end.
pub(crate) fn sort_canonical(items: &mut [Value]) {
    items.sort_by(canonical_cmp);
}

/// A total order over values: by kind, then by content. Unknowns sort last.
pub(crate) fn canonical_cmp(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            Value::List(_) => 4,
            Value::Map(_) => 5,
            Value::Unknown => 6,
            Value::Sensitive(v) => rank(v),
        }
    }
    match (a.unmarked(), b.unmarked()) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x.total_cmp(y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::List(x), Value::List(y)) => {
            for (p, q) in x.iter().zip(y) {
                let o = canonical_cmp(p, q);
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Map(x), Value::Map(y)) => {
            // unknown-containing maps go after fully known ones
            match (a.is_wholly_known(), b.is_wholly_known()) {
                (true, false) => return Ordering::Less,
                (false, true) => return Ordering::Greater,
                _ => {}
            }
            for ((k1, v1), (k2, v2)) in x.iter().zip(y) {
                let o = k1.cmp(k2).then_with(|| canonical_cmp(v1, v2));
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

#[cfg(test)]
#[path = "normalize_tests.rs"]
mod tests;
