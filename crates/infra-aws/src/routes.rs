//! Route destinations and targets, shared by `aws_route` and the inline `route` blocks of
//! `aws_route_table` and `aws_default_route_table`: an IPv4 CIDR, an IPv6 CIDR or a
//! managed prefix list, to any of the targets CreateRoute takes, named as the Terraform
//! provider names them (`egress_only_gateway_id` for AWS's `EgressOnlyInternetGatewayId`).

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Route, RouteOrigin};
use infra_model::Value;
use infra_provider::{ErrorKind, ProviderError};

use crate::errors::is_not_found;
use crate::util::{get_str, opt};
use crate::AwsProvider;

/// Where a route goes, ordered so that the routes of a table sort stably.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Dest {
    V4(String),
    V6(String),
    PrefixList(String),
}

impl Dest {
    /// From an inline `route` block: `cidr_block`, `ipv6_cidr_block` or
    /// `destination_prefix_list_id`.
    pub(crate) fn of_block(v: &Value) -> Option<Dest> {
        Self::pick(
            v,
            [
                "cidr_block",
                "ipv6_cidr_block",
                "destination_prefix_list_id",
            ],
        )
    }

    /// From an `aws_route`: `destination_cidr_block`, `destination_ipv6_cidr_block` or
    /// `destination_prefix_list_id`.
    pub(crate) fn of_resource(v: &Value) -> Option<Dest> {
        Self::pick(
            v,
            [
                "destination_cidr_block",
                "destination_ipv6_cidr_block",
                "destination_prefix_list_id",
            ],
        )
    }

    fn pick(v: &Value, [v4, v6, pl]: [&str; 3]) -> Option<Dest> {
        get_str(v, v4)
            .map(|s| Dest::V4(s.into()))
            .or_else(|| get_str(v, v6).map(|s| Dest::V6(canonical_v6(s))))
            .or_else(|| get_str(v, pl).map(|s| Dest::PrefixList(s.into())))
    }

    /// From the destination part of a route id (`rtb-1_10.0.0.0/16`, `rtb-1_::/0`,
    /// `rtb-1_pl-1`), Terraform's import format.
    pub(crate) fn parse(s: &str) -> Dest {
        if s.starts_with("pl-") {
            Dest::PrefixList(s.into())
        } else if s.contains(':') {
            Dest::V6(canonical_v6(s))
        } else {
            Dest::V4(s.into())
        }
    }

    pub(crate) fn of_route(r: &Route) -> Option<Dest> {
        r.destination_cidr_block()
            .map(|s| Dest::V4(s.into()))
            .or_else(|| {
                r.destination_ipv6_cidr_block()
                    .map(|s| Dest::V6(canonical_v6(s)))
            })
            .or_else(|| {
                r.destination_prefix_list_id()
                    .map(|s| Dest::PrefixList(s.into()))
            })
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            Dest::V4(s) | Dest::V6(s) | Dest::PrefixList(s) => s,
        }
    }
}

/// An IPv6 CIDR as AWS prints it (lower case, the address compressed), so that `::0/0`
/// and `::/0` are one destination.
fn canonical_v6(s: &str) -> String {
    match s.split_once('/') {
        Some((addr, len)) => match addr.parse::<std::net::Ipv6Addr>() {
            Ok(a) => format!("{a}/{len}"),
            Err(_) => s.to_lowercase(),
        },
        None => s.to_lowercase(),
    }
}

/// Every target a route may have, by its Terraform name.
pub(crate) const TARGETS: [&str; 11] = [
    "carrier_gateway_id",
    "core_network_arn",
    "egress_only_gateway_id",
    "gateway_id",
    "instance_id",
    "local_gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "transit_gateway_id",
    "vpc_endpoint_id",
    "vpc_peering_connection_id",
];

/// The configured targets of a route (attribute name to id), in `TARGETS` order.
pub(crate) type Targets = BTreeMap<&'static str, String>;

pub(crate) fn targets_of(v: &Value) -> Targets {
    TARGETS
        .iter()
        .filter_map(|k| get_str(v, k).map(|s| (*k, s.to_string())))
        .collect()
}

/// The targets of a route as AWS reports them. A gateway-load-balancer endpoint comes back
/// as `GatewayId = vpce-...`: it is the route's `vpc_endpoint_id`, as in Terraform. An
/// instance target also reports the instance's interface; only the instance is kept.
pub(crate) fn targets_of_route(r: &Route) -> Targets {
    let mut t = Targets::new();
    let mut put = |k: &'static str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            t.insert(k, v.to_string());
        }
    };
    match r.gateway_id() {
        Some(g) if g.starts_with("vpce-") => put("vpc_endpoint_id", Some(g)),
        g => put("gateway_id", g),
    }
    put("carrier_gateway_id", r.carrier_gateway_id());
    put("core_network_arn", r.core_network_arn());
    put(
        "egress_only_gateway_id",
        r.egress_only_internet_gateway_id(),
    );
    put("instance_id", r.instance_id());
    put("local_gateway_id", r.local_gateway_id());
    put("nat_gateway_id", r.nat_gateway_id());
    if r.instance_id().is_none() {
        put("network_interface_id", r.network_interface_id());
    }
    put("transit_gateway_id", r.transit_gateway_id());
    put("vpc_peering_connection_id", r.vpc_peering_connection_id());
    t
}

