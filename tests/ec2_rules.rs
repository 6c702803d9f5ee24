//! Security group rules as resources of their own (`aws_security_group_rule`,
//! `aws_vpc_security_group_ingress_rule` / `_egress_rule`) against the emulator, checked
//! with an independent EC2 client: create, a clean re-plan, in-place updates, replacement,
//! an answer lost after the cloud acted (adoption), and destroy.

use aws_sdk_ec2::types::Filter;

use crate::common::proxy::{point_at, Fault, FaultConfig, Rule};
use crate::common::{changes, ec2, rt, Workspace};
use crate::faults::{direct, proxy, LIMIT};

const STACK: &str = r#"
provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { Team = "net" }
  }
}

variable "name" {
  type = string
}

resource "aws_vpc" "main" {
  cidr_block = "10.42.0.0/16"
  tags       = { Name = var.name }
}

# no inline rules: the rules below own every rule of this group
resource "aws_security_group" "app" {
  name   = "${var.name}-app"
  vpc_id = aws_vpc.main.id
}

resource "aws_security_group" "db" {
  name   = "${var.name}-db"
  vpc_id = aws_vpc.main.id
}

resource "aws_security_group_rule" "https" {
  type              = "ingress"
  security_group_id = aws_security_group.app.id
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_blocks       = ["10.0.0.0/8", "192.168.0.0/16"]
  description       = "https"
}

resource "aws_security_group_rule" "self" {
  type              = "ingress"
  security_group_id = aws_security_group.app.id
  protocol          = "-1"
  from_port         = 0
  to_port           = 0
  self              = true
}

resource "aws_security_group_rule" "egress" {
  type              = "egress"
  security_group_id = aws_security_group.app.id
  protocol          = "all"
  from_port         = 0
  to_port           = 0
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_security_group_rule" "from_app" {
  type                     = "ingress"
  security_group_id        = aws_security_group.db.id
  protocol                 = "6"
  from_port                = 5432
  to_port                  = 5432
  source_security_group_id = aws_security_group.app.id
}

resource "aws_vpc_security_group_ingress_rule" "ssh" {
  security_group_id = aws_security_group.db.id
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = "10.42.0.0/16"
  description       = "ssh"
  tags              = { Name = "ssh" }
}

resource "aws_vpc_security_group_egress_rule" "to_app" {
  security_group_id            = aws_security_group.db.id
  ip_protocol                  = "tcp"
  from_port                    = 8080
  to_port                      = 8080
  referenced_security_group_id = aws_security_group.app.id
}

output "https_rule" {
  value = aws_security_group_rule.https.id
}
"#;

fn workspace() -> Workspace {
    let ws = Workspace::from_files(&[("main.tf", STACK)], true);
    ws.write(
        "test.auto.tfvars",
        &format!("name = \"{}\"\n", ws.stack_name),
    );
    ws
}

