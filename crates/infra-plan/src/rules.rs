//! Checks of one instance's values that the schema's types cannot express (a node group's
//! min above its max, a failover record without a set identifier). They run at plan time
//! and in `infra validate`, before anything reaches the cloud, and name the resource.
//! Values still unknown are not checked.

use infra_model::{DesiredInstance, Diagnostic, Value};

mod hybrid;
mod instance;
mod keys;
mod logs;

pub(crate) use instance::forces_new;
mod sqs_events;

/// Every rule broken by `desired`'s known values.
pub fn check_instance(desired: &DesiredInstance) -> Vec<Diagnostic> {
    let c = &desired.config;
    let problems = match desired.address.type_name.as_str() {
        "aws_eks_node_group" => node_group(c),
        "aws_route53_record" => record(c),
        "aws_db_subnet_group" | "aws_redshift_subnet_group" => subnet_group_name(c),
        "aws_cloudwatch_log_group" => logs::log_group(c),
        "aws_flow_log" => logs::flow_log(c),
        "aws_sqs_queue" => sqs_events::queue(c),
        "aws_cloudwatch_event_rule" => sqs_events::rule(c),
        "aws_cloudwatch_event_target" => sqs_events::target(c),
        "tls_private_key" => keys::private_key(c),
        "aws_key_pair" => keys::key_pair(c),
        "aws_instance" if desired.address.mode == infra_model::Mode::Managed => {
            instance::instance(c)
        }
        "aws_eip_association" => eip_association(c),
        // the data sources of the same names only read a file
        t @ ("local_file" | "local_sensitive_file")
            if desired.address.mode == infra_model::Mode::Managed =>
        {
            hybrid::local_file(t, c)
        }
        "aws_ssm_activation" => hybrid::activation(c),
        _ => Vec::new(),
    };
    problems
        .into_iter()
        .map(|(summary, detail)| {
            Diagnostic::error(summary)
                .with_detail(detail)
                .with_address(&desired.address)
        })
        .collect()
}

/// An association names one address and one target (an unknown value counts as set).
fn eip_association(c: &Value) -> Vec<(String, String)> {
    let set = |k: &str| !c.get(k).is_null() && c.get(k).as_str() != Some("");
    let mut out = Vec::new();
    if !set("allocation_id") && !set("public_ip") {
        out.push((
            "aws_eip_association needs `allocation_id` (or `public_ip`)".to_string(),
            "set `allocation_id = aws_eip.NAME.id`".to_string(),
        ));
    }
    if !set("instance_id") && !set("network_interface_id") {
        out.push((
            "aws_eip_association needs `instance_id` or `network_interface_id`".to_string(),
            "say what the address goes to: `instance_id = aws_instance.NAME.id`".to_string(),
        ));
    }
    out
}

fn first_block<'a>(c: &'a Value, name: &str) -> Option<&'a Value> {
    c.get(name).as_list().and_then(|l| l.first())
}

fn node_group(c: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(s) = first_block(c, "scaling_config") else {
        return out;
    };
    let (min, max, desired) = (
        s.get("min_size").as_f64(),
        s.get("max_size").as_f64(),
        s.get("desired_size").as_f64(),
    );
    if let (Some(min), Some(max)) = (min, max) {
        if min > max {
            out.push((
                format!("scaling_config: min_size {min} is greater than max_size {max}"),
                "set min_size at most max_size".to_string(),
            ));
        } else if let Some(d) = desired {
            if d < min || d > max {
                out.push((
                    format!("scaling_config: desired_size {d} is outside min_size {min} .. max_size {max}"),
                    "set desired_size between min_size and max_size".to_string(),
                ));
            }
        }
    }
    if max == Some(0.0) {
        out.push((
            "scaling_config: max_size must be at least 1".into(),
            "a node group needs room for one node".into(),
        ));
    }
    out
}

const RECORD_TYPES: &[&str] = &[
    "A", "AAAA", "CAA", "CNAME", "DS", "HTTPS", "MX", "NAPTR", "NS", "PTR", "SOA", "SPF", "SRV",
    "SSHFP", "SVCB", "TLSA", "TXT",
];

fn record(c: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(t) = c.get("type").as_str() {
        if !RECORD_TYPES.contains(&t) {
            out.push((
                format!("invalid record type `{t}`"),
                format!("use one of {}", RECORD_TYPES.join(", ")),
            ));
        }
    }
    if let Some(ttl) = c.get("ttl").as_f64() {
        if !(0.0..=2_147_483_647.0).contains(&ttl) || ttl.fract() != 0.0 {
            out.push((
                format!("invalid ttl {ttl}"),
                "a TTL is a whole number of seconds from 0 to 2147483647".into(),
            ));
        }
    }
    let has_alias = first_block(c, "alias").is_some();
    let has_records = c.get("records").as_list().is_some_and(|r| !r.is_empty());
    if has_alias && has_records {
        out.push((
            "a record has both an alias block and records".into(),
            "use either alias { ... } or records (with ttl), not both".into(),
        ));
    }
    if has_alias && !c.get("ttl").is_null() && !c.get("ttl").is_unknown() {
        out.push((
            "an alias record cannot have a ttl".into(),
            "remove ttl: an alias takes its target's TTL".into(),
        ));
    }
    if !has_alias && c.get("records").is_null() {
        out.push((
            "a record needs records or an alias block".into(),
            "add records = [...] and ttl, or an alias { ... } block".into(),
        ));
    }
    if !has_alias && has_records && c.get("ttl").is_null() {
        out.push((
            "a record with records needs a ttl".into(),
            "add ttl = 300 (seconds)".into(),
        ));
    }
    let routed = ["failover_routing_policy", "weighted_routing_policy"]
        .into_iter()
        .find(|p| first_block(c, p).is_some());
    if let Some(policy) = routed {
        if c.get("set_identifier").is_null() {
            out.push((
                format!("a record with {policy} needs a set_identifier"),
                "add set_identifier = \"primary\" (unique per record of this name and type)".into(),
            ));
        }
    }
    out
}

