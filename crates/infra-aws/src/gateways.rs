//! `aws_internet_gateway`: create with tags, attach to / detach from `vpc_id` (also on
//! update), batched DescribeInternetGateways reads.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{AttachmentStatus, Filter, InternetGateway, ResourceType};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::util::{ec2_arn, filter, get_str, infra_filters, opt, put_tags, tag_spec, update_tags};
use crate::AwsProvider;

const TYPE: &str = "aws_internet_gateway";

pub(crate) async fn describe(
    p: &AwsProvider,
    filters: Vec<Filter>,
) -> Result<Vec<InternetGateway>, ProviderError> {
    p.paginate(
        "ec2:DescribeInternetGateways",
        |token| {
            p.ec2()
                .describe_internet_gateways()
                .set_filters(Some(filters.clone()))
                .max_results(1000)
                .set_next_token(token)
                .send()
        },
        |page| page.internet_gateways(),
        |page| page.next_token(),
    )
    .await
}

/// The VPC the gateway is attached to (ignoring attachments on their way out).
fn attached_vpc(g: &InternetGateway) -> Option<&str> {
    g.attachments()
        .iter()
        .find(|a| {
            !matches!(
                a.state(),
                Some(AttachmentStatus::Detached) | Some(AttachmentStatus::Detaching)
            )
        })
        .and_then(|a| a.vpc_id())
}

fn to_value(
    p: &AwsProvider,
    g: &InternetGateway,
    prior: Option<&Value>,
) -> Option<(String, Value)> {
    let id = g.internet_gateway_id()?.to_string();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("vpc_id".into(), opt(attached_vpc(g)));
    m.insert("owner_id".into(), opt(g.owner_id()));
    m.insert(
        "arn".into(),
        ec2_arn(p, g.owner_id(), "internet-gateway", &id),
    );
    put_tags(&mut m, g.tags(), prior);
    Some((id, Value::Map(m)))
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    crate::util::read_by_id(
        items,
        "internet-gateway-id",
        |filters| describe(p, filters),
        InternetGateway::internet_gateway_id,
        |x, prior| to_value(p, x, prior),
    )
    .await
}

async fn attach(p: &AwsProvider, id: &str, vpc: &str) -> Result<(), ProviderError> {
    crate::errors::unless_done(
        p.call("ec2:AttachInternetGateway", || {
            p.ec2()
                .attach_internet_gateway()
                .internet_gateway_id(id)
                .vpc_id(vpc)
                .send()
        })
        .await,
    )?;
    Ok(())
}

async fn detach(p: &AwsProvider, id: &str, vpc: &str) -> Result<(), ProviderError> {
    // DependencyViolation while public addresses are still mapped: wait them out
    p.settle_explained(
        id,
        || async {
            match p
                .call("ec2:DetachInternetGateway", || {
                    p.ec2()
                        .detach_internet_gateway()
                        .internet_gateway_id(id)
                        .vpc_id(vpc)
                        .send()
                })
                .await
            {
                Err(e) if e.code.as_deref() == Some("Gateway.NotAttached") => Ok(()),
                r => r.map(|_| ()),
            }
        },
        || crate::holders::internet_gateway_detach(p, vpc),
    )
    .await
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let spec = tag_spec(ResourceType::InternetGateway, req);
    let out = p
        .call("ec2:CreateInternetGateway", || {
            p.ec2()
                .create_internet_gateway()
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let id = out
        .internet_gateway()
        .and_then(InternetGateway::internet_gateway_id)
        .ok_or_else(|| {
            ProviderError::new(ErrorKind::Other, "CreateInternetGateway returned no id")
        })?
        .to_string();
    if let Some(vpc) = get_str(&req.config, "vpc_id") {
        attach(p, &id, vpc).await?;
    }
    p.read_back(TYPE, &id, &req.config).await
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let (old, new) = (get_str(prior, "vpc_id"), get_str(desired, "vpc_id"));
    if old != new {
        if let Some(old) = old {
            detach(p, id, old).await?;
        }
        if let Some(new) = new {
            attach(p, id, new).await?;
        }
    }
    update_tags(p, id, prior, desired).await?;
    p.read_back(TYPE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let found = describe(p, vec![filter("internet-gateway-id", [id])]).await?;
    let Some(g) = found.iter().find(|g| g.internet_gateway_id() == Some(id)) else {
        return Ok(());
    };
    for a in g.attachments() {
        if let Some(vpc) = a.vpc_id() {
            detach(p, id, vpc).await?;
        }
    }
    p.settle_explained(
        id,
        || async {
            p.call("ec2:DeleteInternetGateway", || {
                p.ec2()
                    .delete_internet_gateway()
                    .internet_gateway_id(id)
                    .send()
            })
            .await
            .map(|_| ())
        },
        || crate::holders::internet_gateway(p, id),
    )
    .await
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let found = crate::util::ours(
        describe(p, infra_filters(req)).await?,
        req,
        InternetGateway::tags,
        InternetGateway::internet_gateway_id,
    );
    let Some(g) = found.first() else {
        return Ok(None);
    };
    let mut v = match to_value(p, g, Some(&req.config)) {
        Some((_, v)) => v,
        None => return Ok(None),
    };
    // the create may have stopped before the attachment
    if let (Some(want), None) = (get_str(&req.config, "vpc_id"), attached_vpc(g)) {
        if let Some(id) = g.internet_gateway_id() {
            attach(p, id, want).await?;
            v = p.read_back(TYPE, id, &req.config).await?;
        }
    }
    Ok(Some(v))
}
