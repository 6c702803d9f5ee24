//! `aws_eks_pod_identity_association`: an IAM role for the pods of one Kubernetes service
//! account (EKS Pod Identity; terraform-aws-eks's `karpenter` sub-module makes one for
//! Karpenter's controller).
//!
//! The id is Terraform's, the association id (`a-...`); the cluster comes from the
//! recorded `cluster_name`, and Terraform's import ID is `CLUSTER,ASSOCIATIONID`. A refresh
//! lists each cluster's associations once (ListPodIdentityAssociations) and describes those
//! that exist. An association is usable as soon as it is made (it has no status), so
//! nothing is waited for. The role, the target role and `disable_session_tags` change in
//! place (UpdatePodIdentityAssociation), tags through TagResource; the cluster, namespace
//! and service account force a new association. A service account has at most one
//! association, so adoption lists the cluster's associations of that namespace and service
//! account and checks the `infra:*` tags; the create also carries the intent's
//! clientRequestToken.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_eks::types::PodIdentityAssociation;
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{found, is_not_found, missing};
use crate::util::{
    create_tag_pairs, eks_tags, get_bool, get_str, opt, pairs_have_infra_tags, put_tag_pairs,
};
use crate::AwsProvider;

pub(crate) const TYPE: &str = "aws_eks_pod_identity_association";

/// Terraform's import ID, `CLUSTER,ASSOCIATIONID`.
pub(crate) fn split_import(id: &str) -> Result<(&str, &str), ProviderError> {
    id.split_once(',')
        .filter(|(c, a)| !c.is_empty() && !a.is_empty() && !a.contains(','))
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Rejected,
                format!("`{id}` is not an import ID of {TYPE}; write CLUSTER,ASSOCIATIONID, e.g. prod,a-0123456789abcdef0"),
            )
        })
}

/// The import ID's cluster put into the configuration the association is read with.
pub(crate) fn import_prior(
    import_id: &str,
    config: &Value,
) -> Result<(String, Value), ProviderError> {
    let (cluster, id) = split_import(import_id)?;
    let mut m = config.as_map().cloned().unwrap_or_default();
    m.insert("cluster_name".into(), Value::string(cluster));
    Ok((id.to_string(), Value::Map(m)))
}

fn value(a: &PodIdentityAssociation) -> Value {
    let mut m = BTreeMap::new();
    let id = a.association_id().unwrap_or_default();
    m.insert("id".into(), Value::string(id));
    m.insert("association_id".into(), Value::string(id));
    m.insert("association_arn".into(), opt(a.association_arn()));
    m.insert("cluster_name".into(), opt(a.cluster_name()));
    m.insert("namespace".into(), opt(a.namespace()));
    m.insert("service_account".into(), opt(a.service_account()));
    m.insert("role_arn".into(), opt(a.role_arn()));
    m.insert(
        "target_role_arn".into(),
        opt(a.target_role_arn().filter(|s| !s.is_empty())),
    );
    m.insert("external_id".into(), opt(a.external_id()));
    m.insert(
        "disable_session_tags".into(),
        Value::Bool(a.disable_session_tags().unwrap_or(false)),
    );
    Value::Map(m)
}

fn with_tags(a: &PodIdentityAssociation, prior: Option<&Value>) -> Value {
    let mut m = value(a).as_map().cloned().unwrap_or_default();
    put_tag_pairs(&mut m, eks_tags(a.tags()), prior);
    Value::Map(m)
}

async fn describe(
    p: &AwsProvider,
    cluster: &str,
    id: &str,
) -> Result<Option<PodIdentityAssociation>, ProviderError> {
    let out = found(
        p.call("eks:DescribePodIdentityAssociation", || {
            p.eks()
                .describe_pod_identity_association()
                .cluster_name(cluster)
                .association_id(id)
                .send()
        })
        .await,
    )?;
    Ok(out.and_then(|o| o.association().cloned()))
}

/// The ids of a cluster's associations (of one namespace and service account when given),
/// `None` when the cluster is gone.
async fn list(
    p: &AwsProvider,
    cluster: &str,
    account: Option<(&str, &str)>,
) -> Result<Option<Vec<String>>, ProviderError> {
    let listed = found(
        p.paginate(
            "eks:ListPodIdentityAssociations",
            |token| {
                p.eks()
                    .list_pod_identity_associations()
                    .cluster_name(cluster)
                    .set_namespace(account.map(|(n, _)| n.to_string()))
                    .set_service_account(account.map(|(_, s)| s.to_string()))
                    .set_next_token(token)
                    .send()
            },
            |page| page.associations(),
            |page| page.next_token(),
        )
        .await,
    )?;
    Ok(listed.map(|v| {
        v.iter()
            .filter(|a| {
                account
                    .is_none_or(|(n, s)| a.namespace() == Some(n) && a.service_account() == Some(s))
            })
            .filter_map(|a| a.association_id().map(str::to_string))
            .collect()
    }))
}

