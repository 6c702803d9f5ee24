//! `aws_s3_bucket`: a general purpose bucket (terraform-aws-s3-bucket's `this`, the
//! destination of VPC flow logs).
//!
//! A bucket's id is its name (Terraform's import id). S3 has no batched describe of many
//! buckets' settings: a refresh is one ListBuckets for existence and region, then per
//! bucket only what the schema holds: GetBucketTagging and GetObjectLockConfiguration.
//! CreateBucket takes no idempotency token, and tags are put by PutBucketTagging right after
//! it (the create-time tags of CreateBucketConfiguration need ABAC on the account), so
//! adoption finds a bucket by its natural key: the name, which for `bucket_prefix` comes
//! from the intent's token (the same on a rerun); it is ours when it carries the intent's
//! `infra:*` tags, or none at all (the run was killed before PutBucketTagging). S3 takes
//! fewer characters in tag values than EC2: the `infra:*` values are written
//! [`tag_safe`] (`this[0]` is `this@5B0@5D`). Only the
//! tags and `force_destroy` (which the cloud does not store) change in place. Destroy
//! with `force_destroy` deletes every object version and delete marker first.
//!
//! S3 is eventually consistent right after CreateBucket: a call on the new bucket may
//! answer NoSuchBucket, and concurrent configuration calls OperationAborted ("A conflicting
//! conditional operation is currently in progress"). [`call_settled`] retries those for
//! two minutes, as the Terraform provider does. The bucket settings are in `s3_settings`.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketNamespace, CreateBucketConfiguration, Delete, ObjectIdentifier,
    ObjectLockEnabled, Tag, Tagging,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::has_code;
use crate::util::{
    create_tag_pairs, desired_tags, get_bool, get_str, prefixed_name, put_tag_pairs,
};
use crate::AwsProvider;

pub(crate) const BUCKET: &str = "aws_s3_bucket";

pub(crate) const NO_BUCKET: &[&str] = &["NoSuchBucket"];

/// What a call on a bucket made a moment ago may answer for a while.
const SETTLING: &[&str] = &["NoSuchBucket", "OperationAborted"];

/// How long [`call_settled`] retries, as the Terraform provider's bucket propagation
/// timeout.
const PROPAGATION: Duration = Duration::from_secs(120);

/// [`AwsProvider::call`], retrying what S3 answers while a new bucket propagates or another
/// configuration call on it is in progress.
pub(crate) async fn call_settled<T, E, F, Fut>(
    p: &AwsProvider,
    op: &'static str,
    f: F,
) -> Result<T, ProviderError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let started = Instant::now();
    loop {
        match p.call(op, &f).await {
            Err(e) if has_code(&e, SETTLING) && started.elapsed() < PROPAGATION => {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            r => return r,
        }
    }
}

/// S3's Route 53 hosted zone per region (the alias target of a website endpoint), as the
/// Terraform provider's table has it.
fn hosted_zone_id(region: &str) -> Option<&'static str> {
    Some(match region {
        "us-east-1" => "Z3AQBSTGFYJSTF",
        "us-east-2" => "Z2O1EMRO9K5GLX",
        "us-west-1" => "Z2F56UZL2M1ACD",
        "us-west-2" => "Z3BJ6K6RIION7M",
        "af-south-1" => "Z83WF9RJE8B12",
        "ap-east-1" => "ZNB98KWMFR0R6",
        "ap-south-1" => "Z11RGJOFQNVJUP",
        "ap-northeast-1" => "Z2M4EHUR26P7ZW",
        "ap-northeast-2" => "Z3W03O7B5YMIYP",
        "ap-northeast-3" => "Z2YQB5RD63NC85",
        "ap-southeast-1" => "Z3O0J2DXBE1FTB",
        "ap-southeast-2" => "Z1WCIGYICN2BYD",
        "ca-central-1" => "Z1QDHH18159H29",
        "eu-central-1" => "Z21DNDUVLTQW6Q",
        "eu-north-1" => "Z3BAZG2TWCNX0D",
        "eu-south-1" => "Z30OZKI7KPW7MI",
        "eu-west-1" => "Z1BKCTXD74EZPE",
        "eu-west-2" => "Z3GKZC51ZF0DB4",
        "eu-west-3" => "Z3R1K369G5AVDG",
        "me-south-1" => "Z1MPMWCPA7YB62",
        "sa-east-1" => "Z7KQH4QJS55SO",
        "us-gov-east-1" => "Z2NIFVYYW2VKV1",
        "us-gov-west-1" => "Z31GFT0UA1I2HV",
        "cn-north-1" => "Z5CN8UMXT92WN",
        "cn-northwest-1" => "Z282HJ1KT0DH03",
        _ => return None,
    })
}

