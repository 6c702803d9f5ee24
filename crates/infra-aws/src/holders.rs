//! What still holds a resource whose delete AWS refuses (`DependencyViolation`), named
//! by cloud id and, for objects of a stack, by their `infra:address`: the text of the
//! progress lines and of the error when the dependency never clears.
//!
//! - a route table: its associations (by subnet or gateway);
//! - a subnet: the network interfaces in it (NAT gateways, load balancers, EKS) and the
//!   NAT gateways in it;
//! - a VPC: its subnets, attached internet gateways, security groups (other than
//!   `default`), route tables (other than the main one) and NAT gateways;
//! - an internet gateway: the VPC it is attached to (delete), or the public addresses
//!   mapped in that VPC (detach);
//! - a security group: the groups whose rules refer to it and the network interfaces
//!   that use it.
//!
//! Every lookup also filters on the client: the emulator ignores some filters (see
//! localstack/README.md). A lookup that fails names nothing (the raw AWS message is used).

use aws_sdk_ec2::types::{Filter, NetworkInterface, Tag};

use crate::util::filter;
use crate::AwsProvider;

fn address_of(tags: &[Tag]) -> Option<&str> {
    tags.iter()
        .find(|t| t.key() == Some(infra_model::tags::ADDRESS))
        .and_then(Tag::value)
}

pub(crate) fn stack_of(tags: &[Tag]) -> Option<&str> {
    tags.iter()
        .find(|t| t.key() == Some(infra_model::tags::STACK))
        .and_then(Tag::value)
}

/// `KIND ID (ADDRESS)`, or `KIND ID (not managed by infra)`.
fn named(kind: &str, id: &str, tags: &[Tag]) -> String {
    match address_of(tags) {
        Some(a) => format!("{kind} {id} ({a})"),
        None => format!("{kind} {id} (not managed by infra)"),
    }
}

/// `it is still ...: a, b`, or None when nothing was found.
fn sentence(what: &str, held: Vec<String>) -> Option<String> {
    (!held.is_empty()).then(|| format!("{what} {}", held.join(", ")))
}

/// `subnet-1 (aws_subnet.private[0])`, or `subnet-1 (not managed by infra)`.
async fn subnets_named(p: &AwsProvider, ids: Vec<String>) -> Vec<String> {
    if ids.is_empty() {
        return Vec::new();
    }
    let found = crate::subnet::describe(p, vec![filter("subnet-id", ids.clone())])
        .await
        .unwrap_or_default();
    ids.iter()
        .map(
            |id| match found.iter().find(|s| s.subnet_id() == Some(id.as_str())) {
                Some(s) => match address_of(s.tags()) {
                    Some(a) => format!("{id} ({a})"),
                    None => format!("{id} (not managed by infra)"),
                },
                None => format!("{id} (no longer exists)"),
            },
        )
        .collect()
}

/// What keeps route table `id` from being deleted: its associations.
pub(crate) async fn route_table(p: &AwsProvider, id: &str) -> Option<String> {
    let tables = crate::route_table::describe(p, vec![filter("route-table-id", [id])])
        .await
        .ok()?;
    let t = tables.iter().find(|t| t.route_table_id() == Some(id))?;
    let mut by_subnet = Vec::new();
    let mut others = Vec::new();
    for a in t
        .associations()
        .iter()
        .filter(|a| !a.main().unwrap_or(false))
    {
        let assoc = a.route_table_association_id().unwrap_or("?").to_string();
        match (a.subnet_id(), a.gateway_id()) {
            (Some(s), _) => by_subnet.push((s.to_string(), assoc)),
            (None, Some(g)) => others.push(format!("gateway {g} ({assoc})")),
            (None, None) => others.push(assoc),
        }
    }
    let named = subnets_named(p, by_subnet.iter().map(|(s, _)| s.clone()).collect()).await;
    let mut held: Vec<String> = named
        .into_iter()
        .zip(&by_subnet)
        .map(|(subnet, (_, assoc))| format!("subnet {subnet} through association {assoc}"))
        .collect();
    held.extend(others);
    sentence("it is still associated with", held)
}

async fn interfaces(p: &AwsProvider, filters: Vec<Filter>) -> Vec<NetworkInterface> {
    p.paginate(
        "ec2:DescribeNetworkInterfaces",
        |token| {
            p.ec2()
                .describe_network_interfaces()
                .set_filters(Some(filters.clone()))
                .max_results(1000)
                .set_next_token(token)
                .send()
        },
        |page| page.network_interfaces(),
        |page| page.next_token(),
    )
    .await
    .unwrap_or_default()
}

