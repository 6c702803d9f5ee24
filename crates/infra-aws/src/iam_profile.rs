//! `aws_iam_instance_profile` and `aws_iam_openid_connect_provider` (IRSA for EKS).
//!
//! Ids are Terraform's import ids: a profile's name, a provider's ARN. Profiles are read
//! with GetInstanceProfile (one) or one paginated ListInstanceProfiles scan (several; the
//! listing may carry no tags, so an untagged listing keeps the prior tags). IAM has no
//! batched read of OIDC providers: a refresh lists them once (ListOpenIDConnectProviders)
//! and reads only those that still exist.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_iam::types::InstanceProfile;
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{is_not_found, missing};
use crate::iam::{generated_name, iam_tags};
use crate::util::{
    create_tag_pairs, get_str, get_strings, opt, pairs_have_infra_tags, put_tag_pairs, strings,
    tag_changes,
};
use crate::AwsProvider;

const PROFILE: &str = "aws_iam_instance_profile";
const OIDC: &str = "aws_iam_openid_connect_provider";

fn profile_value(ip: &InstanceProfile, prior: Option<&Value>, listed: bool) -> Value {
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(ip.instance_profile_name()));
    m.insert("name".into(), Value::string(ip.instance_profile_name()));
    m.insert("path".into(), Value::string(ip.path()));
    m.insert("arn".into(), Value::string(ip.arn()));
    m.insert("unique_id".into(), Value::string(ip.instance_profile_id()));
    m.insert(
        "create_date".into(),
        Value::string(ip.create_date().to_string()),
    );
    m.insert(
        "role".into(),
        opt(ip.roles().first().map(|r| r.role_name())),
    );
    crate::util::carry_name_prefix(&mut m, prior);
    if listed && ip.tags().is_empty() {
        for k in ["tags", "tags_all"] {
            let v = prior.map(|p| p.get(k).clone()).unwrap_or(Value::Null);
            m.insert(k.into(), v);
        }
    } else {
        put_tag_pairs(
            &mut m,
            ip.tags().iter().map(|t| (t.key(), t.value())),
            prior,
        );
    }
    Value::Map(m)
}