/// The ingress and egress permissions of the stack's groups, as `(group name, direction,
/// protocol, from, to, source, description)`, read with an independent client.
fn cloud_rules(stack: &str) -> Vec<(String, String, String, i32, i32, String, String)> {
    rt().block_on(async {
        let c = ec2().await;
        let groups = c
            .describe_security_groups()
            .filters(
                Filter::builder()
                    .name("tag:infra:stack")
                    .values(stack)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let mut out = Vec::new();
        for g in groups.security_groups() {
            let name = g.group_name().unwrap_or_default().replace(stack, "S");
            for (dir, perms) in [
                ("ingress", g.ip_permissions()),
                ("egress", g.ip_permissions_egress()),
            ] {
                for p in perms {
                    let row = |src: String, d: Option<&str>| {
                        (
                            name.clone(),
                            dir.to_string(),
                            p.ip_protocol().unwrap_or_default().to_string(),
                            p.from_port().unwrap_or(-1),
                            p.to_port().unwrap_or(-1),
                            src,
                            d.unwrap_or_default().to_string(),
                        )
                    };
                    for r in p.ip_ranges() {
                        out.push(row(r.cidr_ip().unwrap_or_default().into(), r.description()));
                    }
                    for r in p.user_id_group_pairs() {
                        let src = if r.group_id() == g.group_id() {
                            "self".to_string()
                        } else {
                            "group".to_string()
                        };
                        out.push(row(src, r.description()));
                    }
                }
            }
        }
        out.sort();
        out
    })
}

/// The tags of the stack's `aws_vpc_security_group_*_rule` rules, by `infra:address`.
fn tagged_rules(stack: &str) -> Vec<(String, Option<String>, Option<String>)> {
    rt().block_on(async {
        let c = ec2().await;
        let rules = c
            .describe_security_group_rules()
            .filters(
                Filter::builder()
                    .name("tag:infra:stack")
                    .values(stack)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let tag = |r: &aws_sdk_ec2::types::SecurityGroupRule, k: &str| {
            r.tags()
                .iter()
                .find(|t| t.key() == Some(k))
                .and_then(|t| t.value())
                .map(str::to_string)
        };
        let mut out: Vec<_> = rules
            .security_group_rules()
            .iter()
            .map(|r| {
                (
                    tag(r, "infra:address").unwrap_or_default(),
                    tag(r, "Team"),
                    r.from_port().map(|p| p.to_string()),
                )
            })
            .collect();
        out.sort();
        out
    })
}

fn s(x: &str) -> String {
    x.to_string()
}

#[test]
fn security_group_rules_create_update_replace_and_destroy() {
    let ws = workspace();
    ws.apply();
    let stack = ws.stack_name.clone();
    let rules = cloud_rules(&stack);
    let expected = vec![
        (
            s("S-app"),
            s("egress"),
            s("-1"),
            -1,
            -1,
            s("0.0.0.0/0"),
            s(""),
        ),
        (s("S-app"), s("ingress"), s("-1"), -1, -1, s("self"), s("")),
        (
            s("S-app"),
            s("ingress"),
            s("tcp"),
            443,
            443,
            s("10.0.0.0/8"),
            s("https"),
        ),
        (
            s("S-app"),
            s("ingress"),
            s("tcp"),
            443,
            443,
            s("192.168.0.0/16"),
            s("https"),
        ),
        (
            s("S-db"),
            s("egress"),
            s("tcp"),
            8080,
            8080,
            s("group"),
            s(""),
        ),
        (
            s("S-db"),
            s("ingress"),
            s("tcp"),
            22,
            22,
            s("10.42.0.0/16"),
            s("ssh"),
        ),
        (
            s("S-db"),
            s("ingress"),
            s("tcp"),
            5432,
            5432,
            s("group"),
            s(""),
        ),
    ];
    // the emulator reports all-traffic ports as -1 or absent; compare what matters
    let norm = |v: Vec<(String, String, String, i32, i32, String, String)>| {
        v.into_iter()
            .map(|mut r| {
                if r.2 == "-1" {
                    (r.3, r.4) = (-1, -1);
                }
                r
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(norm(rules), expected);
    // the new-style rules carry the infra tags and the provider's default tags
    assert_eq!(
        tagged_rules(&stack),
        vec![
            (
                s("aws_vpc_security_group_egress_rule.to_app"),
                Some(s("net")),
                Some(s("8080"))
            ),
            (
                s("aws_vpc_security_group_ingress_rule.ssh"),
                Some(s("net")),
                Some(s("22"))
            ),
        ]
    );
    let out = ws.run(&["output", "https_rule"]);
    assert!(
        out.stdout
            .contains("_ingress_tcp_443_443_10.0.0.0/8_192.168.0.0/16"),
        "the id is Terraform's import format: {}",
        out.all()
    );

    // nothing to do; one DescribeSecurityGroups for both groups, one for all four rules
    let plan = ws.plan_json(&[]);
    assert_eq!(changes(&plan), vec![], "re-plan after apply is clean");
    let calls = &plan["infra"]["api_calls"];
    assert!(
        calls["ec2:DescribeSecurityGroups"].as_u64() <= Some(2),
        "{calls}"
    );
    // one batched read per type: the ingress rules, then the egress rules
    assert_eq!(calls["ec2:DescribeSecurityGroupRules"], 2, "{calls}");

    // a description and a new-style rule's port change in place; a port of an
    // aws_security_group_rule forces a new rule
    ws.edit(
        "main.tf",
        "description       = \"https\"",
        "description       = \"tls\"",
    );
    ws.edit(
        "main.tf",
        "from_port         = 22\n  to_port           = 22",
        "from_port         = 2222\n  to_port           = 2222",
    );
    ws.edit(
        "main.tf",
        "from_port                = 5432\n  to_port                  = 5432",
        "from_port                = 5433\n  to_port                  = 5433",
    );
    let plan = ws.plan_json(&[]);
    let mut planned = changes(&plan);
    planned.sort();
    assert_eq!(
        planned,
        vec![
            (
                s("aws_security_group_rule.from_app"),
                vec![s("delete"), s("create")]
            ),
            (s("aws_security_group_rule.https"), vec![s("update")]),
            (
                s("aws_vpc_security_group_ingress_rule.ssh"),
                vec![s("update")]
            ),
        ]
    );
    ws.apply();
    let rules = norm(cloud_rules(&stack));
    assert!(
        rules.contains(&(
            s("S-app"),
            s("ingress"),
            s("tcp"),
            443,
            443,
            s("10.0.0.0/8"),
            s("tls")
        )),
        "{rules:?}"
    );
    assert!(
        rules.contains(&(
            s("S-db"),
            s("ingress"),
            s("tcp"),
            2222,
            2222,
            s("10.42.0.0/16"),
            s("ssh")
        )),
        "{rules:?}"
    );
    assert!(
        rules.contains(&(
            s("S-db"),
            s("ingress"),
            s("tcp"),
            5433,
            5433,
            s("group"),
            s("")
        )),
        "{rules:?}"
    );
    assert!(!rules.iter().any(|r| r.3 == 5432 || r.3 == 22), "{rules:?}");
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);

    // a rule removed behind our back is planned again
    rt().block_on(async {
        let c = ec2().await;
        let g = c
            .describe_security_groups()
            .filters(
                Filter::builder()
                    .name("group-name")
                    .values(format!("{stack}-db"))
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let id = g.security_groups()[0].group_id().unwrap().to_string();
        let rules = c
            .describe_security_group_rules()
            .filters(Filter::builder().name("group-id").values(&id).build())
            .send()
            .await
            .unwrap();
        let ssh: Vec<String> = rules
            .security_group_rules()
            .iter()
            .filter(|r| r.from_port() == Some(2222))
            .filter_map(|r| r.security_group_rule_id().map(str::to_string))
            .collect();
        c.revoke_security_group_ingress()
            .group_id(&id)
            .set_security_group_rule_ids(Some(ssh))
            .send()
            .await
            .unwrap();
    });
    let plan = ws.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![(
            s("aws_vpc_security_group_ingress_rule.ssh"),
            vec![s("create")]
        )]
    );

    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert_eq!(cloud_rules(&stack), vec![]);
    assert_eq!(tagged_rules(&stack), vec![]);
}

#[test]
fn a_rule_whose_authorize_answer_was_lost_is_adopted_not_duplicated() {
    let ws = workspace();
    let p = proxy(FaultConfig {
        rules: vec![
            Rule::action(
                "AuthorizeSecurityGroupIngress",
                Fault::LoseResponse,
                Some(2),
            ),
            Rule::action("AuthorizeSecurityGroupEgress", Fault::LoseResponse, Some(2)),
        ],
        ..FaultConfig::default()
    });
    let mut c = ws.cmd(&["apply", "--auto-approve"]);
    point_at(&mut c, &p);
    let r = crate::common::run_with_deadline(c, LIMIT);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(p.stats().total_injected() >= 2, "{:?}", p.stats());
    // exactly the configured rules, once each
    assert_eq!(cloud_rules(&ws.stack_name).len(), 7);
    assert_eq!(tagged_rules(&ws.stack_name).len(), 2);
    let again = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());
    let d = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert_eq!(cloud_rules(&ws.stack_name), vec![]);
}

const DEFAULTS: &str = r#"
variable "name" {
  type = string
}

resource "aws_vpc" "main" {
  cidr_block = "10.43.0.0/16"
  tags       = { Name = var.name }
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}

resource "aws_egress_only_internet_gateway" "v6" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = "${var.name}-v6" }
}

# the default group is locked down to one rule; the default route table gets a route
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.main.id

  dynamic "ingress" {
    for_each = [443]
    content {
      protocol    = "tcp"
      from_port   = ingress.value
      to_port     = ingress.value
      cidr_blocks = ["10.43.0.0/16"]
    }
  }
  tags = { Name = "${var.name}-default" }
}

