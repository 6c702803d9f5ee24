//! `aws_default_vpc`: the region's default VPC, taken over as Terraform does (as
//! terraform-aws-vpc's `manage_default_vpc` uses it): "create" finds it (and asks AWS to
//! make one with CreateDefaultVpc when the region has none, `existing_default_vpc` then
//! false), brings its DNS attributes and tags to the configuration and tags it `infra:*`;
//! "delete" gives it back (the `infra:*` tags are removed), unless `force_destroy` is set,
//! which deletes it. Reads are `aws_vpc`'s batched read; adoption finds the same VPC again.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Vpc;
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::util::{filter, get_bool};
use crate::AwsProvider;

pub(crate) const TYPE: &str = "aws_default_vpc";

/// The attributes `aws_vpc` does not have, carried from the prior.
fn with_own(mut v: Value, prior: &Value) -> Value {
    if let Value::Map(m) = &mut v {
        m.insert(
            "force_destroy".into(),
            Value::Bool(get_bool(prior, "force_destroy").unwrap_or(false)),
        );
        m.insert(
            "existing_default_vpc".into(),
            Value::Bool(get_bool(prior, "existing_default_vpc").unwrap_or(true)),
        );
    }
    v
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: BTreeMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    Ok(crate::vpc::read(p, items)
        .await?
        .into_iter()
        .map(|(id, v)| {
            let prior = priors.get(id.as_str()).copied().unwrap_or(&Value::Null);
            let v = with_own(v, prior);
            (id, v)
        })
        .collect())
}

async fn find(p: &AwsProvider) -> Result<Option<Vpc>, ProviderError> {
    let found = crate::vpc::describe(p, vec![filter("isDefault", ["true"])]).await?;
    Ok(found.into_iter().find(|v| v.is_default() == Some(true)))
}

/// The configuration as the prior of a read, with `existing_default_vpc`.
fn prior_of(config: &Value, existing: bool) -> Value {
    let mut m = config.as_map().cloned().unwrap_or_default();
    m.insert("existing_default_vpc".into(), Value::Bool(existing));
    Value::Map(m)
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let (id, existing) = match find(p).await? {
        Some(v) => (v.vpc_id().unwrap_or_default().to_string(), true),
        None => {
            let out = p
                .call("ec2:CreateDefaultVpc", || {
                    p.ec2().create_default_vpc().send()
                })
                .await?;
            let id = out.vpc().and_then(Vpc::vpc_id).ok_or_else(|| {
                ProviderError::new(ErrorKind::Other, "CreateDefaultVpc returned no VPC id")
            })?;
            (id.to_string(), false)
        }
    };
    // what it is now, without prior: every attribute as AWS has it
    let item = [ReadRequest {
        id: id.clone(),
        prior: Value::Null,
    }];
    let Some(current) = crate::vpc::read(p, &item).await?.remove(&id) else {
        return Err(ProviderError::not_found(format!(
            "{}: the default VPC {id} cannot be read; run again",
            req.address
        )));
    };
    crate::vpc::update(p, &id, &current, &req.config).await?;
    crate::defaults::tag(p, &id, req).await?;
    p.read_back(TYPE, &id, &prior_of(&req.config, existing))
        .await
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    crate::vpc::update(p, id, prior, desired).await?;
    let mut next = desired.as_map().cloned().unwrap_or_default();
    next.insert(
        "existing_default_vpc".into(),
        prior.get("existing_default_vpc").clone(),
    );
    p.read_back(TYPE, id, &Value::Map(next)).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str, prior: &Value) -> Result<(), ProviderError> {
    if get_bool(prior, "force_destroy") == Some(true) {
        return crate::vpc::delete(p, id).await;
    }
    crate::defaults::release(p, id).await
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let Some(vpc) = find(p).await? else {
        return Ok(None);
    };
    let id = vpc.vpc_id().unwrap_or_default().to_string();
    let item = [ReadRequest {
        id: id.clone(),
        prior: prior_of(&req.config, true),
    }];
    Ok(read(p, &item).await?.remove(&id))
}
