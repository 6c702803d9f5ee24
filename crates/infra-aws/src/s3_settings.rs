//! The bucket settings that are resources of their own: `aws_s3_bucket_policy`,
//! `aws_s3_bucket_public_access_block`, `aws_s3_bucket_ownership_controls`,
//! `aws_s3_bucket_server_side_encryption_configuration` and `aws_s3_bucket_versioning`.
//!
//! Each one's id is its bucket's name (Terraform's import id), and each is one Get / Put /
//! Delete triple on the bucket: a refresh is one Get per bucket (S3 has no call that
//! reads a setting of many buckets), a create and an update are the same Put (retried
//! while the bucket propagates, `s3::call_settled`), and adoption reads the setting of the
//! configured bucket (the natural key; nothing else can hold it). A bucket has a public
//! access block, ownership controls and an encryption configuration from its creation on
//! AWS; deleting those resources puts back no setting (Delete*), as Terraform does;
//! deleting versioning suspends it (a bucket once versioned cannot go back), except on a
//! bucket with object lock, whose versioning cannot change.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    BlockedEncryptionTypes, BucketVersioningStatus, EncryptionType, MfaDelete, ObjectOwnership,
    OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::has_code;
use crate::s3::{call_settled, NO_BUCKET};
use crate::util::{first_block, get_bool, get_str, opt};
use crate::AwsProvider;

pub(crate) const POLICY: &str = "aws_s3_bucket_policy";
pub(crate) const ACCESS_BLOCK: &str = "aws_s3_bucket_public_access_block";
pub(crate) const OWNERSHIP: &str = "aws_s3_bucket_ownership_controls";
pub(crate) const ENCRYPTION: &str = "aws_s3_bucket_server_side_encryption_configuration";
pub(crate) const VERSIONING: &str = "aws_s3_bucket_versioning";

/// The codes with which a Get says the setting (or its bucket) is not there.
fn absent(type_name: &str) -> &'static [&'static str] {
    match type_name {
        POLICY => &["NoSuchBucket", "NoSuchBucketPolicy"],
        ACCESS_BLOCK => &["NoSuchBucket", "NoSuchPublicAccessBlockConfiguration"],
        OWNERSHIP => &["NoSuchBucket", "OwnershipControlsNotFoundError"],
        ENCRYPTION => &[
            "NoSuchBucket",
            "ServerSideEncryptionConfigurationNotFoundError",
        ],
        _ => NO_BUCKET,
    }
}

fn rejected(msg: String) -> ProviderError {
    ProviderError::new(ErrorKind::Rejected, msg)
}

/// `expected_bucket_owner`, kept from the prior (the API does not report it).
fn owner(v: &Value) -> Option<String> {
    get_str(v, "expected_bucket_owner").map(str::to_string)
}

