//! Data sources of EKS nodes and private clusters: `aws_eks_cluster_auth` (a token for
//! the cluster's API server, made locally), `aws_ami` (DescribeImages) and
//! `aws_vpc_endpoint_service` (DescribeVpcEndpointServices).
//!
//! The token is what aws-iam-authenticator makes and EKS verifies: a GET of STS
//! GetCallerIdentity presigned for 60 s with the `x-k8s-aws-id: <cluster name>` header
//! signed, written as `k8s-aws-v1.` and the URL in unpadded base64url. It is signed with
//! the provider's credentials by the aws-sigv4 crate, as the SDK signs its own requests.

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::Credentials;
use aws_sdk_ec2::types::Image;
use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use infra_model::Value;
use infra_provider::{ErrorKind, ProviderError};

use crate::lookups::{filters_of, lookup_error};
use crate::util::{get_bool, get_str, get_strings, opt, strings};
use crate::AwsProvider;

/// The header that binds a token to one cluster.
const CLUSTER_HEADER: &str = "x-k8s-aws-id";
/// How long a token is valid: aws-iam-authenticator's presign expiry.
const TOKEN_EXPIRES: Duration = Duration::from_secs(60);

/// RFC 3986 percent-encoding of a query value (everything but unreserved characters).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The token for `cluster` in `region`, signed with `creds` at `now`.
pub(crate) fn cluster_token(
    creds: Credentials,
    region: &str,
    cluster: &str,
    now: SystemTime,
) -> Result<String, ProviderError> {
    let fail = |e: &dyn std::fmt::Display| {
        ProviderError::new(
            ErrorKind::Other,
            format!("could not sign the EKS token of {cluster}: {e}"),
        )
    };
    let host = format!("sts.{region}.amazonaws.com");
    let base = format!("https://{host}/?Action=GetCallerIdentity&Version=2011-06-15");
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(TOKEN_EXPIRES);
    let identity = creds.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(now)
        .settings(settings)
        .build()
        .map_err(|e| fail(&e))?
        .into();
    let headers = [("host", host.as_str()), (CLUSTER_HEADER, cluster)];
    let request = SignableRequest::new(
        "GET",
        base.as_str(),
        headers.into_iter(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| fail(&e))?;
    let (instructions, _) = sign(request, &params).map_err(|e| fail(&e))?.into_parts();
    let (_, query) = instructions.into_parts();
    let mut url = base;
    for (k, v) in query {
        url.push('&');
        url.push_str(k);
        url.push('=');
        url.push_str(&encode(&v));
    }
    let b64 = aws_smithy_types::base64::encode(url.as_bytes());
    let b64url: String = b64
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    Ok(format!("k8s-aws-v1.{b64url}"))
}

/// `aws_eks_cluster_auth`: `name` -> `id`, `token` (sensitive).
pub(crate) async fn cluster_auth(p: &AwsProvider, args: &Value) -> Result<Value, ProviderError> {
    let name = get_str(args, "name").ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Rejected,
            "data \"aws_eks_cluster_auth\" needs `name`, the cluster's name",
        )
    })?;
    let provider = p.credentials().ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Credentials,
            "no AWS credentials to sign the EKS token with",
        )
    })?;
    let creds = provider.provide_credentials().await.map_err(|e| {
        ProviderError::new(
            ErrorKind::Credentials,
            format!("no AWS credentials to sign the EKS token with: {e}"),
        )
    })?;
    let token = cluster_token(creds, p.region(), name, SystemTime::now())?;
    Ok(Value::map([
        ("name", Value::string(name)),
        ("id", Value::string(name)),
        ("token", Value::Sensitive(Box::new(Value::string(token)))),
    ]))
}

