//! What terraform-aws-eks's `self-managed-node-group` makes, written as our own stack with
//! the same constructs: a launch template, and Auto Scaling groups on it, one through a
//! mixed instances policy (instances distribution, overrides) with `name_prefix`,
//! `dynamic "tag"` blocks with and without `propagate_at_launch`, an instance refresh,
//! an initial lifecycle hook, `ignore_changes = [desired_capacity]` and
//! `create_before_destroy`; one with a `launch_template` block and a fixed `name`.
//! Applied with CreateAutoScalingGroup's answer lost once (adopted, not duplicated),
//! checked with an independent Auto Scaling client, re-planned clean, updated in place
//! (sizes, tags, suspended processes, metrics), the named group replaced (`name` forces a
//! new group), imported into a fresh state by name, and destroyed (the groups drained and
//! gone).

use std::collections::BTreeMap;

use crate::common::proxy::Match;
use crate::common::{rt, sdk_config, Workspace};
use crate::coverage_ec2_more::{actions, id_of, import_into_copy};
use crate::faults::{apply_losing_one_answer, direct};

const STACK: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "image" {
  type = string
}

variable "min_size" {
  type    = number
  default = 1
}

variable "max_size" {
  type    = number
  default = 3
}

variable "tags" {
  type    = map(string)
  default = { team = "nodes", tier = "a" }
}

variable "group_tags" {
  type    = map(string)
  default = { "k8s.io/cluster-autoscaler/enabled" = "true" }
}

variable "suspended" {
  type    = list(string)
  default = []
}

variable "metrics" {
  type    = list(string)
  default = []
}

variable "plain_name" {
  type    = string
  default = "plain"
}

resource "aws_vpc" "this" {
  cidr_block = "10.60.0.0/16"
  tags       = { Name = var.name }
}

resource "aws_subnet" "private" {
  for_each          = { a = "10.60.1.0/24", b = "10.60.2.0/24" }
  vpc_id            = aws_vpc.this.id
  cidr_block        = each.value
  availability_zone = "us-east-1${each.key}"
}

resource "aws_launch_template" "this" {
  name_prefix            = "${var.name}-"
  image_id               = var.image
  instance_type          = "t3.small"
  update_default_version = true
}

locals {
  use_mixed = true
  refresh = {
    strategy = "Rolling"
    preferences = {
      min_healthy_percentage = 66
      checkpoint_delay       = null
    }
  }
  hooks = [{
    name                 = "launching"
    lifecycle_transition = "autoscaling:EC2_INSTANCE_LAUNCHING"
    heartbeat_timeout    = 60
    default_result       = "CONTINUE"
  }]
}

resource "aws_autoscaling_group" "mixed" {
  name_prefix               = "${var.name}-mixed-"
  min_size                  = var.min_size
  max_size                  = var.max_size
  desired_capacity          = 2
  vpc_zone_identifier       = [for s in aws_subnet.private : s.id]
  health_check_type         = null
  health_check_grace_period = null
  capacity_rebalance        = null
  protect_from_scale_in     = false
  suspended_processes       = var.suspended
  enabled_metrics           = var.metrics
  termination_policies      = []
  force_delete              = null

  dynamic "initial_lifecycle_hook" {
    for_each = local.hooks
    content {
      name                 = initial_lifecycle_hook.value.name
      lifecycle_transition = initial_lifecycle_hook.value.lifecycle_transition
      heartbeat_timeout    = initial_lifecycle_hook.value.heartbeat_timeout
      default_result       = initial_lifecycle_hook.value.default_result
    }
  }

  dynamic "instance_refresh" {
    for_each = [local.refresh]
    content {
      strategy = instance_refresh.value.strategy
      dynamic "preferences" {
        for_each = [instance_refresh.value.preferences]
        content {
          min_healthy_percentage = preferences.value.min_healthy_percentage
          checkpoint_delay       = preferences.value.checkpoint_delay
        }
      }
    }
  }

  dynamic "launch_template" {
    for_each = local.use_mixed ? [] : [1]
    content {
      id      = aws_launch_template.this.id
      version = aws_launch_template.this.default_version
    }
  }

  dynamic "mixed_instances_policy" {
    for_each = local.use_mixed ? [1] : []
    content {
      instances_distribution {
        on_demand_base_capacity                  = 1
        on_demand_percentage_above_base_capacity = 0
        spot_allocation_strategy                 = "price-capacity-optimized"
      }
      launch_template {
        launch_template_specification {
          launch_template_id = aws_launch_template.this.id
          version            = aws_launch_template.this.default_version
        }
        dynamic "override" {
          for_each = ["t3.small", "t3a.small"]
          content {
            instance_type     = override.value
            weighted_capacity = "1"
          }
        }
      }
    }
  }

  dynamic "tag" {
    for_each = merge({ Name = "${var.name}-mixed" }, var.tags)
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  dynamic "tag" {
    for_each = var.group_tags
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = false
    }
  }

  timeouts {
    delete = "15m"
  }

  lifecycle {
    create_before_destroy = true
    ignore_changes        = [desired_capacity]
  }
}

