//! `aws_instance`: how an EC2 instance reads back.
//!
//! A refresh is one paginated DescribeInstances per 200 ids (an `instance-id` filter: an id
//! list naming a terminated-and-forgotten instance fails the whole call) and one
//! DescribeVolumes for the volumes of all of them (the instance lists only their ids;
//! size, type, IOPS, throughput, encryption and tags are the volume's). A terminated or
//! shutting-down instance is gone.
//!
//! What DescribeInstances does not say (`disable_api_termination`, `disable_api_stop`,
//! `instance_initiated_shutdown_behavior`, `user_data`: one DescribeInstanceAttribute per
//! attribute and instance) is read only when there is no prior record of it (import, the
//! read after a create, adoption); a refresh keeps the recorded values, so a change made
//! outside infra to those four is not seen (Terraform reads them one call each per
//! instance). `password_data` is read (GetPasswordData) only with `get_password_data`.
//! `credit_specification` and `launch_template` keep what was configured.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ec2::types::{
    Filter, Instance, InstanceAttributeName, InstanceStateName, MonitoringState, Volume,
};
use infra_model::Value;
use infra_provider::{ProviderError, ReadRequest};

use crate::instance_blocks::{volume_ids, volumes};
use crate::util::{ec2_arn, filter, get_bool, get_str, id_chunks, opt, put_tags, strings};
use crate::AwsProvider;

pub(crate) use crate::instance_launch::TYPE;

/// One instance as DescribeInstances answers it, with its reservation's owner.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub owner: Option<String>,
    pub instance: Instance,
}

/// Whether an instance is gone for good (or going).
pub(crate) fn is_gone(i: &Instance) -> bool {
    matches!(
        i.state().and_then(|s| s.name()),
        Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)
    )
}

/// Every instance the filters select, all pages.
pub(crate) async fn describe(
    p: &AwsProvider,
    filters: Vec<Filter>,
) -> Result<Vec<Found>, ProviderError> {
    let pages = p
        .paginate(
            "ec2:DescribeInstances",
            |token| {
                p.ec2()
                    .describe_instances()
                    .set_filters(Some(filters.clone()))
                    .max_results(1000)
                    .set_next_token(token)
                    .send()
            },
            |page| page.reservations(),
            |page| page.next_token(),
        )
        .await?;
    Ok(pages
        .into_iter()
        .flat_map(|r| {
            let owner = r.owner_id().map(str::to_string);
            r.instances
                .unwrap_or_default()
                .into_iter()
                .map(move |instance| Found {
                    owner: owner.clone(),
                    instance,
                })
        })
        .collect())
}

/// The values DescribeInstances leaves out, from DescribeInstanceAttribute.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Attributes {
    pub disable_api_termination: Option<bool>,
    pub disable_api_stop: Option<bool>,
    pub shutdown_behavior: Option<String>,
    /// base64, as the API keeps it
    pub user_data: Option<String>,
}

pub(crate) async fn attributes(p: &AwsProvider, id: &str) -> Result<Attributes, ProviderError> {
    let get = |a: InstanceAttributeName| async move {
        p.call("ec2:DescribeInstanceAttribute", || {
            p.ec2()
                .describe_instance_attribute()
                .instance_id(id)
                .attribute(a.clone())
                .send()
        })
        .await
    };
    let term = get(InstanceAttributeName::DisableApiTermination).await?;
    let stop = get(InstanceAttributeName::DisableApiStop).await?;
    let shutdown = get(InstanceAttributeName::InstanceInitiatedShutdownBehavior).await?;
    let user = get(InstanceAttributeName::UserData).await?;
    Ok(Attributes {
        disable_api_termination: term.disable_api_termination().and_then(|v| v.value()),
        disable_api_stop: stop.disable_api_stop().and_then(|v| v.value()),
        shutdown_behavior: shutdown
            .instance_initiated_shutdown_behavior()
            .and_then(|v| v.value())
            .map(str::to_string),
        user_data: user
            .user_data()
            .and_then(|v| v.value())
            .filter(|v| !v.is_empty())
            .map(str::to_string),
    })
}

