//! `aws_vpc`'s IPv6 block and IPAM arguments: an Amazon-provided IPv6 block
//! (`assign_generated_ipv6_cidr_block`) or one from an IPAM pool (`ipv6_ipam_pool_id`,
//! `ipv6_netmask_length`, `ipv6_cidr_block`), an IPv4 block from an IPAM pool
//! (`ipv4_ipam_pool_id`, `ipv4_netmask_length`), and Network Address Usage metrics.
//!
//! The IPv6 block changes in place as the Terraform provider changes it: the old
//! association is removed (DisassociateVpcCidrBlock, waited for), then the new one made
//! (AssociateVpcCidrBlock). DescribeVpcs does not report the netmask lengths nor the IPv4
//! pool; those are carried from the prior state.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ec2::operation::create_vpc::builders::CreateVpcFluentBuilder;
use aws_sdk_ec2::types::{AttributeBooleanValue, Vpc, VpcAttributeName, VpcCidrBlockStateCode};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError};

use crate::util::{filter, get_bool, get_str};
use crate::AwsProvider;

/// The pool name AWS reports for an Amazon-provided IPv6 block.
const AMAZON_POOL: &str = "Amazon";

/// Attributes DescribeVpcs does not report: always carried from the prior state.
pub(crate) const CARRIED: [&str; 3] = [
    "ipv4_ipam_pool_id",
    "ipv4_netmask_length",
    "ipv6_netmask_length",
];

fn number(v: &Value, key: &str) -> Option<i32> {
    v.get(key).as_f64().map(|n| n as i32)
}

/// The IPv6 block a configuration asks for, as AssociateVpcCidrBlock / CreateVpc take it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Ipv6Want {
    amazon: bool,
    pool: Option<String>,
    cidr: Option<String>,
    netmask: Option<i32>,
    border_group: Option<String>,
}

impl Ipv6Want {
    pub(crate) fn of(c: &Value) -> Ipv6Want {
        let pool = get_str(c, "ipv6_ipam_pool_id").map(str::to_string);
        Ipv6Want {
            amazon: get_bool(c, "assign_generated_ipv6_cidr_block") == Some(true),
            // an explicit block only comes from a pool (BYOIP through IPAM)
            cidr: pool
                .as_ref()
                .and_then(|_| get_str(c, "ipv6_cidr_block"))
                .map(str::to_string),
            netmask: pool.as_ref().and_then(|_| number(c, "ipv6_netmask_length")),
            border_group: get_str(c, "ipv6_cidr_block_network_border_group").map(str::to_string),
            pool,
        }
    }

    pub(crate) fn any(&self) -> bool {
        self.amazon || self.pool.is_some()
    }

    /// Whether `desired` asks for another block than `prior` has. A block the cloud chose
    /// (no explicit `ipv6_cidr_block`) and the border group AWS filled in are not changes.
    pub(crate) fn differs(prior: &Value, desired: &Value) -> bool {
        let (a, b) = (Ipv6Want::of(prior), Ipv6Want::of(desired));
        a.amazon != b.amazon
            || a.pool != b.pool
            || a.netmask != b.netmask
            || (b.cidr.is_some() && a.cidr != b.cidr)
            || (b.border_group.is_some() && a.border_group != b.border_group)
    }
}

/// How long a VPC taking its block from an IPAM pool waits for room in the pool when none
/// of the pool's CIDRs is being provisioned (one may be about to be: a pool CIDR created
/// in the same run without a dependency between the two).
const POOL_GRACE: Duration = Duration::from_secs(20);

/// Whether CreateVpc was refused because the IPAM pool has no free block of the size.
fn no_room(e: &ProviderError) -> bool {
    e.code.as_deref() == Some("InvalidParameterValue")
        && e.message.contains("allocation size is too big")
}

