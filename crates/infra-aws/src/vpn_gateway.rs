//! `aws_vpn_gateway` (virtual private gateway; `vpc_id` attaches and detaches in place) and
//! `aws_vpn_gateway_attachment` (id = Terraform's `vpn-attachment-<crc32 of VPC-VGW>`).
//!
//! Gateways are tagged at creation; a refresh is one DescribeVpnGateways with an id filter
//! per 200 ids. Deleted gateways stay listed as `deleted` for a while on AWS and on the
//! emulator: they are gone. An attachment is read through its gateway (one
//! DescribeVpnGateways for all); an interrupted attach is adopted by its natural key.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ec2::types::{AttachmentStatus, Filter, GatewayType, ResourceType, VpnGateway};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::missing;
use crate::util::{ec2_arn, filter, get_str, id_chunks, infra_filters, opt, put_tags, tag_spec};
use crate::AwsProvider;

pub(crate) const VGW: &str = "aws_vpn_gateway";
pub(crate) const ATTACHMENT: &str = "aws_vpn_gateway_attachment";

/// The account, for the gateways' ARNs (their Describe answers carry no owner): one
/// GetCallerIdentity per batch.
pub(crate) async fn account(p: &AwsProvider) -> Result<Option<String>, ProviderError> {
    let out = p
        .call("sts:GetCallerIdentity", || {
            p.sts().get_caller_identity().send()
        })
        .await?;
    Ok(out.account().map(str::to_string))
}

pub(crate) fn gone(state: Option<&str>) -> bool {
    matches!(state, Some("deleted" | "deleting"))
}

// ---- virtual private gateways ----

pub(crate) async fn describe_vgw(
    p: &AwsProvider,
    filters: Vec<Filter>,
) -> Result<Vec<VpnGateway>, ProviderError> {
    let out = p
        .call("ec2:DescribeVpnGateways", || {
            p.ec2()
                .describe_vpn_gateways()
                .set_filters(Some(filters.clone()))
                .send()
        })
        .await?;
    Ok(out.vpn_gateways().to_vec())
}

/// The VPC the gateway is attached to (or being attached to).
fn attached_vpc(g: &VpnGateway) -> Option<&str> {
    g.vpc_attachments()
        .iter()
        .find(|a| {
            matches!(
                a.state(),
                Some(AttachmentStatus::Attached) | Some(AttachmentStatus::Attaching)
            )
        })
        .and_then(|a| a.vpc_id())
}

fn vgw_value(
    p: &AwsProvider,
    account: Option<&str>,
    g: &VpnGateway,
    prior: Option<&Value>,
) -> Option<(String, Value)> {
    let id = g.vpn_gateway_id()?.to_string();
    if gone(g.state().map(|s| s.as_str())) {
        return None;
    }
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("arn".into(), ec2_arn(p, account, "vpn-gateway", &id));
    m.insert(
        "amazon_side_asn".into(),
        opt(g.amazon_side_asn().map(|a| a.to_string()).as_deref()),
    );
    // the emulator answers the string "None" for a gateway created without a zone
    m.insert(
        "availability_zone".into(),
        opt(g.availability_zone().filter(|z| *z != "None")),
    );
    m.insert("vpc_id".into(), opt(attached_vpc(g)));
    put_tags(&mut m, g.tags(), prior);
    Some((id, Value::Map(m)))
}

pub(crate) async fn read_vgw(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    if items.is_empty() {
        return Ok(BTreeMap::new());
    }
    let account = account(p).await?;
    crate::util::read_by_id(
        items,
        "vpn-gateway-id",
        |filters| describe_vgw(p, filters),
        VpnGateway::vpn_gateway_id,
        |g, prior| vgw_value(p, account.as_deref(), g, prior),
    )
    .await
}

/// The gateway's attachment to `vpc` (live or on its way), read again.
async fn attachment_state(
    p: &AwsProvider,
    vgw: &str,
    vpc: &str,
) -> Result<Option<AttachmentStatus>, ProviderError> {
    let found = describe_vgw(p, vec![filter("vpn-gateway-id", [vgw])]).await?;
    Ok(found
        .iter()
        .filter(|g| !gone(g.state().map(|s| s.as_str())))
        .flat_map(|g| g.vpc_attachments())
        .find(|a| a.vpc_id() == Some(vpc))
        .and_then(|a| a.state().cloned()))
}

