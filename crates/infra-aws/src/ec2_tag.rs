//! `aws_ec2_tag`: one tag on an EC2 resource infra does not otherwise manage, such as an
//! EKS cluster's own security group.
//!
//! A tag's id is Terraform's `RESOURCEID,KEY`; a refresh reads every tag of the type with
//! DescribeTags filtered by the resource ids (200 a call), keeping the asked keys on this
//! side. Create and a value change are CreateTags (which overwrites), delete DeleteTags;
//! a lost create is adopted when the resource carries the tag with the wanted value.
//! (`aws_placement_group` is not supported: the emulator implements no placement group
//! operation, so it could not be tested; see localstack/README.md.)

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ec2::types::Tag;
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::is_not_found;
use crate::util::get_str;
use crate::AwsProvider;

pub(crate) const TAG: &str = "aws_ec2_tag";

/// `RESOURCEID,KEY` split at the first comma (a key may hold commas, an id never does).
pub(crate) fn split_id(id: &str) -> Result<(&str, &str), ProviderError> {
    id.split_once(',')
        .filter(|(r, k)| !r.is_empty() && !k.is_empty())
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Rejected,
                format!("aws_ec2_tag id {id:?} is not RESOURCEID,KEY (e.g. sg-0abc123,Name)"),
            )
        })
}

fn tag_value(resource: &str, key: &str, value: &str) -> Value {
    Value::map([
        ("id", Value::string(format!("{resource},{key}"))),
        ("resource_id", Value::string(resource)),
        ("key", Value::string(key)),
        ("value", Value::string(value)),
    ])
}

/// The tags of these resources, by resource id and key.
async fn tags_of(
    p: &AwsProvider,
    resources: Vec<&str>,
) -> Result<HashMap<(String, String), String>, ProviderError> {
    let mut out = HashMap::new();
    for chunk in crate::util::id_chunks(resources) {
        let found = p
            .paginate(
                "ec2:DescribeTags",
                |token| {
                    p.ec2()
                        .describe_tags()
                        .filters(crate::util::filter("resource-id", chunk.clone()))
                        .set_next_token(token)
                        .send()
                },
                |page| page.tags(),
                |page| page.next_token(),
            )
            .await?;
        for t in found {
            if let (Some(r), Some(k)) = (t.resource_id(), t.key()) {
                if chunk.iter().any(|c| c == r) {
                    out.insert(
                        (r.to_string(), k.to_string()),
                        t.value().unwrap_or_default().to_string(),
                    );
                }
            }
        }
    }
    Ok(out)
}

pub(crate) async fn read_tags(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let mut wanted = Vec::new();
    for i in items {
        wanted.push((i.id.as_str(), split_id(&i.id)?));
    }
    let mut resources: Vec<&str> = wanted.iter().map(|(_, (r, _))| *r).collect();
    resources.sort_unstable();
    resources.dedup();
    let found = tags_of(p, resources).await?;
    Ok(wanted
        .into_iter()
        .filter_map(|(id, (r, k))| {
            let v = found.get(&(r.to_string(), k.to_string()))?;
            Some((id.to_string(), tag_value(r, k, v)))
        })
        .collect())
}

async fn put_tag(
    p: &AwsProvider,
    resource: &str,
    key: &str,
    value: &str,
) -> Result<(), ProviderError> {
    p.call("ec2:CreateTags", || {
        p.ec2()
            .create_tags()
            .resources(resource)
            .tags(Tag::builder().key(key).value(value).build())
            .send()
    })
    .await
    .map(|_| ())
}

fn tag_args(c: &Value) -> Result<(&str, &str, &str), ProviderError> {
    let need = |k: &str| get_str(c, k).ok_or_else(|| crate::errors::missing(TAG, k));
    Ok((
        need("resource_id")?,
        need("key")?,
        c.get("value").as_str().unwrap_or(""),
    ))
}

pub(crate) async fn create_tag(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let (r, k, v) = tag_args(&req.config)?;
    put_tag(p, r, k, v).await?;
    Ok(tag_value(r, k, v))
}

pub(crate) async fn update_tag(
    p: &AwsProvider,
    id: &str,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let (r, k) = split_id(id)?;
    let v = desired.get("value").as_str().unwrap_or("");
    put_tag(p, r, k, v).await?;
    Ok(tag_value(r, k, v))
}

pub(crate) async fn delete_tag(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let (r, k) = split_id(id)?;
    match p
        .call("ec2:DeleteTags", || {
            p.ec2()
                .delete_tags()
                .resources(r)
                .tags(Tag::builder().key(k).build())
                .send()
        })
        .await
    {
        Err(e) if !is_not_found(&e) => Err(e),
        _ => Ok(()),
    }
}

pub(crate) async fn adopt_tag(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let (r, k, v) = tag_args(&req.config)?;
    let found = tags_of(p, vec![r]).await?;
    Ok(found
        .get(&(r.to_string(), k.to_string()))
        .filter(|have| have.as_str() == v)
        .map(|_| tag_value(r, k, v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_ids_split_at_the_first_comma() {
        assert_eq!(split_id("sg-1,a,b").unwrap(), ("sg-1", "a,b"));
        assert!(split_id("sg-1").is_err());
        assert!(split_id(",k").is_err());
    }
}
