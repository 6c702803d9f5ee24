//! The fake provider's own behaviour: the knobs the engine tests rely on.
//! (The conformance suite it passes runs in `infra-provider` itself.)
use std::time::Duration;

use infra_model::{tags, Address, Value};
use infra_provider::conformance::full_config;
use infra_provider::fake::*;
use infra_provider::{CreateRequest, ErrorKind, Provider, ReadRequest};

fn vpc_req(name: &str) -> CreateRequest {
    CreateRequest {
        stack: "s".into(),
        address: Address::managed("aws_vpc", name),
        type_name: "aws_vpc".into(),
        known_ids: Vec::new(),
        config: full_config(
            "aws_vpc",
            &[
                ("cidr_block", Value::string("10.0.0.0/16")),
                ("tags", Value::map([("Name", Value::string(name))])),
            ],
        )
        .unwrap_or_default(),
        token: format!("tok-{name}"),
    }
}

#[tokio::test]
async fn create_fills_ids_and_computed_attributes_and_hides_infra_tags() {
    let p = FakeProvider::new();
    let v = p.create(&vpc_req("main")).await.unwrap();
    assert_eq!(id(&v), "vpc-0000000001");
    assert_eq!(v.get("owner_id").as_str(), Some(ACCOUNT_ID));
    assert!(v
        .get("arn")
        .as_str()
        .unwrap_or_default()
        .ends_with("vpc/vpc-0000000001"));
    assert_eq!(v.get("tags_all").get("Name").as_str(), Some("main"));
    assert!(v.get("tags_all").get(tags::STACK).is_null());
    let raw = p.get_raw("aws_vpc", "vpc-0000000001").unwrap();
    assert_eq!(
        raw.get("tags_all").get(tags::ADDRESS).as_str(),
        Some("aws_vpc.main")
    );
    // the same token returns the same object, never a duplicate
    let again = p.create(&vpc_req("main")).await.unwrap();
    assert_eq!(id(&again), "vpc-0000000001");
    assert_eq!(p.count("aws_vpc"), 1);
    assert_eq!(p.api_calls().get("fake:CreateVpc"), 2);
}

#[tokio::test]
async fn injected_failures_fire_the_configured_number_of_times() {
    let p = FakeProvider::new();
    p.fail(
        Target::address(&Address::managed("aws_vpc", "a")),
        Op::Create,
        Times::Count(2),
        ErrorKind::Throttled,
    );
    for _ in 0..2 {
        let e = p.create(&vpc_req("a")).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Throttled);
        assert_eq!(e.code.as_deref(), Some("RequestLimitExceeded"));
    }
    assert!(p.create(&vpc_req("a")).await.is_ok());
    assert!(
        p.create(&vpc_req("b")).await.is_ok(),
        "other addresses are unaffected"
    );
    p.fail(
        Target::type_name("aws_vpc"),
        Op::Delete,
        Times::Always,
        ErrorKind::Rejected,
    );
    for _ in 0..3 {
        assert!(p
            .delete("aws_vpc", "vpc-0000000001", &Value::Null)
            .await
            .is_err());
    }
    assert_eq!(p.count("aws_vpc"), 2);
}

#[tokio::test]
async fn lost_response_creates_the_object_but_reports_an_error() {
    let p = FakeProvider::new();
    p.lose_response(Target::Any, Times::Count(1));
    let req = vpc_req("lost");
    assert_eq!(p.create(&req).await.unwrap_err().kind, ErrorKind::Transient);
    assert_eq!(p.count("aws_vpc"), 1);
    let rerun = CreateRequest {
        token: "other".into(),
        ..req
    };
    let adopted = p.adopt(&rerun).await.unwrap().unwrap();
    assert_eq!(id(&adopted), "vpc-0000000001");
}

#[tokio::test]
async fn behind_our_back_changes_show_in_reads() {
    let p = FakeProvider::new();
    let a = p.create(&vpc_req("a")).await.unwrap();
    let b = p.create(&vpc_req("b")).await.unwrap();
    assert!(p.set_tag("aws_vpc", &id(&a), "Name", Some("changed")));
    assert!(p.remove("aws_vpc", &id(&b)));
    let items = [
        ReadRequest {
            id: id(&a),
            prior: a.clone(),
        },
        ReadRequest {
            id: id(&b),
            prior: b,
        },
    ];
    let got = p.read("aws_vpc", &items).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[&id(&a)].get("tags").get("Name").as_str(),
        Some("changed")
    );
    assert_eq!(p.api_calls().get("fake:DescribeVpcs"), 1);
    assert_eq!(p.calls_of(Op::Read)[0].ids.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn delays_and_pending_take_time_and_count_in_flight() {
    let p = std::sync::Arc::new(FakeProvider::new());
    p.set_delay(Target::Any, Op::Create, Duration::from_secs(2));
    p.set_pending(Target::type_name("aws_vpc"), Duration::from_secs(30));
    let start = tokio::time::Instant::now();
    let (rx, ry) = (vpc_req("x"), vpc_req("y"));
    let (x, y) = tokio::join!(p.create(&rx), p.create(&ry));
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(p.max_in_flight(), 2);
    let x = x.unwrap();
    assert!(y.is_ok());
    p.wait_ready("aws_vpc", &id(&x), &x).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(32));
    assert_eq!(p.in_flight(), 0);
}
