//! VPC peering: `aws_vpc_peering_connection` (the requester's side), its accepter's side
//! `aws_vpc_peering_connection_accepter`, and `aws_vpc_peering_connection_options`.
//!
//! All three are the same EC2 object (id `pcx-...`), read with the same mapping as the
//! Terraform provider: `vpc_id` is the requester's VPC, `peer_*` the accepter's, and the
//! `accepter` / `requester` blocks are each side's peering options (AWS reports them only
//! while the connection is active).
//!
//! A refresh is one DescribeVpcPeeringConnections with an id filter per 200 ids, kept to
//! the ids asked for on the client (LocalStack ignores every filter of this call). A
//! connection `deleted`, `rejected`, `failed` or `expired` is gone: AWS lists such
//! connections for a while (LocalStack forever). CreateVpcPeeringConnection takes no client
//! token, so a create whose answer was lost is found again by its `infra:*` tags. The
//! accepter and the options make nothing: their create accepts / sets options on a
//! connection that exists, and their destroy only forgets it, as in Terraform (the
//! requester's side owns the connection).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{
    Filter, PeeringConnectionOptionsRequest, ResourceType, VpcPeeringConnection,
    VpcPeeringConnectionVpcInfo,
};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::missing;
use crate::util::{
    describe_chunks, filter, first_block, get_bool, get_str, id_chunks, infra_filters, opt,
    put_tags, tag_spec, update_tags,
};
use crate::AwsProvider;

pub(crate) const CONNECTION: &str = "aws_vpc_peering_connection";
pub(crate) const ACCEPTER: &str = "aws_vpc_peering_connection_accepter";
pub(crate) const OPTIONS: &str = "aws_vpc_peering_connection_options";

/// The options blocks, each a side of the connection.
const SIDES: [&str; 2] = ["accepter", "requester"];

fn status(c: &VpcPeeringConnection) -> &str {
    status_of(c).unwrap_or("")
}

pub(crate) fn status_of(c: &VpcPeeringConnection) -> Option<&str> {
    c.status().and_then(|s| s.code()).map(|c| c.as_str())
}

pub(crate) fn gone(c: &VpcPeeringConnection) -> bool {
    matches!(
        status(c),
        "deleted" | "deleting" | "rejected" | "failed" | "expired"
    )
}

pub(crate) async fn describe(
    p: &AwsProvider,
    filters: Vec<Filter>,
) -> Result<Vec<VpcPeeringConnection>, ProviderError> {
    p.paginate(
        "ec2:DescribeVpcPeeringConnections",
        |token| {
            p.ec2()
                .describe_vpc_peering_connections()
                .set_filters(Some(filters.clone()))
                .max_results(1000)
                .set_next_token(token)
                .send()
        },
        |page| page.vpc_peering_connections(),
        |page| page.next_token(),
    )
    .await
}

/// The live connections among `ids`, by id.
async fn live(
    p: &AwsProvider,
    ids: impl IntoIterator<Item = &str>,
) -> Result<BTreeMap<String, VpcPeeringConnection>, ProviderError> {
    let wanted: BTreeSet<&str> = ids.into_iter().collect();
    let chunks = id_chunks(wanted.iter().copied());
    let found = describe_chunks(chunks, |chunk| {
        describe(p, vec![filter("vpc-peering-connection-id", chunk)])
    })
    .await?;
    Ok(found
        .into_iter()
        .filter(|c| !gone(c))
        .filter_map(|c| {
            let id = c.vpc_peering_connection_id()?;
            wanted.contains(id).then(|| (id.to_string(), c.clone()))
        })
        .collect())
}

/// A side's options block: `[{allow_remote_vpc_dns_resolution}]`, empty while AWS reports
/// none (the connection is not active yet).
fn side(info: Option<&VpcPeeringConnectionVpcInfo>) -> Value {
    let Some(o) = info.and_then(VpcPeeringConnectionVpcInfo::peering_options) else {
        return Value::List(Vec::new());
    };
    Value::List(vec![Value::map([(
        "allow_remote_vpc_dns_resolution",
        Value::Bool(o.allow_dns_resolution_from_remote_vpc().unwrap_or(false)),
    )])])
}

