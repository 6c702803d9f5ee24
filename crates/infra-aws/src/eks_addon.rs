//! `aws_eks_addon`: EKS add-ons (vpc-cni, coredns, kube-proxy, ...).
//!
//! The id is Terraform's import id, `<cluster_name>:<addon_name>`. A refresh lists each
//! cluster's add-ons once (ListAddons) and describes only those that exist. Create waits
//! for ACTIVE; the version, service account role and configuration change in place through
//! UpdateAddon, whose update is waited for. Add-ons are tagged at creation and carry the
//! create's clientRequestToken; an add-on's name is unique in its cluster, so the one an
//! interrupted create made is found by name and its `infra:*` tags.

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_sdk_eks::types::{Addon, AddonPodIdentityAssociations, AddonStatus, ResolveConflicts};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{is_not_found, missing};
use crate::util::{create_tag_pairs, get_bool, get_str, opt, pairs_have_infra_tags, put_tag_pairs};
use crate::AwsProvider;

const TYPE: &str = "aws_eks_addon";

fn split_id(id: &str) -> Result<(&str, &str), ProviderError> {
    id.split_once(':').ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Rejected,
            format!("`{id}` is not an add-on id; expected `<cluster_name>:<addon_name>`"),
        )
    })
}

fn addon_value(a: &Addon, prior: Option<&Value>) -> Value {
    let cluster = a.cluster_name().unwrap_or_default();
    let name = a.addon_name().unwrap_or_default();
    let carried = |k: &str| prior.map(|p| p.get(k).clone()).unwrap_or(Value::Null);
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(format!("{cluster}:{name}")));
    m.insert("cluster_name".into(), Value::string(cluster));
    m.insert("addon_name".into(), Value::string(name));
    m.insert("addon_version".into(), opt(a.addon_version()));
    m.insert("arn".into(), opt(a.addon_arn()));
    m.insert(
        "service_account_role_arn".into(),
        opt(a.service_account_role_arn().filter(|s| !s.is_empty())),
    );
    // EKS answers "" for an add-on without configuration; the configured text when it is the
    // same JSON
    let config = a.configuration_values().filter(|s| !s.is_empty());
    let config = match (
        config,
        prior.and_then(|p| get_str(p, "configuration_values")),
    ) {
        (Some(c), Some(p)) if infra_model::policy::json_equivalent(c, p) => Value::string(p),
        (c, _) => opt(c),
    };
    m.insert("configuration_values".into(), config);
    m.insert(
        "pod_identity_association".into(),
        pod_identity_read(a.pod_identity_associations(), prior),
    );
    m.insert(
        "created_at".into(),
        a.created_at()
            .map(|d| Value::string(d.to_string()))
            .unwrap_or(Value::Null),
    );
    m.insert(
        "modified_at".into(),
        a.modified_at()
            .map(|d| Value::string(d.to_string()))
            .unwrap_or(Value::Null),
    );
    // what EKS does not report: how conflicts are resolved and whether delete preserves
    for k in [
        "resolve_conflicts_on_create",
        "resolve_conflicts_on_update",
        "preserve",
    ] {
        m.insert(k.into(), carried(k));
    }
    put_tag_pairs(
        &mut m,
        a.tags()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str())),
        prior,
    );
    Value::Map(m)
}

