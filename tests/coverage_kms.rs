//! What terraform-aws-eks makes through terraform-aws-kms for its secrets encryption, and
//! the data sources its node groups read: a KMS key with a policy rendered by
//! `aws_iam_policy_document`, rotation on a period and a deletion window; aliases by
//! `name_prefix` (for_each) and by `name`; `aws_ssm_parameter` (a parameter the test writes
//! first with its own client), `aws_eks_addon_version`, `aws_eks_cluster_versions` and
//! `aws_service_principal`, whose answers the key carries as tags. Applied with the answers
//! of CreateKey and CreateAlias lost (adopted, not duplicated), checked with independent
//! KMS clients, re-planned clean, updated in place (description, policy, rotation, enabled
//! state, tags, an alias's target), a key replaced (`multi_region`), imported into a fresh
//! state by Terraform's import ids, and destroyed (keys pending deletion, aliases gone).

use std::collections::BTreeMap;

use crate::common::proxy::{Fault, FaultConfig, Match, Rule};
use crate::common::{rt, sdk_config, Workspace};
use crate::coverage_ec2_more::{actions, id_of, import_into_copy};
use crate::faults::{direct, proxy, through};

const KMS: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "parameter" {
  type = string
}

variable "description" {
  type    = string
  default = "cluster encryption key"
}

variable "rotation" {
  type    = bool
  default = true
}

variable "enabled" {
  type    = bool
  default = true
}

variable "users" {
  type    = list(string)
  default = []
}

variable "extra_target" {
  type    = string
  default = "this"
}

variable "multi_region" {
  type    = bool
  default = false
}

data "aws_caller_identity" "current" {}

data "aws_ssm_parameter" "release" {
  name = var.parameter
}

data "aws_eks_cluster_versions" "this" {
  cluster_type   = "eks"
  version_status = "STANDARD_SUPPORT"
}

data "aws_eks_addon_version" "coredns" {
  addon_name         = "coredns"
  kubernetes_version = data.aws_eks_cluster_versions.this.cluster_versions[1].cluster_version
  most_recent        = false
}

data "aws_service_principal" "ec2" {
  service_name = "ec2"
}

data "aws_iam_policy_document" "key" {
  statement {
    sid       = "Default"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  dynamic "statement" {
    for_each = length(var.users) > 0 ? [1] : []
    content {
      sid       = "KeyUsage"
      actions   = ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"]
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = var.users
      }
    }
  }
}

resource "aws_kms_key" "this" {
  description                        = var.description
  key_usage                          = "ENCRYPT_DECRYPT"
  customer_master_key_spec           = null
  custom_key_store_id                = null
  bypass_policy_lockout_safety_check = false
  deletion_window_in_days            = 7
  enable_key_rotation                = var.rotation
  rotation_period_in_days            = var.rotation ? 90 : null
  is_enabled                         = var.enabled
  multi_region                       = false
  policy                             = coalesce(null, data.aws_iam_policy_document.key.json)
  tags = {
    Name    = var.name
    release = nonsensitive(data.aws_ssm_parameter.release.value)
    coredns = data.aws_eks_addon_version.coredns.version
    k8s     = data.aws_eks_cluster_versions.this.cluster_versions[1].cluster_version
    ec2     = data.aws_service_principal.ec2.name
  }
}

resource "aws_kms_key" "other" {
  description             = "${var.name} other"
  deletion_window_in_days = 7
  multi_region            = var.multi_region
}

locals {
  keys = { this = aws_kms_key.this.key_id, other = aws_kms_key.other.arn }
}

resource "aws_kms_alias" "this" {
  for_each      = { for k in ["cluster", "secrets"] : k => k }
  name          = null
  name_prefix   = "alias/${var.name}/${each.value}-"
  target_key_id = try(aws_kms_key.this.key_id, null)
}

resource "aws_kms_alias" "extra" {
  name          = "alias/${var.name}/extra"
  target_key_id = local.keys[var.extra_target]
}

