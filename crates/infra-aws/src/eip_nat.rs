//! `aws_eip` (AllocateAddress in the VPC domain) and `aws_nat_gateway` (CreateNatGateway
//! with the idempotency token, wait for `available`, delete waits for `deleted`).
//!
//! Emulator quirks (LocalStack): ClientToken is not honoured, and address / NAT gateway
//! tags are filed under other resource types, so adoption filters on `tag:KEY` only.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    Address, ConnectivityType, DomainType, Filter, NatGateway, NatGatewayState, ResourceType,
};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::missing;
use crate::util::{filter, get_str, infra_filters, opt, put_tags, tag_spec};
use crate::AwsProvider;

// ---- aws_eip ----

pub(crate) async fn describe_addresses(
    p: &AwsProvider,
    filters: Vec<Filter>,
) -> Result<Vec<Address>, ProviderError> {
    // DescribeAddresses is not paginated
    let out = p
        .call("ec2:DescribeAddresses", || {
            p.ec2()
                .describe_addresses()
                .set_filters(Some(filters.clone()))
                .send()
        })
        .await?;
    Ok(out.addresses().to_vec())
}

/// The public DNS name AWS gives an address, as the Terraform provider computes it.
fn public_dns(region: &str, ip: &str) -> String {
    let dashed = ip.replace('.', "-");
    if region == "us-east-1" {
        format!("ec2-{dashed}.compute-1.amazonaws.com")
    } else {
        format!("ec2-{dashed}.{region}.compute.amazonaws.com")
    }
}

/// The private DNS name AWS gives an address, as the Terraform provider computes it.
fn private_dns(region: &str, ip: &str) -> String {
    let dashed = ip.replace('.', "-");
    if region == "us-east-1" {
        format!("ip-{dashed}.ec2.internal")
    } else {
        format!("ip-{dashed}.{region}.compute.internal")
    }
}

fn eip_value(p: &AwsProvider, a: &Address, prior: Option<&Value>) -> Option<(String, Value)> {
    let id = a.allocation_id()?.to_string();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("allocation_id".into(), Value::string(&id));
    m.insert(
        "domain".into(),
        Value::string(a.domain().map(|d| d.as_str()).unwrap_or("vpc")),
    );
    m.insert("public_ip".into(), opt(a.public_ip()));
    m.insert(
        "public_dns".into(),
        a.public_ip()
            .map(|ip| Value::string(public_dns(p.region(), ip)))
            .unwrap_or(Value::Null),
    );
    m.insert("association_id".into(), opt(a.association_id()));
    m.insert("network_interface".into(), opt(a.network_interface_id()));
    m.insert(
        "instance".into(),
        opt(a.instance_id().filter(|i| !i.is_empty())),
    );
    let private = a.private_ip_address();
    m.insert("private_ip".into(), opt(private));
    m.insert(
        "private_dns".into(),
        private
            .map(|ip| Value::string(private_dns(p.region(), ip)))
            .unwrap_or(Value::Null),
    );
    // not read back: what the configuration asked for
    m.insert(
        "associate_with_private_ip".into(),
        prior
            .map(|v| v.get("associate_with_private_ip").clone())
            .unwrap_or(Value::Null),
    );
    put_tags(&mut m, a.tags(), prior);
    Some((id, Value::Map(m)))
}

pub(crate) async fn read_eips(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    crate::util::read_by_id(
        items,
        "allocation-id",
        |filters| describe_addresses(p, filters),
        Address::allocation_id,
        |x, prior| eip_value(p, x, prior),
    )
    .await
}

pub(crate) async fn create_eip(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let domain = get_str(&req.config, "domain").unwrap_or("vpc");
    if domain != "vpc" {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            format!("aws_eip: domain \"{domain}\" is not supported; use domain = \"vpc\""),
        ));
    }
    let spec = tag_spec(ResourceType::ElasticIp, req);
    let out = p
        .call("ec2:AllocateAddress", || {
            p.ec2()
                .allocate_address()
                .domain(DomainType::Vpc)
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let id = out.allocation_id().ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Other,
            "AllocateAddress returned no allocation id",
        )
    })?;
    associate_new(p, id, &req.config).await?;
    p.read_back("aws_eip", id, &req.config).await
}

