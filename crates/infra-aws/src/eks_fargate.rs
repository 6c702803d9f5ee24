//! `aws_eks_fargate_profile`: which pods of an EKS cluster run on Fargate.
//!
//! The id is Terraform's import id, `<cluster_name>:<fargate_profile_name>`. Everything
//! but the tags forces a new profile. A refresh lists each cluster's profiles once
//! (ListFargateProfiles) and describes only those that exist. Create waits for ACTIVE and
//! delete until the profile is gone (EKS deletes one profile of a cluster at a time). A
//! profile carries the create's clientRequestToken and `infra:*` tags; its name is unique
//! in its cluster, so adoption finds it by name and checks the tags.

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_sdk_eks::types::{FargateProfile, FargateProfileSelector, FargateProfileStatus};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{is_not_found, missing};
use crate::util::{
    create_tag_pairs, get_str, get_strings, opt, pairs_have_infra_tags, put_tag_pairs,
};
use crate::AwsProvider;

pub(crate) const TYPE: &str = "aws_eks_fargate_profile";

pub(crate) fn split_id(id: &str) -> Result<(&str, &str), ProviderError> {
    id.split_once(':')
        .filter(|(c, n)| !c.is_empty() && !n.is_empty())
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Rejected,
                format!("`{id}` is not a Fargate profile id; expected `<cluster_name>:<fargate_profile_name>`"),
            )
        })
}

fn string_map<'a>(m: impl IntoIterator<Item = (&'a String, &'a String)>) -> Value {
    Value::Map(
        m.into_iter()
            .map(|(k, v)| (k.clone(), Value::string(v)))
            .collect(),
    )
}

