//! `aws_flow_log`: a VPC, subnet, network interface, transit gateway (attachment) or
//! regional NAT gateway flow log into a CloudWatch Logs group, an S3 bucket or a Firehose
//! stream.
//!
//! Everything but the tags forces a new flow log (there is no ModifyFlowLogs). A refresh
//! is one DescribeFlowLogs with a `flow-log-id` filter per 200 ids. Flow logs are tagged at
//! creation and carry the create's ClientToken; adoption finds them by `infra:*` tags.
//! Terraform's ARN is built here (`vpc-flow-log/ID` under the caller's account): the API
//! reports none.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_ec2::types::{
    DestinationFileFormat, DestinationOptionsRequest, FlowLog, FlowLogsResourceType,
    LogDestinationType, ResourceType, TrafficType,
};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::has_code;
use crate::util::{
    ec2_arn, first_block, get_bool, get_i64, get_str, infra_filters, opt, put_tags, read_by_id,
    tag_spec,
};
use crate::AwsProvider;

pub(crate) const TYPE: &str = "aws_flow_log";

const NOT_FOUND: &[&str] = &["InvalidFlowLogId.NotFound"];

/// The arguments naming what the flow log watches, with the API's resource type.
const TARGETS: [(&str, FlowLogsResourceType); 6] = [
    ("vpc_id", FlowLogsResourceType::Vpc),
    ("subnet_id", FlowLogsResourceType::Subnet),
    ("eni_id", FlowLogsResourceType::NetworkInterface),
    ("transit_gateway_id", FlowLogsResourceType::TransitGateway),
    (
        "transit_gateway_attachment_id",
        FlowLogsResourceType::TransitGatewayAttachment,
    ),
    (
        "regional_nat_gateway_id",
        FlowLogsResourceType::RegionalNatGateway,
    ),
];

/// The target argument an id belongs to, by its prefix (as the Terraform provider reads it).
fn target_of(resource_id: &str) -> Option<&'static str> {
    Some(match resource_id {
        r if r.starts_with("vpc-") => "vpc_id",
        r if r.starts_with("tgw-attach-") => "transit_gateway_attachment_id",
        r if r.starts_with("tgw-") => "transit_gateway_id",
        r if r.starts_with("subnet-") => "subnet_id",
        r if r.starts_with("eni-") => "eni_id",
        r if r.starts_with("nat-") => "regional_nat_gateway_id",
        _ => return None,
    })
}

/// The one configured target, or an error naming the resource and what to write.
fn target(req: &CreateRequest) -> Result<(String, FlowLogsResourceType), ProviderError> {
    let set: Vec<_> = TARGETS
        .iter()
        .filter_map(|(k, t)| get_str(&req.config, k).map(|id| (*k, id.to_string(), t.clone())))
        .collect();
    match set.as_slice() {
        [(_, id, t)] => Ok((id.clone(), t.clone())),
        _ => Err(ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "{}: exactly one of {} must be set (found {})",
                req.address,
                TARGETS.map(|(k, _)| k).join(", "),
                if set.is_empty() {
                    "none".to_string()
                } else {
                    set.iter()
                        .map(|(k, _, _)| *k)
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        )),
    }
}

async fn describe(
    p: &AwsProvider,
    filters: Vec<aws_sdk_ec2::types::Filter>,
) -> Result<Vec<FlowLog>, ProviderError> {
    p.paginate(
        "ec2:DescribeFlowLogs",
        |token| {
            p.ec2()
                .describe_flow_logs()
                .set_filter(Some(filters.clone()))
                .set_next_token(token)
                .send()
        },
        |page| page.flow_logs(),
        |page| page.next_token(),
    )
    .await
}

/// The log destination: the cloud's, or (the emulator leaves it out when the flow log was
/// made with a log group name) the prior's when that names the same log group.
fn destination(f: &FlowLog, prior: Option<&Value>) -> Value {
    if let Some(d) = f.log_destination() {
        return Value::string(d);
    }
    let prior = prior.and_then(|p| get_str(p, "log_destination"));
    match (f.log_group_name(), prior) {
        (Some(group), Some(p))
            if p.trim_end_matches(":*")
                .ends_with(&format!(":log-group:{group}")) =>
        {
            Value::string(p)
        }
        _ => Value::Null,
    }
}

