//! Module version constraints as Terraform reads them (`version = "~> 6.0"`).
//!
//! Terraform checks a module's `version` with hashicorp/go-version, whose rules differ
//! from Cargo's semver in ways a user would notice: `~>` (the pessimistic operator) keeps
//! every segment but the last one written (`~> 6.0` is `>= 6.0, < 7.0`, `~> 6.0.1` is
//! `>= 6.0.1, < 6.1.0`, and `~> 6` is just `>= 6`); a bare version means `=`; a version
//! with missing segments is padded with zeros (`6` is `6.0.0`); and a pre-release version
//! only satisfies a constraint that names a pre-release of the same base version. The
//! `semver` crate has none of `~>`, the padding or the pre-release rule, so this is a
//! small parser of go-version's grammar instead.

use std::cmp::Ordering;

/// A parsed version: numeric segments (padded to three), how many were written, and the
/// pre-release (build metadata is dropped: go-version ignores it when comparing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version {
    segments: Vec<u64>,
    written: usize,
    pre: String,
}

impl Version {
    pub(crate) fn parse(s: &str) -> Option<Version> {
        let s = s.trim();
        let s = s.strip_prefix('v').unwrap_or(s);
        let (s, _meta) = s.split_once('+').unwrap_or((s, ""));
        let (nums, pre) = match s.find('-') {
            Some(i) => (&s[..i], &s[i + 1..]),
            None => (s, ""),
        };
        if pre.is_empty() && s.ends_with('-') {
            return None;
        }
        let ident_ok =
            |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !pre.is_empty() && !pre.split('.').all(ident_ok) {
            return None;
        }
        let mut segments = Vec::new();
        for part in nums.split('.') {
            if part.is_empty() || !part.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            segments.push(part.parse::<u64>().ok()?);
        }
        let written = segments.len();
        while segments.len() < 3 {
            segments.push(0);
        }
        Some(Version {
            segments,
            written,
            pre: pre.to_string(),
        })
    }

    fn base_cmp(&self, other: &Version) -> Ordering {
        let n = self.segments.len().max(other.segments.len());
        for i in 0..n {
            let a = self.segments.get(i).copied().unwrap_or(0);
            let b = other.segments.get(i).copied().unwrap_or(0);
            match a.cmp(&b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        Ordering::Equal
    }

    fn cmp(&self, other: &Version) -> Ordering {
        self.base_cmp(other)
            .then_with(|| compare_pre(&self.pre, &other.pre))
    }
}

/// Semver precedence of pre-releases: none is higher than any; identifiers compared
/// numerically when both are numbers, numbers lower than words.
fn compare_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let mut xs = a.split('.');
    let mut ys = b.split('.');
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Pessimistic,
}

/// A `,`-separated list of constraints, all of which must hold.
#[derive(Debug, Clone)]
pub(crate) struct Constraints(Vec<(Op, Version)>);

impl Constraints {
    /// Parse `"~> 6.0"`, `">= 5.1, < 7"`, `"4.0.0"`; the error says which part is wrong.
    pub(crate) fn parse(s: &str) -> Result<Constraints, String> {
        let mut out = Vec::new();
        for part in s.split(',') {
            let p = part.trim();
            let (op, rest) = [
                ("~>", Op::Pessimistic),
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("!=", Op::Ne),
                (">", Op::Gt),
                ("<", Op::Lt),
                ("=", Op::Eq),
            ]
            .iter()
            .find_map(|(t, op)| p.strip_prefix(t).map(|r| (*op, r)))
            .unwrap_or((Op::Eq, p));
            let v = Version::parse(rest)
                .ok_or_else(|| format!("\"{p}\" is not a version constraint"))?;
            out.push((op, v));
        }
        Ok(Constraints(out))
    }