/// Every bucket the caller owns, name to region (ListBuckets, paginated).
pub(crate) async fn list(p: &AwsProvider) -> Result<BTreeMap<String, String>, ProviderError> {
    let buckets = p
        .paginate(
            "s3:ListBuckets",
            |token| p.s3().list_buckets().set_continuation_token(token).send(),
            |page| page.buckets(),
            |page| page.continuation_token(),
        )
        .await?;
    Ok(buckets
        .iter()
        .filter_map(|b| {
            let name = b.name()?.to_string();
            Some((name, b.bucket_region().unwrap_or(p.region()).to_string()))
        })
        .collect())
}

/// The bucket's tags; none when it has no tag set (NoSuchTagSet), `None` when it is gone.
async fn tags_of(p: &AwsProvider, name: &str) -> Result<Option<Vec<Tag>>, ProviderError> {
    match p
        .call("s3:GetBucketTagging", || {
            p.s3().get_bucket_tagging().bucket(name).send()
        })
        .await
    {
        Ok(out) => Ok(Some(out.tag_set().to_vec())),
        Err(e) if has_code(&e, &["NoSuchTagSet"]) => Ok(Some(Vec::new())),
        Err(e) if has_code(&e, NO_BUCKET) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether object lock is enabled; `None` when the bucket is gone.
async fn object_lock(p: &AwsProvider, name: &str) -> Result<Option<bool>, ProviderError> {
    match p
        .call("s3:GetObjectLockConfiguration", || {
            p.s3().get_object_lock_configuration().bucket(name).send()
        })
        .await
    {
        Ok(out) => Ok(Some(
            out.object_lock_configuration()
                .and_then(|c| c.object_lock_enabled())
                == Some(&ObjectLockEnabled::Enabled),
        )),
        Err(e) if has_code(&e, &["ObjectLockConfigurationNotFoundError"]) => Ok(Some(false)),
        Err(e) if has_code(&e, NO_BUCKET) => Ok(None),
        Err(e) => Err(e),
    }
}

/// What the configuration (or the state) says that the cloud does not store.
fn carried(prior: Option<&Value>, key: &str) -> Value {
    match prior.map(|p| p.get(key)) {
        Some(Value::Unknown) | None => Value::Null,
        Some(v) => v.clone(),
    }
}

fn to_value(name: &str, region: &str, tags: &[Tag], locked: bool, prior: Option<&Value>) -> Value {
    let (partition, dns, _) = crate::lookups::partition_of(region);
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(name));
    m.insert("bucket".into(), Value::string(name));
    m.insert("bucket_prefix".into(), carried(prior, "bucket_prefix"));
    m.insert(
        "bucket_namespace".into(),
        match carried(prior, "bucket_namespace") {
            Value::Null => Value::string("global"),
            v => v,
        },
    );
    m.insert(
        "force_destroy".into(),
        Value::Bool(prior.and_then(|v| get_bool(v, "force_destroy")) == Some(true)),
    );
    m.insert("object_lock_enabled".into(), Value::Bool(locked));
    m.insert(
        "arn".into(),
        Value::string(format!("arn:{partition}:s3:::{name}")),
    );
    m.insert(
        "bucket_domain_name".into(),
        Value::string(format!("{name}.s3.{dns}")),
    );
    m.insert(
        "bucket_regional_domain_name".into(),
        Value::string(format!("{name}.s3.{region}.{dns}")),
    );
    m.insert("bucket_region".into(), Value::string(region));
    m.insert(
        "hosted_zone_id".into(),
        hosted_zone_id(region).map_or(Value::Null, Value::string),
    );
    put_tag_pairs(&mut m, tags.iter().map(|t| (t.key(), t.value())), prior);
    Value::Map(m)
}

/// One bucket's value, or `None` when it is gone.
async fn read_one(
    p: &AwsProvider,
    name: &str,
    region: &str,
    prior: Option<&Value>,
) -> Result<Option<Value>, ProviderError> {
    let Some(tags) = tags_of(p, name).await? else {
        return Ok(None);
    };
    let Some(locked) = object_lock(p, name).await? else {
        return Ok(None);
    };
    Ok(Some(to_value(name, region, &tags, locked, prior)))
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let all = list(p).await?;
    let mut out = BTreeMap::new();
    for item in items {
        let Some(region) = all.get(&item.id) else {
            continue;
        };
        if let Some(v) = read_one(p, &item.id, region, Some(&item.prior)).await? {
            out.insert(item.id.clone(), v);
        }
    }
    Ok(out)
}

/// The bucket's name: `bucket`, else `bucket_prefix` (default `terraform-`) and 26
/// characters of the create's token, lowercased (bucket names are), at most 63.
pub(crate) fn name_of(req: &CreateRequest) -> String {
    match get_str(&req.config, "bucket") {
        Some(n) => n.to_string(),
        None => prefixed_name(
            get_str(&req.config, "bucket_prefix").unwrap_or("terraform-"),
            &req.token.to_ascii_lowercase(),
            63,
        ),
    }
}

/// A value S3 takes in a tag: letters, digits, spaces and `_ . : / = + - @` only, so the
/// rest (the `[0]` and `["a"]` of an `infra:address`) is written `@XX` per byte, and `@`
/// itself `@40` (reversible, and equal addresses give equal values).
pub(crate) fn tag_safe(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if c.is_alphanumeric() || " _.:/=+-".contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("@{b:02X}"));
            }
        }
    }
    out
}

