//! `removed` blocks end to end (Terraform 1.7's config-driven forget): with
//! `destroy = false` apply drops the objects from the state and leaves them in AWS; with
//! the default the objects are destroyed. Checked with an independent EC2 client.

use crate::common::{ec2, rt, tagged_objects, Workspace};

const BEFORE: &str = r#"
resource "aws_vpc" "keep" {
  count      = 2
  cidr_block = "10.71.${count.index}.0/24"
}

resource "aws_vpc" "gone" {
  cidr_block = "10.72.0.0/24"
}
"#;

const AFTER: &str = r#"
removed {
  from = aws_vpc.keep
  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_vpc.gone
}
"#;

fn vpc_exists(id: &str) -> bool {
    rt().block_on(async {
        match ec2().await.describe_vpcs().vpc_ids(id).send().await {
            Ok(out) => !out.vpcs().is_empty(),
            Err(_) => false,
        }
    })
}

#[test]
fn a_removed_block_forgets_or_destroys_and_the_next_plan_is_clean() {
    let ws = Workspace::from_files(&[("main.tf", BEFORE)], true);
    let r = ws.apply();
    assert_eq!(r.code, 0, "{}", r.all());
    let mut live = rt().block_on(tagged_objects(&ws.stack_name, false));
    live.sort();
    let addrs: Vec<&str> = live.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        addrs,
        ["aws_vpc.gone", "aws_vpc.keep[0]", "aws_vpc.keep[1]"]
    );

    ws.write("main.tf", AFTER);
    let r = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}", r.all());
    for want in [
        "# aws_vpc.keep[0] will no longer be managed by infra",
        "# aws_vpc.keep[1] will no longer be managed by infra",
        "# aws_vpc.gone will be destroyed",
        "Plan: 0 to add, 0 to change, 1 to destroy, 2 to forget.",
    ] {
        assert!(r.stdout.contains(want), "missing {want:?}:\n{}", r.all());
    }
    let plan = ws.plan_json(&[]);
    let actions: Vec<(String, String)> = plan["resource_changes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    (
                        c["address"].as_str().unwrap_or("").to_string(),
                        c["change"]["actions"].to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(
        actions.contains(&("aws_vpc.keep[0]".into(), "[\"forget\"]".into())),
        "{actions:?}"
    );

    let r = ws.apply();
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("Resources: 0 added, 0 changed, 1 destroyed, 2 forgotten (left in AWS)."),
        "{}",
        r.all()
    );
    // forgotten: still in AWS; destroyed: gone
    for (addr, id) in &live {
        assert_eq!(
            vpc_exists(id),
            addr.starts_with("aws_vpc.keep"),
            "{addr} {id}"
        );
    }
    let r = ws.run(&["state", "list"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!r.stdout.contains("aws_vpc"), "{}", r.all());
    let r = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("No changes."), "{}", r.all());

    // the objects are no longer infra's: the test removes them itself
    rt().block_on(async {
        let c = ec2().await;
        for (addr, id) in &live {
            if addr.starts_with("aws_vpc.keep") {
                c.delete_vpc()
                    .vpc_id(id)
                    .send()
                    .await
                    .expect("delete the kept VPC");
            }
        }
    });
}
