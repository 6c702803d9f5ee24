//! `aws_kms_alias`: the aliases of a KMS key (terraform-aws-kms names the EKS module's key
//! `alias/eks/<cluster>`).
//!
//! An alias's id is its name (Terraform's import id). A refresh is one ListAliases scan for
//! all of them; the target changes in place (UpdateAlias); aliases take no tags, so a lost
//! CreateAlias answer is adopted by name (a natural key) when the alias points at the
//! configured key.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_kms::types::AliasListEntry;
use infra_model::Value;
use infra_provider::{CreateRequest, ProviderError, ReadRequest};

use crate::errors::has_code;
use crate::kms::NOT_FOUND;
use crate::util::{get_str, name_or_prefixed, opt};
use crate::AwsProvider;

pub(crate) const ALIAS: &str = "aws_kms_alias";

async fn list_aliases(p: &AwsProvider) -> Result<Vec<AliasListEntry>, ProviderError> {
    p.paginate(
        "kms:ListAliases",
        |marker| p.kms().list_aliases().set_marker(marker).send(),
        |page| page.aliases(),
        |page| page.next_marker(),
    )
    .await
}

/// The key an alias ARN's account and Region hold: `...:alias/x` -> `...:key/<id>`.
fn key_arn_of(alias_arn: &str, key_id: &str) -> Option<String> {
    let (base, _) = alias_arn.split_once(":alias/")?;
    Some(format!("{base}:key/{key_id}"))
}

/// Whether `configured` (a key id or key ARN) names the key `id`.
fn names_key(configured: &str, id: &str) -> bool {
    configured == id || configured.ends_with(&format!(":key/{id}"))
}

/// The key id of a `TargetKeyId`: the emulator lists the key's ARN after an UpdateAlias
/// given one (AWS lists the id).
fn key_id_of(target: &str) -> &str {
    target.rsplit_once(":key/").map_or(target, |(_, id)| id)
}

fn alias_value(a: &AliasListEntry, prior: Option<&Value>) -> Value {
    let name = a.alias_name().unwrap_or_default();
    let target = key_id_of(a.target_key_id().unwrap_or_default());
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(name));
    m.insert("name".into(), Value::string(name));
    m.insert("arn".into(), opt(a.alias_arn()));
    m.insert(
        "target_key_arn".into(),
        opt(a
            .alias_arn()
            .and_then(|arn| key_arn_of(arn, target))
            .as_deref()),
    );
    // the configured form (id or ARN) of the same key is kept, as Terraform does
    let configured = prior.and_then(|p| get_str(p, "target_key_id"));
    m.insert(
        "target_key_id".into(),
        Value::string(match configured {
            Some(c) if names_key(c, target) => c,
            _ => target,
        }),
    );
    m.insert(
        "name_prefix".into(),
        match prior.map(|p| p.get("name_prefix")) {
            Some(Value::Unknown) | None => Value::Null,
            Some(v) => v.clone(),
        },
    );
    Value::Map(m)
}

pub(crate) async fn read_aliases(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: HashMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    let mut out = BTreeMap::new();
    for a in list_aliases(p).await? {
        let Some(name) = a.alias_name() else { continue };
        if let Some(prior) = priors.get(name) {
            out.insert(name.to_string(), alias_value(&a, Some(prior)));
        }
    }
    Ok(out)
}

/// `name`, else `name_prefix` (default `alias/`) and 26 characters of the create's token.
fn alias_name(req: &CreateRequest) -> String {
    name_or_prefixed(req, "alias/", 256)
}

fn target(c: &Value) -> Result<&str, ProviderError> {
    get_str(c, "target_key_id").ok_or_else(|| crate::errors::missing(ALIAS, "target_key_id"))
}

pub(crate) async fn create_alias(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let name = alias_name(req);
    let key = target(&req.config)?;
    p.call("kms:CreateAlias", || {
        p.kms()
            .create_alias()
            .alias_name(&name)
            .target_key_id(key)
            .send()
    })
    .await?;
    p.read_back(ALIAS, &name, &req.config).await
}

pub(crate) async fn update_alias(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let key = target(desired)?;
    if get_str(prior, "target_key_id") != Some(key) {
        p.call("kms:UpdateAlias", || {
            p.kms()
                .update_alias()
                .alias_name(id)
                .target_key_id(key)
                .send()
        })
        .await?;
    }
    p.read_back(ALIAS, id, desired).await
}

pub(crate) async fn delete_alias(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    match p
        .call("kms:DeleteAlias", || {
            p.kms().delete_alias().alias_name(id).send()
        })
        .await
    {
        Err(e) if has_code(&e, NOT_FOUND) => Ok(()),
        r => r.map(|_| ()),
    }
}

/// The alias of `req`'s name, when it points at the configured key (aliases carry no tags).
pub(crate) async fn adopt_alias(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let name = alias_name(req);
    if req.known_ids.iter().any(|k| *k == name) {
        return Ok(None);
    }
    let key = target(&req.config)?;
    Ok(list_aliases(p)
        .await?
        .iter()
        .find(|a| {
            a.alias_name() == Some(name.as_str())
                && a.target_key_id()
                    .is_some_and(|t| names_key(key, key_id_of(t)))
        })
        .map(|a| alias_value(a, Some(&req.config))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_follow_the_alias() {
        assert_eq!(
            key_arn_of("arn:aws:kms:us-east-1:1:alias/eks/x", "abc").as_deref(),
            Some("arn:aws:kms:us-east-1:1:key/abc")
        );
        assert!(names_key("arn:aws:kms:us-east-1:1:key/abc", "abc"));
        assert!(!names_key("arn:aws:kms:us-east-1:1:key/abcd", "abc"));
    }

    #[test]
    fn an_alias_keeps_the_configured_form_of_its_key() {
        let a = AliasListEntry::builder()
            .alias_name("alias/eks/x")
            .alias_arn("arn:aws:kms:us-east-1:1:alias/eks/x")
            .target_key_id("abc")
            .build();
        let prior = Value::map([(
            "target_key_id",
            Value::string("arn:aws:kms:us-east-1:1:key/abc"),
        )]);
        let v = alias_value(&a, Some(&prior));
        assert_eq!(
            v.get("target_key_id").as_str(),
            Some("arn:aws:kms:us-east-1:1:key/abc")
        );
        assert_eq!(
            v.get("target_key_arn").as_str(),
            Some("arn:aws:kms:us-east-1:1:key/abc")
        );
        let v = alias_value(&a, None);
        assert_eq!(v.get("target_key_id").as_str(), Some("abc"));
        // the emulator lists the ARN an UpdateAlias was given
        let a = AliasListEntry::builder()
            .alias_name("alias/eks/x")
            .alias_arn("arn:aws:kms:us-east-1:1:alias/eks/x")
            .target_key_id("arn:aws:kms:us-east-1:1:key/abc")
            .build();
        let v = alias_value(&a, None);
        assert_eq!(v.get("target_key_id").as_str(), Some("abc"));
        assert_eq!(
            v.get("target_key_arn").as_str(),
            Some("arn:aws:kms:us-east-1:1:key/abc")
        );
    }
}
