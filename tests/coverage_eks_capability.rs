//! What terraform-aws-eks's `karpenter` and `eks-capabilities` examples add to a cluster:
//! an EKS Pod Identity association (the karpenter sub-module's), EKS capabilities (ACK and
//! Argo CD with an IAM Identity Center group), the control plane's scaling tier, and the
//! data sources `aws_ssoadmin_instances`, `aws_identitystore_group` and
//! `aws_ecrpublic_authorization_token` (in us-east-1 from a stack of another region).
//! Checked with independent SDK clients against the emulator (moto's server with
//! `localstack/moto_eks_capabilities.py`).

use std::collections::BTreeMap;

use crate::common::proxy::{Fault, FaultConfig, Match, Rule};
use crate::common::{eks, emulator_env, rt, sdk_config, Workspace};
use crate::faults::{direct, proxy, through};

const STACK: &str = r#"provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { suite = "capabilities" }
  }
}

variable "name" {
  type = string
}

variable "group" {
  type = string
}

variable "service_account" {
  type    = string
  default = "karpenter"
}

variable "pod_role" {
  type    = string
  default = "a"
}

variable "team" {
  type    = string
  default = "a"
}

variable "viewers" {
  type    = bool
  default = false
}

variable "argo_namespace" {
  type    = string
  default = "argocd"
}

resource "aws_vpc" "this" {
  cidr_block = "10.77.0.0/16"
}

resource "aws_subnet" "this" {
  for_each          = { a = "10.77.1.0/24", b = "10.77.2.0/24" }
  vpc_id            = aws_vpc.this.id
  cidr_block        = each.value
  availability_zone = "us-east-1${each.key}"
}

data "aws_service_principal" "capabilities" {
  service_name = "capabilities.eks"
}

data "aws_iam_policy_document" "assume" {
  for_each = {
    cluster      = "eks.amazonaws.com"
    pods         = "pods.eks.amazonaws.com"
    capabilities = data.aws_service_principal.capabilities.name
  }
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = [each.value]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name               = "${var.name}-cluster"
  assume_role_policy = data.aws_iam_policy_document.assume["cluster"].json
}

resource "aws_iam_role" "pod" {
  for_each           = toset(["a", "b"])
  name               = "${var.name}-pod-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.assume["pods"].json
}

resource "aws_iam_role" "capability" {
  for_each           = toset(["a", "b"])
  name               = "${var.name}-capability-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.assume["capabilities"].json
}

resource "aws_eks_cluster" "this" {
  name     = var.name
  role_arn = aws_iam_role.cluster.arn
  version  = "1.33"
  vpc_config {
    subnet_ids = [for s in aws_subnet.this : s.id]
  }
  # the karpenter example's setting
  control_plane_scaling_config {
    tier = "standard"
  }
}

resource "aws_eks_pod_identity_association" "karpenter" {
  cluster_name    = aws_eks_cluster.this.name
  namespace       = "kube-system"
  service_account = var.service_account
  role_arn        = aws_iam_role.pod[var.pod_role].arn
  tags            = { team = var.team }
}

data "aws_ssoadmin_instances" "this" {}

data "aws_identitystore_group" "admins" {
  identity_store_id = one(data.aws_ssoadmin_instances.this.identity_store_ids)

  alternate_identifier {
    unique_attribute {
      attribute_path  = "DisplayName"
      attribute_value = var.group
    }
  }
}

resource "aws_eks_capability" "ack" {
  capability_name           = "ack"
  cluster_name              = aws_eks_cluster.this.name
  type                      = "ACK"
  role_arn                  = aws_iam_role.capability["a"].arn
  delete_propagation_policy = "RETAIN"
  tags                      = { team = var.team }
}

resource "aws_eks_capability" "argocd" {
  capability_name           = "argocd"
  cluster_name              = aws_eks_cluster.this.name
  type                      = "ARGOCD"
  role_arn                  = aws_iam_role.capability[var.pod_role].arn
  delete_propagation_policy = "RETAIN"

  configuration {
    argo_cd {
      aws_idc {
        idc_instance_arn = one(data.aws_ssoadmin_instances.this.arns)
      }
      namespace = var.argo_namespace
      rbac_role_mapping {
        role = "ADMIN"
        identity {
          id   = data.aws_identitystore_group.admins.group_id
          type = "SSO_GROUP"
        }
      }
      dynamic "rbac_role_mapping" {
        for_each = var.viewers ? ["VIEWER"] : []
        content {
          role = rbac_role_mapping.value
          identity {
            id   = data.aws_identitystore_group.admins.group_id
            type = "SSO_GROUP"
          }
        }
      }
    }
  }

  timeouts {
    create = "5m"
  }

  tags = { team = var.team }
}

