//! `aws_autoscaling_group`: what the cloud holds and how the configuration is sent.
//!
//! A group's id is its name (Terraform's import id). A refresh is one
//! DescribeAutoScalingGroups per 50 names (paginated); a group AWS reports as
//! `Delete in progress` reads as gone. What AWS does not store is carried from the prior:
//! `name_prefix`, `force_delete`, `wait_for_capacity_timeout`,
//! `ignore_failed_scaling_activities`, `instance_refresh` and `initial_lifecycle_hook`
//! (create-only, as the provider documents it). The `infra:stack` / `infra:address` tags
//! are set with `propagate_at_launch = false` and never shown in `tag`.
//!
//! Create, update, delete and the waits are in `autoscaling_ops`.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_autoscaling::types::{
    AutoScalingGroup, InstanceMaintenancePolicy, InstancesDistribution, LaunchTemplate,
    LaunchTemplateOverrides, LaunchTemplateSpecification, LifecycleHookSpecification,
    MixedInstancesPolicy, Tag,
};
use infra_model::Value;
use infra_provider::{ErrorKind, ProviderError, ReadRequest};

use crate::util::{get_bool, get_i64, get_str, get_strings, is_infra, opt};
use crate::AwsProvider;

pub(crate) const GROUP: &str = "aws_autoscaling_group";

/// Names per DescribeAutoScalingGroups (the API takes up to MaxRecords = 100).
const NAMES_PER_CALL: usize = 50;

fn num(n: Option<i32>) -> Value {
    n.map_or(Value::Null, |n| Value::Number(f64::from(n)))
}

fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    Value::List(items.into_iter().map(Value::string).collect())
}

/// The first block of a list-of-one block, or `Null`.
pub(crate) fn block<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.get(key)
        .as_list()
        .and_then(|l| l.first())
        .unwrap_or(&Value::Null)
}

fn blocks<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).as_list().unwrap_or(&[])
}

/// A number the API takes as an integer.
fn int(v: &Value, key: &str) -> Option<i32> {
    get_i64(v, key).and_then(|n| i32::try_from(n).ok())
}

/// A string argument Terraform may hold as a number (`version = 1`).
fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key) {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) if n.fract() == 0.0 => Some(format!("{}", *n as i64)),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

// ---- cloud -> value ----

fn spec_value(s: Option<&LaunchTemplateSpecification>, id_key: &str, name_key: &str) -> Value {
    match s {
        Some(s) => Value::List(vec![Value::map([
            (id_key, opt(s.launch_template_id())),
            (name_key, opt(s.launch_template_name())),
            ("version", opt(s.version())),
        ])]),
        None => Value::List(Vec::new()),
    }
}

fn override_value(o: &LaunchTemplateOverrides) -> Value {
    Value::map([
        ("instance_type", opt(o.instance_type())),
        ("weighted_capacity", opt(o.weighted_capacity())),
        (
            "launch_template_specification",
            spec_value(
                o.launch_template_specification(),
                "launch_template_id",
                "launch_template_name",
            ),
        ),
        // never sent (see `check_supported`); a group made elsewhere shows none
        ("instance_requirements", Value::List(Vec::new())),
    ])
}

fn distribution_value(d: &InstancesDistribution) -> Value {
    Value::map([
        (
            "on_demand_allocation_strategy",
            opt(d.on_demand_allocation_strategy()),
        ),
        ("on_demand_base_capacity", num(d.on_demand_base_capacity())),
        (
            "on_demand_percentage_above_base_capacity",
            num(d.on_demand_percentage_above_base_capacity()),
        ),
        (
            "spot_allocation_strategy",
            opt(d.spot_allocation_strategy()),
        ),
        ("spot_instance_pools", num(d.spot_instance_pools())),
        (
            "spot_max_price",
            opt(d.spot_max_price().filter(|s| !s.is_empty())),
        ),
    ])
}

fn mixed_value(m: Option<&MixedInstancesPolicy>) -> Value {
    let Some(m) = m else {
        return Value::List(Vec::new());
    };
    let template = match m.launch_template() {
        Some(t) => Value::List(vec![Value::map([
            (
                "launch_template_specification",
                spec_value(
                    t.launch_template_specification(),
                    "launch_template_id",
                    "launch_template_name",
                ),
            ),
            (
                "override",
                Value::List(t.overrides().iter().map(override_value).collect()),
            ),
        ])]),
        None => Value::List(Vec::new()),
    };
    let distribution = match m.instances_distribution() {
        Some(d) => Value::List(vec![distribution_value(d)]),
        None => Value::List(Vec::new()),
    };
    Value::List(vec![Value::map([
        ("instances_distribution", distribution),
        ("launch_template", template),
    ])])
}

