//! `aws_eks_identity_provider_config`: an OIDC identity provider whose tokens the
//! cluster's API server accepts.
//!
//! The id is Terraform's import id, `<cluster_name>:<identity_provider_config_name>`. The
//! `oidc` block forces a new config; tags change in place. Association and
//! disassociation are cluster updates: create waits for the config to be ACTIVE, delete
//! until it is gone. A refresh lists each cluster's configs once
//! (ListIdentityProviderConfigs) and describes those that exist. A config carries the
//! create's clientRequestToken and `infra:*` tags; its name is unique in its cluster, so
//! adoption finds it by name and checks the tags.

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_sdk_eks::types::{
    ConfigStatus, IdentityProviderConfig, OidcIdentityProviderConfig,
    OidcIdentityProviderConfigRequest,
};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{is_not_found, missing};
use crate::util::{
    create_tag_pairs, first_block, get_str, opt, pairs_have_infra_tags, put_tag_pairs,
};
use crate::AwsProvider;

pub(crate) const TYPE: &str = "aws_eks_identity_provider_config";

pub(crate) fn split_id(id: &str) -> Result<(&str, &str), ProviderError> {
    id.split_once(':')
        .filter(|(c, n)| !c.is_empty() && !n.is_empty())
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Rejected,
                format!("`{id}` is not an identity provider config id; expected `<cluster_name>:<identity_provider_config_name>`"),
            )
        })
}

fn value(o: &OidcIdentityProviderConfig, prior: Option<&Value>) -> Value {
    let cluster = o.cluster_name().unwrap_or_default();
    let name = o.identity_provider_config_name().unwrap_or_default();
    let claims = o
        .required_claims()
        .filter(|c| !c.is_empty())
        .map(|c| {
            Value::Map(
                c.iter()
                    .map(|(k, v)| (k.clone(), Value::string(v)))
                    .collect(),
            )
        })
        .unwrap_or(Value::Null);
    let oidc = Value::map([
        ("client_id", opt(o.client_id())),
        ("identity_provider_config_name", Value::string(name)),
        ("issuer_url", opt(o.issuer_url())),
        ("groups_claim", opt(o.groups_claim())),
        ("groups_prefix", opt(o.groups_prefix())),
        ("required_claims", claims),
        ("username_claim", opt(o.username_claim())),
        ("username_prefix", opt(o.username_prefix())),
    ]);
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(format!("{cluster}:{name}")));
    m.insert("cluster_name".into(), Value::string(cluster));
    m.insert("arn".into(), opt(o.identity_provider_config_arn()));
    m.insert("status".into(), opt(o.status().map(ConfigStatus::as_str)));
    m.insert("oidc".into(), Value::List(vec![oidc]));
    put_tag_pairs(
        &mut m,
        o.tags()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str())),
        prior,
    );
    Value::Map(m)
}

fn reference(name: &str) -> Result<IdentityProviderConfig, ProviderError> {
    IdentityProviderConfig::builder()
        .r#type("oidc")
        .name(name)
        .build()
        .map_err(|e| ProviderError::new(ErrorKind::Other, e.to_string()))
}

