//! CIDRs of IPAM pools: `aws_vpc_ipam_pool_cidr` (a CIDR provisioned to a pool; id
//! `CIDR_POOLID` as the Terraform provider encodes it, which is also its import id;
//! nothing changes in place) and `aws_vpc_ipam_preview_next_cidr` (the block
//! AllocateIpamPoolCidr with `PreviewNextCidr` would hand out: nothing is reserved, the id
//! is `CIDR_POOLID` too, a read makes no call and a delete does nothing, as in Terraform).
//!
//! Provisioning is asynchronous on AWS: create waits for `provisioned`, delete waits for
//! `deprovisioned`. A CIDR cannot be deprovisioned while a VPC or subnet (or a child pool)
//! holds an allocation inside it; the delete waits for those to go, as a delete waits out a
//! `DependencyViolation`, and names what holds it. A refresh calls GetIpamPoolCidrs once per
//! pool (the API has no call across pools), at most four pools at a time.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ec2::types::{IpamCidrAuthorizationContext, IpamPoolCidr};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{is_not_found, missing};
use crate::util::{describe_chunks, first_block, get_i64, get_str, get_strings};
use crate::AwsProvider;

pub(crate) const CIDR: &str = "aws_vpc_ipam_pool_cidr";
pub(crate) const PREVIEW: &str = "aws_vpc_ipam_preview_next_cidr";

/// The id of a pool CIDR or a preview: `CIDR_POOLID`.
pub(crate) fn encode_id(cidr: &str, pool: &str) -> String {
    format!("{cidr}_{pool}")
}

/// `CIDR_POOLID` -> (cidr, pool id).
pub(crate) fn decode_id<'a>(
    type_name: &str,
    id: &'a str,
) -> Result<(&'a str, &'a str), ProviderError> {
    match id.split('_').collect::<Vec<_>>()[..] {
        [cidr, pool] if !cidr.is_empty() && !pool.is_empty() => Ok((cidr, pool)),
        _ => Err(ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "{type_name} id `{id}` is not CIDR_POOLID (e.g. 10.0.0.0/8_ipam-pool-0abc123); use that form to import it"
            ),
        )),
    }
}

/// The address range of a CIDR as (is IPv6, first, last), for overlap checks.
pub(crate) fn range(cidr: &str) -> Option<(bool, u128, u128)> {
    let (addr, len) = cidr.split_once('/')?;
    let len: u32 = len.parse().ok()?;
    let (v6, bits, start) = match addr.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(a) => (false, 32, u128::from(u32::from(a))),
        std::net::IpAddr::V6(a) => (true, 128, u128::from(a)),
    };
    if len > bits {
        return None;
    }
    let host = bits - len;
    let mask = if host == 128 {
        u128::MAX
    } else {
        (1u128 << host) - 1
    };
    Some((v6, start & !mask, (start & !mask) | mask))
}

/// Whether two CIDRs share an address.
pub(crate) fn overlap(a: &str, b: &str) -> bool {
    match (range(a), range(b)) {
        (Some((v6a, lo_a, hi_a)), Some((v6b, lo_b, hi_b))) => {
            v6a == v6b && lo_a <= hi_b && lo_b <= hi_a
        }
        _ => false,
    }
}

fn number(n: Option<i32>) -> Value {
    n.map(|n| Value::Number(f64::from(n)))
        .unwrap_or(Value::Null)
}

/// States of a CIDR that is (being) provisioned; the others are gone or going.
fn live(c: &IpamPoolCidr) -> bool {
    matches!(
        c.state().map(|s| s.as_str()),
        Some("pending-provision" | "provisioned" | "pending-import" | "failed-deprovision")
    )
}

