//! EKS beyond clusters and node groups, as terraform-aws-eks uses them: access entries
//! and their policy associations, add-ons (with an IRSA role from an OIDC provider), and
//! the `aws_eks_cluster` / `aws_eks_cluster_auth` data sources. Checked with an
//! independent EKS client (moto's server, with the operations `moto_eks_updates.py` adds).

use std::collections::BTreeMap;

use crate::common::proxy::{Fault, FaultConfig, Match, Rule};
use crate::common::{eks, rt, Workspace};
use crate::faults::{direct, proxy, through};

pub(crate) const STACK: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "groups" {
  type    = list(string)
  default = ["ops"]
}

variable "cni_version" {
  type    = string
  default = "v1.18.0-eksbuild.1"
}

variable "namespaces" {
  type    = list(string)
  default = ["default"]
}

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

resource "aws_vpc" "this" {
  cidr_block = "10.71.0.0/16"
  tags       = { Name = var.name }
}

resource "aws_subnet" "this" {
  for_each          = { a = "10.71.1.0/24", b = "10.71.2.0/24" }
  vpc_id            = aws_vpc.this.id
  cidr_block        = each.value
  availability_zone = "us-east-1${each.key}"
}

data "aws_iam_policy_document" "eks" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name               = "${var.name}-cluster"
  assume_role_policy = data.aws_iam_policy_document.eks.json
}

resource "aws_iam_role" "admin" {
  for_each           = toset(["ops", "dev"])
  name               = "${var.name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.eks.json
}

resource "aws_eks_cluster" "this" {
  name     = var.name
  role_arn = aws_iam_role.cluster.arn
  version  = "1.30"
  vpc_config {
    subnet_ids = [for s in aws_subnet.this : s.id]
  }
}

resource "aws_eks_access_entry" "this" {
  for_each          = aws_iam_role.admin
  cluster_name      = aws_eks_cluster.this.name
  principal_arn     = each.value.arn
  kubernetes_groups = var.groups
  tags              = { role = each.key }
}

resource "aws_eks_access_policy_association" "this" {
  for_each      = aws_eks_access_entry.this
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = each.value.principal_arn
  policy_arn    = "arn:${data.aws_partition.current.partition}:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
  access_scope {
    type       = "namespace"
    namespaces = var.namespaces
  }
}

# the cluster's issuer, as terraform-aws-eks reads it for IRSA (moto gives every cluster
# of a server the same issuer, so the provider below keeps a URL of its own)
output "issuer" {
  value = aws_eks_cluster.this.identity[0].oidc[0].issuer
}

resource "aws_iam_openid_connect_provider" "this" {
  url             = "https://oidc.eks.us-east-1.amazonaws.com/id/${upper(var.name)}"
  client_id_list  = ["sts.amazonaws.com"]
  thumbprint_list = ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]
}

data "aws_iam_policy_document" "irsa" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.this.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${replace(aws_iam_openid_connect_provider.this.url, "https://", "")}:sub"
      values   = ["system:serviceaccount:kube-system:aws-node"]
    }
  }
}

resource "aws_iam_role" "cni" {
  name               = "${var.name}-cni"
  assume_role_policy = data.aws_iam_policy_document.irsa.json
}

resource "aws_eks_addon" "this" {
  for_each                 = { "vpc-cni" = var.cni_version, "coredns" = "v1.11.1-eksbuild.9" }
  cluster_name             = aws_eks_cluster.this.name
  addon_name               = each.key
  addon_version            = each.value
  service_account_role_arn = each.key == "vpc-cni" ? aws_iam_role.cni.arn : null
  tags                     = { addon = each.key }
}
"#;

/// What an independent EKS client sees of cluster `name`: access entries (principal ->
/// groups), their associated policies (principal -> [policy scope namespaces]), add-ons
/// (name -> version, role set).
type Entries = BTreeMap<String, Vec<String>>;
type Policies = BTreeMap<String, Vec<String>>;
type Addons = BTreeMap<String, (String, bool, String)>;