/// The setting of bucket `name` as the type's value, `None` when there is none.
async fn get(
    p: &AwsProvider,
    type_name: &str,
    name: &str,
    prior: &Value,
) -> Result<Option<Value>, ProviderError> {
    let mut m = BTreeMap::new();
    m.insert("id".to_string(), Value::string(name));
    m.insert("bucket".to_string(), Value::string(name));
    let s3 = p.s3();
    let r: Result<(), ProviderError> = async {
        match type_name {
            POLICY => {
                let out = p
                    .call("s3:GetBucketPolicy", || {
                        s3.get_bucket_policy().bucket(name).send()
                    })
                    .await?;
                m.insert("policy".into(), opt(out.policy()));
            }
            ACCESS_BLOCK => {
                let out = p
                    .call("s3:GetPublicAccessBlock", || {
                        s3.get_public_access_block().bucket(name).send()
                    })
                    .await?;
                let c = out.public_access_block_configuration();
                let flag = |v: Option<bool>| Value::Bool(v == Some(true));
                m.insert(
                    "block_public_acls".into(),
                    flag(c.and_then(|c| c.block_public_acls())),
                );
                m.insert(
                    "block_public_policy".into(),
                    flag(c.and_then(|c| c.block_public_policy())),
                );
                m.insert(
                    "ignore_public_acls".into(),
                    flag(c.and_then(|c| c.ignore_public_acls())),
                );
                m.insert(
                    "restrict_public_buckets".into(),
                    flag(c.and_then(|c| c.restrict_public_buckets())),
                );
                m.insert("skip_destroy".into(), prior.get("skip_destroy").clone());
            }
            OWNERSHIP => {
                let out = p
                    .call("s3:GetBucketOwnershipControls", || {
                        s3.get_bucket_ownership_controls().bucket(name).send()
                    })
                    .await?;
                let rules: Vec<Value> = out
                    .ownership_controls()
                    .map(|c| c.rules())
                    .unwrap_or_default()
                    .iter()
                    .map(|r| {
                        Value::map([(
                            "object_ownership",
                            Value::string(r.object_ownership().as_str()),
                        )])
                    })
                    .collect();
                m.insert("rule".into(), Value::List(rules));
            }
            ENCRYPTION => {
                let o = owner(prior);
                let out = p
                    .call("s3:GetBucketEncryption", || {
                        s3.get_bucket_encryption()
                            .bucket(name)
                            .set_expected_bucket_owner(o.clone())
                            .send()
                    })
                    .await?;
                let rules: Vec<Value> = out
                    .server_side_encryption_configuration()
                    .map(|c| c.rules())
                    .unwrap_or_default()
                    .iter()
                    .map(encryption_rule)
                    .collect();
                // the emulator answers an empty configuration after a delete
                if rules.is_empty() {
                    return Err(ProviderError::not_found(format!(
                        "bucket {name} has no encryption rule"
                    ))
                    .with_code("ServerSideEncryptionConfigurationNotFoundError"));
                }
                m.insert("rule".into(), Value::List(rules));
                m.insert("expected_bucket_owner".into(), opt(o.as_deref()));
            }
            VERSIONING => {
                let o = owner(prior);
                let out = p
                    .call("s3:GetBucketVersioning", || {
                        s3.get_bucket_versioning()
                            .bucket(name)
                            .set_expected_bucket_owner(o.clone())
                            .send()
                    })
                    .await?;
                // a bucket never versioned reports no status: Terraform's `Disabled`
                let status = out
                    .status()
                    .map_or("Disabled", BucketVersioningStatus::as_str);
                m.insert(
                    "versioning_configuration".into(),
                    Value::List(vec![Value::map([
                        ("status", Value::string(status)),
                        ("mfa_delete", opt(out.mfa_delete().map(|d| d.as_str()))),
                    ])]),
                );
                m.insert("expected_bucket_owner".into(), opt(o.as_deref()));
                m.insert("mfa".into(), prior.get("mfa").clone());
            }
            other => return Err(crate::errors::unsupported(other, "resource type")),
        }
        Ok(())
    }
    .await;
    match r {
        Ok(()) => Ok(Some(Value::Map(m))),
        Err(e) if has_code(&e, absent(type_name)) => Ok(None),
        Err(e) => Err(e),
    }
}

fn encryption_rule(r: &ServerSideEncryptionRule) -> Value {
    let by_default: Vec<Value> = r
        .apply_server_side_encryption_by_default()
        .map(|d| {
            Value::map([
                ("sse_algorithm", Value::string(d.sse_algorithm().as_str())),
                ("kms_master_key_id", opt(d.kms_master_key_id())),
            ])
        })
        .into_iter()
        .collect();
    Value::map([
        (
            "apply_server_side_encryption_by_default",
            Value::List(by_default),
        ),
        (
            "bucket_key_enabled",
            Value::Bool(r.bucket_key_enabled() == Some(true)),
        ),
        (
            "blocked_encryption_types",
            Value::List(
                r.blocked_encryption_types()
                    .map(|b| b.encryption_type())
                    .unwrap_or_default()
                    .iter()
                    .map(|t| Value::string(t.as_str()))
                    .collect(),
            ),
        ),
    ])
}

/// A rule's `blocked_encryption_types`, when written.
fn blocked(rule: &Value) -> Option<BlockedEncryptionTypes> {
    let types = rule.get("blocked_encryption_types").as_list()?;
    Some(
        BlockedEncryptionTypes::builder()
            .set_encryption_type(Some(
                types
                    .iter()
                    .filter_map(Value::as_str)
                    .map(EncryptionType::from)
                    .collect(),
            ))
            .build(),
    )
}

