//! Resolving recorded dependencies to the changes they refer to, without scanning every
//! change for every dependency (which made graph building and `--target` quadratic: 7 s
//! for a 1,000-resource plan in a debug build).
//!
//! A dependency is an instance (`aws_subnet.s[3]`), a whole resource (`aws_subnet.s`) or a
//! module (`module.net`); [`crate::targets::dep_matches`] says what it refers to. An
//! instance dependency whose module steps all carry keys is found by equality; the others
//! are looked up among the instances of their resource, or of their top-level module.

use infra_model::{Address, Mode};

use crate::fast_hash::FastMap;
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
    /// The first change of each address; `repeated` lists every change of an address that
    /// more than one holds (deposed objects), so that most addresses cost no `Vec`.
    exact: FastMap<&'a Address, usize>,
    repeated: FastMap<&'a Address, Vec<usize>>,
    by_resource: FastMap<ResourceKey<'a>, Vec<usize>>,
    by_module: FastMap<&'a str, Vec<usize>>,
}

impl<'a> DepIndex<'a> {
    pub fn new(changes: &'a [ResourceChange]) -> DepIndex<'a> {
        let mut exact: FastMap<&Address, usize> = FastMap::default();
        exact.reserve(changes.len());
        let mut repeated: FastMap<&Address, Vec<usize>> = FastMap::default();
        let mut by_resource: FastMap<ResourceKey<'a>, Vec<usize>> = FastMap::default();
        let mut by_module: FastMap<&str, Vec<usize>> = FastMap::default();
        // changes come sorted by address: consecutive ones mostly share their resource
        let mut last: Option<(ResourceKey<'a>, usize)> = None;
        for (i, c) in changes.iter().enumerate() {
            let first = *exact.entry(&c.address).or_insert(i);
            if first != i {
                repeated
                    .entry(&c.address)
                    .or_insert_with(|| vec![first])
                    .push(i);
            }
            let key = resource_key(&c.address);
            match &mut last {
                Some((k, n)) if *k == key => *n += 1,
                _ => {
                    if let Some((k, n)) = last.take() {
                        by_resource.entry(k).or_default().extend(i - n..i);
                    }
                    last = Some((key, 1));
                }
            }
            if let Some(m) = c.address.module.first() {
                by_module.entry(m.name.as_str()).or_default().push(i);
            }
        }
        if let Some((k, n)) = last {
            by_resource
                .entry(k)
                .or_default()
                .extend(changes.len() - n..changes.len());
        }
        DepIndex {
            changes,
            exact,
            repeated,
            by_resource,
            by_module,
        }
    }

    /// Calls `f` with the index of every change `dep` refers to (each once, in order).
    pub fn each_match(&self, dep: &Address, mut f: impl FnMut(usize)) {
        let fully_keyed = dep.key.is_some() && dep.module.iter().all(|m| m.key.is_some());
        if fully_keyed && !dep.type_name.is_empty() {
            // `selects` is equality here
            match (self.repeated.get(dep), self.exact.get(dep)) {
                (Some(all), _) => all.iter().for_each(|&i| f(i)),
                (None, Some(&i)) => f(i),
                (None, None) => {}
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
            provider: Default::default(),
            delete_provider: None,
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
