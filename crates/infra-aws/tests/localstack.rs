//! The AWS provider against LocalStack. The emulator is started by `localstack/up` once per
//! test binary; if it cannot start, the tests fail (they are never skipped). Every test
//! uses its own stack name and CIDRs' tags, so tests do not see each other's resources.
//! Where useful, results are checked with a raw aws-sdk-ec2 client, independent of the
//! provider.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use infra_aws::{AwsProvider, RetryPolicy};
use infra_model::{Address, Value};
use infra_provider::conformance::{self, full_config};
use infra_provider::{id_of, CreateRequest, Provider, ReadRequest};

// ---- harness ----

static EMULATOR: OnceLock<Result<(), String>> = OnceLock::new();

/// Start (or reuse) the emulator and export its variables into this process.
fn emulator() {
    let ready = EMULATOR.get_or_init(|| {
        let up = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../localstack/up");
        let out = Command::new("bash")
            .arg(&up)
            .output()
            .map_err(|e| format!("could not run {}: {e}", up.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} failed ({}):\n{}",
                up.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut n = 0;
        for line in stdout.lines() {
            if let Some((k, v)) = line
                .strip_prefix("export ")
                .and_then(|kv| kv.split_once('='))
            {
                std::env::set_var(k, v);
                n += 1;
            }
        }
        if n == 0 {
            return Err(format!("localstack/up printed no export lines:\n{stdout}"));
        }
        Ok(())
    });
    if let Err(e) = ready {
        panic!("the LocalStack emulator is required for these tests and could not start: {e}");
    }
}

async fn provider() -> AwsProvider {
    emulator();
    AwsProvider::from_env(None)
        .await
        .expect("provider from the environment")
        .with_retry_policy(RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(1),
        })
        .with_wait_timeout(Duration::from_secs(60))
}

async fn raw_ec2() -> aws_sdk_ec2::Client {
    emulator();
    aws_sdk_ec2::Client::new(&aws_config::load_from_env().await)
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{:08x}", rand::random::<u32>())
}

fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::string(*v)))
            .collect(),
    )
}

fn s(v: &str) -> Value {
    Value::string(v)
}

fn req(stack: &str, type_name: &str, name: &str, attrs: &[(&str, Value)]) -> CreateRequest {
    CreateRequest {
        stack: stack.to_string(),
        address: Address::managed(type_name, name),
        type_name: type_name.to_string(),
        config: full_config(type_name, attrs).expect("a known type"),
        token: unique(&format!("{stack}-{name}")),
        known_ids: Vec::new(),
    }
}

async fn create(p: &AwsProvider, r: &CreateRequest) -> (String, Value) {
    let v = p
        .create(r)
        .await
        .unwrap_or_else(|e| panic!("create {}: {e}", r.address));
    let id = id_of(&v)
        .unwrap_or_else(|| panic!("create {} returned no id: {v}", r.address))
        .to_string();
    (id, v)
}

async fn read_one(p: &AwsProvider, type_name: &str, id: &str, prior: &Value) -> Option<Value> {
    let items = [ReadRequest {
        id: id.to_string(),
        prior: prior.clone(),
    }];
    p.read(type_name, &items)
        .await
        .unwrap_or_else(|e| panic!("read {type_name} {id}: {e}"))
        .remove(id)
}

/// Every attribute of the schema is present, and no `infra:*` tag shows.
fn assert_shape(type_name: &str, v: &Value) {
    let schema =
        infra_model::schema::lookup(infra_model::Mode::Managed, type_name).expect("schema");
    let m = v
        .as_map()
        .unwrap_or_else(|| panic!("{type_name}: not a map: {v}"));
    for a in &schema.attributes {
        assert!(
            m.contains_key(a.name),
            "{type_name}: attribute `{}` missing from {v}",
            a.name
        );
    }
    for b in &schema.blocks {
        assert!(
            m.get(b.name).and_then(Value::as_list).is_some(),
            "{type_name}: block `{}` is not a list in {v}",
            b.name
        );
    }
    for k in ["tags", "tags_all"] {
        if let Some(Value::Map(t)) = m.get(k) {
            assert!(
                t.keys().all(|k| !k.starts_with("infra:")),
                "{type_name}: `{k}` shows infra tags: {v}"
            );
        }
    }
    assert!(
        !m.keys()
            .any(|k| !schema.attributes.iter().any(|a| a.name == k) && schema.block(k).is_none()),
        "{type_name}: extra attributes in {v}"
    );
}

