//! An IPv6-only subnet (`ipv6_native`) on the emulator (issue 12). LocalStack reports its
//! `AvailableIpAddressCount` as 18446744073709551611, which the SDK cannot parse; the
//! provider's EC2 client rewrites it (`infra_aws::ipv6_count`). Create, a clean re-plan,
//! destroy; checked with an independent EC2 client, which needs the same rewrite to read
//! such a subnet at all.

use aws_sdk_ec2::types::Filter;

use crate::common::{changes, rt, sdk_config};
use crate::ec2_network::workspace;

const STACK: &str = r#"
variable "name" {
  type = string
}

resource "aws_vpc" "this" {
  cidr_block                       = "10.72.0.0/16"
  assign_generated_ipv6_cidr_block = true
  tags                             = { Name = var.name }
}

resource "aws_subnet" "v6" {
  vpc_id                                         = aws_vpc.this.id
  ipv6_native                                    = true
  ipv6_cidr_block                                = cidrsubnet(aws_vpc.this.ipv6_cidr_block, 8, 3)
  assign_ipv6_address_on_creation                = true
  enable_dns64                                   = true
  enable_resource_name_dns_aaaa_record_on_launch = true
  private_dns_hostname_type_on_launch            = "resource-name"
  tags                                           = { Name = "${var.name}-v6" }
}

output "subnet_block" {
  value = aws_subnet.v6.ipv6_cidr_block
}
"#;

/// `(ipv6_native, assign on creation, the subnet's IPv6 block, IPv4 block)` of the
/// subnets named `<name>-v6`.
type View = Vec<(Option<bool>, Option<bool>, Option<String>, Option<String>)>;

fn subnets(name: &str) -> View {
    rt().block_on(async {
        let conf = aws_sdk_ec2::config::Builder::from(&sdk_config())
            .interceptor(infra_aws::ipv6_count::AvailableIpCount)
            .build();
        let c = aws_sdk_ec2::Client::from_conf(conf);
        let by_name = Filter::builder()
            .name("tag:Name")
            .values(format!("{name}-v6"))
            .build();
        let out = c.describe_subnets().filters(by_name).send().await.unwrap();
        out.subnets()
            .iter()
            .map(|s| {
                let block = s
                    .ipv6_cidr_block_association_set()
                    .first()
                    .and_then(|a| a.ipv6_cidr_block())
                    .map(str::to_string);
                (
                    s.ipv6_native(),
                    s.assign_ipv6_address_on_creation(),
                    block,
                    s.cidr_block().map(str::to_string),
                )
            })
            .collect()
    })
}

#[test]
fn an_ipv6_only_subnet_is_created_re_planned_clean_and_destroyed() {
    let ws = workspace(STACK);
    let name = ws.stack_name.clone();
    let apply = ws.apply();
    let view = subnets(&name);
    assert_eq!(view.len(), 1, "{view:?}\n{}", apply.all());
    let (native, assign, block, v4) = view[0].clone();
    assert_eq!((native, assign, v4), (Some(true), Some(true), None));
    let block = block.expect("an IPv6 block");
    assert!(block.ends_with("::/64"), "{block}");
    assert!(
        apply.stdout.contains(&block) || apply.all().contains("subnet_block"),
        "{}",
        apply.all()
    );

    let plan = ws.plan_json(&[]);
    assert_eq!(changes(&plan), vec![], "re-plan after apply is clean");
    assert_eq!(ws.run(&["plan", "--detailed-exitcode"]).code, 0);

    let d = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(d.code, 0, "{}", d.all());
    assert_eq!(subnets(&name), View::new(), "the subnet is gone");
}
