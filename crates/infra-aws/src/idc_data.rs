//! The data sources of IAM Identity Center and ECR Public that terraform-aws-eks's
//! examples read:
//!
//! - `aws_ssoadmin_instances`: `arns` and `identity_store_ids` of the Identity Center
//!   instances (ListInstances), id = the region, as the provider;
//! - `aws_identitystore_group`: one group of an identity store, by `group_id`
//!   (DescribeGroup), by `alternate_identifier` (a unique attribute or an external id,
//!   GetGroupId then DescribeGroup), or by the deprecated `filter` (a unique attribute);
//! - `aws_ecrpublic_authorization_token`: a token for ECR Public's registry
//!   (GetAuthorizationToken), split into `user_name` and `password` as the provider does;
//!   the token and the password are sensitive. ECR Public is served from us-east-1 only,
//!   so the call goes to the data source's own `region` when it has one (the example sets
//!   `region = "us-east-1"` in a stack of another region).

use aws_sdk_identitystore::types::{AlternateIdentifier, ExternalId, UniqueAttribute};
use aws_smithy_types::date_time::Format;
use aws_smithy_types::Document;
use infra_model::Value;
use infra_provider::{ErrorKind, ProviderError};

use crate::errors::is_not_found;
use crate::util::{first_block, get_str};
use crate::AwsProvider;

const INSTANCES: &str = "aws_ssoadmin_instances";
const GROUP: &str = "aws_identitystore_group";
const TOKEN: &str = "aws_ecrpublic_authorization_token";

pub(crate) fn handles(type_name: &str) -> bool {
    matches!(type_name, INSTANCES | GROUP | TOKEN)
}

pub(crate) async fn read(
    p: &AwsProvider,
    type_name: &str,
    args: &Value,
) -> Result<Value, ProviderError> {
    match type_name {
        INSTANCES => instances(p).await,
        GROUP => group(p, args).await,
        TOKEN => token(p, args).await,
        other => Err(crate::errors::unsupported(other, "data source")),
    }
}

fn rejected(message: String) -> ProviderError {
    ProviderError::new(ErrorKind::Rejected, message)
}

async fn instances(p: &AwsProvider) -> Result<Value, ProviderError> {
    let all = p
        .paginate(
            "sso-admin:ListInstances",
            |token| p.ssoadmin().list_instances().set_next_token(token).send(),
            |page| page.instances(),
            |page| page.next_token(),
        )
        .await?;
    let list = |f: fn(&aws_sdk_ssoadmin::types::InstanceMetadata) -> Option<&str>| {
        Value::List(all.iter().filter_map(f).map(Value::string).collect())
    };
    Ok(Value::map([
        ("id", Value::string(p.region())),
        ("arns", list(|i| i.instance_arn())),
        ("identity_store_ids", list(|i| i.identity_store_id())),
    ]))
}

/// What the configuration looks the group up by: an alternate identifier for GetGroupId,
/// or `None` when `group_id` names it.
fn identifier(args: &Value) -> Result<Option<AlternateIdentifier>, ProviderError> {
    let unique = |b: &Value| -> Result<Option<AlternateIdentifier>, ProviderError> {
        let (Some(path), Some(value)) =
            (get_str(b, "attribute_path"), get_str(b, "attribute_value"))
        else {
            return Ok(None);
        };
        UniqueAttribute::builder()
            .attribute_path(path)
            .attribute_value(Document::String(value.to_string()))
            .build()
            .map(|u| Some(AlternateIdentifier::UniqueAttribute(u)))
            .map_err(|e| rejected(format!("data.{GROUP}: {e}")))
    };
    let alternate = first_block(args, "alternate_identifier");
    let external = first_block(alternate, "external_id");
    if let (Some(id), Some(issuer)) = (get_str(external, "id"), get_str(external, "issuer")) {
        return ExternalId::builder()
            .id(id)
            .issuer(issuer)
            .build()
            .map(|e| Some(AlternateIdentifier::ExternalId(e)))
            .map_err(|e| rejected(format!("data.{GROUP}: {e}")));
    }
    if let Some(found) = unique(first_block(alternate, "unique_attribute"))? {
        return Ok(Some(found));
    }
    unique(first_block(args, "filter"))
}

