//! Small helpers shared by the resource families: reading attributes out of a [`Value`],
//! building values from optional API fields, `infra:*` and user tags, ARNs, filters.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use infra_model::{tags as infra_tags, Value};
use infra_provider::{CreateRequest, ProviderError, ReadRequest};

use crate::AwsProvider;

/// EC2 accepts at most 200 values per filter; reads are chunked by this.
pub const FILTER_CHUNK: usize = 200;

/// A known, non-empty string attribute.
pub fn get_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).as_str().filter(|s| !s.is_empty())
}

pub fn get_bool(v: &Value, key: &str) -> Option<bool> {
    v.get(key).as_bool()
}

pub fn opt(s: Option<&str>) -> Value {
    s.map(Value::string).unwrap_or(Value::Null)
}

pub fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    Value::List(items.into_iter().map(Value::string).collect())
}

/// A list-of-strings attribute (null or missing: empty).
pub fn get_strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .as_list()
        .map(|l| {
            l.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

pub fn filter(name: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().map(Into::into).collect()))
        .build()
}

/// `arn:<partition>:ec2:<region>:<owner>:<kind>/<id>`, as the Terraform provider builds it.
pub fn ec2_arn(p: &AwsProvider, owner: Option<&str>, kind: &str, id: &str) -> Value {
    let partition = if p.region().starts_with("cn-") {
        "aws-cn"
    } else if p.region().starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    Value::string(format!(
        "arn:{partition}:ec2:{}:{}:{kind}/{id}",
        p.region(),
        owner.unwrap_or("")
    ))
}

/// How many chunks of one batched read are in flight at once: a refresh of 3,000 subnets is 15
/// DescribeSubnets calls, and on AWS each is a round trip (EC2's describe rate allows bursts
/// of 100 and 20 a second sustained, so 4 at a time stays far inside it).
pub const CHUNK_CONCURRENCY: usize = 4;