fn image_value(args: &Value, i: &Image, p: &AwsProvider) -> Value {
    let mut m = args.as_map().cloned().unwrap_or_default();
    let id = i.image_id().unwrap_or_default();
    let s = |x: Option<&str>| opt(x);
    m.insert("id".into(), Value::string(id));
    m.insert("image_id".into(), Value::string(id));
    m.insert(
        "arn".into(),
        Value::string(format!("arn:aws:ec2:{}::image/{id}", p.region())),
    );
    m.insert("name".into(), s(i.name()));
    m.insert("description".into(), s(i.description()));
    m.insert(
        "architecture".into(),
        s(i.architecture().map(|a| a.as_str())),
    );
    m.insert("creation_date".into(), s(i.creation_date()));
    m.insert("deprecation_time".into(), s(i.deprecation_time()));
    m.insert("hypervisor".into(), s(i.hypervisor().map(|h| h.as_str())));
    m.insert("image_location".into(), s(i.image_location()));
    m.insert("image_owner_alias".into(), s(i.image_owner_alias()));
    m.insert("image_type".into(), s(i.image_type().map(|t| t.as_str())));
    m.insert("kernel_id".into(), s(i.kernel_id()));
    m.insert("owner_id".into(), s(i.owner_id()));
    m.insert("platform".into(), s(i.platform().map(|x| x.as_str())));
    m.insert("platform_details".into(), s(i.platform_details()));
    m.insert("ramdisk_id".into(), s(i.ramdisk_id()));
    m.insert("root_device_name".into(), s(i.root_device_name()));
    m.insert(
        "root_device_type".into(),
        s(i.root_device_type().map(|t| t.as_str())),
    );
    let root_snapshot = i
        .block_device_mappings()
        .iter()
        .find(|b| b.device_name() == i.root_device_name())
        .and_then(|b| b.ebs())
        .and_then(|e| e.snapshot_id());
    m.insert("root_snapshot_id".into(), s(root_snapshot));
    m.insert("sriov_net_support".into(), s(i.sriov_net_support()));
    m.insert("state".into(), s(i.state().map(|x| x.as_str())));
    m.insert("usage_operation".into(), s(i.usage_operation()));
    m.insert(
        "virtualization_type".into(),
        s(i.virtualization_type().map(|x| x.as_str())),
    );
    m.insert("boot_mode".into(), s(i.boot_mode().map(|x| x.as_str())));
    m.insert("tpm_support".into(), s(i.tpm_support().map(|x| x.as_str())));
    m.insert(
        "imds_support".into(),
        s(i.imds_support().map(|x| x.as_str())),
    );
    m.insert("public".into(), Value::Bool(i.public().unwrap_or(false)));
    m.insert(
        "ena_support".into(),
        Value::Bool(i.ena_support().unwrap_or(false)),
    );
    m.insert(
        "tags".into(),
        Value::Map(
            i.tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), Value::string(t.value()?))))
                .collect(),
        ),
    );
    let bdm: Vec<serde_json::Value> = i
        .block_device_mappings()
        .iter()
        .map(|b| {
            let ebs = b.ebs().map(|e| {
                serde_json::json!({
                    "delete_on_termination": e.delete_on_termination().map(|x| x.to_string()),
                    "encrypted": e.encrypted().map(|x| x.to_string()),
                    "iops": e.iops().map(|x| x.to_string()),
                    "snapshot_id": e.snapshot_id(),
                    "throughput": e.throughput().map(|x| x.to_string()),
                    "volume_size": e.volume_size().map(|x| x.to_string()),
                    "volume_type": e.volume_type().map(|x| x.as_str()),
                })
            });
            serde_json::json!({
                "device_name": b.device_name(),
                "no_device": b.no_device(),
                "virtual_name": b.virtual_name(),
                "ebs": ebs.unwrap_or(serde_json::json!({})),
            })
        })
        .collect();
    m.insert(
        "block_device_mappings".into(),
        Value::from_json(&serde_json::Value::Array(bdm)),
    );
    Value::Map(m)
}

