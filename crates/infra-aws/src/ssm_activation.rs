//! `aws_ssm_activation`: a Systems Manager hybrid activation, made by CreateActivation with
//! its tags (`infra:*` included: SSM cannot tag an activation afterwards). The id is the
//! activation id, as in Terraform (and its import ID). Every argument forces a new
//! activation, as in the provider, so an update only reads back.
//!
//! `activation_code` is in CreateActivation's answer and nowhere else: a read keeps the
//! prior's, an import has none (the provider's import leaves it empty too), and neither
//! has an activation adopted after a lost answer (a warning says so: `--replace` makes a new
//! one with a code).
//!
//! A refresh is one paginated DescribeActivations (50 per page) per chunk of 200 ids with
//! the `ActivationIds` filter. A new IAM role is not usable by SSM at once on AWS
//! (`ValidationException` "Nonexistent role ..."): the create is sent again for up to two
//! minutes, the provider's propagation timeout. A lost CreateActivation answer is found by
//! the activation's name (`DefaultInstanceName`, else the role) and the request's
//! `infra:*` tags; SSM takes no idempotency token.

use std::collections::BTreeMap;

use aws_sdk_ssm::types::{
    Activation, DescribeActivationsFilter, DescribeActivationsFilterKeys, Tag,
};
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{gone_is_done, missing};
use crate::util::{create_tag_pairs, get_str, pairs_have_infra_tags, put_tag_pairs};
use crate::AwsProvider;

pub(crate) const TYPE: &str = "aws_ssm_activation";

/// DescribeActivations' largest page.
const PAGE: i32 = 50;

fn filter(key: DescribeActivationsFilterKeys, values: Vec<String>) -> DescribeActivationsFilter {
    DescribeActivationsFilter::builder()
        .filter_key(key)
        .set_filter_values(Some(values))
        .build()
}

/// Every activation `filter` selects, all pages.
async fn describe(
    p: &AwsProvider,
    filter: DescribeActivationsFilter,
) -> Result<Vec<Activation>, ProviderError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = p
            .call("ssm:DescribeActivations", || {
                p.ssm()
                    .describe_activations()
                    .filters(filter.clone())
                    .max_results(PAGE)
                    .set_next_token(token.clone())
                    .send()
            })
            .await?;
        out.extend(page.activation_list().iter().cloned());
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

/// An instant as the provider stores it: RFC 3339 in UTC, whole seconds.
fn rfc3339(t: &DateTime) -> Option<String> {
    DateTime::from_secs(t.secs()).fmt(Format::DateTime).ok()
}

/// A configured `expiration_date` (RFC 3339, with or without an offset).
fn parse_date(s: &str) -> Option<DateTime> {
    DateTime::from_str(s, Format::DateTimeWithOffset).ok()
}

/// What `expiration_date` holds after a read: the prior's text while it names the cloud's
/// instant (to the second; written with another offset, say), else the cloud's.
pub(crate) fn expiration(cloud: Option<&DateTime>, prior: Option<&Value>) -> Value {
    let Some(cloud) = cloud else {
        return prior
            .map(|p| p.get("expiration_date"))
            .filter(|v| v.as_str().is_some())
            .cloned()
            .unwrap_or(Value::Null);
    };
    if let Some(text) = prior.and_then(|p| p.get("expiration_date").as_str()) {
        if parse_date(text).is_some_and(|d| d.secs() == cloud.secs()) {
            return Value::string(text);
        }
    }
    rfc3339(cloud).map(Value::string).unwrap_or(Value::Null)
}

fn text_or_null(s: Option<&str>) -> Value {
    match s {
        Some(s) if !s.is_empty() => Value::string(s),
        _ => Value::Null,
    }
}

