//! Unit tests of `launch_template.rs`: the request it builds, what it reads back, and the
//! names it gives.

use super::*;

#[test]
fn booleans_are_terraforms_strings_and_data_compares_by_meaning() {
    let c = Value::map([
        ("ebs_optimized", Value::string("true")),
        ("image_id", Value::string("ami-1")),
    ]);
    let d = data(&c);
    assert_eq!(d.ebs_optimized(), Some(true));
    assert_eq!(d.image_id(), Some("ami-1"));
    let read = Value::map([
        ("ebs_optimized", Value::string("true")),
        ("image_id", Value::string("ami-1")),
        ("block_device_mappings", Value::List(vec![])),
    ]);
    assert!(same(&data_of(&c), &data_of(&read)));
    let other = Value::map([("image_id", Value::string("ami-2"))]);
    assert!(!same(&data_of(&c), &data_of(&other)));
    assert_eq!(
        owner_of("arn:aws:iam::123456789012:root"),
        Some("123456789012")
    );
}

mod names {
    use super::*;
    use infra_model::Address;

    #[test]
    fn two_prefixed_templates_of_one_run_get_different_names() {
        let req = |addr: &str| CreateRequest {
            stack: "s".into(),
            address: Address::parse(addr).unwrap(),
            type_name: "aws_launch_template".into(),
            config: Value::map([("name_prefix", Value::string("example-"))]),
            token: infra_apply_token(addr),
            known_ids: vec![],
        };
        let a = name_of(&req("module.a.aws_launch_template.this[0]"));
        let b = name_of(&req("module.b.aws_launch_template.this[0]"));
        assert!(
            a.starts_with("example-") && a.len() == "example-".len() + 26,
            "{a}"
        );
        assert_ne!(a, b);
        // a resent create (same run, same address) names the same template
        assert_eq!(a, name_of(&req("module.a.aws_launch_template.this[0]")));
    }

    /// The shape of `infra_apply::token_for`: one run id, then 16 hex of the address's hash.
    fn infra_apply_token(addr: &str) -> String {
        let hash = if addr.contains("module.a.") {
            "0123456789abcdef"
        } else {
            "fedcba9876543210"
        };
        format!("3f2b9c1e-7d4a-4b8e-9c2f-1a2b3c4d5e6f-{hash}")
    }
}
