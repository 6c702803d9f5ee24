//! `aws_kms_key`: the key terraform-aws-eks makes (through terraform-aws-kms) to encrypt a
//! cluster's secrets.
//!
//! A key's id is its key id (Terraform's import id). KMS has no batched describe: a refresh
//! is DescribeKey, GetKeyPolicy, GetKeyRotationStatus and ListResourceTags per key. A key
//! pending deletion reads as gone, as in Terraform. Description (UpdateKeyDescription),
//! policy (PutKeyPolicy), rotation (Enable/DisableKeyRotation), the enabled state
//! (Enable/DisableKey) and tags change in place; destroy schedules the deletion
//! (ScheduleKeyDeletion, `deletion_window_in_days`). CreateKey takes no idempotency token:
//! a lost answer is adopted by the `infra:*` tags the key was created with.
//!
//! Aliases are in `kms_alias`.

use std::collections::BTreeMap;

use aws_sdk_kms::types::{KeyMetadata, KeyState, KeyUsageType, Tag};
use infra_model::Value;
use infra_provider::{CreateRequest, ProviderError, ReadRequest};

use crate::errors::has_code;
use crate::util::{
    create_tag_pairs, get_bool, get_i64, get_str, opt, pairs_have_infra_tags, put_tag_pairs,
    tag_changes,
};
use crate::AwsProvider;

pub(crate) const KEY: &str = "aws_kms_key";

pub(crate) const NOT_FOUND: &[&str] = &["NotFoundException"];
/// A key pending deletion answers this to most calls.
const INVALID_STATE: &[&str] = &["KMSInvalidStateException"];

fn gone(m: &KeyMetadata) -> bool {
    matches!(
        m.key_state(),
        Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)
    )
}