fn to_value(
    p: &AwsProvider,
    account: Option<&str>,
    f: &FlowLog,
    prior: Option<&Value>,
) -> Option<(String, Value)> {
    let id = f.flow_log_id()?.to_string();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("arn".into(), ec2_arn(p, account, "vpc-flow-log", &id));
    let resource = f.resource_id().unwrap_or_default();
    let own = target_of(resource);
    for (k, _) in TARGETS {
        let v = if own == Some(k) {
            Value::string(resource)
        } else {
            Value::Null
        };
        m.insert(k.into(), v);
    }
    // a transit gateway's flow log has no traffic type
    let traffic = if resource.starts_with("tgw-") {
        Value::Null
    } else {
        opt(f.traffic_type().map(TrafficType::as_str))
    };
    m.insert("traffic_type".into(), traffic);
    m.insert(
        "log_destination_type".into(),
        opt(f.log_destination_type().map(LogDestinationType::as_str)),
    );
    m.insert("log_destination".into(), destination(f, prior));
    m.insert("iam_role_arn".into(), opt(f.deliver_logs_permission_arn()));
    m.insert(
        "deliver_cross_account_role".into(),
        opt(f.deliver_cross_account_role()),
    );
    m.insert("log_format".into(), opt(f.log_format()));
    m.insert(
        "max_aggregation_interval".into(),
        f.max_aggregation_interval()
            .map(|n| Value::Number(f64::from(n)))
            .unwrap_or(Value::Null),
    );
    let options = f
        .destination_options()
        .map(|o| {
            vec![Value::map([
                (
                    "file_format",
                    opt(o.file_format().map(DestinationFileFormat::as_str)),
                ),
                (
                    "hive_compatible_partitions",
                    Value::Bool(o.hive_compatible_partitions().unwrap_or(false)),
                ),
                (
                    "per_hour_partition",
                    Value::Bool(o.per_hour_partition().unwrap_or(false)),
                ),
            ])]
        })
        .unwrap_or_default();
    m.insert("destination_options".into(), Value::List(options));
    put_tags(&mut m, f.tags(), prior);
    Some((id, Value::Map(m)))
}

/// The caller's account id (GetCallerIdentity, once per provider), for the ARN.
pub(crate) async fn account_id(p: &AwsProvider) -> Result<String, ProviderError> {
    if let Some(a) = p.account.get() {
        return Ok(a.clone());
    }
    let out = p
        .call("sts:GetCallerIdentity", || {
            p.sts().get_caller_identity().send()
        })
        .await?;
    let account = out.account().unwrap_or_default().to_string();
    Ok(p.account.get_or_init(|| account).clone())
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let account = account_id(p).await?;
    read_by_id(
        items,
        "flow-log-id",
        |filters| describe(p, filters),
        FlowLog::flow_log_id,
        |f, prior| to_value(p, Some(&account), f, prior),
    )
    .await
}

