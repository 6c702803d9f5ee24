//! `aws_eks_access_entry` and `aws_eks_access_policy_association`: cluster access through
//! the EKS API (the successor of the aws-auth ConfigMap), as terraform-aws-eks manages it.
//!
//! Ids are Terraform's import ids: `<cluster>:<principal_arn>` for an entry,
//! `<cluster>#<principal_arn>#<policy_arn>` for an association. A refresh lists the entries
//! of each cluster once (ListAccessEntries) and describes only those that exist; the
//! associations of one principal are read with one ListAssociatedAccessPolicies. Entries
//! are tagged at creation and carry the create's clientRequestToken; an entry or an
//! association is found again by its natural key (one entry per principal per cluster).

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_sdk_eks::types::{AccessEntry, AccessScope, AccessScopeType, AssociatedAccessPolicy};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{is_not_found, missing};
use crate::util::{
    create_tag_pairs, first_block, get_str, get_strings, opt, pairs_have_infra_tags, put_tag_pairs,
    strings,
};
use crate::AwsProvider;

const ENTRY: &str = "aws_eks_access_entry";
const ASSOC: &str = "aws_eks_access_policy_association";

fn split_entry(id: &str) -> Result<(&str, &str), ProviderError> {
    id.split_once(':').ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Rejected,
            format!("`{id}` is not an access entry id; expected `<cluster_name>:<principal_arn>`"),
        )
    })
}

fn split_assoc(id: &str) -> Result<(&str, &str, &str), ProviderError> {
    let mut parts = id.splitn(3, '#');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(c), Some(p), Some(a)) if !c.is_empty() && !p.is_empty() && !a.is_empty() => {
            Ok((c, p, a))
        }
        _ => Err(ProviderError::new(
            ErrorKind::Rejected,
            format!("`{id}` is not an access policy association id; expected `<cluster_name>#<principal_arn>#<policy_arn>`"),
        )),
    }
}

fn date(d: Option<&aws_smithy_types::DateTime>) -> Value {
    d.map(|d| Value::string(d.to_string()))
        .unwrap_or(Value::Null)
}

fn entry_value(e: &AccessEntry, prior: Option<&Value>) -> Value {
    let cluster = e.cluster_name().unwrap_or_default();
    let principal = e.principal_arn().unwrap_or_default();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(format!("{cluster}:{principal}")));
    m.insert("cluster_name".into(), Value::string(cluster));
    m.insert("principal_arn".into(), Value::string(principal));
    m.insert(
        "kubernetes_groups".into(),
        strings(e.kubernetes_groups().iter().map(String::as_str)),
    );
    m.insert(
        "type".into(),
        Value::string(e.r#type().unwrap_or("STANDARD")),
    );
    m.insert("user_name".into(), opt(e.username()));
    m.insert("access_entry_arn".into(), opt(e.access_entry_arn()));
    m.insert("created_at".into(), date(e.created_at()));
    m.insert("modified_at".into(), date(e.modified_at()));
    put_tag_pairs(
        &mut m,
        e.tags()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str())),
        prior,
    );
    Value::Map(m)
}

