//! Network ACL entries, the pure part: one [`Entry`] per rule, from a configured block
//! (`aws_network_acl`'s `ingress` / `egress` blocks: `rule_no`, `action`), from an
//! `aws_network_acl_rule` (`rule_number`, `rule_action`, `egress`) or from what
//! DescribeNetworkAcls reports, normalized so that the three compare exactly (protocol
//! names and numbers, ports that only TCP and UDP have, ICMP type and code that only ICMP
//! has). [`plan`] turns what exists and what is wanted into the calls to make, keyed as
//! AWS keys entries: by direction and rule number.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::NetworkAclEntry;
use infra_model::Value;

use crate::util::get_str;

/// The rule numbers AWS gives the default deny-all entries (IPv4, IPv6): not manageable,
/// never shown, as in Terraform.
pub const DEFAULT_RULES: [i64; 2] = [32767, 32768];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub egress: bool,
    pub rule_no: i64,
    /// The protocol number as a string, `-1` for all.
    pub protocol: String,
    pub action: String,
    pub cidr: Option<String>,
    pub ipv6: Option<String>,
    pub from: i64,
    pub to: i64,
    pub icmp_type: Option<i64>,
    pub icmp_code: Option<i64>,
}

/// The attribute names of a rule: inline blocks and the rule resource differ.
#[derive(Debug, Clone, Copy)]
pub struct Names {
    pub rule_no: &'static str,
    pub action: &'static str,
}

pub const BLOCK: Names = Names {
    rule_no: "rule_no",
    action: "action",
};
pub const RESOURCE: Names = Names {
    rule_no: "rule_number",
    action: "rule_action",
};

/// The protocol as AWS's network ACL API speaks it: a number, `-1` for all.
pub fn protocol_number(p: &str) -> String {
    match p.trim().to_ascii_lowercase().as_str() {
        "-1" | "all" => "-1".into(),
        "tcp" => "6".into(),
        "udp" => "17".into(),
        "icmp" => "1".into(),
        "icmpv6" => "58".into(),
        other => other.to_string(),
    }
}

fn has_ports(protocol: &str) -> bool {
    matches!(protocol, "6" | "17")
}

fn has_icmp(protocol: &str) -> bool {
    matches!(protocol, "1" | "58")
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_string)
}

impl Entry {
    fn normalized(mut self) -> Entry {
        self.protocol = protocol_number(&self.protocol);
        self.action = self.action.to_ascii_lowercase();
        if !has_ports(&self.protocol) {
            (self.from, self.to) = (0, 0);
        }
        if !has_icmp(&self.protocol) {
            (self.icmp_type, self.icmp_code) = (None, None);
        }
        self
    }

    /// The entry a configured rule describes; `egress` is the block's direction (inline
    /// blocks), or `None` to read it from the rule's `egress` attribute.
    pub fn from_value(v: &Value, names: Names, egress: Option<bool>) -> Option<Entry> {
        Some(
            Entry {
                egress: egress.unwrap_or_else(|| v.get("egress").as_bool().unwrap_or(false)),
                rule_no: v.get(names.rule_no).as_i64()?,
                protocol: get_str(v, "protocol")?.to_string(),
                action: get_str(v, names.action)?.to_string(),
                cidr: non_empty(get_str(v, "cidr_block")),
                ipv6: non_empty(get_str(v, "ipv6_cidr_block")),
                from: v.get("from_port").as_i64().unwrap_or(0),
                to: v.get("to_port").as_i64().unwrap_or(0),
                icmp_type: v.get("icmp_type").as_i64(),
                icmp_code: v.get("icmp_code").as_i64(),
            }
            .normalized(),
        )
    }