async fn describe(p: &AwsProvider, id: &str) -> Result<Option<KeyMetadata>, ProviderError> {
    match p
        .call("kms:DescribeKey", || {
            p.kms().describe_key().key_id(id).send()
        })
        .await
    {
        Ok(out) => Ok(out.key_metadata().filter(|m| !gone(m)).cloned()),
        Err(e) if has_code(&e, NOT_FOUND) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn tags_of(p: &AwsProvider, id: &str) -> Result<Vec<Tag>, ProviderError> {
    p.paginate(
        "kms:ListResourceTags",
        |marker| {
            p.kms()
                .list_resource_tags()
                .key_id(id)
                .set_marker(marker)
                .send()
        },
        |page| page.tags(),
        |page| page.next_marker(),
    )
    .await
}

/// The key's value: metadata, policy, rotation and tags, plus what the cloud does not
/// store (the lockout check's bypass, the deletion window) from `prior`.
async fn key_value(
    p: &AwsProvider,
    m: &KeyMetadata,
    prior: Option<&Value>,
) -> Result<Value, ProviderError> {
    let id = m.key_id();
    let policy = p
        .call("kms:GetKeyPolicy", || {
            p.kms()
                .get_key_policy()
                .key_id(id)
                .policy_name("default")
                .send()
        })
        .await?;
    // asymmetric and HMAC keys have no rotation: UnsupportedOperationException
    let rotation = match p
        .call("kms:GetKeyRotationStatus", || {
            p.kms().get_key_rotation_status().key_id(id).send()
        })
        .await
    {
        Ok(r) => Some(r),
        Err(e) if has_code(&e, &["UnsupportedOperationException"]) => None,
        Err(e) => return Err(e),
    };
    let tags = tags_of(p, id).await?;
    let mut v = BTreeMap::new();
    v.insert("id".into(), Value::string(id));
    v.insert("key_id".into(), Value::string(id));
    v.insert("arn".into(), opt(m.arn()));
    v.insert(
        "description".into(),
        Value::string(m.description().unwrap_or_default()),
    );
    v.insert(
        "key_usage".into(),
        opt(m.key_usage().map(KeyUsageType::as_str)),
    );
    v.insert(
        "customer_master_key_spec".into(),
        opt(m.key_spec().map(|s| s.as_str())),
    );
    v.insert("custom_key_store_id".into(), opt(m.custom_key_store_id()));
    v.insert(
        "xks_key_id".into(),
        opt(m.xks_key_configuration().and_then(|x| x.id())),
    );
    v.insert("policy".into(), opt(policy.policy()));
    v.insert("is_enabled".into(), Value::Bool(m.enabled()));
    v.insert(
        "multi_region".into(),
        Value::Bool(m.multi_region() == Some(true)),
    );
    v.insert(
        "enable_key_rotation".into(),
        Value::Bool(rotation.as_ref().is_some_and(|r| r.key_rotation_enabled())),
    );
    v.insert(
        "rotation_period_in_days".into(),
        match rotation.as_ref().and_then(|r| r.rotation_period_in_days()) {
            Some(d) => Value::Number(f64::from(d)),
            None => Value::Null,
        },
    );
    let carried = |k: &str| match prior.map(|p| p.get(k)) {
        Some(Value::Unknown) | None => Value::Null,
        Some(v) => v.clone(),
    };
    v.insert(
        "bypass_policy_lockout_safety_check".into(),
        match carried("bypass_policy_lockout_safety_check") {
            Value::Null => Value::Bool(false),
            b => b,
        },
    );
    v.insert(
        "deletion_window_in_days".into(),
        carried("deletion_window_in_days"),
    );
    put_tag_pairs(
        &mut v,
        tags.iter().map(|t| (t.tag_key(), t.tag_value())),
        prior,
    );
    Ok(Value::Map(v))
}

pub(crate) async fn read_keys(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let mut out = BTreeMap::new();
    for item in items {
        if let Some(m) = describe(p, &item.id).await? {
            out.insert(item.id.clone(), key_value(p, &m, Some(&item.prior)).await?);
        }
    }
    Ok(out)
}

/// Whether two policy documents say the same (JSON equality, not text equality).
fn same_policy(a: Option<&str>, b: Option<&str>) -> bool {
    let parse = |s: Option<&str>| s.and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok());
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

async fn set_rotation(p: &AwsProvider, id: &str, c: &Value) -> Result<(), ProviderError> {
    if get_bool(c, "enable_key_rotation") == Some(true) {
        let days = get_i64(c, "rotation_period_in_days").map(|d| d as i32);
        p.call("kms:EnableKeyRotation", || {
            p.kms()
                .enable_key_rotation()
                .key_id(id)
                .set_rotation_period_in_days(days)
                .send()
        })
        .await?;
    } else {
        p.call("kms:DisableKeyRotation", || {
            p.kms().disable_key_rotation().key_id(id).send()
        })
        .await?;
    }
    Ok(())
}

async fn set_enabled(p: &AwsProvider, id: &str, enabled: bool) -> Result<(), ProviderError> {
    if enabled {
        p.call("kms:EnableKey", || p.kms().enable_key().key_id(id).send())
            .await?;
    } else {
        p.call("kms:DisableKey", || p.kms().disable_key().key_id(id).send())
            .await?;
    }
    Ok(())
}

pub(crate) async fn create_key(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    let tags: Vec<Tag> = create_tag_pairs(req)
        .into_iter()
        .filter_map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build().ok())
        .collect();
    let spec = get_str(c, "customer_master_key_spec").map(aws_sdk_kms::types::KeySpec::from);
    let out = p
        .call("kms:CreateKey", || {
            p.kms()
                .create_key()
                .set_description(get_str(c, "description").map(str::to_string))
                .set_key_usage(get_str(c, "key_usage").map(KeyUsageType::from))
                .set_key_spec(spec.clone())
                .set_policy(get_str(c, "policy").map(str::to_string))
                .set_bypass_policy_lockout_safety_check(get_bool(
                    c,
                    "bypass_policy_lockout_safety_check",
                ))
                .set_custom_key_store_id(get_str(c, "custom_key_store_id").map(str::to_string))
                .set_xks_key_id(get_str(c, "xks_key_id").map(str::to_string))
                .set_multi_region(get_bool(c, "multi_region"))
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
    let id = out
        .key_metadata()
        .map(|m| m.key_id().to_string())
        .ok_or_else(|| crate::errors::missing(KEY, "KeyMetadata.KeyId"))?;
    if get_bool(c, "enable_key_rotation") == Some(true) {
        set_rotation(p, &id, c).await?;
    }
    if get_bool(c, "is_enabled") == Some(false) {
        set_enabled(p, &id, false).await?;
    }
    p.read_back(KEY, &id, c).await
}

pub(crate) async fn update_key(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let known = |k: &str| !desired.get(k).is_unknown();
    if known("description") && get_str(prior, "description") != get_str(desired, "description") {
        let d = get_str(desired, "description")
            .unwrap_or_default()
            .to_string();
        p.call("kms:UpdateKeyDescription", || {
            p.kms()
                .update_key_description()
                .key_id(id)
                .description(&d)
                .send()
        })
        .await?;
    }
    if let Some(policy) = get_str(desired, "policy") {
        if !same_policy(get_str(prior, "policy"), Some(policy)) {
            let bypass = get_bool(desired, "bypass_policy_lockout_safety_check");
            p.call("kms:PutKeyPolicy", || {
                p.kms()
                    .put_key_policy()
                    .key_id(id)
                    .policy_name("default")
                    .policy(policy)
                    .set_bypass_policy_lockout_safety_check(bypass)
                    .send()
            })
            .await?;
        }
    }
    let enabled = |v: &Value| get_bool(v, "is_enabled") != Some(false);
    // rotation can only change on an enabled key: enable first, disable last
    if known("is_enabled") && enabled(desired) && !enabled(prior) {
        set_enabled(p, id, true).await?;
    }
    let rotation = |v: &Value| {
        (
            get_bool(v, "enable_key_rotation") == Some(true),
            get_i64(v, "rotation_period_in_days"),
        )
    };
    let (want, days) = rotation(desired);
    let (had, had_days) = rotation(prior);
    if known("enable_key_rotation") && (want != had || (want && days.is_some() && days != had_days))
    {
        set_rotation(p, id, desired).await?;
    }
    if known("is_enabled") && !enabled(desired) && enabled(prior) {
        set_enabled(p, id, false).await?;
    }
    let (removed, changed) = tag_changes(prior, desired);
    if !removed.is_empty() {
        p.call("kms:UntagResource", || {
            p.kms()
                .untag_resource()
                .key_id(id)
                .set_tag_keys(Some(removed.clone()))
                .send()
        })
        .await?;
    }
    if !changed.is_empty() {
        let tags: Vec<Tag> = changed
            .iter()
            .filter_map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build().ok())
            .collect();
        p.call("kms:TagResource", || {
            p.kms()
                .tag_resource()
                .key_id(id)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
    }
    p.read_back(KEY, id, desired).await
}

/// ScheduleKeyDeletion with the configured window (AWS's default, 30 days, when unset). A
/// key that is gone or already pending deletion is deleted.
pub(crate) async fn delete_key(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    let days = get_i64(prior, "deletion_window_in_days").map(|d| d as i32);
    match p
        .call("kms:ScheduleKeyDeletion", || {
            p.kms()
                .schedule_key_deletion()
                .key_id(id)
                .set_pending_window_in_days(days)
                .send()
        })
        .await
    {
        Err(e) if has_code(&e, NOT_FOUND) => Ok(()),
        Err(e) if has_code(&e, INVALID_STATE) => match describe(p, id).await? {
            None => Ok(()),
            Some(_) => Err(e),
        },
        r => r.map(|_| ()),
    }
}

/// The key a create of `req` whose answer was lost made: the one live key carrying the
/// request's `infra:*` tags.
pub(crate) async fn adopt_key(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let keys = p
        .paginate(
            "kms:ListKeys",
            |marker| p.kms().list_keys().set_marker(marker).send(),
            |page| page.keys(),
            |page| page.next_marker(),
        )
        .await?;
    for k in keys {
        let Some(id) = k.key_id() else { continue };
        if req.known_ids.iter().any(|known| known == id) {
            continue;
        }
        // AWS managed keys refuse ListResourceTags to some callers: not ours either way
        let tags = match tags_of(p, id).await {
            Ok(t) => t,
            Err(e) if has_code(&e, &["AccessDeniedException", "NotFoundException"]) => continue,
            Err(e) => return Err(e),
        };
        if !pairs_have_infra_tags(tags.iter().map(|t| (t.tag_key(), t.tag_value())), req) {
            continue;
        }
        if let Some(m) = describe(p, id).await? {
            return Ok(Some(key_value(p, &m, Some(&req.config)).await?));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_compare_as_json() {
        assert!(same_policy(
            Some(r#"{"Version":"2012-10-17","Statement":[]}"#),
            Some(r#"{ "Statement": [], "Version": "2012-10-17" }"#)
        ));
        assert!(!same_policy(Some(r#"{"a":1}"#), Some(r#"{"a":2}"#)));
    }
}