/// Send CreateVpc (`send`); when the VPC takes its IPv4 block from an IPAM pool that has
/// no room yet, try again every 3 s while a CIDR of the pool is being provisioned (AWS
/// takes minutes), and for `POOL_GRACE` in any case. Terraform fails at once, which breaks a
/// VPC created in the same run as its pool's CIDR without a `depends_on`.
pub(crate) async fn when_pool_has_room<T, F, Fut>(
    p: &AwsProvider,
    req: &CreateRequest,
    send: F,
) -> Result<T, ProviderError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, ProviderError>>,
{
    let Some(pool) = get_str(&req.config, "ipv4_ipam_pool_id") else {
        return send().await;
    };
    let started = std::time::Instant::now();
    let timeout = infra_provider::step_timeout().unwrap_or(p.wait_timeout);
    loop {
        let e = match send().await {
            Err(e) if no_room(&e) => e,
            other => return other,
        };
        let pending = crate::ipam_cidr::pool_cidrs(p, pool)
            .await?
            .iter()
            .any(|c| c.state().is_some_and(|s| s.as_str() == "pending-provision"));
        let waited = started.elapsed();
        if (!pending && waited >= POOL_GRACE) || waited >= timeout {
            return Err(ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "{}: IPAM pool {pool} has no free block for this VPC ({}; waited {}s): provision a CIDR with room into the pool (aws_vpc_ipam_pool_cidr) and make the VPC depend on it, or ask for a smaller `ipv4_netmask_length`",
                    req.address,
                    e.message,
                    waited.as_secs()
                ),
            )
            .with_code("InvalidParameterValue"));
        }
        tracing::info!(address = %req.address, pool, pending, "the IPAM pool has no room yet; retrying CreateVpc");
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
}

/// CreateVpc with the IPv4 IPAM and IPv6 arguments of the configuration.
pub(crate) fn create_args(b: CreateVpcFluentBuilder, c: &Value) -> CreateVpcFluentBuilder {
    let w = Ipv6Want::of(c);
    b.set_cidr_block(get_str(c, "cidr_block").map(str::to_string))
        .set_ipv4_ipam_pool_id(get_str(c, "ipv4_ipam_pool_id").map(str::to_string))
        .set_ipv4_netmask_length(number(c, "ipv4_netmask_length"))
        .set_amazon_provided_ipv6_cidr_block(w.amazon.then_some(true))
        .set_ipv6_ipam_pool_id(w.pool.clone())
        .set_ipv6_cidr_block(w.cidr.clone())
        .set_ipv6_netmask_length(w.netmask)
        .set_ipv6_cidr_block_network_border_group(w.border_group.clone())
}

fn current(vpc: &Vpc) -> Option<&aws_sdk_ec2::types::VpcIpv6CidrBlockAssociation> {
    vpc.ipv6_cidr_block_association_set().iter().find(|a| {
        matches!(
            a.ipv6_cidr_block_state().and_then(|s| s.state()),
            Some(VpcCidrBlockStateCode::Associated) | Some(VpcCidrBlockStateCode::Associating)
        )
    })
}

/// The IPv6 attributes of a VPC as read, with what DescribeVpcs omits carried from `prior`.
pub(crate) fn fields(vpc: &Vpc, prior: Option<&Value>, m: &mut BTreeMap<String, Value>) {
    let carried = |k: &str| prior.map(|p| p.get(k).clone()).unwrap_or(Value::Null);
    match current(vpc) {
        Some(a) => {
            let pool = a.ipv6_pool();
            m.insert(
                "ipv6_cidr_block".into(),
                crate::util::opt(a.ipv6_cidr_block()),
            );
            m.insert(
                "ipv6_association_id".into(),
                crate::util::opt(a.association_id()),
            );
            m.insert(
                "ipv6_cidr_block_network_border_group".into(),
                crate::util::opt(a.network_border_group()),
            );
            let amazon = match pool {
                Some(pool) => pool == AMAZON_POOL,
                None => carried("assign_generated_ipv6_cidr_block")
                    .as_bool()
                    .unwrap_or(false),
            };
            m.insert(
                "assign_generated_ipv6_cidr_block".into(),
                Value::Bool(amazon),
            );
            let pool_id = match pool {
                Some(pool) if pool != AMAZON_POOL => Value::string(pool),
                Some(_) => Value::Null,
                None => carried("ipv6_ipam_pool_id"),
            };
            m.insert("ipv6_ipam_pool_id".into(), pool_id);
        }
        None => {
            for k in [
                "ipv6_cidr_block",
                "ipv6_association_id",
                "ipv6_cidr_block_network_border_group",
                "ipv6_ipam_pool_id",
            ] {
                m.insert(k.into(), Value::Null);
            }
            m.insert(
                "assign_generated_ipv6_cidr_block".into(),
                Value::Bool(false),
            );
        }
    }
    for k in CARRIED {
        m.insert(k.into(), carried(k));
    }
}

