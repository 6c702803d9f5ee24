//! `aws_instance`: create (RunInstances), the wait for `running`, terminate, and
//! adoption.
//!
//! RunInstances carries the create's idempotency token as `ClientToken` and the `infra:*`
//! tags: a create whose answer was lost is found again among the stack's instances by
//! those tags, preferring the one whose `ClientToken` is the token (the emulator does not
//! honour the token, so the tags are what keeps a retry from making a second instance).
//! After RunInstances, what the request could not set (or the API ignored) is set as an
//! update would, as the provider does.
//!
//! Updates in place are `instance_update`'s.

use aws_sdk_ec2::types::InstanceStateName;
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError};

use crate::errors::has_code;
use crate::instance::{describe, is_gone, values, Found, TYPE};
use crate::instance_launch::run_input;
use crate::instance_update::{boolean, modify, update};
use crate::util::{filter, first_block, get_bool, get_str, infra_filters};
use crate::AwsProvider;

/// What RunInstances answers while an instance profile just made is not yet usable by EC2.
fn profile_not_ready(e: &ProviderError) -> bool {
    has_code(e, &["InvalidParameterValue"])
        && (e.message.contains("Invalid IAM Instance Profile")
            || e.message.contains("has no associated IAM Roles"))
}

/// The root device name of an AMI, where `root_block_device` goes.
async fn root_device(p: &AwsProvider, ami: &str) -> Result<Option<String>, ProviderError> {
    let out = p
        .call("ec2:DescribeImages", || {
            p.ec2().describe_images().image_ids(ami).send()
        })
        .await?;
    Ok(out
        .images()
        .iter()
        .find(|i| i.image_id() == Some(ami))
        .and_then(|i| i.root_device_name())
        .map(str::to_string))
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    let root = match (first_block(c, "root_block_device").as_map(), get_str(c, "ami")) {
        (Some(_), Some(ami)) => Some(root_device(p, ami).await?.ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "{}: AMI {ami} has no root device name, so `root_block_device` has nowhere to go; check `ami`",
                    req.address
                ),
            )
        })?),
        _ => None,
    };
    let input = run_input(req, root.as_deref())?;
    let started = std::time::Instant::now();
    let out = loop {
        match p
            .call("ec2:RunInstances", || input.clone().send_with(p.ec2()))
            .await
        {
            // an instance profile made moments ago takes a few seconds to reach EC2
            Err(e) if profile_not_ready(&e) && started.elapsed().as_secs() < 120 => {
                tracing::info!(address = %req.address, error = %e, "instance profile not usable yet; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            }
            r => break r?,
        }
    };
    let id = out
        .instances()
        .first()
        .and_then(|i| i.instance_id())
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Other,
                format!("{}: RunInstances answered no instance", req.address),
            )
        })?
        .to_string();
    let made = p.read_back(TYPE, &id, c).await?;
    // what the request could not set or the API ignored, as the provider's update after
    // its create (the emulator ignores `DisableApiTermination` in RunInstances)
    let mut desired = made.as_map().cloned().unwrap_or_default();
    if let Some(config) = c.as_map() {
        for (k, v) in config {
            if !matches!(v, Value::Null | Value::Unknown) {
                desired.insert(k.clone(), v.clone());
            }
        }
    }
    update(p, &id, &made, &Value::Map(desired)).await
}

/// The instance `id` as DescribeInstances answers it now, if it exists.
pub(crate) async fn find(p: &AwsProvider, id: &str) -> Result<Option<Found>, ProviderError> {
    Ok(describe(p, vec![filter("instance-id", [id])])
        .await?
        .into_iter()
        .find(|f| f.instance.instance_id() == Some(id)))
}

pub(crate) fn state_of(f: &Found) -> Option<InstanceStateName> {
    f.instance.state().and_then(|s| s.name()).cloned()
}

