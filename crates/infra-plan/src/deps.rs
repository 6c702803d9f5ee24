//! Resolving recorded dependencies to the changes they refer to, without scanning every
//! change for every dependency (which made graph building and `--target` quadratic: 7 s
//! for a 1,000-resource plan in a debug build).
//!
//! A dependency is an instance (`aws_subnet.s[3]`), a whole resource (`aws_subnet.s`) or a
//! module (`module.net`); [`crate::targets::dep_matches`] says what it refers to. An
//! instance dependency whose module steps all carry keys is found by equality; the others
//! are looked up among the instances of their resource, or of their top-level module.

use std::collections::HashMap;

use infra_model::{Address, Mode};

use crate::targets::dep_matches;
use crate::ResourceChange;

/// A resource's identity without instance keys: module names, mode, type, name.
type ResourceKey<'a> = (Vec<&'a str>, Mode, &'a str, &'a str);

fn resource_key(a: &Address) -> ResourceKey<'_> {
    (
        a.module.iter().map(|m| m.name.as_str()).collect(),
        a.mode,
        &a.type_name,
        &a.name,
    )
}

/// Indices of changes by address, by resource and by top-level module.
pub struct DepIndex<'a> {
    changes: &'a [ResourceChange],
    exact: HashMap<&'a Address, Vec<usize>>,
    by_resource: HashMap<ResourceKey<'a>, Vec<usize>>,
    by_module: HashMap<&'a str, Vec<usize>>,
}

impl<'a> DepIndex<'a> {
    pub fn new(changes: &'a [ResourceChange]) -> DepIndex<'a> {
        let mut exact: HashMap<&Address, Vec<usize>> = HashMap::new();
        let mut by_resource: HashMap<ResourceKey<'a>, Vec<usize>> = HashMap::new();
        let mut by_module: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, c) in changes.iter().enumerate() {
            exact.entry(&c.address).or_default().push(i);
            by_resource
                .entry(resource_key(&c.address))
                .or_default()
                .push(i);
            if let Some(m) = c.address.module.first() {
                by_module.entry(m.name.as_str()).or_default().push(i);
            }
        }
        DepIndex {
            changes,
            exact,
            by_resource,
            by_module,
        }
    }

    /// Calls `f` with the index of every change `dep` refers to (each once, in order).
    pub fn each_match(&self, dep: &Address, mut f: impl FnMut(usize)) {
        let fully_keyed = dep.key.is_some() && dep.module.iter().all(|m| m.key.is_some());
        if fully_keyed && !dep.type_name.is_empty() {
            // `selects` is equality here
            for &i in self.exact.get(dep).into_iter().flatten() {
                f(i);
            }
            return;
        }
        let candidates: &[usize] = if dep.type_name.is_empty() {
            match dep.module.first() {
                Some(m) => self
                    .by_module
                    .get(m.name.as_str())
                    .map_or(&[], Vec::as_slice),
                // an empty address refers to nothing a plan holds
                None => &[],
            }
        } else {
            self.by_resource
                .get(&resource_key(dep))
                .map_or(&[], Vec::as_slice)
        };
        for &i in candidates {
            if dep_matches(dep, &self.changes[i].address) {
                f(i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Action;

    fn change(addr: &str) -> ResourceChange {
        ResourceChange {
            address: Address::parse(addr).unwrap(),
            action: Action::Create,
            before: None,
            after: None,
            replace_paths: Vec::new(),
            reason: None,
            depends_on: Vec::new(),
            lifecycle: Default::default(),
            deposed: None,
            previous_address: None,
        }
    }

    /// The index finds exactly what a scan with `dep_matches` finds.
    #[test]
    fn index_agrees_with_a_scan_of_every_change() {
        let changes: Vec<ResourceChange> = [
            "aws_vpc.main",
            "aws_subnet.s[0]",
            "aws_subnet.s[1]",
            "aws_subnet.t[\"a\"]",
            "data.aws_subnet.s",
            "module.net.aws_subnet.s[0]",
            "module.net[\"a\"].aws_vpc.main",
            "module.net[\"b\"].aws_vpc.main",
            "module.net[\"b\"].module.inner.aws_vpc.main",
            "module.dns.aws_route53_zone.z",
        ]
        .into_iter()
        .map(change)
        .collect();
        let index = DepIndex::new(&changes);
        for dep in [
            "aws_vpc.main",
            "aws_subnet.s",
            "aws_subnet.s[1]",
            "aws_subnet.s[7]",
            "aws_subnet.t[\"a\"]",
            "data.aws_subnet.s",
            "module.net",
            "module.net[\"b\"]",
            "module.net.aws_subnet.s",
            "module.net.aws_vpc.main",
            "module.net[\"a\"].aws_vpc.main",
            "module.dns",
            "module.missing",
        ] {
            let dep = Address::parse(dep).unwrap();
            let mut found = Vec::new();
            index.each_match(&dep, |i| found.push(i));
            let scanned: Vec<usize> = (0..changes.len())
                .filter(|&i| dep_matches(&dep, &changes[i].address))
                .collect();
            assert_eq!(found, scanned, "{dep}");
        }
    }
}
