//! The network family (VPC, subnets, gateways, EIP/NAT, route tables, security groups):
//! create/read/retag/delete, batched reads, NAT waits, data sources and API errors.

use super::*;

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
