//! `aws_customer_gateway`: every argument forces a new gateway (there is no
//! ModifyCustomerGateway); tags change in place. Tagged at creation; a refresh is one
//! DescribeCustomerGateways with a `customer-gateway-id` filter per 200 ids (an id list
//! naming a missing gateway is answered empty by the emulator and fails whole on AWS).
//! Deleted gateways stay listed as `deleted`: they are gone. The emulator ignores tag
//! filters on this call, so adoption checks the `infra:*` tags itself (`util::ours`).

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{CustomerGateway, Filter, GatewayType, ResourceType};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::missing;
use crate::util::{ec2_arn, get_str, infra_filters, opt, put_tags, tag_spec};
use crate::vpn_gateway::{account, gone};
use crate::AwsProvider;

pub(crate) const CUSTOMER: &str = "aws_customer_gateway";

async fn describe_customer(
    p: &AwsProvider,
    filters: Vec<Filter>,
) -> Result<Vec<CustomerGateway>, ProviderError> {
    let out = p
        .call("ec2:DescribeCustomerGateways", || {
            p.ec2()
                .describe_customer_gateways()
                .set_filters(Some(filters.clone()))
                .send()
        })
        .await?;
    Ok(out.customer_gateways().to_vec())
}

fn customer_value(
    p: &AwsProvider,
    account: Option<&str>,
    g: &CustomerGateway,
    prior: Option<&Value>,
) -> Option<(String, Value)> {
    let id = g.customer_gateway_id()?.to_string();
    if gone(g.state()) {
        return None;
    }
    // the emulator leaves out DeviceName and BgpAsnExtended (AWS answers both): keep the
    // prior's when the answer has none
    let prior_of = |k: &str| {
        prior
            .map(|p| p.get(k).clone())
            .filter(|v| !v.is_unknown())
            .unwrap_or(Value::Null)
    };
    let or_prior = |v: Option<&str>, k: &str| v.map(Value::string).unwrap_or_else(|| prior_of(k));
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("arn".into(), ec2_arn(p, account, "customer-gateway", &id));
    m.insert("type".into(), opt(g.r#type()));
    m.insert("ip_address".into(), opt(g.ip_address()));
    m.insert("bgp_asn".into(), or_prior(g.bgp_asn(), "bgp_asn"));
    m.insert(
        "bgp_asn_extended".into(),
        or_prior(g.bgp_asn_extended(), "bgp_asn_extended"),
    );
    m.insert("certificate_arn".into(), opt(g.certificate_arn()));
    m.insert(
        "device_name".into(),
        or_prior(g.device_name(), "device_name"),
    );
    put_tags(&mut m, g.tags(), prior);
    Some((id, Value::Map(m)))
}

pub(crate) async fn read_customer(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    if items.is_empty() {
        return Ok(BTreeMap::new());
    }
    let account = account(p).await?;
    crate::util::read_by_id(
        items,
        "customer-gateway-id",
        |filters| describe_customer(p, filters),
        CustomerGateway::customer_gateway_id,
        |g, prior| customer_value(p, account.as_deref(), g, prior),
    )
    .await
}

pub(crate) async fn create_customer(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    let kind = get_str(c, "type").ok_or_else(|| missing(CUSTOMER, "type"))?;
    let asn = match get_str(c, "bgp_asn") {
        Some(a) => Some(a.parse::<i32>().map_err(|_| {
            ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "{}: bgp_asn `{a}` is not a 2-byte ASN (1-2147483647); write larger ones in bgp_asn_extended",
                    req.address
                ),
            )
        })?),
        None => None,
    };
    let extended = match get_str(c, "bgp_asn_extended") {
        Some(a) => Some(a.parse::<i64>().map_err(|_| {
            ProviderError::new(
                ErrorKind::Rejected,
                format!("{}: bgp_asn_extended `{a}` is not a number", req.address),
            )
        })?),
        None => None,
    };
    let spec = tag_spec(ResourceType::CustomerGateway, req);
    let out = p
        .call("ec2:CreateCustomerGateway", || {
            p.ec2()
                .create_customer_gateway()
                .r#type(GatewayType::from(kind))
                .set_bgp_asn(asn)
                .set_bgp_asn_extended(extended)
                .set_ip_address(get_str(c, "ip_address").map(str::to_string))
                .set_certificate_arn(get_str(c, "certificate_arn").map(str::to_string))
                .set_device_name(get_str(c, "device_name").map(str::to_string))
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let id = out
        .customer_gateway()
        .and_then(CustomerGateway::customer_gateway_id)
        .ok_or_else(|| {
            ProviderError::new(ErrorKind::Other, "CreateCustomerGateway returned no id")
        })?
        .to_string();
    p.read_back(CUSTOMER, &id, c).await
}

pub(crate) async fn delete_customer(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    match p
        .call("ec2:DeleteCustomerGateway", || {
            p.ec2()
                .delete_customer_gateway()
                .customer_gateway_id(id)
                .send()
        })
        .await
    {
        Err(e) if crate::errors::has_code(&e, &["InvalidCustomerGatewayID.NotFound"]) => Ok(()),
        r => r.map(|_| ()),
    }
}

pub(crate) async fn adopt_customer(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let found = crate::util::ours(
        describe_customer(p, infra_filters(req)).await?,
        req,
        CustomerGateway::tags,
        CustomerGateway::customer_gateway_id,
    );
    let Some(id) = found
        .iter()
        .filter(|g| !gone(g.state()))
        .find_map(CustomerGateway::customer_gateway_id)
    else {
        return Ok(None);
    };
    p.read_back(CUSTOMER, id, &req.config).await.map(Some)
}
