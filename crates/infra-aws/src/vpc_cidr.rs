//! `aws_vpc_ipv4_cidr_block_association`: a secondary IPv4 CIDR of a VPC. Every argument
//! forces a new association; the id (and Terraform's import ID) is the association id
//! (`vpc-cidr-assoc-…`). Create waits until the block is `associated`, delete until it
//! is gone; subnets in the block wait for it through their reference to it.
//!
//! Reads are batched: one DescribeVpcs (`vpc-id` filter) for the VPCs the state names.
//! An import names the association only: it is looked up by its id
//! (`cidr-block-association.association-id`, one value per call: the emulator matches a
//! multi-valued filter on a list attribute only when it holds all the values).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ec2::types::{Vpc, VpcCidrBlockState, VpcCidrBlockStateCode};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{is_not_found, missing};
use crate::util::{describe_chunks, filter, get_str, id_chunks};
use crate::AwsProvider;

pub(crate) const TYPE: &str = "aws_vpc_ipv4_cidr_block_association";

fn live(state: Option<&VpcCidrBlockState>) -> bool {
    matches!(
        state.and_then(VpcCidrBlockState::state),
        None | Some(VpcCidrBlockStateCode::Associated | VpcCidrBlockStateCode::Associating)
    )
}

/// `(association id, value)` of every live secondary block of `vpc`.
fn values(vpc: &Vpc, prior: impl Fn(&str) -> Option<Value>) -> Vec<(String, Value)> {
    let Some(vpc_id) = vpc.vpc_id() else {
        return vec![];
    };
    vpc.cidr_block_association_set()
        .iter()
        .filter(|a| live(a.cidr_block_state()) && a.cidr_block() != vpc.cidr_block())
        .filter_map(|a| {
            let id = a.association_id()?.to_string();
            let mut m = prior(&id)
                .and_then(|p| p.as_map().cloned())
                .unwrap_or_default();
            m.insert("id".into(), Value::string(&id));
            m.insert("vpc_id".into(), Value::string(vpc_id));
            m.insert("cidr_block".into(), crate::util::opt(a.cidr_block()));
            for k in ["ipv4_ipam_pool_id", "ipv4_netmask_length"] {
                m.entry(k.to_string()).or_insert(Value::Null);
            }
            Some((id, Value::Map(m)))
        })
        .collect()
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: HashMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    let prior = |id: &str| priors.get(id).map(|v| (*v).clone());
    let mut out = BTreeMap::new();
    let chunks = id_chunks(items.iter().filter_map(|i| get_str(&i.prior, "vpc_id")));
    for vpc in describe_chunks(chunks, |c| {
        crate::vpc::describe(p, vec![filter("vpc-id", c)])
    })
    .await?
    {
        out.extend(values(&vpc, prior));
    }
    // an import (or a prior without its VPC): by the association id, one at a time
    let unread: Vec<&ReadRequest> = items
        .iter()
        .filter(|i| get_str(&i.prior, "vpc_id").is_none() && !out.contains_key(&i.id))
        .collect();
    for i in unread {
        let f = filter("cidr-block-association.association-id", [i.id.as_str()]);
        for vpc in crate::vpc::describe(p, vec![f]).await? {
            out.extend(values(&vpc, prior));
        }
    }
    Ok(out)
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let vpc = get_str(&req.config, "vpc_id").ok_or_else(|| missing(TYPE, "vpc_id"))?;
    let cidr = get_str(&req.config, "cidr_block");
    let pool = get_str(&req.config, "ipv4_ipam_pool_id");
    let length = req
        .config
        .get("ipv4_netmask_length")
        .as_i64()
        .and_then(|n| i32::try_from(n).ok());
    if cidr.is_none() && pool.is_none() {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            format!("{}: set `cidr_block` (or `ipv4_ipam_pool_id`)", req.address),
        ));
    }
    let out = p
        .call("ec2:AssociateVpcCidrBlock", || {
            p.ec2()
                .associate_vpc_cidr_block()
                .vpc_id(vpc)
                .set_cidr_block(cidr.map(str::to_string))
                .set_ipv4_ipam_pool_id(pool.map(str::to_string))
                .set_ipv4_netmask_length(length)
                .send()
        })
        .await?;
    let id = out
        .cidr_block_association()
        .and_then(|a| a.association_id())
        .ok_or_else(|| {
            ProviderError::new(ErrorKind::Other, "AssociateVpcCidrBlock returned no id")
        })?
        .to_string();
    wait(p, vpc, &id, true).await?;
    p.read_back(TYPE, &id, &req.config).await
}

/// Wait until association `id` of `vpc` is associated (`present`) or gone.
async fn wait(p: &AwsProvider, vpc: &str, id: &str, present: bool) -> Result<(), ProviderError> {
    let what = format!(
        "CIDR block association {id} to be {}",
        if present {
            "associated"
        } else {
            "disassociated"
        }
    );
    p.poll(&what, || async {
        let vpcs = crate::vpc::describe(p, vec![filter("vpc-id", [vpc])]).await?;
        let state = vpcs
            .iter()
            .flat_map(|v| v.cidr_block_association_set())
            .find(|a| a.association_id() == Some(id))
            .and_then(|a| a.cidr_block_state().and_then(VpcCidrBlockState::state).cloned());
        let done = match state {
            None => !present,
            Some(VpcCidrBlockStateCode::Associated) => present,
            Some(VpcCidrBlockStateCode::Disassociated) => !present,
            Some(VpcCidrBlockStateCode::Failed | VpcCidrBlockStateCode::Failing) if present => {
                return Err(ProviderError::new(
                    ErrorKind::Rejected,
                    format!("the CIDR block association {id} failed; check the block against the VPC's other blocks"),
                ))
            }
            Some(_) => false,
        };
        Ok(done.then_some(()))
    })
    .await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str, prior: &Value) -> Result<(), ProviderError> {
    p.settle(id, || async {
        p.call("ec2:DisassociateVpcCidrBlock", || {
            p.ec2()
                .disassociate_vpc_cidr_block()
                .association_id(id)
                .send()
        })
        .await
        .map(|_| ())
    })
    .await?;
    match get_str(prior, "vpc_id") {
        Some(vpc) => match wait(p, vpc, id, false).await {
            Err(e) if is_not_found(&e) => Ok(()),
            r => r,
        },
        None => Ok(()),
    }
}

/// The VPC already has the block: what an interrupted create made.
pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let (Some(vpc), Some(cidr)) = (
        get_str(&req.config, "vpc_id"),
        get_str(&req.config, "cidr_block"),
    ) else {
        return Ok(None);
    };
    let vpcs = crate::vpc::describe(p, vec![filter("vpc-id", [vpc])]).await?;
    Ok(vpcs
        .iter()
        .flat_map(|v| values(v, |_| Some(req.config.clone())))
        .find(|(id, v)| v.get("cidr_block").as_str() == Some(cidr) && !req.known_ids.contains(id))
        .map(|(_, v)| v))
}