/// Change the tags of a resource, then check update and read show them.
async fn retag(p: &AwsProvider, type_name: &str, id: &str, current: &Value) -> Value {
    let mut desired = current.as_map().cloned().unwrap_or_default();
    let t = tags(&[("Name", "retagged"), ("env", "test")]);
    desired.insert("tags".into(), t.clone());
    desired.insert("tags_all".into(), t);
    let desired = Value::Map(desired);
    let updated = p
        .update(type_name, id, current, &desired)
        .await
        .unwrap_or_else(|e| panic!("update {type_name}: {e}"));
    assert_eq!(
        updated.get("tags_all").get("env").as_str(),
        Some("test"),
        "{type_name}: {updated}"
    );
    let now = read_one(p, type_name, id, &updated)
        .await
        .unwrap_or_else(|| panic!("{type_name} {id} vanished"));
    assert_eq!(
        now.get("tags_all").get("env").as_str(),
        Some("test"),
        "{type_name}: {now}"
    );
    assert_eq!(now.get("tags_all").get("Name").as_str(), Some("retagged"));
    assert!(
        now.get("tags_all").get("only_before").is_null(),
        "{type_name}: removed tag still there: {now}"
    );
    assert_shape(type_name, &now);
    now
}

async fn vpc(p: &AwsProvider, stack: &str, name: &str, cidr: &str) -> (String, Value) {
    create(
        p,
        &req(
            stack,
            "aws_vpc",
            name,
            &[
                ("cidr_block", s(cidr)),
                ("enable_dns_hostnames", Value::Bool(true)),
                ("tags", tags(&[("Name", name), ("only_before", "x")])),
            ],
        ),
    )
    .await
}

async fn subnet(
    p: &AwsProvider,
    stack: &str,
    name: &str,
    vpc_id: &str,
    cidr: &str,
) -> (String, Value) {
    create(
        p,
        &req(
            stack,
            "aws_subnet",
            name,
            &[
                ("vpc_id", s(vpc_id)),
                ("cidr_block", s(cidr)),
                ("tags", tags(&[("Name", name), ("only_before", "x")])),
            ],
        ),
    )
    .await
}

// ---- tests ----

#[tokio::test]
async fn conformance_suite_passes() {
    let p = provider().await;
    conformance::run_all(&p, &unique("conf")).await.unwrap();
}

