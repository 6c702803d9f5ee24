//! IAM beyond roles: managed policies, inline role policies, instance profiles and OIDC
//! providers (IRSA), as terraform-aws-eks uses them. Each test checks the cloud with an
//! independent IAM client, never through `infra`.

use std::collections::BTreeMap;

use crate::common::proxy::{Fault, FaultConfig, Match, Rule};
use crate::common::{rt, sdk_config, Workspace};
use crate::faults::{direct, proxy, through};

pub(crate) const STACK: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "team" {
  type    = string
  default = "a"
}

variable "profile_role" {
  type    = string
  default = "node"
}

variable "thumbprint" {
  type    = string
  default = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
}

variable "actions" {
  type    = list(string)
  default = ["ec2:DescribeInstances"]
}

data "aws_partition" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.${data.aws_partition.current.dns_suffix}"]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each           = toset(["node", "spare"])
  name               = "${var.name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "read" {
  statement {
    sid       = "Read"
    actions   = var.actions
    resources = ["*"]
  }
}

resource "aws_iam_policy" "this" {
  for_each    = toset(["read", "more"])
  name        = "${var.name}-${each.key}"
  path        = "/infra/"
  description = "${each.key} policy"
  policy      = data.aws_iam_policy_document.read.json
  tags        = { team = var.team }
}

resource "aws_iam_role_policy_attachment" "read" {
  role       = aws_iam_role.this["node"].name
  policy_arn = aws_iam_policy.this["read"].arn
}

resource "aws_iam_role_policy" "inline" {
  for_each = aws_iam_role.this
  name     = "${var.name}-inline"
  role     = each.value.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = var.actions, Resource = "*" }]
  })
}

resource "aws_iam_instance_profile" "this" {
  for_each = toset(["a", "b"])
  name     = "${var.name}-${each.key}"
  role     = aws_iam_role.this[var.profile_role].name
  tags     = { team = var.team }
}

resource "aws_iam_openid_connect_provider" "this" {
  for_each        = toset(["one", "two"])
  url             = "https://oidc.eks.us-east-1.amazonaws.com/id/${upper(var.name)}-${each.key}"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = [var.thumbprint]
  tags            = { team = var.team }
}

output "partition" {
  value = data.aws_partition.current.partition
}
"#;

/// What an independent client sees of the stack named `name`.
#[derive(Debug, Default, PartialEq)]
struct Seen {
    /// policy name -> (team tag, actions in the default version's document, versions)
    policies: BTreeMap<String, (String, String, usize)>,
    /// role name -> inline policy document's actions
    inline: BTreeMap<String, String>,
    /// profile name -> (role, team tag)
    profiles: BTreeMap<String, (String, String)>,
    /// provider url -> (client ids and thumbprints, team tag)
    oidc: BTreeMap<String, (Vec<String>, String)>,
}

fn actions_of(doc: &str) -> String {
    let doc = urlencoding_decode(doc);
    let json: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let mut actions: Vec<String> = match &json["Statement"][0]["Action"] {
        serde_json::Value::String(a) => vec![a.clone()],
        serde_json::Value::Array(a) => a.iter().map(|v| v.as_str().unwrap().to_string()).collect(),
        other => panic!("no actions: {other}"),
    };
    actions.sort();
    actions.join(",")
}

fn urlencoding_decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn team(tags: &[aws_sdk_iam::types::Tag]) -> String {
    tags.iter()
        .find(|t| t.key() == "team")
        .map(|t| t.value().to_string())
        .unwrap_or_default()
}

async fn seen(name: &str) -> Seen {
    let iam = aws_sdk_iam::Client::new(&sdk_config());
    let mut s = Seen::default();
    let policies = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .path_prefix("/infra/")
        .send()
        .await
        .unwrap();
    for p in policies.policies() {
        let pname = p.policy_name().unwrap_or_default();
        if !pname.starts_with(&format!("{name}-")) {
            continue;
        }
        let arn = p.arn().unwrap();
        let got = iam.get_policy().policy_arn(arn).send().await.unwrap();
        let got = got.policy().unwrap();
        let v = iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(got.default_version_id().unwrap())
            .send()
            .await
            .unwrap();
        let versions = iam
            .list_policy_versions()
            .policy_arn(arn)
            .send()
            .await
            .unwrap();
        s.policies.insert(
            pname.to_string(),
            (
                team(got.tags()),
                actions_of(v.policy_version().unwrap().document().unwrap()),
                versions.versions().len(),
            ),
        );
    }
    for key in ["node", "spare"] {
        let role = format!("{name}-{key}");
        if let Ok(out) = iam
            .get_role_policy()
            .role_name(&role)
            .policy_name(format!("{name}-inline"))
            .send()
            .await
        {
            s.inline.insert(role, actions_of(out.policy_document()));
        }
    }
    for key in ["a", "b"] {
        let pname = format!("{name}-{key}");
        if let Ok(out) = iam
            .get_instance_profile()
            .instance_profile_name(&pname)
            .send()
            .await
        {
            let ip = out.instance_profile().unwrap();
            let role = ip.roles().first().map(|r| r.role_name().to_string());
            s.profiles
                .insert(pname, (role.unwrap_or_default(), team(ip.tags())));
        }
    }
    let listed = iam.list_open_id_connect_providers().send().await.unwrap();
    let marker = format!("/id/{}-", name.to_uppercase());
    for e in listed.open_id_connect_provider_list() {
        let arn = e.arn().unwrap();
        if !arn.contains(&marker) {
            continue;
        }
        let out = iam
            .get_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .send()
            .await
            .unwrap();
        let mut clients = out.client_id_list().to_vec();
        clients.sort();
        clients.extend(out.thumbprint_list().iter().cloned());
        s.oidc.insert(
            out.url().unwrap_or_default().to_string(),
            (clients, team(out.tags())),
        );
    }
    s
}