/// Whether `prior` is a recorded object (it has an id), whose unread attributes are kept.
fn recorded(prior: Option<&Value>) -> bool {
    prior.is_some_and(|p| get_str(p, "id").is_some())
}

/// A boolean the cloud may not report (`None`) or report as false for "not set": true
/// when it says true, else what the prior holds (null stays null), else false.
pub(crate) fn flag(cloud: Option<bool>, prior: Option<&Value>, key: &str) -> Value {
    let before = prior.map(|p| p.get(key)).unwrap_or(&Value::Null);
    match cloud {
        Some(true) => Value::Bool(true),
        Some(false) if before.as_bool() == Some(true) => Value::Bool(false),
        None if before.as_bool().is_some() => before.clone(),
        Some(false) => match before {
            Value::Null | Value::Unknown => Value::Null,
            _ => Value::Bool(false),
        },
        None => Value::Null,
    }
}

pub(crate) fn num(n: Option<i32>) -> Value {
    n.map(|n| Value::Number(f64::from(n)))
        .unwrap_or(Value::Null)
}

/// The prior's value of `key` (null when unknown or absent).
pub(crate) fn kept(prior: Option<&Value>, key: &str) -> Value {
    match prior.map(|p| p.get(key)) {
        Some(Value::Unknown) | None => Value::Null,
        Some(v) => v.clone(),
    }
}

/// A block's attribute the cloud did not report: the prior block's.
pub(crate) fn or_prior(cloud: Value, prior_block: &Value, key: &str) -> Value {
    if cloud.is_null() {
        match prior_block.get(key) {
            Value::Unknown => Value::Null,
            v => v.clone(),
        }
    } else {
        cloud
    }
}

pub(crate) fn first<'a>(v: Option<&'a Value>, key: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    v.map(|v| crate::util::first_block(v, key)).unwrap_or(&NULL)
}

/// `user_data` / `user_data_base64` from the API's base64: `user_data` as text unless the
/// configuration uses `user_data_base64` or the data is not text.
fn user_data(b64: Option<&str>, prior: Option<&Value>) -> (Value, Value) {
    let Some(b64) = b64 else {
        return (Value::Null, Value::Null);
    };
    let uses_base64 = prior.is_some_and(|p| get_str(p, "user_data_base64").is_some());
    let text = aws_smithy_types::base64::decode(b64)
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok());
    match text {
        Some(t) if !uses_base64 => (Value::string(t), Value::Null),
        _ => (Value::Null, Value::string(b64)),
    }
}