#[tokio::test]
async fn every_type_creates_reads_retags_and_deletes() {
    let p = provider().await;
    let ec2 = raw_ec2().await;
    let stack = unique("crud");

    let (vpc_id, v) = vpc(&p, &stack, "main", "10.10.0.0/16").await;
    assert_shape("aws_vpc", &v);
    assert_eq!(v.get("enable_dns_hostnames").as_bool(), Some(true));
    assert!(
        v.get("main_route_table_id")
            .as_str()
            .is_some_and(|s| s.starts_with("rtb-")),
        "{v}"
    );
    assert!(
        v.get("default_security_group_id")
            .as_str()
            .is_some_and(|s| s.starts_with("sg-")),
        "{v}"
    );
    let raw = ec2.describe_vpcs().vpc_ids(&vpc_id).send().await.unwrap();
    let raw_tags: BTreeMap<_, _> = raw.vpcs()[0]
        .tags()
        .iter()
        .map(|t| (t.key().unwrap_or(""), t.value().unwrap_or("")))
        .collect();
    assert_eq!(
        raw_tags.get("infra:stack"),
        Some(&stack.as_str()),
        "tagged at creation: {raw_tags:?}"
    );
    assert_eq!(raw_tags.get("infra:address"), Some(&"aws_vpc.main"));
    retag(&p, "aws_vpc", &vpc_id, &v).await;

    let (subnet_id, sv) = subnet(&p, &stack, "public", &vpc_id, "10.10.1.0/24").await;
    assert_shape("aws_subnet", &sv);
    let mut desired = sv.as_map().cloned().unwrap();
    desired.insert("map_public_ip_on_launch".into(), Value::Bool(true));
    let sv2 = p
        .update("aws_subnet", &subnet_id, &sv, &Value::Map(desired))
        .await
        .unwrap();
    assert_eq!(sv2.get("map_public_ip_on_launch").as_bool(), Some(true));
    retag(&p, "aws_subnet", &subnet_id, &sv2).await;

    let (igw_id, iv) = create(
        &p,
        &req(
            &stack,
            "aws_internet_gateway",
            "igw",
            &[
                ("vpc_id", s(&vpc_id)),
                ("tags", tags(&[("only_before", "x")])),
            ],
        ),
    )
    .await;
    assert_shape("aws_internet_gateway", &iv);
    assert_eq!(iv.get("vpc_id").as_str(), Some(vpc_id.as_str()));
    retag(&p, "aws_internet_gateway", &igw_id, &iv).await;

    let (eip_id, ev) = create(
        &p,
        &req(
            &stack,
            "aws_eip",
            "nat",
            &[("tags", tags(&[("only_before", "x")]))],
        ),
    )
    .await;
    assert_shape("aws_eip", &ev);
    assert!(ev.get("public_ip").as_str().is_some(), "{ev}");
    retag(&p, "aws_eip", &eip_id, &ev).await;

    let (nat_id, nv) = create(
        &p,
        &req(
            &stack,
            "aws_nat_gateway",
            "nat",
            &[
                ("allocation_id", s(&eip_id)),
                ("subnet_id", s(&subnet_id)),
                ("tags", tags(&[("only_before", "x")])),
            ],
        ),
    )
    .await;
    assert_shape("aws_nat_gateway", &nv);
    let nv = p.wait_ready("aws_nat_gateway", &nat_id, &nv).await.unwrap();
    assert_eq!(nv.get("allocation_id").as_str(), Some(eip_id.as_str()));
    retag(&p, "aws_nat_gateway", &nat_id, &nv).await;

    let route = |cidr: &str, gw: Option<&str>, nat: Option<&str>| {
        Value::map([
            ("cidr_block", s(cidr)),
            ("gateway_id", gw.map(s).unwrap_or(Value::Null)),
            ("nat_gateway_id", nat.map(s).unwrap_or(Value::Null)),
        ])
    };
    let (rt_id, rv) = create(
        &p,
        &req(
            &stack,
            "aws_route_table",
            "public",
            &[
                ("vpc_id", s(&vpc_id)),
                (
                    "route",
                    Value::List(vec![route("0.0.0.0/0", Some(&igw_id), None)]),
                ),
                ("tags", tags(&[("only_before", "x")])),
            ],
        ),
    )
    .await;
    assert_shape("aws_route_table", &rv);
    assert_eq!(
        rv.get("route").as_list().map(<[Value]>::len),
        Some(1),
        "only the configured route, not `local`: {rv}"
    );
    retag(&p, "aws_route_table", &rt_id, &rv).await;

    let (assoc_id, av) = create(
        &p,
        &req(
            &stack,
            "aws_route_table_association",
            "public",
            &[("subnet_id", s(&subnet_id)), ("route_table_id", s(&rt_id))],
        ),
    )
    .await;
    assert_shape("aws_route_table_association", &av);
    assert_eq!(
        read_one(&p, "aws_route_table_association", &assoc_id, &av)
            .await
            .as_ref(),
        Some(&av)
    );

    let (private_rt, prv) = create(
        &p,
        &req(
            &stack,
            "aws_route_table",
            "private",
            &[("vpc_id", s(&vpc_id))],
        ),
    )
    .await;
    let (route_id, rtv) = create(
        &p,
        &req(
            &stack,
            "aws_route",
            "private_nat",
            &[
                ("route_table_id", s(&private_rt)),
                ("destination_cidr_block", s("0.0.0.0/0")),
                ("nat_gateway_id", s(&nat_id)),
            ],
        ),
    )
    .await;
    assert_eq!(route_id, format!("{private_rt}_0.0.0.0/0"));
    assert_shape("aws_route", &rtv);
    assert_eq!(rtv.get("nat_gateway_id").as_str(), Some(nat_id.as_str()));
    // association moves to the private table: ReplaceRouteTableAssociation
    let mut moved = av.as_map().cloned().unwrap();
    moved.insert("route_table_id".into(), s(&private_rt));
    let av2 = p
        .update(
            "aws_route_table_association",
            &assoc_id,
            &av,
            &Value::Map(moved),
        )
        .await
        .unwrap();
    let assoc2 = id_of(&av2).unwrap().to_string();
    let got = read_one(&p, "aws_route_table_association", &assoc2, &av2)
        .await
        .expect("replaced association is readable");
    assert_eq!(
        got.get("route_table_id").as_str(),
        Some(private_rt.as_str())
    );

    let (sg_id, gv) = create(
        &p,
        &req(
            &stack,
            "aws_security_group",
            "db",
            &[
                ("name", s(&format!("{stack}-db"))),
                ("vpc_id", s(&vpc_id)),
                (
                    "ingress",
                    Value::List(vec![Value::map([
                        ("from_port", Value::from(5432i64)),
                        ("to_port", Value::from(5432i64)),
                        ("protocol", s("tcp")),
                        ("cidr_blocks", Value::List(vec![s("10.10.1.0/24")])),
                    ])]),
                ),
                ("tags", tags(&[("only_before", "x")])),
            ],
        ),
    )
    .await;
    assert_shape("aws_security_group", &gv);
    retag(&p, "aws_security_group", &sg_id, &gv).await;

    // delete in reverse order; each is gone for the provider and for a raw client
    p.delete("aws_security_group", &sg_id, &gv).await.unwrap();
    p.delete("aws_route", &route_id, &rtv).await.unwrap();
    p.delete("aws_route_table_association", &assoc2, &av2)
        .await
        .unwrap();
    p.delete("aws_route_table", &private_rt, &prv)
        .await
        .unwrap();
    p.delete("aws_route_table", &rt_id, &rv).await.unwrap();
    p.delete("aws_nat_gateway", &nat_id, &nv).await.unwrap();
    p.delete("aws_eip", &eip_id, &ev).await.unwrap();
    p.delete("aws_internet_gateway", &igw_id, &iv)
        .await
        .unwrap();
    p.delete("aws_subnet", &subnet_id, &sv).await.unwrap();
    p.delete("aws_vpc", &vpc_id, &v).await.unwrap();
    for (t, id, prior) in [
        ("aws_security_group", &sg_id, &gv),
        ("aws_route", &route_id, &rtv),
        ("aws_route_table_association", &assoc2, &av2),
        ("aws_route_table", &rt_id, &rv),
        ("aws_nat_gateway", &nat_id, &nv),
        ("aws_eip", &eip_id, &ev),
        ("aws_internet_gateway", &igw_id, &iv),
        ("aws_subnet", &subnet_id, &sv),
        ("aws_vpc", &vpc_id, &v),
    ] {
        assert!(
            read_one(&p, t, id, prior).await.is_none(),
            "{t} {id} still readable after delete"
        );
        p.delete(t, id, prior)
            .await
            .unwrap_or_else(|e| panic!("second delete of {t} {id}: {e}"));
    }
    let left = ec2
        .describe_vpcs()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:infra:stack")
                .values(&stack)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(
        left.vpcs().is_empty(),
        "raw client still sees the stack's vpc"
    );
    let nat = ec2
        .describe_nat_gateways()
        .nat_gateway_ids(&nat_id)
        .send()
        .await
        .unwrap();
    assert!(
        nat.nat_gateways()
            .iter()
            .all(|n| n.state() == Some(&aws_sdk_ec2::types::NatGatewayState::Deleted)),
        "nat gateway not deleted"
    );
}

