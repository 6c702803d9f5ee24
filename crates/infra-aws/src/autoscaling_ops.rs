//! `aws_autoscaling_group`: create, the capacity wait, update, delete and adoption, with
//! the Terraform AWS provider's semantics.
//!
//! - Create: CreateAutoScalingGroup with the `tag` blocks plus `infra:stack` /
//!   `infra:address` (`propagate_at_launch = false`, so instances do not inherit them) and
//!   the initial lifecycle hooks; then SuspendProcesses and EnableMetricsCollection. The
//!   API takes no idempotency token: a `name_prefix` name is the prefix plus the intent's
//!   token, so a lost answer is adopted by name (and its `infra:*` tags).
//! - `wait_ready` waits, as the provider does, for `desired_capacity` (else `min_size`)
//!   instances that are both `InService` and `Healthy`, for `wait_for_capacity_timeout`
//!   (default 10m, "0" skips the wait). Whether instances ever get there is the cloud's
//!   business: a timeout is an error, and the next apply resumes the wait.
//! - Update: UpdateAutoScalingGroup with what changed, CreateOrUpdateTags / DeleteTags,
//!   Suspend/ResumeProcesses, Enable/DisableMetricsCollection; when the launch template or
//!   the mixed instances policy changed and `instance_refresh` is set, StartInstanceRefresh
//!   (cancelling one in progress first). Size changes wait for capacity again.
//! - Delete: without `force_delete`, the group is drained first (sizes to 0, wait until
//!   no instance is left), then DeleteAutoScalingGroup; with it, DeleteAutoScalingGroup
//!   with ForceDelete. Either way destroy waits until the group is gone.

use std::time::Duration;

use aws_sdk_autoscaling::types::AutoScalingGroup;
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError};

use crate::autoscaling::{self as a, block, describe_one, group_value, GROUP};
use crate::errors::has_code;
use crate::util::{get_bool, get_i64, get_str, get_strings, prefixed_name};
use crate::AwsProvider;
use infra_model::tags as infra_tags;

/// The group's name: `name`, else `name_prefix` (the provider's default `terraform-`)
/// and 26 characters of the intent's token.
fn group_name(req: &CreateRequest) -> String {
    match get_str(&req.config, "name").filter(|s| !s.is_empty()) {
        Some(n) => n.to_string(),
        None => prefixed_name(
            get_str(&req.config, "name_prefix").unwrap_or("terraform-"),
            &req.token,
            255,
        ),
    }
}

/// A missing group: DescribeAutoScalingGroups omits it, the other calls answer
/// ValidationError "... not found".
fn not_found(e: &ProviderError) -> bool {
    has_code(e, &["ValidationError"]) && e.message.to_ascii_lowercase().contains("not found")
}

pub(crate) async fn create_group(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    a::check_supported(&req.address.to_string(), c)?;
    let name = group_name(req);
    let mut tags: Vec<_> = a::tag_blocks(c)
        .iter()
        .map(|(k, (v, prop))| a::tag(&name, k, v, *prop))
        .collect();
    tags.push(a::tag(&name, infra_tags::STACK, &req.stack, false));
    tags.push(a::tag(
        &name,
        infra_tags::ADDRESS,
        &req.address.to_string(),
        false,
    ));
    p.call("autoscaling:CreateAutoScalingGroup", || {
        p.autoscaling()
            .create_auto_scaling_group()
            .auto_scaling_group_name(&name)
            .set_min_size(a::num_arg(c, "min_size"))
            .set_max_size(a::num_arg(c, "max_size"))
            .set_desired_capacity(a::num_arg(c, "desired_capacity"))
            .set_desired_capacity_type(a::str_arg(c, "desired_capacity_type"))
            .set_availability_zones(a::list(c, "availability_zones"))
            .set_vpc_zone_identifier(a::subnets(c))
            .set_launch_template(a::launch_template(c))
            .set_mixed_instances_policy(a::mixed_instances_policy(c))
            .set_capacity_rebalance(get_bool(c, "capacity_rebalance"))
            .set_context(a::str_arg(c, "context"))
            .set_default_cooldown(a::num_arg(c, "default_cooldown"))
            .set_default_instance_warmup(a::num_arg(c, "default_instance_warmup"))
            .set_health_check_grace_period(a::num_arg(c, "health_check_grace_period"))
            .set_health_check_type(a::str_arg(c, "health_check_type"))
            .set_max_instance_lifetime(a::num_arg(c, "max_instance_lifetime"))
            .set_placement_group(a::str_arg(c, "placement_group"))
            .set_new_instances_protected_from_scale_in(get_bool(c, "protect_from_scale_in"))
            .set_service_linked_role_arn(a::str_arg(c, "service_linked_role_arn"))
            .set_termination_policies(a::list(c, "termination_policies"))
            .set_instance_maintenance_policy(a::maintenance_policy(c))
            .set_lifecycle_hook_specification_list(a::lifecycle_hooks(c))
            .set_tags(Some(tags.clone()))
            .send()
    })
    .await?;
    set_processes(p, &name, &[], &get_strings(c, "suspended_processes")).await?;
    set_metrics(p, &name, &Value::Null, c).await?;
    p.read_back(GROUP, &name, c).await
}