/// `network interface eni-1 (nat_gateway: Interface for NAT Gateway nat-1)`.
fn interface_named(n: &NetworkInterface) -> String {
    let id = n.network_interface_id().unwrap_or("?");
    let kind = n
        .interface_type()
        .map(|t| t.as_str().to_string())
        .filter(|t| !t.is_empty() && t != "interface");
    let about = match (kind, n.description().filter(|d| !d.is_empty())) {
        (Some(k), Some(d)) => format!("{k}: {d}"),
        (Some(k), None) => k,
        (None, Some(d)) => d.to_string(),
        (None, None) => match address_of(n.tag_set()) {
            Some(a) => a.to_string(),
            None => "not managed by infra".to_string(),
        },
    };
    format!("network interface {id} ({about})")
}

/// Live NAT gateways whose `key` (subnet or VPC) is `value`, named.
async fn nats_in(p: &AwsProvider, key: &str, value: &str) -> Vec<String> {
    let found = crate::eip_nat::describe_nats(p, vec![filter(key, [value])])
        .await
        .unwrap_or_default();
    found
        .iter()
        .filter(|n| crate::eip_nat::is_live(n))
        .filter(|n| match key {
            "subnet-id" => n.subnet_id() == Some(value),
            _ => n.vpc_id() == Some(value),
        })
        .filter_map(|n| Some(named("NAT gateway", n.nat_gateway_id()?, n.tags())))
        .collect()
}

/// What keeps subnet `id` from being deleted: network interfaces and NAT gateways in it.
pub(crate) async fn subnet(p: &AwsProvider, id: &str) -> Option<String> {
    let mut held = nats_in(p, "subnet-id", id).await;
    held.extend(
        interfaces(p, vec![filter("subnet-id", [id])])
            .await
            .iter()
            .filter(|n| n.subnet_id() == Some(id))
            .map(interface_named),
    );
    sentence("it still holds", held)
}

/// What keeps VPC `id` from being deleted.
pub(crate) async fn vpc(p: &AwsProvider, id: &str) -> Option<String> {
    let in_vpc = || vec![filter("vpc-id", [id])];
    let mut held = Vec::new();
    let subnets = crate::subnet::describe(p, in_vpc())
        .await
        .unwrap_or_default();
    held.extend(
        subnets
            .iter()
            .filter(|s| s.vpc_id() == Some(id))
            .filter_map(|s| Some(named("subnet", s.subnet_id()?, s.tags()))),
    );
    let gateways = crate::gateways::describe(p, vec![filter("attachment.vpc-id", [id])])
        .await
        .unwrap_or_default();
    held.extend(
        gateways
            .iter()
            .filter(|g| g.attachments().iter().any(|a| a.vpc_id() == Some(id)))
            .filter_map(|g| {
                Some(named(
                    "internet gateway",
                    g.internet_gateway_id()?,
                    g.tags(),
                ))
            }),
    );
    held.extend(nats_in(p, "vpc-id", id).await);
    let groups = crate::security_group::describe(p, in_vpc())
        .await
        .unwrap_or_default();
    held.extend(
        groups
            .iter()
            .filter(|g| g.vpc_id() == Some(id) && g.group_name() != Some("default"))
            .filter_map(|g| Some(named("security group", g.group_id()?, g.tags()))),
    );
    let tables = crate::route_table::describe(p, in_vpc())
        .await
        .unwrap_or_default();
    held.extend(
        tables
            .iter()
            .filter(|t| t.vpc_id() == Some(id))
            .filter(|t| !t.associations().iter().any(|a| a.main().unwrap_or(false)))
            .filter_map(|t| Some(named("route table", t.route_table_id()?, t.tags()))),
    );
    sentence("it still has", held)
}

/// What keeps internet gateway `id` from being deleted: the VPC it is attached to.
pub(crate) async fn internet_gateway(p: &AwsProvider, id: &str) -> Option<String> {
    let found = crate::gateways::describe(p, vec![filter("internet-gateway-id", [id])])
        .await
        .ok()?;
    let g = found.iter().find(|g| g.internet_gateway_id() == Some(id))?;
    let vpcs: Vec<String> = g
        .attachments()
        .iter()
        .filter_map(|a| a.vpc_id())
        .map(|v| format!("VPC {v}"))
        .collect();
    sentence("it is still attached to", vpcs)
}