#[tokio::test]
async fn batched_reads_make_one_describe_call_per_type() {
    let p = provider().await;
    let stack = unique("batch");
    let mut vpcs = Vec::new();
    for i in 0..3 {
        let (id, v) = vpc(&p, &stack, &format!("v{i}"), &format!("10.2{i}.0.0/16")).await;
        vpcs.push(ReadRequest { id, prior: v });
    }
    let mut subnets = Vec::new();
    for i in 0..5 {
        let (id, v) = subnet(
            &p,
            &stack,
            &format!("s{i}"),
            &vpcs[0].id,
            &format!("10.20.{i}.0/24"),
        )
        .await;
        subnets.push(ReadRequest { id, prior: v });
    }
    let mut sgs = Vec::new();
    for i in 0..3 {
        let (id, v) = create(
            &p,
            &req(
                &stack,
                "aws_security_group",
                &format!("g{i}"),
                &[
                    ("name", s(&format!("{stack}-g{i}"))),
                    ("vpc_id", s(&vpcs[0].id)),
                ],
            ),
        )
        .await;
        sgs.push(ReadRequest { id, prior: v });
    }

    for (t, items, op) in [
        ("aws_vpc", &vpcs, "ec2:DescribeVpcs"),
        ("aws_subnet", &subnets, "ec2:DescribeSubnets"),
        ("aws_security_group", &sgs, "ec2:DescribeSecurityGroups"),
    ] {
        let before = p.api_calls();
        let got = p.read(t, items).await.unwrap();
        let calls = p.api_calls().since(&before);
        assert_eq!(got.len(), items.len(), "{t}: {got:?}");
        assert_eq!(calls.get(op), 1, "{t}: {calls:?}");
        assert_eq!(calls.total(), 1, "{t}: one call in all: {calls:?}");
        for i in items.iter() {
            assert_eq!(
                got.get(&i.id),
                Some(&i.prior),
                "{t} {}: a read right after create equals what create returned",
                i.id
            );
        }
    }

    // a subnet deleted behind our back is absent from the read, still one call
    let ec2 = raw_ec2().await;
    ec2.delete_subnet()
        .subnet_id(&subnets[2].id)
        .send()
        .await
        .unwrap();
    let before = p.api_calls();
    let got = p.read("aws_subnet", &subnets).await.unwrap();
    assert_eq!(p.api_calls().since(&before).total(), 1);
    assert!(!got.contains_key(&subnets[2].id));
    assert_eq!(got.len(), 4);

    for i in &sgs {
        p.delete("aws_security_group", &i.id, &i.prior)
            .await
            .unwrap();
    }
    for i in &subnets {
        p.delete("aws_subnet", &i.id, &i.prior).await.unwrap();
    }
    for i in &vpcs {
        p.delete("aws_vpc", &i.id, &i.prior).await.unwrap();
    }
}