output "group" {
  value = data.aws_identitystore_group.admins.display_name
}
"#;

/// An IAM Identity Center group made by an independent client, as the example expects
/// one to exist, in `region`'s Identity Center instance: (identity store, group id).
async fn make_group(name: &str, region: &'static str) -> (String, String) {
    let env = emulator_env();
    let conf = sdk_config();
    let sso = aws_sdk_ssoadmin::Client::from_conf(
        aws_sdk_ssoadmin::config::Builder::from(&conf)
            .region(aws_config::Region::from_static(region))
            .endpoint_url(&env["AWS_ENDPOINT_URL_SSO_ADMIN"])
            .build(),
    );
    let instances = sso.list_instances().send().await.unwrap();
    let store = instances.instances()[0]
        .identity_store_id()
        .unwrap()
        .to_string();
    let ids = aws_sdk_identitystore::Client::from_conf(
        aws_sdk_identitystore::config::Builder::from(&conf)
            .region(aws_config::Region::from_static(region))
            .endpoint_url(&env["AWS_ENDPOINT_URL_IDENTITYSTORE"])
            .build(),
    );
    let g = ids
        .create_group()
        .identity_store_id(&store)
        .display_name(name)
        .description("argo cd admins")
        .send()
        .await
        .unwrap();
    (store, g.group_id().to_string())
}

/// What an independent EKS client sees of cluster `name`: its pod identity associations
/// (service account -> role name, team tag, suite tag, address tag), its capabilities
/// (name -> status, role name, Argo CD namespace, sorted `ROLE=identity` mappings, team
/// tag) and its control plane tier.
#[derive(Debug, PartialEq, Default)]
struct Seen {
    pods: BTreeMap<String, (String, String, String, String)>,
    capabilities: BTreeMap<String, (String, String, String, Vec<String>, String)>,
    tier: String,
}

fn last(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or_default().to_string()
}

async fn seen(name: &str) -> Seen {
    let c = eks().await;
    let mut out = Seen::default();
    let Ok(cluster) = c.describe_cluster().name(name).send().await else {
        return out;
    };
    out.tier = cluster
        .cluster()
        .and_then(|c| c.control_plane_scaling_config())
        .and_then(|s| s.tier())
        .map(|t| t.as_str().to_string())
        .unwrap_or_default();
    let listed = c
        .list_pod_identity_associations()
        .cluster_name(name)
        .send()
        .await
        .unwrap();
    for a in listed.associations() {
        let d = c
            .describe_pod_identity_association()
            .cluster_name(name)
            .association_id(a.association_id().unwrap())
            .send()
            .await
            .unwrap();
        let d = d.association().unwrap();
        let tag = |k: &str| d.tags().and_then(|t| t.get(k).cloned()).unwrap_or_default();
        out.pods.insert(
            d.service_account().unwrap().to_string(),
            (
                last(d.role_arn().unwrap()),
                tag("team"),
                tag("suite"),
                tag("infra:address"),
            ),
        );
    }
    let listed = c
        .list_capabilities()
        .cluster_name(name)
        .send()
        .await
        .unwrap();
    for s in listed.capabilities() {
        let d = c
            .describe_capability()
            .cluster_name(name)
            .capability_name(s.capability_name().unwrap())
            .send()
            .await
            .unwrap();
        let d = d.capability().unwrap();
        let argo = d.configuration().and_then(|c| c.argo_cd());
        let mut mappings: Vec<String> = argo
            .map(|a| a.rbac_role_mappings())
            .unwrap_or_default()
            .iter()
            .flat_map(|m| {
                m.identities()
                    .iter()
                    .map(move |i| format!("{}={}", m.role().as_str(), i.id()))
            })
            .collect();
        mappings.sort();
        out.capabilities.insert(
            d.capability_name().unwrap().to_string(),
            (
                d.status().unwrap().as_str().to_string(),
                last(d.role_arn().unwrap()),
                argo.and_then(|a| a.namespace())
                    .unwrap_or_default()
                    .to_string(),
                mappings,
                d.tags()
                    .and_then(|t| t.get("team").cloned())
                    .unwrap_or_default(),
            ),
        );
    }
    out
}

fn lose(path: &str, body: &str) -> Rule {
    Rule {
        when: Match {
            path_prefix: Some(path.into()),
            body_contains: Some(body.into()),
            ..Match::default()
        },
        fault: Fault::LoseResponse,
        times: Some(1),
    }
}

