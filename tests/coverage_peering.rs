//! VPC peering within one account and region, as hub-and-spoke networks and
//! terraform-aws-eks's `eks-hybrid-nodes` example make it: a connection accepted by its
//! requester (`auto_accept`) with DNS options and a route through it, and a connection
//! accepted by `aws_vpc_peering_connection_accepter` with its options set by
//! `aws_vpc_peering_connection_options`. Applied with the CreateVpcPeeringConnection answer
//! lost (adopted, not duplicated), checked with an independent EC2 client, re-planned clean,
//! options and tags changed in place, a connection replaced (another peer VPC), imported
//! into a fresh state, and destroyed (the connections are `deleted`). Options asked of a
//! connection nobody accepted fail with what to do. The data source
//! `aws_vpc_peering_connection` finds a connection by its VPCs and a tag filter.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Tag, VpcPeeringConnection};

use crate::common::proxy::Match;
use crate::common::{ec2, rt, Workspace};
use crate::coverage_ec2_more::{actions, id_of, import_into_copy};
use crate::faults::{apply_losing_one_answer, direct};

const PEERING: &str = r#"provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { Team = "net" }
  }
}

variable "name" {
  type = string
}

variable "hub_peer" {
  type    = string
  default = "b"
}

variable "accepter_dns" {
  type    = bool
  default = true
}

variable "purpose" {
  type    = string
  default = "shared"
}

resource "aws_vpc" "this" {
  for_each   = { a = "10.71.0.0/16", b = "10.72.0.0/16", c = "10.73.0.0/16", d = "10.74.0.0/16" }
  cidr_block = each.value
  tags       = { Name = "${var.name}-${each.key}" }
}

resource "aws_vpc_peering_connection" "hub" {
  vpc_id      = aws_vpc.this["a"].id
  peer_vpc_id = aws_vpc.this[var.hub_peer].id
  auto_accept = true

  accepter {
    allow_remote_vpc_dns_resolution = var.accepter_dns
  }

  tags = { Name = "${var.name}-hub", Purpose = var.purpose }
}

resource "aws_route_table" "a" {
  vpc_id = aws_vpc.this["a"].id
}

resource "aws_route" "hub" {
  route_table_id            = aws_route_table.a.id
  destination_cidr_block    = aws_vpc.this[var.hub_peer].cidr_block
  vpc_peering_connection_id = aws_vpc_peering_connection.hub.id
}

resource "aws_vpc_peering_connection" "spoke" {
  vpc_id      = aws_vpc.this["a"].id
  peer_vpc_id = aws_vpc.this["c"].id
  tags        = { Name = "${var.name}-spoke" }
}

resource "aws_vpc_peering_connection_accepter" "spoke" {
  vpc_peering_connection_id = aws_vpc_peering_connection.spoke.id
  auto_accept               = true
  tags                      = { Name = "${var.name}-spoke" }
}

resource "aws_vpc_peering_connection_options" "spoke" {
  vpc_peering_connection_id = aws_vpc_peering_connection_accepter.spoke.id

  requester {
    allow_remote_vpc_dns_resolution = true
  }
}

# found again by what it joins, as an accepter's account would (read during apply: its
# arguments are known only then)
data "aws_vpc_peering_connection" "spoke" {
  vpc_id      = aws_vpc_peering_connection_options.spoke.id != "" ? aws_vpc.this["a"].id : null
  peer_vpc_id = aws_vpc.this["c"].id

  filter {
    name   = "tag:Name"
    values = ["${var.name}-spo*"]
  }
}

output "statuses" {
  value = [aws_vpc_peering_connection.hub.accept_status, aws_vpc_peering_connection_accepter.spoke.accept_status]
}
"#;

fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

/// What an independent EC2 client sees of one connection.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    status: String,
    vpc: String,
    peer: String,
    accepter_dns: Option<bool>,
    requester_dns: Option<bool>,
    tags: BTreeMap<String, String>,
}