async fn group(p: &AwsProvider, args: &Value) -> Result<Value, ProviderError> {
    let store = get_str(args, "identity_store_id")
        .ok_or_else(|| crate::errors::missing(&format!("data.{GROUP}"), "identity_store_id"))?;
    let by = identifier(args)?;
    let id = match (get_str(args, "group_id"), by) {
        (Some(id), None) => id.to_string(),
        (Some(_), Some(_)) => {
            return Err(rejected(format!(
                "data.{GROUP}: set one of `group_id`, `alternate_identifier` and `filter`, not several"
            )))
        }
        (None, None) => {
            return Err(rejected(format!(
                "data.{GROUP}: set `group_id`, or `alternate_identifier` with `unique_attribute` (e.g. DisplayName) or `external_id`"
            )))
        }
        (None, Some(alt)) => {
            let found = p
                .call("identitystore:GetGroupId", || {
                    p.identitystore()
                        .get_group_id()
                        .identity_store_id(store)
                        .alternate_identifier(alt.clone())
                        .send()
                })
                .await;
            match found {
                Ok(out) => out.group_id().to_string(),
                Err(e) if is_not_found(&e) => {
                    return Err(ProviderError::not_found(format!(
                        "data.{GROUP}: no group of identity store {store} matches {}",
                        describe(&alt)
                    )))
                }
                Err(e) => return Err(e),
            }
        }
    };
    let out = match p
        .call("identitystore:DescribeGroup", || {
            p.identitystore()
                .describe_group()
                .identity_store_id(store)
                .group_id(&id)
                .send()
        })
        .await
    {
        Ok(out) => out,
        Err(e) if is_not_found(&e) => {
            return Err(ProviderError::not_found(format!(
                "data.{GROUP}: identity store {store} has no group {id}"
            )))
        }
        Err(e) => return Err(e),
    };
    let external_ids = out
        .external_ids()
        .iter()
        .map(|e| {
            Value::map([
                ("id", Value::string(e.id())),
                ("issuer", Value::string(e.issuer())),
            ])
        })
        .collect();
    let mut m = args.as_map().cloned().unwrap_or_default();
    m.insert("id".into(), Value::string(out.group_id()));
    m.insert("group_id".into(), Value::string(out.group_id()));
    m.insert(
        "identity_store_id".into(),
        Value::string(out.identity_store_id()),
    );
    m.insert("display_name".into(), crate::util::opt(out.display_name()));
    m.insert("description".into(), crate::util::opt(out.description()));
    m.insert("external_ids".into(), Value::List(external_ids));
    Ok(Value::Map(m))
}

fn describe(alt: &AlternateIdentifier) -> String {
    match alt {
        AlternateIdentifier::UniqueAttribute(u) => format!(
            "{} = {}",
            u.attribute_path(),
            match u.attribute_value() {
                Document::String(s) => s.clone(),
                other => format!("{other:?}"),
            }
        ),
        AlternateIdentifier::ExternalId(e) => format!("external id {} of {}", e.id(), e.issuer()),
        _ => "the alternate identifier".into(),
    }
}

/// `user:password`, base64-encoded, as ECR answers it.
fn split_token(token: &str) -> Result<(String, String), ProviderError> {
    let bad = || {
        ProviderError::new(
            ErrorKind::Other,
            format!("data.{TOKEN}: the authorization token is not base64 of `user:password`"),
        )
    };
    let raw = aws_smithy_types::base64::decode(token).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (user, password) = text.split_once(':').ok_or_else(bad)?;
    Ok((user.to_string(), password.to_string()))
}

async fn token(p: &AwsProvider, args: &Value) -> Result<Value, ProviderError> {
    let region = get_str(args, "region")
        .filter(|r| !r.is_empty())
        .unwrap_or(p.region())
        .to_string();
    let out = p
        .call("ecr-public:GetAuthorizationToken", || {
            p.ecrpublic()
                .get_authorization_token()
                .customize()
                .config_override(
                    aws_sdk_ecrpublic::config::Builder::default()
                        .region(aws_config::Region::new(region.clone())),
                )
                .send()
        })
        .await?;
    let data = out.authorization_data().ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Other,
            format!("data.{TOKEN}: GetAuthorizationToken answered no authorization data"),
        )
    })?;
    let token = data.authorization_token().unwrap_or_default();
    let (user, password) = split_token(token)?;
    // RFC 3339 to the second, as the provider writes it
    let expires = data
        .expires_at()
        .and_then(|d| {
            aws_smithy_types::DateTime::from_secs(d.secs())
                .fmt(Format::DateTime)
                .ok()
        })
        .map(Value::string)
        .unwrap_or(Value::Null);
    let secret = |s: &str| Value::Sensitive(Box::new(Value::string(s)));
    Ok(Value::map([
        ("id", Value::string(&region)),
        ("region", Value::string(&region)),
        ("authorization_token", secret(token)),
        ("expires_at", expires),
        ("password", secret(&password)),
        ("user_name", Value::string(user)),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_splits_into_user_and_password() {
        let t = aws_smithy_types::base64::encode("AWS:secret:with:colons");
        assert_eq!(
            split_token(&t).unwrap(),
            ("AWS".to_string(), "secret:with:colons".to_string())
        );
        assert!(split_token("!!")
            .unwrap_err()
            .message
            .contains("user:password"));
        let no_colon = aws_smithy_types::base64::encode("AWS");
        assert!(split_token(&no_colon).is_err());
    }

    #[test]
    fn a_group_is_looked_up_by_one_identifier() {
        let pair = |p: &str, v: &str| {
            Value::List(vec![Value::map([
                ("attribute_path", Value::string(p)),
                ("attribute_value", Value::string(v)),
            ])])
        };
        let by_name = Value::map([(
            "alternate_identifier",
            Value::List(vec![Value::map([(
                "unique_attribute",
                pair("DisplayName", "Admins"),
            )])]),
        )]);
        let alt = identifier(&by_name).unwrap().unwrap();
        assert_eq!(describe(&alt), "DisplayName = Admins");
        let by_filter = Value::map([("filter", pair("DisplayName", "Ops"))]);
        assert_eq!(
            describe(&identifier(&by_filter).unwrap().unwrap()),
            "DisplayName = Ops"
        );
        let external = Value::map([(
            "alternate_identifier",
            Value::List(vec![Value::map([(
                "external_id",
                Value::List(vec![Value::map([
                    ("id", Value::string("x1")),
                    ("issuer", Value::string("okta")),
                ])]),
            )])]),
        )]);
        assert_eq!(
            describe(&identifier(&external).unwrap().unwrap()),
            "external id x1 of okta"
        );
        assert!(identifier(&Value::map([("group_id", Value::string("g"))]))
            .unwrap()
            .is_none());
    }
}