fn actions(ws: &Workspace) -> BTreeMap<String, Vec<String>> {
    crate::common::changes(&ws.plan_json(&[]))
        .into_iter()
        .filter(|(a, _)| !a.starts_with("data."))
        .collect()
}

/// The karpenter sub-module's pod identity association and the capability sub-module's
/// capabilities: created with both create answers lost (adopted by their natural keys and
/// `infra:*` tags, none duplicated), re-planned clean, changed in place (roles, tags, Argo
/// CD role mappings), replaced (service account, Argo CD namespace), imported by
/// Terraform's ids into a fresh state (clean plan), destroyed with the cluster.
#[test]
fn eks_pod_identity_association_and_capabilities() {
    let ws = Workspace::from_files(&[("main.tf", STACK)], true);
    let name = ws.stack_name.clone();
    let group_name = format!("{name}-admins");
    let (_store, group) = rt().block_on(make_group(&group_name, "us-east-1"));
    let vars = format!("name = \"{name}\"\ngroup = \"{group_name}\"\n");
    ws.write("test.auto.tfvars", &vars);
    let clusters = format!("/clusters/{name}/");
    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        rules: vec![
            lose(
                &format!("{clusters}pod-identity-associations"),
                "\"serviceAccount\"",
            ),
            lose(&format!("{clusters}capabilities"), "\"ARGOCD\""),
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
    let out = ws.run(&["output", "--json"]);
    let out: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(out["group"]["value"].as_str(), Some(group_name.as_str()));
    let want = |sa: &str, role: &str, team: &str, namespace: &str, mappings: &[&str]| Seen {
        pods: [(
            sa.to_string(),
            (
                format!("{name}-pod-{role}"),
                team.to_string(),
                "capabilities".to_string(),
                "aws_eks_pod_identity_association.karpenter".to_string(),
            ),
        )]
        .into_iter()
        .collect(),
        capabilities: [
            (
                "ack".to_string(),
                (
                    "ACTIVE".to_string(),
                    format!("{name}-capability-a"),
                    String::new(),
                    vec![],
                    team.to_string(),
                ),
            ),
            (
                "argocd".to_string(),
                (
                    "ACTIVE".to_string(),
                    format!("{name}-capability-{role}"),
                    namespace.to_string(),
                    mappings.iter().map(|m| format!("{m}={group}")).collect(),
                    team.to_string(),
                ),
            ),
        ]
        .into_iter()
        .collect(),
        tier: "standard".to_string(),
    };
    assert_eq!(
        rt().block_on(seen(&name)),
        want("karpenter", "a", "a", "argocd", &["ADMIN"])
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // roles, tags and the Argo CD role mappings change in place
    let vars2 = format!("{vars}pod_role = \"b\"\nteam = \"b\"\nviewers = true\n");
    ws.write("test.auto.tfvars", &vars2);
    let changed = actions(&ws);
    let update = vec!["update".to_string()];
    for addr in [
        "aws_eks_pod_identity_association.karpenter",
        "aws_eks_capability.ack",
        "aws_eks_capability.argocd",
    ] {
        assert_eq!(changed.get(addr), Some(&update), "{addr}: {changed:?}");
    }
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        rt().block_on(seen(&name)),
        want("karpenter", "b", "b", "argocd", &["ADMIN", "VIEWER"])
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // the service account and the Argo CD namespace force new ones
    let vars3 = format!("{vars2}service_account = \"karpenter-2\"\nargo_namespace = \"gitops\"\n");
    ws.write("test.auto.tfvars", &vars3);
    let changed = actions(&ws);
    let replace = vec!["delete".to_string(), "create".to_string()];
    for addr in [
        "aws_eks_pod_identity_association.karpenter",
        "aws_eks_capability.argocd",
    ] {
        assert_eq!(changed.get(addr), Some(&replace), "{addr}: {changed:?}");
    }
    assert_eq!(changed.get("aws_eks_capability.ack"), None, "{changed:?}");
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        rt().block_on(seen(&name)),
        want("karpenter-2", "b", "b", "gitops", &["ADMIN", "VIEWER"])
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // Terraform's import IDs: the association's is CLUSTER,ASSOCIATIONID
    let copy = Workspace::from_files(&[("main.tf", STACK)], true);
    copy.write("test.auto.tfvars", &vars3);
    let bad = copy.run(&[
        "import",
        "aws_eks_pod_identity_association.karpenter",
        "a-0123",
    ]);
    assert_ne!(bad.code, 0);
    assert!(bad.all().contains("CLUSTER,ASSOCIATIONID"), "{}", bad.all());
    for (addr, id) in crate::coverage_ec2_more::managed(&ws) {
        let id = if addr.starts_with("aws_eks_pod_identity_association.") {
            assert!(id.starts_with("a-"), "{addr} {id}");
            format!("{name},{id}")
        } else {
            id
        };
        let r = copy.run(&["import", &addr, &id]);
        assert_eq!(r.code, 0, "import {addr} {id}:\n{}", r.all());
    }
    let plan = copy.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after import:\n{}", plan.all());

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert_eq!(rt().block_on(seen(&name)), Seen::default(), "all gone");
}

const TOKEN: &str = r#"provider "aws" {
  region = "eu-west-1"
}

variable "name" {
  type = string
}

variable "group" {
  type = string
}

# as the karpenter example: ECR Public is served from us-east-1 only
data "aws_ecrpublic_authorization_token" "token" {
  region = "us-east-1"
}

data "aws_ssoadmin_instances" "this" {}

data "aws_identitystore_group" "by_id" {
  identity_store_id = one(data.aws_ssoadmin_instances.this.identity_store_ids)
  group_id          = var.group
}

resource "aws_iam_role" "this" {
  name = var.name
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "pods.eks.amazonaws.com" } }]
  })
  tags = {
    registry_user = data.aws_ecrpublic_authorization_token.token.user_name
    group         = data.aws_identitystore_group.by_id.display_name
  }
}