#[tokio::test]
async fn adopt_finds_an_unrecorded_vpc_and_nat_gateway_by_tags() {
    let p = provider().await;
    let stack = unique("adopt");
    let vpc_req = req(
        &stack,
        "aws_vpc",
        "main",
        &[
            ("cidr_block", s("10.30.0.0/16")),
            ("tags", tags(&[("Name", "adopt")])),
        ],
    );
    // a create whose result was never recorded (the process was killed)
    let (vpc_id, _) = create(&p, &vpc_req).await;
    let rerun = CreateRequest {
        token: unique("rerun"),
        ..vpc_req.clone()
    };
    let found = p.adopt(&rerun).await.unwrap().expect("adopt finds the vpc");
    assert_eq!(id_of(&found), Some(vpc_id.as_str()));
    assert_shape("aws_vpc", &found);
    assert_eq!(found.get("tags").get("Name").as_str(), Some("adopt"));
    let other_stack = CreateRequest {
        stack: unique("adopt-other"),
        ..vpc_req.clone()
    };
    assert!(
        p.adopt(&other_stack).await.unwrap().is_none(),
        "another stack's resource is not adopted"
    );

    let (subnet_id, sv) = subnet(&p, &stack, "a", &vpc_id, "10.30.1.0/24").await;
    let (eip_id, ev) = create(&p, &req(&stack, "aws_eip", "a", &[])).await;
    let nat_req = req(
        &stack,
        "aws_nat_gateway",
        "a",
        &[("allocation_id", s(&eip_id)), ("subnet_id", s(&subnet_id))],
    );
    let (nat_id, nv) = create(&p, &nat_req).await;
    let found = p
        .adopt(&CreateRequest {
            token: unique("rerun"),
            ..nat_req.clone()
        })
        .await
        .unwrap()
        .expect("adopt finds the nat gateway");
    assert_eq!(id_of(&found), Some(nat_id.as_str()));
    assert_shape("aws_nat_gateway", &found);
    // the emulator ignores tag filters on DescribeNatGateways: another stack's request
    // must still find nothing
    let stranger = CreateRequest {
        stack: unique("adopt-other"),
        ..nat_req.clone()
    };
    assert!(
        p.adopt(&stranger).await.unwrap().is_none(),
        "another stack's nat gateway is not adopted"
    );
    p.delete("aws_nat_gateway", &nat_id, &nv).await.unwrap();
    assert!(
        p.adopt(&nat_req).await.unwrap().is_none(),
        "a deleted nat gateway is not adopted"
    );

    p.delete("aws_eip", &eip_id, &ev).await.unwrap();
    p.delete("aws_subnet", &subnet_id, &sv).await.unwrap();
    p.delete("aws_vpc", &vpc_id, &found).await.unwrap();
}

#[tokio::test]
async fn adopt_finds_routes_and_associations_by_natural_key() {
    let p = provider().await;
    let stack = unique("adoptrt");
    let (vpc_id, vv) = vpc(&p, &stack, "main", "10.31.0.0/16").await;
    let (subnet_id, sv) = subnet(&p, &stack, "a", &vpc_id, "10.31.1.0/24").await;
    let (igw_id, iv) = create(
        &p,
        &req(
            &stack,
            "aws_internet_gateway",
            "gw",
            &[("vpc_id", s(&vpc_id))],
        ),
    )
    .await;
    let (rt_id, rv) = create(
        &p,
        &req(&stack, "aws_route_table", "rt", &[("vpc_id", s(&vpc_id))]),
    )
    .await;
    let route_req = req(
        &stack,
        "aws_route",
        "r",
        &[
            ("route_table_id", s(&rt_id)),
            ("destination_cidr_block", s("0.0.0.0/0")),
            ("gateway_id", s(&igw_id)),
        ],
    );
    assert!(p.adopt(&route_req).await.unwrap().is_none());
    let (route_id, rtv) = create(&p, &route_req).await;
    assert_eq!(
        p.adopt(&route_req).await.unwrap().as_ref().and_then(id_of),
        Some(route_id.as_str())
    );
    let assoc_req = req(
        &stack,
        "aws_route_table_association",
        "a",
        &[("subnet_id", s(&subnet_id)), ("route_table_id", s(&rt_id))],
    );
    assert!(p.adopt(&assoc_req).await.unwrap().is_none());
    let (assoc_id, av) = create(&p, &assoc_req).await;
    assert_eq!(
        p.adopt(&assoc_req).await.unwrap().as_ref().and_then(id_of),
        Some(assoc_id.as_str())
    );

    p.delete("aws_route_table_association", &assoc_id, &av)
        .await
        .unwrap();
    p.delete("aws_route", &route_id, &rtv).await.unwrap();
    p.delete("aws_route_table", &rt_id, &rv).await.unwrap();
    p.delete("aws_internet_gateway", &igw_id, &iv)
        .await
        .unwrap();
    p.delete("aws_subnet", &subnet_id, &sv).await.unwrap();
    p.delete("aws_vpc", &vpc_id, &vv).await.unwrap();
}