pub(crate) async fn read(
    p: &AwsProvider,
    type_name: &str,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let mut out = BTreeMap::new();
    for item in items {
        if let Some(v) = get(p, type_name, &item.id, &item.prior).await? {
            out.insert(item.id.clone(), v);
        }
    }
    Ok(out)
}

/// Write the configured setting onto `bucket` (create and update alike).
async fn put(
    p: &AwsProvider,
    type_name: &str,
    bucket: &str,
    prior: Option<&Value>,
    c: &Value,
) -> Result<(), ProviderError> {
    let s3 = p.s3();
    let built = |e: aws_smithy_types::error::operation::BuildError| {
        rejected(format!("{type_name} of bucket {bucket}: {e}"))
    };
    match type_name {
        POLICY => {
            let policy = get_str(c, "policy").unwrap_or_default();
            call_settled(p, "s3:PutBucketPolicy", || {
                s3.put_bucket_policy().bucket(bucket).policy(policy).send()
            })
            .await?;
        }
        ACCESS_BLOCK => {
            let conf = PublicAccessBlockConfiguration::builder()
                .block_public_acls(get_bool(c, "block_public_acls") == Some(true))
                .block_public_policy(get_bool(c, "block_public_policy") == Some(true))
                .ignore_public_acls(get_bool(c, "ignore_public_acls") == Some(true))
                .restrict_public_buckets(get_bool(c, "restrict_public_buckets") == Some(true))
                .build();
            call_settled(p, "s3:PutPublicAccessBlock", || {
                s3.put_public_access_block()
                    .bucket(bucket)
                    .public_access_block_configuration(conf.clone())
                    .send()
            })
            .await?;
        }
        OWNERSHIP => {
            let ownership =
                get_str(first_block(c, "rule"), "object_ownership").ok_or_else(|| {
                    rejected(format!(
                        "{OWNERSHIP} of bucket {bucket}: `rule` needs `object_ownership`"
                    ))
                })?;
            let rule = OwnershipControlsRule::builder()
                .object_ownership(ObjectOwnership::from(ownership))
                .build()
                .map_err(built)?;
            let controls = OwnershipControls::builder()
                .rules(rule)
                .build()
                .map_err(built)?;
            call_settled(p, "s3:PutBucketOwnershipControls", || {
                s3.put_bucket_ownership_controls()
                    .bucket(bucket)
                    .ownership_controls(controls.clone())
                    .send()
            })
            .await?;
        }
        ENCRYPTION => {
            let mut rules = Vec::new();
            for r in c.get("rule").as_list().unwrap_or_default() {
                let d = first_block(r, "apply_server_side_encryption_by_default");
                let by_default = match get_str(d, "sse_algorithm") {
                    Some(alg) => Some(
                        ServerSideEncryptionByDefault::builder()
                            .sse_algorithm(ServerSideEncryption::from(alg))
                            .set_kms_master_key_id(
                                get_str(d, "kms_master_key_id").map(str::to_string),
                            )
                            .build()
                            .map_err(built)?,
                    ),
                    None => None,
                };
                rules.push(
                    ServerSideEncryptionRule::builder()
                        .set_apply_server_side_encryption_by_default(by_default)
                        .set_bucket_key_enabled(get_bool(r, "bucket_key_enabled"))
                        .set_blocked_encryption_types(blocked(r))
                        .build(),
                );
            }
            let conf = ServerSideEncryptionConfiguration::builder()
                .set_rules(Some(rules))
                .build()
                .map_err(built)?;
            call_settled(p, "s3:PutBucketEncryption", || {
                s3.put_bucket_encryption()
                    .bucket(bucket)
                    .set_expected_bucket_owner(owner(c))
                    .server_side_encryption_configuration(conf.clone())
                    .send()
            })
            .await?;
        }
        VERSIONING => {
            let v = first_block(c, "versioning_configuration");
            let status = get_str(v, "status").unwrap_or("Enabled");
            let was = prior
                .map(|p| first_block(p, "versioning_configuration"))
                .and_then(|v| get_str(v, "status"));
            if status == "Disabled" {
                // only a bucket never versioned can be `Disabled`: nothing to send
                return match was {
                    None | Some("Disabled") => Ok(()),
                    Some(w) => Err(rejected(format!(
                        "versioning of bucket {bucket} cannot go from {w} to Disabled (S3 can only suspend versioning); write status = \"Suspended\""
                    ))),
                };
            }
            let conf = VersioningConfiguration::builder()
                .status(BucketVersioningStatus::from(status))
                .set_mfa_delete(get_str(v, "mfa_delete").map(MfaDelete::from))
                .build();
            call_settled(p, "s3:PutBucketVersioning", || {
                s3.put_bucket_versioning()
                    .bucket(bucket)
                    .set_expected_bucket_owner(owner(c))
                    .set_mfa(get_str(c, "mfa").map(str::to_string))
                    .versioning_configuration(conf.clone())
                    .send()
            })
            .await?;
        }
        other => return Err(crate::errors::unsupported(other, "resource type")),
    }
    Ok(())
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let bucket = get_str(&req.config, "bucket")
        .ok_or_else(|| rejected(format!("{}: `bucket` is required", req.address)))?
        .to_string();
    put(p, &req.type_name, &bucket, None, &req.config).await?;
    // a bucket never versioned has nothing to read back but its `Disabled` status
    p.read_back(&req.type_name, &bucket, &req.config).await
}