    /// What AWS reports; `None` for the default deny-all entries.
    pub fn from_sdk(e: &NetworkAclEntry) -> Option<Entry> {
        let rule_no = i64::from(e.rule_number()?);
        if DEFAULT_RULES.contains(&rule_no) {
            return None;
        }
        let ports = e.port_range();
        let icmp = e.icmp_type_code();
        Some(
            Entry {
                egress: e.egress().unwrap_or(false),
                rule_no,
                protocol: e.protocol().unwrap_or("-1").to_string(),
                action: e
                    .rule_action()
                    .map(|a| a.as_str())
                    .unwrap_or("")
                    .to_string(),
                cidr: non_empty(e.cidr_block()),
                ipv6: non_empty(e.ipv6_cidr_block()),
                from: ports.and_then(|p| p.from()).map(i64::from).unwrap_or(0),
                to: ports.and_then(|p| p.to()).map(i64::from).unwrap_or(0),
                icmp_type: icmp.and_then(|i| i.r#type()).map(i64::from),
                icmp_code: icmp.and_then(|i| i.code()).map(i64::from),
            }
            .normalized(),
        )
    }

    pub fn key(&self) -> (bool, i64) {
        (self.egress, self.rule_no)
    }

    /// Whether what the cloud reports (`self`) is the rule `wanted`. The emulator omits the
    /// ICMP type and code of every entry (AWS always reports them for ICMP): an ICMP entry
    /// reported without them matches on everything else.
    pub fn matches(&self, wanted: &Entry) -> bool {
        if self == wanted {
            return true;
        }
        has_icmp(&self.protocol)
            && self.icmp_type.is_none()
            && self.icmp_code.is_none()
            && Entry {
                icmp_type: wanted.icmp_type,
                icmp_code: wanted.icmp_code,
                ..self.clone()
            } == *wanted
    }

    /// A rule block for this entry, with Terraform's names for `names`.
    pub fn to_value(&self, names: Names) -> BTreeMap<String, Value> {
        let num = |n: i64| Value::Number(n as f64);
        let opt_s = |s: &Option<String>| s.as_deref().map(Value::string).unwrap_or(Value::Null);
        let opt_n = |n: Option<i64>| n.map(num).unwrap_or(Value::Null);
        let mut m = BTreeMap::new();
        m.insert(names.rule_no.to_string(), num(self.rule_no));
        m.insert(names.action.to_string(), Value::string(&self.action));
        m.insert("protocol".into(), Value::string(&self.protocol));
        m.insert("cidr_block".into(), opt_s(&self.cidr));
        m.insert("ipv6_cidr_block".into(), opt_s(&self.ipv6));
        m.insert("from_port".into(), num(self.from));
        m.insert("to_port".into(), num(self.to));
        m.insert("icmp_type".into(), opt_n(self.icmp_type));
        m.insert("icmp_code".into(), opt_n(self.icmp_code));
        m
    }
}

/// The configured entries of an ACL's `ingress` and `egress` blocks.
pub fn block_entries(v: &Value) -> Vec<Entry> {
    let mut out = Vec::new();
    for (key, egress) in [("ingress", false), ("egress", true)] {
        for b in v.get(key).as_list().unwrap_or_default() {
            out.extend(Entry::from_value(b, BLOCK, Some(egress)));
        }
    }
    out
}

/// The `ingress` or `egress` blocks for what the cloud reports: a prior block that
/// describes an entry is kept as written (`protocol = "tcp"` stays, where AWS says `6`);
/// the others are written as Terraform reads them back (protocol numbers).
pub fn to_blocks(cloud: &[Entry], egress: bool, prior: Option<&Value>) -> Value {
    let key = if egress { "egress" } else { "ingress" };
    let priors: Vec<&Value> = prior
        .and_then(|p| p.get(key).as_list())
        .unwrap_or_default()
        .iter()
        .collect();
    let mut out: Vec<Value> = cloud
        .iter()
        .filter(|e| e.egress == egress)
        .map(|e| {
            priors
                .iter()
                .find(|b| Entry::from_value(b, BLOCK, Some(egress)).is_some_and(|w| e.matches(&w)))
                .map(|b| (*b).clone())
                .unwrap_or_else(|| Value::Map(e.to_value(BLOCK)))
        })
        .collect();
    out.sort_by_key(|b| b.get("rule_no").as_i64());
    Value::List(out)
}

/// What to do to go from the entries that exist to the wanted ones.
#[derive(Debug, Default, PartialEq)]
pub struct Changes {
    /// Entries to delete: their rule number is no longer wanted in that direction.
    pub delete: Vec<Entry>,
    /// Entries to replace in place (ReplaceNetworkAclEntry): same number, other rule.
    pub replace: Vec<Entry>,
    /// Entries to create.
    pub create: Vec<Entry>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.delete.is_empty() && self.replace.is_empty() && self.create.is_empty()
    }
}