async fn seen(name: &str) -> (Entries, Policies, Addons) {
    let c = eks().await;
    let (mut entries, mut policies, mut addons) = Default::default();
    let Ok(listed) = c.list_access_entries().cluster_name(name).send().await else {
        return (entries, policies, addons);
    };
    for principal in listed.access_entries() {
        let e = c
            .describe_access_entry()
            .cluster_name(name)
            .principal_arn(principal)
            .send()
            .await
            .unwrap();
        let mut groups = e.access_entry().unwrap().kubernetes_groups().to_vec();
        groups.sort();
        let short = principal.rsplit('/').next().unwrap().to_string();
        entries.insert(short.clone(), groups);
        let assoc = c
            .list_associated_access_policies()
            .cluster_name(name)
            .principal_arn(principal)
            .send()
            .await
            .unwrap();
        let list: Vec<String> = assoc
            .associated_access_policies()
            .iter()
            .map(|a| {
                let scope = a.access_scope().unwrap();
                let mut ns = scope.namespaces().to_vec();
                ns.sort();
                format!(
                    "{} {} {}",
                    a.policy_arn().unwrap().rsplit('/').next().unwrap(),
                    scope.r#type().unwrap().as_str(),
                    ns.join(",")
                )
            })
            .collect();
        policies.insert(short, list);
    }
    let listed = c.list_addons().cluster_name(name).send().await.unwrap();
    for a in listed.addons() {
        let d = c
            .describe_addon()
            .cluster_name(name)
            .addon_name(a)
            .send()
            .await
            .unwrap();
        let d = d.addon().unwrap();
        let tag = d
            .tags()
            .and_then(|t| t.get("addon").cloned())
            .unwrap_or_default();
        addons.insert(
            a.clone(),
            (
                d.addon_version().unwrap_or_default().to_string(),
                d.service_account_role_arn().is_some_and(|r| !r.is_empty()),
                tag,
            ),
        );
    }
    (entries, policies, addons)
}

fn lose_eks(path: &str, body: &str) -> Rule {
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

/// Create with the first CreateAccessEntry, AssociateAccessPolicy and CreateAddon answers
/// lost after EKS acted (each adopted, none duplicated), a clean re-plan, in-place updates
/// (groups, an add-on's version), a replaced association (its scope), and destroy.
#[test]
fn eks_access_entries_policy_associations_and_addons() {
    let ws = Workspace::from_files(&[("main.tf", STACK)], true);
    let name = ws.stack_name.clone();
    ws.write("test.auto.tfvars", &format!("name = \"{name}\"\n"));
    let clusters = format!("/clusters/{name}/");
    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        rules: vec![
            lose_eks(&format!("{clusters}access-entries"), "\"principalArn\""),
            lose_eks(&format!("{clusters}access-entries/"), "\"policyArn\""),
            lose_eks(&format!("{clusters}addons"), "\"addonName\""),
        ],
    });
    let apply = through(&ws, &p, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        p.stats().injected.get("lost_response"),
        Some(&3),
        "{:?}",
        p.stats()
    );
    let views = |ns: &str| -> Vec<String> { vec![format!("AmazonEKSViewPolicy namespace {ns}")] };
    let roles = |f: &dyn Fn(&str) -> Vec<String>| -> BTreeMap<String, Vec<String>> {
        ["dev", "ops"]
            .iter()
            .map(|k| (format!("{name}-{k}"), f(k)))
            .collect()
    };
    let issuer = rt().block_on(async {
        eks()
            .await
            .describe_cluster()
            .name(&name)
            .send()
            .await
            .unwrap()
            .cluster()
            .and_then(|c| c.identity())
            .and_then(|i| i.oidc())
            .and_then(|o| o.issuer())
            .map(str::to_string)
    });
    let out = ws.run(&["output", "--json"]);
    let out: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(issuer.is_some());
    assert_eq!(out["issuer"]["value"].as_str(), issuer.as_deref(), "{out}");
    let (entries, policies, addons) = rt().block_on(seen(&name));
    assert_eq!(entries, roles(&|_| vec!["ops".to_string()]));
    assert_eq!(policies, roles(&|_| views("default")));
    let want_addons = |cni: &str| -> Addons {
        [
            ("coredns", "v1.11.1-eksbuild.9", false),
            ("vpc-cni", cni, true),
        ]
        .iter()
        .map(|(n, v, r)| (n.to_string(), (v.to_string(), *r, n.to_string())))
        .collect()
    };
    assert_eq!(addons, want_addons("v1.18.0-eksbuild.1"));
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // groups and an add-on's version change in place; an association's scope replaces it
    ws.write(
        "test.auto.tfvars",
        &format!("name = \"{name}\"\ngroups = [\"ops\", \"audit\"]\ncni_version = \"v1.19.0-eksbuild.1\"\nnamespaces = [\"default\", \"apps\"]\n"),
    );
    let plan = ws.plan_json(&[]);
    let changes: BTreeMap<String, Vec<String>> = crate::common::changes(&plan)
        .into_iter()
        .filter(|(a, _)| !a.starts_with("data."))
        .collect();
    let update = vec!["update".to_string()];
    let replace = vec!["delete".to_string(), "create".to_string()];
    assert_eq!(
        changes.get("aws_eks_access_entry.this[\"ops\"]"),
        Some(&update),
        "{changes:?}"
    );
    assert_eq!(
        changes.get("aws_eks_addon.this[\"vpc-cni\"]"),
        Some(&update),
        "{changes:?}"
    );
    assert_eq!(
        changes.get("aws_eks_access_policy_association.this[\"dev\"]"),
        Some(&replace),
        "{changes:?}"
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let (entries, policies, addons) = rt().block_on(seen(&name));
    assert_eq!(
        entries,
        roles(&|_| vec!["audit".to_string(), "ops".to_string()])
    );
    assert_eq!(policies, roles(&|_| views("apps,default")));
    assert_eq!(addons, want_addons("v1.19.0-eksbuild.1"));
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    let gone = rt().block_on(async {
        eks()
            .await
            .describe_cluster()
            .name(&name)
            .send()
            .await
            .is_err()
    });
    assert!(gone, "cluster gone");
}