/// The instance as a value, with `vols` its volumes and `attrs` what DescribeInstanceAttribute
/// said (`None`: keep the prior's).
pub(crate) fn to_value(
    p: &AwsProvider,
    f: &Found,
    vols: &HashMap<String, Volume>,
    attrs: Option<&Attributes>,
    prior: Option<&Value>,
) -> Option<(String, Value)> {
    let i = &f.instance;
    let id = i.instance_id()?.to_string();
    let mut m = BTreeMap::new();
    let placement = i.placement();
    let primary = i
        .network_interfaces()
        .iter()
        .find(|n| n.attachment().and_then(|a| a.device_index()) == Some(0));
    m.insert("id".into(), Value::string(&id));
    m.insert(
        "arn".into(),
        ec2_arn(p, f.owner.as_deref(), "instance", &id),
    );
    m.insert("ami".into(), opt(i.image_id()));
    m.insert(
        "instance_type".into(),
        opt(i.instance_type().map(|t| t.as_str())),
    );
    m.insert(
        "instance_state".into(),
        opt(i.state().and_then(|s| s.name()).map(|n| n.as_str())),
    );
    m.insert("key_name".into(), opt(i.key_name()));
    m.insert(
        "availability_zone".into(),
        opt(placement.and_then(|p| p.availability_zone())),
    );
    m.insert(
        "placement_group".into(),
        opt(placement
            .and_then(|p| p.group_name())
            .filter(|g| !g.is_empty())),
    );
    m.insert(
        "placement_group_id".into(),
        opt(placement
            .and_then(|p| p.group_id())
            .filter(|g| !g.is_empty())),
    );
    m.insert(
        "placement_partition_number".into(),
        num(placement
            .and_then(|p| p.partition_number())
            .filter(|n| *n > 0)),
    );
    m.insert(
        "tenancy".into(),
        opt(placement.and_then(|p| p.tenancy()).map(|t| t.as_str())),
    );
    m.insert("host_id".into(), opt(placement.and_then(|p| p.host_id())));
    m.insert(
        "host_resource_group_arn".into(),
        opt(placement.and_then(|p| p.host_resource_group_arn())),
    );
    m.insert("subnet_id".into(), opt(i.subnet_id()));
    m.insert("private_ip".into(), opt(i.private_ip_address()));
    m.insert(
        "public_ip".into(),
        opt(i.public_ip_address().filter(|s| !s.is_empty())),
    );
    m.insert(
        "public_dns".into(),
        opt(i.public_dns_name().filter(|s| !s.is_empty())),
    );
    m.insert(
        "private_dns".into(),
        opt(i.private_dns_name().filter(|s| !s.is_empty())),
    );
    m.insert("outpost_arn".into(), opt(i.outpost_arn()));
    m.insert(
        "primary_network_interface_id".into(),
        opt(primary.and_then(|n| n.network_interface_id())),
    );
    // the emulator answers an empty association for an instance without a public address
    let public = primary
        .and_then(|n| n.association())
        .and_then(|a| a.public_ip())
        .is_some_and(|ip| !ip.is_empty());
    m.insert("associate_public_ip_address".into(), Value::Bool(public));
    m.insert(
        "secondary_private_ips".into(),
        strings(
            primary
                .map(|n| n.private_ip_addresses())
                .unwrap_or_default()
                .iter()
                .filter(|a| a.primary() != Some(true))
                .filter_map(|a| a.private_ip_address()),
        ),
    );
    let ipv6 = primary.map(|n| n.ipv6_addresses()).unwrap_or_default();
    m.insert(
        "ipv6_addresses".into(),
        strings(ipv6.iter().filter_map(|a| a.ipv6_address())),
    );
    m.insert(
        "ipv6_address_count".into(),
        Value::Number(ipv6.len() as f64),
    );
    m.insert(
        "enable_primary_ipv6".into(),
        flag(
            Some(ipv6.iter().any(|a| a.is_primary_ipv6() == Some(true))),
            prior,
            "enable_primary_ipv6",
        ),
    );
    let ids: Vec<&str> = i
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id())
        .collect();
    m.insert(
        "vpc_security_group_ids".into(),
        strings(ids.iter().copied()),
    );
    // as the provider: the group names when the configuration names them, else the ids
    let by_name = prior
        .map(|p| crate::util::get_strings(p, "security_groups"))
        .is_some_and(|g| !g.is_empty() && g.iter().all(|n| !n.starts_with("sg-")));
    m.insert(
        "security_groups".into(),
        if by_name {
            strings(i.security_groups().iter().filter_map(|g| g.group_name()))
        } else {
            strings(ids.iter().copied())
        },
    );
    m.insert(
        "source_dest_check".into(),
        i.source_dest_check()
            .map(Value::Bool)
            .unwrap_or_else(|| kept(prior, "source_dest_check")),
    );
    m.insert(
        "monitoring".into(),
        Value::Bool(matches!(
            i.monitoring().and_then(|m| m.state()),
            Some(MonitoringState::Enabled | MonitoringState::Pending)
        )),
    );
    m.insert(
        "ebs_optimized".into(),
        Value::Bool(i.ebs_optimized().unwrap_or(false)),
    );
    m.insert(
        "hibernation".into(),
        flag(
            i.hibernation_options().and_then(|h| h.configured()),
            prior,
            "hibernation",
        ),
    );
    m.insert(
        "iam_instance_profile".into(),
        opt(i
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .and_then(|arn| arn.rsplit('/').next())),
    );
    // what DescribeInstances does not say
    match attrs {
        Some(a) => {
            m.insert(
                "disable_api_termination".into(),
                Value::Bool(a.disable_api_termination.unwrap_or(false)),
            );
            m.insert(
                "disable_api_stop".into(),
                Value::Bool(a.disable_api_stop.unwrap_or(false)),
            );
            m.insert(
                "instance_initiated_shutdown_behavior".into(),
                opt(a.shutdown_behavior.as_deref()),
            );
            let (text, b64) = user_data(a.user_data.as_deref(), prior);
            m.insert("user_data".into(), text);
            m.insert("user_data_base64".into(), b64);
        }
        None => {
            for k in [
                "disable_api_termination",
                "disable_api_stop",
                "instance_initiated_shutdown_behavior",
                "user_data",
                "user_data_base64",
            ] {
                m.insert(k.into(), kept(prior, k));
            }
        }
    }
    // infra's own arguments and what the cloud does not keep
    for (k, default) in [
        ("force_destroy", Value::Bool(false)),
        ("get_password_data", Value::Bool(false)),
        ("user_data_replace_on_change", Value::Bool(false)),
    ] {
        let v = kept(prior, k);
        m.insert(k.into(), if v.is_null() { default } else { v });
    }
    m.insert("password_data".into(), kept(prior, "password_data"));
    for k in ["credit_specification", "launch_template"] {
        let v = kept(prior, k);
        m.insert(k.into(), if v.is_null() { Value::List(vec![]) } else { v });
    }
    crate::instance_blocks::put_blocks(&mut m, i, vols, prior);
    for b in infra_model::schema::UNSUPPORTED_INSTANCE_BLOCKS {
        m.insert((*b).into(), Value::List(vec![]));
    }
    put_tags(&mut m, i.tags(), prior);
    Some((id, Value::Map(m)))
}

