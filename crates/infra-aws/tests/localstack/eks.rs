//! EKS clusters and node groups (moto's server).

use super::*;

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/eks-cluster";
const NODE_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/eks-nodes";

fn vpc_config(subnets: &[&str], public: bool) -> Value {
    Value::List(vec![Value::map([
        ("subnet_ids", list(subnets)),
        ("endpoint_private_access", Value::Bool(true)),
        ("endpoint_public_access", Value::Bool(public)),
    ])])
}

fn scaling(min: i64, max: i64, desired: i64) -> Value {
    Value::List(vec![Value::map([
        ("min_size", Value::Number(min as f64)),
        ("max_size", Value::Number(max as f64)),
        ("desired_size", Value::Number(desired as f64)),
    ])])
}

async fn cluster(p: &AwsProvider, stack: &str) -> (CreateRequest, String, Value) {
    let r = req(
        stack,
        "aws_eks_cluster",
        "main",
        &[
            ("name", s(&unique("eks"))),
            ("role_arn", s(ROLE_ARN)),
            ("version", s("1.29")),
            ("vpc_config", vpc_config(&["subnet-0a", "subnet-0b"], true)),
            ("tags", tags(&[("Name", "main"), ("only_before", "x")])),
        ],
    );
    let (id, v) = create(p, &r).await;
    let v = p.wait_ready("aws_eks_cluster", &id, &v).await.unwrap();
    (r, id, v)
}

#[tokio::test]
async fn eks_cluster_creates_waits_updates_and_deletes() {
    let p = provider().await;
    let stack = unique("eks");
    let (r, id, v) = cluster(&p, &stack).await;
    assert_shape("aws_eks_cluster", &v);
    assert_eq!(v.get("status").as_str(), Some("ACTIVE"));
    assert!(v.get("endpoint").as_str().is_some(), "{v}");
    let ca = v.get("certificate_authority").as_list().unwrap();
    assert!(ca[0].get("data").as_str().is_some(), "{v}");
    assert_eq!(id, r.config.get("name").as_str().unwrap());

    // adopt by the infra tags; another stack's request finds nothing
    assert_eq!(
        id_of(&p.adopt(&r).await.unwrap().unwrap()),
        Some(id.as_str())
    );
    let mut other = r.clone();
    other.stack = unique("other");
    assert!(p.adopt(&other).await.unwrap().is_none());

    // endpoint access changes in place, subnets are kept
    let mut desired = v.as_map().cloned().unwrap();
    desired.insert(
        "vpc_config".into(),
        vpc_config(&["subnet-0a", "subnet-0b"], false),
    );
    let before = p.api_calls();
    let updated = p
        .update("aws_eks_cluster", &id, &v, &Value::Map(desired))
        .await
        .unwrap();
    let calls = p.api_calls().since(&before);
    assert_eq!(calls.get("eks:UpdateClusterConfig"), 1, "{calls:?}");
    let vc = &updated.get("vpc_config").as_list().unwrap()[0];
    assert_eq!(vc.get("endpoint_public_access").as_bool(), Some(false));
    assert_eq!(
        vc.get("subnet_ids").as_list().map(<[Value]>::len),
        Some(2),
        "{updated}"
    );

    // security groups change in place too
    let mut desired = updated.as_map().cloned().unwrap();
    let mut vc = vpc_config(&["subnet-0a", "subnet-0b"], false);
    if let Value::List(l) = &mut vc {
        if let Some(Value::Map(m)) = l.first_mut() {
            m.insert("security_group_ids".into(), list(&["sg-0123"]));
        }
    }
    desired.insert("vpc_config".into(), vc);
    let before = p.api_calls();
    let updated = p
        .update("aws_eks_cluster", &id, &updated, &Value::Map(desired))
        .await
        .unwrap();
    assert_eq!(
        p.api_calls().since(&before).get("eks:UpdateClusterConfig"),
        1
    );
    let vc = &updated.get("vpc_config").as_list().unwrap()[0];
    assert_eq!(
        vc.get("security_group_ids"),
        &list(&["sg-0123"]),
        "{updated}"
    );
    let now = retag(&p, "aws_eks_cluster", &id, &updated).await;

    // data source
    let d = p
        .read_data("aws_eks_cluster", &Value::map([("name", s(&id))]))
        .await
        .unwrap();
    assert_eq!(d.get("endpoint"), now.get("endpoint"));
    assert!(d.get("certificate_authority").as_list().is_some());

    p.delete("aws_eks_cluster", &id, &now).await.unwrap();
    assert!(read_one(&p, "aws_eks_cluster", &id, &now).await.is_none());
    p.delete("aws_eks_cluster", &id, &now).await.unwrap();
}