/// `aws_ami`: the image matching `owners`, `executable_users` and `filter` blocks; with
/// several, the newest when `most_recent` is set, else an error, as in Terraform.
pub(crate) async fn ami(p: &AwsProvider, args: &Value) -> Result<Value, ProviderError> {
    let owners = get_strings(args, "owners");
    let users = get_strings(args, "executable_users");
    let filters = filters_of(args);
    let deprecated = get_bool(args, "include_deprecated").unwrap_or(false);
    let out = p
        .call("ec2:DescribeImages", || {
            p.ec2()
                .describe_images()
                .set_owners((!owners.is_empty()).then(|| owners.clone()))
                .set_executable_users((!users.is_empty()).then(|| users.clone()))
                .set_filters((!filters.is_empty()).then(|| filters.clone()))
                .include_deprecated(deprecated)
                .send()
        })
        .await?;
    let mut images: Vec<&Image> = out.images().iter().collect();
    let mut searched = format!("owners {owners:?} and {} filter(s)", filters.len());
    // `name_regex` is applied on the client to what the filters returned, as the provider
    // does (Go's RE2 syntax; Rust's regex crate reads the same syntax, without
    // backreferences either)
    if let Some(pattern) = get_str(args, "name_regex") {
        let re = regex::Regex::new(pattern).map_err(|e| {
            ProviderError::new(
                ErrorKind::Rejected,
                format!("data \"aws_ami\": `name_regex` is not a valid regular expression: {e}"),
            )
        })?;
        images.retain(|i| i.name().is_some_and(|n| re.is_match(n)));
        searched.push_str(&format!(" and name_regex {pattern:?}"));
    }
    match images.len() {
        0 => return Err(lookup_error("AMI", &searched, 0)),
        1 => {}
        n if get_bool(args, "most_recent") != Some(true) => {
            return Err(ProviderError::new(
                ErrorKind::Rejected,
                format!("data \"aws_ami\": {n} AMIs match {searched}; narrow the filters or set `most_recent = true`"),
            ))
        }
        _ => {}
    }
    // creation dates are ISO 8601 in UTC: they sort as strings
    images.sort_by(|a, b| a.creation_date().cmp(&b.creation_date()));
    let newest = images
        .last()
        .copied()
        .ok_or_else(|| lookup_error("AMI", &searched, 0))?;
    Ok(image_value(args, newest, p))
}