async fn describe(
    p: &AwsProvider,
    cluster: &str,
    name: &str,
) -> Result<Option<OidcIdentityProviderConfig>, ProviderError> {
    let r = reference(name)?;
    match p
        .call("eks:DescribeIdentityProviderConfig", || {
            p.eks()
                .describe_identity_provider_config()
                .cluster_name(cluster)
                .identity_provider_config(r.clone())
                .send()
        })
        .await
    {
        Ok(out) => Ok(out
            .identity_provider_config()
            .and_then(|c| c.oidc())
            .cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn list(p: &AwsProvider, cluster: &str) -> Result<Option<HashSet<String>>, ProviderError> {
    let listed = p
        .paginate(
            "eks:ListIdentityProviderConfigs",
            |token| {
                p.eks()
                    .list_identity_provider_configs()
                    .cluster_name(cluster)
                    .set_next_token(token)
                    .send()
            },
            |page| page.identity_provider_configs(),
            |page| page.next_token(),
        )
        .await;
    match listed {
        Ok(v) => Ok(Some(
            v.iter()
                .filter(|c| c.r#type() == "oidc")
                .map(|c| c.name().to_string())
                .collect(),
        )),
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
        |o, prior| value(o, Some(prior)),
    )
    .await
}

fn oidc_request(c: &Value) -> Result<OidcIdentityProviderConfigRequest, ProviderError> {
    let o = first_block(c, "oidc");
    let s = |k: &str| get_str(o, k).map(str::to_string);
    let claims: Option<HashMap<String, String>> = o.get("required_claims").as_map().map(|m| {
        m.iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect()
    });
    OidcIdentityProviderConfigRequest::builder()
        .set_identity_provider_config_name(s("identity_provider_config_name"))
        .set_issuer_url(s("issuer_url"))
        .set_client_id(s("client_id"))
        .set_username_claim(s("username_claim"))
        .set_username_prefix(s("username_prefix"))
        .set_groups_claim(s("groups_claim"))
        .set_groups_prefix(s("groups_prefix"))
        .set_required_claims(claims.filter(|c| !c.is_empty()))
        .build()
        .map_err(|e| {
            ProviderError::new(
                ErrorKind::Rejected,
                format!("{TYPE}: the oidc block needs identity_provider_config_name, issuer_url and client_id ({e})"),
            )
        })
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    let cluster = get_str(c, "cluster_name").ok_or_else(|| missing(TYPE, "cluster_name"))?;
    let oidc = oidc_request(c)?;
    let name = oidc.identity_provider_config_name().to_string();
    let tags: HashMap<String, String> = create_tag_pairs(req).into_iter().collect();
    p.call("eks:AssociateIdentityProviderConfig", || {
        p.eks()
            .associate_identity_provider_config()
            .cluster_name(cluster)
            .oidc(oidc.clone())
            .set_tags(Some(tags.clone()))
            .client_request_token(&req.token)
            .send()
    })
    .await?;
    p.read_back(TYPE, &format!("{cluster}:{name}"), c).await
}

pub(crate) async fn wait_active(
    p: &AwsProvider,
    id: &str,
    current: &Value,
) -> Result<Value, ProviderError> {
    let (cluster, name) = split_id(id)?;
    let what = format!("EKS identity provider config {name} of {cluster} to become ACTIVE");
    p.poll_eks(&what, || async {
        let Some(o) = describe(p, cluster, name).await? else {
            return Err(ProviderError::not_found(format!(
                "EKS identity provider config {name} of {cluster} disappeared while being associated; check the cluster's updates (aws eks list-updates) and run again"
            )));
        };
        match o.status() {
            Some(ConfigStatus::Active) | None => Ok(Some(value(&o, Some(current)))),
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
    // the oidc block forces a replacement; only tags change in place
    if let Some(arn) = get_str(prior, "arn") {
        crate::eks::update_tags(p, arn, prior, desired).await?;
    }
    p.read_back(TYPE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let (cluster, name) = split_id(id)?;
    let r = reference(name)?;
    let what = format!("EKS identity provider config {name} of {cluster} to be disassociated");
    // a config still being associated cannot be disassociated yet: wait for it
    p.poll_eks(&what, || async {
        match p
            .call("eks:DisassociateIdentityProviderConfig", || {
                p.eks()
                    .disassociate_identity_provider_config()
                    .cluster_name(cluster)
                    .identity_provider_config(r.clone())
                    .send()
            })
            .await
        {
            Ok(_) => Ok(Some(())),
            Err(e) if is_not_found(&e) => Ok(Some(())),
            Err(e)
                if crate::errors::has_code(
                    &e,
                    &[
                        "InvalidRequestException",
                        "ResourceInUseException",
                        "InvalidParameterException",
                    ],
                ) && describe(p, cluster, name)
                    .await?
                    .is_some_and(|o| o.status() != Some(&ConfigStatus::Active)) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    })
    .await?;
    let what = format!("EKS identity provider config {name} of {cluster} to be deleted");
    p.poll_eks(&what, || async {
        Ok(describe(p, cluster, name).await?.is_none().then_some(()))
    })
    .await
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let Some(cluster) = get_str(&req.config, "cluster_name") else {
        return Ok(None);
    };
    let Some(name) = get_str(
        first_block(&req.config, "oidc"),
        "identity_provider_config_name",
    ) else {
        return Ok(None);
    };
    let Some(o) = describe(p, cluster, name).await? else {
        return Ok(None);
    };
    let tags = o
        .tags()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.as_str()));
    if !pairs_have_infra_tags(tags, req) {
        return Ok(None);
    }
    Ok(Some(value(&o, Some(&req.config))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_terraforms_and_the_oidc_block_is_checked() {
        assert_eq!(split_id("c:okta").unwrap(), ("c", "okta"));
        assert!(split_id("c")
            .unwrap_err()
            .message
            .contains("<identity_provider_config_name>"));
        let c = Value::map([(
            "oidc",
            Value::List(vec![Value::map([("client_id", Value::string("x"))])]),
        )]);
        assert!(oidc_request(&c).unwrap_err().message.contains("issuer_url"));
    }
}
