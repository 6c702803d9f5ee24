//! `aws_autoscaling_group`'s `instance_refresh`: AWS does not store the block; an update
//! that changes the launch template or the mixed instances policy of a group that sets it
//! starts a refresh with its strategy and preferences (StartInstanceRefresh), cancelling
//! one in progress first (CancelInstanceRefresh), as the Terraform AWS provider does.

use aws_sdk_autoscaling::types::{
    AlarmSpecification, RefreshPreferences, RefreshStrategy, ScaleInProtectedInstances,
    StandbyInstances,
};
use infra_model::Value;
use infra_provider::ProviderError;

use crate::autoscaling::block;
use crate::errors::has_code;
use crate::util::{get_bool, get_i64, get_str, get_strings};
use crate::AwsProvider;

fn refresh_preferences(r: &Value) -> Option<RefreshPreferences> {
    let pr = block(r, "preferences");
    if pr.is_null() {
        return None;
    }
    let int = |k: &str| get_i64(pr, k).and_then(|n| i32::try_from(n).ok());
    let text_int = |k: &str| match pr.get(k) {
        Value::String(s) => s.parse::<i32>().ok(),
        v => v.as_i64().and_then(|n| i32::try_from(n).ok()),
    };
    let checkpoints: Vec<i32> = pr
        .get("checkpoint_percentages")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .filter_map(|v| v.as_i64().and_then(|n| i32::try_from(n).ok()))
        .collect();
    let alarms = get_strings(block(pr, "alarm_specification"), "alarms");
    Some(
        RefreshPreferences::builder()
            .set_min_healthy_percentage(int("min_healthy_percentage"))
            .set_max_healthy_percentage(int("max_healthy_percentage"))
            .set_instance_warmup(text_int("instance_warmup"))
            .set_checkpoint_delay(text_int("checkpoint_delay"))
            .set_checkpoint_percentages((!checkpoints.is_empty()).then_some(checkpoints))
            .set_skip_matching(get_bool(pr, "skip_matching"))
            .set_auto_rollback(get_bool(pr, "auto_rollback"))
            .set_scale_in_protected_instances(
                get_str(pr, "scale_in_protected_instances").map(ScaleInProtectedInstances::from),
            )
            .set_standby_instances(get_str(pr, "standby_instances").map(StandbyInstances::from))
            .set_alarm_specification((!alarms.is_empty()).then(|| {
                AlarmSpecification::builder()
                    .set_alarms(Some(alarms))
                    .build()
            }))
            .build(),
    )
}

pub(crate) async fn start(p: &AwsProvider, name: &str, r: &Value) -> Result<(), ProviderError> {
    let strategy = get_str(r, "strategy").unwrap_or("Rolling");
    let prefs = refresh_preferences(r);
    let start = || {
        p.call("autoscaling:StartInstanceRefresh", || {
            p.autoscaling()
                .start_instance_refresh()
                .auto_scaling_group_name(name)
                .strategy(RefreshStrategy::from(strategy))
                .set_preferences(prefs.clone())
                .send()
        })
    };
    match start().await {
        Err(e) if has_code(&e, &["InstanceRefreshInProgress"]) => {
            p.call("autoscaling:CancelInstanceRefresh", || {
                p.autoscaling()
                    .cancel_instance_refresh()
                    .auto_scaling_group_name(name)
                    .send()
            })
            .await?;
            start().await.map(|_| ())
        }
        r => r.map(|_| ()),
    }
}