async fn describe(
    p: &AwsProvider,
    cluster: &str,
    name: &str,
) -> Result<Option<Addon>, ProviderError> {
    match p
        .call("eks:DescribeAddon", || {
            p.eks()
                .describe_addon()
                .cluster_name(cluster)
                .addon_name(name)
                .send()
        })
        .await
    {
        Ok(out) => Ok(out.addon().cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn list(p: &AwsProvider, cluster: &str) -> Result<Option<HashSet<String>>, ProviderError> {
    let listed = p
        .paginate(
            "eks:ListAddons",
            |token| {
                p.eks()
                    .list_addons()
                    .cluster_name(cluster)
                    .set_next_token(token)
                    .send()
            },
            |page| page.addons(),
            |page| page.next_token(),
        )
        .await;
    match listed {
        Ok(v) => Ok(Some(v.into_iter().collect())),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    crate::util::read_cluster_children(
        items,
        split_id,
        |cluster| list(p, cluster),
        |cluster, name| async move {
            match describe(p, cluster, name).await? {
                Some(a) => {
                    let pods = pod_identities(p, cluster, &a).await?;
                    Ok(Some((a, pods)))
                }
                None => Ok(None),
            }
        },
        |(a, pods), prior| with_pods(addon_value(a, Some(prior)), pods.clone()),
    )
    .await
}

/// EKS answers an add-on's pod identity associations as ARNs only: until they are
/// described ([`pod_identities`]; CreateAddon's answer), as many as the prior knew keep the
/// prior's, another count reads as none.
fn pod_identity_read(arns: &[String], prior: Option<&Value>) -> Value {
    match prior.map(|p| p.get("pod_identity_association")) {
        Some(Value::List(l)) if l.len() == arns.len() => Value::List(l.clone()),
        _ => Value::List(Vec::new()),
    }
}

/// The add-on's pod identity associations as the blocks read them: a
/// DescribePodIdentityAssociation of each ARN EKS answers (one gone meanwhile is left out).
async fn pod_identities(p: &AwsProvider, cluster: &str, a: &Addon) -> Result<Value, ProviderError> {
    let mut out = Vec::new();
    for arn in a.pod_identity_associations() {
        let id = arn.rsplit('/').next().unwrap_or(arn);
        let found = p
            .call("eks:DescribePodIdentityAssociation", || {
                p.eks()
                    .describe_pod_identity_association()
                    .cluster_name(cluster)
                    .association_id(id)
                    .send()
            })
            .await;
        match found {
            Ok(o) => out.extend(o.association().map(|x| {
                Value::map([
                    ("role_arn", opt(x.role_arn())),
                    ("service_account", opt(x.service_account())),
                ])
            })),
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Value::List(out))
}

/// `v` with the described associations.
fn with_pods(mut v: Value, pods: Value) -> Value {
    if let Value::Map(m) = &mut v {
        m.insert("pod_identity_association".into(), pods);
    }
    v
}

/// `pod_identity_association` blocks as CreateAddon / UpdateAddon take them.
fn pod_identity(c: &Value) -> Result<Vec<AddonPodIdentityAssociations>, ProviderError> {
    c.get("pod_identity_association")
        .as_list()
        .unwrap_or_default()
        .iter()
        .map(|a| {
            AddonPodIdentityAssociations::builder()
                .set_role_arn(get_str(a, "role_arn").map(str::to_string))
                .set_service_account(get_str(a, "service_account").map(str::to_string))
                .build()
                .map_err(|e| {
                    ProviderError::new(
                        ErrorKind::Rejected,
                        format!("{TYPE}: pod_identity_association: {e}; set role_arn and service_account"),
                    )
                })
        })
        .collect()
}

fn resolve(c: &Value, key: &str) -> Option<ResolveConflicts> {
    get_str(c, key).map(ResolveConflicts::from)
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    let cluster = get_str(c, "cluster_name").ok_or_else(|| missing(TYPE, "cluster_name"))?;
    let name = get_str(c, "addon_name").ok_or_else(|| missing(TYPE, "addon_name"))?;
    let tags: HashMap<String, String> = create_tag_pairs(req).into_iter().collect();
    let pods = pod_identity(c)?;
    let out = p
        .call("eks:CreateAddon", || {
            p.eks()
                .create_addon()
                .cluster_name(cluster)
                .addon_name(name)
                .set_addon_version(get_str(c, "addon_version").map(str::to_string))
                .set_service_account_role_arn(
                    get_str(c, "service_account_role_arn").map(str::to_string),
                )
                .set_configuration_values(get_str(c, "configuration_values").map(str::to_string))
                .set_resolve_conflicts(resolve(c, "resolve_conflicts_on_create"))
                .set_pod_identity_associations((!pods.is_empty()).then(|| pods.clone()))
                .set_tags(Some(tags.clone()))
                .client_request_token(&req.token)
                .send()
        })
        .await?;
    match out.addon() {
        Some(a) => Ok(addon_value(a, Some(c))),
        None => p.read_back(TYPE, &format!("{cluster}:{name}"), c).await,
    }
}

pub(crate) async fn wait_active(
    p: &AwsProvider,
    id: &str,
    current: &Value,
) -> Result<Value, ProviderError> {
    let (cluster, name) = split_id(id)?;
    let what = format!("EKS add-on {name} of {cluster} to become ACTIVE");
    p.poll_eks(&what, || async {
        let Some(a) = describe(p, cluster, name).await? else {
            return Err(ProviderError::not_found(format!(
                "EKS add-on {name} of {cluster} disappeared while being created"
            )));
        };
        match a.status() {
            Some(AddonStatus::Active) | None => Ok(Some(with_pods(
                addon_value(&a, Some(current)),
                pod_identities(p, cluster, &a).await?,
            ))),
            Some(AddonStatus::CreateFailed | AddonStatus::Degraded) => {
                let issues: Vec<String> = a
                    .health()
                    .map(|h| {
                        h.issues()
                            .iter()
                            .filter_map(|i| i.message().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                Err(ProviderError::new(
                    ErrorKind::Rejected,
                    format!(
                        "EKS add-on {name} of {cluster} is {}: {}; fix the cause and run again",
                        a.status().map(|s| s.as_str()).unwrap_or("failed"),
                        issues.join("; ")
                    ),
                ))
            }
            Some(_) => Ok(None),
        }
    })
    .await
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let (cluster, name) = split_id(id)?;
    let changed =
        |k: &str| get_str(desired, k).is_some() && get_str(desired, k) != get_str(prior, k);
    let role_removed = get_str(desired, "service_account_role_arn").is_none()
        && get_str(prior, "service_account_role_arn").is_some();
    let norm = |v: &Value| match v {
        Value::Null => Value::List(Vec::new()),
        v => v.clone(),
    };
    let pods_changed = norm(prior.get("pod_identity_association"))
        != norm(desired.get("pod_identity_association"));
    let pods = pod_identity(desired)?;
    if changed("addon_version")
        || changed("service_account_role_arn")
        || changed("configuration_values")
        || role_removed
        || pods_changed
    {
        let out = p
            .call("eks:UpdateAddon", || {
                p.eks()
                    .update_addon()
                    .cluster_name(cluster)
                    .addon_name(name)
                    .set_addon_version(
                        changed("addon_version")
                            .then(|| get_str(desired, "addon_version").map(str::to_string))
                            .flatten(),
                    )
                    .set_service_account_role_arn(
                        get_str(desired, "service_account_role_arn")
                            .map(str::to_string)
                            .or_else(|| role_removed.then(String::new)),
                    )
                    .set_configuration_values(
                        get_str(desired, "configuration_values").map(str::to_string),
                    )
                    .set_resolve_conflicts(resolve(desired, "resolve_conflicts_on_update"))
                    // the whole list: an empty one removes the add-on's associations
                    .set_pod_identity_associations(pods_changed.then(|| pods.clone()))
                    .send()
            })
            .await?;
        crate::eks::wait_update_for(p, cluster, None, Some(name), out.update()).await?;
    }
    if let Some(arn) = get_str(prior, "arn") {
        crate::eks::update_tags(p, arn, prior, desired).await?;
    }
    p.read_back(TYPE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str, prior: &Value) -> Result<(), ProviderError> {
    let (cluster, name) = split_id(id)?;
    let preserve = get_bool(prior, "preserve").unwrap_or(false);
    match p
        .call("eks:DeleteAddon", || {
            p.eks()
                .delete_addon()
                .cluster_name(cluster)
                .addon_name(name)
                .preserve(preserve)
                .send()
        })
        .await
    {
        Err(e) if is_not_found(&e) => return Ok(()),
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    let what = format!("EKS add-on {name} of {cluster} to be deleted");
    p.poll_eks(&what, || async {
        Ok(describe(p, cluster, name).await?.is_none().then_some(()))
    })
    .await
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let (Some(cluster), Some(name)) = (
        get_str(&req.config, "cluster_name"),
        get_str(&req.config, "addon_name"),
    ) else {
        return Ok(None);
    };
    let Some(a) = describe(p, cluster, name).await? else {
        return Ok(None);
    };
    let tags = a
        .tags()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.as_str()));
    if !pairs_have_infra_tags(tags, req) {
        return Ok(None);
    }
    let pods = pod_identities(p, cluster, &a).await?;
    Ok(Some(with_pods(addon_value(&a, Some(&req.config)), pods)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_terraforms() {
        assert_eq!(split_id("c:vpc-cni").unwrap(), ("c", "vpc-cni"));
        assert!(split_id("c").unwrap_err().message.contains("<addon_name>"));
    }
}
