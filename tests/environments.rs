//! The reference environments in `stacks/` (dev, staging, prod): each applies, plans clean
//! and destroys clean against the emulator; their VPC ranges may never overlap.

use std::collections::BTreeMap;

use crate::common::{changes, tagged, Workspace};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn overlapping_vpc_ranges_between_environments_are_refused() {
    let ws = Workspace::from_environment("prod", false);
    let envs = ws.dir.path().join("modules/environments/main.tf");
    let text = std::fs::read_to_string(&envs).unwrap();
    let text = text.replace(
        r#"prod    = "10.30.0.0/16""#,
        r#"prod    = "10.10.128.0/17""#,
    );
    std::fs::write(&envs, text).unwrap();
    let r = ws.run(&["validate"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr
            .contains("dev (10.10.0.0/16) and prod (10.10.128.0/17)"),
        "names both environments and their ranges:\n{}",
        r.all()
    );
    assert!(
        r.stderr.contains("main.tf:"),
        "points at the file:\n{}",
        r.all()
    );
    // the shipped ranges do not overlap
    let ok = Workspace::from_environment("prod", false);
    let r = ok.run(&["validate"]);
    assert_eq!(r.code, 0, "{}", r.all());
}

/// Apply, plan clean, check what exists with an independent client, destroy, check nothing is left.
fn lifecycle(env: &str, nats: usize) {
    let ws = Workspace::from_environment(env, true);
    let plan = ws.plan_json(&[]);
    let planned = changes(&plan);
    let nat_count = planned
        .iter()
        .filter(|(a, _)| a.starts_with("module.network.aws_nat_gateway.this"))
        .count();
    assert_eq!(nat_count, nats, "{planned:?}");
    let eips = planned
        .iter()
        .filter(|(a, _)| a.starts_with("module.network.aws_eip.nat"))
        .count();
    assert_eq!(eips, nats, "one EIP per NAT gateway, declared separately");
    ws.apply();
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        again.code,
        0,
        "{} plans clean after apply:\n{}",
        env,
        again.all()
    );
    let counts = rt().block_on(tagged(&ws.stack_name));
    // vpc, igw, 6 subnets, 4 route tables, and an EIP + NAT gateway per NAT
    assert_eq!(counts.len(), 12 + 2 * nats, "{counts:?}");
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    assert!(
        counts.contains_key("module.network.aws_vpc.this"),
        "{counts:?}"
    );
    let out = ws.run(&["output", "vpc_id"]);
    assert!(out.stdout.trim().starts_with("vpc-"), "{}", out.all());

    // every environment outputs its zones: prod the application's public zone and its
    // private one, dev and staging their private zone and their public sub-zone
    let mut zones = Vec::new();
    let names: &[&str] = if env == "prod" {
        &["zone_id", "internal_zone_id"]
    } else {
        &["zone_id", "public_zone_id"]
    };
    for name in names {
        let zone = ws.run(&["output", name]);
        assert!(
            !zone.stdout.trim().is_empty(),
            "{env} outputs {name}: {}",
            zone.all()
        );
        zones.push(zone.stdout.trim().to_string());
    }

    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert!(
        rt().block_on(tagged(&ws.stack_name)).is_empty(),
        "destroy leaves nothing"
    );
    let left = rt().block_on(crate::common::leftovers(&ws.stack_name, &zones));
    assert!(
        left.is_empty(),
        "destroy leaves nothing outside EC2 either: {left:?}"
    );
}

#[test]
fn dev_applies_plans_clean_and_destroys_with_one_shared_nat() {
    lifecycle("dev", 1);
}

#[test]
fn staging_applies_plans_clean_and_destroys() {
    lifecycle("staging", 3);
}

#[test]
fn prod_applies_plans_clean_and_destroys_with_a_nat_per_az() {
    lifecycle("prod", 3);
}