resource "aws_autoscaling_group" "plain" {
  name                      = "${var.name}-${var.plain_name}"
  min_size                  = 1
  max_size                  = 2
  vpc_zone_identifier       = [aws_subnet.private["a"].id]
  wait_for_capacity_timeout = "5m"
  force_delete              = true

  launch_template {
    id      = aws_launch_template.this.id
    version = aws_launch_template.this.default_version
  }

  tag {
    key                 = "Name"
    value               = "${var.name}-plain"
    propagate_at_launch = true
  }
}

output "mixed_name" {
  value = aws_autoscaling_group.mixed.name
}
"#;

fn autoscaling() -> aws_sdk_autoscaling::Client {
    aws_sdk_autoscaling::Client::new(&sdk_config())
}

/// A group of the stack, as an independent client sees it.
#[derive(Debug, Clone, PartialEq)]
struct Group {
    name: String,
    sizes: (i32, i32, i32),
    subnets: usize,
    instances: usize,
    /// key -> (value, propagate_at_launch)
    tags: BTreeMap<String, (String, bool)>,
    overrides: Vec<String>,
    template: Option<String>,
    suspended: Vec<String>,
    metrics: Vec<String>,
}

/// The stack's groups, by `infra:address`.
async fn groups(stack: &str) -> BTreeMap<String, Group> {
    let out = autoscaling()
        .describe_auto_scaling_groups()
        .max_records(100)
        .send()
        .await
        .unwrap();
    let mut found = BTreeMap::new();
    for g in out.auto_scaling_groups() {
        let tags: BTreeMap<String, (String, bool)> = g
            .tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_string(),
                    (
                        t.value().unwrap_or_default().to_string(),
                        t.propagate_at_launch() == Some(true),
                    ),
                )
            })
            .collect();
        if tags.get("infra:stack").map(|t| t.0.as_str()) != Some(stack) {
            continue;
        }
        let mixed = g.mixed_instances_policy().and_then(|m| m.launch_template());
        found.insert(
            tags["infra:address"].0.clone(),
            Group {
                name: g.auto_scaling_group_name().unwrap().to_string(),
                sizes: (
                    g.min_size().unwrap(),
                    g.max_size().unwrap(),
                    g.desired_capacity().unwrap(),
                ),
                subnets: g
                    .vpc_zone_identifier()
                    .unwrap_or_default()
                    .split(',')
                    .count(),
                instances: g.instances().len(),
                tags,
                overrides: mixed
                    .map(|t| {
                        t.overrides()
                            .iter()
                            .filter_map(|o| o.instance_type().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                template: g
                    .launch_template()
                    .and_then(|t| t.launch_template_id())
                    .or_else(|| {
                        mixed
                            .and_then(|t| t.launch_template_specification())
                            .and_then(|s| s.launch_template_id())
                    })
                    .map(str::to_string),
                suspended: g
                    .suspended_processes()
                    .iter()
                    .filter_map(|p| p.process_name().map(str::to_string))
                    .collect(),
                metrics: g
                    .enabled_metrics()
                    .iter()
                    .filter_map(|m| m.metric().map(str::to_string))
                    .collect(),
            },
        );
    }
    found
}

async fn image() -> String {
    let ec2 = aws_sdk_ec2::Client::new(&sdk_config());
    let out = ec2.describe_images().send().await.unwrap();
    out.images()[0].image_id().unwrap().to_string()
}

#[test]
fn autoscaling_groups_as_self_managed_node_groups_make_them() {
    let ws = Workspace::from_files(&[("main.tf", STACK)], true);
    let name = ws.stack_name.clone();
    let image = rt().block_on(image());
    let vars = format!("name = \"{name}\"\nimage = \"{image}\"\n");
    ws.write("test.auto.tfvars", &vars);

    // the answer of the mixed group's CreateAutoScalingGroup (the first request naming it)
    // is lost: adoption finds the group by name and tags, and brings it to the
    // configuration without starting an instance refresh
    apply_losing_one_answer(
        &ws,
        Match {
            body_contains: Some(format!("AutoScalingGroupName={name}-mixed-")),
            ..Match::default()
        },
    );
    let seen = rt().block_on(groups(&name));
    assert_eq!(seen.len(), 2, "one group per address: {seen:?}");
    let mixed = seen["aws_autoscaling_group.mixed"].clone();
    assert_eq!(mixed.name, id_of(&ws, "aws_autoscaling_group.mixed"));
    assert!(
        mixed.name.starts_with(&format!("{name}-mixed-")),
        "{mixed:?}"
    );
    assert_eq!(mixed.sizes, (1, 3, 2));
    assert_eq!(mixed.subnets, 2);
    assert_eq!(mixed.instances, 2, "capacity waited for: {mixed:?}");
    assert_eq!(mixed.overrides, vec!["t3.small", "t3a.small"]);
    assert_eq!(mixed.tags["Name"], (format!("{name}-mixed"), true));
    assert_eq!(mixed.tags["team"], ("nodes".to_string(), true));
    assert_eq!(
        mixed.tags["k8s.io/cluster-autoscaler/enabled"],
        ("true".to_string(), false)
    );
    // the infra tags are never propagated to instances
    assert_eq!(mixed.tags["infra:stack"], (name.clone(), false));
    let plain = seen["aws_autoscaling_group.plain"].clone();
    assert_eq!(plain.name, format!("{name}-plain"));
    assert_eq!(plain.sizes, (1, 2, 1));
    assert_eq!(plain.template, mixed.template);
    assert!(plain.template.is_some());
    let out = ws.run(&["output", "--json"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let outputs: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(outputs["mixed_name"]["value"], mixed.name.as_str());
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // sizes, tags (one changed, one removed, one added, one no longer propagated),
    // suspended processes and metrics change in place
    let vars = format!(
        "{vars}min_size = 2\nmax_size = 4\ntags = {{ team = \"platform\", owner = \"me\" }}\ngroup_tags = {{ tier = \"a\" }}\nsuspended = [\"AZRebalance\"]\nmetrics = [\"GroupInServiceInstances\"]\n"
    );
    ws.write("test.auto.tfvars", &vars);
    let changed = actions(&ws);
    let update = vec!["update".to_string()];
    assert_eq!(
        changed.get("aws_autoscaling_group.mixed"),
        Some(&update),
        "{changed:?}"
    );
    assert_eq!(changed.len(), 1, "{changed:?}");
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let seen = rt().block_on(groups(&name));
    let now = &seen["aws_autoscaling_group.mixed"];
    assert_eq!(now.name, mixed.name, "updated, not replaced");
    assert_eq!((now.sizes.0, now.sizes.1), (2, 4));
    assert_eq!(now.tags["team"], ("platform".to_string(), true));
    assert_eq!(now.tags["owner"], ("me".to_string(), true));
    assert_eq!(now.tags["tier"], ("a".to_string(), false));
    assert!(!now.tags.contains_key("k8s.io/cluster-autoscaler/enabled"));
    assert_eq!(now.suspended, vec!["AZRebalance"]);
    assert_eq!(now.metrics, vec!["GroupInServiceInstances"]);
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // `name` forces a new group
    let vars = format!("{vars}plain_name = \"renamed\"\n");
    ws.write("test.auto.tfvars", &vars);
    let changed = actions(&ws);
    assert_eq!(
        changed.get("aws_autoscaling_group.plain"),
        Some(&vec!["delete".to_string(), "create".to_string()]),
        "{changed:?}"
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let seen = rt().block_on(groups(&name));
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(
        seen["aws_autoscaling_group.plain"].name,
        format!("{name}-renamed")
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    import_into_copy(&ws, STACK, &vars);

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    let seen = rt().block_on(groups(&name));
    assert!(seen.is_empty(), "{seen:?}");
}