fn seen_one(c: &VpcPeeringConnection) -> Seen {
    let dns = |i: Option<&aws_sdk_ec2::types::VpcPeeringConnectionVpcInfo>| {
        i.and_then(|i| i.peering_options())
            .and_then(|o| o.allow_dns_resolution_from_remote_vpc())
    };
    Seen {
        status: c
            .status()
            .and_then(|s| s.code())
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        vpc: c
            .requester_vpc_info()
            .and_then(|i| i.vpc_id())
            .unwrap_or_default()
            .to_string(),
        peer: c
            .accepter_vpc_info()
            .and_then(|i| i.vpc_id())
            .unwrap_or_default()
            .to_string(),
        accepter_dns: dns(c.accepter_vpc_info()),
        requester_dns: dns(c.requester_vpc_info()),
        tags: c
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect(),
    }
}

/// The stack's connections that are not deleted, by `infra:address`; two live connections
/// with one address (a duplicate) fail the test.
async fn live(stack: &str) -> BTreeMap<String, Seen> {
    let all = ec2()
        .await
        .describe_vpc_peering_connections()
        .send()
        .await
        .unwrap();
    let ours: Vec<(String, Seen)> = all
        .vpc_peering_connections()
        .iter()
        .filter(|c| tag(c.tags(), "infra:stack") == Some(stack))
        .map(|c| {
            (
                tag(c.tags(), "infra:address").unwrap().to_string(),
                seen_one(c),
            )
        })
        .filter(|(_, s)| s.status != "deleted")
        .collect();
    let by_address: BTreeMap<_, _> = ours.iter().cloned().collect();
    assert_eq!(by_address.len(), ours.len(), "a duplicate: {ours:?}");
    by_address
}

