//! Data sources: `aws_availability_zones`, `aws_region`, `aws_caller_identity`.

use infra_model::Value;
use infra_provider::ProviderError;

use crate::util::{filter, get_str, opt, strings};
use crate::AwsProvider;

pub(crate) async fn availability_zones(
    p: &AwsProvider,
    args: &Value,
) -> Result<Value, ProviderError> {
    let state = get_str(args, "state").map(str::to_string);
    let filters = state
        .iter()
        .map(|s| filter("state", [s.clone()]))
        .collect::<Vec<_>>();
    let out = p
        .call("ec2:DescribeAvailabilityZones", || {
            p.ec2()
                .describe_availability_zones()
                .set_filters(Some(filters.clone()))
                .send()
        })
        .await?;
    let mut zones: Vec<(&str, &str)> = out
        .availability_zones()
        .iter()
        .filter_map(|z| Some((z.zone_name()?, z.zone_id().unwrap_or(""))))
        .collect();
    zones.sort();
    Ok(Value::map([
        ("id", Value::string(p.region())),
        ("state", opt(state.as_deref())),
        ("names", strings(zones.iter().map(|z| z.0))),
        (
            "zone_ids",
            strings(zones.iter().map(|z| z.1).filter(|z| !z.is_empty())),
        ),
    ]))
}

fn region_description(name: &str) -> &'static str {
    match name {
        "us-east-1" => "US East (N. Virginia)",
        "us-east-2" => "US East (Ohio)",
        "us-west-1" => "US West (N. California)",
        "us-west-2" => "US West (Oregon)",
        "eu-west-1" => "Europe (Ireland)",
        "eu-west-2" => "Europe (London)",
        "eu-west-3" => "Europe (Paris)",
        "eu-central-1" => "Europe (Frankfurt)",
        "eu-north-1" => "Europe (Stockholm)",
        "ap-northeast-1" => "Asia Pacific (Tokyo)",
        "ap-southeast-1" => "Asia Pacific (Singapore)",
        "ap-southeast-2" => "Asia Pacific (Sydney)",
        "ap-south-1" => "Asia Pacific (Mumbai)",
        "ca-central-1" => "Canada (Central)",
        "sa-east-1" => "South America (Sao Paulo)",
        _ => "",
    }
}

/// The region of the client configuration (or the `name` argument); no API call.
pub(crate) async fn region(p: &AwsProvider, args: &Value) -> Result<Value, ProviderError> {
    let name = get_str(args, "name").unwrap_or(p.region()).to_string();
    let description = region_description(&name);
    Ok(Value::map([
        ("id", Value::string(&name)),
        (
            "endpoint",
            Value::string(format!("ec2.{name}.amazonaws.com")),
        ),
        (
            "description",
            if description.is_empty() {
                Value::Null
            } else {
                Value::string(description)
            },
        ),
        ("name", Value::string(name)),
    ]))
}

pub(crate) async fn caller_identity(p: &AwsProvider) -> Result<Value, ProviderError> {
    let out = p
        .call("sts:GetCallerIdentity", || {
            p.sts().get_caller_identity().send()
        })
        .await?;
    Ok(Value::map([
        ("id", opt(out.account())),
        ("account_id", opt(out.account())),
        ("arn", opt(out.arn())),
        ("user_id", opt(out.user_id())),
    ]))
}
