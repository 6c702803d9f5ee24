//! `aws_iam_role` and `aws_iam_role_policy_attachment` (managed policies and inline
//! policies: `iam_policy`; instance profiles and OIDC providers: `iam_profile`).
//!
//! IAM has no batch get: a refresh of one role is a GetRole, of several one paginated
//! ListRoles scan picking ours. ListRoles does not return tags on AWS, so a batched read
//! keeps the prior tags when the listing carries none. Role ids are role names (as in
//! Terraform); attachment ids are `<role>/<policy_arn>`.
//!
//! A role's delete always detaches its managed policies and deletes its inline ones first,
//! as Terraform does with `force_detach_policies = true`; `false` is accepted and recorded
//! but does not make the delete fail.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_iam::types::{Role, Tag};
use infra_model::policy::json_equivalent;
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{is_not_found, missing};
use crate::util::{
    create_tag_pairs, get_i64, get_str, opt, pairs_have_infra_tags, put_tag_pairs, tag_changes,
};
use crate::AwsProvider;

const ROLE: &str = "aws_iam_role";

/// IAM returns policy documents URL-encoded (RFC 3986); decode `%XX` escapes.
pub(crate) fn url_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn iam_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

fn role_value(role: &Role, prior: Option<&Value>, listed: bool) -> Value {
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(role.role_name()));
    m.insert("name".into(), Value::string(role.role_name()));
    m.insert("path".into(), Value::string(role.path()));
    m.insert("arn".into(), Value::string(role.arn()));
    m.insert("unique_id".into(), Value::string(role.role_id()));
    m.insert(
        "create_date".into(),
        Value::string(role.create_date().to_string()),
    );
    m.insert("description".into(), opt(role.description()));
    m.insert(
        "max_session_duration".into(),
        Value::Number(f64::from(role.max_session_duration().unwrap_or(3600))),
    );
    // keep the configured text when it is the same policy, so plans show no change
    let cloud = role.assume_role_policy_document().map(url_decode);
    let prior_doc = prior.and_then(|p| p.get("assume_role_policy").as_str());
    let doc = match (cloud, prior_doc) {
        (Some(c), Some(p)) if json_equivalent(&c, p) => Value::string(p),
        (Some(c), _) => Value::string(c),
        (None, _) => Value::Null,
    };
    m.insert("assume_role_policy".into(), doc);
    crate::util::carry_name_prefix(&mut m, prior);
    // what infra does on delete whatever the value (module docs)
    m.insert(
        "force_detach_policies".into(),
        prior
            .map(|p| p.get("force_detach_policies").clone())
            .filter(|v| matches!(v, Value::Bool(_)))
            .unwrap_or(Value::Bool(false)),
    );
    // ListRoles leaves the boundary out on AWS: keep the prior's when listed without one
    let boundary = role
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn());
    m.insert(
        "permissions_boundary".into(),
        match boundary {
            Some(arn) => Value::string(arn),
            None if listed => prior
                .map(|p| p.get("permissions_boundary").clone())
                .unwrap_or(Value::Null),
            None => Value::Null,
        },
    );
    if listed && role.tags().is_empty() {
        for k in ["tags", "tags_all"] {
            let v = prior.map(|p| p.get(k).clone()).unwrap_or(Value::Null);
            m.insert(k.into(), v);
        }
    } else {
        put_tag_pairs(
            &mut m,
            role.tags().iter().map(|t| (t.key(), t.value())),
            prior,
        );
    }
    Value::Map(m)
}