/// Poll until `id` is in state `want`; a state in `fail` (or the instance gone) is an error.
pub(crate) async fn wait_state(
    p: &AwsProvider,
    id: &str,
    want: InstanceStateName,
    fail: &[InstanceStateName],
) -> Result<Found, ProviderError> {
    let _note = p.waiting_note(id);
    p.poll(&format!("instance {id} to be {}", want.as_str()), || async {
        let Some(f) = find(p, id).await? else {
            return Err(ProviderError::not_found(format!(
                "instance {id} disappeared while waiting for it to be {}",
                want.as_str()
            )));
        };
        let state = state_of(&f);
        if state.as_ref() == Some(&want) {
            return Ok(Some(f));
        }
        if let Some(s) = state.as_ref().filter(|s| fail.contains(s)) {
            let reason = f
                .instance
                .state_reason()
                .and_then(|r| r.message())
                .filter(|m| !m.is_empty())
                .unwrap_or("no reason given");
            return Err(ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "instance {id} went {} instead of {} ({reason}); check its console output, then run again",
                    s.as_str(),
                    want.as_str()
                ),
            ));
        }
        p.note_waiting(
            id,
            format!(
                "instance state {}",
                state.as_ref().map(|s| s.as_str()).unwrap_or("unknown")
            ),
        );
        Ok(None)
    })
    .await
}

pub(crate) async fn wait_ready(
    p: &AwsProvider,
    id: &str,
    current: &Value,
) -> Result<Value, ProviderError> {
    let f = wait_state(
        p,
        id,
        InstanceStateName::Running,
        &[
            InstanceStateName::ShuttingDown,
            InstanceStateName::Terminated,
            InstanceStateName::Stopping,
            InstanceStateName::Stopped,
        ],
    )
    .await?;
    Ok(values(p, &[f], |_| Some(current.clone()))
        .await?
        .remove(id)
        .unwrap_or_else(|| current.clone()))
}

/// Terminate `id` and wait until it is terminated. With `force_destroy`, termination and
/// stop protection are lifted first; otherwise a protected instance is an error that says
/// so, as in the provider.
pub(crate) async fn delete(p: &AwsProvider, id: &str, prior: &Value) -> Result<(), ProviderError> {
    if get_bool(prior, "force_destroy") == Some(true) {
        let lifted = async {
            modify(p, id, |m| m.disable_api_termination(boolean(false))).await?;
            modify(p, id, |m| m.disable_api_stop(boolean(false))).await
        };
        match lifted.await {
            Err(e) if crate::errors::is_not_found(&e) => return Ok(()),
            r => r?,
        }
    }
    match p
        .call("ec2:TerminateInstances", || {
            p.ec2().terminate_instances().instance_ids(id).send()
        })
        .await
    {
        Err(e) if crate::errors::is_not_found(&e) => return Ok(()),
        Err(e) if has_code(&e, &["OperationNotPermitted"]) => {
            return Err(ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "instance {id} has termination protection ({}): set `disable_api_termination = false` (or `force_destroy = true`) and apply, then destroy",
                    e.message
                ),
            )
            .with_code("OperationNotPermitted"))
        }
        r => r?,
    };
    let _note = p.waiting_note(id);
    p.poll(&format!("instance {id} to be terminated"), || async {
        let f = find(p, id).await?;
        Ok(match f {
            None => Some(()),
            Some(f) if state_of(&f) == Some(InstanceStateName::Terminated) => Some(()),
            Some(f) => {
                p.note_waiting(
                    id,
                    format!(
                        "instance state {}",
                        state_of(&f)
                            .as_ref()
                            .map(|s| s.as_str())
                            .unwrap_or("unknown")
                    ),
                );
                None
            }
        })
    })
    .await
}

/// The instance an interrupted create of `req` made: among the stack's live instances
/// carrying its `infra:*` tags, the one with its `ClientToken` first.
pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let mut found: Vec<Found> = describe(p, infra_filters(req))
        .await?
        .into_iter()
        .filter(|f| !is_gone(&f.instance))
        .filter(|f| crate::util::has_infra_tags(f.instance.tags(), req))
        .filter(|f| {
            !f.instance
                .instance_id()
                .is_some_and(|i| req.known_ids.iter().any(|k| k == i))
        })
        .collect();
    found.sort_by_key(|f| {
        (
            req.token.is_empty() || f.instance.client_token() != Some(req.token.as_str()),
            f.instance.launch_time().map(|t| t.secs()),
        )
    });
    let Some(f) = found.into_iter().next() else {
        return Ok(None);
    };
    let id = f.instance.instance_id().unwrap_or_default().to_string();
    Ok(values(p, &[f], |_| Some(req.config.clone()))
        .await?
        .remove(&id))
}