pub(crate) async fn update(
    p: &AwsProvider,
    type_name: &str,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    put(p, type_name, id, Some(prior), desired).await?;
    p.read_back(type_name, id, desired).await
}

pub(crate) async fn delete(
    p: &AwsProvider,
    type_name: &str,
    id: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    let s3 = p.s3();
    let r = match type_name {
        POLICY => p
            .call("s3:DeleteBucketPolicy", || {
                s3.delete_bucket_policy().bucket(id).send()
            })
            .await
            .map(|_| ()),
        ACCESS_BLOCK if get_bool(prior, "skip_destroy") == Some(true) => Ok(()),
        ACCESS_BLOCK => p
            .call("s3:DeletePublicAccessBlock", || {
                s3.delete_public_access_block().bucket(id).send()
            })
            .await
            .map(|_| ()),
        OWNERSHIP => p
            .call("s3:DeleteBucketOwnershipControls", || {
                s3.delete_bucket_ownership_controls().bucket(id).send()
            })
            .await
            .map(|_| ()),
        ENCRYPTION => p
            .call("s3:DeleteBucketEncryption", || {
                s3.delete_bucket_encryption()
                    .bucket(id)
                    .set_expected_bucket_owner(owner(prior))
                    .send()
            })
            .await
            .map(|_| ()),
        VERSIONING => {
            let status = get_str(first_block(prior, "versioning_configuration"), "status");
            if status == Some("Disabled") {
                return Ok(());
            }
            let conf = VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Suspended)
                .build();
            match p
                .call("s3:PutBucketVersioning", || {
                    s3.put_bucket_versioning()
                        .bucket(id)
                        .set_expected_bucket_owner(owner(prior))
                        .versioning_configuration(conf.clone())
                        .send()
                })
                .await
            {
                // object lock keeps versioning on for the bucket's life: nothing to undo,
                // as the Terraform provider concludes
                Err(e)
                    if has_code(&e, &["InvalidBucketState"])
                        && e.message.contains("Object Lock") =>
                {
                    tracing::warn!(
                        bucket = id,
                        "versioning stays enabled: the bucket has object lock"
                    );
                    Ok(())
                }
                r => r.map(|_| ()),
            }
        }
        other => Err(crate::errors::unsupported(other, "resource type")),
    };
    match r {
        Err(e) if has_code(&e, absent(type_name)) => Ok(()),
        r => r,
    }
}

/// The setting of the configured bucket (its natural key).
pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let Some(bucket) = get_str(&req.config, "bucket") else {
        return Ok(None);
    };
    if req.known_ids.iter().any(|k| k == bucket) {
        return Ok(None);
    }
    get(p, &req.type_name, bucket, &req.config).await
}