/// Suspend what `new` adds to `old`, resume what it drops.
async fn set_processes(
    p: &AwsProvider,
    name: &str,
    old: &[String],
    new: &[String],
) -> Result<(), ProviderError> {
    let resume: Vec<String> = old.iter().filter(|x| !new.contains(x)).cloned().collect();
    let suspend: Vec<String> = new.iter().filter(|x| !old.contains(x)).cloned().collect();
    if !resume.is_empty() {
        p.call("autoscaling:ResumeProcesses", || {
            p.autoscaling()
                .resume_processes()
                .auto_scaling_group_name(name)
                .set_scaling_processes(Some(resume.clone()))
                .send()
        })
        .await?;
    }
    if !suspend.is_empty() {
        p.call("autoscaling:SuspendProcesses", || {
            p.autoscaling()
                .suspend_processes()
                .auto_scaling_group_name(name)
                .set_scaling_processes(Some(suspend.clone()))
                .send()
        })
        .await?;
    }
    Ok(())
}

/// Enable the metrics `desired` adds (all of them when the granularity changed), disable
/// those it drops.
async fn set_metrics(
    p: &AwsProvider,
    name: &str,
    prior: &Value,
    desired: &Value,
) -> Result<(), ProviderError> {
    let old = get_strings(prior, "enabled_metrics");
    let new = get_strings(desired, "enabled_metrics");
    let granularity = get_str(desired, "metrics_granularity")
        .unwrap_or("1Minute")
        .to_string();
    let regranular =
        !prior.is_null() && get_str(prior, "metrics_granularity") != Some(granularity.as_str());
    let disable: Vec<String> = old.iter().filter(|x| !new.contains(x)).cloned().collect();
    let enable: Vec<String> = new
        .iter()
        .filter(|x| regranular || !old.contains(x))
        .cloned()
        .collect();
    if !disable.is_empty() {
        p.call("autoscaling:DisableMetricsCollection", || {
            p.autoscaling()
                .disable_metrics_collection()
                .auto_scaling_group_name(name)
                .set_metrics(Some(disable.clone()))
                .send()
        })
        .await?;
    }
    if !enable.is_empty() {
        p.call("autoscaling:EnableMetricsCollection", || {
            p.autoscaling()
                .enable_metrics_collection()
                .auto_scaling_group_name(name)
                .set_metrics(Some(enable.clone()))
                .granularity(&granularity)
                .send()
        })
        .await?;
    }
    Ok(())
}

/// How long to wait for capacity: `wait_for_capacity_timeout` (Go duration), `None` for "0".
fn capacity_timeout(v: &Value) -> Result<Option<Duration>, ProviderError> {
    let text = get_str(v, "wait_for_capacity_timeout").unwrap_or("10m");
    let nanos = infra_model::duration::go_nanos(text).ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Rejected,
            format!("wait_for_capacity_timeout = {text:?} is not a duration; write e.g. \"10m\", or \"0\" not to wait"),
        )
    })?;
    Ok((nanos > 0).then(|| Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))))
}

