//! `aws_key_pair`: an SSH public key registered with EC2 by ImportKeyPair, tagged at
//! creation. The id is the key name, as in Terraform (and its import ID). `key_name` (or a
//! name made from `key_name_prefix` and the create's token) and `public_key` force a new
//! key pair; tags change in place (CreateTags / DeleteTags on the `key-…` id).
//!
//! A refresh is one DescribeKeyPairs per 200 names with a `key-name` filter (an id list
//! naming a missing key fails the whole call; a filter leaves it out) and
//! `IncludePublicKey`; the answer is kept to the exact names asked for. ImportKeyPair takes
//! no idempotency token, but a key name is unique per region: what a create whose answer
//! was lost made is found by its name and adopted when it carries the request's `infra:*`
//! tags (a key of that name without them is somebody else's, never adopted).
//!
//! `public_key` is stored trimmed of surrounding white space, as the provider's StateFunc
//! does (`tls_private_key`'s `public_key_openssh` ends with a newline; the planner treats
//! the two as equal, `infra_plan::suppress`). A read keeps the prior's text while the
//! cloud's key is the same key (algorithm and base64 blob; a comment is not part of the
//! key), and reports the cloud's when it differs, so a key pair replaced outside infra
//! plans a replacement.

use std::collections::BTreeMap;

use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::{Filter, KeyPairInfo, ResourceType};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{has_code, missing};
use crate::util::{ec2_arn, filter, get_str, opt, prefixed_name, put_tags, tag_spec};
use crate::AwsProvider;

pub(crate) const TYPE: &str = "aws_key_pair";

/// The longest key name EC2 takes.
const MAX_NAME: usize = 255;

async fn describe(
    p: &AwsProvider,
    filters: Vec<Filter>,
) -> Result<Vec<KeyPairInfo>, ProviderError> {
    let out = p
        .call("ec2:DescribeKeyPairs", || {
            p.ec2()
                .describe_key_pairs()
                .set_filters(Some(filters.clone()))
                .include_public_key(true)
                .send()
        })
        .await?;
    Ok(out.key_pairs().to_vec())
}

/// The key of an OpenSSH public key line: its algorithm and base64 blob (no comment).
fn ssh_key_of(text: &str) -> Option<(&str, &str)> {
    let mut fields = text.split_whitespace();
    let algorithm = fields.next()?;
    let blob = fields.next()?;
    (algorithm.starts_with("ssh-")
        || algorithm.starts_with("ecdsa-")
        || algorithm.starts_with("sk-"))
    .then_some((algorithm, blob))
}

/// What `public_key` holds after a read: the prior's (trimmed) while it is the cloud's key
/// or the cloud says nothing comparable, else the cloud's.
pub(crate) fn public_key(cloud: Option<&str>, prior: Option<&Value>) -> Value {
    let prior = prior
        .map(|p| p.get("public_key"))
        .and_then(Value::as_str)
        .map(str::trim);
    let cloud = cloud.map(str::trim).filter(|c| !c.is_empty());
    match (prior, cloud) {
        (Some(p), Some(c)) => match (ssh_key_of(p), ssh_key_of(c)) {
            (Some(a), Some(b)) if a != b => Value::string(c),
            _ => Value::string(p),
        },
        (Some(p), None) => Value::string(p),
        (None, c) => opt(c),
    }
}

