//! The subnet groups terraform-aws-vpc makes when database, ElastiCache and Redshift
//! subnets are given: `aws_db_subnet_group` (here from `name_prefix`),
//! `aws_elasticache_subnet_group` (a mixed-case name, which AWS stores in lowercase) and
//! `aws_redshift_subnet_group`, in a VPC's three subnets. Applied with the RDS create's
//! answer lost (adopted by its name, not duplicated), checked with independent RDS,
//! ElastiCache and Redshift clients, re-planned clean, changed in place (description,
//! tags, subnets), renamed (replaced), imported into a fresh state by Terraform's import
//! ids, and destroyed leaving nothing.

use std::collections::BTreeMap;

use crate::common::proxy::{Fault, FaultConfig, Rule};
use crate::common::{changes, emulator_env, rt, sdk_config, Workspace};
use crate::coverage_ec2_more::import_into_copy;
use crate::faults::{direct, proxy, through};

const STACK: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "description" {
  type    = string
  default = null
}

variable "owner" {
  type    = string
  default = "data"
}

variable "subnets" {
  type    = number
  default = 2
}

variable "generation" {
  type    = string
  default = "a"
}

locals {
  azs = ["a", "b", "c"]
  ids = [for k in slice(local.azs, 0, var.subnets) : aws_subnet.this[k].id]
}

resource "aws_vpc" "this" {
  cidr_block = "10.81.0.0/16"
  tags       = { Name = var.name }
}

resource "aws_subnet" "this" {
  for_each          = { a = "10.81.1.0/24", b = "10.81.2.0/24", c = "10.81.3.0/24" }
  vpc_id            = aws_vpc.this.id
  cidr_block        = each.value
  availability_zone = "us-east-1${each.key}"
}

resource "aws_db_subnet_group" "this" {
  name_prefix = "${var.name}-db-${var.generation}-"
  description = var.description
  subnet_ids  = local.ids
  tags        = { Owner = var.owner }
}

resource "aws_elasticache_subnet_group" "this" {
  name        = "${var.name}-Cache-${var.generation}"
  description = var.description
  subnet_ids  = local.ids
  tags        = { Owner = var.owner }
}

resource "aws_redshift_subnet_group" "this" {
  name        = "${var.name}-redshift-${var.generation}"
  description = var.description
  subnet_ids  = local.ids
  tags        = { Owner = var.owner }
}
"#;

/// One group as its service sees it: description, sorted subnet ids, user tags.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    description: String,
    subnets: Vec<String>,
    tags: BTreeMap<String, String>,
}

fn endpoint(var: &str) -> String {
    let env = emulator_env();
    env.get(var).unwrap_or(&env["AWS_ENDPOINT_URL"]).clone()
}