/// `password_data` of an instance (GetPasswordData), when available.
pub(crate) async fn password_data(p: &AwsProvider, id: &str) -> Result<Value, ProviderError> {
    let out = p
        .call("ec2:GetPasswordData", || {
            p.ec2().get_password_data().instance_id(id).send()
        })
        .await?;
    let v = opt(out.password_data().map(str::trim).filter(|s| !s.is_empty()));
    Ok(if v.is_null() { v } else { v.mark() })
}

/// `found` as values: volumes read in one batch; DescribeInstanceAttribute only for
/// instances without a recorded prior; GetPasswordData only where asked for.
pub(crate) async fn values(
    p: &AwsProvider,
    found: &[Found],
    prior_of: impl Fn(&str) -> Option<Value>,
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let ids: Vec<String> = found.iter().flat_map(|f| volume_ids(&f.instance)).collect();
    let vols = volumes(p, ids).await?;
    let mut out = BTreeMap::new();
    for f in found {
        let Some(id) = f.instance.instance_id() else {
            continue;
        };
        let prior = prior_of(id);
        let attrs = if recorded(prior.as_ref()) {
            None
        } else {
            Some(attributes(p, id).await?)
        };
        if let Some((id, mut v)) = to_value(p, f, &vols, attrs.as_ref(), prior.as_ref()) {
            if get_bool(&v, "get_password_data") == Some(true) {
                let pw = password_data(p, &id).await?;
                if let Value::Map(m) = &mut v {
                    m.insert("password_data".into(), pw);
                }
            }
            out.insert(id, v);
        }
    }
    Ok(out)
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    if items.is_empty() {
        return Ok(BTreeMap::new());
    }
    let priors: HashMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    let chunks = id_chunks(items.iter().map(|i| i.id.as_str()));
    let found: Vec<Found> = crate::util::describe_chunks(chunks, |chunk| {
        describe(p, vec![filter("instance-id", chunk)])
    })
    .await?
    .into_iter()
    // only the ids asked for (filter values are patterns), and only live instances
    .filter(|f| {
        f.instance
            .instance_id()
            .is_some_and(|id| priors.contains_key(id))
            && !is_gone(&f.instance)
    })
    .collect();
    values(p, &found, |id| priors.get(id).map(|v| (*v).clone())).await
}

#[cfg(test)]
#[path = "instance_tests.rs"]
mod tests;