const THUMB_1: &str = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";
const THUMB_2: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn workspace() -> Workspace {
    let ws = Workspace::from_files(&[("main.tf", STACK)], true);
    let name = ws.stack_name.clone();
    ws.write("test.auto.tfvars", &format!("name = \"{name}\"\n"));
    ws
}

fn lose(action: &str) -> Rule {
    Rule {
        when: Match {
            action: Some(action.into()),
            ..Match::default()
        },
        fault: Fault::LoseResponse,
        times: Some(1),
    }
}

fn assert_plan_clean(ws: &Workspace) {
    let plan = direct(ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "the plan is clean:\n{}", plan.all());
}

/// Create (with the first answer of every create lost after IAM acted, so each is adopted
/// by its tags or natural key instead of duplicated), refresh (a clean plan reads two of
/// each type in one batch), update in place (documents, tags, the profile's role, client
/// ids), replace (a policy's description), and destroy, checked by an independent client.
#[test]
fn iam_policies_profiles_and_oidc_providers_create_update_replace_destroy() {
    let ws = workspace();
    let name = ws.stack_name.clone();
    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        rules: vec![
            lose("CreatePolicy"),
            lose("PutRolePolicy"),
            lose("CreateInstanceProfile"),
            lose("CreateOpenIDConnectProvider"),
        ],
    });
    let apply = through(&ws, &p, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let stats = p.stats();
    assert_eq!(stats.injected.get("lost_response"), Some(&4), "{stats:?}");
    // a create whose answer was lost is adopted, not resent (PutRolePolicy is idempotent:
    // resent, or found by its name)
    for op in [
        "iam:CreatePolicy",
        "iam:CreateInstanceProfile",
        "iam:CreateOpenIDConnectProvider",
    ] {
        assert_eq!(stats.by_operation.get(op), Some(&2), "{op}: {stats:?}");
    }
    let read = "ec2:DescribeInstances".to_string();
    let oidc_url = |k: &str| {
        format!(
            "oidc.eks.us-east-1.amazonaws.com/id/{}-{k}",
            name.to_uppercase()
        )
    };
    let want = |team: &str, actions: &str, versions: usize, role: &str, clients: &[&str]| Seen {
        policies: ["read", "more"]
            .iter()
            .map(|k| {
                (
                    format!("{name}-{k}"),
                    (team.to_string(), actions.to_string(), versions),
                )
            })
            .collect(),
        inline: ["node", "spare"]
            .iter()
            .map(|k| (format!("{name}-{k}"), actions.to_string()))
            .collect(),
        profiles: ["a", "b"]
            .iter()
            .map(|k| {
                (
                    format!("{name}-{k}"),
                    (format!("{name}-{role}"), team.to_string()),
                )
            })
            .collect(),
        oidc: ["one", "two"]
            .iter()
            .map(|k| {
                (
                    oidc_url(k),
                    (
                        clients.iter().map(|c| c.to_string()).collect(),
                        team.to_string(),
                    ),
                )
            })
            .collect(),
    };
    assert_eq!(
        rt().block_on(seen(&name)),
        want("a", &read, 1, "node", &["sts.amazonaws.com", THUMB_1])
    );
    let out = direct(&ws, &["output", "partition"]);
    assert!(out.stdout.contains("aws"), "{}", out.all());
    assert_plan_clean(&ws);

    // in place: documents (a new default policy version), tags, the profile's role and
    // the providers' thumbprints (the emulator has no Add/RemoveClientID...: see
    // localstack/README.md)
    ws.write(
        "change.auto.tfvars",
        &format!("team = \"b\"\nprofile_role = \"spare\"\nthumbprint = \"{THUMB_2}\"\nactions = [\"ec2:DescribeInstances\", \"ec2:DescribeVpcs\"]\n"),
    );
    let plan = ws.plan_json(&[]);
    let changes: Vec<_> = crate::common::changes(&plan)
        .into_iter()
        .filter(|(a, _)| !a.starts_with("data."))
        .collect();
    assert!(
        changes.iter().all(|(_, a)| a == &["update".to_string()]),
        "everything changes in place: {changes:?}"
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let both = "ec2:DescribeInstances,ec2:DescribeVpcs".to_string();
    assert_eq!(
        rt().block_on(seen(&name)),
        want("b", &both, 2, "spare", &["sts.amazonaws.com", THUMB_2])
    );
    assert_plan_clean(&ws);

    // a policy's description cannot change: the policy is replaced, and its attachment
    // follows the new ARN
    ws.edit(
        "main.tf",
        "description = \"${each.key} policy\"",
        "description = \"${each.key} policy (v2)\"",
    );
    let plan = ws.plan_json(&[]);
    let changes: BTreeMap<String, Vec<String>> =
        crate::common::changes(&plan).into_iter().collect();
    let replace = vec!["delete".to_string(), "create".to_string()];
    assert_eq!(
        changes.get("aws_iam_policy.this[\"read\"]"),
        Some(&replace),
        "{changes:?}"
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(rt().block_on(seen(&name)).policies.len(), 2);
    assert_plan_clean(&ws);

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert_eq!(rt().block_on(seen(&name)), Seen::default(), "nothing left");
}
