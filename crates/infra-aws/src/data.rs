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
    let mut filters =
        crate::lookups::filters_of(&Value::map([("filter", args.get("filter").clone())]));
    filters.extend(state.iter().map(|s| filter("state", [s.clone()])));
    let all = crate::util::get_bool(args, "all_availability_zones");
    let out = p
        .call("ec2:DescribeAvailabilityZones", || {
            p.ec2()
                .describe_availability_zones()
                .set_all_availability_zones(all)
                .set_filters(Some(filters.clone()))
                .send()
        })
        .await?;
    let exclude_names = crate::util::get_strings(args, "exclude_names");
    let exclude_ids = crate::util::get_strings(args, "exclude_zone_ids");
    // the filters again on this side: the emulator ignores some of them
    let mut zones: Vec<(&str, &str, &str)> = out
        .availability_zones()
        .iter()
        .filter(|z| zone_matches(z, &filters))
        .filter_map(|z| {
            Some((
                z.zone_name()?,
                z.zone_id().unwrap_or(""),
                z.group_name().unwrap_or(""),
            ))
        })
        .filter(|z| !exclude_names.iter().any(|n| n == z.0))
        .filter(|z| !exclude_ids.iter().any(|n| n == z.1))
        .collect();
    zones.sort();
    let mut groups: Vec<&str> = zones
        .iter()
        .map(|z| z.2)
        .filter(|g| !g.is_empty())
        .collect();
    groups.sort_unstable();
    groups.dedup();
    let mut m = args.as_map().cloned().unwrap_or_default();
    m.insert("id".into(), Value::string(p.region()));
    m.insert("state".into(), opt(state.as_deref()));
    m.insert("names".into(), strings(zones.iter().map(|z| z.0)));
    m.insert(
        "zone_ids".into(),
        strings(zones.iter().map(|z| z.1).filter(|z| !z.is_empty())),
    );
    m.insert("group_names".into(), strings(groups));
    Ok(Value::Map(m))
}

/// Whether a zone passes the filters whose fields the response carries (others are left
/// to the server).
fn zone_matches(
    z: &aws_sdk_ec2::types::AvailabilityZone,
    filters: &[aws_sdk_ec2::types::Filter],
) -> bool {
    filters.iter().all(|f| {
        let have = match f.name().unwrap_or_default() {
            "zone-name" => z.zone_name(),
            "zone-id" => z.zone_id(),
            "zone-type" => z.zone_type(),
            "group-name" => z.group_name(),
            "region-name" => z.region_name(),
            "state" => z.state().map(|s| s.as_str()),
            "opt-in-status" => z.opt_in_status().map(|s| s.as_str()),
            _ => return true,
        };
        // an absent field: the emulator does not report it; trust its answer
        have.is_none_or(|h| f.values().iter().any(|v| glob(v, h)))
    })
}

/// EC2 filter values are patterns: `*` any run, `?` one character.
fn glob(pattern: &str, s: &str) -> bool {
    match (pattern.chars().next(), s.chars().next()) {
        (None, None) => true,
        (Some('*'), _) => {
            glob(&pattern[1..], s)
                || (!s.is_empty()
                    && glob(pattern, &s[s.chars().next().map_or(1, char::len_utf8)..]))
        }
        (Some('?'), Some(c)) => glob(&pattern[1..], &s[c.len_utf8()..]),
        (Some(p), Some(c)) if p == c => glob(&pattern[p.len_utf8()..], &s[c.len_utf8()..]),
        _ => false,
    }
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
