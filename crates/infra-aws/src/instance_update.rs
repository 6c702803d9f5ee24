//! `aws_instance` updates in place, as the provider makes them: tags and `volume_tags`
//! (CreateTags / DeleteTags), ModifyInstanceAttribute for security groups,
//! source/destination check, termination and stop protection and shutdown behaviour,
//! Monitor/UnmonitorInstances, ModifyInstanceMetadataOptions,
//! ModifyInstanceCreditSpecification, the instance profile (the association replaced by
//! a disassociation and an association), secondary private IPs on the primary interface,
//! the root volume (ModifyVolume; its `delete_on_termination` through the block device
//! mapping); `instance_type` and the user data stop the instance, change, and start it
//! again (when it was running).

use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, AttributeValue, InstanceBlockDeviceMappingSpecification,
    InstanceCreditSpecificationRequest, InstanceStateName, SecureBlobAttributeValue,
    ShutdownBehavior, VolumeType,
};
use infra_model::Value;
use infra_provider::{ErrorKind, ProviderError};

use crate::instance::TYPE;
use crate::instance_launch::{metadata_options, user_data_base64};
use crate::instance_ops::{find, state_of, wait_state};
use crate::util::{filter, first_block, get_bool, get_str, get_strings};
use crate::AwsProvider;

/// Whether `key` differs between `prior` and `desired` and `desired` says something.
fn changed(prior: &Value, desired: &Value, key: &str) -> bool {
    let want = desired.get(key);
    !matches!(want, Value::Null | Value::Unknown) && prior.get(key) != want
}

/// Whether a block sets an attribute to something other than what the prior block has.
fn block_changed(prior: &Value, desired: &Value) -> bool {
    desired.as_map().is_some_and(|m| {
        m.iter()
            .any(|(k, v)| !matches!(v, Value::Null | Value::Unknown) && prior.get(k) != v)
    })
}

fn set_changed(prior: &Value, desired: &Value, key: &str) -> bool {
    let mut a = get_strings(prior, key);
    let mut b = get_strings(desired, key);
    a.sort();
    b.sort();
    !desired.get(key).is_null() && !desired.get(key).is_unknown() && a != b
}

pub(crate) async fn modify(
    p: &AwsProvider,
    id: &str,
    what: impl Fn(
        aws_sdk_ec2::operation::modify_instance_attribute::builders::ModifyInstanceAttributeFluentBuilder,
    ) -> aws_sdk_ec2::operation::modify_instance_attribute::builders::ModifyInstanceAttributeFluentBuilder,
) -> Result<(), ProviderError> {
    p.call("ec2:ModifyInstanceAttribute", || {
        what(p.ec2().modify_instance_attribute().instance_id(id)).send()
    })
    .await
    .map(|_| ())
}

pub(crate) fn boolean(v: bool) -> AttributeBooleanValue {
    AttributeBooleanValue::builder().value(v).build()
}

/// Tags of a volume from `old` to `new` (maps of strings), never `infra:*`.
async fn volume_tags(
    p: &AwsProvider,
    volume: &str,
    old: &Value,
    new: &Value,
) -> Result<(), ProviderError> {
    let wrap = |v: &Value| Value::map([("tags", v.clone())]);
    crate::util::update_tags(p, volume, &wrap(old), &wrap(new)).await
}

/// The volume ids of the instance as the prior records them.
fn prior_volumes(prior: &Value) -> Vec<String> {
    ["root_block_device", "ebs_block_device"]
        .iter()
        .flat_map(|b| prior.get(b).as_list().unwrap_or_default().to_vec())
        .filter_map(|b| get_str(&b, "volume_id").map(str::to_string))
        .collect()
}

