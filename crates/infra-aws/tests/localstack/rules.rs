//! Security group rules and inline routes are diffed rule by rule.

use super::*;

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
    // read back with every destination and target of the block; these three matter here
    let routes: Vec<Value> = updated
        .get("route")
        .as_list()
        .unwrap()
        .iter()
        .map(|r| {
            Value::map([
                ("cidr_block", r.get("cidr_block").clone()),
                ("gateway_id", r.get("gateway_id").clone()),
                ("nat_gateway_id", r.get("nat_gateway_id").clone()),
            ])
        })
        .collect();
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