#[tokio::test]
async fn nat_gateway_waits_available_then_deleted() {
    let p = provider().await;
    let ec2 = raw_ec2().await;
    let stack = unique("nat");
    let (vpc_id, vv) = vpc(&p, &stack, "main", "10.40.0.0/16").await;
    let (subnet_id, sv) = subnet(&p, &stack, "a", &vpc_id, "10.40.1.0/24").await;
    let (eip_id, ev) = create(&p, &req(&stack, "aws_eip", "a", &[])).await;
    let nat_req = req(
        &stack,
        "aws_nat_gateway",
        "a",
        &[("allocation_id", s(&eip_id)), ("subnet_id", s(&subnet_id))],
    );
    let before = p.api_calls();
    let (nat_id, nv) = create(&p, &nat_req).await;
    assert_eq!(p.api_calls().since(&before).get("ec2:CreateNatGateway"), 1);
    let ready = p.wait_ready("aws_nat_gateway", &nat_id, &nv).await.unwrap();
    assert_eq!(ready.get("subnet_id").as_str(), Some(subnet_id.as_str()));
    assert!(ready.get("public_ip").as_str().is_some(), "{ready}");
    let raw = ec2
        .describe_nat_gateways()
        .nat_gateway_ids(&nat_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        raw.nat_gateways()[0].state(),
        Some(&aws_sdk_ec2::types::NatGatewayState::Available)
    );

    p.delete("aws_nat_gateway", &nat_id, &ready).await.unwrap();
    let raw = ec2
        .describe_nat_gateways()
        .nat_gateway_ids(&nat_id)
        .send()
        .await
        .unwrap();
    assert!(raw
        .nat_gateways()
        .iter()
        .all(|n| n.state() == Some(&aws_sdk_ec2::types::NatGatewayState::Deleted)));
    assert!(
        read_one(&p, "aws_nat_gateway", &nat_id, &ready)
            .await
            .is_none(),
        "a deleted nat gateway reads as gone"
    );
    p.delete("aws_nat_gateway", &nat_id, &ready)
        .await
        .expect("second delete is ok");

    p.delete("aws_eip", &eip_id, &ev).await.unwrap();
    p.delete("aws_subnet", &subnet_id, &sv).await.unwrap();
    p.delete("aws_vpc", &vpc_id, &vv).await.unwrap();
}

fn rule(proto: &str, from: i64, to: i64, cidrs: &[&str], groups: &[&str]) -> Value {
    Value::map([
        ("protocol", s(proto)),
        ("from_port", Value::from(from)),
        ("to_port", Value::from(to)),
        (
            "cidr_blocks",
            Value::List(cidrs.iter().map(|c| s(c)).collect()),
        ),
        (
            "security_groups",
            Value::List(groups.iter().map(|c| s(c)).collect()),
        ),
    ])
}

/// (protocol, from, to, source) of what the raw client reports.
fn raw_rules(perms: &[aws_sdk_ec2::types::IpPermission]) -> Vec<(String, i32, i32, String)> {
    let mut out = Vec::new();
    for p in perms {
        let key = |src: &str| {
            (
                p.ip_protocol().unwrap_or("").to_string(),
                p.from_port().unwrap_or(0),
                p.to_port().unwrap_or(0),
                src.to_string(),
            )
        };
        out.extend(p.ip_ranges().iter().filter_map(|r| r.cidr_ip()).map(key));
        out.extend(
            p.user_id_group_pairs()
                .iter()
                .filter_map(|g| g.group_id())
                .map(key),
        );
    }
    out.sort();
    out
}