/// Move the VPC's IPv6 block from what `prior` has to what `desired` asks for.
pub(crate) async fn sync(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<(), ProviderError> {
    if !Ipv6Want::differs(prior, desired) {
        return Ok(());
    }
    if let Some(assoc) = get_str(prior, "ipv6_association_id") {
        p.call("ec2:DisassociateVpcCidrBlock", || {
            p.ec2()
                .disassociate_vpc_cidr_block()
                .association_id(assoc)
                .send()
        })
        .await?;
        wait_disassociated(p, id, assoc).await?;
    }
    let w = Ipv6Want::of(desired);
    if w.any() {
        p.call("ec2:AssociateVpcCidrBlock", || {
            p.ec2()
                .associate_vpc_cidr_block()
                .vpc_id(id)
                .set_amazon_provided_ipv6_cidr_block(w.amazon.then_some(true))
                .set_ipv6_ipam_pool_id(w.pool.clone())
                .set_ipv6_cidr_block(w.cidr.clone())
                .set_ipv6_netmask_length(w.netmask)
                .set_ipv6_cidr_block_network_border_group(w.border_group.clone())
                .send()
        })
        .await?;
    }
    Ok(())
}

async fn wait_disassociated(p: &AwsProvider, id: &str, assoc: &str) -> Result<(), ProviderError> {
    for attempt in 0..20u32 {
        let vpcs = crate::vpc::describe(p, vec![filter("vpc-id", [id])]).await?;
        let pending = vpcs.iter().any(|v| {
            v.ipv6_cidr_block_association_set().iter().any(|a| {
                a.association_id() == Some(assoc)
                    && !matches!(
                        a.ipv6_cidr_block_state().and_then(|s| s.state()),
                        Some(VpcCidrBlockStateCode::Disassociated)
                    )
            })
        });
        if !pending {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250 * u64::from(attempt.min(8) + 1))).await;
    }
    Err(ProviderError::new(
        ErrorKind::Timeout,
        format!("aws_vpc {id}: the IPv6 block {assoc} is still being disassociated; run again"),
    ))
}

/// Network Address Usage metrics, one DescribeVpcAttribute call.
pub(crate) async fn read_nau(p: &AwsProvider, id: &str) -> Result<Option<bool>, ProviderError> {
    let out = p
        .call("ec2:DescribeVpcAttribute", || {
            p.ec2()
                .describe_vpc_attribute()
                .vpc_id(id)
                .attribute(VpcAttributeName::EnableNetworkAddressUsageMetrics)
                .send()
        })
        .await?;
    Ok(out
        .enable_network_address_usage_metrics()
        .and_then(AttributeBooleanValue::value))
}

pub(crate) async fn set_nau(p: &AwsProvider, id: &str, on: bool) -> Result<(), ProviderError> {
    let b = AttributeBooleanValue::builder().value(on).build();
    p.call("ec2:ModifyVpcAttribute", || {
        p.ec2()
            .modify_vpc_attribute()
            .vpc_id(id)
            .enable_network_address_usage_metrics(b.clone())
            .send()
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_counts_as_another_ipv6_block() {
        let amazon = Value::map([("assign_generated_ipv6_cidr_block", Value::Bool(true))]);
        let read = Value::map([
            ("assign_generated_ipv6_cidr_block", Value::Bool(true)),
            ("ipv6_cidr_block", Value::string("2600:1f18::/56")),
            (
                "ipv6_cidr_block_network_border_group",
                Value::string("us-east-1"),
            ),
        ]);
        // the block and border group AWS chose are no change
        assert!(!Ipv6Want::differs(&read, &amazon));
        assert!(Ipv6Want::differs(&read, &Value::Map(BTreeMap::new())));
        let pooled = Value::map([
            ("ipv6_ipam_pool_id", Value::string("ipam-pool-1")),
            ("ipv6_netmask_length", Value::Number(56.0)),
        ]);
        assert!(Ipv6Want::differs(&read, &pooled));
        assert!(Ipv6Want::of(&pooled).any());
        assert_eq!(Ipv6Want::of(&pooled).netmask, Some(56));
    }
}