async fn get_role(p: &AwsProvider, name: &str) -> Result<Option<Role>, ProviderError> {
    match p
        .call("iam:GetRole", || p.iam().get_role().role_name(name).send())
        .await
    {
        Ok(out) => Ok(out.role().cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn list_roles(p: &AwsProvider) -> Result<Vec<Role>, ProviderError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = p
            .call("iam:ListRoles", || {
                p.iam()
                    .list_roles()
                    .set_marker(marker.clone())
                    .max_items(1000)
                    .send()
            })
            .await?;
        out.extend(page.roles().iter().cloned());
        match page.marker() {
            Some(m) if page.is_truncated() && !m.is_empty() => marker = Some(m.to_string()),
            _ => return Ok(out),
        }
    }
}

pub(crate) async fn read_roles(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: HashMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    if let [one] = items {
        return Ok(get_role(p, &one.id)
            .await?
            .map(|r| (one.id.clone(), role_value(&r, Some(&one.prior), false)))
            .into_iter()
            .collect());
    }
    Ok(list_roles(p)
        .await?
        .iter()
        .filter_map(|r| {
            let prior = priors.get(r.role_name())?;
            Some((r.role_name().to_string(), role_value(r, Some(prior), true)))
        })
        .collect())
}

/// The name of an IAM object: configured, or derived from the idempotency token (at most
/// `max` characters) so a rerun of the same intent finds the object it made.
pub(crate) fn generated_name(req: &CreateRequest, max: usize) -> String {
    if let (None, Some(prefix)) = (
        get_str(&req.config, "name"),
        get_str(&req.config, "name_prefix"),
    ) {
        return crate::util::prefixed_name(prefix, &req.token, max);
    }
    get_str(&req.config, "name")
        .map(str::to_string)
        .unwrap_or_else(|| {
            let safe: String = req
                .token
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(*c))
                .collect();
            format!("infra-{safe}").chars().take(max).collect()
        })
}

fn role_name(req: &CreateRequest) -> String {
    generated_name(req, 64)
}

pub(crate) async fn create_role(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    let doc =
        get_str(c, "assume_role_policy").ok_or_else(|| missing(ROLE, "assume_role_policy"))?;
    let name = role_name(req);
    let tags = iam_tags(&create_tag_pairs(req));
    let out = p
        .call("iam:CreateRole", || {
            p.iam()
                .create_role()
                .role_name(&name)
                .path(get_str(c, "path").unwrap_or("/"))
                .assume_role_policy_document(doc)
                .set_description(get_str(c, "description").map(str::to_string))
                .set_max_session_duration(get_i64(c, "max_session_duration").map(|n| n as i32))
                .set_permissions_boundary(get_str(c, "permissions_boundary").map(str::to_string))
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
    match out.role() {
        Some(r) => Ok(role_value(r, Some(c), false)),
        None => p.read_back(ROLE, &name, c).await,
    }
}

pub(crate) async fn update_role(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let new_doc = get_str(desired, "assume_role_policy").unwrap_or_default();
    let old_doc = get_str(prior, "assume_role_policy").unwrap_or_default();
    if !json_equivalent(old_doc, new_doc) {
        p.call("iam:UpdateAssumeRolePolicy", || {
            p.iam()
                .update_assume_role_policy()
                .role_name(id)
                .policy_document(new_doc)
                .send()
        })
        .await?;
    }
    let desc = get_str(desired, "description");
    let max = get_i64(desired, "max_session_duration");
    if desc != get_str(prior, "description") || max != get_i64(prior, "max_session_duration") {
        p.call("iam:UpdateRole", || {
            p.iam()
                .update_role()
                .role_name(id)
                .description(desc.unwrap_or_default())
                .set_max_session_duration(max.map(|n| n as i32))
                .send()
        })
        .await?;
    }
    let boundary = get_str(desired, "permissions_boundary");
    if boundary != get_str(prior, "permissions_boundary") {
        match boundary {
            Some(arn) => {
                p.call("iam:PutRolePermissionsBoundary", || {
                    p.iam()
                        .put_role_permissions_boundary()
                        .role_name(id)
                        .permissions_boundary(arn)
                        .send()
                })
                .await?;
            }
            None => {
                p.call("iam:DeleteRolePermissionsBoundary", || {
                    p.iam()
                        .delete_role_permissions_boundary()
                        .role_name(id)
                        .send()
                })
                .await?;
            }
        }
    }
    let (removed, changed) = tag_changes(prior, desired);
    if !removed.is_empty() {
        p.call("iam:UntagRole", || {
            p.iam()
                .untag_role()
                .role_name(id)
                .set_tag_keys(Some(removed.clone()))
                .send()
        })
        .await?;
    }
    if !changed.is_empty() {
        let tags = iam_tags(&changed);
        p.call("iam:TagRole", || {
            p.iam()
                .tag_role()
                .role_name(id)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
    }
    p.read_back(ROLE, id, desired).await
}

async fn attached_policies(p: &AwsProvider, role: &str) -> Result<Vec<String>, ProviderError> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = p
            .call("iam:ListAttachedRolePolicies", || {
                p.iam()
                    .list_attached_role_policies()
                    .role_name(role)
                    .set_marker(marker.clone())
                    .send()
            })
            .await?;
        out.extend(
            page.attached_policies()
                .iter()
                .filter_map(|a| a.policy_arn().map(str::to_string)),
        );
        match page.marker() {
            Some(m) if page.is_truncated() && !m.is_empty() => marker = Some(m.to_string()),
            _ => return Ok(out),
        }
    }
}

pub(crate) async fn delete_role(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let policies = match attached_policies(p, id).await {
        Ok(v) => v,
        Err(e) if is_not_found(&e) => return Ok(()),
        Err(e) => return Err(e),
    };
    for arn in policies {
        detach(p, id, &arn).await?;
    }
    let inline = p
        .call("iam:ListRolePolicies", || {
            p.iam().list_role_policies().role_name(id).send()
        })
        .await;
    if let Ok(inline) = inline {
        for name in inline.policy_names() {
            p.call("iam:DeleteRolePolicy", || {
                p.iam()
                    .delete_role_policy()
                    .role_name(id)
                    .policy_name(name)
                    .send()
            })
            .await?;
        }
    }
    p.settle(id, || async {
        p.call("iam:DeleteRole", || {
            p.iam().delete_role().role_name(id).send()
        })
        .await
        .map(|_| ())
    })
    .await
}

pub(crate) async fn adopt_role(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let Some(role) = get_role(p, &role_name(req)).await? else {
        return Ok(None);
    };
    if !pairs_have_infra_tags(role.tags().iter().map(|t| (t.key(), t.value())), req) {
        return Ok(None);
    }
    Ok(Some(role_value(&role, Some(&req.config), false)))
}

// ---- attachments ----

fn split_attachment(id: &str) -> Result<(&str, &str), ProviderError> {
    id.split_once('/').ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Rejected,
            format!("`{id}` is not an attachment id; expected `<role>/<policy_arn>`"),
        )
    })
}