/// Runs `describe` for each chunk of ids (see [`id_chunks`]), up to [`CHUNK_CONCURRENCY`]
/// at a time, and returns what every chunk found, in chunk order. The first error wins.
pub async fn describe_chunks<T, Fut>(
    chunks: Vec<Vec<String>>,
    describe: impl Fn(Vec<String>) -> Fut,
) -> Result<Vec<T>, ProviderError>
where
    Fut: Future<Output = Result<Vec<T>, ProviderError>>,
{
    use futures::stream::{self, StreamExt, TryStreamExt};
    let found: Vec<Vec<T>> = stream::iter(chunks)
        .map(describe)
        .buffered(CHUNK_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

/// The refresh of a type whose API reads one object per call (SQS): `read` of each item,
/// up to [`CHUNK_CONCURRENCY`] at a time; `None` is an object that no longer exists. The
/// first error wins.
pub async fn read_each<Fut>(
    items: &[ReadRequest],
    read: impl Fn(ReadRequest) -> Fut,
) -> Result<BTreeMap<String, Value>, ProviderError>
where
    Fut: Future<Output = Result<Option<Value>, ProviderError>>,
{
    use futures::stream::{self, StreamExt, TryStreamExt};
    let found: Vec<(String, Option<Value>)> = stream::iter(items.to_vec())
        .map(|item| {
            let id = item.id.clone();
            let read = read(item);
            async move { Ok::<_, ProviderError>((id, read.await?)) }
        })
        .buffered(CHUNK_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(found
        .into_iter()
        .filter_map(|(id, v)| Some((id, v?)))
        .collect())
}

/// Deduplicated ids of a batch, in chunks a filter accepts.
pub fn id_chunks<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<Vec<String>> {
    let mut all: Vec<String> = ids.into_iter().map(str::to_string).collect();
    all.sort();
    all.dedup();
    all.chunks(FILTER_CHUNK).map(<[String]>::to_vec).collect()
}

// ---- tags ----

/// The user tags an object should carry: `tags_all` of the configuration (tags merged with
/// the provider's default tags), or `tags` when `tags_all` is not given; without `infra:*`.
pub fn desired_tags(config: &Value) -> BTreeMap<String, String> {
    let src = match config.get("tags_all") {
        Value::Map(_) => config.get("tags_all"),
        _ => config.get("tags"),
    };
    src.as_map()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !is_infra(k))
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

pub fn is_infra(key: &str) -> bool {
    key.starts_with("infra:")
}

/// The tag specification for a create: the `infra:*` tags plus the configured tags.
pub fn tag_spec(rt: ResourceType, req: &CreateRequest) -> TagSpecification {
    let mut tags: Vec<Tag> = desired_tags(&req.config)
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    tags.push(
        Tag::builder()
            .key(infra_tags::STACK)
            .value(&req.stack)
            .build(),
    );
    tags.push(
        Tag::builder()
            .key(infra_tags::ADDRESS)
            .value(req.address.to_string())
            .build(),
    );
    TagSpecification::builder()
        .resource_type(rt)
        .set_tags(Some(tags))
        .build()
}

/// The tags a create sets, as pairs: the configured tags plus `infra:stack` and
/// `infra:address`.
pub fn create_tag_pairs(req: &CreateRequest) -> BTreeMap<String, String> {
    let mut tags = desired_tags(&req.config);
    tags.insert(infra_tags::STACK.into(), req.stack.clone());
    tags.insert(infra_tags::ADDRESS.into(), req.address.to_string());
    tags
}

/// Whether tag pairs carry exactly `req`'s `infra:stack` and `infra:address`.
pub fn pairs_have_infra_tags<'a>(
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    req: &CreateRequest,
) -> bool {
    let tags: BTreeMap<&str, &str> = tags.into_iter().collect();
    tags.get(infra_tags::STACK) == Some(&req.stack.as_str())
        && tags.get(infra_tags::ADDRESS) == Some(&req.address.to_string().as_str())
}

/// User tags to remove and to set to go from `prior` to `desired` (never `infra:*`).
pub fn tag_changes(prior: &Value, desired: &Value) -> (Vec<String>, BTreeMap<String, String>) {
    let old = desired_tags(prior);
    let new = desired_tags(desired);
    let removed = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    let changed = new
        .into_iter()
        .filter(|(k, v)| old.get(k) != Some(v))
        .collect();
    (removed, changed)
}

/// A known number attribute as an integer.
pub fn get_i64(v: &Value, key: &str) -> Option<i64> {
    v.get(key).as_i64()
}

/// The first element of a list block (`scaling_config[0]`), or null.
pub fn first_block<'a>(v: &'a Value, key: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    v.get(key)
        .as_list()
        .and_then(|l| l.first())
        .unwrap_or(&NULL)
}

/// Filters that narrow the search for what a create request made to its stack. The
/// address is matched by the caller with [`has_infra_tags`], not in a filter: EC2 filter
/// values are patterns, and the emulator reads them as shell globs, where the `[...]` of
/// `aws_subnet.private["a"]` is a character class that never matches the literal address.
pub fn infra_filters(req: &CreateRequest) -> Vec<Filter> {
    vec![filter(
        &format!("tag:{}", infra_tags::STACK),
        [req.stack.clone()],
    )]
}

/// Whether `tags` carry exactly `req`'s `infra:stack` and `infra:address`.
pub fn has_infra_tags(tags: &[Tag], req: &CreateRequest) -> bool {
    let get = |k: &str| {
        tags.iter()
            .find(|t| t.key() == Some(k))
            .and_then(Tag::value)
    };
    get(infra_tags::STACK) == Some(req.stack.as_str())
        && get(infra_tags::ADDRESS) == Some(req.address.to_string().as_str())
}

/// Insert `tags` and `tags_all` from the cloud's tags: `tags_all` is what the cloud has
/// minus `infra:*`; `tags` is the prior's (configuration-owned) value when there is a
/// prior, else equal to `tags_all`.
pub fn put_tags(out: &mut BTreeMap<String, Value>, cloud: &[Tag], prior: Option<&Value>) {
    put_tag_pairs(
        out,
        cloud
            .iter()
            .filter_map(|t| Some((t.key()?, t.value().unwrap_or("")))),
        prior,
    );
}

/// An EKS object's tags (a map the API may leave out) as pairs, for [`put_tag_pairs`] and
/// [`pairs_have_infra_tags`].
pub fn eks_tags(
    tags: Option<&std::collections::HashMap<String, String>>,
) -> impl Iterator<Item = (&str, &str)> {
    tags.into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.as_str()))
}