/// Attach and wait until attached. A refusal because it already is (a resent call whose
/// first answer was lost) is success.
async fn attach(p: &AwsProvider, vgw: &str, vpc: &str) -> Result<(), ProviderError> {
    if let Err(e) = p
        .call("ec2:AttachVpnGateway", || {
            p.ec2()
                .attach_vpn_gateway()
                .vpn_gateway_id(vgw)
                .vpc_id(vpc)
                .send()
        })
        .await
    {
        if !matches!(
            attachment_state(p, vgw, vpc).await?,
            Some(AttachmentStatus::Attached | AttachmentStatus::Attaching)
        ) {
            return Err(e);
        }
    }
    let what = format!("VPN gateway {vgw} to be attached to {vpc}");
    p.poll(&what, || async {
        Ok(matches!(
            attachment_state(p, vgw, vpc).await?,
            Some(AttachmentStatus::Attached)
        )
        .then_some(()))
    })
    .await
}

/// Detach and wait until detached; not attached is success.
async fn detach(p: &AwsProvider, vgw: &str, vpc: &str) -> Result<(), ProviderError> {
    match p
        .call("ec2:DetachVpnGateway", || {
            p.ec2()
                .detach_vpn_gateway()
                .vpn_gateway_id(vgw)
                .vpc_id(vpc)
                .send()
        })
        .await
    {
        Err(e)
            if crate::errors::has_code(
                &e,
                &[
                    "InvalidVpnGatewayAttachment.NotFound",
                    "InvalidVpnGatewayID.NotFound",
                ],
            ) =>
        {
            return Ok(())
        }
        r => r.map(|_| ())?,
    }
    let what = format!("VPN gateway {vgw} to be detached from {vpc}");
    p.poll(&what, || async {
        Ok(matches!(
            attachment_state(p, vgw, vpc).await?,
            None | Some(AttachmentStatus::Detached)
        )
        .then_some(()))
    })
    .await
}

pub(crate) async fn create_vgw(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    let asn = match get_str(c, "amazon_side_asn") {
        Some(a) => Some(a.parse::<i64>().map_err(|_| {
            ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "{}: amazon_side_asn `{a}` is not a number (64512-65534 or 4200000000-4294967294)",
                    req.address
                ),
            )
        })?),
        None => None,
    };
    let spec = tag_spec(ResourceType::VpnGateway, req);
    let out = p
        .call("ec2:CreateVpnGateway", || {
            p.ec2()
                .create_vpn_gateway()
                .r#type(GatewayType::Ipsec1)
                .set_amazon_side_asn(asn)
                .set_availability_zone(get_str(c, "availability_zone").map(str::to_string))
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let id = out
        .vpn_gateway()
        .and_then(VpnGateway::vpn_gateway_id)
        .ok_or_else(|| ProviderError::new(ErrorKind::Other, "CreateVpnGateway returned no id"))?
        .to_string();
    if let Some(vpc) = get_str(c, "vpc_id") {
        attach(p, &id, vpc).await?;
    }
    p.read_back(VGW, &id, c).await
}

pub(crate) async fn update_vgw(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let (old, new) = (get_str(prior, "vpc_id"), get_str(desired, "vpc_id"));
    if old != new && !desired.get("vpc_id").is_unknown() {
        if let Some(old) = old {
            detach(p, id, old).await?;
        }
        if let Some(new) = new {
            attach(p, id, new).await?;
        }
    }
    crate::util::update_tags(p, id, prior, desired).await?;
    p.read_back(VGW, id, desired).await
}

pub(crate) async fn delete_vgw(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    // detach first: AWS refuses to delete an attached gateway (IncorrectState)
    let found = describe_vgw(p, vec![filter("vpn-gateway-id", [id])]).await?;
    for g in found
        .iter()
        .filter(|g| !gone(g.state().map(|s| s.as_str())))
    {
        if let Some(vpc) = attached_vpc(g) {
            detach(p, id, vpc).await?;
        }
    }
    match p
        .call("ec2:DeleteVpnGateway", || {
            p.ec2().delete_vpn_gateway().vpn_gateway_id(id).send()
        })
        .await
    {
        Err(e) if crate::errors::has_code(&e, &["InvalidVpnGatewayID.NotFound"]) => Ok(()),
        r => r.map(|_| ()),
    }
}

pub(crate) async fn adopt_vgw(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let found = crate::util::ours(
        describe_vgw(p, infra_filters(req)).await?,
        req,
        VpnGateway::tags,
        VpnGateway::vpn_gateway_id,
    );
    let Some(g) = found.iter().find(|g| !gone(g.state().map(|s| s.as_str()))) else {
        return Ok(None);
    };
    let Some(id) = g.vpn_gateway_id() else {
        return Ok(None);
    };
    // the create may have stopped before the attachment
    if let (Some(want), None) = (get_str(&req.config, "vpc_id"), attached_vpc(g)) {
        attach(p, id, want).await?;
    }
    p.read_back(VGW, id, &req.config).await.map(Some)
}

// ---- attachments ----

/// CRC-32 (IEEE), the hash of the Terraform provider's `create.StringHashcode`.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// Terraform's id of the attachment of `vgw` to `vpc`.
pub(crate) fn attachment_id(vpc: &str, vgw: &str) -> String {
    format!(
        "vpn-attachment-{:x}",
        crc32(format!("{vpc}-{vgw}").as_bytes())
    )
}

fn attachment_value(id: &str, vpc: &str, vgw: &str) -> Value {
    Value::map([
        ("id", Value::string(id)),
        ("vpc_id", Value::string(vpc)),
        ("vpn_gateway_id", Value::string(vgw)),
    ])
}

/// Each attachment through its gateway (one DescribeVpnGateways per 200 gateways); the
/// pair comes from the prior, the id is its hash.
pub(crate) async fn read_attachments(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let pairs: Vec<(&str, &str, &str)> = items
        .iter()
        .filter_map(|i| {
            let (vpc, vgw) = (
                get_str(&i.prior, "vpc_id")?,
                get_str(&i.prior, "vpn_gateway_id")?,
            );
            (attachment_id(vpc, vgw) == i.id).then_some((i.id.as_str(), vpc, vgw))
        })
        .collect();
    let mut gateways: HashMap<String, VpnGateway> = HashMap::new();
    for chunk in id_chunks(pairs.iter().map(|(_, _, g)| *g)) {
        for g in describe_vgw(p, vec![filter("vpn-gateway-id", chunk)]).await? {
            if let Some(id) = g.vpn_gateway_id().map(str::to_string) {
                if !gone(g.state().map(|s| s.as_str())) {
                    gateways.insert(id, g);
                }
            }
        }
    }
    Ok(pairs
        .into_iter()
        .filter(|(_, vpc, vgw)| {
            gateways
                .get(*vgw)
                .is_some_and(|g| attached_vpc(g) == Some(*vpc))
        })
        .map(|(id, vpc, vgw)| (id.to_string(), attachment_value(id, vpc, vgw)))
        .collect())
}

pub(crate) async fn create_attachment(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let vpc = get_str(&req.config, "vpc_id").ok_or_else(|| missing(ATTACHMENT, "vpc_id"))?;
    let vgw = get_str(&req.config, "vpn_gateway_id")
        .ok_or_else(|| missing(ATTACHMENT, "vpn_gateway_id"))?;
    attach(p, vgw, vpc).await?;
    let id = attachment_id(vpc, vgw);
    Ok(attachment_value(&id, vpc, vgw))
}

/// The pair an attachment id stands for, from its prior.
pub(crate) async fn delete_attachment(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    let (Some(vpc), Some(vgw)) = (get_str(prior, "vpc_id"), get_str(prior, "vpn_gateway_id"))
    else {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            format!("{ATTACHMENT} {id}: the state names no vpc_id and vpn_gateway_id"),
        ));
    };
    detach(p, vgw, vpc).await
}