/// A new address's `instance` / `network_interface`: associated once allocated (also
/// when an interrupted create is finished).
async fn associate_new(p: &AwsProvider, id: &str, config: &Value) -> Result<(), ProviderError> {
    let target = crate::eip_assoc::Target::of_eip(config);
    if !target.is_none() {
        crate::eip_assoc::associate(p, id, &target, None).await?;
    }
    Ok(())
}

pub(crate) async fn update_eip(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    crate::eip_assoc::update_eip(p, id, prior, desired).await?;
    crate::util::update_tags(p, id, prior, desired).await?;
    p.read_back("aws_eip", id, desired).await
}

pub(crate) async fn delete_eip(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    crate::eip_assoc::release_association(p, id, prior).await?;
    // an address whose NAT gateway is still going away stays "in use" for a while
    p.settle(id, || async {
        p.call("ec2:ReleaseAddress", || {
            p.ec2().release_address().allocation_id(id).send()
        })
        .await
        .map(|_| ())
    })
    .await
}

pub(crate) async fn adopt_eip(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let found = crate::util::ours(
        describe_addresses(p, infra_filters(req)).await?,
        req,
        Address::tags,
        Address::allocation_id,
    );
    let Some(a) = found.first() else {
        return Ok(None);
    };
    // the attempt that allocated it may have stopped before associating it: finish
    let target = crate::eip_assoc::Target::of_eip(&req.config);
    if let (Some(id), false) = (a.allocation_id(), target.is_none() || target.holds(a)) {
        associate_new(p, id, &req.config).await?;
        return p.read_back("aws_eip", id, &req.config).await.map(Some);
    }
    Ok(eip_value(p, a, Some(&req.config)).map(|(_, v)| v))
}

// ---- aws_nat_gateway ----

pub(crate) async fn describe_nats(
    p: &AwsProvider,
    filters: Vec<Filter>,
) -> Result<Vec<NatGateway>, ProviderError> {
    p.paginate(
        "ec2:DescribeNatGateways",
        |token| {
            p.ec2()
                .describe_nat_gateways()
                .set_filter(Some(filters.clone()))
                .max_results(1000)
                .set_next_token(token)
                .send()
        },
        |page| page.nat_gateways(),
        |page| page.next_token(),
    )
    .await
}

/// Deleted, deleting and failed gateways count as gone.
pub(crate) fn is_live(n: &NatGateway) -> bool {
    !matches!(
        n.state(),
        Some(NatGatewayState::Deleted)
            | Some(NatGatewayState::Deleting)
            | Some(NatGatewayState::Failed)
    )
}

fn nat_value(n: &NatGateway, prior: Option<&Value>) -> Option<(String, Value)> {
    let id = n.nat_gateway_id()?.to_string();
    let addr = n
        .nat_gateway_addresses()
        .iter()
        .find(|a| a.is_primary().unwrap_or(true))
        .or_else(|| n.nat_gateway_addresses().first());
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("subnet_id".into(), opt(n.subnet_id()));
    m.insert(
        "connectivity_type".into(),
        Value::string(
            n.connectivity_type()
                .map(|c| c.as_str())
                .unwrap_or("public"),
        ),
    );
    m.insert(
        "allocation_id".into(),
        opt(addr.and_then(|a| a.allocation_id())),
    );
    m.insert("public_ip".into(), opt(addr.and_then(|a| a.public_ip())));
    m.insert("private_ip".into(), opt(addr.and_then(|a| a.private_ip())));
    m.insert(
        "network_interface_id".into(),
        opt(addr.and_then(|a| a.network_interface_id())),
    );
    m.insert(
        "association_id".into(),
        opt(addr.and_then(|a| a.association_id())),
    );
    put_tags(&mut m, n.tags(), prior);
    Some((id, Value::Map(m)))
}

pub(crate) async fn read_nats(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    // a deleted gateway stays listed (as on AWS): it counts as gone
    crate::util::read_by_id(
        items,
        "nat-gateway-id",
        |filters| describe_nats(p, filters),
        NatGateway::nat_gateway_id,
        |n, prior| is_live(n).then(|| nat_value(n, prior)).flatten(),
    )
    .await
}

