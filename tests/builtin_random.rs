//! `random_pet`, `random_uuid`, `random_integer`, `random_shuffle` (built in,
//! `infra-builtin/src/random_more.rs`) beside an AWS resource on the emulator: a VPC
//! named and tagged from them, checked with an independent EC2 client; a clean re-plan;
//! `keepers` replacing only what they guard (the VPC's tag follows in place); import of a
//! UUID and of a seeded integer; destroy.

use aws_sdk_ec2::types::Filter;

use crate::common::{changes, ec2, rt, Workspace};

const STACK: &str = r#"
variable "generation" {
  type    = string
  default = "1"
}

resource "random_pet" "name" {
  prefix    = "eks"
  length    = 2
  keepers = {
    generation = var.generation
  }
}

resource "random_uuid" "run" {}

resource "random_integer" "port" {
  min  = 30000
  max  = 32767
  seed = "prod"
}

resource "random_shuffle" "azs" {
  input        = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]
  result_count = 2
}

resource "aws_vpc" "this" {
  cidr_block = "10.73.0.0/16"
  tags = {
    Name = random_pet.name.id
    Run  = random_uuid.run.result
    Port = tostring(random_integer.port.result)
    Azs  = join(",", random_shuffle.azs.result)
  }
}
"#;

fn tags(stack: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    rt().block_on(async {
        let out = ec2()
            .await
            .describe_vpcs()
            .filters(
                Filter::builder()
                    .name("tag:infra:stack")
                    .values(stack)
                    .build(),
            )
            .send()
            .await
            .expect("describe vpcs");
        out.vpcs()
            .iter()
            .map(|v| {
                v.tags()
                    .iter()
                    .map(|t| {
                        (
                            t.key().unwrap_or_default().to_string(),
                            t.value().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .filter(|t: &std::collections::BTreeMap<String, String>| {
                t.get("infra:stack").map(String::as_str) == Some(stack)
            })
            .collect()
    })
}

fn attr(ws: &Workspace, address: &str, name: &str) -> serde_json::Value {
    let r = ws.run(&["state", "show", address, "--json"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let v: serde_json::Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    v["attributes"][name].clone()
}

#[test]
fn random_pet_uuid_integer_and_shuffle_name_a_vpc_and_keep_their_values() {
    let ws = Workspace::from_files(&[("main.tf", STACK)], true);
    let r = ws.apply();
    assert_eq!(r.code, 0, "{}", r.all());
    let live = tags(&ws.stack_name);
    assert_eq!(live.len(), 1, "{live:?}");
    let pet = attr(&ws, "random_pet.name", "id");
    let pet = pet.as_str().unwrap_or_default().to_string();
    assert!(
        pet.starts_with("eks-") && pet.split('-').count() == 3,
        "{pet}"
    );
    assert_eq!(live[0]["Name"], pet);
    let uuid = attr(&ws, "random_uuid.run", "result");
    assert_eq!(live[0]["Run"], uuid.as_str().unwrap_or_default());
    let port = attr(&ws, "random_integer.port", "result")
        .as_f64()
        .unwrap_or(0.0);
    assert!((30000.0..=32767.0).contains(&port), "{port}");
    assert_eq!(live[0]["Port"], (port as i64).to_string());
    let azs: Vec<&str> = live[0]["Azs"].split(',').collect();
    assert_eq!(azs.len(), 2, "{azs:?}");
    assert_ne!(azs[0], azs[1]);

    let r = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}", r.all());

    // a keeper changes: only the pet is replaced; the VPC's Name follows in place
    ws.write("gen.auto.tfvars", "generation = \"2\"\n");
    let plan = ws.plan_json(&[]);
    let mut planned: Vec<String> = changes(&plan)
        .into_iter()
        .map(|(a, actions)| format!("{a} {}", actions.join(",")))
        .collect();
    planned.sort();
    assert_eq!(
        planned,
        ["aws_vpc.this update", "random_pet.name delete,create"]
    );
    let r = ws.apply();
    assert_eq!(r.code, 0, "{}", r.all());
    let after = tags(&ws.stack_name);
    assert_eq!(after.len(), 1);
    assert_ne!(after[0]["Name"], pet, "a new pet name");
    assert_eq!(after[0]["Run"], live[0]["Run"], "the uuid is kept");

    // import: a UUID and a seeded integer taken over from elsewhere
    ws.write(
        "imported.tf",
        "resource \"random_uuid\" \"imp\" {}\nresource \"random_integer\" \"imp\" {\n  min  = 1\n  max  = 50\n  seed = \"s\"\n}\n",
    );
    let r = ws.run(&[
        "import",
        "random_uuid.imp",
        "6f1c5a1e-3c1b-4d8e-9a7f-2b1e0c4d5e6f",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = ws.run(&["import", "random_integer.imp", "15,1,50,s"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        attr(&ws, "random_uuid.imp", "result"),
        "6f1c5a1e-3c1b-4d8e-9a7f-2b1e0c4d5e6f"
    );
    assert_eq!(attr(&ws, "random_integer.imp", "result"), 15.0);
    let r = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "imported values plan clean:\n{}", r.all());

    let r = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(tags(&ws.stack_name).is_empty());
}