/// Day-2 operations on prod: the autoscaler's node count is left alone, scaling limits
/// change in place, an instance type change replaces only its pool, a TTL change is one
/// batched Route53 call, and the cluster can be rebuilt without touching the network or
/// the egress addresses.
#[test]
fn prod_day_two_operations() {
    let ws = Workspace::from_environment("prod", true);
    // stand-ins for dev and staging in prod's state file: stacks that only output name servers
    let mut stacks = Vec::new();
    for (sub, ns) in [
        ("dev", "ns-1.dev.example.net"),
        ("qa", "ns-1.qa.example.net"),
    ] {
        let env = Workspace::from_files(
            &[(
                "main.tf",
                &format!(
                    "output \"name_servers\" {{\n  value = [\"{ns}\", \"ns-2.example.org\"]\n}}\n"
                ),
            )],
            true,
        )
        .sharing_state(&ws);
        env.apply();
        stacks.push(format!("{sub} = \"{}\"", env.stack_name));
    }
    ws.write(
        "environments.auto.tfvars",
        &format!("environment_stacks = {{\n  {}\n}}\n", stacks.join("\n  ")),
    );
    ws.apply();
    let cluster = ws.stack_name.clone();
    let rt = rt();

    // the cluster autoscaler scales a pool: ignore_changes keeps the plan clean
    rt.block_on(async {
        let c = crate::common::eks().await;
        let pools = c
            .list_nodegroups()
            .cluster_name(&cluster)
            .send()
            .await
            .unwrap();
        assert_eq!(
            pools.nodegroups().len(),
            3,
            "stateful, stateless and tools: {pools:?}"
        );
        let scaling = aws_sdk_eks::types::NodegroupScalingConfig::builder()
            .min_size(3)
            .max_size(12)
            .desired_size(7)
            .build();
        c.update_nodegroup_config()
            .cluster_name(&cluster)
            .nodegroup_name("stateless")
            .scaling_config(scaling)
            .send()
            .await
            .unwrap();
    });
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        again.code,
        0,
        "desired_size drift is ignored:\n{}",
        again.all()
    );

    // max_size changed in the stack: one in-place update
    let main = ws.stack_dir().join("main.tf");
    let edit = |from: &str, to: &str| {
        let text = std::fs::read_to_string(&main).unwrap();
        assert!(text.contains(from), "{from}");
        std::fs::write(&main, text.replacen(from, to, 1)).unwrap();
    };
    edit("max_size       = 12", "max_size       = 16");
    let plan = ws.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![(
            "module.eks.aws_eks_node_group.this[\"stateless\"]".to_string(),
            vec!["update".to_string()]
        )]
    );
    ws.apply();
    let max = rt.block_on(async {
        let c = crate::common::eks().await;
        let ng = c
            .describe_nodegroup()
            .cluster_name(&cluster)
            .nodegroup_name("stateless")
            .send()
            .await
            .unwrap();
        ng.nodegroup()
            .and_then(|n| n.scaling_config())
            .and_then(|s| s.max_size())
    });
    assert_eq!(max, Some(16));

    // instance types changed: that pool is replaced, nothing else
    edit(
        r#"instance_types = ["m5.large"]
      min_size       = 2"#,
        r#"instance_types = ["m5.xlarge"]
      min_size       = 2"#,
    );
    let plan = ws.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![(
            "module.eks.aws_eks_node_group.this[\"tools\"]".to_string(),
            vec!["delete".to_string(), "create".to_string()]
        )]
    );
    ws.apply();

    // a TTL change: one in-place update, one ChangeResourceRecordSets call
    let dns = ws.dir.path().join("modules/dns/main.tf");
    let text = std::fs::read_to_string(&dns).unwrap();
    std::fs::write(&dns, text.replacen("ttl     = 300", "ttl     = 120", 1)).unwrap();
    let plan = ws.plan_json(&[]);
    let planned = changes(&plan);
    assert_eq!(planned.len(), 2, "dev and qa delegations: {planned:?}");
    assert!(planned.iter().all(|(a, act)| a
        .starts_with("module.dns.aws_route53_record.environment")
        && act == &["update"]));
    let r = ws.apply();
    let calls = r
        .stdout
        .lines()
        .find(|l| l.starts_with("API calls"))
        .unwrap_or_default()
        .to_string();
    assert!(
        calls.contains("route53:ChangeResourceRecordSets 1"),
        "both records in one batched call: {calls}"
    );

    // a Kubernetes upgrade: the cluster, then each pool, in place through the EKS update
    // APIs, each waited on until DescribeUpdate says Successful
    edit(
        r#"kubernetes_version = "1.30""#,
        r#"kubernetes_version = "1.31""#,
    );
    let plan = ws.plan_json(&[]);
    let update = vec!["update".to_string()];
    assert_eq!(
        changes(&plan),
        vec![
            (
                "module.eks.aws_eks_cluster.this".to_string(),
                update.clone()
            ),
            (
                "module.eks.aws_eks_node_group.this[\"stateful\"]".to_string(),
                update.clone()
            ),
            (
                "module.eks.aws_eks_node_group.this[\"stateless\"]".to_string(),
                update.clone()
            ),
            (
                "module.eks.aws_eks_node_group.this[\"tools\"]".to_string(),
                update.clone()
            ),
        ]
    );
    let r = ws.apply();
    let calls = r
        .stdout
        .lines()
        .find(|l| l.starts_with("API calls"))
        .unwrap_or_default()
        .to_string();
    for expected in ["eks:UpdateClusterVersion 1", "eks:UpdateNodegroupVersion 3"] {
        assert!(calls.contains(expected), "{expected}: {calls}");
    }
    assert!(calls.contains("eks:DescribeUpdate"), "waited: {calls}");
    let versions = rt.block_on(async {
        let c = crate::common::eks().await;
        let mut seen = vec![];
        let cl = c.describe_cluster().name(&cluster).send().await.unwrap();
        seen.push(cl.cluster().and_then(|c| c.version()).map(str::to_string));
        for pool in ["stateful", "stateless", "tools"] {
            let ng = c
                .describe_nodegroup()
                .cluster_name(&cluster)
                .nodegroup_name(pool)
                .send()
                .await
                .unwrap();
            seen.push(ng.nodegroup().and_then(|n| n.version()).map(str::to_string));
        }
        seen
    });
    assert_eq!(versions, vec![Some("1.31".to_string()); 4]);
    let again = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "clean after the upgrade:\n{}", again.all());

    // rebuild the cluster: destroy --target module.eks keeps the network and the EIPs
    let before = rt.block_on(crate::common::tagged(&ws.stack_name));
    let d = ws.run(&["destroy", "--auto-approve", "--target", "module.eks"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert!(
        d.stdout
            .contains("aws_eks_cluster.this: Destruction complete"),
        "{}",
        d.all()
    );
    let after = rt.block_on(crate::common::tagged(&ws.stack_name));
    assert_eq!(before, after, "network and EIPs are untouched");
    let gone = rt.block_on(async {
        crate::common::eks()
            .await
            .describe_cluster()
            .name(&cluster)
            .send()
            .await
            .is_err()
    });
    assert!(gone, "the cluster is gone");
    let list = ws.run(&["state", "list"]);
    assert!(
        !list.stdout.contains("module.eks.aws_eks"),
        "{}",
        list.all()
    );
    assert!(
        list.stdout.contains("module.network.aws_eip.nat"),
        "{}",
        list.all()
    );

    // and everything goes on a full destroy
    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert!(rt
        .block_on(crate::common::tagged(&ws.stack_name))
        .is_empty());
    assert_eq!(ws.run(&["state", "list"]).stdout.trim(), "");
}

/// The zone's records of `type_` by name, with their values sorted (independent client).
async fn records_of_type(zone_id: &str, type_: &str) -> BTreeMap<String, Vec<String>> {
    let r53 = aws_sdk_route53::Client::new(&crate::common::sdk_config());
    let mut out = BTreeMap::new();
    let sets = r53
        .list_resource_record_sets()
        .hosted_zone_id(zone_id)
        .send()
        .await
        .unwrap();
    for set in sets.resource_record_sets() {
        if set.r#type().as_str() != type_ {
            continue;
        }
        let mut values: Vec<String> = set
            .resource_records()
            .iter()
            .map(|r| r.value().trim_end_matches('.').to_string())
            .collect();
        values.sort();
        out.insert(set.name().trim_end_matches('.').to_string(), values);
    }
    out
}