/// The create's tags, the `infra:*` values made [`tag_safe`].
fn create_tags(req: &CreateRequest) -> Vec<Tag> {
    let mut pairs = create_tag_pairs(req);
    for (k, v) in pairs.iter_mut() {
        if crate::util::is_infra(k) {
            *v = tag_safe(v);
        }
    }
    s3_tags(pairs)
}

fn s3_tags(pairs: BTreeMap<String, String>) -> Vec<Tag> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// Replace the bucket's tag set (S3 has no per-key tagging of buckets).
async fn put_tags(p: &AwsProvider, name: &str, tags: Vec<Tag>) -> Result<(), ProviderError> {
    if tags.is_empty() {
        call_settled(p, "s3:DeleteBucketTagging", || {
            p.s3().delete_bucket_tagging().bucket(name).send()
        })
        .await?;
        return Ok(());
    }
    let tagging = Tagging::builder()
        .set_tag_set(Some(tags))
        .build()
        .map_err(|e| ProviderError::new(ErrorKind::Rejected, e.to_string()))?;
    call_settled(p, "s3:PutBucketTagging", || {
        p.s3()
            .put_bucket_tagging()
            .bucket(name)
            .tagging(tagging.clone())
            .send()
    })
    .await?;
    Ok(())
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    let name = name_of(req);
    // us-east-1 takes no location constraint
    let location = (p.region() != "us-east-1").then(|| {
        CreateBucketConfiguration::builder()
            .location_constraint(BucketLocationConstraint::from(p.region()))
            .build()
    });
    let namespace = get_str(c, "bucket_namespace").map(BucketNamespace::from);
    p.call("s3:CreateBucket", || {
        p.s3()
            .create_bucket()
            .bucket(&name)
            .set_create_bucket_configuration(location.clone())
            .set_bucket_namespace(namespace.clone())
            .set_object_lock_enabled_for_bucket(get_bool(c, "object_lock_enabled"))
            .send()
    })
    .await
    .map_err(|e| {
        if has_code(&e, &["BucketAlreadyExists"]) {
            ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "{}: the bucket name `{name}` is taken by another account (bucket names are global); choose another `bucket`, or use `bucket_prefix`",
                    req.address
                ),
            )
            .with_code("BucketAlreadyExists")
        } else {
            e
        }
    })?;
    put_tags(p, &name, create_tags(req)).await?;
    p.read_back(BUCKET, &name, c).await
}

/// The tags and `force_destroy` (state only) change in place.
pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    if desired_tags(prior) != desired_tags(desired) {
        // the whole set is replaced: keep the `infra:*` tags the bucket carries
        let cloud = tags_of(p, id).await?.unwrap_or_default();
        let mut pairs: BTreeMap<String, String> = cloud
            .iter()
            .filter(|t| crate::util::is_infra(t.key()))
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        pairs.extend(desired_tags(desired));
        put_tags(p, id, s3_tags(pairs)).await?;
    }
    p.read_back(BUCKET, id, desired).await
}

