//! `aws_iam_policy` (customer managed policies) and `aws_iam_role_policy` (inline role
//! policies).
//!
//! Ids are Terraform's import ids: a policy's ARN, and `<role>:<policy name>` for an
//! inline policy. A refresh of one object reads it directly (GetPolicy + GetPolicyVersion,
//! GetRolePolicy); of several, one paginated GetAccountAuthorizationDetails scan returns
//! every local policy with its documents, or every role with its inline policies. That
//! scan carries no policy tags, so a batched read keeps the prior tags.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_iam::types::{EntityType, ManagedPolicyDetail, Policy};
use infra_model::policy::json_equivalent;
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{is_not_found, missing};
use crate::iam::{generated_name, iam_tags, url_decode};
use crate::util::{get_str, opt, pairs_have_infra_tags, put_tag_pairs, tag_changes};
use crate::AwsProvider;

const POLICY: &str = "aws_iam_policy";
const ROLE_POLICY: &str = "aws_iam_role_policy";

/// The configured document when the cloud's is the same policy (so plans show no change),
/// else the cloud's, decoded.
pub(crate) fn document(cloud: Option<&str>, prior: Option<&Value>, key: &str) -> Value {
    let cloud = cloud.map(url_decode);
    let prior = prior.and_then(|p| p.get(key).as_str());
    match (cloud, prior) {
        (Some(c), Some(p)) if json_equivalent(&c, p) => Value::string(p),
        (Some(c), _) => Value::string(c),
        (None, _) => Value::Null,
    }
}

/// An empty text is no value (the emulator answers `""` for a policy without description).
fn non_empty(s: Option<&str>) -> Value {
    opt(s.filter(|s| !s.is_empty()))
}

/// The name of a policy from its ARN (`arn:aws:iam::123:policy/path/name`).
fn name_of_arn(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

struct PolicyFacts<'a> {
    arn: &'a str,
    name: Option<&'a str>,
    path: Option<&'a str>,
    policy_id: Option<&'a str>,
    description: Option<&'a str>,
    attachment_count: Option<i32>,
    document: Option<&'a str>,
}

fn policy_value(
    f: &PolicyFacts<'_>,
    tags: Option<Vec<(&str, &str)>>,
    prior: Option<&Value>,
) -> Value {
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(f.arn));
    m.insert("arn".into(), Value::string(f.arn));
    m.insert(
        "name".into(),
        Value::string(f.name.unwrap_or_else(|| name_of_arn(f.arn))),
    );
    m.insert("path".into(), Value::string(f.path.unwrap_or("/")));
    crate::util::carry_name_prefix(&mut m, prior);
    // the emulator's account scan omits the policy id: keep the one already known
    let policy_id = match f.policy_id {
        Some(id) => Value::string(id),
        None => prior
            .map(|p| p.get("policy_id").clone())
            .unwrap_or(Value::Null),
    };
    m.insert("policy_id".into(), policy_id);
    m.insert("description".into(), non_empty(f.description));
    m.insert(
        "attachment_count".into(),
        Value::Number(f64::from(f.attachment_count.unwrap_or(0))),
    );
    m.insert("policy".into(), document(f.document, prior, "policy"));
    match tags {
        Some(t) => put_tag_pairs(&mut m, t, prior),
        None => {
            for k in ["tags", "tags_all"] {
                let v = prior.map(|p| p.get(k).clone()).unwrap_or(Value::Null);
                m.insert(k.into(), v);
            }
        }
    }
    Value::Map(m)
}