output "key_arn" {
  value = aws_kms_key.this.arn
}

output "alias_key_arn" {
  value = aws_kms_alias.extra.target_key_arn
}
"#;

fn kms() -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::new(&sdk_config())
}

fn ssm() -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::new(&sdk_config())
}

/// A live key of the stack, as an independent KMS client sees it.
#[derive(Debug, Clone, PartialEq)]
struct Key {
    id: String,
    description: String,
    enabled: bool,
    multi_region: bool,
    rotation: Option<i32>,
    policy_sids: Vec<String>,
    tags: BTreeMap<String, String>,
}

/// The stack's live keys (not pending deletion), by `infra:address`.
async fn keys(stack: &str) -> BTreeMap<String, Key> {
    let c = kms();
    let mut out = BTreeMap::new();
    let list = c.list_keys().limit(1000).send().await.unwrap();
    for k in list.keys() {
        let id = k.key_id().unwrap();
        let tags: BTreeMap<String, String> = c
            .list_resource_tags()
            .key_id(id)
            .send()
            .await
            .unwrap()
            .tags()
            .iter()
            .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
            .collect();
        if tags.get("infra:stack").map(String::as_str) != Some(stack) {
            continue;
        }
        let m = c.describe_key().key_id(id).send().await.unwrap();
        let m = m.key_metadata().unwrap();
        if m.key_state().map(|s| s.as_str()) == Some("PendingDeletion") {
            continue;
        }
        let rot = c.get_key_rotation_status().key_id(id).send().await.unwrap();
        let policy = c
            .get_key_policy()
            .key_id(id)
            .policy_name("default")
            .send()
            .await
            .unwrap();
        let doc: serde_json::Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
        let policy_sids = doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["Sid"].as_str().map(str::to_string))
            .collect();
        out.insert(
            tags["infra:address"].clone(),
            Key {
                id: id.to_string(),
                description: m.description().unwrap_or_default().to_string(),
                enabled: m.enabled(),
                multi_region: m.multi_region() == Some(true),
                rotation: rot
                    .key_rotation_enabled()
                    .then(|| rot.rotation_period_in_days().unwrap_or(365)),
                policy_sids,
                tags,
            },
        );
    }
    out
}