/// One ListPodIdentityAssociations per cluster (when more than one of its associations is
/// asked for), then a Describe of each that exists.
pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let mut by_cluster: BTreeMap<&str, Vec<&ReadRequest>> = BTreeMap::new();
    for i in items {
        let cluster = get_str(&i.prior, "cluster_name").ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Rejected,
                format!("{TYPE} {}: the state records no cluster_name; import it again as CLUSTER,ASSOCIATIONID", i.id),
            )
        })?;
        by_cluster.entry(cluster).or_default().push(i);
    }
    let mut out = BTreeMap::new();
    for (cluster, asked) in by_cluster {
        if asked.len() > 1 {
            let Some(existing) = list(p, cluster, None).await? else {
                continue;
            };
            if !asked.iter().any(|i| existing.contains(&i.id)) {
                continue;
            }
        }
        for i in asked {
            if let Some(a) = describe(p, cluster, &i.id).await? {
                out.insert(i.id.clone(), with_tags(&a, Some(&i.prior)));
            }
        }
    }
    Ok(out)
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    let need = |k: &'static str| get_str(c, k).ok_or_else(|| missing(TYPE, k));
    let (cluster, namespace, account, role) = (
        need("cluster_name")?,
        need("namespace")?,
        need("service_account")?,
        need("role_arn")?,
    );
    let tags: HashMap<String, String> = create_tag_pairs(req).into_iter().collect();
    let out = p
        .call("eks:CreatePodIdentityAssociation", || {
            p.eks()
                .create_pod_identity_association()
                .cluster_name(cluster)
                .namespace(namespace)
                .service_account(account)
                .role_arn(role)
                .set_target_role_arn(get_str(c, "target_role_arn").map(str::to_string))
                .set_disable_session_tags(get_bool(c, "disable_session_tags"))
                .set_tags(Some(tags.clone()))
                .client_request_token(&req.token)
                .send()
        })
        .await?;
    let id = out
        .association()
        .and_then(|a| a.association_id())
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Other,
                format!(
                    "{}: CreatePodIdentityAssociation answered no association id",
                    req.address
                ),
            )
        })?;
    p.read_back(TYPE, id, c).await
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let cluster = get_str(prior, "cluster_name").ok_or_else(|| missing(TYPE, "cluster_name"))?;
    let changed = |k: &str| prior.get(k) != desired.get(k);
    if changed("role_arn") || changed("target_role_arn") || changed("disable_session_tags") {
        // an empty target role removes it, as EKS documents
        let target = get_str(desired, "target_role_arn")
            .unwrap_or_default()
            .to_string();
        p.call("eks:UpdatePodIdentityAssociation", || {
            p.eks()
                .update_pod_identity_association()
                .cluster_name(cluster)
                .association_id(id)
                .set_role_arn(get_str(desired, "role_arn").map(str::to_string))
                .target_role_arn(target.clone())
                .disable_session_tags(get_bool(desired, "disable_session_tags").unwrap_or(false))
                .send()
        })
        .await?;
    }
    if let Some(arn) = get_str(prior, "association_arn") {
        crate::eks::update_tags(p, arn, prior, desired).await?;
    }
    p.read_back(TYPE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str, prior: &Value) -> Result<(), ProviderError> {
    let cluster = get_str(prior, "cluster_name").ok_or_else(|| missing(TYPE, "cluster_name"))?;
    match p
        .call("eks:DeletePodIdentityAssociation", || {
            p.eks()
                .delete_pod_identity_association()
                .cluster_name(cluster)
                .association_id(id)
                .send()
        })
        .await
    {
        Ok(_) => {}
        Err(e) if is_not_found(&e) => return Ok(()),
        Err(e) => return Err(e),
    }
    let what = format!("EKS pod identity association {id} of {cluster} to be deleted");
    p.poll_eks(&what, || async {
        Ok(describe(p, cluster, id).await?.is_none().then_some(()))
    })
    .await
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let c = &req.config;
    let (Some(cluster), Some(namespace), Some(account)) = (
        get_str(c, "cluster_name"),
        get_str(c, "namespace"),
        get_str(c, "service_account"),
    ) else {
        return Ok(None);
    };
    let Some(ids) = list(p, cluster, Some((namespace, account))).await? else {
        return Ok(None);
    };
    for id in ids.iter().filter(|id| !req.known_ids.contains(id)) {
        let Some(a) = describe(p, cluster, id).await? else {
            continue;
        };
        if pairs_have_infra_tags(eks_tags(a.tags()), req) {
            return Ok(Some(with_tags(&a, Some(c))));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_ids_are_terraforms() {
        assert_eq!(split_import("prod,a-123").unwrap(), ("prod", "a-123"));
        for bad in ["prod", "prod,", ",a-1", "prod:a-1", "a,b,c"] {
            let e = split_import(bad).unwrap_err();
            assert!(e.message.contains("CLUSTER,ASSOCIATIONID"), "{bad}: {e}");
        }
        let (id, prior) =
            import_prior("prod,a-1", &Value::map([("namespace", Value::string("k"))])).unwrap();
        assert_eq!(id, "a-1");
        assert_eq!(prior.get("cluster_name"), &Value::string("prod"));
        assert_eq!(prior.get("namespace"), &Value::string("k"));
    }

    #[test]
    fn an_association_reads_as_terraform_writes_it() {
        let a = PodIdentityAssociation::builder()
            .cluster_name("c")
            .namespace("kube-system")
            .service_account("karpenter")
            .role_arn("arn:aws:iam::1:role/r")
            .association_id("a-1")
            .association_arn("arn:aws:eks:us-east-1:1:podidentityassociation/c/a-1")
            .target_role_arn("")
            .tags("infra:stack", "s")
            .tags("team", "x")
            .build();
        let v = with_tags(&a, None);
        assert_eq!(v.get("id"), &Value::string("a-1"));
        assert_eq!(v.get("target_role_arn"), &Value::Null);
        assert_eq!(v.get("disable_session_tags"), &Value::Bool(false));
        assert_eq!(v.get("tags"), &Value::map([("team", Value::string("x"))]));
    }
}
