//! Snapshot tests of the text and JSON renderings, and the saved plan file round trip.

use std::collections::BTreeMap;

use infra_model::{Address, Value};
use serde_json::json;

use crate::*;

fn a(s: &str) -> Address {
    Address::parse(s).expect("address")
}

fn v(j: serde_json::Value) -> Value {
    Value::from_json(&j)
}

fn prior(addr: &str, attrs: serde_json::Value, deps: &[&str]) -> PriorInstance {
    PriorInstance {
        provider: Default::default(),
        address: a(addr),
        id: attrs["id"].as_str().unwrap_or("x").to_string(),
        attributes: v(attrs),
        depends_on: deps.iter().map(|d| a(d)).collect(),
        deposed: None,
    }
}

fn desired(addr: &str, config: Value, deps: &[&str], lc: Lifecycle) -> DesiredInstance {
    DesiredInstance {
        provider: Default::default(),
        address: a(addr),
        config,
        depends_on: deps.iter().map(|d| a(d)).collect(),
        lifecycle: lc,
    }
}

fn vpc_attrs(id: &str, cidr: &str, tags: serde_json::Value) -> serde_json::Value {
    json!({"id": id, "arn": format!("arn:aws:ec2:us-east-1:000000000000:vpc/{id}"), "cidr_block": cidr, "enable_dns_hostnames": true, "enable_dns_support": true,
        "instance_tenancy": "default", "tags": tags.clone(), "tags_all": tags, "owner_id": "000000000000", "main_route_table_id": "rtb-m",
        "default_route_table_id": "rtb-d", "default_security_group_id": "sg-d", "default_network_acl_id": "acl-d"})
}

fn subnet_attrs(id: &str, cidr: &str) -> serde_json::Value {
    json!({"id": id, "arn": format!("arn:{id}"), "vpc_id": "vpc-1", "cidr_block": cidr, "availability_zone": "us-east-1a", "availability_zone_id": "use1-az1",
        "map_public_ip_on_launch": false, "owner_id": "000000000000", "tags": {}, "tags_all": {}})
}

/// A plan with every kind of change: create (with nested blocks and unknowns), update,
/// replace both ways, orphan delete, deleted-outside re-create and a deposed object.
fn sample_plan() -> Plan {
    let prior = vec![
        prior(
            "aws_vpc.main",
            vpc_attrs(
                "vpc-1",
                "10.0.0.0/16",
                json!({"Name": "main", "Team": "net"}),
            ),
            &[],
        ),
        prior(
            "aws_subnet.private[\"us-east-1a\"]",
            subnet_attrs("subnet-1", "10.0.1.0/24"),
            &["aws_vpc.main"],
        ),
        prior(
            "aws_subnet.public[0]",
            subnet_attrs("subnet-2", "10.0.100.0/24"),
            &["aws_vpc.main"],
        ),
        prior(
            "aws_eip.nat",
            json!({"id": "eipalloc-1", "domain": "vpc", "allocation_id": "eipalloc-1", "public_ip": "1.2.3.4", "tags": {}, "tags_all": {}}),
            &[],
        ),
        prior(
            "aws_internet_gateway.old",
            json!({"id": "igw-1", "vpc_id": "vpc-1", "tags": {}, "tags_all": {}}),
            &["aws_vpc.main"],
        ),
        prior(
            "aws_nat_gateway.a",
            json!({"id": "nat-1", "subnet_id": "subnet-2", "allocation_id": "eipalloc-1"}),
            &["aws_subnet.public[0]", "aws_eip.nat"],
        ),
        PriorInstance {
            deposed: Some("eipalloc-0".into()),
            ..prior(
                "aws_eip.nat",
                json!({"id": "eipalloc-0", "domain": "vpc"}),
                &[],
            )
        },
    ];
    let opts = PlanOptions {
        default_tags: [("env".to_string(), "prod".to_string())].into(),
        ..Default::default()
    };
    let mut p = Planner::new(opts, prior);
    p.note_deleted_outside(&a("aws_nat_gateway.a"));
    let vpc = p.plan_instance(&desired(
        "aws_vpc.main",
        v(json!({"cidr_block": "10.0.0.0/16", "enable_dns_hostnames": true, "tags": {"Name": "main-vpc", "Team": "net"}})),
        &[],
        Lifecycle::default(),
    ));
    let vpc_id = vpc.get("id").clone();
    let sub = p.plan_instance(&desired(
        "aws_subnet.private[\"us-east-1a\"]",
        Value::map([
            ("vpc_id", vpc_id.clone()),
            ("cidr_block", Value::from("10.0.2.0/24")),
            ("availability_zone", Value::from("us-east-1a")),
        ]),
        &["aws_vpc.main"],
        Lifecycle::default(),
    ));
    p.plan_instance(&desired(
        "aws_subnet.public[0]",
        Value::map([
            ("vpc_id", vpc_id.clone()),
            ("cidr_block", Value::from("10.0.100.0/24")),
            ("availability_zone", Value::from("us-east-1a")),
        ]),
        &["aws_vpc.main"],
        Lifecycle::default(),
    ));
    let eip = p.plan_instance(&desired(
        "aws_eip.nat",
        v(json!({"domain": "vpc"})),
        &[],
        Lifecycle::default(),
    ));
    p.plan_instance(&desired(
        "aws_nat_gateway.a",
        Value::map([
            ("subnet_id", Value::from("subnet-2")),
            ("allocation_id", eip.get("id").clone()),
        ]),
        &["aws_subnet.public[0]", "aws_eip.nat"],
        Lifecycle::default(),
    ));
    p.plan_instance(&desired(
        "aws_route_table.private",
        Value::map([
            ("vpc_id", vpc_id.clone()),
            (
                "route",
                Value::List(vec![Value::map([
                    ("cidr_block", Value::from("0.0.0.0/0")),
                    ("nat_gateway_id", Value::Unknown),
                ])]),
            ),
        ]),
        &["aws_vpc.main", "aws_nat_gateway.a"],
        Lifecycle::default(),
    ));
    p.plan_instance(&desired(
        "aws_security_group.db",
        Value::map([
            ("name", Value::from("db")),
            ("vpc_id", vpc_id),
            (
                "ingress",
                Value::List(vec![v(json!({"from_port": 5432, "to_port": 5432, "protocol": "tcp", "cidr_blocks": ["10.0.2.0/24"], "description": "postgres"}))]),
            ),
        ]),
        &["aws_vpc.main", "aws_subnet.private[\"us-east-1a\"]"],
        Lifecycle::default(),
    ));
    let _ = sub;
    let mut outputs = BTreeMap::new();
    outputs.insert(
        "vpc_id".into(),
        OutputChange {
            name: "vpc_id".into(),
            before: Some(Value::from("vpc-1")),
            after: Value::from("vpc-1"),
            sensitive: false,
        },
    );
    outputs.insert(
        "subnet_id".into(),
        OutputChange {
            name: "subnet_id".into(),
            before: Some(Value::from("subnet-1")),
            after: Value::Unknown,
            sensitive: false,
        },
    );
    outputs.insert(
        "db_password".into(),
        OutputChange {
            name: "db_password".into(),
            before: None,
            after: Value::from("hunter2"),
            sensitive: true,
        },
    );
    let (plan, diags) = p.finish(outputs);
    assert!(diags.is_empty(), "{diags:?}");
    plan
}

