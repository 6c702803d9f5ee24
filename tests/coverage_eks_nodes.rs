//! What the EKS module's node-group sub-modules set on a launch template (placement in a
//! placement group named by a literal, CPU and credit options, a capacity reservation
//! preference, enclave, Spot market and maintenance options, hostname options, an EFA network interface with
//! ENA Express and connection tracking, attribute-based instance requirements, shutdown
//! behaviour, an EBS volume initialization rate) and an instance profile with
//! `name_prefix`. Every step is checked with independent EC2 and IAM clients; plans after
//! each apply are clean; a change of the data is a new version in place; everything is
//! imported into a fresh state by Terraform's import ids. The data sources and
//! `aws_ec2_tag`: `coverage_eks_lookups.rs`.

use std::collections::BTreeMap;

use crate::common::{ec2, rt, sdk_config, Workspace};
use crate::coverage_ec2_more::import_into_copy;
use crate::faults::direct;

const NODES: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "cpu_credits" {
  type    = string
  default = "standard"
}

variable "max_vcpus" {
  type    = number
  default = 8
}

resource "aws_vpc" "this" {
  cidr_block = "10.77.0.0/16"
}

resource "aws_security_group" "node" {
  name   = "${var.name}-node"
  vpc_id = aws_vpc.this.id
}

resource "aws_iam_role" "node" {
  name_prefix = "${var.name}-"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}

resource "aws_iam_instance_profile" "node" {
  name_prefix = "${var.name}-"
  role        = aws_iam_role.node.name
}

# as the eks-managed-node-group sub-module writes it
resource "aws_launch_template" "managed" {
  name_prefix             = "${var.name}-managed-"
  update_default_version  = true
  disable_api_termination = false
  kernel_id               = null
  ram_disk_id             = null

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size                = 40
      volume_type                = "gp3"
      iops                       = 3000
      throughput                 = 150
      volume_initialization_rate = 100
      encrypted                  = true
      delete_on_termination      = true
    }
  }

  capacity_reservation_specification {
    capacity_reservation_preference = "open"
  }

  cpu_options {
    core_count       = 2
    threads_per_core = 1
  }

  credit_specification {
    cpu_credits = var.cpu_credits
  }

  enclave_options {
    enabled = false
  }

  instance_market_options {
    market_type = "spot"
    spot_options {
      instance_interruption_behavior = "terminate"
      max_price                      = "0.0500"
      spot_instance_type             = "one-time"
    }
  }

  maintenance_options {
    auto_recovery = "default"
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  network_interfaces {
    associate_public_ip_address = false
    delete_on_termination       = true
    device_index                = 0
    network_card_index          = 0
    interface_type              = "efa"
    ipv4_prefix_count           = 1
    security_groups             = [aws_security_group.node.id]

    connection_tracking_specification {
      tcp_established_timeout = 3600
      udp_stream_timeout      = 120
      udp_timeout             = 45
    }

    ena_srd_specification {
      ena_srd_enabled = true
      ena_srd_udp_specification {
        ena_srd_udp_enabled = true
      }
    }
  }

  placement {
    # the emulator has no placement groups (localstack/README.md): a name it does not check
    group_name = "${var.name}-efa"
  }

  private_dns_name_options {
    enable_resource_name_dns_a_record    = true
    enable_resource_name_dns_aaaa_record = false
    hostname_type                        = "resource-name"
  }

  tags = { owner = "nodes" }
}

# as the self-managed-node-group sub-module writes it
resource "aws_launch_template" "self" {
  name                                 = "${var.name}-self"
  instance_initiated_shutdown_behavior = "terminate"
  vpc_security_group_ids               = [aws_security_group.node.id]

  iam_instance_profile {
    arn = aws_iam_instance_profile.node.arn
  }

  instance_requirements {
    allowed_instance_types = ["m5.*", "c5.*"]
    burstable_performance  = "excluded"
    cpu_manufacturers      = ["intel"]
    memory_gib_per_vcpu {
      min = 2
    }
    memory_mib {
      min = 4096
    }
    vcpu_count {
      min = 2
      max = var.max_vcpus
    }
  }
}
"#;

/// The latest version's data of each template of the stack, by name (independent client).
async fn versions(
    stack: &str,
) -> BTreeMap<String, (i64, aws_sdk_ec2::types::ResponseLaunchTemplateData)> {
    let c = ec2().await;
    let listed = c
        .describe_launch_templates()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:infra:stack")
                .values(stack)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for t in listed.launch_templates() {
        let v = c
            .describe_launch_template_versions()
            .launch_template_id(t.launch_template_id().unwrap())
            .versions("$Latest")
            .send()
            .await
            .unwrap();
        let v = &v.launch_template_versions()[0];
        out.insert(
            t.launch_template_name().unwrap().to_string(),
            (
                v.version_number().unwrap(),
                v.launch_template_data().unwrap().clone(),
            ),
        );
    }
    out
}