/// `aws_vpc_endpoint_service`: by `service` (`s3` -> `com.amazonaws.<region>.s3`) or
/// `service_name`, optionally of one `service_type`, or by `filter` blocks.
pub(crate) async fn vpc_endpoint_service(
    p: &AwsProvider,
    args: &Value,
) -> Result<Value, ProviderError> {
    let name = match (get_str(args, "service_name"), get_str(args, "service")) {
        (Some(n), _) => Some(n.to_string()),
        (None, Some(s)) => Some(format!("com.amazonaws.{}.{s}", p.region())),
        (None, None) => None,
    };
    let filters = filters_of(args);
    if name.is_none() && filters.is_empty() {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            "data \"aws_vpc_endpoint_service\" needs `service`, `service_name` or `filter` blocks",
        ));
    }
    let regions = {
        let r = crate::util::get_strings(args, "service_regions");
        (!r.is_empty()).then_some(r)
    };
    let out = p
        .call("ec2:DescribeVpcEndpointServices", || {
            p.ec2()
                .describe_vpc_endpoint_services()
                .set_service_names(name.clone().map(|n| vec![n]))
                .set_service_regions(regions.clone())
                .set_filters((!filters.is_empty()).then(|| filters.clone()))
                .send()
        })
        .await?;
    let want_type = get_str(args, "service_type");
    let found: Vec<_> = out
        .service_details()
        .iter()
        .filter(|d| name.as_deref().is_none_or(|n| d.service_name() == Some(n)))
        .filter(|d| {
            want_type.is_none_or(|t| {
                d.service_type()
                    .iter()
                    .any(|x| x.service_type().map(|s| s.as_str()) == Some(t))
            })
        })
        .collect();
    let searched = name.clone().unwrap_or_else(|| "the filters".into());
    let [d] = found.as_slice() else {
        return Err(lookup_error("VPC endpoint service", &searched, found.len()));
    };
    let mut m = args.as_map().cloned().unwrap_or_default();
    let service_type = want_type.map(str::to_string).or_else(|| {
        d.service_type()
            .first()
            .and_then(|x| x.service_type())
            .map(|s| s.as_str().to_string())
    });
    let mut zones: Vec<&str> = d.availability_zones().iter().map(String::as_str).collect();
    zones.sort_unstable();
    let mut dns: Vec<&str> = d
        .base_endpoint_dns_names()
        .iter()
        .map(String::as_str)
        .collect();
    dns.sort_unstable();
    let service_id = d.service_id().unwrap_or_default();
    m.insert("id".into(), Value::string(service_id));
    m.insert("service_id".into(), Value::string(service_id));
    m.insert("service_name".into(), opt(d.service_name()));
    m.insert("service_type".into(), opt(service_type.as_deref()));
    m.insert("owner".into(), opt(d.owner()));
    m.insert(
        "acceptance_required".into(),
        Value::Bool(d.acceptance_required().unwrap_or(false)),
    );
    m.insert("availability_zones".into(), strings(zones));
    m.insert("base_endpoint_dns_names".into(), strings(dns));
    m.insert(
        "manages_vpc_endpoints".into(),
        Value::Bool(d.manages_vpc_endpoints().unwrap_or(false)),
    );
    m.insert("private_dns_name".into(), opt(d.private_dns_name()));
    m.insert(
        "vpc_endpoint_policy_supported".into(),
        Value::Bool(d.vpc_endpoint_policy_supported().unwrap_or(false)),
    );
    m.insert(
        "arn".into(),
        Value::string(format!(
            "arn:aws:ec2:{}:{}:vpc-endpoint-service/{service_id}",
            p.region(),
            d.owner().unwrap_or_default()
        )),
    );
    m.insert(
        "tags".into(),
        Value::Map(
            d.tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), Value::string(t.value()?))))
                .collect(),
        ),
    );
    Ok(Value::Map(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_b64url(s: &str) -> Vec<u8> {
        let mut std: String = s
            .chars()
            .map(|c| match c {
                '-' => '+',
                '_' => '/',
                c => c,
            })
            .collect();
        while std.len() % 4 != 0 {
            std.push('=');
        }
        aws_smithy_types::base64::decode(&std).unwrap()
    }

    fn query(url: &str) -> std::collections::BTreeMap<String, String> {
        let q = url.split_once('?').unwrap().1;
        q.split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), v.to_string())
            })
            .collect()
    }

    #[test]
    fn cluster_token_is_aws_iam_authenticators_presigned_get_caller_identity() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret", Some("session".into()), None, "t");
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600); // 2026-01-01
        let token = cluster_token(creds.clone(), "us-east-1", "prod", at).unwrap();
        let b64 = token.strip_prefix("k8s-aws-v1.").expect("prefix");
        assert!(!b64.contains(['=', '+', '/']), "unpadded base64url: {b64}");
        let url = String::from_utf8(decode_b64url(b64)).unwrap();
        assert!(
            url.starts_with(
                "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&"
            ),
            "{url}"
        );
        let q = query(&url);
        assert_eq!(q["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
        assert_eq!(
            q["X-Amz-Credential"],
            "AKIDEXAMPLE%2F20260101%2Fus-east-1%2Fsts%2Faws4_request"
        );
        assert_eq!(q["X-Amz-Date"], "20260101T000000Z");
        assert_eq!(q["X-Amz-Expires"], "60");
        assert_eq!(q["X-Amz-SignedHeaders"], "host%3Bx-k8s-aws-id");
        assert_eq!(q["X-Amz-Security-Token"], "session");
        let sig = &q["X-Amz-Signature"];
        assert_eq!(sig.len(), 64, "{sig}");
        assert!(sig.chars().all(|c| c.is_ascii_hexdigit()), "{sig}");
        // the signature covers the cluster's name and the time
        let other = cluster_token(creds.clone(), "us-east-1", "dev", at).unwrap();
        let other_q = query(&String::from_utf8(decode_b64url(&other[11..])).unwrap());
        assert_ne!(other_q["X-Amz-Signature"], *sig);
        let again = cluster_token(creds, "us-east-1", "prod", at).unwrap();
        assert_eq!(again, token, "deterministic for the same inputs");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("a/b c;d~e"), "a%2Fb%20c%3Bd~e");
    }
}
