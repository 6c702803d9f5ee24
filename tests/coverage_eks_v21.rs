//! The arguments and blocks terraform-aws-eks v21 sets on a cluster, a managed node group
//! and an add-on, written the way the module writes them (`dynamic` blocks over optional
//! objects, `try()` and nulls for what is unset, `dynamic "timeouts"`): create, a clean
//! re-plan, in-place updates (upgrade policy, zonal shift, authentication mode, deletion
//! protection, node repair, update strategy, pod identity), a replacement (the node
//! group's `remote_access`), import, destroy; each checked with an independent EKS client
//! (moto's server with `moto_eks_updates.py` / `moto_eks_v21.py`).

use std::collections::BTreeMap;

use crate::common::{eks, rt, Workspace};

const STACK: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "settings" {
  type = any
  default = {
    authentication_mode = "API_AND_CONFIG_MAP"
    support_type        = "STANDARD"
    zonal_shift         = { enabled = true }
    deletion_protection = true
    repair              = true
    strategy            = "DEFAULT"
    ssh_key             = "ops"
    pods                = [{ role = "pods", service_account = "aws-node" }]
  }
}

variable "timeouts" {
  type    = any
  default = { create = "20m", update = null, delete = "10m" }
}

variable "compute_config" {
  type    = any
  default = null
}

resource "aws_vpc" "this" {
  cidr_block = "10.73.0.0/16"
  tags       = { Name = var.name }
}

