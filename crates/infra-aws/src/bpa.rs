//! VPC Block Public Access: `aws_vpc_block_public_access_options` (the region's internet
//! gateway block mode; id = the region; destroy sets the mode back to `off`, as the
//! Terraform provider does) and `aws_vpc_block_public_access_exclusion` (one VPC or
//! subnet exempted; id = `vpcbpa-exclude-…`; only the mode and tags change in place).
//!
//! Both settle asynchronously on AWS (`update-in-progress`, `create-in-progress`): each
//! write waits for the `*-complete` state. A refresh reads the options with one call and
//! every exclusion of the region with one paginated call (an id list fails the whole call
//! when one of them is gone); a deleted exclusion stays listed as `delete-complete` and
//! counts as gone.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    Filter, InternetGatewayBlockMode, InternetGatewayExclusionMode, ResourceType,
    VpcBlockPublicAccessExclusion, VpcBlockPublicAccessOptions,
};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::util::{get_str, infra_filters, put_tags, tag_spec, update_tags};
use crate::AwsProvider;

pub(crate) const OPTIONS: &str = "aws_vpc_block_public_access_options";
pub(crate) const EXCLUSION: &str = "aws_vpc_block_public_access_exclusion";

// ---- options ----

async fn describe_options(p: &AwsProvider) -> Result<VpcBlockPublicAccessOptions, ProviderError> {
    let out = p
        .call("ec2:DescribeVpcBlockPublicAccessOptions", || {
            p.ec2().describe_vpc_block_public_access_options().send()
        })
        .await?;
    out.vpc_block_public_access_options()
        .cloned()
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Other,
                "DescribeVpcBlockPublicAccessOptions returned no options",
            )
        })
}

fn options_value(p: &AwsProvider, o: &VpcBlockPublicAccessOptions) -> Value {
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(p.region()));
    m.insert(
        "internet_gateway_block_mode".into(),
        o.internet_gateway_block_mode()
            .map(|x| Value::string(x.as_str()))
            .unwrap_or(Value::Null),
    );
    m.insert(
        "aws_account_id".into(),
        crate::util::opt(o.aws_account_id()),
    );
    m.insert(
        "aws_region".into(),
        Value::string(o.aws_region().unwrap_or(p.region())),
    );
    Value::Map(m)
}

pub(crate) async fn read_options(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    // the setting belongs to the provider's region; an id naming another region is not
    // found here
    if !items.iter().any(|i| i.id == p.region()) {
        return Ok(BTreeMap::new());
    }
    let o = describe_options(p).await?;
    Ok(BTreeMap::from([(
        p.region().to_string(),
        options_value(p, &o),
    )]))
}

/// Set the mode and wait until AWS reports the change complete.
async fn set_mode(p: &AwsProvider, mode: &str) -> Result<(), ProviderError> {
    p.call("ec2:ModifyVpcBlockPublicAccessOptions", || {
        p.ec2()
            .modify_vpc_block_public_access_options()
            .internet_gateway_block_mode(InternetGatewayBlockMode::from(mode))
            .send()
    })
    .await?;
    p.poll(
        "the VPC Block Public Access options to finish updating",
        || async {
            let o = describe_options(p).await?;
            let settled = o.state().is_none_or(|s| s.as_str() != "update-in-progress");
            Ok(settled.then_some(()))
        },
    )
    .await
}

fn block_mode(config: &Value) -> Result<&str, ProviderError> {
    get_str(config, "internet_gateway_block_mode")
        .ok_or_else(|| crate::errors::missing(OPTIONS, "internet_gateway_block_mode"))
}

pub(crate) async fn create_options(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    set_mode(p, block_mode(&req.config)?).await?;
    p.read_back(OPTIONS, p.region(), &req.config).await
}

pub(crate) async fn update_options(
    p: &AwsProvider,
    id: &str,
    desired: &Value,
) -> Result<Value, ProviderError> {
    set_mode(p, block_mode(desired)?).await?;
    p.read_back(OPTIONS, id, desired).await
}

pub(crate) async fn delete_options(p: &AwsProvider) -> Result<(), ProviderError> {
    set_mode(p, "off").await
}

/// The region has exactly one setting: a killed create left it as it left it.
pub(crate) async fn adopt_options(p: &AwsProvider) -> Result<Option<Value>, ProviderError> {
    Ok(Some(options_value(p, &describe_options(p).await?)))
}

// ---- exclusions ----

async fn describe_exclusions(
    p: &AwsProvider,
    filters: Vec<Filter>,
) -> Result<Vec<VpcBlockPublicAccessExclusion>, ProviderError> {
    p.paginate(
        "ec2:DescribeVpcBlockPublicAccessExclusions",
        |token| {
            p.ec2()
                .describe_vpc_block_public_access_exclusions()
                .set_filters((!filters.is_empty()).then(|| filters.clone()))
                .max_results(1000)
                .set_next_token(token)
                .send()
        },
        |page| page.vpc_block_public_access_exclusions(),
        |page| page.next_token(),
    )
    .await
}

fn gone(e: &VpcBlockPublicAccessExclusion) -> bool {
    e.state()
        .is_some_and(|s| matches!(s.as_str(), "delete-complete" | "delete-in-progress"))
}