fn value(f: &FargateProfile, prior: Option<&Value>) -> Value {
    let cluster = f.cluster_name().unwrap_or_default();
    let name = f.fargate_profile_name().unwrap_or_default();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(format!("{cluster}:{name}")));
    m.insert("cluster_name".into(), Value::string(cluster));
    m.insert("fargate_profile_name".into(), Value::string(name));
    m.insert("arn".into(), opt(f.fargate_profile_arn()));
    m.insert(
        "pod_execution_role_arn".into(),
        opt(f.pod_execution_role_arn()),
    );
    m.insert(
        "status".into(),
        opt(f.status().map(FargateProfileStatus::as_str)),
    );
    let mut subnets: Vec<&str> = f.subnets().iter().map(String::as_str).collect();
    subnets.sort_unstable();
    m.insert("subnet_ids".into(), crate::util::strings(subnets));
    let mut selectors: Vec<Value> = f
        .selectors()
        .iter()
        .map(|s| {
            let labels = s
                .labels()
                .filter(|l| !l.is_empty())
                .map(|l| string_map(l.iter().collect::<BTreeMap<_, _>>()))
                .unwrap_or(Value::Null);
            Value::map([("namespace", opt(s.namespace())), ("labels", labels)])
        })
        .collect();
    selectors.sort_by_key(|v| v.to_json().to_string());
    m.insert("selector".into(), Value::List(selectors));
    put_tag_pairs(
        &mut m,
        f.tags()
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
) -> Result<Option<FargateProfile>, ProviderError> {
    match p
        .call("eks:DescribeFargateProfile", || {
            p.eks()
                .describe_fargate_profile()
                .cluster_name(cluster)
                .fargate_profile_name(name)
                .send()
        })
        .await
    {
        Ok(out) => Ok(out.fargate_profile().cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn list(p: &AwsProvider, cluster: &str) -> Result<Option<HashSet<String>>, ProviderError> {
    let listed = p
        .paginate(
            "eks:ListFargateProfiles",
            |token| {
                p.eks()
                    .list_fargate_profiles()
                    .cluster_name(cluster)
                    .set_next_token(token)
                    .send()
            },
            |page| page.fargate_profile_names(),
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
        |cluster, name| describe(p, cluster, name),
        |f, prior| value(f, Some(prior)),
    )
    .await
}

fn selectors(c: &Value) -> Vec<FargateProfileSelector> {
    c.get("selector")
        .as_list()
        .map(|l| &l[..])
        .unwrap_or(&[])
        .iter()
        .map(|s| {
            let labels: Option<HashMap<String, String>> = s.get("labels").as_map().map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            });
            FargateProfileSelector::builder()
                .set_namespace(get_str(s, "namespace").map(str::to_string))
                .set_labels(labels.filter(|l| !l.is_empty()))
                .build()
        })
        .collect()
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    let cluster = get_str(c, "cluster_name").ok_or_else(|| missing(TYPE, "cluster_name"))?;
    let name =
        get_str(c, "fargate_profile_name").ok_or_else(|| missing(TYPE, "fargate_profile_name"))?;
    let role = get_str(c, "pod_execution_role_arn")
        .ok_or_else(|| missing(TYPE, "pod_execution_role_arn"))?;
    let subnets = get_strings(c, "subnet_ids");
    let tags: HashMap<String, String> = create_tag_pairs(req).into_iter().collect();
    let out = p
        .call("eks:CreateFargateProfile", || {
            p.eks()
                .create_fargate_profile()
                .cluster_name(cluster)
                .fargate_profile_name(name)
                .pod_execution_role_arn(role)
                .set_subnets((!subnets.is_empty()).then(|| subnets.clone()))
                .set_selectors(Some(selectors(c)))
                .set_tags(Some(tags.clone()))
                .client_request_token(&req.token)
                .send()
        })
        .await?;
    match out.fargate_profile() {
        Some(f) => Ok(value(f, Some(c))),
        None => p.read_back(TYPE, &format!("{cluster}:{name}"), c).await,
    }
}

pub(crate) async fn wait_active(
    p: &AwsProvider,
    id: &str,
    current: &Value,
) -> Result<Value, ProviderError> {
    let (cluster, name) = split_id(id)?;
    let what = format!("EKS Fargate profile {name} of {cluster} to become ACTIVE");
    p.poll_eks(&what, || async {
        let Some(f) = describe(p, cluster, name).await? else {
            return Err(ProviderError::not_found(format!(
                "EKS Fargate profile {name} of {cluster} disappeared while being created"
            )));
        };
        match f.status() {
            Some(FargateProfileStatus::Active) | None => Ok(Some(value(&f, Some(current)))),
            Some(FargateProfileStatus::CreateFailed) => Err(ProviderError::new(
                ErrorKind::Rejected,
                format!("EKS Fargate profile {name} of {cluster} failed to create (CREATE_FAILED); check its pod execution role and subnets (private subnets only), then run again"),
            )),
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
    // every argument but the tags forces a replacement
    if let Some(arn) = get_str(prior, "arn") {
        crate::eks::update_tags(p, arn, prior, desired).await?;
    }
    p.read_back(TYPE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let (cluster, name) = split_id(id)?;
    match p
        .call("eks:DeleteFargateProfile", || {
            p.eks()
                .delete_fargate_profile()
                .cluster_name(cluster)
                .fargate_profile_name(name)
                .send()
        })
        .await
    {
        Err(e) if is_not_found(&e) => return Ok(()),
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    let what = format!("EKS Fargate profile {name} of {cluster} to be deleted");
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
        get_str(&req.config, "fargate_profile_name"),
    ) else {
        return Ok(None);
    };
    let Some(f) = describe(p, cluster, name).await? else {
        return Ok(None);
    };
    let tags = f
        .tags()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.as_str()));
    if !pairs_have_infra_tags(tags, req) {
        return Ok(None);
    }
    Ok(Some(value(&f, Some(&req.config))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_terraforms() {
        assert_eq!(split_id("c:fp").unwrap(), ("c", "fp"));
        assert!(split_id("c")
            .unwrap_err()
            .message
            .contains("<fargate_profile_name>"));
        assert!(split_id(":x").is_err());
    }
}