fn in_service(g: &AutoScalingGroup) -> usize {
    g.instances()
        .iter()
        .filter(|i| {
            i.lifecycle_state().map(|s| s.as_str()) == Some("InService")
                && i.health_status()
                    .is_some_and(|h| h.eq_ignore_ascii_case("Healthy"))
        })
        .count()
}

/// Wait until the group has its capacity in service (see the module's doc).
pub(crate) async fn wait_capacity(
    p: &AwsProvider,
    name: &str,
    current: &Value,
) -> Result<Value, ProviderError> {
    let Some(timeout) = capacity_timeout(current)? else {
        return Ok(current.clone());
    };
    let want = get_i64(current, "desired_capacity")
        .or_else(|| get_i64(current, "min_size"))
        .unwrap_or(0)
        .max(0) as usize;
    let what = format!("Auto Scaling group {name} to have {want} healthy instances InService (wait_for_capacity_timeout)");
    p.poll_until(&what, timeout, Duration::from_secs(10), || async {
        let Some(g) = describe_one(p, name).await? else {
            return Err(ProviderError::not_found(format!(
                "Auto Scaling group {name} disappeared while waiting for its capacity; run again to recreate it"
            )));
        };
        Ok((in_service(&g) >= want).then(|| group_value(&g, Some(current))))
    })
    .await
}

fn changed(prior: &Value, desired: &Value, key: &str) -> bool {
    let d = desired.get(key);
    if d.is_unknown() {
        return false;
    }
    let sorted = |v: &Value| {
        let mut l = v.as_list().map(<[Value]>::to_vec).unwrap_or_default();
        l.sort_by_key(|x| x.to_json().to_string());
        l
    };
    match (prior.get(key), d) {
        (Value::List(_), Value::List(_)) if key != "termination_policies" => {
            sorted(prior.get(key)) != sorted(d)
        }
        (p, d) => p != d,
    }
}

/// What the cloud fills in within the template blocks (computed in the schema): a
/// configuration that leaves one null does not change it. The planner fills them from the
/// prior; an adopted create's update gets the raw configuration, where they are null.
const FILLED_IN: &[&str] = &[
    "on_demand_allocation_strategy",
    "on_demand_base_capacity",
    "on_demand_percentage_above_base_capacity",
    "spot_allocation_strategy",
    "spot_instance_pools",
    "launch_template_id",
    "launch_template_name",
    "version",
    "id",
    "name",
];

/// Whether a `launch_template` / `mixed_instances_policy` value says the same as the
/// prior's: what the cloud fills in counts as equal when left null, an absent block as an
/// empty one, a number as its text (`version = 1`).
pub(crate) fn same_template(prior: &Value, desired: &Value) -> bool {
    match (prior, desired) {
        (_, Value::Unknown) => true,
        (Value::Map(p), Value::Map(d)) => p.keys().chain(d.keys()).all(|k| {
            let dv = d.get(k).unwrap_or(&Value::Null);
            (dv.is_null() && FILLED_IN.contains(&k.as_str()))
                || same_template(p.get(k).unwrap_or(&Value::Null), dv)
        }),
        (Value::List(p), Value::List(d)) => {
            p.len() == d.len() && p.iter().zip(d).all(|(a, b)| same_template(a, b))
        }
        (Value::Null, Value::List(l)) | (Value::List(l), Value::Null) => l.is_empty(),
        (Value::Number(n), Value::String(t)) | (Value::String(t), Value::Number(n)) => {
            n.fract() == 0.0 && *t == format!("{}", *n as i64)
        }
        (p, d) => p == d,
    }
}