output "user" {
  value = data.aws_ecrpublic_authorization_token.token.user_name
}

output "password" {
  value     = data.aws_ecrpublic_authorization_token.token.password
  sensitive = true
}

output "expires_at" {
  value = data.aws_ecrpublic_authorization_token.token.expires_at
}
"#;

/// ECR Public's token is read in its own region (us-east-1) from a stack in eu-west-1,
/// split into user and password (sensitive, never printed); without `region` the call
/// goes to the stack's region, which the emulator refuses as AWS has no endpoint there,
/// and the error names the data source. A group is read by its id too.
#[test]
fn ecrpublic_token_in_its_own_region_and_a_group_by_id() {
    let ws = Workspace::from_files(&[("main.tf", TOKEN)], true);
    let name = ws.stack_name.clone();
    let group_name = format!("{name}-ops");
    let (_store, group) = rt().block_on(make_group(&group_name, "eu-west-1"));
    ws.write(
        "test.auto.tfvars",
        &format!("name = \"{name}\"\ngroup = \"{group}\"\n"),
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let out = ws.run(&["output", "--json"]);
    let out: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(out["user"]["value"], "AWS", "{out}");
    assert_eq!(out["password"]["sensitive"], true, "{out}");
    // a named output is shown, as in Terraform; nothing else prints it
    let named = ws.run(&["output", "password"]);
    let password = named.stdout.trim().trim_matches('"').to_string();
    assert!(password.len() >= 32, "{}", named.all());
    assert!(!apply.all().contains(&password), "the password is printed");
    assert!(
        out["expires_at"]["value"]
            .as_str()
            .is_some_and(|t| t.len() == 20 && t.ends_with('Z') && t.contains('T')),
        "{out}"
    );
    let tags = rt().block_on(async {
        aws_sdk_iam::Client::new(&sdk_config())
            .list_role_tags()
            .role_name(&name)
            .send()
            .await
            .unwrap()
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect::<BTreeMap<_, _>>()
    });
    assert_eq!(tags.get("registry_user").map(String::as_str), Some("AWS"));
    assert_eq!(tags.get("group"), Some(&group_name));
    // a new token every read (the outputs change, as with Terraform), no resource changes
    let changed: Vec<_> = actions(&ws)
        .into_iter()
        .filter(|(_, a)| a != &["no-op".to_string()])
        .collect();
    assert!(changed.is_empty(), "{changed:?}");

    // without its own region the call goes to eu-west-1
    ws.write("main.tf", &TOKEN.replace("  region = \"us-east-1\"\n", ""));
    let plan = direct(&ws, &["plan"]);
    assert_ne!(plan.code, 0, "{}", plan.all());
    assert!(
        plan.all()
            .contains("data.aws_ecrpublic_authorization_token.token")
            && plan.all().contains("us-east-1 only"),
        "{}",
        plan.all()
    );
    ws.write("main.tf", TOKEN);
    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
}
