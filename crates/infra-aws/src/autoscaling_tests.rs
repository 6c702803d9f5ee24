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