/// [`put_tags`] for services with their own tag type (IAM, EKS, Route53).
pub fn put_tag_pairs<'a>(
    out: &mut BTreeMap<String, Value>,
    cloud: impl IntoIterator<Item = (&'a str, &'a str)>,
    prior: Option<&Value>,
) {
    let all: BTreeMap<String, Value> = cloud
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::string(v)))
        .filter(|(k, _)| !is_infra(k))
        .collect();
    let tags = match prior.map(|p| p.get("tags")) {
        Some(Value::Unknown) | None => Value::Map(all.clone()),
        Some(Value::Map(m)) => Value::Map(
            m.iter()
                .filter(|(k, _)| !is_infra(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        Some(other) => other.clone(),
    };
    out.insert("tags".into(), tags);
    out.insert("tags_all".into(), Value::Map(all));
}

/// Bring the user tags of `id` from `prior` to `desired` (CreateTags / DeleteTags);
/// `infra:*` tags are never touched.
pub async fn update_tags(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<(), ProviderError> {
    let old = desired_tags(prior);
    let new = desired_tags(desired);
    let removed: Vec<Tag> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .map(|k| Tag::builder().key(k).build())
        .collect();
    let changed: Vec<Tag> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(v))
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    if !removed.is_empty() {
        p.call("ec2:DeleteTags", || {
            p.ec2()
                .delete_tags()
                .resources(id)
                .set_tags(Some(removed.clone()))
                .send()
        })
        .await?;
    }
    if !changed.is_empty() {
        p.call("ec2:CreateTags", || {
            p.ec2()
                .create_tags()
                .resources(id)
                .set_tags(Some(changed.clone()))
                .send()
        })
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_hide_infra_keys_and_keep_prior_tags() {
        let cloud = vec![
            Tag::builder().key("Name").value("a").build(),
            Tag::builder().key("env").value("prod").build(),
            Tag::builder().key("infra:stack").value("s").build(),
        ];
        let mut out = BTreeMap::new();
        put_tags(&mut out, &cloud, None);
        assert_eq!(out["tags"], out["tags_all"]);
        assert!(out["tags_all"].get("infra:stack").is_null());
        let prior = Value::map([("tags", Value::map([("Name", Value::string("a"))]))]);
        put_tags(&mut out, &cloud, Some(&prior));
        assert_eq!(out["tags"], Value::map([("Name", Value::string("a"))]));
        assert_eq!(out["tags_all"].get("env").as_str(), Some("prod"));
    }
}

/// The candidates a stack-tag Describe returned that an interrupted create of `req` really
/// made: their tags must name exactly its stack and address. The filter alone is no proof:
/// the emulator ignores tag filters on some calls and reads filter values as globs.
/// Objects the state already holds (`req.known_ids`, e.g. a deposed object with the same
/// tags) are never candidates.
pub fn ours<T>(
    found: Vec<T>,
    req: &CreateRequest,
    tags: impl Fn(&T) -> &[Tag],
    id: impl Fn(&T) -> Option<&str>,
) -> Vec<T> {
    found
        .into_iter()
        .filter(|x| has_infra_tags(tags(x), req))
        .filter(|x| !id(x).is_some_and(|id| req.known_ids.iter().any(|k| k == id)))
        .collect()
}

/// Batched refresh of one type: one `describe` with a `filter_name` filter per chunk of
/// ids (EC2 takes 200 values per filter), each item mapped with its prior. An id missing
/// from the answer was deleted; a filter, unlike an id list, omits it instead of failing.
pub async fn read_by_id<T, Fut>(
    items: &[ReadRequest],
    filter_name: &str,
    describe: impl Fn(Vec<Filter>) -> Fut,
    id_of: impl Fn(&T) -> Option<&str>,
    to_value: impl Fn(&T, Option<&Value>) -> Option<(String, Value)>,
) -> Result<BTreeMap<String, Value>, ProviderError>
where
    Fut: Future<Output = Result<Vec<T>, ProviderError>>,
{
    let priors: HashMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    let mut out = BTreeMap::new();
    let chunks = id_chunks(items.iter().map(|i| i.id.as_str()));
    for item in describe_chunks(chunks, |chunk| describe(vec![filter(filter_name, chunk)])).await? {
        let prior = id_of(&item).and_then(|id| priors.get(id).copied());
        out.extend(to_value(&item, prior));
    }
    Ok(out)
}

/// The refresh of objects that live inside an EKS cluster (`CLUSTER:NAME` ids: add-ons, access
/// entries), whose API has no batched describe: one list per cluster tells which still exist
/// (skipped when only one is asked for), then each one that does is described.
pub(crate) async fn read_cluster_children<'a, T, LF, DF>(
    items: &'a [infra_provider::ReadRequest],
    split: fn(&'a str) -> Result<(&'a str, &'a str), infra_provider::ProviderError>,
    list: impl Fn(&'a str) -> LF,
    describe: impl Fn(&'a str, &'a str) -> DF,
    value: impl Fn(&T, &Value) -> Value,
) -> Result<BTreeMap<String, Value>, infra_provider::ProviderError>
where
    LF: Future<
        Output = Result<Option<std::collections::HashSet<String>>, infra_provider::ProviderError>,
    >,
    DF: Future<Output = Result<Option<T>, infra_provider::ProviderError>>,
{
    let mut by_cluster: BTreeMap<&'a str, Vec<(&'a str, &'a infra_provider::ReadRequest)>> =
        BTreeMap::new();
    for i in items {
        let (cluster, name) = split(&i.id)?;
        by_cluster.entry(cluster).or_default().push((name, i));
    }
    let mut out = BTreeMap::new();
    for (cluster, asked) in by_cluster {
        let existing = if asked.len() > 1 {
            match list(cluster).await? {
                Some(set) => set,
                None => continue,
            }
        } else {
            asked.iter().map(|(n, _)| n.to_string()).collect()
        };
        for (name, i) in asked {
            if !existing.contains(name) {
                continue;
            }
            if let Some(found) = describe(cluster, name).await? {
                out.insert(i.id.clone(), value(&found, &i.prior));
            }
        }
    }
    Ok(out)
}

/// `name_prefix`, which the cloud does not store: the prior's (or the configuration's).
pub fn carry_name_prefix(m: &mut BTreeMap<String, Value>, prior: Option<&Value>) {
    let v = prior
        .map(|p| p.get("name_prefix").clone())
        .unwrap_or(Value::Null);
    m.insert("name_prefix".into(), v);
}

/// The name a create makes, as Terraform's name generator: `name` when configured, else
/// `name_prefix` (or `default_prefix`) and 26 characters of the create's token (see
/// [`prefixed_name`]).
pub fn name_or_prefixed(req: &CreateRequest, default_prefix: &str, max: usize) -> String {
    match get_str(&req.config, "name") {
        Some(n) => n.to_string(),
        None => prefixed_name(
            get_str(&req.config, "name_prefix").unwrap_or(default_prefix),
            &req.token,
            max,
        ),
    }
}

/// A name from `name_prefix`: the prefix and 26 characters from the idempotency token (the
/// length of the Terraform provider's unique suffix), so a rerun of the same intent finds
/// the object it made. At most `max` characters.
pub fn prefixed_name(prefix: &str, token: &str, max: usize) -> String {
    let safe: Vec<char> = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let tail: String = safe[safe.len().saturating_sub(26)..].iter().collect();
    format!("{prefix}{tail}").chars().take(max).collect()
}