fn maintenance_value(m: Option<&InstanceMaintenancePolicy>) -> Value {
    match m {
        // AWS reports a group without a policy as -1 / -1
        Some(m) if m.min_healthy_percentage().unwrap_or(-1) >= 0 => {
            Value::List(vec![Value::map([
                ("min_healthy_percentage", num(m.min_healthy_percentage())),
                ("max_healthy_percentage", num(m.max_healthy_percentage())),
            ])])
        }
        _ => Value::List(Vec::new()),
    }
}

/// The group's value; `prior` supplies what AWS does not store.
pub(crate) fn group_value(g: &AutoScalingGroup, prior: Option<&Value>) -> Value {
    let carried = |k: &str| match prior.map(|p| p.get(k)) {
        Some(Value::Unknown) | None => Value::Null,
        Some(v) => v.clone(),
    };
    let carried_or = |k: &str, d: Value| match carried(k) {
        Value::Null => d,
        v => v,
    };
    let name = g.auto_scaling_group_name().unwrap_or_default();
    let mut v = BTreeMap::new();
    v.insert("id".into(), Value::string(name));
    v.insert("name".into(), Value::string(name));
    crate::util::carry_name_prefix(&mut v, prior);
    v.insert("arn".into(), opt(g.auto_scaling_group_arn()));
    v.insert("min_size".into(), num(g.min_size()));
    v.insert("max_size".into(), num(g.max_size()));
    v.insert("desired_capacity".into(), num(g.desired_capacity()));
    v.insert(
        "desired_capacity_type".into(),
        opt(g.desired_capacity_type()),
    );
    v.insert("default_cooldown".into(), num(g.default_cooldown()));
    v.insert(
        "default_instance_warmup".into(),
        num(g.default_instance_warmup().filter(|w| *w >= 0)),
    );
    v.insert(
        "health_check_grace_period".into(),
        num(g.health_check_grace_period()),
    );
    v.insert("health_check_type".into(), opt(g.health_check_type()));
    v.insert(
        "max_instance_lifetime".into(),
        num(g.max_instance_lifetime().filter(|l| *l > 0)),
    );
    v.insert("placement_group".into(), opt(g.placement_group()));
    v.insert(
        "capacity_rebalance".into(),
        g.capacity_rebalance().map_or(Value::Null, Value::Bool),
    );
    v.insert("context".into(), opt(g.context()));
    v.insert(
        "service_linked_role_arn".into(),
        opt(g.service_linked_role_arn()),
    );
    v.insert(
        "protect_from_scale_in".into(),
        Value::Bool(g.new_instances_protected_from_scale_in() == Some(true)),
    );
    v.insert(
        "availability_zones".into(),
        strings(g.availability_zones().iter().map(String::as_str)),
    );
    v.insert(
        "vpc_zone_identifier".into(),
        strings(
            g.vpc_zone_identifier()
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty()),
        ),
    );
    let metrics = g.enabled_metrics();
    v.insert(
        "enabled_metrics".into(),
        strings(metrics.iter().filter_map(|m| m.metric())),
    );
    v.insert(
        "metrics_granularity".into(),
        match metrics.iter().find_map(|m| m.granularity()) {
            Some(gr) => Value::string(gr),
            None => carried_or("metrics_granularity", Value::string("1Minute")),
        },
    );
    v.insert(
        "suspended_processes".into(),
        strings(
            g.suspended_processes()
                .iter()
                .filter_map(|p| p.process_name()),
        ),
    );
    // AWS reports ["Default"] for a group given none: the configuration's empty list
    let policies = g.termination_policies();
    v.insert(
        "termination_policies".into(),
        if policies == ["Default"]
            && carried("termination_policies")
                .as_list()
                .is_none_or(<[Value]>::is_empty)
        {
            carried_or("termination_policies", Value::List(Vec::new()))
        } else {
            strings(policies.iter().map(String::as_str))
        },
    );
    v.insert(
        "launch_template".into(),
        spec_value(g.launch_template(), "id", "name"),
    );
    v.insert(
        "mixed_instances_policy".into(),
        mixed_value(g.mixed_instances_policy()),
    );
    v.insert(
        "instance_maintenance_policy".into(),
        maintenance_value(g.instance_maintenance_policy()),
    );
    let tags: Vec<Value> = g
        .tags()
        .iter()
        .filter(|t| !t.key().is_some_and(is_infra))
        .map(|t| {
            Value::map([
                ("key", opt(t.key())),
                ("value", Value::string(t.value().unwrap_or_default())),
                (
                    "propagate_at_launch",
                    Value::Bool(t.propagate_at_launch() == Some(true)),
                ),
            ])
        })
        .collect();
    v.insert("tag".into(), Value::List(tags));
    v.insert(
        "force_delete".into(),
        carried_or("force_delete", Value::Bool(false)),
    );
    v.insert(
        "wait_for_capacity_timeout".into(),
        carried_or("wait_for_capacity_timeout", Value::string("10m")),
    );
    v.insert(
        "ignore_failed_scaling_activities".into(),
        carried_or("ignore_failed_scaling_activities", Value::Bool(false)),
    );
    v.insert(
        "instance_refresh".into(),
        carried_or("instance_refresh", Value::List(Vec::new())),
    );
    v.insert(
        "initial_lifecycle_hook".into(),
        carried_or("initial_lifecycle_hook", Value::List(Vec::new())),
    );
    Value::Map(v)
}