resource "aws_subnet" "this" {
  for_each          = { a = "10.73.1.0/24", b = "10.73.2.0/24" }
  vpc_id            = aws_vpc.this.id
  cidr_block        = each.value
  availability_zone = "us-east-1${each.key}"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com", "ec2.amazonaws.com", "pods.eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each           = toset(["cluster", "nodes", "pods"])
  name               = "${var.name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_eks_cluster" "this" {
  name                          = var.name
  role_arn                      = aws_iam_role.this["cluster"].arn
  version                       = try(var.settings.version, "1.30")
  deletion_protection           = try(var.settings.deletion_protection, null)
  bootstrap_self_managed_addons = false
  force_update_version          = try(var.settings.force_update_version, null)

  access_config {
    authentication_mode                         = var.settings.authentication_mode
    bootstrap_cluster_creator_admin_permissions = false
  }

  dynamic "compute_config" {
    for_each = var.compute_config != null ? [var.compute_config] : []
    content {
      enabled       = compute_config.value.enabled
      node_pools    = compute_config.value.node_pools
      node_role_arn = compute_config.value.node_pools != null ? aws_iam_role.this["nodes"].arn : null
    }
  }

  vpc_config {
    subnet_ids = [for s in aws_subnet.this : s.id]
  }

  dynamic "kubernetes_network_config" {
    for_each = [1]
    content {
      dynamic "elastic_load_balancing" {
        for_each = var.compute_config != null ? [var.compute_config] : []
        content {
          enabled = elastic_load_balancing.value.enabled
        }
      }
      ip_family         = "ipv4"
      service_ipv4_cidr = "172.21.0.0/16"
      service_ipv6_cidr = try(var.settings.service_ipv6_cidr, null)
    }
  }

  dynamic "remote_network_config" {
    for_each = [{ nodes = ["10.200.0.0/16"], pods = try(var.settings.remote_pods, null) }]
    content {
      dynamic "remote_node_networks" {
        for_each = [remote_network_config.value.nodes]
        content {
          cidrs = remote_node_networks.value
        }
      }
      dynamic "remote_pod_networks" {
        for_each = remote_network_config.value.pods != null ? [remote_network_config.value.pods] : []
        content {
          cidrs = remote_pod_networks.value
        }
      }
    }
  }

  dynamic "storage_config" {
    for_each = var.compute_config != null ? [var.compute_config] : []
    content {
      block_storage {
        enabled = storage_config.value.enabled
      }
    }
  }

  dynamic "upgrade_policy" {
    for_each = try(var.settings.support_type, null) != null ? [var.settings.support_type] : []
    content {
      support_type = upgrade_policy.value
    }
  }

  dynamic "zonal_shift_config" {
    for_each = try(var.settings.zonal_shift, null) != null ? [var.settings.zonal_shift] : []
    content {
      enabled = zonal_shift_config.value.enabled
    }
  }

  dynamic "control_plane_scaling_config" {
    for_each = try(var.settings.tier, null) != null ? [var.settings.tier] : []
    content {
      tier = control_plane_scaling_config.value
    }
  }

  dynamic "timeouts" {
    for_each = var.timeouts != null ? [var.timeouts] : []
    content {
      create = var.timeouts.create
      update = var.timeouts.update
      delete = var.timeouts.delete
    }
  }

  lifecycle {
    ignore_changes = [
      access_config[0].bootstrap_cluster_creator_admin_permissions,
      bootstrap_self_managed_addons,
    ]
  }
}

resource "aws_eks_node_group" "this" {
  cluster_name           = aws_eks_cluster.this.name
  node_role_arn          = aws_iam_role.this["nodes"].arn
  subnet_ids             = [for s in aws_subnet.this : s.id]
  node_group_name        = null
  node_group_name_prefix = "${var.name}-ng-"
  force_update_version   = try(var.settings.force_update_version, null)
  version                = aws_eks_cluster.this.version

  scaling_config {
    min_size     = 1
    max_size     = 3
    desired_size = 2
  }

  dynamic "remote_access" {
    for_each = try(var.settings.ssh_key, null) != null ? [var.settings.ssh_key] : []
    content {
      ec2_ssh_key               = remote_access.value
      source_security_group_ids = try(var.settings.ssh_groups, null)
    }
  }

  dynamic "update_config" {
    for_each = [var.settings.strategy]
    content {
      max_unavailable_percentage = 33
      max_unavailable            = null
      update_strategy            = update_config.value
    }
  }

  dynamic "node_repair_config" {
    for_each = [var.settings.repair]
    content {
      enabled                                = node_repair_config.value
      max_parallel_nodes_repaired_count      = null
      max_parallel_nodes_repaired_percentage = null
    }
  }

  dynamic "timeouts" {
    for_each = var.timeouts != null ? [var.timeouts] : []
    content {
      create = var.timeouts.create
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_eks_addon" "this" {
  cluster_name  = aws_eks_cluster.this.name
  addon_name    = "vpc-cni"
  addon_version = "v1.18.0-eksbuild.1"

  dynamic "pod_identity_association" {
    for_each = var.settings.pods
    content {
      role_arn        = aws_iam_role.this[pod_identity_association.value.role].arn
      service_account = pod_identity_association.value.service_account
    }
  }
}
"#;

/// What an independent EKS client reports of the stack's cluster, node group and add-on.
#[derive(Debug, PartialEq)]
struct Seen {
    auth_mode: String,
    bootstrap_admin: Option<bool>,
    support_type: String,
    zonal_shift: Option<bool>,
    deletion_protection: Option<bool>,
    service_cidr: String,
    ip_family: String,
    remote_nodes: Vec<String>,
    /// compute enabled, node pools, node role set, block storage, load balancing, tier
    auto_mode: (
        Option<bool>,
        Vec<String>,
        bool,
        Option<bool>,
        Option<bool>,
        String,
    ),
    node_groups: BTreeMap<String, (Option<String>, Option<bool>, Option<String>, Option<i32>)>,
    /// `<role name> <service account> <namespace>` of each pod identity association
    pod_identities: Vec<String>,
}

async fn seen(name: &str) -> Seen {
    let c = eks().await;
    let cl = c.describe_cluster().name(name).send().await.unwrap();
    let cl = cl.cluster().unwrap();
    let access = cl.access_config().unwrap();
    let net = cl.kubernetes_network_config().unwrap();
    let mut node_groups = BTreeMap::new();
    let listed = c.list_nodegroups().cluster_name(name).send().await.unwrap();
    for ng in listed.nodegroups() {
        let d = c
            .describe_nodegroup()
            .cluster_name(name)
            .nodegroup_name(ng)
            .send()
            .await
            .unwrap();
        let d = d.nodegroup().unwrap();
        let u = d.update_config();
        node_groups.insert(
            ng.clone(),
            (
                d.remote_access()
                    .and_then(|r| r.ec2_ssh_key())
                    .map(str::to_string),
                d.node_repair_config().and_then(|r| r.enabled()),
                u.and_then(|u| u.update_strategy())
                    .map(|s| s.as_str().to_string()),
                u.and_then(|u| u.max_unavailable_percentage()),
            ),
        );
    }
    let addon = c
        .describe_addon()
        .cluster_name(name)
        .addon_name("vpc-cni")
        .send()
        .await
        .unwrap();
    let mut pod_identities = Vec::new();
    for arn in addon.addon().unwrap().pod_identity_associations() {
        let a = c
            .describe_pod_identity_association()
            .cluster_name(name)
            .association_id(arn.rsplit('/').next().unwrap())
            .send()
            .await
            .unwrap();
        let a = a.association().unwrap();
        pod_identities.push(format!(
            "{} {} {}",
            a.role_arn().unwrap().rsplit('/').next().unwrap(),
            a.service_account().unwrap(),
            a.namespace().unwrap()
        ));
    }
    Seen {
        auth_mode: access.authentication_mode().unwrap().as_str().to_string(),
        bootstrap_admin: access.bootstrap_cluster_creator_admin_permissions(),
        support_type: cl
            .upgrade_policy()
            .and_then(|u| u.support_type())
            .unwrap()
            .as_str()
            .to_string(),
        zonal_shift: cl.zonal_shift_config().and_then(|z| z.enabled()),
        deletion_protection: cl.deletion_protection(),
        service_cidr: net.service_ipv4_cidr().unwrap_or_default().to_string(),
        ip_family: net.ip_family().unwrap().as_str().to_string(),
        remote_nodes: cl
            .remote_network_config()
            .map(|r| {
                r.remote_node_networks()
                    .iter()
                    .flat_map(|n| n.cidrs().to_vec())
                    .collect()
            })
            .unwrap_or_default(),
        auto_mode: (
            cl.compute_config().and_then(|c| c.enabled()),
            cl.compute_config()
                .map(|c| c.node_pools().to_vec())
                .unwrap_or_default(),
            cl.compute_config()
                .is_some_and(|c| c.node_role_arn().is_some()),
            cl.storage_config()
                .and_then(|s| s.block_storage())
                .and_then(|b| b.enabled()),
            net.elastic_load_balancing().and_then(|e| e.enabled()),
            cl.control_plane_scaling_config()
                .and_then(|c| c.tier())
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
        ),
        node_groups,
        pod_identities,
    }
}

fn changes(ws: &Workspace) -> BTreeMap<String, Vec<String>> {
    crate::common::changes(&ws.plan_json(&[]))
        .into_iter()
        .filter(|(a, _)| !a.starts_with("data."))
        .collect()
}

fn clean(ws: &Workspace) {
    let plan = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());
}

fn settings(extra: &str) -> String {
    format!(
        "settings = {{\n  authentication_mode = \"{}\"\n  support_type = \"{}\"\n  zonal_shift = {{ enabled = {} }}\n  deletion_protection = {}\n  repair = {}\n  strategy = \"{}\"\n  ssh_key = \"{}\"\n  pods = {}\n{extra}}}\n",
        "API", "EXTENDED", "false", "false", "false", "MINIMAL", "ops", "[]"
    )
}

#[test]
fn eks_v21_cluster_node_group_and_addon_arguments() {
    let ws = Workspace::from_files(&[("main.tf", STACK)], true);
    let name = ws.stack_name.clone();
    let vars = format!("name = \"{name}\"\n");
    ws.write("test.auto.tfvars", &vars);
    let apply = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let s = rt().block_on(seen(&name));
    assert_eq!(s.auth_mode, "API_AND_CONFIG_MAP");
    assert_eq!(s.bootstrap_admin, Some(false));
    assert_eq!(s.support_type, "STANDARD");
    assert_eq!(s.zonal_shift, Some(true));
    assert_eq!(s.deletion_protection, Some(true));
    assert_eq!(
        (s.service_cidr.as_str(), s.ip_family.as_str()),
        ("172.21.0.0/16", "ipv4")
    );
    assert_eq!(s.remote_nodes, vec!["10.200.0.0/16".to_string()]);
    assert_eq!(
        s.pod_identities,
        vec![format!("{name}-pods aws-node kube-system")]
    );
    assert_eq!(
        s.auto_mode,
        (
            None,
            vec![],
            false,
            None,
            Some(false),
            "standard".to_string()
        )
    );
    assert_eq!(s.node_groups.len(), 1, "{s:?}");
    let (ng, first) = s.node_groups.iter().next().unwrap();
    let ng = ng.clone();
    assert!(ng.starts_with(&format!("{name}-ng-")), "{ng}");
    assert_eq!(ng.len(), format!("{name}-ng-").len() + 26, "{ng}");
    assert_eq!(
        first,
        &(
            Some("ops".into()),
            Some(true),
            Some("DEFAULT".into()),
            Some(33)
        )
    );
    clean(&ws);

    // in place: authentication mode, upgrade policy, zonal shift, deletion protection, node
    // repair, update strategy, pod identity; remote_access (force-new) replaces the group
    let vars2 = format!(
        "{vars}{}compute_config = {{ enabled = true, node_pools = [\"general-purpose\"] }}\n",
        settings("  tier = \"tier-xl\"\n")
    );
    let vars2 = vars2.replace("ssh_key = \"ops\"", "ssh_key = \"ops2\"");
    ws.write("test.auto.tfvars", &vars2);
    let changed = changes(&ws);
    let update = vec!["update".to_string()];
    let replace = vec!["create".to_string(), "delete".to_string()];
    assert_eq!(
        changed.get("aws_eks_cluster.this"),
        Some(&update),
        "{changed:?}"
    );
    assert_eq!(
        changed.get("aws_eks_addon.this"),
        Some(&update),
        "{changed:?}"
    );
    assert_eq!(
        changed.get("aws_eks_node_group.this"),
        Some(&replace),
        "create_before_destroy: {changed:?}"
    );
    let apply = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let s = rt().block_on(seen(&name));
    assert_eq!(s.auth_mode, "API");
    assert_eq!(s.support_type, "EXTENDED");
    assert_eq!(s.zonal_shift, Some(false));
    assert_eq!(s.deletion_protection, Some(false));
    assert!(s.pod_identities.is_empty(), "{s:?}");
    assert_eq!(
        s.auto_mode,
        (
            Some(true),
            vec!["general-purpose".to_string()],
            true,
            Some(true),
            Some(true),
            "tier-xl".to_string()
        )
    );
    assert_eq!(s.node_groups.len(), 1, "the old group is gone: {s:?}");
    let (ng2, second) = s.node_groups.iter().next().unwrap();
    let ng2 = ng2.clone();
    assert_ne!(ng2, ng, "a new group under a new name from the prefix");
    assert_eq!(
        second,
        &(
            Some("ops2".into()),
            Some(false),
            Some("MINIMAL".into()),
            Some(33)
        ),
        "the replacement is made with the new settings"
    );
    clean(&ws);

    // node repair and the update strategy change in place on the same group
    let vars3 = vars2
        .replace("repair = false", "repair = true")
        .replace("strategy = \"MINIMAL\"", "strategy = \"DEFAULT\"");
    ws.write("test.auto.tfvars", &vars3);
    let changed = changes(&ws);
    assert_eq!(
        changed.get("aws_eks_node_group.this"),
        Some(&update),
        "{changed:?}"
    );
    assert_eq!(changed.len(), 1, "{changed:?}");
    let apply = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let s = rt().block_on(seen(&name));
    assert_eq!(
        s.node_groups.get(ng2.as_str()),
        Some(&(
            Some("ops2".into()),
            Some(true),
            Some("DEFAULT".into()),
            Some(33)
        )),
        "{s:?}"
    );
    clean(&ws);

    // a version upgrade with force_update_version: the cluster, then its node group
    let vars4 = vars3.replace(
        "  tier = \"tier-xl\"\n",
        "  tier = \"tier-xl\"\n  version = \"1.31\"\n  force_update_version = true\n",
    );
    ws.write("test.auto.tfvars", &vars4);
    let changed = changes(&ws);
    assert_eq!(
        changed.get("aws_eks_cluster.this"),
        Some(&update),
        "{changed:?}"
    );
    assert_eq!(
        changed.get("aws_eks_node_group.this"),
        Some(&update),
        "{changed:?}"
    );
    let apply = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let versions = rt().block_on(async {
        let c = eks().await;
        let cl = c.describe_cluster().name(&name).send().await.unwrap();
        let ng = c
            .describe_nodegroup()
            .cluster_name(&name)
            .nodegroup_name(&ng2)
            .send()
            .await
            .unwrap();
        (
            cl.cluster().unwrap().version().unwrap().to_string(),
            ng.nodegroup().unwrap().version().unwrap().to_string(),
        )
    });
    assert_eq!(versions, ("1.31".to_string(), "1.31".to_string()));
    clean(&ws);

    import_and_destroy(&ws, &name, &vars4);
}

fn import_and_destroy(ws: &Workspace, name: &str, vars: &str) {
    crate::coverage_ec2_more::import_into_copy(ws, STACK, vars);
    let destroy = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    let gone = rt().block_on(async {
        eks()
            .await
            .describe_cluster()
            .name(name)
            .send()
            .await
            .is_err()
    });
    assert!(gone, "cluster gone");
}