#[test]
fn vpc_peering_connections_accepters_and_options() {
    let ws = Workspace::from_files(&[("main.tf", PEERING)], true);
    let name = ws.stack_name.clone();
    let vars = format!("name = \"{name}\"\n");
    ws.write("test.auto.tfvars", &vars);
    apply_losing_one_answer(
        &ws,
        Match {
            action: Some("CreateVpcPeeringConnection".into()),
            ..Match::default()
        },
    );
    let vpc = |k: &str| id_of(&ws, &format!("aws_vpc.this[\"{k}\"]"));
    let hub = "aws_vpc_peering_connection.hub";
    let spoke = "aws_vpc_peering_connection.spoke";
    let conns = rt().block_on(live(&name));
    assert_eq!(conns.len(), 2, "one connection per address: {conns:?}");
    let h = &conns[hub];
    assert_eq!(
        (h.status.as_str(), h.vpc.clone(), h.peer.clone()),
        ("active", vpc("a"), vpc("b"))
    );
    assert_eq!(h.accepter_dns, Some(true));
    assert_eq!(h.requester_dns, Some(false));
    assert_eq!(h.tags.get("Purpose").map(String::as_str), Some("shared"));
    assert_eq!(
        h.tags.get("Team").map(String::as_str),
        Some("net"),
        "default_tags"
    );
    let s = &conns[spoke];
    assert_eq!(
        (s.status.as_str(), s.vpc.clone(), s.peer.clone()),
        ("active", vpc("a"), vpc("c")),
        "accepted by the accepter"
    );
    assert_eq!(s.requester_dns, Some(true), "set by the options resource");
    // the data source finds the spoke (not the hub, which joins another VPC)
    let r = ws.run(&[
        "state",
        "show",
        "data.aws_vpc_peering_connection.spoke",
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    let shown: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let found = &shown["attributes"];
    assert_eq!(found["id"], id_of(&ws, spoke).as_str(), "{found}");
    assert_eq!(found["status"], "active");
    assert_eq!(found["requester"]["allow_remote_vpc_dns_resolution"], true);
    assert_eq!(
        found["peer_cidr_block_set"][0]["cidr_block"],
        "10.73.0.0/16"
    );
    // the accepter, the options and the connection are one object
    assert_eq!(
        id_of(&ws, "aws_vpc_peering_connection_accepter.spoke"),
        id_of(&ws, spoke)
    );
    assert_eq!(
        id_of(&ws, "aws_vpc_peering_connection_options.spoke"),
        id_of(&ws, spoke)
    );
    // the route goes through the connection
    let tables = rt().block_on(async {
        ec2()
            .await
            .describe_route_tables()
            .route_table_ids(id_of(&ws, "aws_route_table.a"))
            .send()
            .await
            .unwrap()
    });
    let through = tables.route_tables()[0]
        .routes()
        .iter()
        .find(|r| r.destination_cidr_block() == Some("10.72.0.0/16"))
        .and_then(|r| r.vpc_peering_connection_id())
        .map(str::to_string);
    assert_eq!(through, Some(id_of(&ws, hub)));
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // options and tags change in place
    let changed_vars = format!("{vars}accepter_dns = false\npurpose = \"dr\"\n");
    ws.write("test.auto.tfvars", &changed_vars);
    let changed = actions(&ws);
    assert_eq!(
        changed.get(hub),
        Some(&vec!["update".to_string()]),
        "{changed:?}"
    );
    assert_eq!(changed.len(), 1, "{changed:?}");
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let h = &rt().block_on(live(&name))[hub];
    assert_eq!(h.accepter_dns, Some(false));
    assert_eq!(h.tags.get("Purpose").map(String::as_str), Some("dr"));
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // another peer VPC is another connection, and the route follows it
    let old = id_of(&ws, hub);
    let changed_vars = format!("{changed_vars}hub_peer = \"d\"\n");
    ws.write("test.auto.tfvars", &changed_vars);
    let changed = actions(&ws);
    let replace = vec!["delete".to_string(), "create".to_string()];
    assert_eq!(changed.get(hub), Some(&replace), "{changed:?}");
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let conns = rt().block_on(live(&name));
    assert_eq!(conns[hub].peer, vpc("d"));
    assert_eq!(conns[hub].status, "active");
    assert_eq!(conns.len(), 2, "the old connection is deleted: {conns:?}");
    assert_ne!(id_of(&ws, hub), old);
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    import_into_copy(&ws, PEERING, &changed_vars);

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert!(
        rt().block_on(live(&name)).is_empty(),
        "every connection is deleted"
    );
    let left = rt().block_on(crate::common::tagged_no_nat(&name));
    assert!(left.is_empty(), "nothing of the stack is left: {left:?}");
}

const UNACCEPTED: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

resource "aws_vpc" "this" {
  for_each   = { a = "10.75.0.0/16", b = "10.76.0.0/16" }
  cidr_block = each.value
  tags       = { Name = "${var.name}-${each.key}" }
}

resource "aws_vpc_peering_connection" "pending" {
  vpc_id      = aws_vpc.this["a"].id
  peer_vpc_id = aws_vpc.this["b"].id

  requester {
    allow_remote_vpc_dns_resolution = true
  }
}
"#;

/// Options need an active connection: without `auto_accept` and no accepter, the apply
/// fails saying so, with the connection recorded (pending acceptance) so that destroy
/// deletes it.
#[test]
fn options_on_a_connection_nobody_accepted_fail_with_what_to_do() {
    let ws = Workspace::from_files(&[("main.tf", UNACCEPTED)], true);
    let name = ws.stack_name.clone();
    ws.write("test.auto.tfvars", &format!("name = \"{name}\"\n"));
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 1, "{}", apply.all());
    let out = apply.all();
    assert!(
        out.contains("aws_vpc_peering_connection.pending")
            && out.contains("can only be set once it is active")
            && out.contains("auto_accept = true"),
        "{out}"
    );
    let conns = rt().block_on(live(&name));
    assert_eq!(
        conns["aws_vpc_peering_connection.pending"].status,
        "pending-acceptance"
    );
    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert!(rt().block_on(live(&name)).is_empty(), "deleted by destroy");
}