/// RDS and Redshift store subnet group names in lowercase, and the Terraform provider
/// rejects other letters (ElastiCache's names are lowercased instead, see `infra-aws`);
/// `default` is the account's own group.
fn subnet_group_name(c: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for attr in ["name", "name_prefix"] {
        let Some(n) = c.get(attr).as_str() else {
            continue;
        };
        if n.chars().any(|ch| ch.is_ascii_uppercase()) {
            out.push((
                format!("{attr} `{n}` has uppercase letters"),
                format!(
                    "AWS stores subnet group names in lowercase; write `{}`",
                    n.to_lowercase()
                ),
            ));
        }
        if attr == "name" && n.eq_ignore_ascii_case("default") {
            out.push((
                "a subnet group cannot be named `default`".into(),
                "`default` is the account's own group; choose another name".into(),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use infra_model::Address;

    fn check(type_name: &str, config: Value) -> Vec<String> {
        let d = DesiredInstance {
            provider: Default::default(),
            address: Address::managed(type_name, "x"),
            config,
            depends_on: vec![],
            lifecycle: Default::default(),
        };
        check_instance(&d).into_iter().map(|d| d.summary).collect()
    }

    fn scaling(min: i64, max: i64, desired: i64) -> Value {
        Value::map([(
            "scaling_config",
            Value::List(vec![Value::map([
                ("min_size", min.into()),
                ("max_size", max.into()),
                ("desired_size", desired.into()),
            ])]),
        )])
    }

    #[test]
    fn node_group_sizes() {
        assert!(check("aws_eks_node_group", scaling(1, 3, 2)).is_empty());
        assert_eq!(
            check("aws_eks_node_group", scaling(4, 3, 3)),
            ["scaling_config: min_size 4 is greater than max_size 3"]
        );
        assert_eq!(
            check("aws_eks_node_group", scaling(1, 3, 5)),
            ["scaling_config: desired_size 5 is outside min_size 1 .. max_size 3"]
        );
        // unknown values are not judged
        assert!(check(
            "aws_eks_node_group",
            Value::map([("scaling_config", Value::Unknown)])
        )
        .is_empty());
    }

    #[test]
    fn subnet_group_names_are_lowercase() {
        let named = |k: &str, v: &str| Value::map([(k, Value::string(v))]);
        assert!(check("aws_db_subnet_group", named("name", "prod-db")).is_empty());
        assert_eq!(
            check("aws_db_subnet_group", named("name_prefix", "Prod-")),
            ["name_prefix `Prod-` has uppercase letters"]
        );
        assert_eq!(
            check("aws_redshift_subnet_group", named("name", "default")),
            ["a subnet group cannot be named `default`"]
        );
        // ElastiCache lowercases names itself
        assert!(check("aws_elasticache_subnet_group", named("name", "Prod")).is_empty());
    }

    #[test]
    fn records() {
        let rec = |pairs: Vec<(&str, Value)>| Value::map(pairs);
        let ok = rec(vec![
            ("type", "A".into()),
            ("ttl", 60i64.into()),
            ("records", Value::List(vec!["1.2.3.4".into()])),
        ]);
        assert!(check("aws_route53_record", ok).is_empty());
        let bad_type = rec(vec![
            ("type", "AA".into()),
            ("ttl", 60i64.into()),
            ("records", Value::List(vec!["x".into()])),
        ]);
        assert_eq!(
            check("aws_route53_record", bad_type),
            ["invalid record type `AA`"]
        );
        let bad_ttl = rec(vec![
            ("type", "A".into()),
            ("ttl", (-5i64).into()),
            ("records", Value::List(vec!["x".into()])),
        ]);
        assert_eq!(check("aws_route53_record", bad_ttl), ["invalid ttl -5"]);
        let both = rec(vec![
            ("type", "A".into()),
            ("records", Value::List(vec!["x".into()])),
            (
                "alias",
                Value::List(vec![Value::map([("name", "lb".into())])]),
            ),
        ]);
        assert_eq!(
            check("aws_route53_record", both),
            ["a record has both an alias block and records"]
        );
        let failover = rec(vec![
            ("type", "A".into()),
            ("ttl", 60i64.into()),
            ("records", Value::List(vec!["x".into()])),
            (
                "failover_routing_policy",
                Value::List(vec![Value::map([("type", "PRIMARY".into())])]),
            ),
        ]);
        assert_eq!(
            check("aws_route53_record", failover),
            ["a record with failover_routing_policy needs a set_identifier"]
        );
    }
}