/// Whether AWS is deleting the group (it stays visible until its instances are gone).
pub(crate) fn deleting(g: &AutoScalingGroup) -> bool {
    g.status().is_some_and(|s| s.starts_with("Delete"))
}

/// The groups of `names` that exist (deleted ones and those being deleted are left out).
pub(crate) async fn describe(
    p: &AwsProvider,
    names: &[String],
) -> Result<Vec<AutoScalingGroup>, ProviderError> {
    let mut out = Vec::new();
    for chunk in names.chunks(NAMES_PER_CALL) {
        let found = p
            .paginate(
                "autoscaling:DescribeAutoScalingGroups",
                |token| {
                    p.autoscaling()
                        .describe_auto_scaling_groups()
                        .set_auto_scaling_group_names(Some(chunk.to_vec()))
                        .max_records(100)
                        .set_next_token(token)
                        .send()
                },
                |page| page.auto_scaling_groups(),
                |page| page.next_token(),
            )
            .await?;
        out.extend(found.into_iter().filter(|g| !deleting(g)));
    }
    Ok(out)
}

/// One group by name, including one being deleted.
pub(crate) async fn describe_one(
    p: &AwsProvider,
    name: &str,
) -> Result<Option<AutoScalingGroup>, ProviderError> {
    let out = p
        .call("autoscaling:DescribeAutoScalingGroups", || {
            p.autoscaling()
                .describe_auto_scaling_groups()
                .auto_scaling_group_names(name)
                .send()
        })
        .await?;
    Ok(out
        .auto_scaling_groups()
        .iter()
        .find(|g| g.auto_scaling_group_name() == Some(name))
        .cloned())
}

pub(crate) async fn read_groups(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: HashMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    let mut names: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
    names.sort();
    names.dedup();
    let mut out = BTreeMap::new();
    for g in describe(p, &names).await? {
        let name = g.auto_scaling_group_name().unwrap_or_default();
        if let Some(prior) = priors.get(name) {
            out.insert(name.to_string(), group_value(&g, Some(prior)));
        }
    }
    Ok(out)
}

// ---- configuration -> request ----

/// What this provider cannot send yet, as an error naming the argument.
pub(crate) fn check_supported(address: &str, c: &Value) -> Result<(), ProviderError> {
    let mixed = block(c, "mixed_instances_policy");
    for o in blocks(block(mixed, "launch_template"), "override") {
        if !blocks(o, "instance_requirements").is_empty() {
            return Err(ProviderError::new(
                ErrorKind::Rejected,
                format!("{address}: `mixed_instances_policy.launch_template.override.instance_requirements` is not supported yet; list the instance types in `override {{ instance_type = ... }}` instead"),
            ));
        }
    }
    Ok(())
}

/// A launch template specification: by id when one is given, else by name (AWS refuses
/// a specification with both, which is what a group's read value holds).
fn spec_request(v: &Value, id_key: &str, name_key: &str) -> Option<LaunchTemplateSpecification> {
    if v.is_null() {
        return None;
    }
    let id = get_str(v, id_key).filter(|s| !s.is_empty());
    let name = get_str(v, name_key).filter(|s| !s.is_empty() && id.is_none());
    Some(
        LaunchTemplateSpecification::builder()
            .set_launch_template_id(id.map(str::to_string))
            .set_launch_template_name(name.map(str::to_string))
            .set_version(text(v, "version"))
            .build(),
    )
}

pub(crate) fn launch_template(c: &Value) -> Option<LaunchTemplateSpecification> {
    spec_request(block(c, "launch_template"), "id", "name")
}