pub fn plan(cloud: &[Entry], wanted: &[Entry]) -> Changes {
    let have: BTreeMap<(bool, i64), &Entry> = cloud.iter().map(|e| (e.key(), e)).collect();
    let want: BTreeMap<(bool, i64), &Entry> = wanted.iter().map(|e| (e.key(), e)).collect();
    let mut out = Changes::default();
    for (k, e) in &have {
        if !want.contains_key(k) {
            out.delete.push((*e).clone());
        }
    }
    for (k, w) in &want {
        match have.get(k) {
            None => out.create.push((*w).clone()),
            Some(h) if !h.matches(w) => out.replace.push((*w).clone()),
            Some(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(rule: i64, protocol: &str, from: i64, to: i64, cidr: &str) -> Value {
        Value::map([
            ("rule_no", Value::Number(rule as f64)),
            ("action", Value::string("allow")),
            ("protocol", Value::string(protocol)),
            ("from_port", Value::Number(from as f64)),
            ("to_port", Value::Number(to as f64)),
            ("cidr_block", Value::string(cidr)),
            ("ipv6_cidr_block", Value::Null),
            ("icmp_type", Value::Null),
            ("icmp_code", Value::Null),
        ])
    }

    fn entry(egress: bool, rule: i64, protocol: &str, from: i64, to: i64) -> Entry {
        Entry {
            egress,
            rule_no: rule,
            protocol: protocol.into(),
            action: "allow".into(),
            cidr: Some("0.0.0.0/0".into()),
            ipv6: None,
            from,
            to,
            icmp_type: None,
            icmp_code: None,
        }
        .normalized()
    }

    #[test]
    fn protocols_names_and_numbers_compare_equal_and_ports_only_count_for_tcp_and_udp() {
        let a = Entry::from_value(
            &block(100, "tcp", 443, 443, "0.0.0.0/0"),
            BLOCK,
            Some(false),
        );
        assert_eq!(a, Some(entry(false, 100, "6", 443, 443)));
        // all protocols: the ports written do not matter (AWS reports none)
        let all = Entry::from_value(&block(200, "all", 0, 65535, "0.0.0.0/0"), BLOCK, Some(true));
        assert_eq!(all, Some(entry(true, 200, "-1", 0, 0)));
        assert_eq!(protocol_number("ICMPv6"), "58");
        assert_eq!(protocol_number("50"), "50");
    }

    #[test]
    fn the_rule_resource_reads_its_own_names_and_direction() {
        let v = Value::map([
            ("rule_number", Value::Number(110.0)),
            ("rule_action", Value::string("DENY")),
            ("egress", Value::Bool(true)),
            ("protocol", Value::string("udp")),
            ("from_port", Value::Number(53.0)),
            ("to_port", Value::Number(53.0)),
            ("cidr_block", Value::string("0.0.0.0/0")),
        ]);
        let e = Entry::from_value(&v, RESOURCE, None).unwrap();
        assert_eq!(
            (e.egress, e.rule_no, e.protocol.as_str(), e.action.as_str()),
            (true, 110, "17", "deny")
        );
        // a rule without its required number is no rule
        assert_eq!(
            Entry::from_value(
                &Value::map([("protocol", Value::string("tcp"))]),
                RESOURCE,
                None
            ),
            None
        );
    }

    #[test]
    fn plan_deletes_replaces_and_creates_by_direction_and_number() {
        let cloud = vec![
            entry(false, 100, "6", 80, 80),
            entry(false, 110, "6", 22, 22),
            entry(true, 100, "-1", 0, 0),
        ];
        let wanted = vec![
            entry(false, 100, "6", 80, 80),     // unchanged
            entry(false, 110, "6", 2222, 2222), // changed: replaced in place
            entry(true, 120, "-1", 0, 0),       // new; egress 100 goes
        ];
        let c = plan(&cloud, &wanted);
        assert_eq!(c.delete, vec![entry(true, 100, "-1", 0, 0)]);
        assert_eq!(c.replace, vec![entry(false, 110, "6", 2222, 2222)]);
        assert_eq!(c.create, vec![entry(true, 120, "-1", 0, 0)]);
        assert!(plan(&wanted, &wanted).is_empty());
        // ingress 100 and egress 100 are different entries
        let c = plan(
            &[entry(false, 100, "6", 80, 80)],
            &[entry(true, 100, "6", 80, 80)],
        );
        assert_eq!((c.delete.len(), c.create.len(), c.replace.len()), (1, 1, 0));
    }

    #[test]
    fn an_icmp_entry_reported_without_type_and_code_matches_on_the_rest() {
        let mut wanted = entry(false, 130, "icmp", 0, 0);
        (wanted.icmp_type, wanted.icmp_code) = (Some(8), Some(0));
        let reported = entry(false, 130, "1", 0, 0);
        assert!(reported.matches(&wanted));
        let mut other = wanted.clone();
        other.cidr = Some("10.0.0.0/8".into());
        assert!(!reported.matches(&other));
        // a TCP entry must match exactly
        assert!(!entry(false, 1, "6", 1, 1).matches(&entry(false, 1, "6", 1, 2)));
    }

    #[test]
    fn blocks_keep_what_was_written_and_spell_new_entries_as_numbers() {
        let prior = Value::map([(
            "ingress",
            Value::List(vec![block(100, "tcp", 443, 443, "0.0.0.0/0")]),
        )]);
        let cloud = vec![
            entry(false, 100, "6", 443, 443),
            entry(false, 90, "17", 53, 53),
            entry(true, 100, "-1", 0, 0),
        ];
        let blocks = to_blocks(&cloud, false, Some(&prior));
        let list = blocks.as_list().unwrap();
        assert_eq!(list.len(), 2, "egress entries are not ingress blocks");
        assert_eq!(list[0].get("rule_no").as_i64(), Some(90));
        assert_eq!(list[0].get("protocol").as_str(), Some("17"));
        assert_eq!(list[1], block(100, "tcp", 443, 443, "0.0.0.0/0"));
        assert_eq!(
            block_entries(&Value::map([("ingress", blocks.clone())])).len(),
            2
        );
    }
}
