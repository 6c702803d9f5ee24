//! `aws_egress_only_internet_gateway`: outbound-only IPv6 egress for a VPC. Created
//! attached, with tags and a ClientToken; only tags change in place.
//!
//! DescribeEgressOnlyInternetGateways has no id filter (an id list fails the whole call
//! when one id is gone), so a refresh lists the account's gateways once and keeps ours.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{EgressOnlyInternetGateway, Filter, ResourceType};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::util::{get_str, infra_filters, put_tags, tag_spec, update_tags};
use crate::AwsProvider;

pub(crate) const TYPE: &str = "aws_egress_only_internet_gateway";

async fn describe(
    p: &AwsProvider,
    filters: Vec<Filter>,
) -> Result<Vec<EgressOnlyInternetGateway>, ProviderError> {
    p.paginate(
        "ec2:DescribeEgressOnlyInternetGateways",
        |token| {
            p.ec2()
                .describe_egress_only_internet_gateways()
                .set_filters((!filters.is_empty()).then(|| filters.clone()))
                .max_results(255)
                .set_next_token(token)
                .send()
        },
        |page| page.egress_only_internet_gateways(),
        |page| page.next_token(),
    )
    .await
}

fn to_value(g: &EgressOnlyInternetGateway, prior: Option<&Value>) -> Option<(String, Value)> {
    let id = g.egress_only_internet_gateway_id()?.to_string();
    let vpc = g
        .attachments()
        .iter()
        .find_map(|a| a.vpc_id())
        .map(Value::string)?;
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("vpc_id".into(), vpc);
    put_tags(&mut m, g.tags(), prior);
    Some((id, Value::Map(m)))
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: BTreeMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    Ok(describe(p, vec![])
        .await?
        .iter()
        .filter_map(|g| {
            let prior = priors.get(g.egress_only_internet_gateway_id()?)?;
            to_value(g, Some(prior))
        })
        .collect())
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let vpc =
        get_str(&req.config, "vpc_id").ok_or_else(|| crate::errors::missing(TYPE, "vpc_id"))?;
    let spec = tag_spec(ResourceType::EgressOnlyInternetGateway, req);
    let out = p
        .call("ec2:CreateEgressOnlyInternetGateway", || {
            p.ec2()
                .create_egress_only_internet_gateway()
                .vpc_id(vpc)
                .client_token(&req.token)
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let id = out
        .egress_only_internet_gateway()
        .and_then(EgressOnlyInternetGateway::egress_only_internet_gateway_id)
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Other,
                "CreateEgressOnlyInternetGateway returned no id",
            )
        })?
        .to_string();
    p.read_back(TYPE, &id, &req.config).await
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    update_tags(p, id, prior, desired).await?;
    p.read_back(TYPE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    p.settle(id, || async {
        p.call("ec2:DeleteEgressOnlyInternetGateway", || {
            p.ec2()
                .delete_egress_only_internet_gateway()
                .egress_only_internet_gateway_id(id)
                .send()
        })
        .await
        .map(|_| ())
    })
    .await
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let found = crate::util::ours(
        describe(p, infra_filters(req)).await?,
        req,
        EgressOnlyInternetGateway::tags,
        EgressOnlyInternetGateway::egress_only_internet_gateway_id,
    );
    Ok(found
        .first()
        .and_then(|g| to_value(g, Some(&req.config)))
        .map(|(_, v)| v))
}
