//! IAM roles, attachments and the policy document data source (LocalStack).

use super::*;

async fn role(p: &AwsProvider, stack: &str, name: &str) -> (String, Value) {
    create(
        p,
        &req(
            stack,
            "aws_iam_role",
            name,
            &[
                ("name", s(&unique(name))),
                ("assume_role_policy", s(ASSUME_EKS)),
                ("tags", tags(&[("Name", name), ("only_before", "x")])),
            ],
        ),
    )
    .await
}

#[tokio::test]
async fn iam_role_creates_reads_updates_and_deletes() {
    let p = provider().await;
    let stack = unique("iam");
    let (id, v) = role(&p, &stack, "cluster").await;
    assert_shape("aws_iam_role", &v);
    assert!(v.get("arn").as_str().unwrap().starts_with("arn:aws:iam::"));
    assert_eq!(v.get("assume_role_policy").as_str(), Some(ASSUME_EKS));

    // the same policy written differently is kept as configured
    let reformatted = r#"{"Statement": {"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["eks.amazonaws.com"]}}, "Version": "2012-10-17"}"#;
    let mut prior = v.as_map().cloned().unwrap();
    prior.insert("assume_role_policy".into(), s(reformatted));
    let now = read_one(&p, "aws_iam_role", &id, &Value::Map(prior))
        .await
        .unwrap();
    assert_eq!(now.get("assume_role_policy").as_str(), Some(reformatted));

    // a different policy is an UpdateAssumeRolePolicy
    let ec2 = ASSUME_EKS.replace("eks.amazonaws.com", "ec2.amazonaws.com");
    let mut desired = v.as_map().cloned().unwrap();
    desired.insert("assume_role_policy".into(), s(&ec2));
    let before = p.api_calls();
    let updated = p
        .update("aws_iam_role", &id, &v, &Value::Map(desired))
        .await
        .unwrap();
    assert_eq!(
        p.api_calls()
            .since(&before)
            .get("iam:UpdateAssumeRolePolicy"),
        1
    );
    assert!(infra_model::policy::json_equivalent(
        updated.get("assume_role_policy").as_str().unwrap(),
        &ec2
    ));
    let now = retag(&p, "aws_iam_role", &id, &updated).await;

    // batched read of two roles: one ListRoles scan
    let (id2, v2) = role(&p, &stack, "nodes").await;
    let before = p.api_calls();
    let items = [
        ReadRequest {
            id: id.clone(),
            prior: now.clone(),
        },
        ReadRequest {
            id: id2.clone(),
            prior: v2.clone(),
        },
        ReadRequest {
            id: unique("gone"),
            prior: v2.clone(),
        },
    ];
    let found = p.read("aws_iam_role", &items).await.unwrap();
    assert_eq!(found.len(), 2, "{found:?}");
    let calls = p.api_calls().since(&before);
    assert_eq!(calls.get("iam:GetRole"), 0, "{calls:?}");
    assert!(calls.get("iam:ListRoles") >= 1, "{calls:?}");

    // attachments, read per role
    let arn = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy";
    let arn2 = "arn:aws:iam::aws:policy/AmazonEKSVPCResourceController";
    let r1 = req(
        &stack,
        "aws_iam_role_policy_attachment",
        "a1",
        &[("role", s(&id)), ("policy_arn", s(arn))],
    );
    let (a1, av) = create(&p, &r1).await;
    assert_eq!(a1, format!("{id}/{arn}"));
    assert_shape("aws_iam_role_policy_attachment", &av);
    let r2 = req(
        &stack,
        "aws_iam_role_policy_attachment",
        "a2",
        &[("role", s(&id)), ("policy_arn", s(arn2))],
    );
    let (a2, _) = create(&p, &r2).await;
    assert!(p.adopt(&r1).await.unwrap().is_some());
    let before = p.api_calls();
    let items: Vec<ReadRequest> = [&a1, &a2]
        .iter()
        .map(|i| ReadRequest {
            id: i.to_string(),
            prior: Value::Null,
        })
        .collect();
    assert_eq!(
        p.read("aws_iam_role_policy_attachment", &items)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        p.api_calls()
            .since(&before)
            .get("iam:ListAttachedRolePolicies"),
        1
    );
    p.delete("aws_iam_role_policy_attachment", &a2, &Value::Null)
        .await
        .unwrap();
    p.delete("aws_iam_role_policy_attachment", &a2, &Value::Null)
        .await
        .unwrap();

    // deleting a role detaches what is still attached
    p.delete("aws_iam_role", &id, &now).await.unwrap();
    p.delete("aws_iam_role", &id2, &v2).await.unwrap();
    assert!(read_one(&p, "aws_iam_role", &id, &now).await.is_none());
    p.delete("aws_iam_role", &id, &now).await.unwrap();
}

#[tokio::test]
async fn iam_role_is_adopted_by_name_and_tags() {
    let p = provider().await;
    let stack = unique("iamadopt");
    let r = req(
        &stack,
        "aws_iam_role",
        "r",
        &[("assume_role_policy", s(ASSUME_EKS))],
    );
    assert!(p.adopt(&r).await.unwrap().is_none());
    let (id, _) = create(&p, &r).await;
    assert!(id.starts_with("infra-"), "{id}");
    let adopted = p.adopt(&r).await.unwrap().expect("adopted");
    assert_eq!(id_of(&adopted), Some(id.as_str()));
    let mut other = r.clone();
    other.stack = unique("other");
    assert!(p.adopt(&other).await.unwrap().is_none());
    p.delete("aws_iam_role", &id, &adopted).await.unwrap();
}

#[tokio::test]
async fn policy_document_renders_without_api_calls() {
    let p = provider().await;
    let before = p.api_calls();
    let args = Value::map([(
        "statement",
        Value::List(vec![Value::map([
            ("actions", list(&["sts:AssumeRole"])),
            (
                "principals",
                Value::List(vec![Value::map([
                    ("type", s("Service")),
                    ("identifiers", list(&["eks.amazonaws.com"])),
                ])]),
            ),
        ])]),
    )]);
    let v = p.read_data("aws_iam_policy_document", &args).await.unwrap();
    assert!(infra_model::policy::json_equivalent(
        v.get("json").as_str().unwrap(),
        ASSUME_EKS
    ));
    assert_eq!(p.api_calls().since(&before).total(), 0);
}
