//! `aws_cloudwatch_log_group`: the log group of an EKS cluster's control-plane logs or of
//! a VPC's flow logs. The id is the name, as in Terraform (and its import id).
//!
//! A refresh is one DescribeLogGroups scan per 50 groups (`logGroupIdentifiers`, the
//! API's limit; the answer is filtered here too, since the emulator ignores the list) and
//! one ListTagsForResource per group (the API has no batched tag read). Retention
//! (PutRetentionPolicy / DeleteRetentionPolicy), the KMS key (AssociateKmsKey /
//! DisassociateKmsKey) and tags (TagResource / UntagResource) change in place; the name
//! and class force a new group. Groups are tagged at creation; the create is not
//! idempotent, so a lost answer is adopted by name (a natural key) when the group carries
//! this request's `infra:*` tags.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_cloudwatchlogs::types::{LogGroup, LogGroupClass};
use infra_model::Value;
use infra_provider::{CreateRequest, ProviderError, ReadRequest};

use crate::errors::has_code;
use crate::util::{
    create_tag_pairs, get_i64, get_str, name_or_prefixed, opt, pairs_have_infra_tags,
    put_tag_pairs, tag_changes,
};
use crate::AwsProvider;

pub(crate) const TYPE: &str = "aws_cloudwatch_log_group";

/// How many names one DescribeLogGroups takes in `logGroupIdentifiers`.
const IDENTIFIERS: usize = 50;

const NOT_FOUND: &[&str] = &["ResourceNotFoundException"];

/// The groups named `names` (those that exist), one call per 50 names and page.
async fn describe(p: &AwsProvider, names: &[String]) -> Result<Vec<LogGroup>, ProviderError> {
    let mut out = Vec::new();
    for chunk in names.chunks(IDENTIFIERS) {
        let found = p
            .paginate(
                "logs:DescribeLogGroups",
                |token| {
                    p.logs()
                        .describe_log_groups()
                        .set_log_group_identifiers(Some(chunk.to_vec()))
                        .set_next_token(token)
                        .send()
                },
                |page| page.log_groups(),
                |page| page.next_token(),
            )
            .await?;
        // the emulator answers every group whatever the list says
        out.extend(found.into_iter().filter(|g| {
            g.log_group_name()
                .is_some_and(|n| chunk.iter().any(|c| c == n))
        }));
    }
    Ok(out)
}

/// Terraform's ARN of a group: without the `:*` DescribeLogGroups' `arn` ends with.
fn arn_of(g: &LogGroup) -> Option<String> {
    g.log_group_arn()
        .map(str::to_string)
        .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_string()))
}

async fn tags_of(p: &AwsProvider, arn: &str) -> Result<HashMap<String, String>, ProviderError> {
    match p
        .call("logs:ListTagsForResource", || {
            p.logs().list_tags_for_resource().resource_arn(arn).send()
        })
        .await
    {
        Ok(out) => Ok(out.tags().cloned().unwrap_or_default()),
        Err(e) if has_code(&e, NOT_FOUND) => Ok(HashMap::new()),
        Err(e) => Err(e),
    }
}

fn to_value(g: &LogGroup, tags: &HashMap<String, String>, prior: Option<&Value>) -> Value {
    let name = g.log_group_name().unwrap_or_default();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(name));
    m.insert("name".into(), Value::string(name));
    m.insert("arn".into(), opt(arn_of(g).as_deref()));
    m.insert(
        "retention_in_days".into(),
        Value::Number(f64::from(g.retention_in_days().unwrap_or(0))),
    );
    m.insert("kms_key_id".into(), opt(g.kms_key_id()));
    m.insert(
        "log_group_class".into(),
        opt(g.log_group_class().map(LogGroupClass::as_str)),
    );
    // what the cloud does not store: how the name was made, and what destroy does
    let carried = |k: &str| match prior.map(|p| p.get(k)) {
        Some(Value::Unknown) | None => Value::Null,
        Some(v) => v.clone(),
    };
    m.insert("name_prefix".into(), carried("name_prefix"));
    m.insert(
        "skip_destroy".into(),
        match carried("skip_destroy") {
            Value::Null => Value::Bool(false),
            v => v,
        },
    );
    put_tag_pairs(
        &mut m,
        tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        prior,
    );
    Value::Map(m)
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: HashMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    let mut names: Vec<String> = priors.keys().map(|n| n.to_string()).collect();
    names.sort();
    let mut out = BTreeMap::new();
    for g in describe(p, &names).await? {
        let Some(name) = g.log_group_name() else {
            continue;
        };
        let tags = match arn_of(&g) {
            Some(arn) => tags_of(p, &arn).await?,
            None => HashMap::new(),
        };
        out.insert(
            name.to_string(),
            to_value(&g, &tags, priors.get(name).copied()),
        );
    }
    Ok(out)
}

/// The group's name: `name`, else `name_prefix` and 26 characters of the create's token
/// (Terraform's unique suffix is as long), else `terraform-` and those.
fn name_of(req: &CreateRequest) -> String {
    name_or_prefixed(req, "terraform-", 512)
}

