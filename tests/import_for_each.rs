//! `import` blocks with `for_each` (Terraform 1.7) against the emulator: two VPCs made
//! by an independent EC2 client are imported by one block over a map, plan shows them,
//! apply records them without creating anything, the next plan is clean, destroy
//! deletes them (checked with the same client).

use crate::common::{ec2, rt, unique, Workspace};

fn make_vpc(cidr: &str, name: &str) -> String {
    rt().block_on(async {
        let out = ec2()
            .await
            .create_vpc()
            .cidr_block(cidr)
            .send()
            .await
            .expect("create vpc");
        let id = out
            .vpc()
            .and_then(|v| v.vpc_id())
            .unwrap_or_default()
            .to_string();
        ec2()
            .await
            .create_tags()
            .resources(&id)
            .tags(
                aws_sdk_ec2::types::Tag::builder()
                    .key("Name")
                    .value(name)
                    .build(),
            )
            .send()
            .await
            .expect("tag vpc");
        id
    })
}

fn vpc_exists(id: &str) -> bool {
    rt().block_on(async {
        match ec2().await.describe_vpcs().vpc_ids(id).send().await {
            Ok(out) => !out.vpcs().is_empty(),
            Err(_) => false,
        }
    })
}

#[test]
fn one_import_block_with_for_each_takes_over_every_vpc_of_a_map() {
    let name = unique("imp");
    let a = make_vpc("10.74.0.0/16", &format!("{name}-a"));
    let b = make_vpc("10.75.0.0/16", &format!("{name}-b"));
    let main = format!(
        r#"
variable "vpcs" {{
  default = {{
    a = {{ id = "{a}", cidr = "10.74.0.0/16" }}
    b = {{ id = "{b}", cidr = "10.75.0.0/16" }}
  }}
}}

resource "aws_vpc" "this" {{
  for_each   = var.vpcs
  cidr_block = each.value.cidr
  tags = {{
    Name = "{name}-${{each.key}}"
  }}
}}

import {{
  for_each = var.vpcs
  to       = aws_vpc.this[each.key]
  id       = each.value.id
}}
"#
    );
    let ws = Workspace::from_files(&[("main.tf", &main)], true);
    let r = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}", r.all());
    for want in [
        "# aws_vpc.this[\"a\"] will be imported",
        "# aws_vpc.this[\"b\"] will be imported",
        "Import: 2 to import.",
    ] {
        assert!(r.stdout.contains(want), "missing {want:?}:\n{}", r.all());
    }
    assert!(!r.stdout.contains("will be created"), "{}", r.all());
    let r = ws.apply();
    assert_eq!(r.code, 0, "{}", r.all());
    let list = ws.run(&["state", "list"]);
    assert!(
        list.stdout.contains("aws_vpc.this[\"a\"]") && list.stdout.contains("aws_vpc.this[\"b\"]"),
        "{}",
        list.all()
    );
    let show = ws.run(&["state", "show", "aws_vpc.this[\"b\"]", "--json"]);
    assert!(show.stdout.contains(&b), "{}", show.all());
    let r = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "clean after the import:\n{}", r.all());
    let r = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(!vpc_exists(&a) && !vpc_exists(&b));
}