pub(crate) fn mixed_instances_policy(c: &Value) -> Option<MixedInstancesPolicy> {
    let m = block(c, "mixed_instances_policy");
    if m.is_null() {
        return None;
    }
    let t = block(m, "launch_template");
    let overrides: Vec<LaunchTemplateOverrides> = blocks(t, "override")
        .iter()
        .map(|o| {
            LaunchTemplateOverrides::builder()
                .set_instance_type(get_str(o, "instance_type").map(str::to_string))
                .set_weighted_capacity(text(o, "weighted_capacity"))
                .set_launch_template_specification(spec_request(
                    block(o, "launch_template_specification"),
                    "launch_template_id",
                    "launch_template_name",
                ))
                .build()
        })
        .collect();
    let template = LaunchTemplate::builder()
        .set_launch_template_specification(spec_request(
            block(t, "launch_template_specification"),
            "launch_template_id",
            "launch_template_name",
        ))
        .set_overrides((!overrides.is_empty()).then_some(overrides))
        .build();
    let d = block(m, "instances_distribution");
    let distribution = (!d.is_null()).then(|| {
        InstancesDistribution::builder()
            .set_on_demand_allocation_strategy(
                get_str(d, "on_demand_allocation_strategy").map(str::to_string),
            )
            .set_on_demand_base_capacity(int(d, "on_demand_base_capacity"))
            .set_on_demand_percentage_above_base_capacity(int(
                d,
                "on_demand_percentage_above_base_capacity",
            ))
            .set_spot_allocation_strategy(
                get_str(d, "spot_allocation_strategy").map(str::to_string),
            )
            .set_spot_instance_pools(int(d, "spot_instance_pools"))
            .set_spot_max_price(get_str(d, "spot_max_price").map(str::to_string))
            .build()
    });
    Some(
        MixedInstancesPolicy::builder()
            .launch_template(template)
            .set_instances_distribution(distribution)
            .build(),
    )
}

pub(crate) fn maintenance_policy(c: &Value) -> Option<InstanceMaintenancePolicy> {
    let m = block(c, "instance_maintenance_policy");
    (!m.is_null()).then(|| {
        InstanceMaintenancePolicy::builder()
            .set_min_healthy_percentage(int(m, "min_healthy_percentage"))
            .set_max_healthy_percentage(int(m, "max_healthy_percentage"))
            .build()
    })
}

pub(crate) fn lifecycle_hooks(c: &Value) -> Option<Vec<LifecycleHookSpecification>> {
    let hooks: Vec<LifecycleHookSpecification> = blocks(c, "initial_lifecycle_hook")
        .iter()
        .map(|h| {
            LifecycleHookSpecification::builder()
                .set_lifecycle_hook_name(get_str(h, "name").map(str::to_string))
                .set_lifecycle_transition(get_str(h, "lifecycle_transition").map(str::to_string))
                .set_default_result(get_str(h, "default_result").map(str::to_string))
                .set_heartbeat_timeout(int(h, "heartbeat_timeout"))
                .set_notification_metadata(get_str(h, "notification_metadata").map(str::to_string))
                .set_notification_target_arn(
                    get_str(h, "notification_target_arn").map(str::to_string),
                )
                .set_role_arn(get_str(h, "role_arn").map(str::to_string))
                .build()
        })
        .collect();
    (!hooks.is_empty()).then_some(hooks)
}

/// The configured `tag` blocks by key: (value, propagate_at_launch), without `infra:*`.
pub(crate) fn tag_blocks(c: &Value) -> BTreeMap<String, (String, bool)> {
    blocks(c, "tag")
        .iter()
        .filter_map(|t| {
            let key = get_str(t, "key")?;
            (!is_infra(key)).then(|| {
                (
                    key.to_string(),
                    (
                        get_str(t, "value").unwrap_or_default().to_string(),
                        get_bool(t, "propagate_at_launch") == Some(true),
                    ),
                )
            })
        })
        .collect()
}

pub(crate) fn tag(group: &str, key: &str, value: &str, propagate: bool) -> Tag {
    Tag::builder()
        .resource_id(group)
        .resource_type("auto-scaling-group")
        .key(key)
        .value(value)
        .propagate_at_launch(propagate)
        .build()
}

pub(crate) fn subnets(c: &Value) -> Option<String> {
    let s = get_strings(c, "vpc_zone_identifier");
    (!s.is_empty()).then(|| s.join(","))
}

pub(crate) fn list(c: &Value, key: &str) -> Option<Vec<String>> {
    let s = get_strings(c, key);
    (!s.is_empty()).then_some(s)
}

pub(crate) fn num_arg(c: &Value, key: &str) -> Option<i32> {
    int(c, key)
}

pub(crate) fn str_arg(c: &Value, key: &str) -> Option<String> {
    get_str(c, key)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}