pub(crate) async fn update_group(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    a::check_supported(id, desired)?;
    let ch = |k: &str| changed(prior, desired, k);
    let d = desired;
    let lt_changed = !same_template(prior.get("launch_template"), d.get("launch_template"));
    let mixed_changed = !same_template(
        prior.get("mixed_instances_policy"),
        d.get("mixed_instances_policy"),
    );
    let template_changed = lt_changed || mixed_changed;
    let fields = [
        "min_size",
        "max_size",
        "desired_capacity",
        "desired_capacity_type",
        "availability_zones",
        "vpc_zone_identifier",
        "capacity_rebalance",
        "context",
        "default_cooldown",
        "default_instance_warmup",
        "health_check_grace_period",
        "health_check_type",
        "max_instance_lifetime",
        "placement_group",
        "protect_from_scale_in",
        "service_linked_role_arn",
        "termination_policies",
        "instance_maintenance_policy",
    ];
    if template_changed || fields.iter().any(|k| ch(k)) {
        let when = |k: &str| ch(k);
        p.call("autoscaling:UpdateAutoScalingGroup", || {
            let mut r = p
                .autoscaling()
                .update_auto_scaling_group()
                .auto_scaling_group_name(id)
                .set_min_size(a::num_arg(d, "min_size"))
                .set_max_size(a::num_arg(d, "max_size"));
            if when("desired_capacity") {
                r = r.set_desired_capacity(a::num_arg(d, "desired_capacity"));
            }
            if when("desired_capacity_type") {
                r = r.set_desired_capacity_type(a::str_arg(d, "desired_capacity_type"));
            }
            if when("availability_zones") {
                r = r.set_availability_zones(a::list(d, "availability_zones"));
            }
            if when("vpc_zone_identifier") {
                r = r.set_vpc_zone_identifier(a::subnets(d));
            }
            if lt_changed {
                r = r.set_launch_template(a::launch_template(d));
            }
            if mixed_changed {
                r = r.set_mixed_instances_policy(a::mixed_instances_policy(d));
            }
            if when("capacity_rebalance") {
                r = r.set_capacity_rebalance(get_bool(d, "capacity_rebalance"));
            }
            if when("context") {
                r = r.set_context(a::str_arg(d, "context"));
            }
            if when("default_cooldown") {
                r = r.set_default_cooldown(a::num_arg(d, "default_cooldown"));
            }
            if when("default_instance_warmup") {
                r = r.set_default_instance_warmup(a::num_arg(d, "default_instance_warmup"));
            }
            if when("health_check_grace_period") {
                r = r.set_health_check_grace_period(a::num_arg(d, "health_check_grace_period"));
            }
            if when("health_check_type") {
                r = r.set_health_check_type(a::str_arg(d, "health_check_type"));
            }
            if when("max_instance_lifetime") {
                r = r.max_instance_lifetime(a::num_arg(d, "max_instance_lifetime").unwrap_or(0));
            }
            if when("placement_group") {
                r = r.set_placement_group(a::str_arg(d, "placement_group"));
            }
            if when("protect_from_scale_in") {
                r = r.set_new_instances_protected_from_scale_in(get_bool(
                    d,
                    "protect_from_scale_in",
                ));
            }
            if when("service_linked_role_arn") {
                r = r.set_service_linked_role_arn(a::str_arg(d, "service_linked_role_arn"));
            }
            if when("termination_policies") {
                r = r.termination_policies_set(d);
            }
            if when("instance_maintenance_policy") {
                r = r.set_instance_maintenance_policy(Some(
                    a::maintenance_policy(d).unwrap_or_else(|| {
                        // AWS clears the policy with -1 / -1
                        aws_sdk_autoscaling::types::InstanceMaintenancePolicy::builder()
                            .min_healthy_percentage(-1)
                            .max_healthy_percentage(-1)
                            .build()
                    }),
                ));
            }
            r.send()
        })
        .await?;
    }
    update_tags(p, id, prior, desired).await?;
    if ch("suspended_processes") {
        set_processes(
            p,
            id,
            &get_strings(prior, "suspended_processes"),
            &get_strings(desired, "suspended_processes"),
        )
        .await?;
    }
    if ch("enabled_metrics") || ch("metrics_granularity") {
        set_metrics(p, id, prior, desired).await?;
    }
    let refresh = block(desired, "instance_refresh");
    if template_changed && !refresh.is_null() {
        crate::autoscaling_refresh::start(p, id, refresh).await?;
    }
    let v = p.read_back(GROUP, id, desired).await?;
    if ch("min_size") || ch("desired_capacity") {
        return wait_capacity(p, id, &v).await;
    }
    Ok(v)
}