fn to_value(a: &Activation, prior: Option<&Value>) -> Option<(String, Value)> {
    let id = a.activation_id()?.to_string();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("name".into(), text_or_null(a.default_instance_name()));
    m.insert("description".into(), text_or_null(a.description()));
    m.insert("iam_role".into(), text_or_null(a.iam_role()));
    m.insert(
        "registration_limit".into(),
        a.registration_limit()
            .map(|n| Value::Number(f64::from(n)))
            .unwrap_or(Value::Null),
    );
    m.insert(
        "registration_count".into(),
        Value::Number(f64::from(a.registrations_count().unwrap_or(0))),
    );
    m.insert("expired".into(), Value::Bool(a.expired()));
    m.insert(
        "expiration_date".into(),
        expiration(a.expiration_date(), prior),
    );
    // only the create's answer has it
    m.insert(
        "activation_code".into(),
        prior
            .map(|p| p.get("activation_code"))
            .filter(|v| v.as_str().is_some())
            .cloned()
            .unwrap_or(Value::Null),
    );
    put_tag_pairs(&mut m, a.tags().iter().map(|t| (t.key(), t.value())), prior);
    Some((id, Value::Map(m)))
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: BTreeMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    let chunks = crate::util::id_chunks(items.iter().map(|i| i.id.as_str()));
    let found = crate::util::describe_chunks(chunks, |ids| {
        describe(p, filter(DescribeActivationsFilterKeys::ActivationIds, ids))
    })
    .await?;
    Ok(found
        .iter()
        .filter_map(|a| {
            let prior = a.activation_id().and_then(|id| priors.get(id).copied());
            to_value(a, prior)
        })
        .filter(|(id, _)| priors.contains_key(id.as_str()))
        .collect())
}