fn to_value(type_name: &str, c: &VpcPeeringConnection, prior: Option<&Value>) -> Value {
    let mut m = BTreeMap::new();
    let id = c.vpc_peering_connection_id().unwrap_or_default();
    m.insert("id".into(), Value::string(id));
    m.insert("accept_status".into(), Value::string(status(c)));
    let (req, acc) = (c.requester_vpc_info(), c.accepter_vpc_info());
    if type_name == OPTIONS {
        m.insert("vpc_peering_connection_id".into(), Value::string(id));
    } else {
        m.insert("vpc_id".into(), opt(req.and_then(|i| i.vpc_id())));
        m.insert("peer_vpc_id".into(), opt(acc.and_then(|i| i.vpc_id())));
        m.insert("peer_owner_id".into(), opt(acc.and_then(|i| i.owner_id())));
        m.insert("peer_region".into(), opt(acc.and_then(|i| i.region())));
        // AWS cannot tell whether the connection was auto-accepted: the configuration's
        // value stays
        let auto = prior
            .map(|p| p.get("auto_accept").clone())
            .unwrap_or(Value::Null);
        m.insert("auto_accept".into(), auto);
        put_tags(&mut m, c.tags(), prior);
        if type_name == ACCEPTER {
            m.insert("vpc_peering_connection_id".into(), Value::string(id));
        }
    }
    m.insert("accepter".into(), side(acc));
    m.insert("requester".into(), side(req));
    Value::Map(m)
}

pub(crate) async fn read(
    p: &AwsProvider,
    type_name: &str,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    if items.is_empty() {
        return Ok(BTreeMap::new());
    }
    let found = live(p, items.iter().map(|i| i.id.as_str())).await?;
    Ok(items
        .iter()
        .filter_map(|i| {
            let c = found.get(&i.id)?;
            Some((i.id.clone(), to_value(type_name, c, Some(&i.prior))))
        })
        .collect())
}

/// The connection `id`, live, or an error naming it.
async fn one(p: &AwsProvider, id: &str) -> Result<VpcPeeringConnection, ProviderError> {
    live(p, [id]).await?.remove(id).ok_or_else(|| {
        ProviderError::new(
            ErrorKind::NotFound,
            format!("VPC peering connection {id} does not exist (or was deleted, rejected or has expired)"),
        )
    })
}

/// Wait until the connection leaves its transitional states (`initiating-request`,
/// `provisioning`): `pending-acceptance` or `active`. `failed` is an error with AWS's reason
/// (overlapping CIDRs, a peer VPC that does not exist).
async fn settled(p: &AwsProvider, id: &str) -> Result<VpcPeeringConnection, ProviderError> {
    let what = format!("VPC peering connection {id} to be ready");
    p.poll(&what, || async {
        let found = describe(p, vec![filter("vpc-peering-connection-id", [id])]).await?;
        let Some(c) = found
            .into_iter()
            .find(|c| c.vpc_peering_connection_id() == Some(id))
        else {
            return Ok(None);
        };
        match status(&c) {
            "pending-acceptance" | "active" => Ok(Some(c)),
            "failed" | "rejected" | "expired" | "deleted" | "deleting" => Err(ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "VPC peering connection {id} is {}: {}",
                    status(&c),
                    c.status()
                        .and_then(|s| s.message())
                        .unwrap_or("no reason given")
                ),
            )),
            _ => Ok(None),
        }
    })
    .await
}

/// Accept a connection pending acceptance and wait until it is active. A resent accept
/// whose first answer was lost finds the connection active.
async fn accept(p: &AwsProvider, id: &str) -> Result<VpcPeeringConnection, ProviderError> {
    let c = settled(p, id).await?;
    if status(&c) == "active" {
        return Ok(c);
    }
    let sent = p
        .call("ec2:AcceptVpcPeeringConnection", || {
            p.ec2()
                .accept_vpc_peering_connection()
                .vpc_peering_connection_id(id)
                .send()
        })
        .await;
    if let Err(e) = sent {
        if status(&one(p, id).await?) != "active" {
            return Err(e);
        }
    }
    let what = format!("VPC peering connection {id} to be active");
    p.poll(&what, || async {
        let c = one(p, id).await?;
        Ok((status(&c) == "active").then_some(c))
    })
    .await
}

