//! Network ACLs against the emulator, in a stack built as terraform-aws-modules/
//! terraform-aws-vpc builds them (our own stack, the same constructs): public and private
//! ACLs with rules from lists of maps and `count` (`lookup(..., null)`), inline rules from
//! `dynamic` blocks, associations, and the default ACL taken over. Checked with an
//! independent EC2 client: create, a clean re-plan, in-place updates, replacement, drift,
//! `infra import` of every type, destroy leaving nothing; and an ACL whose create answer
//! was lost is adopted. The VPC-level types are in `ec2_network_vpc`.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, NetworkAcl};

use crate::common::proxy::{Fault, FaultConfig, Rule};
use crate::common::{changes, ec2, rt, Workspace};
use crate::faults::{direct, proxy, through};

pub(crate) const NACLS: &str = r#"
variable "name" {
  type = string
}

variable "public_inbound_acl_rules" {
  type = list(map(string))
  default = [
    { rule_number = 100, rule_action = "allow", from_port = 0, to_port = 0, protocol = "-1", cidr_block = "0.0.0.0/0" },
    { rule_number = 110, rule_action = "deny", from_port = 22, to_port = 22, protocol = "tcp", cidr_block = "192.0.2.0/24" },
  ]
}

variable "public_outbound_acl_rules" {
  type = list(map(string))
  default = [
    { rule_number = 100, rule_action = "allow", from_port = 0, to_port = 0, protocol = "-1", cidr_block = "0.0.0.0/0" },
  ]
}

variable "private_acl_rules" {
  type = list(map(string))
  default = [
    { rule_no = 100, action = "allow", from_port = 443, to_port = 443, protocol = "tcp", cidr_block = "10.62.0.0/16" },
    { rule_no = 200, action = "allow", from_port = 0, to_port = 0, protocol = "icmp", cidr_block = "10.62.0.0/16", icmp_type = 8, icmp_code = 0 },
  ]
}

locals {
  tags = { Team = "net" }
}

resource "aws_vpc" "this" {
  cidr_block = "10.62.0.0/16"
  tags       = { Name = var.name }
}

resource "aws_subnet" "public" {
  count      = 2
  vpc_id     = aws_vpc.this.id
  cidr_block = cidrsubnet(aws_vpc.this.cidr_block, 8, count.index)
}

resource "aws_subnet" "private" {
  count      = 2
  vpc_id     = aws_vpc.this.id
  cidr_block = cidrsubnet(aws_vpc.this.cidr_block, 8, count.index + 10)
}

# no inline rules: the aws_network_acl_rule resources own them
resource "aws_network_acl" "public" {
  vpc_id     = aws_vpc.this.id
  subnet_ids = aws_subnet.public[*].id
  tags       = merge({ "Name" = "${var.name}-public" }, local.tags)
}

resource "aws_network_acl_rule" "public_inbound" {
  count          = length(var.public_inbound_acl_rules)
  network_acl_id = aws_network_acl.public.id
  egress         = false
  rule_number    = var.public_inbound_acl_rules[count.index]["rule_number"]
  rule_action    = var.public_inbound_acl_rules[count.index]["rule_action"]
  from_port      = lookup(var.public_inbound_acl_rules[count.index], "from_port", null)
  to_port        = lookup(var.public_inbound_acl_rules[count.index], "to_port", null)
  icmp_code      = lookup(var.public_inbound_acl_rules[count.index], "icmp_code", null)
  icmp_type      = lookup(var.public_inbound_acl_rules[count.index], "icmp_type", null)
  protocol       = var.public_inbound_acl_rules[count.index]["protocol"]
  cidr_block     = lookup(var.public_inbound_acl_rules[count.index], "cidr_block", null)
}

resource "aws_network_acl_rule" "public_outbound" {
  count          = length(var.public_outbound_acl_rules)
  network_acl_id = aws_network_acl.public.id
  egress         = true
  rule_number    = var.public_outbound_acl_rules[count.index]["rule_number"]
  rule_action    = var.public_outbound_acl_rules[count.index]["rule_action"]
  from_port      = lookup(var.public_outbound_acl_rules[count.index], "from_port", null)
  to_port        = lookup(var.public_outbound_acl_rules[count.index], "to_port", null)
  protocol       = var.public_outbound_acl_rules[count.index]["protocol"]
  cidr_block     = lookup(var.public_outbound_acl_rules[count.index], "cidr_block", null)
}