async fn describe_entry(
    p: &AwsProvider,
    cluster: &str,
    principal: &str,
) -> Result<Option<AccessEntry>, ProviderError> {
    match p
        .call("eks:DescribeAccessEntry", || {
            p.eks()
                .describe_access_entry()
                .cluster_name(cluster)
                .principal_arn(principal)
                .send()
        })
        .await
    {
        Ok(out) => Ok(out.access_entry().cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The principals with an entry on `cluster` (None: the cluster is gone).
async fn list_entries(
    p: &AwsProvider,
    cluster: &str,
) -> Result<Option<HashSet<String>>, ProviderError> {
    let listed = p
        .paginate(
            "eks:ListAccessEntries",
            |token| {
                p.eks()
                    .list_access_entries()
                    .cluster_name(cluster)
                    .set_next_token(token)
                    .send()
            },
            |page| page.access_entries(),
            |page| page.next_token(),
        )
        .await;
    match listed {
        Ok(v) => Ok(Some(v.into_iter().collect())),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) async fn read_entries(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    crate::util::read_cluster_children(
        items,
        split_entry,
        |cluster| list_entries(p, cluster),
        |cluster, principal| describe_entry(p, cluster, principal),
        |e, prior| entry_value(e, Some(prior)),
    )
    .await
}

pub(crate) async fn create_entry(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    let cluster = get_str(c, "cluster_name").ok_or_else(|| missing(ENTRY, "cluster_name"))?;
    let principal = get_str(c, "principal_arn").ok_or_else(|| missing(ENTRY, "principal_arn"))?;
    let groups = get_strings(c, "kubernetes_groups");
    let tags: HashMap<String, String> = create_tag_pairs(req).into_iter().collect();
    let out = p
        .call("eks:CreateAccessEntry", || {
            p.eks()
                .create_access_entry()
                .cluster_name(cluster)
                .principal_arn(principal)
                .set_kubernetes_groups((!groups.is_empty()).then(|| groups.clone()))
                .set_type(get_str(c, "type").map(str::to_string))
                .set_username(get_str(c, "user_name").map(str::to_string))
                .set_tags(Some(tags.clone()))
                .client_request_token(&req.token)
                .send()
        })
        .await?;
    match out.access_entry() {
        Some(e) => Ok(entry_value(e, Some(c))),
        None => {
            p.read_back(ENTRY, &format!("{cluster}:{principal}"), c)
                .await
        }
    }
}

pub(crate) async fn update_entry(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let (cluster, principal) = split_entry(id)?;
    let mut old = get_strings(prior, "kubernetes_groups");
    let mut new = get_strings(desired, "kubernetes_groups");
    old.sort();
    new.sort();
    let user = get_str(desired, "user_name");
    if old != new || (user.is_some() && user != get_str(prior, "user_name")) {
        p.call("eks:UpdateAccessEntry", || {
            p.eks()
                .update_access_entry()
                .cluster_name(cluster)
                .principal_arn(principal)
                .set_kubernetes_groups(Some(new.clone()))
                .set_username(user.map(str::to_string))
                .send()
        })
        .await?;
    }
    if let Some(arn) = get_str(prior, "access_entry_arn") {
        crate::eks::update_tags(p, arn, prior, desired).await?;
    }
    p.read_back(ENTRY, id, desired).await
}

pub(crate) async fn delete_entry(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let (cluster, principal) = split_entry(id)?;
    match p
        .call("eks:DeleteAccessEntry", || {
            p.eks()
                .delete_access_entry()
                .cluster_name(cluster)
                .principal_arn(principal)
                .send()
        })
        .await
    {
        Err(e) if !is_not_found(&e) => Err(e),
        _ => Ok(()),
    }
}

/// One entry per principal per cluster: the one an interrupted create made has the
/// request's `infra:*` tags.
pub(crate) async fn adopt_entry(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let (Some(cluster), Some(principal)) = (
        get_str(&req.config, "cluster_name"),
        get_str(&req.config, "principal_arn"),
    ) else {
        return Ok(None);
    };
    let Some(e) = describe_entry(p, cluster, principal).await? else {
        return Ok(None);
    };
    let tags = e
        .tags()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.as_str()));
    if !pairs_have_infra_tags(tags, req) {
        return Ok(None);
    }
    Ok(Some(entry_value(&e, Some(&req.config))))
}

// ---- access policy associations ----

fn assoc_value(cluster: &str, principal: &str, a: &AssociatedAccessPolicy) -> Value {
    let policy = a.policy_arn().unwrap_or_default();
    let scope = a.access_scope();
    let mut namespaces: Vec<&str> = scope
        .map(|s| s.namespaces().iter().map(String::as_str).collect())
        .unwrap_or_default();
    namespaces.sort();
    Value::map([
        (
            "id",
            Value::string(format!("{cluster}#{principal}#{policy}")),
        ),
        ("cluster_name", Value::string(cluster)),
        ("principal_arn", Value::string(principal)),
        ("policy_arn", Value::string(policy)),
        (
            "access_scope",
            Value::List(vec![Value::map([
                (
                    "type",
                    opt(scope.and_then(|s| s.r#type()).map(|t| t.as_str())),
                ),
                ("namespaces", strings(namespaces)),
            ])]),
        ),
        ("associated_at", date(a.associated_at())),
        ("modified_at", date(a.modified_at())),
    ])
}

async fn associated(
    p: &AwsProvider,
    cluster: &str,
    principal: &str,
) -> Result<Option<Vec<AssociatedAccessPolicy>>, ProviderError> {
    let listed = p
        .paginate(
            "eks:ListAssociatedAccessPolicies",
            |token| {
                p.eks()
                    .list_associated_access_policies()
                    .cluster_name(cluster)
                    .principal_arn(principal)
                    .set_next_token(token)
                    .send()
            },
            |page| page.associated_access_policies(),
            |page| page.next_token(),
        )
        .await;
    match listed {
        Ok(v) => Ok(Some(v)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// One ListAssociatedAccessPolicies per principal, for all of its associations.
pub(crate) async fn read_associations(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let mut by_principal: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for i in items {
        let (c, pr, a) = split_assoc(&i.id)?;
        by_principal.entry((c, pr)).or_default().push(a);
    }
    let mut out = BTreeMap::new();
    for ((cluster, principal), arns) in by_principal {
        let Some(found) = associated(p, cluster, principal).await? else {
            continue;
        };
        for a in found
            .iter()
            .filter(|a| a.policy_arn().is_some_and(|x| arns.contains(&x)))
        {
            let v = assoc_value(cluster, principal, a);
            out.insert(v.get("id").as_str().unwrap_or_default().to_string(), v);
        }
    }
    Ok(out)
}

fn scope_of(c: &Value) -> Result<AccessScope, ProviderError> {
    let block = first_block(c, "access_scope");
    let ty = get_str(block, "type").ok_or_else(|| missing(ASSOC, "access_scope.type"))?;
    let namespaces = get_strings(block, "namespaces");
    Ok(AccessScope::builder()
        .r#type(AccessScopeType::from(ty))
        .set_namespaces((!namespaces.is_empty()).then_some(namespaces))
        .build())
}

fn assoc_args(c: &Value) -> Result<(&str, &str, &str), ProviderError> {
    Ok((
        get_str(c, "cluster_name").ok_or_else(|| missing(ASSOC, "cluster_name"))?,
        get_str(c, "principal_arn").ok_or_else(|| missing(ASSOC, "principal_arn"))?,
        get_str(c, "policy_arn").ok_or_else(|| missing(ASSOC, "policy_arn"))?,
    ))
}

/// AssociateAccessPolicy is idempotent (it sets the scope of the pair): resending it after a
/// lost answer makes nothing twice.
pub(crate) async fn create_association(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let (cluster, principal, policy) = assoc_args(&req.config)?;
    let scope = scope_of(&req.config)?;
    let out = p
        .call("eks:AssociateAccessPolicy", || {
            p.eks()
                .associate_access_policy()
                .cluster_name(cluster)
                .principal_arn(principal)
                .policy_arn(policy)
                .access_scope(scope.clone())
                .send()
        })
        .await?;
    match out.associated_access_policy() {
        Some(a) => Ok(assoc_value(cluster, principal, a)),
        None => {
            let id = format!("{cluster}#{principal}#{policy}");
            p.read_back(ASSOC, &id, &req.config).await
        }
    }
}

pub(crate) async fn delete_association(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let (cluster, principal, policy) = split_assoc(id)?;
    match p
        .call("eks:DisassociateAccessPolicy", || {
            p.eks()
                .disassociate_access_policy()
                .cluster_name(cluster)
                .principal_arn(principal)
                .policy_arn(policy)
                .send()
        })
        .await
    {
        Err(e) if !is_not_found(&e) => Err(e),
        _ => Ok(()),
    }
}

pub(crate) async fn adopt_association(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let (cluster, principal, policy) = assoc_args(&req.config)?;
    Ok(associated(p, cluster, principal)
        .await?
        .unwrap_or_default()
        .iter()
        .find(|a| a.policy_arn() == Some(policy))
        .map(|a| assoc_value(cluster, principal, a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_terraforms() {
        let role = "arn:aws:iam::1:role/a/b";
        assert_eq!(split_entry(&format!("c:{role}")).unwrap(), ("c", role));
        let policy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy";
        assert_eq!(
            split_assoc(&format!("c#{role}#{policy}")).unwrap(),
            ("c", role, policy)
        );
        assert!(split_assoc("c#only")
            .unwrap_err()
            .message
            .contains("<policy_arn>"));
    }
}