/// The stack's aliases (named `alias/<stack>/...`): name -> target key id.
async fn aliases(stack: &str) -> BTreeMap<String, String> {
    let list = kms().list_aliases().limit(1000).send().await.unwrap();
    list.aliases()
        .iter()
        .filter(|a| {
            a.alias_name()
                .is_some_and(|n| n.starts_with(&format!("alias/{stack}/")))
        })
        .map(|a| {
            (
                a.alias_name().unwrap().to_string(),
                // the emulator lists the ARN an UpdateAlias was given (AWS: the key id)
                a.target_key_id()
                    .unwrap_or_default()
                    .rsplit(":key/")
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

/// A rule that loses the answer of the first request whose body holds `text`.
fn lose(text: &str) -> Rule {
    Rule {
        when: Match {
            body_contains: Some(text.into()),
            ..Match::default()
        },
        fault: Fault::LoseResponse,
        times: Some(1),
    }
}

#[test]
fn kms_keys_aliases_and_the_eks_catalogue_data_sources() {
    let ws = Workspace::from_files(&[("main.tf", KMS)], true);
    let name = ws.stack_name.clone();
    // the parameter an EKS node group reads, written by an independent client
    let parameter = format!("/infra-test/{name}/eks/optimized-ami/1.32/release_version");
    rt().block_on(async {
        ssm()
            .put_parameter()
            .name(&parameter)
            .value("1.32.3-20250610")
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .send()
            .await
            .unwrap();
    });
    let vars = format!("name = \"{name}\"\nparameter = \"{parameter}\"\n");
    ws.write("test.auto.tfvars", &vars);

    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        // CreateKey is the only request carrying the infra:address tag of the key
        rules: vec![
            lose("\"infra:address\",\"TagValue\":\"aws_kms_key.this\""),
            lose(&format!("\"AliasName\":\"alias/{name}/extra\"")),
        ],
    });
    let apply = through(&ws, &p, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        p.stats().injected.get("lost_response"),
        Some(&2),
        "{:?}",
        p.stats()
    );
    let seen = rt().block_on(keys(&name));
    assert_eq!(seen.len(), 2, "one key per address: {seen:?}");
    let this = &seen["aws_kms_key.this"];
    assert_eq!(this.id, id_of(&ws, "aws_kms_key.this"));
    assert_eq!(this.description, "cluster encryption key");
    assert_eq!(this.rotation, Some(90));
    assert!(this.enabled);
    assert_eq!(this.policy_sids, vec!["Default".to_string()]);
    // the data sources' answers, as the key's tags
    assert_eq!(this.tags["release"], "1.32.3-20250610");
    assert_eq!(this.tags["k8s"], "1.32");
    assert_eq!(this.tags["coredns"], "v1.11.4-eksbuild.14");
    assert_eq!(this.tags["ec2"], "ec2.amazonaws.com");
    let other = seen["aws_kms_key.other"].clone();
    assert!(!other.multi_region);
    let found = rt().block_on(aliases(&name));
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(found[&format!("alias/{name}/extra")], this.id);
    assert!(
        found
            .keys()
            .any(|a| a.starts_with(&format!("alias/{name}/cluster-"))),
        "{found:?}"
    );
    assert!(found.values().all(|k| *k == this.id), "{found:?}");
    let out = ws.run(&["output", "--json"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let outputs: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(
        outputs["alias_key_arn"]["value"]
            .as_str()
            .unwrap()
            .ends_with(&format!(":key/{}", this.id)),
        "{outputs}"
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // description, policy, rotation, enabled state and an alias's target change in place
    let vars = format!(
        "{vars}description = \"secrets\"\nrotation = false\nenabled = false\nusers = [\"arn:aws:iam::000000000000:root\"]\nextra_target = \"other\"\n"
    );
    ws.write("test.auto.tfvars", &vars);
    let changed = actions(&ws);
    let update = vec!["update".to_string()];
    assert_eq!(
        changed.get("aws_kms_key.this"),
        Some(&update),
        "{changed:?}"
    );
    assert_eq!(
        changed.get("aws_kms_alias.extra"),
        Some(&update),
        "{changed:?}"
    );
    assert_eq!(changed.len(), 2, "{changed:?}");
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let seen = rt().block_on(keys(&name));
    let this = &seen["aws_kms_key.this"];
    assert_eq!(this.description, "secrets");
    assert_eq!(this.rotation, None);
    assert!(!this.enabled);
    assert_eq!(
        this.policy_sids,
        vec!["Default".to_string(), "KeyUsage".into()]
    );
    let found = rt().block_on(aliases(&name));
    assert_eq!(found[&format!("alias/{name}/extra")], other.id);
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // multi_region forces a new key; the alias follows it in place
    let vars = format!("{vars}multi_region = true\n");
    ws.write("test.auto.tfvars", &vars);
    let changed = actions(&ws);
    assert_eq!(
        changed.get("aws_kms_key.other"),
        Some(&vec!["delete".to_string(), "create".to_string()]),
        "{changed:?}"
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let seen = rt().block_on(keys(&name));
    let replaced = &seen["aws_kms_key.other"];
    assert_ne!(replaced.id, other.id);
    assert!(replaced.multi_region);
    let found = rt().block_on(aliases(&name));
    assert_eq!(found[&format!("alias/{name}/extra")], replaced.id);
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    import_into_copy(&ws, KMS, &vars);

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    let seen = rt().block_on(keys(&name));
    assert!(seen.is_empty(), "every key is pending deletion: {seen:?}");
    let found = rt().block_on(aliases(&name));
    assert!(found.is_empty(), "{found:?}");
    rt().block_on(async {
        ssm()
            .delete_parameter()
            .name(&parameter)
            .send()
            .await
            .unwrap();
    });
}