pub(crate) const FARGATE: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "namespaces" {
  type    = list(string)
  default = ["kube-system"]
}

variable "team" {
  type    = string
  default = "a"
}

variable "issuer" {
  type    = string
  default = "one"
}

resource "aws_vpc" "this" {
  cidr_block = "10.75.0.0/16"
}

resource "aws_subnet" "this" {
  for_each          = { a = "10.75.1.0/24", b = "10.75.2.0/24" }
  vpc_id            = aws_vpc.this.id
  cidr_block        = each.value
  availability_zone = "us-east-1${each.key}"
}

data "aws_iam_policy_document" "assume" {
  for_each = toset(["eks", "eks-fargate-pods"])
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["${each.key}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each           = data.aws_iam_policy_document.assume
  name               = "${var.name}-${each.key}"
  assume_role_policy = each.value.json
}

resource "aws_eks_cluster" "this" {
  name     = var.name
  role_arn = aws_iam_role.this["eks"].arn
  version  = "1.30"
  vpc_config {
    subnet_ids = [for s in aws_subnet.this : s.id]
  }
}

resource "aws_eks_fargate_profile" "this" {
  cluster_name           = aws_eks_cluster.this.name
  fargate_profile_name   = "system"
  pod_execution_role_arn = aws_iam_role.this["eks-fargate-pods"].arn
  subnet_ids             = [for s in aws_subnet.this : s.id]
  dynamic "selector" {
    for_each = toset(var.namespaces)
    content {
      namespace = selector.value
      labels    = selector.value == "apps" ? { tier = "web" } : null
    }
  }
  tags = { team = var.team }
}

resource "aws_eks_identity_provider_config" "this" {
  cluster_name = aws_eks_cluster.this.name
  oidc {
    identity_provider_config_name = "corp"
    client_id                     = "kubernetes"
    issuer_url                    = "https://idp.example.com/${var.issuer}"
    username_claim                = "email"
    groups_claim                  = "groups"
    groups_prefix                 = "oidc:"
    required_claims               = { aud = "kubernetes" }
  }
  tags = { team = var.team }
}
"#;

/// What an independent EKS client sees: Fargate profiles (name -> sorted namespaces and
/// the team tag) and identity provider configs (name -> issuer, status, team tag).
type Profiles = BTreeMap<String, (Vec<String>, String)>;
type Idps = BTreeMap<String, (String, String, String)>;

async fn fargate_and_idps(cluster: &str) -> (Profiles, Idps) {
    let c = eks().await;
    let (mut profiles, mut idps) = (Profiles::new(), Idps::new());
    let Ok(listed) = c.list_fargate_profiles().cluster_name(cluster).send().await else {
        return (profiles, idps);
    };
    for name in listed.fargate_profile_names() {
        let f = c
            .describe_fargate_profile()
            .cluster_name(cluster)
            .fargate_profile_name(name)
            .send()
            .await
            .unwrap();
        let f = f.fargate_profile().unwrap();
        let mut ns: Vec<String> = f
            .selectors()
            .iter()
            .filter_map(|s| s.namespace().map(str::to_string))
            .collect();
        ns.sort();
        let team = f
            .tags()
            .and_then(|t| t.get("team").cloned())
            .unwrap_or_default();
        profiles.insert(name.clone(), (ns, team));
    }
    let listed = c
        .list_identity_provider_configs()
        .cluster_name(cluster)
        .send()
        .await
        .unwrap();
    for r in listed.identity_provider_configs() {
        let d = c
            .describe_identity_provider_config()
            .cluster_name(cluster)
            .identity_provider_config(r.clone())
            .send()
            .await
            .unwrap();
        let o = d.identity_provider_config().unwrap().oidc().unwrap();
        idps.insert(
            r.name().to_string(),
            (
                o.issuer_url().unwrap_or_default().to_string(),
                o.status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                o.tags()
                    .and_then(|t| t.get("team").cloned())
                    .unwrap_or_default(),
            ),
        );
    }
    (profiles, idps)
}

/// A Fargate profile and an OIDC identity provider config: created with both create
/// answers lost (adopted by name and tags), re-planned clean, tags updated in place,
/// both replaced (selectors, issuer), imported by Terraform's ids, destroyed.
#[test]
fn eks_fargate_profile_and_identity_provider_config() {
    let ws = Workspace::from_files(&[("main.tf", FARGATE)], true);
    let name = ws.stack_name.clone();
    let vars = format!("name = \"{name}\"\n");
    ws.write("test.auto.tfvars", &vars);
    let clusters = format!("/clusters/{name}/");
    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        rules: vec![
            lose_eks(
                &format!("{clusters}fargate-profiles"),
                "\"fargateProfileName\"",
            ),
            lose_eks(
                &format!("{clusters}identity-provider-configs/associate"),
                "\"oidc\"",
            ),
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
    let want = |ns: &[&str], issuer: &str, team: &str| -> (Profiles, Idps) {
        (
            [(
                "system".to_string(),
                (ns.iter().map(|s| s.to_string()).collect(), team.to_string()),
            )]
            .into_iter()
            .collect(),
            [(
                "corp".to_string(),
                (
                    format!("https://idp.example.com/{issuer}"),
                    "ACTIVE".to_string(),
                    team.to_string(),
                ),
            )]
            .into_iter()
            .collect(),
        )
    };
    assert_eq!(
        rt().block_on(fargate_and_idps(&name)),
        want(&["kube-system"], "one", "a")
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // tags change in place
    let vars = format!("{vars}team = \"b\"\n");
    ws.write("test.auto.tfvars", &vars);
    let changed: BTreeMap<String, Vec<String>> = crate::common::changes(&ws.plan_json(&[]))
        .into_iter()
        .filter(|(a, _)| !a.starts_with("data."))
        .collect();
    let update = vec!["update".to_string()];
    assert_eq!(
        changed.get("aws_eks_fargate_profile.this"),
        Some(&update),
        "{changed:?}"
    );
    assert_eq!(
        changed.get("aws_eks_identity_provider_config.this"),
        Some(&update),
        "{changed:?}"
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        rt().block_on(fargate_and_idps(&name)),
        want(&["kube-system"], "one", "b")
    );

    // selectors and the issuer force new ones
    let vars = format!("{vars}namespaces = [\"kube-system\", \"apps\"]\nissuer = \"two\"\n");
    ws.write("test.auto.tfvars", &vars);
    let changed: BTreeMap<String, Vec<String>> = crate::common::changes(&ws.plan_json(&[]))
        .into_iter()
        .filter(|(a, _)| !a.starts_with("data."))
        .collect();
    let replace = vec!["delete".to_string(), "create".to_string()];
    assert_eq!(
        changed.get("aws_eks_fargate_profile.this"),
        Some(&replace),
        "{changed:?}"
    );
    assert_eq!(
        changed.get("aws_eks_identity_provider_config.this"),
        Some(&replace),
        "{changed:?}"
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        rt().block_on(fargate_and_idps(&name)),
        want(&["apps", "kube-system"], "two", "b")
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    crate::coverage_ec2_more::import_into_copy(&ws, FARGATE, &vars);

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    let gone = rt().block_on(async {
        eks()
            .await
            .describe_cluster()
            .name(&name)
            .send()
            .await
            .is_err()
    });
    assert!(gone, "cluster gone");
}