fn attachment_value(role: &str, arn: &str) -> Value {
    Value::map([
        ("id", Value::string(format!("{role}/{arn}"))),
        ("role", Value::string(role)),
        ("policy_arn", Value::string(arn)),
    ])
}

/// One ListAttachedRolePolicies per role, for all attachments of that role.
pub(crate) async fn read_attachments(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let mut by_role: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for i in items {
        let (role, arn) = split_attachment(&i.id)?;
        by_role.entry(role).or_default().push(arn);
    }
    let mut out = BTreeMap::new();
    for (role, arns) in by_role {
        let attached = match attached_policies(p, role).await {
            Ok(v) => v,
            Err(e) if is_not_found(&e) => continue,
            Err(e) => return Err(e),
        };
        for arn in arns.into_iter().filter(|a| attached.iter().any(|x| x == a)) {
            out.insert(format!("{role}/{arn}"), attachment_value(role, arn));
        }
    }
    Ok(out)
}

pub(crate) async fn create_attachment(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let role = get_str(&req.config, "role").ok_or_else(|| missing(ATTACH, "role"))?;
    let arn = get_str(&req.config, "policy_arn").ok_or_else(|| missing(ATTACH, "policy_arn"))?;
    p.call("iam:AttachRolePolicy", || {
        p.iam()
            .attach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
    })
    .await?;
    Ok(attachment_value(role, arn))
}

const ATTACH: &str = "aws_iam_role_policy_attachment";

async fn detach(p: &AwsProvider, role: &str, arn: &str) -> Result<(), ProviderError> {
    match p
        .call("iam:DetachRolePolicy", || {
            p.iam()
                .detach_role_policy()
                .role_name(role)
                .policy_arn(arn)
                .send()
        })
        .await
    {
        Err(e) if !is_not_found(&e) => Err(e),
        _ => Ok(()),
    }
}

pub(crate) async fn delete_attachment(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let (role, arn) = split_attachment(id)?;
    detach(p, role, arn).await
}

pub(crate) async fn adopt_attachment(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let (Some(role), Some(arn)) = (
        get_str(&req.config, "role"),
        get_str(&req.config, "policy_arn"),
    ) else {
        return Ok(None);
    };
    match attached_policies(p, role).await {
        Ok(v) if v.iter().any(|a| a == arn) => Ok(Some(attachment_value(role, arn))),
        Ok(_) => Ok(None),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_documents_are_url_decoded() {
        assert_eq!(
            url_decode("%7B%22Version%22%3A%222012-10-17%22%7D"),
            r#"{"Version":"2012-10-17"}"#
        );
        assert_eq!(url_decode(r#"{"a":1}"#), r#"{"a":1}"#);
        assert_eq!(url_decode("100%"), "100%");
    }
}