/// Root and EBS volumes: size, type, IOPS, throughput of the root volume (ModifyVolume),
/// its `delete_on_termination`, each block's tags and `volume_tags`.
async fn update_volumes(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<(), ProviderError> {
    if prior.get("volume_tags") != desired.get("volume_tags")
        && !desired.get("volume_tags").is_unknown()
    {
        for v in prior_volumes(prior) {
            volume_tags(p, &v, prior.get("volume_tags"), desired.get("volume_tags")).await?;
        }
    }
    let (old, new) = (
        first_block(prior, "root_block_device"),
        first_block(desired, "root_block_device"),
    );
    if let (Some(volume), Some(_)) = (get_str(old, "volume_id"), new.as_map()) {
        let size = changed(old, new, "volume_size").then(|| new.get("volume_size").as_i64());
        let vt = changed(old, new, "volume_type").then(|| get_str(new, "volume_type"));
        let iops = changed(old, new, "iops").then(|| new.get("iops").as_i64());
        let tp = changed(old, new, "throughput").then(|| new.get("throughput").as_i64());
        if size.is_some() || vt.is_some() || iops.is_some() || tp.is_some() {
            let i32_of = |n: Option<Option<i64>>| n.flatten().and_then(|n| i32::try_from(n).ok());
            p.call("ec2:ModifyVolume", || {
                p.ec2()
                    .modify_volume()
                    .volume_id(volume)
                    .set_size(i32_of(size))
                    .set_volume_type(vt.flatten().map(VolumeType::from))
                    .set_iops(i32_of(iops).filter(|n| *n > 0))
                    .set_throughput(i32_of(tp).filter(|n| *n > 0))
                    .send()
            })
            .await?;
        }
        if changed(old, new, "delete_on_termination") {
            let keep = get_bool(new, "delete_on_termination").unwrap_or(true);
            let dev = get_str(old, "device_name").unwrap_or_default().to_string();
            modify(p, id, |m| {
                m.block_device_mappings(
                    InstanceBlockDeviceMappingSpecification::builder()
                        .device_name(&dev)
                        .ebs(
                            aws_sdk_ec2::types::EbsInstanceBlockDeviceSpecification::builder()
                                .delete_on_termination(keep)
                                .build(),
                        )
                        .build(),
                )
            })
            .await?;
        }
        if old.get("tags") != new.get("tags") {
            volume_tags(p, volume, old.get("tags"), new.get("tags")).await?;
        }
    }
    // an EBS block's tags (the rest of the block replaces the instance)
    for b in desired
        .get("ebs_block_device")
        .as_list()
        .unwrap_or_default()
    {
        let dev = b.get("device_name").as_str();
        let before = prior
            .get("ebs_block_device")
            .as_list()
            .unwrap_or_default()
            .iter()
            .find(|x| x.get("device_name").as_str() == dev);
        if let Some(before) = before {
            if let Some(volume) = get_str(before, "volume_id") {
                if before.get("tags") != b.get("tags") {
                    volume_tags(p, volume, before.get("tags"), b.get("tags")).await?;
                }
            }
        }
    }
    Ok(())
}

/// The instance profile: disassociate what is there, associate the new one. (The
/// emulator's ReplaceIamInstanceProfileAssociation leaves the instance naming the old
/// profile.)
async fn update_profile(p: &AwsProvider, id: &str, desired: &Value) -> Result<(), ProviderError> {
    let out = p
        .call("ec2:DescribeIamInstanceProfileAssociations", || {
            p.ec2()
                .describe_iam_instance_profile_associations()
                .filters(filter("instance-id", [id]))
                .send()
        })
        .await?;
    for a in out.iam_instance_profile_associations() {
        let live = !matches!(
            a.state().map(|s| s.as_str()),
            Some("disassociating" | "disassociated")
        );
        if let (Some(assoc), true, true) = (a.association_id(), live, a.instance_id() == Some(id)) {
            p.call("ec2:DisassociateIamInstanceProfile", || {
                p.ec2()
                    .disassociate_iam_instance_profile()
                    .association_id(assoc)
                    .send()
            })
            .await?;
        }
    }
    if let Some(name) = get_str(desired, "iam_instance_profile") {
        p.call("ec2:AssociateIamInstanceProfile", || {
            p.ec2()
                .associate_iam_instance_profile()
                .instance_id(id)
                .iam_instance_profile(
                    aws_sdk_ec2::types::IamInstanceProfileSpecification::builder()
                        .name(name)
                        .build(),
                )
                .send()
        })
        .await?;
    }
    Ok(())
}

/// Secondary private IPs of the primary interface: assign what is new, unassign the rest.
async fn update_secondary_ips(
    p: &AwsProvider,
    prior: &Value,
    desired: &Value,
) -> Result<(), ProviderError> {
    let Some(eni) = get_str(prior, "primary_network_interface_id") else {
        return Ok(());
    };
    let old = get_strings(prior, "secondary_private_ips");
    let new = get_strings(desired, "secondary_private_ips");
    let gone: Vec<String> = old.iter().filter(|a| !new.contains(a)).cloned().collect();
    let add: Vec<String> = new.iter().filter(|a| !old.contains(a)).cloned().collect();
    if !gone.is_empty() {
        p.call("ec2:UnassignPrivateIpAddresses", || {
            p.ec2()
                .unassign_private_ip_addresses()
                .network_interface_id(eni)
                .set_private_ip_addresses(Some(gone.clone()))
                .send()
        })
        .await?;
    }
    if !add.is_empty() {
        p.call("ec2:AssignPrivateIpAddresses", || {
            p.ec2()
                .assign_private_ip_addresses()
                .network_interface_id(eni)
                .set_private_ip_addresses(Some(add.clone()))
                .send()
        })
        .await?;
    }
    Ok(())
}

/// `instance_type` and user data, which EC2 changes only on a stopped instance: stop,
/// change, start again when it was running (as the provider).
async fn update_stopped(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<(), ProviderError> {
    let new_type = changed(prior, desired, "instance_type");
    let user_changed = prior.get("user_data") != desired.get("user_data")
        || prior.get("user_data_base64") != desired.get("user_data_base64");
    if !new_type && !user_changed {
        return Ok(());
    }
    let was_running = match find(p, id).await? {
        Some(f) => state_of(&f) != Some(InstanceStateName::Stopped),
        None => return Err(ProviderError::not_found(format!("instance {id} is gone"))),
    };
    // what the progress lines say until the instance runs again, however this ends
    let _note = p.waiting_note(id);
    if was_running {
        p.note_waiting(id, "stopping the instance to change it".into());
        p.call("ec2:StopInstances", || {
            p.ec2().stop_instances().instance_ids(id).send()
        })
        .await?;
        wait_state(
            p,
            id,
            InstanceStateName::Stopped,
            &[
                InstanceStateName::Terminated,
                InstanceStateName::ShuttingDown,
            ],
        )
        .await?;
    }
    if new_type {
        let t = get_str(desired, "instance_type")
            .unwrap_or_default()
            .to_string();
        modify(p, id, |m| {
            m.instance_type(AttributeValue::builder().value(&t).build())
        })
        .await?;
    }
    if user_changed {
        let b64 = user_data_base64(desired)
            .map_err(|e| ProviderError::new(ErrorKind::Rejected, format!("instance {id}: {e}")))?
            .unwrap_or_default();
        // the attribute takes the base64 text itself (the SDK encodes the blob again)
        modify(p, id, |m| {
            m.user_data(
                SecureBlobAttributeValue::builder()
                    .value(Blob::new(b64.as_bytes()))
                    .build(),
            )
        })
        .await?;
    }
    if was_running {
        p.call("ec2:StartInstances", || {
            p.ec2().start_instances().instance_ids(id).send()
        })
        .await?;
        wait_state(
            p,
            id,
            InstanceStateName::Running,
            &[
                InstanceStateName::Terminated,
                InstanceStateName::ShuttingDown,
            ],
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    crate::util::update_tags(p, id, prior, desired).await?;
    update_volumes(p, id, prior, desired).await?;
    if set_changed(prior, desired, "vpc_security_group_ids") {
        let groups = get_strings(desired, "vpc_security_group_ids");
        if !groups.is_empty() {
            modify(p, id, |m| m.set_groups(Some(groups.clone()))).await?;
        }
    }
    if changed(prior, desired, "source_dest_check") {
        let v = get_bool(desired, "source_dest_check").unwrap_or(true);
        modify(p, id, |m| m.source_dest_check(boolean(v))).await?;
    }
    if changed(prior, desired, "disable_api_termination") {
        let v = get_bool(desired, "disable_api_termination").unwrap_or(false);
        modify(p, id, |m| m.disable_api_termination(boolean(v))).await?;
    }
    if changed(prior, desired, "disable_api_stop") {
        let v = get_bool(desired, "disable_api_stop").unwrap_or(false);
        modify(p, id, |m| m.disable_api_stop(boolean(v))).await?;
    }
    if changed(prior, desired, "instance_initiated_shutdown_behavior") {
        let v = get_str(desired, "instance_initiated_shutdown_behavior")
            .unwrap_or("stop")
            .to_string();
        modify(p, id, |m| {
            m.instance_initiated_shutdown_behavior(
                AttributeValue::builder()
                    .value(ShutdownBehavior::from(v.as_str()).as_str())
                    .build(),
            )
        })
        .await?;
    }
    if changed(prior, desired, "monitoring") {
        if get_bool(desired, "monitoring") == Some(true) {
            p.call("ec2:MonitorInstances", || {
                p.ec2().monitor_instances().instance_ids(id).send()
            })
            .await?;
        } else {
            p.call("ec2:UnmonitorInstances", || {
                p.ec2().unmonitor_instances().instance_ids(id).send()
            })
            .await?;
        }
    }
    if block_changed(
        first_block(prior, "metadata_options"),
        first_block(desired, "metadata_options"),
    ) {
        if let Some(m) = metadata_options(desired) {
            p.call("ec2:ModifyInstanceMetadataOptions", || {
                p.ec2()
                    .modify_instance_metadata_options()
                    .instance_id(id)
                    .set_http_endpoint(m.http_endpoint().cloned())
                    .set_http_tokens(m.http_tokens().cloned())
                    .set_http_put_response_hop_limit(m.http_put_response_hop_limit())
                    .set_http_protocol_ipv6(m.http_protocol_ipv6().cloned())
                    .set_instance_metadata_tags(m.instance_metadata_tags().cloned())
                    .send()
            })
            .await?;
        }
    }
    let credits = get_str(first_block(desired, "credit_specification"), "cpu_credits");
    if let Some(cc) = credits.filter(|cc| {
        get_str(first_block(prior, "credit_specification"), "cpu_credits") != Some(*cc)
    }) {
        p.call("ec2:ModifyInstanceCreditSpecification", || {
            p.ec2()
                .modify_instance_credit_specification()
                .instance_credit_specifications(
                    InstanceCreditSpecificationRequest::builder()
                        .instance_id(id)
                        .cpu_credits(cc)
                        .build(),
                )
                .send()
        })
        .await?;
    }
    if !desired.get("iam_instance_profile").is_unknown()
        && prior.get("iam_instance_profile") != desired.get("iam_instance_profile")
    {
        update_profile(p, id, desired).await?;
    }
    if set_changed(prior, desired, "secondary_private_ips") {
        update_secondary_ips(p, prior, desired).await?;
    }
    update_stopped(p, id, prior, desired).await?;
    p.read_back(TYPE, id, desired).await
}
