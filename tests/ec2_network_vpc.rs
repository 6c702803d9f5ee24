//! The VPC-level types of terraform-aws-vpc against the emulator (our own stacks, the
//! module's constructs): DHCP options with their association, secondary CIDR blocks with
//! subnets in them (count over a list, `element`), and the region's default VPC taken over
//! and given back. Checked with an independent EC2 client: create, a clean re-plan,
//! updates, replacements, `infra import` of every type, destroy leaving nothing.

use aws_sdk_ec2::types::Filter;

use crate::common::{changes, ec2, rt};
use crate::ec2_network::{import_everything, s, tag, vpc_of, workspace};

pub(crate) const DHCP_CIDR: &str = r#"
variable "name" {
  type = string
}

variable "secondary_cidr_blocks" {
  type    = list(string)
  default = ["10.64.0.0/16", "10.65.0.0/16"]
}

resource "aws_vpc" "this" {
  cidr_block = "10.63.0.0/16"
  tags       = { Name = var.name }
}

resource "aws_vpc_ipv4_cidr_block_association" "this" {
  count      = length(var.secondary_cidr_blocks)
  vpc_id     = aws_vpc.this.id
  cidr_block = element(var.secondary_cidr_blocks, count.index)
}

# subnets in the secondary block wait for it through the reference
resource "aws_subnet" "secondary" {
  count      = 2
  vpc_id     = aws_vpc_ipv4_cidr_block_association.this[0].vpc_id
  cidr_block = cidrsubnet(aws_vpc_ipv4_cidr_block_association.this[0].cidr_block, 8, count.index)
}

resource "aws_vpc_dhcp_options" "this" {
  domain_name          = "${var.name}.internal"
  domain_name_servers  = ["AmazonProvidedDNS"]
  ntp_servers          = ["169.254.169.123"]
  netbios_name_servers = ["10.63.0.2"]
  netbios_node_type    = 2
  tags                 = { Name = "${var.name}-dhcp", Team = "net" }
}

resource "aws_vpc_dhcp_options_association" "this" {
  vpc_id          = aws_vpc.this.id
  dhcp_options_id = aws_vpc_dhcp_options.this.id
}
"#;

/// `(secondary CIDR blocks associated, subnets' CIDRs, the VPC's DHCP set as
/// (domain name, Team tag, infra:address))` of the stack's VPC.
type VpcView = (
    Vec<String>,
    Vec<String>,
    Option<(String, Option<String>, Option<String>)>,
);

