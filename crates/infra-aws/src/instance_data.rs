//! Data source `aws_instance`: the one instance matching `instance_id`, `instance_tags`
//! and `filter` blocks (one DescribeInstances). Terminated and shutting-down instances are
//! left out unless a filter names `instance-state-name`. The id and tags are checked again
//! on the client (the emulator reads filter values as globs). Its attributes are the
//! resource's; `user_data` only with `get_user_data`, `password_data` only with
//! `get_password_data`.

use std::collections::BTreeMap;

use infra_model::Value;
use infra_provider::ProviderError;

use crate::instance::{attributes, describe, is_gone, to_value, Found};
use crate::instance_blocks::{volume_ids, volumes};
use crate::lookups::{describe_args, filters_of, lookup_error};
use crate::util::{filter, get_bool, get_str};
use crate::AwsProvider;

/// The resource's attributes the data source also has.
const SHARED: &[&str] = &[
    "ami",
    "arn",
    "associate_public_ip_address",
    "availability_zone",
    "credit_specification",
    "disable_api_stop",
    "disable_api_termination",
    "ebs_block_device",
    "ebs_optimized",
    "host_id",
    "iam_instance_profile",
    "instance_initiated_shutdown_behavior",
    "instance_state",
    "instance_type",
    "ipv6_addresses",
    "key_name",
    "metadata_options",
    "monitoring",
    "outpost_arn",
    "placement_group",
    "primary_network_interface_id",
    "private_dns",
    "private_ip",
    "public_dns",
    "public_ip",
    "root_block_device",
    "secondary_private_ips",
    "security_groups",
    "source_dest_check",
    "subnet_id",
    "tenancy",
    "vpc_security_group_ids",
];

/// Whether `f` is what the arguments ask for, checked on the client.
fn matches(f: &Found, args: &Value) -> bool {
    let i = &f.instance;
    if let Some(id) = get_str(args, "instance_id") {
        if i.instance_id() != Some(id) {
            return false;
        }
    }
    let names_state = args
        .get("filter")
        .as_list()
        .unwrap_or_default()
        .iter()
        .any(|b| b.get("name").as_str() == Some("instance-state-name"));
    if !names_state && is_gone(i) {
        return false;
    }
    let tags: BTreeMap<&str, &str> = i
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or(""))))
        .collect();
    args.get("instance_tags")
        .as_map()
        .into_iter()
        .flatten()
        .all(|(k, v)| v.as_str().is_none_or(|v| tags.get(k.as_str()) == Some(&v)))
}

pub(crate) async fn read(p: &AwsProvider, args: &Value) -> Result<Value, ProviderError> {
    let mut filters = filters_of(&Value::map([("filter", args.get("filter").clone())]));
    if let Some(id) = get_str(args, "instance_id") {
        filters.push(filter("instance-id", [id]));
    }
    if let Some(tags) = args.get("instance_tags").as_map() {
        for (k, v) in tags {
            if let Some(v) = v.as_str() {
                filters.push(filter(&format!("tag:{k}"), [v]));
            }
        }
    }
    let found: Vec<Found> = describe(p, filters)
        .await?
        .into_iter()
        .filter(|f| matches(f, args))
        .collect();
    let [f] = found.as_slice() else {
        return Err(lookup_error("instance", &describe_args(args), found.len()));
    };
    let id = f.instance.instance_id().unwrap_or_default().to_string();
    let vols = volumes(p, volume_ids(&f.instance).collect()).await?;
    let attrs = attributes(p, &id).await?;
    let Some((_, v)) = to_value(p, f, &vols, Some(&attrs), None) else {
        return Err(lookup_error("instance", &describe_args(args), 0));
    };
    let mut out: BTreeMap<String, Value> = SHARED
        .iter()
        .map(|k| ((*k).to_string(), v.get(k).clone()))
        .collect();
    out.insert("id".into(), Value::string(&id));
    out.insert("instance_id".into(), Value::string(&id));
    out.insert("tags".into(), v.get("tags_all").clone());
    out.insert("instance_tags".into(), v.get("tags_all").clone());
    out.insert("filter".into(), args.get("filter").clone());
    out.insert(
        "get_user_data".into(),
        Value::Bool(get_bool(args, "get_user_data") == Some(true)),
    );
    out.insert(
        "get_password_data".into(),
        Value::Bool(get_bool(args, "get_password_data") == Some(true)),
    );
    // the user data only when asked for, as the provider
    let b64 = attrs.user_data.clone();
    let (text, b64) = if get_bool(args, "get_user_data") == Some(true) {
        let text = b64
            .as_deref()
            .and_then(|b| aws_smithy_types::base64::decode(b).ok())
            .and_then(|raw| String::from_utf8(raw).ok());
        (
            text.map(Value::string).unwrap_or(Value::Null),
            b64.map(Value::string).unwrap_or(Value::Null),
        )
    } else {
        (Value::Null, Value::Null)
    };
    out.insert("user_data".into(), text);
    out.insert("user_data_base64".into(), b64);
    out.insert(
        "password_data".into(),
        if get_bool(args, "get_password_data") == Some(true) {
            crate::instance::password_data(p, &id).await?
        } else {
            Value::Null
        },
    );
    Ok(Value::Map(out))
}