#[tokio::test]
async fn security_group_rules_are_diffed() {
    let p = provider().await;
    let ec2 = raw_ec2().await;
    let stack = unique("sg");
    let (vpc_id, vv) = vpc(&p, &stack, "main", "10.50.0.0/16").await;
    let (app_id, appv) = create(
        &p,
        &req(
            &stack,
            "aws_security_group",
            "app",
            &[("name", s(&format!("{stack}-app"))), ("vpc_id", s(&vpc_id))],
        ),
    )
    .await;
    let raw = ec2
        .describe_security_groups()
        .group_ids(&app_id)
        .send()
        .await
        .unwrap();
    assert!(
        raw.security_groups()[0].ip_permissions_egress().is_empty(),
        "the default allow-all egress is revoked"
    );
    assert_eq!(appv.get("egress"), &Value::List(vec![]));

    let (db_id, dbv) = create(
        &p,
        &req(
            &stack,
            "aws_security_group",
            "db",
            &[
                ("name", s(&format!("{stack}-db"))),
                ("description", s("database")),
                ("vpc_id", s(&vpc_id)),
                (
                    "ingress",
                    Value::List(vec![
                        rule("tcp", 443, 443, &["10.50.1.0/24"], &[]),
                        rule("6", 22, 22, &["10.50.9.0/24"], &[]),
                    ]),
                ),
                (
                    "egress",
                    Value::List(vec![rule("all", 0, 0, &["0.0.0.0/0"], &[])]),
                ),
            ],
        ),
    )
    .await;
    assert_eq!(dbv.get("description").as_str(), Some("database"));
    assert_eq!(
        dbv.get("ingress").as_list().map(<[Value]>::len),
        Some(2),
        "{dbv}"
    );
    // the rules read back as written ("6", "all"), so a plan shows no change
    assert_eq!(
        read_one(&p, "aws_security_group", &db_id, &dbv)
            .await
            .as_ref(),
        Some(&dbv)
    );

    // drop 443, keep 22, add 5432 from the app group; egress unchanged
    let mut desired = dbv.as_map().cloned().unwrap();
    desired.insert(
        "ingress".into(),
        Value::List(vec![
            rule("6", 22, 22, &["10.50.9.0/24"], &[]),
            rule("tcp", 5432, 5432, &[], &[&app_id]),
        ]),
    );
    let before = p.api_calls();
    let updated = p
        .update("aws_security_group", &db_id, &dbv, &Value::Map(desired))
        .await
        .unwrap();
    let calls = p.api_calls().since(&before);
    assert_eq!(calls.get("ec2:RevokeSecurityGroupIngress"), 1, "{calls:?}");
    assert_eq!(
        calls.get("ec2:AuthorizeSecurityGroupIngress"),
        1,
        "{calls:?}"
    );
    assert_eq!(
        calls.get("ec2:RevokeSecurityGroupEgress") + calls.get("ec2:AuthorizeSecurityGroupEgress"),
        0,
        "{calls:?}"
    );
    let raw = ec2
        .describe_security_groups()
        .group_ids(&db_id)
        .send()
        .await
        .unwrap();
    let g = &raw.security_groups()[0];
    assert_eq!(
        raw_rules(g.ip_permissions()),
        vec![
            ("tcp".to_string(), 22, 22, "10.50.9.0/24".to_string()),
            ("tcp".to_string(), 5432, 5432, app_id.clone())
        ]
    );
    assert_eq!(raw_rules(g.ip_permissions_egress()).len(), 1);
    assert_eq!(
        updated.get("ingress").as_list().map(<[Value]>::len),
        Some(2),
        "{updated}"
    );

    p.delete("aws_security_group", &db_id, &updated)
        .await
        .unwrap();
    p.delete("aws_security_group", &app_id, &appv)
        .await
        .unwrap();
    p.delete("aws_vpc", &vpc_id, &vv).await.unwrap();
}

#[tokio::test]
async fn route_table_inline_routes_are_diffed() {
    let p = provider().await;
    let stack = unique("routes");
    let (vpc_id, vv) = vpc(&p, &stack, "main", "10.60.0.0/16").await;
    let (igw_id, iv) = create(
        &p,
        &req(
            &stack,
            "aws_internet_gateway",
            "gw",
            &[("vpc_id", s(&vpc_id))],
        ),
    )
    .await;
    let (subnet_id, sv) = subnet(&p, &stack, "a", &vpc_id, "10.60.1.0/24").await;
    let (eip_id, ev) = create(&p, &req(&stack, "aws_eip", "a", &[])).await;
    let (nat_id, nv) = create(
        &p,
        &req(
            &stack,
            "aws_nat_gateway",
            "a",
            &[("allocation_id", s(&eip_id)), ("subnet_id", s(&subnet_id))],
        ),
    )
    .await;
    let route = |cidr: &str, gw: Option<&str>, nat: Option<&str>| {
        Value::map([
            ("cidr_block", s(cidr)),
            ("gateway_id", gw.map(s).unwrap_or(Value::Null)),
            ("nat_gateway_id", nat.map(s).unwrap_or(Value::Null)),
        ])
    };
    let (rt_id, rv) = create(
        &p,
        &req(
            &stack,
            "aws_route_table",
            "rt",
            &[
                ("vpc_id", s(&vpc_id)),
                (
                    "route",
                    Value::List(vec![
                        route("0.0.0.0/0", Some(&igw_id), None),
                        route("192.168.0.0/16", Some(&igw_id), None),
                    ]),
                ),
            ],
        ),
    )
    .await;
    assert_eq!(rv.get("route").as_list().map(<[Value]>::len), Some(2));
    // replace the default route's target, delete one, add one
    let mut desired = rv.as_map().cloned().unwrap();
    desired.insert(
        "route".into(),
        Value::List(vec![
            route("0.0.0.0/0", None, Some(&nat_id)),
            route("172.16.0.0/12", Some(&igw_id), None),
        ]),
    );
    let before = p.api_calls();
    let updated = p
        .update("aws_route_table", &rt_id, &rv, &Value::Map(desired))
        .await
        .unwrap();
    let calls = p.api_calls().since(&before);
    assert_eq!(
        (
            calls.get("ec2:ReplaceRoute"),
            calls.get("ec2:DeleteRoute"),
            calls.get("ec2:CreateRoute")
        ),
        (1, 1, 1),
        "{calls:?}"
    );
    let routes = updated.get("route").as_list().unwrap().to_vec();
    assert_eq!(routes.len(), 2, "{updated}");
    assert!(
        routes.contains(&route("0.0.0.0/0", None, Some(&nat_id))),
        "{updated}"
    );
    assert!(
        routes.contains(&route("172.16.0.0/12", Some(&igw_id), None)),
        "{updated}"
    );

    p.delete("aws_route_table", &rt_id, &updated).await.unwrap();
    p.delete("aws_nat_gateway", &nat_id, &nv).await.unwrap();
    p.delete("aws_eip", &eip_id, &ev).await.unwrap();
    p.delete("aws_subnet", &subnet_id, &sv).await.unwrap();
    p.delete("aws_internet_gateway", &igw_id, &iv)
        .await
        .unwrap();
    p.delete("aws_vpc", &vpc_id, &vv).await.unwrap();
}