#[tokio::test]
async fn eks_node_groups_scale_in_place_and_read_in_batches() {
    let p = provider().await;
    let stack = unique("eksng");
    let (_, cid, cv) = cluster(&p, &stack).await;
    let ng = |name: &str| {
        req(
            &stack,
            "aws_eks_node_group",
            name,
            &[
                ("cluster_name", s(&cid)),
                ("node_group_name", s(name)),
                ("node_role_arn", s(NODE_ROLE_ARN)),
                ("subnet_ids", list(&["subnet-0a", "subnet-0b", "subnet-0c"])),
                ("instance_types", list(&["t3.large"])),
                ("capacity_type", s("SPOT")),
                ("scaling_config", scaling(2, 4, 2)),
                ("labels", tags(&[("role", name)])),
                (
                    "taint",
                    Value::List(vec![Value::map([
                        ("key", s("dedicated")),
                        ("value", s(name)),
                        ("effect", s("NO_SCHEDULE")),
                    ])]),
                ),
                ("tags", tags(&[("Name", name), ("only_before", "x")])),
            ],
        )
    };
    let r1 = ng("stateful");
    let (id1, v1) = create(&p, &r1).await;
    let v1 = p.wait_ready("aws_eks_node_group", &id1, &v1).await.unwrap();
    assert_eq!(id1, format!("{cid}:stateful"));
    assert_shape("aws_eks_node_group", &v1);
    assert_eq!(v1.get("status").as_str(), Some("ACTIVE"));
    assert_eq!(v1.get("capacity_type").as_str(), Some("SPOT"));
    assert_eq!(
        v1.get("taint").as_list().map(<[Value]>::len),
        Some(1),
        "{v1}"
    );
    let (id2, v2) = create(&p, &ng("tools")).await;
    assert_eq!(
        id_of(&p.adopt(&r1).await.unwrap().expect("adopted")),
        Some(id1.as_str())
    );

    // batched read: one ListNodegroups for the cluster
    let before = p.api_calls();
    let items = [
        ReadRequest {
            id: id1.clone(),
            prior: v1.clone(),
        },
        ReadRequest {
            id: id2.clone(),
            prior: v2.clone(),
        },
        ReadRequest {
            id: format!("{cid}:gone"),
            prior: v2.clone(),
        },
    ];
    let found = p.read("aws_eks_node_group", &items).await.unwrap();
    assert_eq!(found.len(), 2);
    let calls = p.api_calls().since(&before);
    assert_eq!(calls.get("eks:ListNodegroups"), 1, "{calls:?}");
    assert_eq!(calls.get("eks:DescribeNodegroup"), 2, "{calls:?}");

    // max_size, a label and the taints change in place: one UpdateNodegroupConfig
    let mut desired = v1.as_map().cloned().unwrap();
    desired.insert("scaling_config".into(), scaling(2, 6, 2));
    desired.insert("labels".into(), tags(&[("role", "db"), ("tier", "data")]));
    desired.insert("taint".into(), Value::List(vec![]));
    let before = p.api_calls();
    let updated = p
        .update("aws_eks_node_group", &id1, &v1, &Value::Map(desired))
        .await
        .unwrap();
    let calls = p.api_calls().since(&before);
    assert_eq!(calls.get("eks:UpdateNodegroupConfig"), 1, "{calls:?}");
    assert_eq!(calls.get("eks:CreateNodegroup"), 0);
    let sc = &updated.get("scaling_config").as_list().unwrap()[0];
    assert_eq!(sc.get("max_size").as_i64(), Some(6));
    assert_eq!(updated.get("labels").get("tier").as_str(), Some("data"));
    assert_eq!(updated.get("labels").get("role").as_str(), Some("db"));
    assert_eq!(
        updated.get("taint").as_list().map(<[Value]>::len),
        Some(0),
        "{updated}"
    );
    // no retag here: moto tags clusters only (TagResource on a node group ARN is
    // NotFound there), so node group tag updates are not exercised against the emulator
    let now = updated;

    // the cluster waits for its node groups to go
    p.delete("aws_eks_node_group", &id1, &now).await.unwrap();
    p.delete("aws_eks_node_group", &id2, &v2).await.unwrap();
    assert!(p
        .read("aws_eks_node_group", &items)
        .await
        .unwrap()
        .is_empty());
    p.delete("aws_eks_cluster", &cid, &cv).await.unwrap();
}
