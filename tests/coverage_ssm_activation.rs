//! The SSM hybrid activation of terraform-aws-eks's hybrid-nodes example: an IAM role SSM
//! may assume and an `aws_ssm_activation` for it, with tags (and the provider's
//! `default_tags`) and a `registration_limit`. Applied with the CreateActivation answer
//! lost (adopted by its name and `infra:*` tags, not duplicated, its code lost with the
//! answer), checked with an independent SSM client, re-planned clean; a tag change and a
//! `registration_limit` change each replace the activation (as in the provider: SSM cannot
//! change an activation, nor tag one after its creation), and the new one has its code;
//! imported into a fresh state by activation id (no code, as in the provider), the plan
//! clean; found again by `state rebuild` (name and tags); destroyed leaving nothing.

use std::collections::BTreeMap;

use aws_sdk_ssm::types::{Activation, DescribeActivationsFilter, DescribeActivationsFilterKeys};

use crate::common::proxy::Match;
use crate::common::{rt, sdk_config, Workspace};
use crate::coverage_ec2_more::{actions, id_of, import_into_copy};
use crate::faults::{apply_losing_one_answer, direct};

const STACK: &str = r#"provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { owner = "infra-tests" }
  }
}

variable "name" {
  type = string
}

variable "team" {
  type    = string
  default = "platform"
}

variable "limit" {
  type    = number
  default = 3
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ssm.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "hybrid" {
  name               = "${var.name}-hybrid"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_ssm_activation" "this" {
  name               = "${var.name}-node"
  description        = "hybrid nodes"
  iam_role           = aws_iam_role.hybrid.name
  registration_limit = var.limit
  tags               = { Name = "${var.name}-node", team = var.team }
}

output "activation_id" {
  value = aws_ssm_activation.this.id
}

output "activation_code" {
  value     = aws_ssm_activation.this.activation_code
  sensitive = true
}
"#;

fn ssm() -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::new(&sdk_config())
}

/// The activations named `name` (their default instance name), as another client sees them.
async fn activations(name: &str) -> Vec<Activation> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = ssm()
            .describe_activations()
            .filters(
                DescribeActivationsFilter::builder()
                    .filter_key(DescribeActivationsFilterKeys::DefaultInstanceName)
                    .filter_values(name)
                    .build(),
            )
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        out.extend(page.activation_list().iter().cloned());
        match page.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => return out,
        }
    }
}