/// The configured options of one side: `Some(allow)` when the block is written.
fn configured(config: &Value, side: &str) -> Option<bool> {
    let b = first_block(config, side);
    if b.is_null() {
        return None;
    }
    Some(get_bool(b, "allow_remote_vpc_dns_resolution").unwrap_or(false))
}

/// Set the options of the sides whose configured value differs from `current`'s; the
/// connection must be active.
async fn set_options(
    p: &AwsProvider,
    type_name: &str,
    c: &VpcPeeringConnection,
    config: &Value,
) -> Result<(), ProviderError> {
    let id = c.vpc_peering_connection_id().unwrap_or_default();
    let now = |s: &str| {
        let info = if s == "accepter" {
            c.accepter_vpc_info()
        } else {
            c.requester_vpc_info()
        };
        info.and_then(VpcPeeringConnectionVpcInfo::peering_options)
            .map(|o| o.allow_dns_resolution_from_remote_vpc().unwrap_or(false))
    };
    let changes: Vec<(&str, bool)> = SIDES
        .iter()
        .filter_map(|s| configured(config, s).map(|want| (*s, want)))
        .filter(|(s, want)| now(s) != Some(*want))
        .collect();
    if changes.is_empty() {
        return Ok(());
    }
    if status(c) != "active" {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "{type_name}: the `{}` options of VPC peering connection {id} can only be set once it is active (it is {}); set `auto_accept = true` (same account and region) or accept it with aws_vpc_peering_connection_accepter, and set the options with aws_vpc_peering_connection_options",
                changes[0].0,
                status(c)
            ),
        ));
    }
    let opts = |s: &str| {
        changes.iter().find(|(n, _)| *n == s).map(|(_, want)| {
            PeeringConnectionOptionsRequest::builder()
                .allow_dns_resolution_from_remote_vpc(*want)
                .build()
        })
    };
    p.call("ec2:ModifyVpcPeeringConnectionOptions", || {
        p.ec2()
            .modify_vpc_peering_connection_options()
            .vpc_peering_connection_id(id)
            .set_accepter_peering_connection_options(opts("accepter"))
            .set_requester_peering_connection_options(opts("requester"))
            .send()
    })
    .await?;
    Ok(())
}

/// What the configuration asks of a connection that exists: accepted when `auto_accept`
/// is true, its options set.
/// `read`: the connection as just described, if the caller has it (no second Describe when
/// it is already pending acceptance or active).
async fn converge(
    p: &AwsProvider,
    type_name: &str,
    id: &str,
    config: &Value,
    read: Option<VpcPeeringConnection>,
) -> Result<(), ProviderError> {
    let mut c = match read {
        Some(c) if matches!(status(&c), "pending-acceptance" | "active") => c,
        _ => settled(p, id).await?,
    };
    if get_bool(config, "auto_accept") == Some(true) && status(&c) == "pending-acceptance" {
        c = accept(p, id).await?;
    }
    set_options(p, type_name, &c, config).await
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let t = req.type_name.as_str();
    let config = &req.config;
    if t == CONNECTION {
        // made: from here on it is recorded, and accepting it and setting its options is
        // `wait_ready`'s (a failure there leaves it `creating`, for the next run or a
        // destroy, where a failure here would drop it)
        let id = create_connection(p, req).await?;
        return pending(p, &id, config).await;
    }
    let id = get_str(config, "vpc_peering_connection_id")
        .ok_or_else(|| missing(t, "vpc_peering_connection_id"))?;
    // fails naming the id when there is no such connection
    let c = one(p, id).await?;
    converge(p, t, id, config, Some(c)).await?;
    if t == ACCEPTER {
        // the accepter's tags are the connection's: added, never the requester's removed
        let now = Value::map([("tags", Value::Map(BTreeMap::new()))]);
        update_tags(p, id, &now, config).await?;
    }
    p.read_back(t, id, config).await
}