pub(crate) async fn create_nat(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    let subnet = get_str(c, "subnet_id").ok_or_else(|| missing("aws_nat_gateway", "subnet_id"))?;
    let alloc = get_str(c, "allocation_id").map(str::to_string);
    let private_ip = get_str(c, "private_ip").map(str::to_string);
    let connectivity = ConnectivityType::from(get_str(c, "connectivity_type").unwrap_or("public"));
    if connectivity == ConnectivityType::Public && alloc.is_none() {
        return Err(missing(
            "aws_nat_gateway",
            "allocation_id (a public NAT gateway needs an aws_eip)",
        ));
    }
    let spec = tag_spec(ResourceType::Natgateway, req);
    let create = || {
        p.call("ec2:CreateNatGateway", || {
            p.ec2()
                .create_nat_gateway()
                .subnet_id(subnet)
                .set_allocation_id(alloc.clone())
                .set_private_ip_address(private_ip.clone())
                .connectivity_type(connectivity.clone())
                .client_token(&req.token)
                .tag_specifications(spec.clone())
                .send()
        })
    };
    let out = match create().await {
        Err(e) if e.code.as_deref() == Some("Resource.AlreadyAssociated") => match &alloc {
            Some(alloc) => match address_holder(p, alloc, req).await? {
                // held by a NAT gateway that is already deleted (on AWS until the old
                // gateway settles; the emulator keeps it): release it and retry
                Holder::Deleted => {
                    if !disassociate_address(p, alloc).await? {
                        return Err(e);
                    }
                    create().await?
                }
                // this very gateway, made by a create whose answer never came and that
                // landed after the run that sent it stopped looking for it (ClientToken
                // would return it on AWS; the emulator ignores tokens): adopt it
                Holder::Ours(n) => {
                    tracing::info!(address = %req.address, id = ?n.nat_gateway_id(), "adopted the NAT gateway an earlier create made with this address");
                    return nat_value(&n, Some(c)).map(|(_, v)| v).ok_or_else(|| {
                        ProviderError::new(
                            ErrorKind::Other,
                            "the NAT gateway holding the address has no id",
                        )
                    });
                }
                Holder::Live(who) => {
                    let mut out = ProviderError::new(
                        ErrorKind::Rejected,
                        format!("aws_nat_gateway: Elastic IP {alloc} is already used by {who}; give this gateway another aws_eip, or remove that gateway"),
                    )
                    .with_code("Resource.AlreadyAssociated");
                    out.operation = e.operation.clone();
                    return Err(out);
                }
                Holder::Unknown => return Err(e),
            },
            None => return Err(e),
        },
        r => r?,
    };
    // return at once (it is pending on AWS); the engine records it, then calls wait_ready
    match out.nat_gateway().and_then(|n| nat_value(n, Some(c))) {
        Some((_, v)) => Ok(v),
        None => Err(ProviderError::new(
            ErrorKind::Other,
            "CreateNatGateway returned no gateway id",
        )),
    }
}

/// What holds an Elastic IP that CreateNatGateway says is already associated.
enum Holder {
    /// Only NAT gateways that are deleted (the emulator keeps their association).
    Deleted,
    /// A live gateway with `req`'s own `infra:*` tags that the state does not know.
    Ours(NatGateway),
    /// Another live gateway, named.
    Live(String),
    /// No NAT gateway (an instance or network interface, say).
    Unknown,
}