resource "aws_default_route_table" "this" {
  default_route_table_id = aws_vpc.main.default_route_table_id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
  tags = { Name = "${var.name}-default" }
}
"#;

#[test]
fn default_security_group_and_route_table_are_taken_over_and_given_back() {
    let ws = Workspace::from_files(&[("main.tf", DEFAULTS)], true);
    ws.write(
        "test.auto.tfvars",
        &format!("name = \"{}\"\n", ws.stack_name),
    );
    ws.apply();
    let stack = ws.stack_name.clone();
    let look = || {
        rt().block_on(async {
            let c = ec2().await;
            let vpc = c
                .describe_vpcs()
                .filters(Filter::builder().name("tag:Name").values(&stack).build())
                .send()
                .await
                .unwrap();
            let Some(vpc_id) = vpc
                .vpcs()
                .first()
                .and_then(|v| v.vpc_id())
                .map(str::to_string)
            else {
                return None;
            };
            let g = c
                .describe_security_groups()
                .filters(Filter::builder().name("vpc-id").values(&vpc_id).build())
                .filters(
                    Filter::builder()
                        .name("group-name")
                        .values("default")
                        .build(),
                )
                .send()
                .await
                .unwrap();
            let g = g.security_groups()[0].clone();
            let t = c
                .describe_route_tables()
                .filters(Filter::builder().name("vpc-id").values(&vpc_id).build())
                .filters(
                    Filter::builder()
                        .name("association.main")
                        .values("true")
                        .build(),
                )
                .send()
                .await
                .unwrap();
            Some((g, t.route_tables()[0].clone()))
        })
    };
    let (g, t) = look().expect("the VPC exists");
    let ingress: Vec<_> = g
        .ip_permissions()
        .iter()
        .map(|p| {
            (
                p.from_port(),
                p.ip_ranges().len(),
                p.user_id_group_pairs().len(),
            )
        })
        .collect();
    assert_eq!(
        ingress,
        vec![(Some(443), 1, 0)],
        "the self rule AWS made is gone"
    );
    assert!(
        g.ip_permissions_egress().is_empty(),
        "no egress block: no egress rule"
    );
    let tag = |tags: &[aws_sdk_ec2::types::Tag], k: &str| {
        tags.iter()
            .find(|x| x.key() == Some(k))
            .and_then(|x| x.value())
            .map(str::to_string)
    };
    assert_eq!(tag(g.tags(), "Name"), Some(format!("{stack}-default")));
    assert_eq!(
        tag(g.tags(), "infra:address").as_deref(),
        Some("aws_default_security_group.this")
    );
    assert!(
        t.routes()
            .iter()
            .any(|r| r.destination_cidr_block() == Some("0.0.0.0/0")
                && r.gateway_id().is_some_and(|g| g.starts_with("igw-"))),
        "{:?}",
        t.routes()
    );
    assert_eq!(tag(t.tags(), "infra:stack"), Some(stack.clone()));
    assert_eq!(
        ws.run(&["plan", "--detailed-exitcode"]).code,
        0,
        "re-plan is clean"
    );
    let eigw_tags = || {
        rt().block_on(async {
            let c = ec2().await;
            let out = c
                .describe_egress_only_internet_gateways()
                .filters(
                    Filter::builder()
                        .name("tag:infra:stack")
                        .values(&stack)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            // the emulator ignores the tag filter here: check the tag ourselves
            out.egress_only_internet_gateways()
                .iter()
                .filter(|g| {
                    g.tags().iter().any(|t| {
                        t.key() == Some("infra:stack") && t.value() == Some(stack.as_str())
                    })
                })
                .map(|g| {
                    g.tags()
                        .iter()
                        .find(|t| t.key() == Some("Name"))
                        .and_then(|t| t.value())
                        .unwrap_or_default()
                        .replace(&stack, "S")
                })
                .collect::<Vec<_>>()
        })
    };
    assert_eq!(eigw_tags(), vec![s("S-v6")]);
    ws.edit("main.tf", "-v6", "-ipv6");
    let plan = ws.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![(s("aws_egress_only_internet_gateway.v6"), vec![s("update")])]
    );
    ws.apply();
    assert_eq!(eigw_tags(), vec![s("S-ipv6")]);

    // a rule added behind our back is removed by the next apply
    rt().block_on(async {
        ec2()
            .await
            .authorize_security_group_ingress()
            .group_id(g.group_id().unwrap())
            .ip_permissions(
                aws_sdk_ec2::types::IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(22)
                    .to_port(22)
                    .ip_ranges(
                        aws_sdk_ec2::types::IpRange::builder()
                            .cidr_ip("0.0.0.0/0")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .unwrap();
    });
    let plan = ws.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![(s("aws_default_security_group.this"), vec![s("update")])]
    );
    ws.apply();
    let (g, _) = look().unwrap();
    assert_eq!(g.ip_permissions().len(), 1, "{:?}", g.ip_permissions());

    // destroying gives the objects back; the VPC takes them with it
    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert!(look().is_none(), "the VPC is gone");
    assert_eq!(eigw_tags(), Vec::<String>::new());
}