fn tags(req: &CreateRequest) -> Result<Vec<Tag>, ProviderError> {
    create_tag_pairs(req)
        .into_iter()
        .map(|(k, v)| {
            Tag::builder().key(k).value(v).build().map_err(|e| {
                ProviderError::new(
                    ErrorKind::Rejected,
                    format!("{}: a tag could not be sent: {e}", req.address),
                )
            })
        })
        .collect()
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    let role = get_str(c, "iam_role").ok_or_else(|| missing(TYPE, "iam_role"))?;
    let expires = match get_str(c, "expiration_date") {
        None => None,
        Some(text) => Some(parse_date(text).ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "{}: expiration_date `{text}` is not an RFC 3339 time; write it as 2030-01-02T15:04:05Z",
                    req.address
                ),
            )
        })?),
    };
    let limit = c.get("registration_limit").as_f64().map(|n| n as i32);
    let tags = tags(req)?;
    let out = crate::event_rule::until_settled(
        &format!("{}'s role {role}", req.address),
        "Nonexistent role",
        || async {
            p.call("ssm:CreateActivation", || {
                p.ssm()
                    .create_activation()
                    .iam_role(role)
                    .set_default_instance_name(get_str(c, "name").map(str::to_string))
                    .set_description(get_str(c, "description").map(str::to_string))
                    .set_expiration_date(expires)
                    .set_registration_limit(limit)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await
        },
    )
    .await?;
    let id = out
        .activation_id()
        .ok_or_else(|| missing(TYPE, "ActivationId"))?
        .to_string();
    let mut prior = c.as_map().cloned().unwrap_or_default();
    prior.insert(
        "activation_code".into(),
        text_or_null(out.activation_code()),
    );
    p.read_back(TYPE, &id, &Value::Map(prior)).await
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    // every argument forces a new activation: nothing is sent
    let mut keep = desired.as_map().cloned().unwrap_or_default();
    keep.insert(
        "activation_code".into(),
        prior.get("activation_code").clone(),
    );
    p.read_back(TYPE, id, &Value::Map(keep)).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    gone_is_done(
        p.call("ssm:DeleteActivation", || {
            p.ssm().delete_activation().activation_id(id).send()
        })
        .await,
        &["InvalidActivation", "InvalidActivationId"],
    )
}

/// What a create of `req` whose answer was lost made: an activation of its name (or, with
/// no name, of its role) that carries the request's `infra:*` tags. Its code is lost with
/// the answer.
pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let c = &req.config;
    let by = match (get_str(c, "name"), get_str(c, "iam_role")) {
        (Some(name), _) if !name.is_empty() => filter(
            DescribeActivationsFilterKeys::DefaultInstanceName,
            vec![name.to_string()],
        ),
        (_, Some(role)) => filter(
            DescribeActivationsFilterKeys::IamRole,
            vec![role.to_string()],
        ),
        _ => return Ok(None),
    };
    let found: Vec<Activation> = describe(p, by)
        .await?
        .into_iter()
        .filter(|a| pairs_have_infra_tags(a.tags().iter().map(|t| (t.key(), t.value())), req))
        .filter(|a| {
            !a.activation_id()
                .is_some_and(|id| req.known_ids.iter().any(|k| k == id))
        })
        .collect();
    // the newest, should a retried create have landed twice
    let Some(a) = found
        .iter()
        .max_by_key(|a| a.created_date().map(DateTime::secs))
    else {
        return Ok(None);
    };
    tracing::warn!(
        address = %req.address,
        id = a.activation_id().unwrap_or_default(),
        "adopted an activation whose code only its create's answer had: activation_code is empty; `infra apply --replace {}` makes a new activation with a code",
        req.address
    );
    let mut prior = c.as_map().cloned().unwrap_or_default();
    prior.remove("activation_code");
    Ok(to_value(a, Some(&Value::Map(prior))).map(|(_, v)| v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiration_keeps_the_prior_text_for_the_same_instant() {
        let cloud = DateTime::from_secs(1_893_456_000); // 2030-01-01T00:00:00Z
        let prior = |t: &str| Value::map([("expiration_date", Value::string(t))]);
        assert_eq!(
            expiration(Some(&cloud), None).as_str(),
            Some("2030-01-01T00:00:00Z")
        );
        // another offset, the same instant: the configuration's text stays
        let p = prior("2030-01-01T01:00:00+01:00");
        assert_eq!(
            expiration(Some(&cloud), Some(&p)).as_str(),
            Some("2030-01-01T01:00:00+01:00")
        );
        // another instant: the cloud's, so the plan replaces the activation
        let p = prior("2030-01-02T00:00:00Z");
        assert_eq!(
            expiration(Some(&cloud), Some(&p)).as_str(),
            Some("2030-01-01T00:00:00Z")
        );
        // sub-second precision is dropped, as the provider's RFC 3339
        let fine = DateTime::from_fractional_secs(1_893_456_000, 0.25);
        assert_eq!(
            expiration(Some(&fine), None).as_str(),
            Some("2030-01-01T00:00:00Z")
        );
        assert!(expiration(None, None).is_null());
    }

    #[test]
    fn an_activation_reads_as_the_provider_stores_it() {
        let a = Activation::builder()
            .activation_id("6f432fbf-5868-4aa5-a247-be0d53aae2d8")
            .iam_role("hybrid")
            .default_instance_name("")
            .registration_limit(3)
            .registrations_count(1)
            .expired(false)
            .expiration_date(DateTime::from_secs(1_893_456_000))
            .tags(Tag::builder().key("team").value("edge").build().unwrap())
            .tags(
                Tag::builder()
                    .key("infra:stack")
                    .value("s")
                    .build()
                    .unwrap(),
            )
            .build();
        let prior = Value::map([
            ("activation_code", Value::string("code")),
            ("tags", Value::map([("team", Value::string("edge"))])),
        ]);
        let (id, v) = to_value(&a, Some(&prior)).unwrap();
        assert_eq!(id, "6f432fbf-5868-4aa5-a247-be0d53aae2d8");
        assert_eq!(v.get("activation_code").as_str(), Some("code"));
        assert!(v.get("name").is_null(), "an empty name is no name");
        assert_eq!(v.get("registration_limit").as_f64(), Some(3.0));
        assert_eq!(v.get("registration_count").as_f64(), Some(1.0));
        assert_eq!(v.get("expired"), &Value::Bool(false));
        assert!(v.get("tags_all").get("infra:stack").is_null());
        assert_eq!(v.get("tags_all").get("team").as_str(), Some("edge"));
        // imported: no code
        let (_, v) = to_value(&a, None).unwrap();
        assert!(v.get("activation_code").is_null());
    }
}