fn tags(a: &Activation) -> BTreeMap<String, String> {
    a.tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

/// The one activation of the stack, checked.
fn the_activation(name: &str) -> Activation {
    let found = rt().block_on(activations(&format!("{name}-node")));
    assert_eq!(found.len(), 1, "exactly one activation: {found:?}");
    found.into_iter().next().unwrap()
}

fn stored(ws: &Workspace, address: &str) -> serde_json::Value {
    rt().block_on(async {
        let store = ws.store().await;
        let r = store.resource(&ws.stack_name, address).await.unwrap();
        store.close().await;
        r.unwrap_or_else(|| panic!("{address} is not in the state"))
            .attributes
    })
}

fn code_of(ws: &Workspace) -> serde_json::Value {
    stored(ws, "aws_ssm_activation.this")["activation_code"].clone()
}

#[test]
fn ssm_activation_adopted_replaced_imported_and_destroyed() {
    let ws = Workspace::from_files(&[("main.tf", STACK)], true);
    let name = ws.stack_name.clone();
    let vars = format!("name = \"{name}\"\n");
    ws.write("test.auto.tfvars", &vars);
    // CreateActivation is the only request with an IamRole
    let applied = apply_losing_one_answer(
        &ws,
        Match {
            body_contains: Some("\"IamRole\"".into()),
            ..Match::default()
        },
    );

    let a = the_activation(&name);
    let id = a.activation_id().unwrap().to_string();
    assert_eq!(id_of(&ws, "aws_ssm_activation.this"), id);
    assert_eq!(a.iam_role(), Some(format!("{name}-hybrid").as_str()));
    assert_eq!(a.description(), Some("hybrid nodes"));
    assert_eq!(a.registration_limit(), Some(3));
    let t = tags(&a);
    assert_eq!(t.get("team").map(String::as_str), Some("platform"));
    assert_eq!(t.get("owner").map(String::as_str), Some("infra-tests"));
    assert_eq!(t.get("infra:stack"), Some(&name));
    assert_eq!(
        t.get("infra:address").map(String::as_str),
        Some("aws_ssm_activation.this")
    );
    // the state: the cloud's values; the code was in the lost answer
    let s = stored(&ws, "aws_ssm_activation.this");
    assert_eq!(s["registration_limit"], 3.0);
    assert_eq!(s["registration_count"], 0.0);
    assert_eq!(s["expired"], false);
    assert_eq!(s["tags_all"]["owner"], "infra-tests");
    assert!(s["tags_all"].get("infra:stack").is_none(), "{s}");
    let expires = s["expiration_date"].as_str().unwrap().to_string();
    assert!(expires.ends_with('Z') && expires.len() == 20, "{expires}");
    assert!(code_of(&ws).is_null(), "{s}");
    assert!(
        applied.all().contains("activation_code is empty")
            && applied
                .all()
                .contains("infra apply --replace aws_ssm_activation.this"),
        "the user is told the code is lost and how to get one:\n{}",
        applied.all()
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // a tag change replaces it: SSM cannot tag an activation after its creation
    let vars = format!("{vars}team = \"edge\"\n");
    ws.write("test.auto.tfvars", &vars);
    let replace = BTreeMap::from([(
        "aws_ssm_activation.this".to_string(),
        vec!["delete".to_string(), "create".to_string()],
    )]);
    assert_eq!(actions(&ws), replace);
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let b = the_activation(&name);
    assert_ne!(b.activation_id(), Some(id.as_str()), "a new activation");
    assert_eq!(tags(&b).get("team").map(String::as_str), Some("edge"));
    // made by this apply: its code is in the state, and never printed
    let code = code_of(&ws).as_str().unwrap().to_string();
    assert_eq!(code.len(), 20, "{code}");
    assert!(!apply.all().contains(&code), "{}", apply.all());
    let out = ws.run(&["output", "activation_code"]);
    assert_eq!(out.stdout.trim().trim_matches('"'), code);
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // so does a registration_limit change; the code is the new activation's
    let vars = format!("{vars}limit = 5\n");
    ws.write("test.auto.tfvars", &vars);
    assert_eq!(actions(&ws), replace);
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let c = the_activation(&name);
    assert_ne!(c.activation_id(), b.activation_id());
    assert_eq!(c.registration_limit(), Some(5));
    assert_ne!(code_of(&ws).as_str(), Some(code.as_str()));
    assert_eq!(
        id_of(&ws, "aws_ssm_activation.this"),
        c.activation_id().unwrap()
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // imported into a fresh state by role name and activation id: clean, with no code
    import_into_copy(&ws, STACK, &vars);
    // the state lost: a rebuild (under the stack's name) finds the activation by its name
    // and `infra:*` tags; its code cannot be found
    let mut rebuilt = Workspace::from_files(&[("main.tf", STACK)], true);
    rebuilt.stack_name = name.clone();
    rebuilt.write("test.auto.tfvars", &vars);
    let r = rebuilt.run(&["state", "rebuild"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        id_of(&rebuilt, "aws_ssm_activation.this"),
        c.activation_id().unwrap()
    );
    assert!(code_of(&rebuilt).is_null());
    let plan = rebuilt.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after the rebuild:\n{}", plan.all());
    // a second import of the same activation id into the original's address is refused
    let r = ws.run(&[
        "import",
        "aws_ssm_activation.this",
        c.activation_id().unwrap(),
    ]);
    assert_ne!(r.code, 0, "{}", r.all());
    // an id SSM does not know is an error naming it
    let copy = Workspace::from_files(&[("main.tf", STACK)], true);
    copy.write("test.auto.tfvars", &vars);
    let r = copy.run(&[
        "import",
        "aws_ssm_activation.this",
        "00000000-0000-4000-8000-000000000000",
    ]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(
        r.all().contains("00000000-0000-4000-8000-000000000000"),
        "{}",
        r.all()
    );

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert!(rt()
        .block_on(activations(&format!("{name}-node")))
        .is_empty());
    let left = rt().block_on(crate::common::tagged_no_nat(&name));
    assert!(left.is_empty(), "nothing of the stack is left: {left:?}");
}