fn retention(v: &Value) -> i32 {
    get_i64(v, "retention_in_days").unwrap_or(0) as i32
}

async fn set_retention(p: &AwsProvider, name: &str, days: i32) -> Result<(), ProviderError> {
    if days > 0 {
        p.call("logs:PutRetentionPolicy", || {
            p.logs()
                .put_retention_policy()
                .log_group_name(name)
                .retention_in_days(days)
                .send()
        })
        .await?;
    } else {
        p.call("logs:DeleteRetentionPolicy", || {
            p.logs()
                .delete_retention_policy()
                .log_group_name(name)
                .send()
        })
        .await?;
    }
    Ok(())
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    let name = name_of(req);
    let tags: HashMap<String, String> = create_tag_pairs(req).into_iter().collect();
    let class = get_str(c, "log_group_class").map(LogGroupClass::from);
    p.call("logs:CreateLogGroup", || {
        p.logs()
            .create_log_group()
            .log_group_name(&name)
            .set_kms_key_id(get_str(c, "kms_key_id").map(str::to_string))
            .set_log_group_class(class.clone())
            .set_tags(Some(tags.clone()))
            .send()
    })
    .await?;
    // a DELIVERY group has a fixed retention, as in Terraform
    let days = retention(c);
    if days > 0 && get_str(c, "log_group_class") != Some("DELIVERY") {
        set_retention(p, &name, days).await?;
    }
    p.read_back(TYPE, &name, c).await
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    if !desired.get("retention_in_days").is_unknown() && retention(prior) != retention(desired) {
        set_retention(p, id, retention(desired)).await?;
    }
    let key = |v: &Value| get_str(v, "kms_key_id").map(str::to_string);
    if !desired.get("kms_key_id").is_unknown() && key(prior) != key(desired) {
        match key(desired) {
            Some(k) => {
                p.call("logs:AssociateKmsKey", || {
                    p.logs()
                        .associate_kms_key()
                        .log_group_name(id)
                        .kms_key_id(&k)
                        .send()
                })
                .await?;
            }
            None => {
                p.call("logs:DisassociateKmsKey", || {
                    p.logs().disassociate_kms_key().log_group_name(id).send()
                })
                .await?;
            }
        }
    }
    let (removed, changed) = tag_changes(prior, desired);
    if !removed.is_empty() || !changed.is_empty() {
        let arn = match get_str(prior, "arn") {
            Some(a) => a.to_string(),
            None => describe(p, &[id.to_string()])
                .await?
                .first()
                .and_then(arn_of)
                .ok_or_else(|| ProviderError::not_found(format!("log group {id} is gone")))?,
        };
        if !removed.is_empty() {
            p.call("logs:UntagResource", || {
                p.logs()
                    .untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(removed.clone()))
                    .send()
            })
            .await?;
        }
        if !changed.is_empty() {
            let tags: HashMap<String, String> = changed.clone().into_iter().collect();
            p.call("logs:TagResource", || {
                p.logs()
                    .tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        }
    }
    p.read_back(TYPE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str, prior: &Value) -> Result<(), ProviderError> {
    if prior.get("skip_destroy").as_bool() == Some(true) {
        tracing::info!(id, "skip_destroy: the log group is kept");
        return Ok(());
    }
    match p
        .call("logs:DeleteLogGroup", || {
            p.logs().delete_log_group().log_group_name(id).send()
        })
        .await
    {
        Err(e) if has_code(&e, NOT_FOUND) => Ok(()),
        r => r.map(|_| ()),
    }
}

/// What a create of `req` whose answer was lost made: the group of its name, if it carries
/// the request's `infra:*` tags (the name alone could be anybody's).
pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let name = name_of(req);
    if req.known_ids.iter().any(|k| *k == name) {
        return Ok(None);
    }
    let Some(g) = describe(p, &[name]).await?.into_iter().next() else {
        return Ok(None);
    };
    let tags = match arn_of(&g) {
        Some(arn) => tags_of(p, &arn).await?,
        None => HashMap::new(),
    };
    let ours = pairs_have_infra_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())), req);
    Ok(ours.then(|| to_value(&g, &tags, Some(&req.config))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arn_has_no_wildcard_and_skip_destroy_is_carried() {
        let g = LogGroup::builder()
            .log_group_name("/aws/eks/prod/cluster")
            .arn("arn:aws:logs:us-east-1:1:log-group:/aws/eks/prod/cluster:*")
            .build();
        let prior = Value::map([("skip_destroy", Value::Bool(true))]);
        let v = to_value(&g, &HashMap::new(), Some(&prior));
        assert_eq!(
            v.get("arn").as_str(),
            Some("arn:aws:logs:us-east-1:1:log-group:/aws/eks/prod/cluster")
        );
        assert_eq!(v.get("id").as_str(), Some("/aws/eks/prod/cluster"));
        assert_eq!(v.get("retention_in_days").as_i64(), Some(0));
        assert_eq!(v.get("skip_destroy").as_bool(), Some(true));
        let v = to_value(&g, &HashMap::new(), None);
        assert_eq!(v.get("skip_destroy").as_bool(), Some(false));
    }
}
