//! `ignore_changes` on a nested path ignores that path only (issue 8, item 2): with
//! `scaling_config[0].desired_size` ignored, an autoscaler's desired size survives, and a
//! `max_size` change in the stack is one in-place update that keeps the autoscaler's value.
//! Checked with an independent EKS client (moto).

use crate::common::{changes, eks, rt, Workspace};

fn stack(name: &str, max: u32) -> String {
    format!(
        r#"
provider "aws" {{
  region = "us-east-1"
}}

resource "aws_vpc" "v" {{
  cidr_block = "10.61.0.0/16"
  tags       = {{ Name = "{name}" }}
}}

resource "aws_subnet" "a" {{
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.61.1.0/24"
  availability_zone = "us-east-1a"
}}

resource "aws_subnet" "b" {{
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.61.2.0/24"
  availability_zone = "us-east-1b"
}}

resource "aws_iam_role" "nodes" {{
  name = "{name}"
  assume_role_policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "eks.amazonaws.com" }} }}]
  }})
}}

resource "aws_eks_cluster" "c" {{
  name     = "{name}"
  role_arn = aws_iam_role.nodes.arn
  vpc_config {{
    subnet_ids = [aws_subnet.a.id, aws_subnet.b.id]
  }}
}}

resource "aws_eks_node_group" "workers" {{
  cluster_name    = aws_eks_cluster.c.name
  node_group_name = "{name}"
  node_role_arn   = aws_iam_role.nodes.arn
  subnet_ids      = [aws_subnet.a.id, aws_subnet.b.id]
  labels          = {{ team = "db" }}

  scaling_config {{
    min_size     = 1
    max_size     = {max}
    desired_size = 2
  }}

  lifecycle {{
    ignore_changes = [scaling_config[0].desired_size]
  }}
}}
"#
    )
}

async fn scaling(name: &str) -> (i32, i32, i32) {
    let ng = eks()
        .await
        .describe_nodegroup()
        .cluster_name(name)
        .nodegroup_name(name)
        .send()
        .await
        .unwrap();
    let s = ng.nodegroup().unwrap().scaling_config().unwrap();
    (
        s.min_size().unwrap(),
        s.max_size().unwrap(),
        s.desired_size().unwrap(),
    )
}

#[test]
fn ignoring_desired_size_still_plans_and_applies_a_max_size_change() {
    let ws = Workspace::from_files(&[("main.tf", "")], true);
    let name = ws.stack_name.clone();
    ws.write("main.tf", &stack(&name, 4));
    ws.apply();
    // the autoscaler moves desired_size
    rt().block_on(async {
        eks()
            .await
            .update_nodegroup_config()
            .cluster_name(&name)
            .nodegroup_name(&name)
            .scaling_config(
                aws_sdk_eks::types::NodegroupScalingConfig::builder()
                    .desired_size(3)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    });
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        plan.code,
        0,
        "the ignored drift plans nothing:\n{}",
        plan.all()
    );

    // a sibling of the ignored path changes in the stack: one in-place update
    ws.write("main.tf", &stack(&name, 8));
    let plan = ws.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        [(
            "aws_eks_node_group.workers".to_string(),
            vec!["update".to_string()]
        )],
        "{plan:#}"
    );
    let after = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "aws_eks_node_group.workers")
        .unwrap()["change"]["after"]["scaling_config"][0]
        .clone();
    assert_eq!(after["max_size"], 8, "{after}");
    assert_eq!(
        after["desired_size"], 3,
        "the plan keeps the autoscaler's value"
    );

    let r = ws.apply();
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.all()
    );
    // the update sent max_size and left the autoscaler's desired_size alone
    assert_eq!(rt().block_on(scaling(&name)), (1, 8, 3));
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.all());

    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
}