async fn get_profile(
    p: &AwsProvider,
    name: &str,
) -> Result<Option<InstanceProfile>, ProviderError> {
    match p
        .call("iam:GetInstanceProfile", || {
            p.iam()
                .get_instance_profile()
                .instance_profile_name(name)
                .send()
        })
        .await
    {
        Ok(out) => Ok(out.instance_profile().cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) async fn read_profiles(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    if let [one] = items {
        return Ok(get_profile(p, &one.id)
            .await?
            .map(|ip| (one.id.clone(), profile_value(&ip, Some(&one.prior), false)))
            .into_iter()
            .collect());
    }
    let priors: HashMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    let listed = p
        .paginate(
            "iam:ListInstanceProfiles",
            |marker| p.iam().list_instance_profiles().set_marker(marker).send(),
            |page| page.instance_profiles(),
            |page| page.marker().filter(|_| page.is_truncated()),
        )
        .await?;
    Ok(listed
        .iter()
        .filter_map(|ip| {
            let prior = priors.get(ip.instance_profile_name())?;
            Some((
                ip.instance_profile_name().to_string(),
                profile_value(ip, Some(prior), true),
            ))
        })
        .collect())
}

async fn add_role(p: &AwsProvider, name: &str, role: &str) -> Result<(), ProviderError> {
    p.call("iam:AddRoleToInstanceProfile", || {
        p.iam()
            .add_role_to_instance_profile()
            .instance_profile_name(name)
            .role_name(role)
            .send()
    })
    .await
    .map(|_| ())
}

async fn remove_role(p: &AwsProvider, name: &str, role: &str) -> Result<(), ProviderError> {
    match p
        .call("iam:RemoveRoleFromInstanceProfile", || {
            p.iam()
                .remove_role_from_instance_profile()
                .instance_profile_name(name)
                .role_name(role)
                .send()
        })
        .await
    {
        Err(e) if !is_not_found(&e) => Err(e),
        _ => Ok(()),
    }
}

pub(crate) async fn create_profile(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    let name = generated_name(req, 128);
    let tags = iam_tags(&create_tag_pairs(req));
    p.call("iam:CreateInstanceProfile", || {
        p.iam()
            .create_instance_profile()
            .instance_profile_name(&name)
            .path(get_str(c, "path").unwrap_or("/"))
            .set_tags(Some(tags.clone()))
            .send()
    })
    .await?;
    if let Some(role) = get_str(c, "role") {
        add_role(p, &name, role).await?;
    }
    p.read_back(PROFILE, &name, c).await
}

pub(crate) async fn update_profile(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let (old, new) = (get_str(prior, "role"), get_str(desired, "role"));
    if old != new {
        if let Some(old) = old {
            remove_role(p, id, old).await?;
        }
        if let Some(new) = new {
            add_role(p, id, new).await?;
        }
    }
    let (removed, changed) = tag_changes(prior, desired);
    if !removed.is_empty() {
        p.call("iam:UntagInstanceProfile", || {
            p.iam()
                .untag_instance_profile()
                .instance_profile_name(id)
                .set_tag_keys(Some(removed.clone()))
                .send()
        })
        .await?;
    }
    if !changed.is_empty() {
        let tags = iam_tags(&changed);
        p.call("iam:TagInstanceProfile", || {
            p.iam()
                .tag_instance_profile()
                .instance_profile_name(id)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
    }
    p.read_back(PROFILE, id, desired).await
}

/// Roles come out of the profile first (IAM refuses to delete a profile that has one).
pub(crate) async fn delete_profile(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let Some(ip) = get_profile(p, id).await? else {
        return Ok(());
    };
    for role in ip.roles() {
        remove_role(p, id, role.role_name()).await?;
    }
    p.settle(id, || async {
        p.call("iam:DeleteInstanceProfile", || {
            p.iam()
                .delete_instance_profile()
                .instance_profile_name(id)
                .send()
        })
        .await
        .map(|_| ())
    })
    .await
}

pub(crate) async fn adopt_profile(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let Some(ip) = get_profile(p, &generated_name(req, 128)).await? else {
        return Ok(None);
    };
    if !pairs_have_infra_tags(ip.tags().iter().map(|t| (t.key(), t.value())), req) {
        return Ok(None);
    }
    Ok(Some(profile_value(&ip, Some(&req.config), false)))
}

// ---- OpenID Connect providers ----

/// IAM stores a provider's URL without its scheme; Terraform users write `https://...`.
fn bare_url(url: &str) -> &str {
    url.strip_prefix("https://").unwrap_or(url)
}

type OidcOutput =
    aws_sdk_iam::operation::get_open_id_connect_provider::GetOpenIdConnectProviderOutput;

async fn get_oidc_raw(p: &AwsProvider, arn: &str) -> Result<Option<OidcOutput>, ProviderError> {
    match p
        .call("iam:GetOpenIDConnectProvider", || {
            p.iam()
                .get_open_id_connect_provider()
                .open_id_connect_provider_arn(arn)
                .send()
        })
        .await
    {
        Ok(out) => Ok(Some(out)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn get_oidc(
    p: &AwsProvider,
    arn: &str,
    prior: Option<&Value>,
) -> Result<Option<Value>, ProviderError> {
    Ok(get_oidc_raw(p, arn)
        .await?
        .map(|out| oidc_value(arn, &out, prior)))
}

fn oidc_value(arn: &str, out: &OidcOutput, prior: Option<&Value>) -> Value {
    let cloud_url = out.url().unwrap_or_default();
    // keep the configured spelling (`https://` or not) of the same URL
    let url = match prior.and_then(|p| get_str(p, "url")) {
        Some(u) if bare_url(u) == bare_url(cloud_url) => u.to_string(),
        _ => format!("https://{}", bare_url(cloud_url)),
    };
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(arn));
    m.insert("arn".into(), Value::string(arn));
    m.insert("url".into(), Value::string(url));
    m.insert(
        "client_id_list".into(),
        strings(out.client_id_list().iter().map(String::as_str)),
    );
    m.insert(
        "thumbprint_list".into(),
        strings(out.thumbprint_list().iter().map(String::as_str)),
    );
    put_tag_pairs(
        &mut m,
        out.tags().iter().map(|t| (t.key(), t.value())),
        prior,
    );
    Value::Map(m)
}

async fn list_oidc(p: &AwsProvider) -> Result<Vec<String>, ProviderError> {
    let out = p
        .call("iam:ListOpenIDConnectProviders", || {
            p.iam().list_open_id_connect_providers().send()
        })
        .await?;
    Ok(out
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|e| e.arn().map(str::to_string))
        .collect())
}

pub(crate) async fn read_oidc(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let existing: BTreeSet<String> = if items.len() > 1 {
        list_oidc(p).await?.into_iter().collect()
    } else {
        items.iter().map(|i| i.id.clone()).collect()
    };
    let mut out = BTreeMap::new();
    for i in items.iter().filter(|i| existing.contains(&i.id)) {
        if let Some(v) = get_oidc(p, &i.id, Some(&i.prior)).await? {
            out.insert(i.id.clone(), v);
        }
    }
    Ok(out)
}

pub(crate) async fn create_oidc(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    let url = get_str(c, "url").ok_or_else(|| missing(OIDC, "url"))?;
    let url = format!("https://{}", bare_url(url));
    let clients = get_strings(c, "client_id_list");
    let thumbprints = get_strings(c, "thumbprint_list");
    let tags = iam_tags(&create_tag_pairs(req));
    let out = p
        .call("iam:CreateOpenIDConnectProvider", || {
            p.iam()
                .create_open_id_connect_provider()
                .url(&url)
                .set_client_id_list(Some(clients.clone()))
                .set_thumbprint_list((!thumbprints.is_empty()).then(|| thumbprints.clone()))
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
    let arn = out
        .open_id_connect_provider_arn()
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Other,
                "CreateOpenIDConnectProvider returned no ARN",
            )
        })?
        .to_string();
    p.read_back(OIDC, &arn, c).await
}

pub(crate) async fn update_oidc(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let old: BTreeSet<String> = get_strings(prior, "client_id_list").into_iter().collect();
    let new: BTreeSet<String> = get_strings(desired, "client_id_list").into_iter().collect();
    for client in new.difference(&old) {
        p.call("iam:AddClientIDToOpenIDConnectProvider", || {
            p.iam()
                .add_client_id_to_open_id_connect_provider()
                .open_id_connect_provider_arn(id)
                .client_id(client)
                .send()
        })
        .await?;
    }
    for client in old.difference(&new) {
        p.call("iam:RemoveClientIDFromOpenIDConnectProvider", || {
            p.iam()
                .remove_client_id_from_open_id_connect_provider()
                .open_id_connect_provider_arn(id)
                .client_id(client)
                .send()
        })
        .await?;
    }
    let thumbprints = get_strings(desired, "thumbprint_list");
    if !thumbprints.is_empty() && thumbprints != get_strings(prior, "thumbprint_list") {
        p.call("iam:UpdateOpenIDConnectProviderThumbprint", || {
            p.iam()
                .update_open_id_connect_provider_thumbprint()
                .open_id_connect_provider_arn(id)
                .set_thumbprint_list(Some(thumbprints.clone()))
                .send()
        })
        .await?;
    }
    let (removed, changed) = tag_changes(prior, desired);
    if !removed.is_empty() {
        p.call("iam:UntagOpenIDConnectProvider", || {
            p.iam()
                .untag_open_id_connect_provider()
                .open_id_connect_provider_arn(id)
                .set_tag_keys(Some(removed.clone()))
                .send()
        })
        .await?;
    }
    if !changed.is_empty() {
        let tags = iam_tags(&changed);
        p.call("iam:TagOpenIDConnectProvider", || {
            p.iam()
                .tag_open_id_connect_provider()
                .open_id_connect_provider_arn(id)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
    }
    p.read_back(OIDC, id, desired).await
}

pub(crate) async fn delete_oidc(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    match p
        .call("iam:DeleteOpenIDConnectProvider", || {
            p.iam()
                .delete_open_id_connect_provider()
                .open_id_connect_provider_arn(id)
                .send()
        })
        .await
    {
        Err(e) if !is_not_found(&e) => Err(e),
        _ => Ok(()),
    }
}

/// A URL names at most one provider per account (the ARN ends with it): the provider an
/// interrupted create made is the one with the configured URL, if it carries our tags.
pub(crate) async fn adopt_oidc(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let Some(url) = get_str(&req.config, "url") else {
        return Ok(None);
    };
    let suffix = format!("oidc-provider/{}", bare_url(url));
    let Some(arn) = list_oidc(p)
        .await?
        .into_iter()
        .find(|a| a.ends_with(&suffix))
    else {
        return Ok(None);
    };
    let Some(out) = get_oidc_raw(p, &arn).await? else {
        return Ok(None);
    };
    if !pairs_have_infra_tags(out.tags().iter().map(|t| (t.key(), t.value())), req) {
        return Ok(None);
    }
    Ok(Some(oidc_value(&arn, &out, Some(&req.config))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_compare_without_their_scheme() {
        assert_eq!(bare_url("https://oidc.eks/id/A"), "oidc.eks/id/A");
        assert_eq!(bare_url("oidc.eks/id/A"), "oidc.eks/id/A");
    }
}