fn user_tags<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .filter(|(k, _)| !k.starts_with("infra:"))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Every group whose name starts with `prefix`, per service ("rds", "elasticache",
/// "redshift"), by name, through clients that do not go through `infra`.
async fn groups(prefix: &str) -> BTreeMap<(String, String), Seen> {
    let base = sdk_config();
    let mut out = BTreeMap::new();

    let rds = aws_sdk_rds::Client::from_conf(
        aws_sdk_rds::config::Builder::from(&base)
            .endpoint_url(endpoint("AWS_ENDPOINT_URL_RDS"))
            .build(),
    );
    let listed = rds.describe_db_subnet_groups().send().await.unwrap();
    for g in listed.db_subnet_groups() {
        let name = g.db_subnet_group_name().unwrap();
        if !name.starts_with(prefix) {
            continue;
        }
        let tags = rds
            .list_tags_for_resource()
            .resource_name(g.db_subnet_group_arn().unwrap())
            .send()
            .await
            .unwrap();
        out.insert(
            ("rds".to_string(), name.to_string()),
            Seen {
                description: g.db_subnet_group_description().unwrap_or_default().into(),
                subnets: sorted(
                    g.subnets()
                        .iter()
                        .map(|s| s.subnet_identifier().unwrap().to_string())
                        .collect(),
                ),
                tags: user_tags(
                    tags.tag_list()
                        .iter()
                        .map(|t| (t.key().unwrap(), t.value().unwrap_or(""))),
                ),
            },
        );
    }

    let cache = aws_sdk_elasticache::Client::from_conf(
        aws_sdk_elasticache::config::Builder::from(&base)
            .endpoint_url(endpoint("AWS_ENDPOINT_URL_ELASTICACHE"))
            .build(),
    );
    let listed = cache.describe_cache_subnet_groups().send().await.unwrap();
    for g in listed.cache_subnet_groups() {
        let name = g.cache_subnet_group_name().unwrap();
        if !name.starts_with(prefix) {
            continue;
        }
        let tags = cache
            .list_tags_for_resource()
            .resource_name(g.arn().unwrap())
            .send()
            .await
            .unwrap();
        out.insert(
            ("elasticache".to_string(), name.to_string()),
            Seen {
                description: g
                    .cache_subnet_group_description()
                    .unwrap_or_default()
                    .into(),
                subnets: sorted(
                    g.subnets()
                        .iter()
                        .map(|s| s.subnet_identifier().unwrap().to_string())
                        .collect(),
                ),
                tags: user_tags(
                    tags.tag_list()
                        .iter()
                        .map(|t| (t.key().unwrap(), t.value().unwrap_or(""))),
                ),
            },
        );
    }

    let redshift = aws_sdk_redshift::Client::from_conf(
        aws_sdk_redshift::config::Builder::from(&base)
            .endpoint_url(endpoint("AWS_ENDPOINT_URL_REDSHIFT"))
            .build(),
    );
    let listed = redshift
        .describe_cluster_subnet_groups()
        .send()
        .await
        .unwrap();
    for g in listed.cluster_subnet_groups() {
        let name = g.cluster_subnet_group_name().unwrap();
        if !name.starts_with(prefix) {
            continue;
        }
        out.insert(
            ("redshift".to_string(), name.to_string()),
            Seen {
                description: g.description().unwrap_or_default().into(),
                subnets: sorted(
                    g.subnets()
                        .iter()
                        .map(|s| s.subnet_identifier().unwrap().to_string())
                        .collect(),
                ),
                tags: user_tags(
                    g.tags()
                        .iter()
                        .map(|t| (t.key().unwrap(), t.value().unwrap_or(""))),
                ),
            },
        );
    }
    out
}

/// The stack's subnet ids by zone letter, from its state.
fn subnet_ids(ws: &Workspace) -> BTreeMap<String, String> {
    crate::coverage_ec2_more::managed(ws)
        .into_iter()
        .filter_map(|(addr, id)| {
            let zone = addr
                .strip_prefix("aws_subnet.this[\"")?
                .strip_suffix("\"]")?;
            Some((zone.to_string(), id))
        })
        .collect()
}

fn actions(ws: &Workspace) -> BTreeMap<String, Vec<String>> {
    changes(&ws.plan_json(&[]))
        .into_iter()
        .filter(|(a, _)| !a.starts_with("data."))
        .collect()
}

#[test]
fn subnet_groups_of_three_services_update_in_place_rename_import_and_destroy() {
    let ws = Workspace::from_files(&[("main.tf", STACK)], true);
    // lowercase letters, digits and hyphens: what all three services accept
    let name: String = ws
        .stack_name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let vars = format!("name = \"{name}\"\n");
    ws.write("test.auto.tfvars", &vars);

    // the RDS create's answer is lost: the group is adopted by its (token-derived) name
    let p = proxy(FaultConfig {
        seed: 0,
        rate: 0.0,
        rules: vec![Rule::action(
            "CreateDBSubnetGroup",
            Fault::LoseResponse,
            Some(1),
        )],
    });
    let apply = through(&ws, &p, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        p.stats().injected.get("lost_response"),
        Some(&1),
        "{:?}",
        p.stats()
    );
    let subnets = subnet_ids(&ws);
    let two = vec![subnets["a"].clone(), subnets["b"].clone()];
    let owner = |o: &str| BTreeMap::from([("Owner".to_string(), o.to_string())]);
    let expected = |desc: &str, ids: &[String], o: &str| Seen {
        description: desc.into(),
        subnets: sorted(ids.to_vec()),
        tags: owner(o),
    };
    let seen = rt().block_on(groups(&name));
    assert_eq!(seen.len(), 3, "one group per service: {seen:?}");
    let db_name = seen
        .keys()
        .find(|(svc, _)| svc == "rds")
        .map(|(_, n)| n.clone())
        .unwrap();
    assert!(
        db_name.starts_with(&format!("{name}-db-a-")),
        "from name_prefix: {db_name}"
    );
    let cache_name = format!("{name}-cache-a");
    let redshift_name = format!("{name}-redshift-a");
    for key in [
        ("rds".to_string(), db_name.clone()),
        ("elasticache".to_string(), cache_name.clone()),
        ("redshift".to_string(), redshift_name.clone()),
    ] {
        assert_eq!(
            seen.get(&key),
            Some(&expected("Managed by Terraform", &two, "data")),
            "{key:?}: {seen:?}"
        );
    }
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // description, tags and subnets change in place
    let vars2 =
        format!("{vars}description = \"groups of {name}\"\nowner = \"apps\"\nsubnets = 3\n");
    ws.write("test.auto.tfvars", &vars2);
    let changed = actions(&ws);
    let update = vec!["update".to_string()];
    for addr in [
        "aws_db_subnet_group.this",
        "aws_elasticache_subnet_group.this",
        "aws_redshift_subnet_group.this",
    ] {
        assert_eq!(changed.get(addr), Some(&update), "{addr}: {changed:?}");
    }
    assert_eq!(changed.len(), 3, "{changed:?}");
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let three: Vec<String> = subnets.values().cloned().collect();
    let desc = format!("groups of {name}");
    let seen = rt().block_on(groups(&name));
    assert_eq!(seen.len(), 3, "{seen:?}");
    for (key, group) in &seen {
        assert_eq!(group, &expected(&desc, &three, "apps"), "{key:?}");
    }
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after the update:\n{}", plan.all());

    // a new name is a new group
    let vars3 = format!("{vars2}generation = \"b\"\n");
    ws.write("test.auto.tfvars", &vars3);
    let changed = actions(&ws);
    for addr in [
        "aws_db_subnet_group.this",
        "aws_elasticache_subnet_group.this",
        "aws_redshift_subnet_group.this",
    ] {
        let a = changed
            .get(addr)
            .unwrap_or_else(|| panic!("{addr}: {changed:?}"));
        assert!(
            a.contains(&"delete".to_string()) && a.contains(&"create".to_string()),
            "{addr} is replaced: {changed:?}"
        );
    }
    assert_eq!(changed.len(), 3, "{changed:?}");
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let seen = rt().block_on(groups(&name));
    let names: Vec<&str> = seen.keys().map(|(_, n)| n.as_str()).collect();
    assert_eq!(seen.len(), 3, "the old groups are gone: {names:?}");
    assert!(
        names.contains(&format!("{name}-cache-b").as_str())
            && names.contains(&format!("{name}-redshift-b").as_str())
            && names
                .iter()
                .any(|n| n.starts_with(&format!("{name}-db-b-"))),
        "{names:?}"
    );
    for (key, group) in &seen {
        assert_eq!(group, &expected(&desc, &three, "apps"), "{key:?}");
    }
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after the rename:\n{}", plan.all());

    // Terraform's import ids (the names) bring every object into a fresh state, clean
    import_into_copy(&ws, STACK, &vars3);

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    let seen = rt().block_on(groups(&name));
    assert!(seen.is_empty(), "nothing left: {seen:?}");
}