fn to_value(
    account: &str,
    p: &AwsProvider,
    k: &KeyPairInfo,
    prior: Option<&Value>,
) -> Option<(String, Value)> {
    let name = k.key_name()?.to_string();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&name));
    m.insert("key_name".into(), Value::string(&name));
    m.insert("arn".into(), ec2_arn(p, Some(account), "key-pair", &name));
    m.insert("key_pair_id".into(), opt(k.key_pair_id()));
    m.insert("key_type".into(), opt(k.key_type().map(|t| t.as_str())));
    m.insert("fingerprint".into(), opt(k.key_fingerprint()));
    m.insert("public_key".into(), public_key(k.public_key(), prior));
    // how the name was made is not stored by the cloud
    m.insert(
        "key_name_prefix".into(),
        match prior.map(|p| p.get("key_name_prefix")) {
            Some(Value::Unknown) | None => Value::Null,
            Some(v) => v.clone(),
        },
    );
    put_tags(&mut m, k.tags(), prior);
    Some((name, Value::Map(m)))
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    if items.is_empty() {
        return Ok(BTreeMap::new());
    }
    let account = crate::flow_log::account_id(p).await?;
    let mut found = crate::util::read_by_id(
        items,
        "key-name",
        |filters| describe(p, filters),
        KeyPairInfo::key_name,
        |k, prior| to_value(&account, p, k, prior),
    )
    .await?;
    // filter values are patterns (`*`, `?`; globs on the emulator): only exact names count
    found.retain(|name, _| items.iter().any(|i| i.id == *name));
    Ok(found)
}