/// What keeps internet gateway `id` from being detached from `vpc`: the public addresses
/// still mapped in the VPC (NAT gateways, network interfaces with an Elastic IP).
pub(crate) async fn internet_gateway_detach(p: &AwsProvider, vpc: &str) -> Option<String> {
    let mut held = nats_in(p, "vpc-id", vpc).await;
    held.extend(
        interfaces(p, vec![filter("vpc-id", [vpc])])
            .await
            .iter()
            .filter(|n| n.vpc_id() == Some(vpc))
            .filter(|n| n.association().and_then(|a| a.public_ip()).is_some())
            // a NAT gateway's interface is named by its gateway above
            .filter(|n| n.interface_type().map(|t| t.as_str()) != Some("nat_gateway"))
            .map(|n| {
                let ip = n.association().and_then(|a| a.public_ip()).unwrap_or("?");
                format!("public address {ip} on {}", interface_named(n))
            }),
    );
    sentence(
        &format!("VPC {vpc} still has public addresses mapped:"),
        held,
    )
}

/// What keeps security group `id` from being deleted: groups whose rules refer to it and
/// network interfaces that use it.
pub(crate) async fn security_group(p: &AwsProvider, id: &str) -> Option<String> {
    let mut held = Vec::new();
    for key in ["ip-permission.group-id", "egress.ip-permission.group-id"] {
        let groups = crate::security_group::describe(p, vec![filter(key, [id])])
            .await
            .unwrap_or_default();
        for g in groups {
            let refers = g
                .ip_permissions()
                .iter()
                .chain(g.ip_permissions_egress())
                .flat_map(|perm| perm.user_id_group_pairs())
                .any(|pair| pair.group_id() == Some(id));
            let Some(gid) = g.group_id().filter(|g| *g != id) else {
                continue;
            };
            let name = named("security group", gid, g.tags());
            if refers && !held.contains(&name) {
                held.push(name);
            }
        }
    }
    let mut held: Vec<String> = held
        .into_iter()
        .map(|g| format!("{g} refers to it in a rule"))
        .collect();
    held.extend(
        interfaces(p, vec![filter("group-id", [id])])
            .await
            .iter()
            .filter(|n| n.groups().iter().any(|g| g.group_id() == Some(id)))
            .map(|n| format!("{} uses it", interface_named(n))),
    );
    sentence("it is still in use:", held)
}

/// Associations of route table `id` with subnets of the table's own stack (or with subnets
/// that no longer exist): left-overs of
/// the stack's own association deletes (destroy removes a table's associations before the
/// table) whose DisassociateRouteTable failed or was answered without being carried out.
/// Disassociates them again; returns how many it did.
pub(crate) async fn release_own_associations(p: &AwsProvider, id: &str) -> usize {
    let Ok(tables) = crate::route_table::describe(p, vec![filter("route-table-id", [id])]).await
    else {
        return 0;
    };
    let Some(t) = tables.iter().find(|t| t.route_table_id() == Some(id)) else {
        return 0;
    };
    let Some(stack) = stack_of(t.tags()) else {
        return 0;
    };
    let pairs: Vec<(String, String)> = t
        .associations()
        .iter()
        .filter(|a| !a.main().unwrap_or(false))
        .filter_map(|a| {
            Some((
                a.subnet_id()?.to_string(),
                a.route_table_association_id()?.to_string(),
            ))
        })
        .collect();
    if pairs.is_empty() {
        return 0;
    }
    let Ok(subnets) = crate::subnet::describe(
        p,
        vec![filter("subnet-id", pairs.iter().map(|(s, _)| s.clone()))],
    )
    .await
    else {
        return 0;
    };
    let mut released = 0;
    for (subnet, association) in &pairs {
        // a subnet of the same stack, or one already deleted (the emulator lets a subnet
        // be deleted while associated and keeps the association, pointing at nothing)
        let ours = match subnets
            .iter()
            .find(|s| s.subnet_id() == Some(subnet.as_str()))
        {
            Some(s) => stack_of(s.tags()) == Some(stack),
            None => true,
        };
        if !ours {
            continue;
        }
        tracing::warn!(
            route_table = id,
            subnet,
            association,
            "the route table is still associated with a subnet of its stack (an earlier disassociation failed or was not carried out); disassociating again"
        );
        if crate::route_table::delete_association(p, association)
            .await
            .is_ok()
        {
            released += 1;
        }
    }
    released
}