/// Delete every object version and delete marker (`force_destroy`), 1,000 per call.
async fn empty(p: &AwsProvider, name: &str, locked: bool) -> Result<(), ProviderError> {
    loop {
        let page = match p
            .call("s3:ListObjectVersions", || {
                p.s3().list_object_versions().bucket(name).send()
            })
            .await
        {
            Err(e) if has_code(&e, NO_BUCKET) => return Ok(()),
            r => r?,
        };
        let ids: Vec<ObjectIdentifier> = page
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                page.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            )
            .filter_map(|(k, v)| {
                ObjectIdentifier::builder()
                    .set_key(k.map(str::to_string))
                    .set_version_id(v.map(str::to_string))
                    .build()
                    .ok()
            })
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let delete = Delete::builder()
            .set_objects(Some(ids))
            .quiet(true)
            .build()
            .map_err(|e| ProviderError::new(ErrorKind::Other, e.to_string()))?;
        // locked objects need the governance bypass (which S3 refuses on a bucket without
        // object lock)
        let out = p
            .call("s3:DeleteObjects", || {
                p.s3()
                    .delete_objects()
                    .bucket(name)
                    .delete(delete.clone())
                    .set_bypass_governance_retention(locked.then_some(true))
                    .send()
            })
            .await?;
        if let Some(err) = out.errors().first() {
            return Err(ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "force_destroy of bucket {name}: DeleteObjects refused {}: {}: {}",
                    err.key().unwrap_or_default(),
                    err.code().unwrap_or_default(),
                    err.message().unwrap_or_default()
                ),
            ));
        }
    }
}

pub(crate) async fn delete(p: &AwsProvider, id: &str, prior: &Value) -> Result<(), ProviderError> {
    if get_bool(prior, "force_destroy") == Some(true) {
        empty(p, id, get_bool(prior, "object_lock_enabled") == Some(true)).await?;
    }
    match p
        .call("s3:DeleteBucket", || p.s3().delete_bucket().bucket(id).send())
        .await
    {
        Err(e) if has_code(&e, NO_BUCKET) => Ok(()),
        Err(e) if has_code(&e, &["BucketNotEmpty"]) => Err(ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "bucket {id} is not empty: {}; delete its objects, or set `force_destroy = true` and apply before destroying",
                e.message
            ),
        )
        .with_code("BucketNotEmpty")),
        r => r.map(|_| ()),
    }
}

/// Put the create's tags on a bucket adopted after a lost create answer (a killed create
/// may have made it without them).
pub(crate) async fn tag_adopted(
    p: &AwsProvider,
    req: &CreateRequest,
    name: &str,
) -> Result<(), ProviderError> {
    put_tags(p, name, create_tags(req)).await
}

/// The bucket a create of `req` whose answer was lost made: the one with the name the
/// create chose, carrying the intent's `infra:*` tags or no tags yet.
pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let name = name_of(req);
    if req.known_ids.contains(&name) {
        return Ok(None);
    }
    let all = list(p).await?;
    let Some(region) = all.get(&name) else {
        return Ok(None);
    };
    let Some(tags) = tags_of(p, &name).await? else {
        return Ok(None);
    };
    let untagged = tags.iter().all(|t| !crate::util::is_infra(t.key()));
    let theirs: BTreeMap<&str, &str> = tags.iter().map(|t| (t.key(), t.value())).collect();
    let ours = create_tag_pairs(req);
    let mine = [infra_model::tags::STACK, infra_model::tags::ADDRESS]
        .iter()
        .all(|k| theirs.get(k).copied() == ours.get(*k).map(|v| tag_safe(v)).as_deref());
    if !untagged && !mine {
        return Ok(None);
    }
    Ok(read_one(p, &name, region, Some(&req.config)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_prefix_and_the_token() {
        let req = CreateRequest {
            stack: "s".into(),
            address: infra_model::Address::parse("aws_s3_bucket.b").unwrap(),
            type_name: BUCKET.into(),
            config: Value::map([("bucket_prefix", Value::string("logs-"))]),
            token: "0F3a-9B2c-77D1-aaaa-bbbb-cccc-dddd".into(),
            known_ids: vec![],
        };
        let name = name_of(&req);
        assert!(name.starts_with("logs-"), "{name}");
        assert_eq!(name, name.to_ascii_lowercase());
        assert_eq!(name.len(), "logs-".len() + 26);
        assert_eq!(hosted_zone_id("eu-west-1"), Some("Z1BKCTXD74EZPE"));
        assert_eq!(hosted_zone_id("xx-nowhere-1"), None);
        assert_eq!(
            tag_safe("module.s3_bucket.aws_s3_bucket.this[0]"),
            "module.s3_bucket.aws_s3_bucket.this@5B0@5D"
        );
        assert_eq!(tag_safe("a[\"k@x\"]"), "a@5B@22k@40x@22@5D");
    }
}