# inline rules: this ACL owns all of its rules
resource "aws_network_acl" "private" {
  vpc_id = aws_vpc.this.id

  dynamic "ingress" {
    for_each = var.private_acl_rules
    content {
      rule_no    = ingress.value.rule_no
      action     = ingress.value.action
      from_port  = ingress.value.from_port
      to_port    = ingress.value.to_port
      protocol   = ingress.value.protocol
      cidr_block = lookup(ingress.value, "cidr_block", null)
      icmp_type  = lookup(ingress.value, "icmp_type", null)
      icmp_code  = lookup(ingress.value, "icmp_code", null)
    }
  }
  egress {
    rule_no    = 100
    action     = "allow"
    from_port  = 0
    to_port    = 0
    protocol   = "-1"
    cidr_block = "0.0.0.0/0"
  }
  tags = merge({ "Name" = "${var.name}-private" }, local.tags)
}

resource "aws_network_acl_association" "private" {
  count          = 2
  network_acl_id = aws_network_acl.private.id
  subnet_id      = aws_subnet.private[count.index].id
}

resource "aws_default_network_acl" "this" {
  default_network_acl_id = aws_vpc.this.default_network_acl_id
  subnet_ids             = null

  dynamic "ingress" {
    for_each = [{ rule_no = 100, action = "allow", protocol = "-1", from_port = 0, to_port = 0, cidr_block = "10.62.0.0/16" }]
    content {
      action     = ingress.value.action
      cidr_block = lookup(ingress.value, "cidr_block", null)
      from_port  = ingress.value.from_port
      protocol   = ingress.value.protocol
      rule_no    = ingress.value.rule_no
      to_port    = ingress.value.to_port
    }
  }
  tags = merge({ "Name" = "${var.name}-default" }, local.tags)

  lifecycle {
    ignore_changes = [subnet_ids]
  }
}
"#;

pub(crate) fn workspace(stack: &str) -> Workspace {
    let ws = Workspace::from_files(&[("main.tf", stack)], true);
    ws.write(
        "test.auto.tfvars",
        &format!("name = \"{}\"\n", ws.stack_name),
    );
    ws
}

pub(crate) fn s(x: &str) -> String {
    x.to_string()
}

pub(crate) fn tag(tags: &[aws_sdk_ec2::types::Tag], k: &str) -> Option<String> {
    tags.iter()
        .find(|t| t.key() == Some(k))
        .and_then(|t| t.value())
        .map(str::to_string)
}

/// The VPC named `name`, if it exists.
pub(crate) async fn vpc_of(name: &str) -> Option<aws_sdk_ec2::types::Vpc> {
    let c = ec2().await;
    let out = c
        .describe_vpcs()
        .filters(Filter::builder().name("tag:Name").values(name).build())
        .send()
        .await
        .unwrap();
    out.vpcs().first().cloned()
}

/// An ACL as `(Name tag with the stack as S, [(egress, rule, protocol, action, from, cidr)],
/// number of subnets)`.
type AclView = (String, Vec<(bool, i32, String, String, i32, String)>, usize);

