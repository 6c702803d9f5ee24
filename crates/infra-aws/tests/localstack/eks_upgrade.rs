//! In-place EKS upgrades: UpdateClusterVersion and UpdateNodegroupVersion (Kubernetes
//! version and launch template version), each waited on through DescribeUpdate. moto has
//! none of these operations; localstack/moto_eks_updates.py adds them, with updates that
//! stay InProgress for two seconds so the wait is exercised.

use super::*;

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/eks-cluster";
const NODE_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/eks-nodes";

fn cluster_config(name: &str, version: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("name", s(name)),
        ("role_arn", s(ROLE_ARN)),
        ("version", s(version)),
        (
            "vpc_config",
            Value::List(vec![Value::map([
                ("subnet_ids", list(&["subnet-0a", "subnet-0b"])),
                ("endpoint_private_access", Value::Bool(true)),
                ("endpoint_public_access", Value::Bool(true)),
            ])]),
        ),
    ]
}

fn launch_template(id: &str, version: &str) -> Value {
    Value::List(vec![Value::map([("id", s(id)), ("version", s(version))])])
}

/// An independent EKS client, and an EC2 client on moto's server (moto's EKS resolves
/// launch templates in its own EC2).
async fn moto_clients() -> (aws_sdk_eks::Client, aws_sdk_ec2::Client) {
    let conf = aws_config::load_from_env().await;
    let endpoint =
        std::env::var("AWS_ENDPOINT_URL_EKS").expect("AWS_ENDPOINT_URL_EKS from localstack/up");
    let ec2 = aws_sdk_ec2::config::Builder::from(&conf)
        .endpoint_url(endpoint)
        .build();
    (
        aws_sdk_eks::Client::new(&conf),
        aws_sdk_ec2::Client::from_conf(ec2),
    )
}

fn with(v: &Value, key: &str, value: Value) -> Value {
    let mut m = v.as_map().cloned().unwrap();
    m.insert(key.into(), value);
    Value::Map(m)
}

#[tokio::test]
async fn eks_cluster_version_upgrades_in_place_and_waits_for_the_update() {
    let p = provider().await;
    let stack = unique("eksup");
    let name = unique("eksup");
    let r = req(
        &stack,
        "aws_eks_cluster",
        "main",
        &cluster_config(&name, "1.29"),
    );
    let (id, v) = create(&p, &r).await;
    let v = p.wait_ready("aws_eks_cluster", &id, &v).await.unwrap();

    let before = p.api_calls();
    let started = std::time::Instant::now();
    let up = p
        .update("aws_eks_cluster", &id, &v, &with(&v, "version", s("1.30")))
        .await
        .unwrap();
    let calls = p.api_calls().since(&before);
    assert_eq!(calls.get("eks:UpdateClusterVersion"), 1, "{calls:?}");
    assert_eq!(calls.get("eks:CreateCluster"), 0, "in place: {calls:?}");
    assert!(calls.get("eks:DescribeUpdate") >= 1, "waited: {calls:?}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "returned before the update finished"
    );
    assert_eq!(up.get("version").as_str(), Some("1.30"));
    assert_eq!(up.get("status").as_str(), Some("ACTIVE"));
    let (eks, _) = moto_clients().await;
    let seen = eks.describe_cluster().name(&name).send().await.unwrap();
    let c = seen.cluster().unwrap();
    assert_eq!(c.version(), Some("1.30"));
    assert_eq!(c.arn(), v.get("arn").as_str(), "the same cluster");

    // EKS moves one minor version at a time: the refusal names the cluster and versions
    let err = p
        .update(
            "aws_eks_cluster",
            &id,
            &up,
            &with(&up, "version", s("1.32")),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("1.32"), "{err}");

    p.delete("aws_eks_cluster", &id, &up).await.unwrap();
}

#[tokio::test]
async fn eks_node_group_version_and_launch_template_version_update_in_place() {
    let p = provider().await;
    let stack = unique("eksngup");
    let name = unique("eksngup");
    let (eks, ec2) = moto_clients().await;
    let lt = ec2
        .create_launch_template()
        .launch_template_name(unique("lt"))
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Large)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let lt_id = lt
        .launch_template()
        .and_then(|t| t.launch_template_id())
        .unwrap()
        .to_string();

    let r = req(
        &stack,
        "aws_eks_cluster",
        "main",
        &cluster_config(&name, "1.29"),
    );
    let (cid, cv) = create(&p, &r).await;
    let cv = p.wait_ready("aws_eks_cluster", &cid, &cv).await.unwrap();
    let ng = req(
        &stack,
        "aws_eks_node_group",
        "pool",
        &[
            ("cluster_name", s(&cid)),
            ("node_group_name", s("pool")),
            ("node_role_arn", s(NODE_ROLE_ARN)),
            ("subnet_ids", list(&["subnet-0a", "subnet-0b"])),
            ("version", s("1.29")),
            ("launch_template", launch_template(&lt_id, "1")),
            (
                "scaling_config",
                Value::List(vec![Value::map([
                    ("min_size", Value::Number(1.0)),
                    ("max_size", Value::Number(3.0)),
                    ("desired_size", Value::Number(1.0)),
                ])]),
            ),
        ],
    );
    let (nid, nv) = create(&p, &ng).await;
    let nv = p.wait_ready("aws_eks_node_group", &nid, &nv).await.unwrap();
    assert_eq!(nv.get("version").as_str(), Some("1.29"), "{nv}");

    // a node group cannot run ahead of its cluster: the error comes back, nothing changes
    let err = p
        .update(
            "aws_eks_node_group",
            &nid,
            &nv,
            &with(&nv, "version", s("1.30")),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("1.30"), "{err}");

    // upgrade the cluster, then the pool: one UpdateNodegroupVersion carries both the
    // Kubernetes version and the launch template's new version
    let cv = p
        .update(
            "aws_eks_cluster",
            &cid,
            &cv,
            &with(&cv, "version", s("1.30")),
        )
        .await
        .unwrap();
    let desired = with(
        &with(&nv, "version", s("1.30")),
        "launch_template",
        launch_template(&lt_id, "2"),
    );
    let before = p.api_calls();
    let up = p
        .update("aws_eks_node_group", &nid, &nv, &desired)
        .await
        .unwrap();
    let calls = p.api_calls().since(&before);
    assert_eq!(calls.get("eks:UpdateNodegroupVersion"), 1, "{calls:?}");
    assert_eq!(calls.get("eks:UpdateNodegroupConfig"), 0, "{calls:?}");
    assert_eq!(calls.get("eks:CreateNodegroup"), 0, "in place: {calls:?}");
    assert!(calls.get("eks:DescribeUpdate") >= 1, "waited: {calls:?}");
    assert_eq!(up.get("version").as_str(), Some("1.30"), "{up}");
    let lt_now = &up.get("launch_template").as_list().unwrap()[0];
    assert_eq!(lt_now.get("version").as_str(), Some("2"), "{up}");

    let seen = eks
        .describe_nodegroup()
        .cluster_name(&cid)
        .nodegroup_name("pool")
        .send()
        .await
        .unwrap();
    let n = seen.nodegroup().unwrap();
    assert_eq!(n.version(), Some("1.30"));
    assert_eq!(n.status().map(|s| s.as_str()), Some("ACTIVE"));
    assert_eq!(
        n.launch_template().and_then(|l| l.version()),
        Some("2"),
        "{n:?}"
    );

    p.delete("aws_eks_node_group", &nid, &up).await.unwrap();
    p.delete("aws_eks_cluster", &cid, &cv).await.unwrap();
}