fn cbd_plan() -> Plan {
    let prior = vec![prior(
        "aws_subnet.a",
        subnet_attrs("subnet-1", "10.0.1.0/24"),
        &[],
    )];
    let mut p = Planner::new(PlanOptions::default(), prior);
    let lc = Lifecycle {
        create_before_destroy: true,
        ..Default::default()
    };
    p.plan_instance(&desired("aws_subnet.a", v(json!({"vpc_id": "vpc-1", "cidr_block": "10.0.9.0/24", "availability_zone": "us-east-1a"})), &[], lc));
    p.finish(BTreeMap::new()).0
}

#[test]
fn text_plan() {
    insta::assert_snapshot!("text_plan", render_text(&sample_plan(), false));
}

#[test]
fn text_create_before_destroy_and_destroy() {
    insta::assert_snapshot!("text_cbd", render_text(&cbd_plan(), false));
    let prior = vec![prior(
        "aws_subnet.a",
        subnet_attrs("subnet-1", "10.0.1.0/24"),
        &[],
    )];
    let (plan, _) = Planner::new(
        PlanOptions {
            destroy: true,
            ..Default::default()
        },
        prior,
    )
    .finish(BTreeMap::new());
    insta::assert_snapshot!("text_destroy", render_text(&plan, false));
}

#[test]
fn text_no_changes_and_outputs_only() {
    let prior = vec![prior(
        "aws_subnet.a",
        subnet_attrs("subnet-1", "10.0.1.0/24"),
        &[],
    )];
    let mut p = Planner::new(PlanOptions::default(), prior);
    p.plan_instance(&desired("aws_subnet.a", v(json!({"vpc_id": "vpc-1", "cidr_block": "10.0.1.0/24", "availability_zone": "us-east-1a"})), &[], Lifecycle::default()));
    let (plan, _) = p.finish(BTreeMap::new());
    assert!(!plan.has_changes());
    insta::assert_snapshot!("text_no_changes", render_text(&plan, false));
    let mut with_output = plan.clone();
    with_output.outputs.insert(
        "x".into(),
        OutputChange {
            name: "x".into(),
            before: None,
            after: Value::from(1i64),
            sensitive: false,
        },
    );
    insta::assert_snapshot!("text_outputs_only", render_text(&with_output, false));
}