fn vpc_view(stack: &str) -> Option<VpcView> {
    rt().block_on(async {
        let vpc = vpc_of(stack).await?;
        let c = ec2().await;
        let mut blocks: Vec<String> = vpc
            .cidr_block_association_set()
            .iter()
            .filter(|a| {
                a.cidr_block_state()
                    .and_then(|s| s.state())
                    .map(|s| s.as_str())
                    == Some("associated")
            })
            .filter_map(|a| a.cidr_block().map(str::to_string))
            .filter(|b| Some(b.as_str()) != vpc.cidr_block())
            .collect();
        blocks.sort();
        let subnets = c
            .describe_subnets()
            .filters(
                Filter::builder()
                    .name("vpc-id")
                    .values(vpc.vpc_id().unwrap())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let mut cidrs: Vec<String> = subnets
            .subnets()
            .iter()
            .filter_map(|s| s.cidr_block().map(str::to_string))
            .collect();
        cidrs.sort();
        let dhcp = match vpc.dhcp_options_id() {
            Some(id) if id != "default" => {
                let out = c
                    .describe_dhcp_options()
                    .dhcp_options_ids(id)
                    .send()
                    .await
                    .unwrap();
                out.dhcp_options().first().map(|d| {
                    let domain = d
                        .dhcp_configurations()
                        .iter()
                        .find(|x| x.key() == Some("domain-name"))
                        .and_then(|x| x.values().first())
                        .and_then(|v| v.value())
                        .unwrap_or_default()
                        .replace(stack, "S");
                    (
                        domain,
                        tag(d.tags(), "Team"),
                        tag(d.tags(), "infra:address"),
                    )
                })
            }
            _ => None,
        };
        Some((blocks, cidrs, dhcp))
    })
}

/// The DHCP option sets tagged with the stack.
fn dhcp_sets(stack: &str) -> usize {
    rt().block_on(async {
        let out = ec2()
            .await
            .describe_dhcp_options()
            .filters(
                Filter::builder()
                    .name("tag:infra:stack")
                    .values(stack)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        out.dhcp_options().len()
    })
}

#[test]
fn dhcp_options_and_a_secondary_cidr_with_subnets_in_it() {
    let ws = workspace(DHCP_CIDR);
    let stack = ws.stack_name.clone();
    let apply = ws.apply();
    assert_eq!(apply.code, 0, "{}", apply.all());
    let dhcp = Some((
        s("S.internal"),
        Some(s("net")),
        Some(s("aws_vpc_dhcp_options.this")),
    ));
    assert_eq!(
        vpc_view(&stack),
        Some((
            vec![s("10.64.0.0/16"), s("10.65.0.0/16")],
            vec![s("10.64.0.0/24"), s("10.64.1.0/24")],
            dhcp
        ))
    );
    let plan = ws.plan_json(&[]);
    assert_eq!(changes(&plan), vec![], "re-plan after apply is clean");
    let calls = &plan["infra"]["api_calls"];
    assert_eq!(calls["ec2:DescribeDhcpOptions"], 1, "{calls}");

    // in place: the set's tags; replaced: the set (its domain name) and the second block
    ws.edit("main.tf", "Team = \"net\"", "Team = \"network\"");
    let plan = ws.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![(s("aws_vpc_dhcp_options.this"), vec![s("update")])]
    );
    assert_eq!(ws.apply().code, 0);
    assert_eq!(vpc_view(&stack).unwrap().2.unwrap().1, Some(s("network")));

    ws.edit(
        "main.tf",
        "\"${var.name}.internal\"",
        "\"${var.name}.corp\"",
    );
    ws.edit("main.tf", "\"10.65.0.0/16\"]", "\"10.66.0.0/16\"]");
    let plan = ws.plan_json(&[]);
    let mut planned = changes(&plan);
    planned.sort();
    assert_eq!(
        planned,
        vec![
            (
                s("aws_vpc_dhcp_options.this"),
                vec![s("delete"), s("create")]
            ),
            (
                s("aws_vpc_dhcp_options_association.this"),
                vec![s("update")]
            ),
            (
                s("aws_vpc_ipv4_cidr_block_association.this[1]"),
                vec![s("delete"), s("create")]
            ),
        ]
    );
    let apply = ws.apply();
    assert_eq!(apply.code, 0, "{}", apply.all());
    let (blocks, _, dhcp) = vpc_view(&stack).unwrap();
    assert_eq!(blocks, vec![s("10.64.0.0/16"), s("10.66.0.0/16")]);
    assert_eq!(dhcp.map(|d| d.0), Some(s("S.corp")));
    assert_eq!(dhcp_sets(&stack), 1, "the old set is gone");
    assert_eq!(
        ws.run(&["plan", "--detailed-exitcode"]).code,
        0,
        "clean after the replacement"
    );

    import_everything(
        &ws,
        &std::fs::read_to_string(ws.stack_dir().join("main.tf")).unwrap(),
        &[
            "aws_vpc_dhcp_options",
            "aws_vpc_dhcp_options_association",
            "aws_vpc_ipv4_cidr_block_association",
        ],
    );

    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert_eq!(vpc_view(&stack), None, "the VPC is gone");
    assert_eq!(dhcp_sets(&stack), 0, "no DHCP set is left");
}

pub(crate) const DEFAULT_VPC: &str = r#"
variable "name" {
  type = string
}

variable "default_vpc_enable_dns_hostnames" {
  type    = bool
  default = true
}

resource "aws_default_vpc" "this" {
  enable_dns_support   = true
  enable_dns_hostnames = var.default_vpc_enable_dns_hostnames
  tags                 = merge({ "Name" = coalesce(null, "default") }, { Owner = var.name })
}

output "default_vpc_cidr" {
  value = aws_default_vpc.this.cidr_block
}
"#;

/// The region's default VPC: `(id, Owner tag, infra:stack tag, DNS hostnames)`.
fn default_vpc() -> Option<(String, Option<String>, Option<String>, Option<bool>)> {
    rt().block_on(async {
        let c = ec2().await;
        let out = c
            .describe_vpcs()
            .filters(Filter::builder().name("isDefault").values("true").build())
            .send()
            .await
            .unwrap();
        let v = out.vpcs().first()?.clone();
        let id = v.vpc_id().unwrap().to_string();
        let dns = c
            .describe_vpc_attribute()
            .vpc_id(&id)
            .attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames)
            .send()
            .await
            .unwrap();
        let hostnames = dns.enable_dns_hostnames().and_then(|a| a.value());
        Some((
            id,
            tag(v.tags(), "Owner"),
            tag(v.tags(), "infra:stack"),
            hostnames,
        ))
    })
}