/// A route the user manages: not a `local` route, not one AWS made with the table or
/// propagated from a virtual private gateway.
pub(crate) fn is_user_route(r: &Route) -> bool {
    r.gateway_id() != Some("local")
        && !matches!(
            r.origin(),
            Some(RouteOrigin::CreateRouteTable) | Some(RouteOrigin::EnableVgwRoutePropagation)
        )
        && Dest::of_route(r).is_some()
}

/// Inline `route` block attributes, besides the targets.
const BLOCK_DESTS: [&str; 3] = [
    "cidr_block",
    "ipv6_cidr_block",
    "destination_prefix_list_id",
];

/// An inline `route` block as read from AWS: every attribute of the block's schema, null
/// when absent. `with_instance`: the block takes `instance_id` (`aws_default_route_table`).
pub(crate) fn block_value(r: &Route, with_instance: bool) -> Value {
    let dest = Dest::of_route(r);
    let mut targets = targets_of_route(r);
    if !with_instance {
        // aws_route_table's block has no instance_id: the interface is the target
        if targets.remove("instance_id").is_some() {
            if let Some(eni) = r.network_interface_id() {
                targets.insert("network_interface_id", eni.to_string());
            }
        }
    }
    let mut m = BTreeMap::new();
    for (k, kind) in BLOCK_DESTS.iter().zip(0..) {
        let v = match (&dest, kind) {
            (Some(Dest::V4(s)), 0) | (Some(Dest::V6(s)), 1) | (Some(Dest::PrefixList(s)), 2) => {
                Value::string(s.as_str())
            }
            _ => Value::Null,
        };
        m.insert(k.to_string(), v);
    }
    for k in TARGETS {
        if k == "instance_id" && !with_instance {
            continue;
        }
        m.insert(k.into(), opt(targets.get(k).map(String::as_str)));
    }
    Value::Map(m)
}

/// The attributes of an `aws_route` read from AWS, besides its id and table.
pub(crate) fn resource_fields(r: &Route) -> Vec<(&'static str, Value)> {
    let dest = Dest::of_route(r);
    let d = |want: fn(&Dest) -> Option<&str>| opt(dest.as_ref().and_then(want));
    let targets = targets_of_route(r);
    let mut out = vec![
        (
            "destination_cidr_block",
            d(|x| matches!(x, Dest::V4(_)).then(|| x.as_str())),
        ),
        (
            "destination_ipv6_cidr_block",
            d(|x| matches!(x, Dest::V6(_)).then(|| x.as_str())),
        ),
        (
            "destination_prefix_list_id",
            d(|x| matches!(x, Dest::PrefixList(_)).then(|| x.as_str())),
        ),
        ("instance_owner_id", opt(r.instance_owner_id())),
        ("origin", opt(r.origin().map(|o| o.as_str()))),
        ("state", opt(r.state().map(|s| s.as_str()))),
    ];
    for k in TARGETS {
        let v = match k {
            // computed alongside an instance target, as in Terraform
            "network_interface_id" => opt(r.network_interface_id()),
            _ => opt(targets.get(k).map(String::as_str)),
        };
        out.push((k, v));
    }
    out
}

/// Configured inline routes by destination.
pub(crate) fn routes_of(v: &Value) -> BTreeMap<Dest, Targets> {
    v.get("route")
        .as_list()
        .unwrap_or_default()
        .iter()
        .filter_map(|r| Some((Dest::of_block(r)?, targets_of(r))))
        .collect()
}

fn no_target(table: &str, dest: &Dest) -> ProviderError {
    ProviderError::new(
        ErrorKind::Rejected,
        format!(
            "route {} in {table} has no target; set one of {}",
            dest.as_str(),
            TARGETS.join(", ")
        ),
    )
}

