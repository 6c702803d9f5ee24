//! Unit tests of `autoscaling_ops`.

use super::*;

#[test]
fn capacity_timeout_is_a_go_duration_and_zero_skips() {
    let t = |s: &str| {
        capacity_timeout(&Value::map([(
            "wait_for_capacity_timeout",
            Value::string(s),
        )]))
    };
    assert_eq!(t("10m").unwrap(), Some(Duration::from_secs(600)));
    assert_eq!(t("1h30s").unwrap(), Some(Duration::from_secs(3630)));
    assert_eq!(t("0").unwrap(), None);
    assert!(t("ten minutes").is_err());
    assert_eq!(
        capacity_timeout(&Value::Null).unwrap(),
        Some(Duration::from_secs(600))
    );
}

#[test]
fn sets_compare_unordered_and_termination_policies_ordered() {
    let v = |k: &str, xs: &[&str]| {
        Value::map([(
            k,
            Value::List(xs.iter().map(|s| Value::string(*s)).collect()),
        )])
    };
    let k = "vpc_zone_identifier";
    assert!(!changed(&v(k, &["a", "b"]), &v(k, &["b", "a"]), k));
    assert!(changed(&v(k, &["a"]), &v(k, &["a", "b"]), k));
    let k = "termination_policies";
    assert!(changed(
        &v(k, &["OldestInstance", "Default"]),
        &v(k, &["Default", "OldestInstance"]),
        k
    ));
}

#[test]
fn templates_compare_with_what_the_cloud_fills_in() {
    let spec = |id: &str, name: Value, version: Value| {
        Value::List(vec![Value::map([
            ("launch_template_id", Value::string(id)),
            ("launch_template_name", name),
            ("version", version),
        ])])
    };
    let mixed = |spec: Value, strategy: Value| {
        Value::List(vec![Value::map([
            (
                "instances_distribution",
                Value::List(vec![Value::map([
                    ("on_demand_allocation_strategy", strategy),
                    ("spot_max_price", Value::Null),
                ])]),
            ),
            (
                "launch_template",
                Value::List(vec![Value::map([("launch_template_specification", spec)])]),
            ),
        ])])
    };
    let cloud = mixed(
        spec("lt-1", Value::string("nodes"), Value::string("1")),
        Value::string("prioritized"),
    );
    // an adopted create's raw configuration: computed values null, the version a number
    let raw = mixed(spec("lt-1", Value::Null, Value::Number(1.0)), Value::Null);
    assert!(same_template(&cloud, &raw));
    let newer = mixed(spec("lt-1", Value::Null, Value::Number(2.0)), Value::Null);
    assert!(!same_template(&cloud, &newer));
    let other = mixed(spec("lt-2", Value::Null, Value::Null), Value::Null);
    assert!(!same_template(&cloud, &other));
    assert!(same_template(&Value::List(Vec::new()), &Value::Null));
    assert!(!same_template(&Value::List(Vec::new()), &cloud));
}