/// Every ACL of the stack's VPC (the default one included), read with an independent client.
fn acls(stack: &str) -> Vec<AclView> {
    rt().block_on(async {
        let Some(vpc) = vpc_of(stack).await else {
            return vec![];
        };
        let c = ec2().await;
        let out = c
            .describe_network_acls()
            .filters(
                Filter::builder()
                    .name("vpc-id")
                    .values(vpc.vpc_id().unwrap())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let mut v: Vec<AclView> = out
            .network_acls()
            .iter()
            .map(|a: &NetworkAcl| {
                let mut rules: Vec<_> = a
                    .entries()
                    .iter()
                    .filter(|e| e.rule_number() != Some(32767))
                    .map(|e| {
                        (
                            e.egress().unwrap_or(false),
                            e.rule_number().unwrap_or(0),
                            e.protocol().unwrap_or_default().to_string(),
                            e.rule_action()
                                .map(|r| r.as_str().to_string())
                                .unwrap_or_default(),
                            e.port_range().and_then(|p| p.from()).unwrap_or(-1),
                            e.cidr_block().unwrap_or_default().to_string(),
                        )
                    })
                    .collect();
                rules.sort();
                let name = tag(a.tags(), "Name")
                    .unwrap_or_default()
                    .replace(stack, "S");
                (name, rules, a.associations().len())
            })
            .collect();
        v.sort();
        v
    })
}

/// The `(address, type, id)` of every managed resource of `ws`.
fn managed(ws: &Workspace) -> Vec<(String, String, String)> {
    let list = ws.run(&["state", "list", "--json"]);
    assert_eq!(list.code, 0, "{}", list.all());
    let rows: Vec<serde_json::Value> = serde_json::from_str(&list.stdout).unwrap();
    rows.iter()
        .filter(|r| r["mode"] == "managed")
        .map(|r| {
            let f = |k: &str| r[k].as_str().unwrap().to_string();
            (f("address"), f("type"), f("id"))
        })
        .collect()
}

/// Terraform's import ID of a state id: the same, but for the DHCP options association,
/// imported by its VPC id.
fn import_id(ty: &str, id: &str) -> String {
    match ty {
        "aws_vpc_dhcp_options_association" => id[id.find("-vpc-").unwrap() + 1..].to_string(),
        _ => id.to_string(),
    }
}

/// Import every object of `original` into a fresh state of the same stack by
/// Terraform's import IDs; the plan is clean afterwards.
pub(crate) fn import_everything(original: &Workspace, stack: &str, types: &[&str]) {
    let objects = managed(original);
    for t in types {
        assert!(
            objects.iter().any(|(_, ty, _)| ty == t),
            "{t} is in the stack: {objects:?}"
        );
    }
    let copy = Workspace::from_files(&[("main.tf", stack)], true);
    // the same variables as the original (its tfvars name the stack)
    let vars = std::fs::read_to_string(original.stack_dir().join("test.auto.tfvars"))
        .unwrap_or_else(|_| format!("name = \"{}\"\n", original.stack_name));
    copy.write("test.auto.tfvars", &vars);
    for (addr, ty, id) in &objects {
        let r = copy.run(&["import", addr, &import_id(ty, id)]);
        assert_eq!(r.code, 0, "import {addr} {id}:\n{}", r.all());
    }
    let plan = copy.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after import:\n{}", plan.all());
}

#[test]
fn network_acls_rules_associations_and_the_default_acl() {
    let ws = workspace(NACLS);
    let stack = ws.stack_name.clone();
    let apply = ws.apply();
    assert_eq!(apply.code, 0, "{}", apply.all());
    let all = |p: &str, a: &str, c: &str| (p.to_string(), a.to_string(), c.to_string());
    let view = acls(&stack);
    let rules = |name: &str| -> Vec<(bool, i32, String, String, i32, String)> {
        view.iter()
            .find(|a| a.0 == name)
            .unwrap_or_else(|| panic!("{name}: {view:?}"))
            .1
            .clone()
    };
    let pick = |r: Vec<(bool, i32, String, String, i32, String)>| -> Vec<(bool, i32, (String, String, String))> {
        r.into_iter().map(|(e, n, p, a, _, c)| (e, n, all(&p, &a, &c))).collect()
    };
    // the emulator keeps the protocol as sent; we send numbers as AWS reports them
    assert_eq!(
        pick(rules("S-public")),
        vec![
            (false, 100, all("-1", "allow", "0.0.0.0/0")),
            (false, 110, all("6", "deny", "192.0.2.0/24")),
            (true, 100, all("-1", "allow", "0.0.0.0/0")),
        ]
    );
    assert_eq!(
        pick(rules("S-private")),
        vec![
            (false, 100, all("6", "allow", "10.62.0.0/16")),
            (false, 200, all("1", "allow", "10.62.0.0/16")),
            (true, 100, all("-1", "allow", "0.0.0.0/0")),
        ]
    );
    // taken over: AWS's allow-all rules replaced by the configured one, no egress block
    assert_eq!(
        pick(rules("S-default")),
        vec![(false, 100, all("-1", "allow", "10.62.0.0/16"))]
    );
    let subnets: BTreeMap<&str, usize> = view.iter().map(|a| (a.0.as_str(), a.2)).collect();
    assert_eq!(
        subnets,
        BTreeMap::from([("S-default", 0), ("S-private", 2), ("S-public", 2)])
    );

    // a clean re-plan: one DescribeNetworkAcls for every ACL, rule and association
    let plan = ws.plan_json(&[]);
    assert_eq!(changes(&plan), vec![], "re-plan after apply is clean");
    let calls = &plan["infra"]["api_calls"];
    assert_eq!(calls["ec2:DescribeNetworkAcls"], 1, "{calls}");

    // in place: a tag, an inline rule's port, the default ACL's rules; replaced: a rule
    ws.edit("main.tf", "{ Team = \"net\" }", "{ Team = \"network\" }");
    ws.edit(
        "main.tf",
        "from_port = 443, to_port = 443",
        "from_port = 8443, to_port = 8443",
    );
    ws.edit(
        "main.tf",
        "from_port = 22, to_port = 22, protocol = \"tcp\", cidr_block = \"192.0.2.0/24\"",
        "from_port = 2222, to_port = 2222, protocol = \"tcp\", cidr_block = \"192.0.2.0/24\"",
    );
    ws.edit(
        "main.tf",
        "to_port = 0, cidr_block = \"10.62.0.0/16\" }]",
        "to_port = 0, cidr_block = \"10.0.0.0/8\" }]",
    );
    // a subnet left out of the list goes back to the default ACL
    ws.edit(
        "main.tf",
        "subnet_ids = aws_subnet.public[*].id",
        "subnet_ids = [aws_subnet.public[0].id]",
    );
    let plan = ws.plan_json(&[]);
    let mut planned = changes(&plan);
    planned.sort();
    assert_eq!(
        planned,
        vec![
            (s("aws_default_network_acl.this"), vec![s("update")]),
            (s("aws_network_acl.private"), vec![s("update")]),
            (s("aws_network_acl.public"), vec![s("update")]),
            (
                s("aws_network_acl_rule.public_inbound[1]"),
                vec![s("delete"), s("create")]
            ),
        ]
    );
    let apply = ws.apply();
    assert_eq!(apply.code, 0, "{}", apply.all());
    let view = acls(&stack);
    let find = |name: &str, rule: (bool, i32)| {
        view.iter()
            .find(|a| a.0 == name)
            .and_then(|a| a.1.iter().find(|r| (r.0, r.1) == rule).cloned())
    };
    assert_eq!(find("S-public", (false, 110)).map(|r| r.4), Some(2222));
    assert_eq!(find("S-private", (false, 100)).map(|r| r.4), Some(8443));
    assert_eq!(
        find("S-default", (false, 100)).map(|r| r.5),
        Some(s("10.0.0.0/8"))
    );
    let subnets: BTreeMap<&str, usize> = view.iter().map(|a| (a.0.as_str(), a.2)).collect();
    assert_eq!(
        subnets,
        BTreeMap::from([("S-default", 1), ("S-private", 2), ("S-public", 1)])
    );
    let teams = rt().block_on(async {
        let c = ec2().await;
        let out = c
            .describe_network_acls()
            .filters(
                Filter::builder()
                    .name("tag:infra:stack")
                    .values(&stack)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let mut v: Vec<(String, Option<String>)> = out
            .network_acls()
            .iter()
            .map(|a| {
                (
                    tag(a.tags(), "infra:address").unwrap_or_default(),
                    tag(a.tags(), "Team"),
                )
            })
            .collect();
        v.sort();
        v
    });
    assert_eq!(
        teams,
        vec![
            (s("aws_default_network_acl.this"), Some(s("network"))),
            (s("aws_network_acl.private"), Some(s("network"))),
            (s("aws_network_acl.public"), Some(s("network"))),
        ]
    );
    assert_eq!(
        ws.run(&["plan", "--detailed-exitcode"]).code,
        0,
        "clean after the update"
    );

    // a rule removed behind our back is planned again (the public ACL does not own it)
    rt().block_on(async {
        let c = ec2().await;
        let out = c
            .describe_network_acls()
            .filters(
                Filter::builder()
                    .name("tag:Name")
                    .values(format!("{stack}-public"))
                    .build(),
            )
            .send()
            .await
            .unwrap();
        c.delete_network_acl_entry()
            .network_acl_id(out.network_acls()[0].network_acl_id().unwrap())
            .rule_number(110)
            .egress(false)
            .send()
            .await
            .unwrap();
    });
    let plan = ws.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![(
            s("aws_network_acl_rule.public_inbound[1]"),
            vec![s("create")]
        )]
    );
    assert_eq!(ws.apply().code, 0);

    import_everything(
        &ws,
        &std::fs::read_to_string(ws.stack_dir().join("main.tf")).unwrap(),
        &[
            "aws_network_acl",
            "aws_network_acl_rule",
            "aws_network_acl_association",
            "aws_default_network_acl",
        ],
    );

    // destroy: the subnets go back to the default ACL before their ACLs go; the default
    // ACL is given back with AWS's allow-all rules, and leaves with its VPC
    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert_eq!(acls(&stack), vec![]);
    rt().block_on(async {
        assert!(vpc_of(&stack).await.is_none(), "the VPC is gone");
        let c = ec2().await;
        let left = c
            .describe_network_acls()
            .filters(
                Filter::builder()
                    .name("tag:infra:stack")
                    .values(&stack)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(left.network_acls().len(), 0, "{:?}", left.network_acls());
    });
}

#[test]
fn a_network_acl_whose_create_answer_was_lost_is_adopted_not_duplicated() {
    let ws = workspace(NACLS);
    let stack = ws.stack_name.clone();
    let p = proxy(FaultConfig {
        rules: vec![
            Rule::action("CreateNetworkAcl", Fault::LoseResponse, Some(2)),
            Rule::action("CreateNetworkAclEntry", Fault::LoseResponse, Some(1)),
            Rule::action("ReplaceNetworkAclAssociation", Fault::LoseResponse, Some(1)),
        ],
        ..FaultConfig::default()
    });
    let r = through(&ws, &p, &["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(p.stats().total_injected() >= 4, "{:?}", p.stats());
    // exactly the three ACLs of the stack (the default one included), once each
    let view = acls(&stack);
    let names: Vec<&str> = view.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(
        names,
        vec!["S-default", "S-private", "S-public"],
        "{view:?}"
    );
    let again = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());
    let d = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert_eq!(acls(&stack), vec![]);
}

/// A kill after CreateNetworkAcl landed but before its row was committed leaves an intent
/// and an ACL the state does not know: the next run adopts it by its `infra:*` tags.
#[test]
fn an_acl_left_by_a_killed_create_is_adopted_from_its_intent() {
    let ws = workspace(NACLS);
    let stack = ws.stack_name.clone();
    assert_eq!(ws.apply().code, 0);
    let addr = "aws_network_acl.public";
    let (id, config) = rt().block_on(async {
        let store = ws.store().await;
        let r = store
            .resource(&stack, addr)
            .await
            .unwrap()
            .expect("in the state");
        store.close().await;
        (r.cloud_id, r.attributes)
    });
    let rm = ws.run(&["state", "rm", addr]);
    assert_eq!(rm.code, 0, "{}", rm.all());
    rt().block_on(async {
        let store = ws.store().await;
        let intent = infra_state::Intent::create(addr, "aws_network_acl", config, "killed-run");
        store.record_intent(&stack, &intent).await.unwrap();
        store.close().await;
    });
    let again = ws.run(&["apply", "--auto-approve"]);
    assert_eq!(again.code, 0, "{}", again.all());
    let adopted = rt().block_on(async {
        let store = ws.store().await;
        let r = store.resource(&stack, addr).await.unwrap();
        let left = store.intents(&stack).await.unwrap().len();
        store.close().await;
        (r.map(|r| r.cloud_id), left)
    });
    assert_eq!(adopted, (Some(id), 0), "the same ACL, and no intent left");
    let names: Vec<String> = acls(&stack).into_iter().map(|a| a.0).collect();
    assert_eq!(
        names,
        vec![s("S-default"), s("S-private"), s("S-public")],
        "not duplicated"
    );
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);
    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert_eq!(acls(&stack), vec![]);
}