fn exclusion_value(
    e: &VpcBlockPublicAccessExclusion,
    prior: Option<&Value>,
) -> Option<(String, Value)> {
    let id = e.exclusion_id()?.to_string();
    let arn = e.resource_arn().unwrap_or_default();
    // arn:aws:ec2:REGION:ACCOUNT:vpc/vpc-… or …:subnet/subnet-…
    let resource = arn.rsplit(':').next().unwrap_or_default();
    let (vpc, subnet) = match resource.split_once('/') {
        Some(("vpc", v)) => (Value::string(v), Value::Null),
        Some(("subnet", s)) => (Value::Null, Value::string(s)),
        _ => (Value::Null, Value::Null),
    };
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert(
        "internet_gateway_exclusion_mode".into(),
        e.internet_gateway_exclusion_mode()
            .map(|x| Value::string(x.as_str()))
            .unwrap_or(Value::Null),
    );
    m.insert("resource_arn".into(), Value::string(arn));
    m.insert("vpc_id".into(), vpc);
    m.insert("subnet_id".into(), subnet);
    put_tags(&mut m, e.tags(), prior);
    Some((id, Value::Map(m)))
}

pub(crate) async fn read_exclusions(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: BTreeMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    Ok(describe_exclusions(p, vec![])
        .await?
        .iter()
        .filter(|e| !gone(e))
        .filter_map(|e| {
            let prior = priors.get(e.exclusion_id()?)?;
            exclusion_value(e, Some(prior))
        })
        .collect())
}

/// Wait until the exclusion's state is no longer `…-in-progress`; a `…-failed` state is
/// an error naming AWS's reason.
async fn settle_exclusion(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    p.poll(
        &format!("VPC Block Public Access exclusion {id}"),
        || async {
            let found = describe_exclusions(p, vec![]).await?;
            let Some(e) = found.iter().find(|e| e.exclusion_id() == Some(id)) else {
                return Ok(Some(()));
            };
            let state = e.state().map(|s| s.as_str()).unwrap_or_default();
            if state.ends_with("-failed") {
                return Err(ProviderError::new(
                    ErrorKind::Rejected,
                    format!(
                        "VPC Block Public Access exclusion {id} is `{state}`: {}",
                        e.reason().unwrap_or("AWS gave no reason")
                    ),
                ));
            }
            Ok((!state.ends_with("-in-progress")).then_some(()))
        },
    )
    .await
}

fn exclusion_mode(config: &Value) -> Result<&str, ProviderError> {
    get_str(config, "internet_gateway_exclusion_mode")
        .ok_or_else(|| crate::errors::missing(EXCLUSION, "internet_gateway_exclusion_mode"))
}

pub(crate) async fn create_exclusion(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let mode = exclusion_mode(&req.config)?;
    let vpc = get_str(&req.config, "vpc_id");
    let subnet = get_str(&req.config, "subnet_id");
    if vpc.is_some() == subnet.is_some() {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "{}: set exactly one of `vpc_id` and `subnet_id` (the VPC or the subnet to exclude)",
                req.address
            ),
        ));
    }
    let spec = tag_spec(ResourceType::VpcBlockPublicAccessExclusion, req);
    let out = p
        .call("ec2:CreateVpcBlockPublicAccessExclusion", || {
            p.ec2()
                .create_vpc_block_public_access_exclusion()
                .set_vpc_id(vpc.map(str::to_string))
                .set_subnet_id(subnet.map(str::to_string))
                .internet_gateway_exclusion_mode(InternetGatewayExclusionMode::from(mode))
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let id = out
        .vpc_block_public_access_exclusion()
        .and_then(VpcBlockPublicAccessExclusion::exclusion_id)
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Other,
                "CreateVpcBlockPublicAccessExclusion returned no id",
            )
        })?
        .to_string();
    settle_exclusion(p, &id).await?;
    p.read_back(EXCLUSION, &id, &req.config).await
}

pub(crate) async fn update_exclusion(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let mode = exclusion_mode(desired)?;
    if get_str(prior, "internet_gateway_exclusion_mode") != Some(mode) {
        p.call("ec2:ModifyVpcBlockPublicAccessExclusion", || {
            p.ec2()
                .modify_vpc_block_public_access_exclusion()
                .exclusion_id(id)
                .internet_gateway_exclusion_mode(InternetGatewayExclusionMode::from(mode))
                .send()
        })
        .await?;
        settle_exclusion(p, id).await?;
    }
    update_tags(p, id, prior, desired).await?;
    p.read_back(EXCLUSION, id, desired).await
}

pub(crate) async fn delete_exclusion(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    match p
        .call("ec2:DeleteVpcBlockPublicAccessExclusion", || {
            p.ec2()
                .delete_vpc_block_public_access_exclusion()
                .exclusion_id(id)
                .send()
        })
        .await
    {
        Ok(_) => settle_exclusion(p, id).await,
        Err(e) if crate::errors::is_not_found(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

pub(crate) async fn adopt_exclusion(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let found: Vec<_> = describe_exclusions(p, infra_filters(req))
        .await?
        .into_iter()
        .filter(|e| !gone(e))
        .collect();
    let found = crate::util::ours(
        found,
        req,
        VpcBlockPublicAccessExclusion::tags,
        VpcBlockPublicAccessExclusion::exclusion_id,
    );
    Ok(found
        .first()
        .and_then(|e| exclusion_value(e, Some(&req.config)))
        .map(|(_, v)| v))
}