/// An interrupted attach is found by its natural key: the gateway attached to the VPC.
pub(crate) async fn adopt_attachment(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let (Some(vpc), Some(vgw)) = (
        get_str(&req.config, "vpc_id"),
        get_str(&req.config, "vpn_gateway_id"),
    ) else {
        return Ok(None);
    };
    Ok(match attachment_state(p, vgw, vpc).await? {
        Some(AttachmentStatus::Attached | AttachmentStatus::Attaching) => {
            create_attachment(p, req).await.map(Some)?
        }
        _ => None,
    })
}

/// `VPCID/VPNGATEWAYID` (the Terraform provider cannot import this type): the attachment's id.
pub(crate) fn resolve_import(import_id: &str) -> Result<String, ProviderError> {
    match import_id.split_once('/') {
        Some((vpc, vgw)) if vpc.starts_with("vpc-") && vgw.starts_with("vgw-") => {
            Ok(attachment_id(vpc, vgw))
        }
        _ if import_id.starts_with("vpn-attachment-") => Ok(import_id.to_string()),
        _ => Err(ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "`{import_id}` is not an import ID of {ATTACHMENT}; write VPCID/VPNGATEWAYID, e.g. vpc-0abc123/vgw-0def456"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_ids_are_terraforms() {
        // crc32("123456789") is the standard check value
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(
            attachment_id("vpc-1", "vgw-2"),
            format!("vpn-attachment-{:x}", crc32(b"vpc-1-vgw-2"))
        );
        assert_eq!(
            resolve_import("vpc-1/vgw-2").unwrap(),
            attachment_id("vpc-1", "vgw-2")
        );
        assert!(resolve_import("vgw-2").is_err());
    }
}
