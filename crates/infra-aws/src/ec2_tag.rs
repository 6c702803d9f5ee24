//! `aws_ec2_tag` (one tag on an EC2 resource infra does not otherwise manage, such as an
//! EKS cluster's own security group) and `aws_placement_group`.
//!
//! A tag's id is Terraform's `RESOURCEID,KEY`; a refresh reads every tag of the type with
//! DescribeTags filtered by the resource ids (200 a call), keeping the asked keys on this
//! side. Create and a value change are CreateTags (which overwrites), delete DeleteTags;
//! a lost create is adopted when the resource carries the tag with the wanted value.
//! Placement groups are named: the name is their id (Terraform's import id); a refresh
//! is one DescribePlacementGroups of the names (the emulator may answer every group;
//! only the asked names are kept), they are tagged at creation, and only tags update.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ec2::types::{PlacementGroup, PlacementStrategy, ResourceType, SpreadLevel, Tag};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::is_not_found;
use crate::util::{get_i64, get_str, opt, put_tags, tag_spec};
use crate::AwsProvider;

pub(crate) const TAG: &str = "aws_ec2_tag";
pub(crate) const GROUP: &str = "aws_placement_group";

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

// ---- placement groups ----

fn group_value(
    p: &AwsProvider,
    g: &PlacementGroup,
    prior: Option<&Value>,
) -> Option<(String, Value)> {
    let name = g.group_name()?.to_string();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&name));
    m.insert("name".into(), Value::string(&name));
    m.insert("strategy".into(), opt(g.strategy().map(|s| s.as_str())));
    m.insert(
        "partition_count".into(),
        g.partition_count()
            .map(|n| Value::Number(f64::from(n)))
            .unwrap_or(Value::Number(0.0)),
    );
    m.insert(
        "spread_level".into(),
        opt(g.spread_level().map(|s| s.as_str())),
    );
    m.insert("placement_group_id".into(), opt(g.group_id()));
    m.insert(
        "arn".into(),
        g.group_arn()
            .map(Value::string)
            .unwrap_or_else(|| crate::util::ec2_arn(p, None, "placement-group", &name)),
    );
    put_tags(&mut m, g.tags(), prior);
    Some((name, Value::Map(m)))
}

async fn describe_groups(
    p: &AwsProvider,
    names: Vec<String>,
) -> Result<Vec<PlacementGroup>, ProviderError> {
    match p
        .call("ec2:DescribePlacementGroups", || {
            p.ec2()
                .describe_placement_groups()
                .filters(crate::util::filter("group-name", names.clone()))
                .send()
        })
        .await
    {
        Ok(out) => Ok(out.placement_groups().to_vec()),
        Err(e) if is_not_found(&e) => Ok(vec![]),
        Err(e) => Err(e),
    }
}

pub(crate) async fn read_groups(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: HashMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    let names = items.iter().map(|i| i.id.clone()).collect();
    Ok(describe_groups(p, names)
        .await?
        .iter()
        .filter(|g| g.group_name().is_some_and(|n| priors.contains_key(n)))
        .filter(|g| g.state().map(|s| s.as_str()) != Some("deleted"))
        .filter_map(|g| group_value(p, g, priors.get(g.group_name()?).copied()))
        .collect())
}

pub(crate) async fn create_group(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    let name = get_str(c, "name").ok_or_else(|| crate::errors::missing(GROUP, "name"))?;
    let spec = tag_spec(ResourceType::PlacementGroup, req);
    p.call("ec2:CreatePlacementGroup", || {
        p.ec2()
            .create_placement_group()
            .group_name(name)
            .set_strategy(get_str(c, "strategy").map(PlacementStrategy::from))
            .set_partition_count(
                get_i64(c, "partition_count")
                    .filter(|n| *n > 0)
                    .and_then(|n| i32::try_from(n).ok()),
            )
            .set_spread_level(get_str(c, "spread_level").map(SpreadLevel::from))
            .tag_specifications(spec.clone())
            .send()
    })
    .await?;
    p.read_back(GROUP, name, c).await
}

pub(crate) async fn update_group(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    // every argument but the tags forces a new group; tags are set on the group id
    let gid = get_str(prior, "placement_group_id").unwrap_or(id);
    crate::util::update_tags(p, gid, prior, desired).await?;
    p.read_back(GROUP, id, desired).await
}

pub(crate) async fn delete_group(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    match p
        .call("ec2:DeletePlacementGroup", || {
            p.ec2().delete_placement_group().group_name(id).send()
        })
        .await
    {
        Err(e) if !is_not_found(&e) => Err(e),
        _ => Ok(()),
    }
}

pub(crate) async fn adopt_group(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let Some(name) = get_str(&req.config, "name") else {
        return Ok(None);
    };
    let found = describe_groups(p, vec![name.to_string()]).await?;
    Ok(found
        .iter()
        .filter(|g| g.group_name() == Some(name))
        .filter(|g| crate::util::has_infra_tags(g.tags(), req))
        .find_map(|g| group_value(p, g, Some(&req.config)))
        .map(|(_, v)| v))
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