    pub(crate) fn allows(&self, v: &Version) -> bool {
        self.0.iter().all(|(op, c)| check(*op, v, c))
    }
}

fn check(op: Op, v: &Version, c: &Version) -> bool {
    let (vpre, cpre) = (!v.pre.is_empty(), !c.pre.is_empty());
    let pre_ok = match (cpre, vpre) {
        (true, true) => v.base_cmp(c) == Ordering::Equal,
        (false, true) => false,
        (true, false) => op != Op::Pessimistic,
        (false, false) => true,
    };
    if !pre_ok {
        return false;
    }
    let o = v.cmp(c);
    match op {
        Op::Eq => o == Ordering::Equal,
        Op::Ne => o != Ordering::Equal,
        Op::Gt => o == Ordering::Greater,
        Op::Lt => o == Ordering::Less,
        Op::Ge => o != Ordering::Less,
        Op::Le => o != Ordering::Greater,
        Op::Pessimistic => {
            if o == Ordering::Less || c.written > v.segments.len() {
                return false;
            }
            let last = c.written.max(1) - 1;
            (0..last).all(|i| v.segments[i] == c.segments[i])
                && v.segments[last] >= c.segments[last]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(c: &str, v: &str) -> bool {
        Constraints::parse(c)
            .unwrap()
            .allows(&Version::parse(v).unwrap())
    }

    #[test]
    fn pessimistic_keeps_all_but_the_last_written_segment() {
        assert!(ok("~> 6.0", "6.0.0"));
        assert!(ok("~> 6.0", "6.6.0"));
        assert!(!ok("~> 6.0", "7.0.0"));
        assert!(!ok("~> 6.0", "5.9.9"));
        assert!(ok("~> 6.0.1", "6.0.5"));
        assert!(!ok("~> 6.0.1", "6.1.0"));
        assert!(!ok("~> 6.0.1", "6.0.0"));
        // go-version: one written segment constrains nothing above it
        assert!(ok("~> 6", "6.2.0"));
        assert!(ok("~> 6", "9.0.0"));
        assert!(!ok("~> 6", "5.0.0"));
        assert!(ok("~>21.0", "21.3.1"));
    }

    #[test]
    fn comparisons_lists_and_bare_versions() {
        assert!(ok("4.0.0", "4.0.0"));
        assert!(ok("= 4.0", "4.0.0"));
        assert!(!ok("4.0.0", "4.0.1"));
        assert!(ok(">= 5.1, < 7", "6.6.0"));
        assert!(!ok(">= 5.1, < 7", "7.0.0"));
        assert!(!ok(">= 5.1, < 7", "5.0.9"));
        assert!(ok("!= 6.1.0", "6.2.0"));
        assert!(!ok("!= 6.1.0", "6.1.0"));
        assert!(ok("> 1.2", "1.2.1"));
        assert!(ok("<= 1.2", "1.2.0"));
        assert!(ok("v1.2.3", "1.2.3+build.5"));
    }

    #[test]
    fn pre_releases_need_a_pre_release_constraint_of_the_same_base() {
        assert!(!ok(">= 6.0", "6.1.0-beta1"));
        assert!(ok(">= 6.1.0-beta1", "6.1.0-beta2"));
        assert!(!ok(">= 6.1.0-beta1", "6.2.0-beta2"));
        assert!(ok(">= 6.1.0-beta1", "6.2.0"));
        assert!(!ok("~> 6.1.0-beta1", "6.1.1"));
        assert!(ok("= 1.0.0-rc.2", "1.0.0-rc.2"));
        assert!(ok("> 1.0.0-rc.2", "1.0.0-rc.10"));
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        for c in [
            "", "~>", "~> six", ">= 1..2", "1.2-", "1.x", ">= 1.0,", "~> -1",
        ] {
            assert!(Constraints::parse(c).is_err(), "{c:?}");
        }
        assert!(Version::parse("6.6").is_some());
        assert!(Version::parse("").is_none());
        assert!(Version::parse("99999999999999999999999").is_none());
    }
}