/// The name servers Route53 gave a zone (independent client), sorted.
async fn zone_name_servers(zone_id: &str) -> Vec<String> {
    let r53 = aws_sdk_route53::Client::new(&crate::common::sdk_config());
    let zone = r53.get_hosted_zone().id(zone_id).send().await.unwrap();
    let mut ns: Vec<String> = zone
        .delegation_set()
        .map(|d| d.name_servers().to_vec())
        .unwrap_or_default()
        .into_iter()
        .map(|n| n.trim_end_matches('.').to_string())
        .collect();
    ns.sort();
    ns
}

fn output(ws: &Workspace, name: &str) -> String {
    let r = ws.run(&["output", name]);
    assert_eq!(r.code, 0, "{}", r.all());
    r.stdout.trim().to_string()
}

/// One public zone for the application domain: dev and staging are applied into prod's
/// state file, each with its own public sub-zone; prod reads their name servers with
/// `data "terraform_remote_state"` and delegates dev.<domain> and qa.<domain> to them.
#[test]
fn prod_delegates_dev_and_qa_subdomains_to_the_environments_zones() {
    let dev = Workspace::from_environment("dev", true);
    let staging = Workspace::from_environment("staging", true).sharing_state(&dev);
    let prod = Workspace::from_environment("prod", true).sharing_state(&dev);
    prod.write(
        "environments.auto.tfvars",
        &format!(
            "environment_stacks = {{\n  dev = \"{}\"\n  qa  = \"{}\"\n}}\n",
            dev.stack_name, staging.stack_name
        ),
    );
    // before the environments exist, prod plans with its defaults: nothing to delegate
    let early = prod.plan_json(&[]);
    assert!(
        !changes(&early)
            .iter()
            .any(|(a, _)| a.starts_with("module.dns.aws_route53_record.environment")),
        "{:?}",
        changes(&early)
    );

    // dev and staging apply at once into the one state file (each its own stack and lock)
    std::thread::scope(|s| {
        s.spawn(|| dev.apply());
        s.spawn(|| staging.apply());
    });
    let r = prod.apply();
    let planned_ns = r.stdout.matches("aws_route53_record.environment[").count();
    assert!(planned_ns >= 2, "{}", r.all());

    let rt = rt();
    let prod_zone = output(&prod, "zone_id");
    let records = rt.block_on(records_of_type(&prod_zone, "NS"));
    let domain = "app.example.com";
    for (sub, env) in [("dev", &dev), ("qa", &staging)] {
        let env_zone = output(env, "public_zone_id");
        let expected = rt.block_on(zone_name_servers(&env_zone));
        assert!(!expected.is_empty(), "{sub}'s zone has name servers");
        assert_eq!(
            records.get(&format!("{sub}.{domain}")),
            Some(&expected),
            "{sub}.{domain} is delegated to its environment's zone: {records:?}"
        );
    }
    let again = prod.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "prod plans clean:\n{}", again.all());

    // prod first (it reads the others), then the environments: nothing is left
    let mut zones = Vec::new();
    for (ws, names) in [
        (&prod, &["zone_id", "internal_zone_id"][..]),
        (&staging, &["zone_id", "public_zone_id"][..]),
        (&dev, &["zone_id", "public_zone_id"][..]),
    ] {
        for name in names {
            zones.push(output(ws, name));
        }
        let d = ws.run(&["destroy", "--auto-approve"]);
        assert_eq!(d.code, 0, "{}", d.all());
    }
    for ws in [&prod, &staging, &dev] {
        assert!(
            rt.block_on(tagged(&ws.stack_name)).is_empty(),
            "{}",
            ws.stack_name
        );
        let left = rt.block_on(crate::common::leftovers(&ws.stack_name, &zones));
        assert!(left.is_empty(), "{left:?}");
        let outputs = rt.block_on(async {
            let store = ws.store().await;
            let o = store.outputs(&ws.stack_name).await.unwrap();
            store.close().await;
            o
        });
        assert_eq!(outputs, Some(Default::default()), "{}", ws.stack_name);
    }
}
