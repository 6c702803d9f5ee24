//! Adoption: finding what a killed run created but never recorded, by the infra tags or
//! by natural keys.

use super::*;

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

/// A kill between CreateHostedZone / CreateHealthCheck and the ChangeTagsForResource that
/// tags what it made: adoption finds the zone and the check by their CallerReference (the
/// intent's token) and tags them as the create would have, rather than letting a rerun
/// make a second one.
#[tokio::test]
async fn adopt_finds_and_tags_an_untagged_zone_and_health_check_by_caller_reference() {
    use aws_sdk_route53::types::{HealthCheckConfig, HealthCheckType, TagResourceType};
    let p = provider().await;
    let r53 = aws_sdk_route53::Client::new(&aws_config::load_from_env().await);
    let stack = unique("adopt53");
    let domain = format!("{}.example.com", unique("z"));
    let zr = req(
        &stack,
        "aws_route53_zone",
        "main",
        &[("name", s(&domain)), ("tags", tags(&[("Name", "adopt")]))],
    );
    // the create's first call landed; the kill came before its tags
    let made = r53
        .create_hosted_zone()
        .name(&domain)
        .caller_reference(&zr.token)
        .send()
        .await
        .unwrap();
    let zone_id = made
        .hosted_zone()
        .unwrap()
        .id()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let found = p
        .adopt(&zr)
        .await
        .unwrap()
        .expect("adopted by caller reference");
    assert_eq!(id_of(&found), Some(zone_id.as_str()));
    let hc = req(
        &stack,
        "aws_route53_health_check",
        "main",
        &[
            ("type", s("HTTP")),
            ("fqdn", s(&format!("www.{domain}"))),
            ("port", Value::Number(80.0)),
        ],
    );
    let config = HealthCheckConfig::builder()
        .r#type(HealthCheckType::Http)
        .fully_qualified_domain_name(format!("www.{domain}"))
        .port(80)
        .build()
        .unwrap();
    let check = r53
        .create_health_check()
        .caller_reference(&hc.token)
        .health_check_config(config)
        .send()
        .await
        .unwrap();
    let check_id = check.health_check().unwrap().id().to_string();
    let found = p
        .adopt(&hc)
        .await
        .unwrap()
        .expect("adopted by caller reference");
    assert_eq!(id_of(&found), Some(check_id.as_str()));
    for (kind, id, want) in [
        (
            TagResourceType::Hostedzone,
            &zone_id,
            vec!["Name", "infra:stack", "infra:address"],
        ),
        (
            TagResourceType::Healthcheck,
            &check_id,
            vec!["infra:stack", "infra:address"],
        ),
    ] {
        let out = r53
            .list_tags_for_resource()
            .resource_type(kind)
            .resource_id(id.as_str())
            .send()
            .await
            .unwrap();
        let keys: Vec<&str> = out
            .resource_tag_set()
            .map(|s| s.tags().iter().filter_map(|t| t.key()).collect())
            .unwrap_or_default();
        for k in want {
            assert!(
                keys.contains(&k),
                "{id} is tagged {k} once adopted: {keys:?}"
            );
        }
    }
    let zv = read_one(&p, "aws_route53_zone", &zone_id, &found).await;
    p.delete("aws_route53_health_check", &check_id, &found)
        .await
        .unwrap();
    p.delete("aws_route53_zone", &zone_id, &zv.unwrap_or(Value::Null))
        .await
        .unwrap();
}