#[test]
fn node_group_launch_templates_round_trip_every_block() {
    let ws = Workspace::from_files(&[("main.tf", NODES)], true);
    let name = ws.stack_name.clone();
    let vars = format!("name = \"{name}\"\n");
    ws.write("test.auto.tfvars", &vars);
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());

    let seen = rt().block_on(versions(&name));
    assert_eq!(seen.len(), 2, "{:?}", seen.keys());
    let (managed_name, (v, d)) = seen
        .iter()
        .find(|(n, _)| n.starts_with(&format!("{name}-managed-")))
        .expect("the managed template, named from its prefix");
    assert_eq!(*v, 1);
    assert_eq!(d.disable_api_termination(), Some(false));
    let ebs = d.block_device_mappings()[0].ebs().unwrap();
    assert_eq!(ebs.volume_initialization_rate(), Some(100));
    assert_eq!(
        d.capacity_reservation_specification()
            .and_then(|c| c.capacity_reservation_preference())
            .map(|x| x.as_str()),
        Some("open")
    );
    let cpu = d.cpu_options().unwrap();
    assert_eq!(
        (cpu.core_count(), cpu.threads_per_core()),
        (Some(2), Some(1))
    );
    assert_eq!(
        d.credit_specification().and_then(|c| c.cpu_credits()),
        Some("standard")
    );
    assert_eq!(d.enclave_options().and_then(|e| e.enabled()), Some(false));
    let market = d.instance_market_options().unwrap();
    assert_eq!(market.market_type().map(|m| m.as_str()), Some("spot"));
    assert_eq!(
        market.spot_options().and_then(|s| s.max_price()),
        Some("0.0500")
    );
    assert_eq!(
        d.maintenance_options()
            .and_then(|m| m.auto_recovery())
            .map(|x| x.as_str()),
        Some("default")
    );
    let nic = &d.network_interfaces()[0];
    assert_eq!(nic.interface_type(), Some("efa"));
    assert_eq!(nic.ipv4_prefix_count(), Some(1));
    assert_eq!(nic.network_card_index(), Some(0));
    let track = nic.connection_tracking_specification().unwrap();
    assert_eq!(
        (
            track.tcp_established_timeout(),
            track.udp_stream_timeout(),
            track.udp_timeout()
        ),
        (Some(3600), Some(120), Some(45))
    );
    let srd = nic.ena_srd_specification().unwrap();
    assert_eq!(srd.ena_srd_enabled(), Some(true));
    assert_eq!(
        srd.ena_srd_udp_specification()
            .and_then(|u| u.ena_srd_udp_enabled()),
        Some(true)
    );
    assert_eq!(
        d.placement().and_then(|p| p.group_name()),
        Some(format!("{name}-efa").as_str())
    );
    let dns = d.private_dns_name_options().unwrap();
    assert_eq!(
        dns.hostname_type().map(|h| h.as_str()),
        Some("resource-name")
    );
    let (_, (_, s)) = seen
        .iter()
        .find(|(n, _)| **n == format!("{name}-self"))
        .unwrap();
    assert_eq!(
        s.instance_initiated_shutdown_behavior().map(|x| x.as_str()),
        Some("terminate")
    );
    let req = s.instance_requirements().unwrap();
    let vcpu = req.v_cpu_count().unwrap();
    assert_eq!((vcpu.min(), vcpu.max()), (Some(2), Some(8)));
    assert_eq!(req.memory_mib().and_then(|m| m.min()), Some(4096));
    assert_eq!(req.memory_gib_per_v_cpu().and_then(|m| m.min()), Some(2.0));
    let mut allowed = req.allowed_instance_types().to_vec();
    allowed.sort();
    assert_eq!(allowed, ["c5.*", "m5.*"]);
    // the instance profile, named from its prefix
    let profiles = rt().block_on(async {
        aws_sdk_iam::Client::new(&sdk_config())
            .list_instance_profiles()
            .send()
            .await
            .unwrap()
    });
    assert!(
        profiles
            .instance_profiles()
            .iter()
            .any(|p| p.instance_profile_name().starts_with(&format!("{name}-"))),
        "an instance profile named from its prefix"
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // a change of the data is a new version of the same template, made the default
    let vars2 = format!("{vars}cpu_credits = \"unlimited\"\nmax_vcpus = 16\n");
    ws.write("test.auto.tfvars", &vars2);
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert!(
        !plan.stdout.contains("must be replaced"),
        "in place:\n{}",
        plan.stdout
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let seen = rt().block_on(versions(&name));
    let (v, d) = &seen[managed_name];
    assert_eq!(*v, 2);
    assert_eq!(
        d.credit_specification().and_then(|c| c.cpu_credits()),
        Some("unlimited")
    );
    let (v, s) = &seen[&format!("{name}-self")];
    assert_eq!(*v, 2);
    assert_eq!(
        s.instance_requirements()
            .and_then(|r| r.v_cpu_count())
            .and_then(|c| c.max()),
        Some(16)
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    import_into_copy(&ws, NODES, &vars2);

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert!(rt().block_on(versions(&name)).is_empty());
}