#[test]
fn colour_only_when_asked() {
    let plan = sample_plan();
    assert!(!render_text(&plan, false).contains('\x1b'));
    let coloured = render_text(&plan, true);
    assert!(coloured.contains("\x1b[32m+\x1b[0m"));
    assert!(coloured.contains("\x1b[1mPlan: "));
}

#[test]
fn json_plan() {
    let j = render_json(&sample_plan());
    assert!(
        !j.to_string().contains("hunter2"),
        "sensitive output leaked"
    );
    insta::assert_json_snapshot!("json_plan", j);
}

#[test]
fn json_cbd() {
    insta::assert_json_snapshot!("json_cbd", render_json(&cbd_plan()));
}

#[test]
fn plan_file_round_trips() {
    for plan in [sample_plan(), cbd_plan()] {
        let j = to_file_json(&plan);
        let text = serde_json::to_string(&j).unwrap();
        let back = from_file_json(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(back, plan);
    }
}

#[test]
fn plan_file_errors_say_what_to_do() {
    let bad = [
        json!({}),
        json!({"version": 99}),
        json!({"version": 1, "destroy": false}),
        {
            let mut j = to_file_json(&cbd_plan());
            j["edges"] = json!([[0, 99]]);
            j
        },
    ];
    for b in bad {
        let e = from_file_json(&b).unwrap_err();
        assert!(e.contains("make the plan again"), "{e}");
        assert_eq!(e, e.to_lowercase(), "{e}");
    }
}

/// A plan whose configuration marks a tag sensitive: an update of an existing VPC (the
/// prior value of the tag is secret too) and a create.
fn sensitive_plan() -> Plan {
    let prior = vec![prior(
        "aws_vpc.main",
        vpc_attrs(
            "vpc-1",
            "10.0.0.0/16",
            json!({"Name": "main", "Secret": "old-s3cret-value"}),
        ),
        &[],
    )];
    let mut p = Planner::new(PlanOptions::default(), prior);
    let tags = |secret: &str| {
        Value::map([
            ("Name", Value::from("main")),
            ("Secret", Value::from(secret).mark()),
        ])
    };
    let config = |secret: &str| {
        Value::map([
            ("cidr_block", Value::from("10.0.0.0/16")),
            ("tags", tags(secret)),
        ])
    };
    let seen = p.plan_instance(&desired(
        "aws_vpc.main",
        config("old-s3cret-value-new"),
        &[],
        Lifecycle::default(),
    ));
    assert!(seen.get("tags").get("Secret").is_marked(), "{seen:?}");
    p.plan_instance(&desired(
        "aws_vpc.other",
        config("hunter2-s3cret"),
        &[],
        Lifecycle::default(),
    ));
    p.finish(BTreeMap::new()).0
}

#[test]
fn sensitive_attributes_are_redacted_everywhere() {
    let plan = sensitive_plan();
    let leaks = |s: &str| ["s3cret"].iter().any(|x| s.contains(x));
    let text = render_text(&plan, false);
    assert!(!leaks(&text), "{text}");
    assert!(text.contains("\"Secret\" = (sensitive value)"), "{text}");
    let j = render_json(&plan);
    assert!(!leaks(&j.to_string()), "{j:#}");
    let other = &j["resource_changes"][1]["change"];
    assert_eq!(other["after_sensitive"]["tags"], json!({"Secret": true}));
    assert_eq!(
        other["after_sensitive"]["tags_all"],
        json!({"Secret": true})
    );
    assert_eq!(other["after"]["tags"]["Secret"], json!(null));
    assert_eq!(other["after"]["tags"]["Name"], json!("main"));
    let main = &j["resource_changes"][0]["change"];
    assert_eq!(main["before_sensitive"]["tags"], json!({"Secret": true}));
    // the saved plan keeps the values (apply needs them) and where they are sensitive
    let back = from_file_json(&to_file_json(&plan)).unwrap();
    assert_eq!(back, plan);
    let text = render_text(&back, false);
    assert!(!leaks(&text), "{text}");
}

#[test]
fn markdown_plan() {
    let md = render_markdown(&sample_plan(), "prod", "API calls: 3 (ec2:DescribeVpcs 1)");
    // replacements and deletions come first, with the attribute that forces each
    let warn = md.find("[!WARNING]").expect("callout");
    assert!(warn < md.find("**Create**").unwrap(), "{md}");
    insta::assert_snapshot!("markdown_plan", md);
}

#[test]
fn markdown_redacts_sensitive_values_and_says_when_nothing_changes() {
    let md = render_markdown(&sensitive_plan(), "s", "");
    assert!(!md.contains("s3cret"), "{md}");
    let none = Plan {
        changes: vec![],
        outputs: BTreeMap::new(),
        graph: ExecGraph::default(),
        destroy: false,
    };
    let md = render_markdown(&none, "dev", "API calls: 0");
    assert!(md.starts_with("### `dev`: no changes"), "{md}");
    assert!(!md.contains("<details>"), "{md}");
}