/// `termination_policies`: an empty list clears them (AWS's `Default`).
trait TerminationPolicies {
    fn termination_policies_set(self, d: &Value) -> Self;
}

impl TerminationPolicies
    for aws_sdk_autoscaling::operation::update_auto_scaling_group::builders::UpdateAutoScalingGroupFluentBuilder
{
    fn termination_policies_set(self, d: &Value) -> Self {
        let l = get_strings(d, "termination_policies");
        self.set_termination_policies(Some(if l.is_empty() {
            vec!["Default".to_string()]
        } else {
            l
        }))
    }
}

async fn update_tags(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<(), ProviderError> {
    let old = a::tag_blocks(prior);
    let new = a::tag_blocks(desired);
    let removed: Vec<_> = old
        .iter()
        .filter(|(k, _)| !new.contains_key(*k))
        .map(|(k, (v, prop))| a::tag(id, k, v, *prop))
        .collect();
    let set: Vec<_> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(v))
        .map(|(k, (v, prop))| a::tag(id, k, v, *prop))
        .collect();
    if !removed.is_empty() {
        p.call("autoscaling:DeleteTags", || {
            p.autoscaling()
                .delete_tags()
                .set_tags(Some(removed.clone()))
                .send()
        })
        .await?;
    }
    if !set.is_empty() {
        p.call("autoscaling:CreateOrUpdateTags", || {
            p.autoscaling()
                .create_or_update_tags()
                .set_tags(Some(set.clone()))
                .send()
        })
        .await?;
    }
    Ok(())
}

async fn delete_call(p: &AwsProvider, id: &str, force: bool) -> Result<(), ProviderError> {
    match p
        .call("autoscaling:DeleteAutoScalingGroup", || {
            p.autoscaling()
                .delete_auto_scaling_group()
                .auto_scaling_group_name(id)
                .force_delete(force)
                .send()
        })
        .await
    {
        Err(e) if not_found(&e) => Ok(()),
        r => r.map(|_| ()),
    }
}

pub(crate) async fn delete_group(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    let Some(g) = describe_one(p, id).await? else {
        return Ok(());
    };
    let force = get_bool(prior, "force_delete") == Some(true);
    if !force && !a::deleting(&g) {
        if !g.instances().is_empty() || g.desired_capacity().unwrap_or(0) > 0 {
            let drained = p
                .call("autoscaling:UpdateAutoScalingGroup", || {
                    p.autoscaling()
                        .update_auto_scaling_group()
                        .auto_scaling_group_name(id)
                        .min_size(0)
                        .max_size(0)
                        .desired_capacity(0)
                        .send()
                })
                .await;
            match drained {
                Err(e) if not_found(&e) => return Ok(()),
                r => r.map(|_| ())?,
            }
            let what = format!("Auto Scaling group {id} to drain its instances");
            p.poll(&what, || async {
                Ok(match describe_one(p, id).await? {
                    None => Some(()),
                    Some(g) => g.instances().is_empty().then_some(()),
                })
            })
            .await?;
        }
        delete_call(p, id, false).await?;
    } else if !a::deleting(&g) {
        delete_call(p, id, true).await?;
    }
    let what = format!("Auto Scaling group {id} to be deleted");
    p.poll(&what, || async {
        Ok(describe_one(p, id).await?.is_none().then_some(()))
    })
    .await
}

/// The group a create of `req` whose answer was lost made: the group of the name the
/// create used, when it carries the request's `infra:*` tags.
pub(crate) async fn adopt_group(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let name = group_name(req);
    if req.known_ids.iter().any(|k| *k == name) {
        return Ok(None);
    }
    let Some(g) = describe_one(p, &name).await? else {
        return Ok(None);
    };
    let ours = crate::util::pairs_have_infra_tags(
        g.tags()
            .iter()
            .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))),
        req,
    );
    Ok((ours && !a::deleting(&g)).then(|| group_value(&g, Some(&req.config))))
}

#[cfg(test)]
#[path = "autoscaling_tests.rs"]
mod tests;