/// A connection just made (or found again), as recorded until `wait_ready` has accepted it
/// and set its options: what AWS reports, with the configured options still to be set.
async fn pending(p: &AwsProvider, id: &str, config: &Value) -> Result<Value, ProviderError> {
    let mut v = p.read_back(CONNECTION, id, config).await?;
    if let Value::Map(m) = &mut v {
        for s in SIDES {
            if configured(config, s).is_some() {
                m.insert(s.into(), config.get(s).clone());
            }
        }
    }
    Ok(v)
}

/// Accept a connection made by `create` when `auto_accept` is true, and set its options.
pub(crate) async fn wait_ready(
    p: &AwsProvider,
    type_name: &str,
    id: &str,
    current: &Value,
) -> Result<Value, ProviderError> {
    if type_name != CONNECTION {
        return Ok(current.clone());
    }
    converge(p, type_name, id, current, None).await?;
    p.read_back(type_name, id, current).await
}

async fn create_connection(p: &AwsProvider, req: &CreateRequest) -> Result<String, ProviderError> {
    let config = &req.config;
    let vpc = get_str(config, "vpc_id").ok_or_else(|| missing(CONNECTION, "vpc_id"))?;
    let peer = get_str(config, "peer_vpc_id").ok_or_else(|| missing(CONNECTION, "peer_vpc_id"))?;
    let region = get_str(config, "peer_region");
    if get_bool(config, "auto_accept") == Some(true) && region.is_some_and(|r| r != p.region()) {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            format!("{CONNECTION}: `auto_accept` cannot be true with `peer_region` {} (another region): set `auto_accept = false` and accept the connection with aws_vpc_peering_connection_accepter in that region", region.unwrap_or_default()),
        ));
    }
    let spec = tag_spec(ResourceType::VpcPeeringConnection, req);
    let out = p
        .call("ec2:CreateVpcPeeringConnection", || {
            p.ec2()
                .create_vpc_peering_connection()
                .vpc_id(vpc)
                .peer_vpc_id(peer)
                .set_peer_owner_id(get_str(config, "peer_owner_id").map(str::to_string))
                .set_peer_region(region.map(str::to_string))
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    out.vpc_peering_connection()
        .and_then(VpcPeeringConnection::vpc_peering_connection_id)
        .map(str::to_string)
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Other,
                "CreateVpcPeeringConnection returned no id",
            )
        })
}

pub(crate) async fn update(
    p: &AwsProvider,
    type_name: &str,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    converge(p, type_name, id, desired, None).await?;
    if type_name != OPTIONS {
        update_tags(p, id, prior, desired).await?;
    }
    p.read_back(type_name, id, desired).await
}

pub(crate) async fn delete(
    p: &AwsProvider,
    type_name: &str,
    id: &str,
) -> Result<(), ProviderError> {
    if type_name != CONNECTION {
        // the requester's side owns the connection: this only forgets it
        return Ok(());
    }
    p.settle(id, || async {
        p.call("ec2:DeleteVpcPeeringConnection", || {
            p.ec2()
                .delete_vpc_peering_connection()
                .vpc_peering_connection_id(id)
                .send()
        })
        .await
        .map(|_| ())
    })
    .await?;
    let what = format!("VPC peering connection {id} to be deleted");
    p.poll(&what, || async {
        Ok(live(p, [id]).await?.is_empty().then_some(()))
    })
    .await
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let t = req.type_name.as_str();
    if t != CONNECTION {
        // nothing was made: accepting and setting options again is safe
        return Ok(None);
    }
    let found = crate::util::ours(
        describe(p, infra_filters(req)).await?,
        req,
        VpcPeeringConnection::tags,
        VpcPeeringConnection::vpc_peering_connection_id,
    );
    let Some(id) = found
        .iter()
        .find(|c| !gone(c))
        .and_then(VpcPeeringConnection::vpc_peering_connection_id)
    else {
        return Ok(None);
    };
    // the create may have stopped before accepting or setting options: `wait_ready` does
    pending(p, id, &req.config).await.map(Some)
}

/// What Terraform's import ID of these types looks like.
pub(crate) fn id_format(type_name: &str) -> Option<&'static str> {
    matches!(type_name, CONNECTION | ACCEPTER | OPTIONS)
        .then_some("the VPC peering connection id, e.g. pcx-0abc123")
}