pub(crate) async fn pool_cidrs(
    p: &AwsProvider,
    pool: &str,
) -> Result<Vec<IpamPoolCidr>, ProviderError> {
    let found = p
        .paginate(
            "ec2:GetIpamPoolCidrs",
            |token| {
                p.ec2()
                    .get_ipam_pool_cidrs()
                    .ipam_pool_id(pool)
                    .max_results(1000)
                    .set_next_token(token)
                    .send()
            },
            |page| page.ipam_pool_cidrs(),
            |page| page.next_token(),
        )
        .await;
    match found {
        Ok(v) => Ok(v),
        // the pool is gone, and its CIDRs with it
        Err(e) if is_not_found(&e) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

fn cidr_value(pool: &str, c: &IpamPoolCidr, prior: Option<&Value>) -> Option<(String, Value)> {
    let cidr = c.cidr()?;
    let id = encode_id(cidr, pool);
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("cidr".into(), Value::string(cidr));
    m.insert("ipam_pool_id".into(), Value::string(pool));
    m.insert("netmask_length".into(), number(c.netmask_length()));
    m.insert(
        "ipam_pool_cidr_id".into(),
        crate::util::opt(c.ipam_pool_cidr_id()),
    );
    // not reported by AWS: what the configuration sent
    m.insert(
        "cidr_authorization_context".into(),
        prior
            .map(|p| p.get("cidr_authorization_context").clone())
            .unwrap_or(Value::Null),
    );
    Some((id, Value::Map(m)))
}

pub(crate) async fn read_cidrs(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: HashMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    let mut pools: Vec<String> = items
        .iter()
        .map(|i| decode_id(CIDR, &i.id).map(|(_, pool)| pool.to_string()))
        .collect::<Result<_, _>>()?;
    pools.sort();
    pools.dedup();
    let chunks = pools.into_iter().map(|pool| vec![pool]).collect();
    let found = describe_chunks(chunks, |chunk| async move {
        let mut out = Vec::new();
        for pool in chunk {
            for c in pool_cidrs(p, &pool).await? {
                out.push((pool.clone(), c));
            }
        }
        Ok(out)
    })
    .await?;
    Ok(found
        .iter()
        .filter(|(_, c)| live(c))
        .filter_map(|(pool, c)| {
            let prior = priors.get(encode_id(c.cidr()?, pool).as_str())?;
            cidr_value(pool, c, Some(prior))
        })
        .collect())
}

/// Wait until the pool's CIDR `cidr_id` is provisioned; `failed-provision` is an error
/// with AWS's reason.
async fn wait_provisioned(
    p: &AwsProvider,
    address: &str,
    pool: &str,
    cidr_id: &str,
) -> Result<IpamPoolCidr, ProviderError> {
    p.poll(&format!("{address}: CIDR {cidr_id} of IPAM pool {pool} to be provisioned"), || async {
        let found = pool_cidrs(p, pool).await?;
        let Some(c) = found.into_iter().find(|c| c.ipam_pool_cidr_id() == Some(cidr_id)) else {
            return Err(ProviderError::new(
                ErrorKind::Other,
                format!("{address}: CIDR {cidr_id} disappeared from IPAM pool {pool} while it was being provisioned; run again"),
            ));
        };
        match c.state().map(|s| s.as_str()) {
            Some("provisioned") => Ok(Some(c)),
            Some(s) if s.starts_with("failed") => Err(ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "{address}: provisioning {} to IPAM pool {pool} is `{s}`: {}",
                    c.cidr().unwrap_or(cidr_id),
                    c.failure_reason()
                        .and_then(|r| r.message())
                        .unwrap_or("AWS gave no reason")
                ),
            )),
            _ => Ok(None),
        }
    })
    .await
}

pub(crate) async fn create_cidr(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    let pool = get_str(c, "ipam_pool_id").ok_or_else(|| missing(CIDR, "ipam_pool_id"))?;
    let cidr = get_str(c, "cidr");
    let netmask = get_i64(c, "netmask_length").and_then(|n| i32::try_from(n).ok());
    if cidr.is_some() == netmask.is_some() {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "{}: set exactly one of `cidr` and `netmask_length` (the block to provision, or its size when the pool has a source pool)",
                req.address
            ),
        ));
    }
    let auth = first_block(c, "cidr_authorization_context");
    let auth = (!auth.is_null()).then(|| {
        IpamCidrAuthorizationContext::builder()
            .set_message(get_str(auth, "message").map(str::to_string))
            .set_signature(get_str(auth, "signature").map(str::to_string))
            .build()
    });
    let out = p
        .call("ec2:ProvisionIpamPoolCidr", || {
            p.ec2()
                .provision_ipam_pool_cidr()
                .ipam_pool_id(pool)
                .set_cidr(cidr.map(str::to_string))
                .set_netmask_length(netmask)
                .set_cidr_authorization_context(auth.clone())
                .client_token(&req.token)
                .send()
        })
        .await?;
    let cidr_id = out
        .ipam_pool_cidr()
        .and_then(IpamPoolCidr::ipam_pool_cidr_id)
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Other,
                "ProvisionIpamPoolCidr returned no CIDR id",
            )
        })?
        .to_string();
    let done = wait_provisioned(p, &req.address.to_string(), pool, &cidr_id).await?;
    let got = done.cidr().ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Other,
            "GetIpamPoolCidrs returned a CIDR without its block",
        )
    })?;
    p.read_back(CIDR, &encode_id(got, pool), c).await
}