#[test]
fn the_default_vpc_is_taken_over_and_given_back() {
    let ws = workspace(DEFAULT_VPC);
    let stack = ws.stack_name.clone();
    let (id, ..) = default_vpc().expect("the emulator's region has a default VPC");
    let apply = ws.apply();
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert_eq!(
        default_vpc(),
        Some((
            id.clone(),
            Some(stack.clone()),
            Some(stack.clone()),
            Some(true)
        )),
        "tagged and its DNS hostnames on, not a new VPC"
    );
    let out = ws.run(&["output", "default_vpc_cidr"]);
    assert!(out.stdout.contains("172.31.0.0/16"), "{}", out.all());
    assert_eq!(
        ws.run(&["plan", "--detailed-exitcode"]).code,
        0,
        "re-plan is clean"
    );

    // in place: a DNS attribute
    ws.write(
        "test.auto.tfvars",
        &format!("name = \"{stack}\"\ndefault_vpc_enable_dns_hostnames = false\n"),
    );
    let plan = ws.plan_json(&[]);
    assert_eq!(
        changes(&plan),
        vec![(s("aws_default_vpc.this"), vec![s("update")])]
    );
    assert_eq!(ws.apply().code, 0);
    assert_eq!(default_vpc().and_then(|v| v.3), Some(false));

    import_everything(&ws, DEFAULT_VPC, &["aws_default_vpc"]);

    // given back: the infra:* tags go, the VPC stays (force_destroy is false)
    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    let (after, owner, infra, _) = default_vpc().expect("the default VPC stays");
    assert_eq!((after, owner, infra), (id, Some(stack), None));
}

#[test]
fn a_cidr_block_whose_associate_answer_was_lost_is_adopted_not_duplicated() {
    use crate::common::proxy::{Fault, FaultConfig, Rule};
    use crate::faults::{direct, proxy, through};
    let ws = workspace(DHCP_CIDR);
    let stack = ws.stack_name.clone();
    let p = proxy(FaultConfig {
        rules: vec![
            Rule::action("AssociateVpcCidrBlock", Fault::LoseResponse, Some(2)),
            Rule::action("AssociateDhcpOptions", Fault::LoseResponse, Some(1)),
        ],
        ..FaultConfig::default()
    });
    let r = through(&ws, &p, &["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(p.stats().total_injected() >= 3, "{:?}", p.stats());
    let (blocks, subnets, dhcp) = vpc_view(&stack).unwrap();
    assert_eq!(
        blocks,
        vec![s("10.64.0.0/16"), s("10.65.0.0/16")],
        "each block once"
    );
    assert_eq!(subnets.len(), 2);
    assert!(dhcp.is_some());
    let again = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());
    let d = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert_eq!(vpc_view(&stack), None);
}
