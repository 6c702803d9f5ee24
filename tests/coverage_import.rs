//! `infra import ADDR ID` of the IAM, EKS and Route53 types of issue 12: each is imported
//! by Terraform's import ID (a policy's ARN, `role:policy`, a profile's name, a provider's
//! ARN, `cluster:principal`, `cluster#principal#policy`, `cluster:addon`, `zone:vpc`, a
//! delegation set's id) into a fresh state, and the plan is clean afterwards.

use crate::common::Workspace;

/// The `(address, id)` of every managed resource of `ws`: for these types the id is
/// Terraform's import ID.
fn managed(ws: &Workspace) -> Vec<(String, String, String)> {
    let list = ws.run(&["state", "list", "--json"]);
    assert_eq!(list.code, 0, "{}", list.all());
    let rows: Vec<serde_json::Value> = serde_json::from_str(&list.stdout).unwrap();
    rows.iter()
        .filter(|r| r["mode"] == "managed")
        .map(|r| {
            (
                r["address"].as_str().unwrap().to_string(),
                r["type"].as_str().unwrap().to_string(),
                r["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn import_all(stack: &str, types: &[&str]) {
    let original = Workspace::from_files(&[("main.tf", stack)], true);
    let vars = format!("name = \"{}\"\n", original.stack_name);
    original.write("test.auto.tfvars", &vars);
    let apply = original.run(&["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let objects = managed(&original);
    for t in types {
        assert!(
            objects.iter().any(|(_, ty, _)| ty == t),
            "{t} is in the stack: {objects:?}"
        );
    }
    let copy = Workspace::from_files(&[("main.tf", stack)], true);
    copy.write("test.auto.tfvars", &vars);
    for (addr, _, id) in &objects {
        let r = copy.run(&["import", addr, id]);
        assert_eq!(r.code, 0, "import {addr} {id}:\n{}", r.all());
    }
    let plan = copy.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after import:\n{}", plan.all());
    let destroy = original.run(&["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
}

#[test]
fn iam_types_import_by_terraforms_ids() {
    import_all(
        crate::coverage_iam::STACK,
        &[
            "aws_iam_policy",
            "aws_iam_role_policy",
            "aws_iam_instance_profile",
            "aws_iam_openid_connect_provider",
        ],
    );
}

#[test]
fn eks_and_route53_types_import_by_terraforms_ids() {
    import_all(
        crate::coverage_eks::STACK,
        &[
            "aws_eks_access_entry",
            "aws_eks_access_policy_association",
            "aws_eks_addon",
        ],
    );
    import_all(
        crate::coverage_dns::STACK,
        &["aws_route53_zone_association", "aws_route53_delegation_set"],
    );
}