/// What still holds an allocation inside `cidr` of `pool`: a VPC, a subnet or a child
/// pool (AWS refuses to deprovision the CIDR until they are gone).
async fn holders(p: &AwsProvider, pool: &str, cidr: &str) -> Result<Vec<String>, ProviderError> {
    let found = p
        .paginate(
            "ec2:GetIpamPoolAllocations",
            |token| {
                p.ec2()
                    .get_ipam_pool_allocations()
                    .ipam_pool_id(pool)
                    .max_results(1000)
                    .set_next_token(token)
                    .send()
            },
            |page| page.ipam_pool_allocations(),
            |page| page.next_token(),
        )
        .await;
    let found = match found {
        Ok(v) => v,
        Err(e) if is_not_found(&e) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(found
        .iter()
        .filter(|a| {
            matches!(
                a.resource_type().map(|t| t.as_str()),
                Some("vpc" | "subnet" | "ipam-pool")
            )
        })
        .filter(|a| a.cidr().is_some_and(|c| overlap(c, cidr)))
        .map(|a| {
            format!(
                "{} {} ({})",
                a.resource_type().map(|t| t.as_str()).unwrap_or("resource"),
                a.resource_id().unwrap_or("?"),
                a.cidr().unwrap_or("?")
            )
        })
        .collect())
}

pub(crate) async fn delete_cidr(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let (cidr, pool) = decode_id(CIDR, id)?;
    p.settle_explained(
        id,
        || async {
            let held = holders(p, pool, cidr).await?;
            if !held.is_empty() {
                return Err(ProviderError::new(
                    ErrorKind::Rejected,
                    format!("allocated to {}", held.join(", ")),
                )
                .with_code("DependencyViolation"));
            }
            match p
                .call("ec2:DeprovisionIpamPoolCidr", || {
                    p.ec2()
                        .deprovision_ipam_pool_cidr()
                        .ipam_pool_id(pool)
                        .cidr(cidr)
                        .send()
                })
                .await
            {
                Ok(_) => Ok(()),
                // already deprovisioned or on its way: the wait below sees it go
                Err(e) if crate::errors::has_code(&e, &["IncorrectState"]) => Ok(()),
                Err(e) => Err(e),
            }
        },
        || async {
            holders(p, pool, cidr)
                .await
                .ok()
                .filter(|h| !h.is_empty())
                .map(|h| format!("the CIDR is still allocated to {}", h.join(", ")))
        },
    )
    .await?;
    p.poll(
        &format!("CIDR {cidr} of IPAM pool {pool} to be deprovisioned"),
        || async {
            let found = pool_cidrs(p, pool).await?;
            let pending = found.iter().any(|c| {
                c.cidr() == Some(cidr)
                    && matches!(
                        c.state().map(|s| s.as_str()),
                        Some("pending-deprovision" | "provisioned")
                    )
            });
            Ok((!pending).then_some(()))
        },
    )
    .await
}

/// A CIDR provisioned by a create whose answer was lost: the configured block in the pool
/// (with only `netmask_length`, the block AWS chose cannot be told apart: not adopted).
pub(crate) async fn adopt_cidr(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let (Some(pool), Some(cidr)) = (
        get_str(&req.config, "ipam_pool_id"),
        get_str(&req.config, "cidr"),
    ) else {
        return Ok(None);
    };
    let found = pool_cidrs(p, pool).await?;
    let Some(c) = found.iter().find(|c| live(c) && c.cidr() == Some(cidr)) else {
        return Ok(None);
    };
    if let Some(cidr_id) = c.ipam_pool_cidr_id() {
        wait_provisioned(p, &req.address.to_string(), pool, cidr_id).await?;
    }
    Ok(cidr_value(pool, c, Some(&req.config)).map(|(_, v)| v))
}

// ---- preview ----

fn preview_value(id: &str, prior: &Value) -> Result<Value, ProviderError> {
    let (cidr, pool) = decode_id(PREVIEW, id)?;
    Ok(Value::map([
        ("id", Value::string(id)),
        ("cidr", Value::string(cidr)),
        ("ipam_pool_id", Value::string(pool)),
        ("netmask_length", prior.get("netmask_length").clone()),
        ("disallowed_cidrs", prior.get("disallowed_cidrs").clone()),
    ]))
}

/// No call: the id holds the previewed block and the pool, as in Terraform.
pub(crate) fn read_previews(
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    items
        .iter()
        .map(|i| Ok((i.id.clone(), preview_value(&i.id, &i.prior)?)))
        .collect()
}

pub(crate) async fn create_preview(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    let pool = get_str(c, "ipam_pool_id").ok_or_else(|| missing(PREVIEW, "ipam_pool_id"))?;
    let netmask = get_i64(c, "netmask_length").and_then(|n| i32::try_from(n).ok());
    let disallowed = get_strings(c, "disallowed_cidrs");
    let out = p
        .call("ec2:AllocateIpamPoolCidr", || {
            p.ec2()
                .allocate_ipam_pool_cidr()
                .ipam_pool_id(pool)
                .preview_next_cidr(true)
                .set_netmask_length(netmask)
                .set_disallowed_cidrs((!disallowed.is_empty()).then(|| disallowed.clone()))
                .send()
        })
        .await
        .map_err(|e| {
            let mut e = e;
            e.message = format!(
                "{}: previewing the next CIDR of IPAM pool {pool}: {} (the pool needs a provisioned CIDR with room: make this depend on its aws_vpc_ipam_pool_cidr)",
                req.address, e.message
            );
            e
        })?;
    let cidr = out
        .ipam_pool_allocation()
        .and_then(|a| a.cidr())
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Other,
                format!(
                    "{}: AllocateIpamPoolCidr (preview) returned no CIDR",
                    req.address
                ),
            )
        })?;
    preview_value(&encode_id(cidr, pool), c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_cidr_and_the_pool_joined_by_an_underscore() {
        let id = encode_id("10.0.0.0/8", "ipam-pool-0abc");
        assert_eq!(id, "10.0.0.0/8_ipam-pool-0abc");
        assert_eq!(
            decode_id(CIDR, &id).unwrap(),
            ("10.0.0.0/8", "ipam-pool-0abc")
        );
        let v6 = encode_id("2600:1f00::/52", "ipam-pool-1");
        assert_eq!(
            decode_id(CIDR, &v6).unwrap(),
            ("2600:1f00::/52", "ipam-pool-1")
        );
        for bad in ["10.0.0.0/8", "_ipam-pool-1", "10.0.0.0/8_", "a_b_c", ""] {
            let e = decode_id(PREVIEW, bad).unwrap_err();
            assert!(e.message.contains("CIDR_POOLID"), "{bad}: {}", e.message);
            assert!(e.message.contains(PREVIEW), "{}", e.message);
        }
    }

    #[test]
    fn overlaps_compare_address_ranges_of_one_family() {
        assert!(overlap("10.0.0.0/8", "10.1.0.0/16"));
        assert!(overlap("10.1.0.0/16", "10.0.0.0/8"));
        assert!(!overlap("10.0.0.0/16", "10.1.0.0/16"));
        assert!(overlap("10.0.0.0/16", "10.0.255.0/24"));
        assert!(!overlap("2600::/56", "10.0.0.0/8"));
        assert!(overlap("2600::/56", "2600:0:0:10::/64"));
        assert!(overlap("0.0.0.0/0", "192.168.1.0/24"));
        assert!(overlap("::/0", "2600::/56"));
        assert!(!overlap("10.0.0.0/33", "10.0.0.0/8"), "not a CIDR");
        assert_eq!(
            range("10.0.0.5/24"),
            Some((false, 0x0a00_0000, 0x0a00_00ff))
        );
    }

    #[test]
    fn a_preview_is_read_from_its_id_without_a_call() {
        let prior = Value::map([("netmask_length", Value::Number(16.0))]);
        let v = preview_value("10.0.0.0/16_ipam-pool-1", &prior).unwrap();
        assert_eq!(v.get("cidr").as_str(), Some("10.0.0.0/16"));
        assert_eq!(v.get("ipam_pool_id").as_str(), Some("ipam-pool-1"));
        assert_eq!(v.get("netmask_length"), &Value::Number(16.0));
    }
}