/// How long a create waits for a new IAM role to become assumable, as Terraform does.
const IAM_PROPAGATION: Duration = Duration::from_secs(120);

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    let (resource, kind) = target(req)?;
    let tgw = matches!(
        kind,
        FlowLogsResourceType::TransitGateway | FlowLogsResourceType::TransitGatewayAttachment
    );
    let traffic = get_str(c, "traffic_type")
        .filter(|_| !tgw)
        .map(TrafficType::from);
    let options = match first_block(c, "destination_options") {
        Value::Map(_) => {
            let o = first_block(c, "destination_options");
            Some(
                DestinationOptionsRequest::builder()
                    .set_file_format(get_str(o, "file_format").map(DestinationFileFormat::from))
                    .set_hive_compatible_partitions(get_bool(o, "hive_compatible_partitions"))
                    .set_per_hour_partition(get_bool(o, "per_hour_partition"))
                    .build(),
            )
        }
        _ => None,
    };
    let spec = tag_spec(ResourceType::VpcFlowLog, req);
    let started = Instant::now();
    let out = loop {
        let sent = p
            .call("ec2:CreateFlowLogs", || {
                p.ec2()
                    .create_flow_logs()
                    .resource_ids(&resource)
                    .resource_type(kind.clone())
                    .set_traffic_type(traffic.clone())
                    .log_destination_type(LogDestinationType::from(
                        get_str(c, "log_destination_type").unwrap_or("cloud-watch-logs"),
                    ))
                    .set_log_destination(
                        get_str(c, "log_destination").map(|d| d.trim_end_matches(":*").to_string()),
                    )
                    .set_deliver_logs_permission_arn(get_str(c, "iam_role_arn").map(str::to_string))
                    .set_deliver_cross_account_role(
                        get_str(c, "deliver_cross_account_role").map(str::to_string),
                    )
                    .set_log_format(get_str(c, "log_format").map(str::to_string))
                    .set_max_aggregation_interval(
                        get_i64(c, "max_aggregation_interval").map(|n| n as i32),
                    )
                    .set_destination_options(options.clone())
                    .client_token(&req.token)
                    .tag_specifications(spec.clone())
                    .send()
            })
            .await;
        match sent {
            // a role made a moment ago is not assumable everywhere yet
            Err(e)
                if has_code(&e, &["InvalidParameter"])
                    && e.message.contains("Unable to assume given IAM role")
                    && started.elapsed() < IAM_PROPAGATION =>
            {
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
            r => break r?,
        }
    };
    if let Some(u) = out.unsuccessful().iter().find_map(|u| u.error()) {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "{}: CreateFlowLogs refused the flow log of {resource}: {}: {}",
                req.address,
                u.code().unwrap_or_default(),
                u.message().unwrap_or_default()
            ),
        )
        .with_code(u.code().unwrap_or_default()));
    }
    let id = out
        .flow_log_ids()
        .first()
        .ok_or_else(|| ProviderError::new(ErrorKind::Other, "CreateFlowLogs returned no id"))?
        .to_string();
    p.read_back(TYPE, &id, c).await
}

/// Only the tags change in place.
pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    crate::util::update_tags(p, id, prior, desired).await?;
    p.read_back(TYPE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let out = match p
        .call("ec2:DeleteFlowLogs", || {
            p.ec2().delete_flow_logs().flow_log_ids(id).send()
        })
        .await
    {
        Err(e) if has_code(&e, NOT_FOUND) => return Ok(()),
        r => r?,
    };
    match out.unsuccessful().iter().find_map(|u| u.error()) {
        Some(u) if !NOT_FOUND.contains(&u.code().unwrap_or_default()) => Err(ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "DeleteFlowLogs refused {id}: {}: {}",
                u.code().unwrap_or_default(),
                u.message().unwrap_or_default()
            ),
        )),
        _ => Ok(()),
    }
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let found = crate::util::ours(
        describe(p, infra_filters(req)).await?,
        req,
        FlowLog::tags,
        FlowLog::flow_log_id,
    );
    let Some(f) = found.first() else {
        return Ok(None);
    };
    let account = account_id(p).await?;
    Ok(to_value(p, Some(&account), f, Some(&req.config)).map(|(_, v)| v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_read_by_prefix_and_the_destination_survives_a_missing_answer() {
        assert_eq!(
            target_of("tgw-attach-1"),
            Some("transit_gateway_attachment_id")
        );
        assert_eq!(target_of("tgw-1"), Some("transit_gateway_id"));
        assert_eq!(target_of("eni-1"), Some("eni_id"));
        assert_eq!(target_of("x-1"), None);
        let f = FlowLog::builder().log_group_name("flows").build();
        let prior = Value::map([(
            "log_destination",
            Value::string("arn:aws:logs:us-east-1:1:log-group:flows"),
        )]);
        assert_eq!(
            destination(&f, Some(&prior)).as_str(),
            Some("arn:aws:logs:us-east-1:1:log-group:flows")
        );
        let other = Value::map([(
            "log_destination",
            Value::string("arn:aws:logs:us-east-1:1:log-group:other"),
        )]);
        assert!(destination(&f, Some(&other)).is_null());
    }
}