macro_rules! with_route {
    ($b:expr, $dest:expr, $t:expr) => {{
        let t = $t;
        let g = |k: &str| t.get(k).cloned();
        let b = match $dest {
            Dest::V4(s) => $b.destination_cidr_block(s),
            Dest::V6(s) => $b.destination_ipv6_cidr_block(s),
            Dest::PrefixList(s) => $b.destination_prefix_list_id(s),
        };
        b.set_carrier_gateway_id(g("carrier_gateway_id"))
            .set_core_network_arn(g("core_network_arn"))
            .set_egress_only_internet_gateway_id(g("egress_only_gateway_id"))
            .set_gateway_id(g("gateway_id"))
            .set_instance_id(g("instance_id"))
            .set_local_gateway_id(g("local_gateway_id"))
            .set_nat_gateway_id(g("nat_gateway_id"))
            .set_network_interface_id(g("network_interface_id"))
            .set_transit_gateway_id(g("transit_gateway_id"))
            .set_vpc_endpoint_id(g("vpc_endpoint_id"))
            .set_vpc_peering_connection_id(g("vpc_peering_connection_id"))
    }};
}

pub(crate) async fn create_call(
    p: &AwsProvider,
    table: &str,
    dest: &Dest,
    t: &Targets,
) -> Result<(), ProviderError> {
    if t.is_empty() {
        return Err(no_target(table, dest));
    }
    crate::errors::unless_done(
        p.call("ec2:CreateRoute", || {
            let b = p.ec2().create_route().route_table_id(table);
            with_route!(b, dest, t).send()
        })
        .await,
    )?;
    Ok(())
}

pub(crate) async fn replace_call(
    p: &AwsProvider,
    table: &str,
    dest: &Dest,
    t: &Targets,
) -> Result<(), ProviderError> {
    if t.is_empty() {
        return Err(no_target(table, dest));
    }
    p.call("ec2:ReplaceRoute", || {
        let b = p.ec2().replace_route().route_table_id(table);
        with_route!(b, dest, t).send()
    })
    .await?;
    Ok(())
}

pub(crate) async fn delete_call(
    p: &AwsProvider,
    table: &str,
    dest: &Dest,
) -> Result<(), ProviderError> {
    let r = p
        .call("ec2:DeleteRoute", || {
            let b = p.ec2().delete_route().route_table_id(table);
            match dest {
                Dest::V4(s) => b.destination_cidr_block(s),
                Dest::V6(s) => b.destination_ipv6_cidr_block(s),
                Dest::PrefixList(s) => b.destination_prefix_list_id(s),
            }
            .send()
        })
        .await;
    match r {
        Err(e) if is_not_found(&e) => Ok(()),
        r => r.map(|_| ()),
    }
}

/// Bring the inline routes of `table` from `old` to `new`: delete, replace, create.
pub(crate) async fn sync(
    p: &AwsProvider,
    table: &str,
    old: &BTreeMap<Dest, Targets>,
    new: &BTreeMap<Dest, Targets>,
) -> Result<(), ProviderError> {
    for dest in old.keys().filter(|d| !new.contains_key(*d)) {
        delete_call(p, table, dest).await?;
    }
    for (dest, t) in new {
        match old.get(dest) {
            None => create_call(p, table, dest, t).await?,
            Some(prev) if prev != t => replace_call(p, table, dest, t).await?,
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_from_blocks_ids_and_canonical_ipv6() {
        let b = Value::map([("ipv6_cidr_block", Value::string("::0/0"))]);
        assert_eq!(Dest::of_block(&b), Some(Dest::V6("::/0".into())));
        assert_eq!(Dest::parse("::/0"), Dest::V6("::/0".into()));
        assert_eq!(Dest::parse("pl-12ab"), Dest::PrefixList("pl-12ab".into()));
        assert_eq!(Dest::parse("10.0.0.0/16"), Dest::V4("10.0.0.0/16".into()));
        let r = Value::map([
            (
                "destination_ipv6_cidr_block",
                Value::string("2600:1F18::/56"),
            ),
            ("egress_only_gateway_id", Value::string("eigw-1")),
            ("gateway_id", Value::Null),
        ]);
        assert_eq!(
            Dest::of_resource(&r),
            Some(Dest::V6("2600:1f18::/56".into()))
        );
        assert_eq!(
            targets_of(&r).into_iter().collect::<Vec<_>>(),
            vec![("egress_only_gateway_id", "eigw-1".to_string())]
        );
    }

    #[test]
    fn an_endpoint_target_reads_back_as_vpc_endpoint_id() {
        let r = Route::builder()
            .destination_cidr_block("0.0.0.0/0")
            .gateway_id("vpce-1")
            .build();
        let t = targets_of_route(&r);
        assert_eq!(t.get("vpc_endpoint_id").map(String::as_str), Some("vpce-1"));
        assert!(!t.contains_key("gateway_id"));
        let v = block_value(&r, false);
        assert_eq!(v.get("cidr_block").as_str(), Some("0.0.0.0/0"));
        assert_eq!(v.get("ipv6_cidr_block"), &Value::Null);
        assert_eq!(v.get("instance_id"), &Value::Null);
        assert!(v.as_map().is_some_and(|m| !m.contains_key("instance_id")));
    }
}