/// The key name a create makes: `key_name`, else `key_name_prefix` (or `terraform-`) and
/// 26 characters of the create's token, so a rerun of the same intent makes the same name.
pub(crate) fn name_of(req: &CreateRequest) -> Result<String, ProviderError> {
    let c = &req.config;
    let name = match (get_str(c, "key_name"), get_str(c, "key_name_prefix")) {
        (Some(_), Some(_)) => {
            return Err(ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "{}: `key_name` and `key_name_prefix` conflict: set one of them",
                    req.address
                ),
            ))
        }
        (Some(n), None) => n.to_string(),
        (None, prefix) => prefixed_name(prefix.unwrap_or("terraform-"), &req.token, MAX_NAME),
    };
    if name.len() > MAX_NAME {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "{}: key_name is {} characters; EC2 takes at most {MAX_NAME}",
                req.address,
                name.len()
            ),
        ));
    }
    Ok(name)
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    let name = name_of(req)?;
    let material = get_str(c, "public_key")
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| missing(TYPE, "public_key"))?
        .to_string();
    let spec = tag_spec(ResourceType::KeyPair, req);
    let out = p
        .call("ec2:ImportKeyPair", || {
            p.ec2()
                .import_key_pair()
                .key_name(&name)
                .public_key_material(Blob::new(material.as_bytes()))
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let id = out.key_name().unwrap_or(&name).to_string();
    p.read_back(TYPE, &id, c).await
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    // only tags change in place; EC2 tags the key pair by its `key-…` id
    let key_pair_id = match get_str(prior, "key_pair_id") {
        Some(k) => k.to_string(),
        None => describe(p, vec![filter("key-name", [id])])
            .await?
            .iter()
            .find(|k| k.key_name() == Some(id))
            .and_then(KeyPairInfo::key_pair_id)
            .map(str::to_string)
            .ok_or_else(|| ProviderError::not_found(format!("key pair {id} is gone")))?,
    };
    crate::util::update_tags(p, &key_pair_id, prior, desired).await?;
    p.read_back(TYPE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    match p
        .call("ec2:DeleteKeyPair", || {
            p.ec2().delete_key_pair().key_name(id).send()
        })
        .await
    {
        Err(e) if has_code(&e, &["InvalidKeyPair.NotFound"]) => Ok(()),
        r => r.map(|_| ()),
    }
}

/// What a create of `req` whose answer was lost made: the key pair of its name, when it
/// carries the request's `infra:*` tags. Without a token (`infra state rebuild`) a name
/// from `key_name_prefix` cannot be made again: the stack's key pairs of that prefix are
/// looked for by their tags instead.
pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let name = name_of(req)?;
    let mut found: Vec<KeyPairInfo> = Vec::new();
    if !req.known_ids.contains(&name) {
        found = describe(p, vec![filter("key-name", [name.as_str()])])
            .await?
            .into_iter()
            .filter(|k| k.key_name() == Some(name.as_str()))
            .collect();
        if let Some(k) = found.first() {
            if !crate::util::has_infra_tags(k.tags(), req) {
                tracing::warn!(address = %req.address, name, "a key pair of this name exists without this stack's tags: not adopted");
                return Ok(None);
            }
        }
    }
    if found.is_empty() && get_str(&req.config, "key_name").is_none() {
        let prefix = get_str(&req.config, "key_name_prefix").unwrap_or("terraform-");
        found = crate::util::ours(
            describe(p, crate::util::infra_filters(req)).await?,
            req,
            KeyPairInfo::tags,
            KeyPairInfo::key_name,
        )
        .into_iter()
        .filter(|k| k.key_name().is_some_and(|n| n.starts_with(prefix)))
        .collect();
    }
    let Some(k) = found.first() else {
        return Ok(None);
    };
    if !crate::util::has_infra_tags(k.tags(), req) {
        return Ok(None);
    }
    let account = crate::flow_log::account_id(p).await?;
    Ok(to_value(&account, p, k, Some(&req.config)).map(|(_, v)| v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_key_keeps_the_prior_while_the_key_is_the_same() {
        let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHtDYrfRVDGky0E";
        let prior = Value::map([("public_key", Value::string(format!("{key}\n")))]);
        // stored trimmed, as the provider's StateFunc
        assert_eq!(public_key(Some(key), Some(&prior)).as_str(), Some(key));
        // a comment the cloud adds (or drops) is not another key
        assert_eq!(
            public_key(Some(&format!("{key} my-key")), Some(&prior)).as_str(),
            Some(key)
        );
        assert_eq!(public_key(None, Some(&prior)).as_str(), Some(key));
        // another key in the cloud is reported: the plan replaces the key pair
        let other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJDOEROqzqYu";
        assert_eq!(public_key(Some(other), Some(&prior)).as_str(), Some(other));
        // a key given in another format than OpenSSH's is never compared
        let der = Value::map([("public_key", Value::string("MIIBIjANBgkqhkiG9w0BAQEFAAOC"))]);
        assert_eq!(
            public_key(Some(other), Some(&der)).as_str(),
            Some("MIIBIjANBgkqhkiG9w0BAQEFAAOC")
        );
        // imported without a configuration: the cloud's
        assert_eq!(public_key(Some(other), None).as_str(), Some(other));
        assert!(public_key(None, None).is_null());
    }

    fn req(config: Value) -> CreateRequest {
        CreateRequest {
            stack: "s".into(),
            address: infra_model::Address::parse("aws_key_pair.k").unwrap(),
            type_name: TYPE.into(),
            config,
            token: "0123456789abcdefghijklmnopqrstuvwxyz".into(),
            known_ids: vec![],
        }
    }

    #[test]
    fn names_come_from_key_name_or_the_prefix_and_the_token() {
        let named = req(Value::map([("key_name", Value::string("deployer"))]));
        assert_eq!(name_of(&named).unwrap(), "deployer");
        let prefixed = req(Value::map([("key_name_prefix", Value::string("ci-"))]));
        let name = name_of(&prefixed).unwrap();
        assert!(name.starts_with("ci-") && name.len() == 3 + 26, "{name}");
        assert_eq!(
            name,
            name_of(&prefixed).unwrap(),
            "a rerun makes the same name"
        );
        assert!(name_of(&req(Value::Map(BTreeMap::new())))
            .unwrap()
            .starts_with("terraform-"));
        let both = req(Value::map([
            ("key_name", Value::string("a")),
            ("key_name_prefix", Value::string("b")),
        ]));
        assert!(name_of(&both).unwrap_err().message.contains("conflict"));
        let long = req(Value::map([("key_name", Value::string("x".repeat(256)))]));
        assert!(name_of(&long).is_err());
    }
}