#[tokio::test]
async fn data_sources_answer() {
    let p = provider().await;
    let azs = p
        .read_data(
            "aws_availability_zones",
            &Value::map([("state", s("available"))]),
        )
        .await
        .unwrap();
    let names = azs.get("names").as_list().unwrap();
    assert!(names.len() >= 2, "{azs}");
    assert!(
        names
            .iter()
            .all(|n| n.as_str().is_some_and(|n| n.starts_with("us-east-1"))),
        "{azs}"
    );
    assert_eq!(
        azs.get("zone_ids").as_list().map(<[Value]>::len),
        Some(names.len()),
        "{azs}"
    );
    let region = p
        .read_data("aws_region", &Value::Map(BTreeMap::new()))
        .await
        .unwrap();
    assert_eq!(region.get("name").as_str(), Some("us-east-1"));
    let me = p
        .read_data("aws_caller_identity", &Value::Map(BTreeMap::new()))
        .await
        .unwrap();
    let account = me.get("account_id").as_str().expect("account id");
    assert_eq!(account.len(), 12, "{me}");
    assert!(
        me.get("arn")
            .as_str()
            .is_some_and(|a| a.starts_with("arn:aws")),
        "{me}"
    );
    assert_eq!(p.api_calls().get("sts:GetCallerIdentity"), 1);
}

#[tokio::test]
async fn api_errors_carry_code_and_operation() {
    let p = provider().await;
    let err = p
        .create(&req(
            &unique("err"),
            "aws_subnet",
            "bad",
            &[
                ("vpc_id", s("vpc-00000000deadbeef")),
                ("cidr_block", s("10.0.0.0/24")),
            ],
        ))
        .await
        .expect_err("a subnet in a missing vpc fails");
    assert_eq!(err.operation.as_deref(), Some("ec2:CreateSubnet"));
    assert!(
        err.code.as_deref().is_some_and(|c| c.contains("NotFound")),
        "{err:?}"
    );
    assert_eq!(
        p.api_calls().get("ec2:CreateSubnet"),
        1,
        "not-found is not retried"
    );
}

/// Addresses of `for_each` / `count` instances hold `[...]`, which the emulator reads as a
/// glob character class in filter values; adoption must still find them (a regression:
/// every keyed resource was re-created after a crash).
#[tokio::test]
async fn adopt_finds_keyed_instances() {
    use infra_model::InstanceKey;
    let p = provider().await;
    let stack = unique("adoptkey");
    let mut eip_a = req(&stack, "aws_eip", "nat", &[]);
    eip_a.address = eip_a
        .address
        .with_key(Some(InstanceKey::Str("us-east-1a".into())));
    let mut eip_0 = req(&stack, "aws_eip", "nat", &[]);
    eip_0.address = eip_0.address.with_key(Some(InstanceKey::Int(0)));
    let (id_a, _) = create(&p, &eip_a).await;
    let (id_0, _) = create(&p, &eip_0).await;
    let found_a = p
        .adopt(&eip_a)
        .await
        .unwrap()
        .expect("adopt finds aws_eip.nat[\"us-east-1a\"]");
    assert_eq!(id_of(&found_a), Some(id_a.as_str()));
    let found_0 = p
        .adopt(&eip_0)
        .await
        .unwrap()
        .expect("adopt finds aws_eip.nat[0]");
    assert_eq!(id_of(&found_0), Some(id_0.as_str()));
    let mut other = eip_0.clone();
    other.address = other.address.with_key(Some(InstanceKey::Int(1)));
    assert!(
        p.adopt(&other).await.unwrap().is_none(),
        "a sibling instance is not adopted"
    );
    for id in [&id_a, &id_0] {
        p.delete("aws_eip", id, &Value::Null).await.unwrap();
    }
}

/// IAM, Route53 and EKS (EKS from moto's server through AWS_ENDPOINT_URL_EKS).
#[path = "localstack/eks_dns.rs"]
mod eks_dns;