/// Which NAT gateways use `allocation_id`: a live one wins over deleted ones, so that
/// an address is never taken away from a gateway in use. A gateway still `deleting` is
/// waited for (it gives the address back once deleted).
async fn address_holder(
    p: &AwsProvider,
    allocation_id: &str,
    req: &CreateRequest,
) -> Result<Holder, ProviderError> {
    let uses = |n: &NatGateway| {
        n.nat_gateway_addresses()
            .iter()
            .any(|a| a.allocation_id() == Some(allocation_id))
    };
    let all = describe_nats(p, Vec::new()).await?;
    let holders: Vec<&NatGateway> = all.iter().filter(|n| uses(n)).collect();
    if let Some(live) = holders.iter().find(|n| is_live(n)) {
        let id = live.nat_gateway_id().unwrap_or("?");
        if crate::util::has_infra_tags(live.tags(), req) && !req.known_ids.iter().any(|k| k == id) {
            return Ok(Holder::Ours((*live).clone()));
        }
        let address = live
            .tags()
            .iter()
            .find(|t| t.key() == Some(infra_model::tags::ADDRESS))
            .and_then(|t| t.value())
            .unwrap_or("not managed by this stack");
        return Ok(Holder::Live(format!("NAT gateway {id} ({address})")));
    }
    for n in holders
        .iter()
        .filter(|n| n.state() == Some(&NatGatewayState::Deleting))
    {
        if let Some(id) = n.nat_gateway_id() {
            wait_nat_deleted(p, id).await?;
        }
    }
    Ok(if holders.is_empty() {
        Holder::Unknown
    } else {
        Holder::Deleted
    })
}

/// Disassociate `allocation_id` from whatever holds it. Returns whether it did.
async fn disassociate_address(p: &AwsProvider, allocation_id: &str) -> Result<bool, ProviderError> {
    let addresses = describe_addresses(p, vec![filter("allocation-id", [allocation_id])]).await?;
    let Some(association) = addresses
        .iter()
        .find_map(|a| a.association_id().map(str::to_string))
    else {
        return Ok(false);
    };
    p.call("ec2:DisassociateAddress", || {
        p.ec2()
            .disassociate_address()
            .association_id(&association)
            .send()
    })
    .await?;
    tracing::info!(
        allocation_id,
        association,
        "released an address held by a deleted NAT gateway"
    );
    Ok(true)
}

pub(crate) async fn wait_nat_available(
    p: &AwsProvider,
    id: &str,
    current: &Value,
) -> Result<Value, ProviderError> {
    p.poll(&format!("NAT gateway {id} to become available"), || async {
        let found = describe_nats(p, vec![filter("nat-gateway-id", [id])]).await?;
        let Some(n) = found.iter().find(|n| n.nat_gateway_id() == Some(id)) else {
            return Ok(None);
        };
        match n.state() {
            Some(NatGatewayState::Available) => Ok(nat_value(n, Some(current)).map(|(_, v)| v)),
            Some(NatGatewayState::Failed) => Err(ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "NAT gateway {id} failed: {}; fix the cause and run again",
                    n.failure_message().unwrap_or("no reason given")
                ),
            )
            .with_code(n.failure_code().unwrap_or("NatGatewayFailed"))),
            Some(NatGatewayState::Deleted) | Some(NatGatewayState::Deleting) => {
                Err(ProviderError::not_found(format!(
                    "NAT gateway {id} was deleted while waiting for it; run again to re-create it"
                )))
            }
            _ => Ok(None),
        }
    })
    .await
}

pub(crate) async fn delete_nat(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    match p
        .call("ec2:DeleteNatGateway", || {
            p.ec2().delete_nat_gateway().nat_gateway_id(id).send()
        })
        .await
    {
        Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
        r => r.map(|_| ())?,
    }
    wait_nat_deleted(p, id).await
}

async fn wait_nat_deleted(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    p.poll(&format!("NAT gateway {id} to be deleted"), || async {
        let found = describe_nats(p, vec![filter("nat-gateway-id", [id])]).await?;
        Ok(
            match found
                .iter()
                .find(|n| n.nat_gateway_id() == Some(id))
                .and_then(NatGateway::state)
            {
                None | Some(NatGatewayState::Deleted) => Some(()),
                _ => None,
            },
        )
    })
    .await
}

pub(crate) async fn adopt_nat(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let found = crate::util::ours(
        describe_nats(p, infra_filters(req)).await?,
        req,
        NatGateway::tags,
        NatGateway::nat_gateway_id,
    );
    Ok(found
        .iter()
        .filter(|n| is_live(n))
        .find_map(|n| nat_value(n, Some(&req.config)))
        .map(|(_, v)| v))
}
