//! SQS queues, queue policies, EventBridge rules and targets through the provider: the
//! shape of what is read, adoption of what a killed run made (by name and `infra:*` tags,
//! by rule and target id, by the configured policy) and of nothing else, Terraform's
//! import id of a target, delete.

use super::*;

const QUEUE: &str = "aws_sqs_queue";
const POLICY: &str = "aws_sqs_queue_policy";
const RULE: &str = "aws_cloudwatch_event_rule";
const TARGET: &str = "aws_cloudwatch_event_target";

/// The same request of a rerun (another token unless `same_token`).
fn rerun(r: &CreateRequest, same_token: bool) -> CreateRequest {
    CreateRequest {
        token: if same_token {
            r.token.clone()
        } else {
            unique("rerun")
        },
        ..r.clone()
    }
}

#[tokio::test]
async fn queues_rules_targets_and_policies_are_adopted_by_their_keys_only() {
    let p = provider().await;
    let stack = unique("sqsev");
    let queue_req = req(
        &stack,
        QUEUE,
        "this",
        &[
            ("name", s(&stack)),
            ("message_retention_seconds", Value::Number(300.0)),
            ("sqs_managed_sse_enabled", Value::Bool(true)),
            ("tags", tags(&[("owner", "platform")])),
        ],
    );
    let (url, queue) = create(&p, &queue_req).await;
    assert_shape(QUEUE, &queue);
    assert_eq!(queue.get("url").as_str(), Some(url.as_str()));
    assert_eq!(
        queue.get("kms_data_key_reuse_period_seconds").as_i64(),
        Some(300)
    );
    let arn = queue.get("arn").as_str().expect("an ARN").to_string();
    // by name and tags, whatever the token (the name is configured)
    let found = p.adopt(&rerun(&queue_req, false)).await.unwrap();
    assert_eq!(found.as_ref().and_then(id_of), Some(url.as_str()));
    let stranger = CreateRequest {
        stack: unique("other"),
        ..queue_req.clone()
    };
    assert!(
        p.adopt(&stranger).await.unwrap().is_none(),
        "not another stack's"
    );
    let known = CreateRequest {
        known_ids: vec![url.clone()],
        ..queue_req.clone()
    };
    assert!(
        p.adopt(&known).await.unwrap().is_none(),
        "not one the state holds"
    );

    let doc = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"SqsWrite","Effect":"Allow","Principal":{{"Service":"events.amazonaws.com"}},"Action":"sqs:SendMessage","Resource":"{arn}"}}]}}"#
    );
    let policy_req = req(
        &stack,
        POLICY,
        "this",
        &[("queue_url", s(&url)), ("policy", s(&doc))],
    );
    let (policy_id, policy) = create(&p, &policy_req).await;
    assert_eq!(policy_id, url);
    assert_shape(POLICY, &policy);
    assert!(p.adopt(&rerun(&policy_req, false)).await.unwrap().is_some());
    let other_doc = doc.replace("SqsWrite", "Other");
    let other = req(
        &stack,
        POLICY,
        "this",
        &[("queue_url", s(&url)), ("policy", s(&other_doc))],
    );
    assert!(
        p.adopt(&other).await.unwrap().is_none(),
        "a queue whose policy is another document was not made by this request"
    );

    let rule_req = req(
        &stack,
        RULE,
        "spot",
        &[
            ("name_prefix", s(&format!("{stack}-Spot-"))),
            (
                "event_pattern",
                s(
                    r#"{"source":["aws.ec2"],"detail-type":["EC2 Spot Instance Interruption Warning"]}"#,
                ),
            ),
            ("tags", tags(&[("ClusterName", "prod")])),
        ],
    );
    let (rule_id, rule) = create(&p, &rule_req).await;
    assert_shape(RULE, &rule);
    assert!(rule_id.starts_with(&format!("{stack}-Spot-")), "{rule_id}");
    assert_eq!(rule.get("state").as_str(), Some("ENABLED"));
    // the name comes from the token, but the tags decide: another token (a state rebuild
    // has none) finds it among the rules of the prefix; another stack, or an id the state
    // holds, does not
    for same_token in [true, false] {
        let found = p.adopt(&rerun(&rule_req, same_token)).await.unwrap();
        assert_eq!(found.as_ref().and_then(id_of), Some(rule_id.as_str()));
    }
    let stranger = CreateRequest {
        stack: unique("other"),
        ..rule_req.clone()
    };
    assert!(p.adopt(&stranger).await.unwrap().is_none());
    let known = CreateRequest {
        known_ids: vec![rule_id.clone()],
        ..rerun(&rule_req, false)
    };
    assert!(p.adopt(&known).await.unwrap().is_none());

    let target_req = req(
        &stack,
        TARGET,
        "spot",
        &[("rule", s(&rule_id)), ("arn", s(&arn))],
    );
    let (target_id, target) = create(&p, &target_req).await;
    assert_shape(TARGET, &target);
    let computed = target
        .get("target_id")
        .as_str()
        .expect("a target id")
        .to_string();
    assert!(computed.starts_with("terraform-"), "{computed}");
    assert_eq!(target_id, format!("{rule_id}-{computed}"));
    // by the id the token makes; without it (a rebuild), the one generated target of the
    // rule with the configured ARN; with two such, neither
    for same_token in [true, false] {
        let found = p.adopt(&rerun(&target_req, same_token)).await.unwrap();
        assert_eq!(found.as_ref().and_then(id_of), Some(target_id.as_str()));
    }
    let known = CreateRequest {
        known_ids: vec![target_id.clone()],
        ..rerun(&target_req, false)
    };
    assert!(p.adopt(&known).await.unwrap().is_none());
    let second_req = rerun(&target_req, false);
    let (second_id, second) = create(&p, &second_req).await;
    assert_ne!(second_id, target_id);
    assert!(p.adopt(&rerun(&target_req, false)).await.unwrap().is_none());
    p.delete(TARGET, &second_id, &second).await.unwrap();
    // Terraform's import id, with the configuration (no target id) as the prior
    let imported = p
        .import(TARGET, &format!("{rule_id}/{computed}"), &target_req.config)
        .await
        .unwrap()
        .expect("imported");
    assert_eq!(id_of(&imported), Some(target_id.as_str()));
    assert_eq!(imported.get("arn").as_str(), Some(arn.as_str()));

    // one read of each type answers for every id asked (and only for those)
    let read = read_one(&p, TARGET, &target_id, &target).await;
    assert_eq!(read.as_ref().and_then(id_of), Some(target_id.as_str()));

    p.delete(TARGET, &target_id, &target).await.unwrap();
    p.delete(RULE, &rule_id, &rule).await.unwrap();
    p.delete(POLICY, &url, &policy).await.unwrap();
    assert!(
        read_one(&p, POLICY, &url, &policy).await.is_none(),
        "policy gone"
    );
    p.delete(QUEUE, &url, &queue).await.unwrap();
    assert!(read_one(&p, TARGET, &target_id, &target).await.is_none());
    assert!(read_one(&p, RULE, &rule_id, &rule).await.is_none());
    assert!(read_one(&p, QUEUE, &url, &queue).await.is_none());
    // deleting what is gone is done
    p.delete(QUEUE, &url, &queue).await.unwrap();
    p.delete(RULE, &rule_id, &rule).await.unwrap();
}