async fn get_policy(p: &AwsProvider, arn: &str) -> Result<Option<Policy>, ProviderError> {
    match p
        .call("iam:GetPolicy", || {
            p.iam().get_policy().policy_arn(arn).send()
        })
        .await
    {
        Ok(out) => Ok(out.policy().cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// One policy, read directly: its metadata and tags, then its default version's document.
async fn read_one_policy(
    p: &AwsProvider,
    arn: &str,
    prior: Option<&Value>,
) -> Result<Option<Value>, ProviderError> {
    let Some(pol) = get_policy(p, arn).await? else {
        return Ok(None);
    };
    let version = pol.default_version_id().unwrap_or("v1").to_string();
    let doc = p
        .call("iam:GetPolicyVersion", || {
            p.iam()
                .get_policy_version()
                .policy_arn(arn)
                .version_id(&version)
                .send()
        })
        .await;
    let doc = match doc {
        Ok(out) => out
            .policy_version()
            .and_then(|v| v.document())
            .map(str::to_string),
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let facts = PolicyFacts {
        arn,
        name: pol.policy_name(),
        path: pol.path(),
        policy_id: pol.policy_id(),
        description: pol.description(),
        attachment_count: pol.attachment_count(),
        document: doc.as_deref(),
    };
    let tags = pol.tags().iter().map(|t| (t.key(), t.value())).collect();
    Ok(Some(policy_value(&facts, Some(tags), prior)))
}

/// Every page of GetAccountAuthorizationDetails for one kind of entity.
async fn account_details(
    p: &AwsProvider,
    kind: EntityType,
) -> Result<Vec<aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput>, ProviderError>{
    let mut pages = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = p
            .call("iam:GetAccountAuthorizationDetails", || {
                p.iam()
                    .get_account_authorization_details()
                    .filter(kind.clone())
                    .set_marker(marker.clone())
                    .max_items(1000)
                    .send()
            })
            .await?;
        let next = page
            .marker()
            .filter(|m| page.is_truncated() && !m.is_empty())
            .map(str::to_string);
        pages.push(page);
        match next {
            Some(m) => marker = Some(m),
            None => return Ok(pages),
        }
    }
}

fn detail_value(d: &ManagedPolicyDetail, prior: Option<&Value>) -> Option<(String, Value)> {
    let arn = d.arn()?;
    let default = d.default_version_id();
    let doc = d
        .policy_version_list()
        .iter()
        .find(|v| v.is_default_version() || v.version_id() == default)
        .and_then(|v| v.document());
    let facts = PolicyFacts {
        arn,
        name: d.policy_name(),
        path: d.path(),
        policy_id: d.policy_id(),
        description: d.description(),
        attachment_count: d.attachment_count(),
        document: doc,
    };
    Some((arn.to_string(), policy_value(&facts, None, prior)))
}

pub(crate) async fn read_policies(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    if let [one] = items {
        return Ok(read_one_policy(p, &one.id, Some(&one.prior))
            .await?
            .map(|v| (one.id.clone(), v))
            .into_iter()
            .collect());
    }
    let priors: HashMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    let mut out = BTreeMap::new();
    for page in account_details(p, EntityType::LocalManagedPolicy).await? {
        for d in page.policies() {
            if let Some(prior) = d.arn().and_then(|a| priors.get(a)) {
                out.extend(detail_value(d, Some(prior)));
            }
        }
    }
    Ok(out)
}

pub(crate) async fn create_policy(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    let doc = get_str(c, "policy").ok_or_else(|| missing(POLICY, "policy"))?;
    let name = generated_name(req, 128);
    let tags = iam_tags(&crate::util::create_tag_pairs(req));
    let out = p
        .call("iam:CreatePolicy", || {
            p.iam()
                .create_policy()
                .policy_name(&name)
                .path(get_str(c, "path").unwrap_or("/"))
                .policy_document(doc)
                .set_description(get_str(c, "description").map(str::to_string))
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
    let arn = out
        .policy()
        .and_then(|pol| pol.arn())
        .ok_or_else(|| ProviderError::new(ErrorKind::Other, "CreatePolicy returned no ARN"))?
        .to_string();
    p.read_back(POLICY, &arn, c).await
}

/// A new default version with the document; IAM keeps at most 5 versions, so the oldest
/// non-default one goes first when there are 5 (as Terraform does).
pub(crate) async fn update_policy(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let new_doc = get_str(desired, "policy").unwrap_or_default();
    if !json_equivalent(get_str(prior, "policy").unwrap_or_default(), new_doc) {
        let versions = non_default_versions(p, id).await?;
        if versions.len() >= 4 {
            delete_version(p, id, &versions[0]).await?;
        }
        p.call("iam:CreatePolicyVersion", || {
            p.iam()
                .create_policy_version()
                .policy_arn(id)
                .policy_document(new_doc)
                .set_as_default(true)
                .send()
        })
        .await?;
    }
    let (removed, changed) = tag_changes(prior, desired);
    if !removed.is_empty() {
        p.call("iam:UntagPolicy", || {
            p.iam()
                .untag_policy()
                .policy_arn(id)
                .set_tag_keys(Some(removed.clone()))
                .send()
        })
        .await?;
    }
    if !changed.is_empty() {
        let tags = iam_tags(&changed);
        p.call("iam:TagPolicy", || {
            p.iam()
                .tag_policy()
                .policy_arn(id)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
    }
    p.read_back(POLICY, id, desired).await
}

/// The ids of a policy's versions that are not the default, oldest first.
async fn non_default_versions(p: &AwsProvider, arn: &str) -> Result<Vec<String>, ProviderError> {
    let out = p
        .call("iam:ListPolicyVersions", || {
            p.iam().list_policy_versions().policy_arn(arn).send()
        })
        .await?;
    let mut versions: Vec<_> = out
        .versions()
        .iter()
        .filter(|v| !v.is_default_version())
        .filter_map(|v| Some((v.create_date().copied(), v.version_id()?.to_string())))
        .collect();
    versions.sort_by(|a, b| a.0.map(|d| d.secs()).cmp(&b.0.map(|d| d.secs())));
    Ok(versions.into_iter().map(|v| v.1).collect())
}

async fn delete_version(p: &AwsProvider, arn: &str, version: &str) -> Result<(), ProviderError> {
    match p
        .call("iam:DeletePolicyVersion", || {
            p.iam()
                .delete_policy_version()
                .policy_arn(arn)
                .version_id(version)
                .send()
        })
        .await
    {
        Err(e) if !is_not_found(&e) => Err(e),
        _ => Ok(()),
    }
}

pub(crate) async fn delete_policy(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let versions = match non_default_versions(p, id).await {
        Ok(v) => v,
        Err(e) if is_not_found(&e) => return Ok(()),
        Err(e) => return Err(e),
    };
    for v in versions {
        delete_version(p, id, &v).await?;
    }
    p.settle(id, || async {
        p.call("iam:DeletePolicy", || {
            p.iam().delete_policy().policy_arn(id).send()
        })
        .await
        .map(|_| ())
    })
    .await
}

/// The policy an interrupted create made: found by its name among the account's local
/// policies, and ours only if it carries the request's `infra:*` tags.
pub(crate) async fn adopt_policy(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let name = generated_name(req, 128);
    let path = get_str(&req.config, "path").unwrap_or("/").to_string();
    let listed = p
        .paginate(
            "iam:ListPolicies",
            |marker| {
                p.iam()
                    .list_policies()
                    .scope(aws_sdk_iam::types::PolicyScopeType::Local)
                    .path_prefix(&path)
                    .set_marker(marker)
                    .send()
            },
            |page| page.policies(),
            |page| page.marker().filter(|_| page.is_truncated()),
        )
        .await?;
    let Some(arn) = listed
        .iter()
        .find(|pol| pol.policy_name() == Some(name.as_str()))
        .and_then(|pol| pol.arn())
    else {
        return Ok(None);
    };
    let Some(pol) = get_policy(p, arn).await? else {
        return Ok(None);
    };
    if !pairs_have_infra_tags(pol.tags().iter().map(|t| (t.key(), t.value())), req) {
        return Ok(None);
    }
    read_one_policy(p, arn, Some(&req.config)).await
}

// ---- inline role policies ----

fn split_role_policy(id: &str) -> Result<(&str, &str), ProviderError> {
    id.split_once(':').ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Rejected,
            format!("`{id}` is not an inline role policy id; expected `<role name>:<policy name>`"),
        )
    })
}

fn role_policy_value(role: &str, name: &str, doc: Option<&str>, prior: Option<&Value>) -> Value {
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(format!("{role}:{name}")));
    m.insert("role".into(), Value::string(role));
    m.insert("name".into(), Value::string(name));
    m.insert("policy".into(), document(doc, prior, "policy"));
    crate::util::carry_name_prefix(&mut m, prior);
    Value::Map(m)
}

async fn get_role_policy(
    p: &AwsProvider,
    role: &str,
    name: &str,
) -> Result<Option<String>, ProviderError> {
    match p
        .call("iam:GetRolePolicy", || {
            p.iam()
                .get_role_policy()
                .role_name(role)
                .policy_name(name)
                .send()
        })
        .await
    {
        Ok(out) => Ok(Some(out.policy_document().to_string())),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) async fn read_role_policies(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    if let [one] = items {
        let (role, name) = split_role_policy(&one.id)?;
        return Ok(get_role_policy(p, role, name)
            .await?
            .map(|doc| {
                let v = role_policy_value(role, name, Some(&doc), Some(&one.prior));
                (one.id.clone(), v)
            })
            .into_iter()
            .collect());
    }
    let priors: HashMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    let mut out = BTreeMap::new();
    for page in account_details(p, EntityType::Role).await? {
        for role in page.role_detail_list() {
            let Some(role_name) = role.role_name() else {
                continue;
            };
            for pol in role.role_policy_list() {
                let Some(name) = pol.policy_name() else {
                    continue;
                };
                let id = format!("{role_name}:{name}");
                if let Some(prior) = priors.get(id.as_str()) {
                    let v = role_policy_value(role_name, name, pol.policy_document(), Some(prior));
                    out.insert(id, v);
                }
            }
        }
    }
    Ok(out)
}

async fn put_role_policy(
    p: &AwsProvider,
    role: &str,
    name: &str,
    doc: &str,
) -> Result<(), ProviderError> {
    p.call("iam:PutRolePolicy", || {
        p.iam()
            .put_role_policy()
            .role_name(role)
            .policy_name(name)
            .policy_document(doc)
            .send()
    })
    .await
    .map(|_| ())
}

/// PutRolePolicy is idempotent: resending it after a lost answer makes nothing twice.
pub(crate) async fn create_role_policy(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    let role = get_str(c, "role").ok_or_else(|| missing(ROLE_POLICY, "role"))?;
    let doc = get_str(c, "policy").ok_or_else(|| missing(ROLE_POLICY, "policy"))?;
    let name = generated_name(req, 128);
    put_role_policy(p, role, &name, doc).await?;
    Ok(role_policy_value(role, &name, Some(doc), Some(c)))
}

pub(crate) async fn update_role_policy(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let (role, name) = split_role_policy(id)?;
    let doc = get_str(desired, "policy").unwrap_or_default();
    if !json_equivalent(get_str(prior, "policy").unwrap_or_default(), doc) {
        put_role_policy(p, role, name, doc).await?;
    }
    Ok(role_policy_value(role, name, Some(doc), Some(desired)))
}

pub(crate) async fn delete_role_policy(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let (role, name) = split_role_policy(id)?;
    match p
        .call("iam:DeleteRolePolicy", || {
            p.iam()
                .delete_role_policy()
                .role_name(role)
                .policy_name(name)
                .send()
        })
        .await
    {
        Err(e) if !is_not_found(&e) => Err(e),
        _ => Ok(()),
    }
}

/// An inline policy has no tags: its natural key (role and name) finds what an
/// interrupted create made.
pub(crate) async fn adopt_role_policy(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let Some(role) = get_str(&req.config, "role") else {
        return Ok(None);
    };
    let name = generated_name(req, 128);
    Ok(get_role_policy(p, role, &name)
        .await?
        .map(|doc| role_policy_value(role, &name, Some(&doc), Some(&req.config))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names() {
        assert_eq!(name_of_arn("arn:aws:iam::1:policy/a/b/p"), "p");
        assert_eq!(split_role_policy("r:p").unwrap(), ("r", "p"));
        let e = split_role_policy("r/p").unwrap_err();
        assert!(e.message.contains("<role name>:<policy name>"), "{e}");
    }

    #[test]
    fn documents_keep_the_configured_text_when_equivalent() {
        let prior = Value::map([("policy", Value::string(r#"{ "a" : 1 }"#))]);
        assert_eq!(
            document(Some("%7B%22a%22%3A1%7D"), Some(&prior), "policy"),
            Value::string(r#"{ "a" : 1 }"#)
        );
        assert_eq!(
            document(Some(r#"{"a":2}"#), Some(&prior), "policy"),
            Value::string(r#"{"a":2}"#)
        );
        assert_eq!(non_empty(Some("")), Value::Null);
    }
}
