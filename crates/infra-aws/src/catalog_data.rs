//! Data sources an EKS module reads about what AWS offers: `aws_ssm_parameter` (GetParameter;
//! the optimized AMIs' release versions are public parameters under `/aws/service/`),
//! `aws_eks_addon_version` (DescribeAddonVersions), `aws_eks_cluster_versions`
//! (DescribeClusterVersions) and `aws_service_principal` (pure: a service's principal in
//! the provider's Region, with the partitions' exceptions).

use aws_sdk_eks::types::{AddonInfo, ClusterVersionInformation, VersionStatus};
use aws_smithy_types::date_time::Format;
use infra_model::Value;
use infra_provider::{ErrorKind, ProviderError};

use crate::errors::has_code;
use crate::util::{get_bool, get_str, get_strings, opt};
use crate::AwsProvider;

pub(crate) const PARAMETER: &str = "aws_ssm_parameter";
pub(crate) const ADDON_VERSION: &str = "aws_eks_addon_version";
pub(crate) const CLUSTER_VERSIONS: &str = "aws_eks_cluster_versions";
pub(crate) const PRINCIPAL: &str = "aws_service_principal";

/// Whether `type_name` is a data source of this module.
pub(crate) fn handles(type_name: &str) -> bool {
    matches!(
        type_name,
        PARAMETER | ADDON_VERSION | CLUSTER_VERSIONS | PRINCIPAL
    )
}

pub(crate) async fn read(
    p: &AwsProvider,
    type_name: &str,
    args: &Value,
) -> Result<Value, ProviderError> {
    match type_name {
        PARAMETER => parameter(p, args).await,
        ADDON_VERSION => addon_version(p, args).await,
        CLUSTER_VERSIONS => cluster_versions(p, args).await,
        PRINCIPAL => principal(p.region(), args),
        other => Err(crate::errors::unsupported(other, "data source")),
    }
}

fn required<'a>(args: &'a Value, data: &str, attr: &str) -> Result<&'a str, ProviderError> {
    get_str(args, attr).ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Rejected,
            format!("data \"{data}\" needs `{attr}`"),
        )
    })
}

async fn parameter(p: &AwsProvider, args: &Value) -> Result<Value, ProviderError> {
    let name = required(args, PARAMETER, "name")?;
    let decrypt = get_bool(args, "with_decryption").unwrap_or(true);
    let out = match p
        .call("ssm:GetParameter", || {
            p.ssm()
                .get_parameter()
                .name(name)
                .with_decryption(decrypt)
                .send()
        })
        .await
    {
        Err(e) if has_code(&e, &["ParameterNotFound"]) => {
            return Err(ProviderError::not_found(format!(
                "no SSM parameter is named {name}; check the name and the region"
            )))
        }
        r => r?,
    };
    let prm = out
        .parameter()
        .ok_or_else(|| crate::errors::missing(PARAMETER, "Parameter"))?;
    let value = prm.value().unwrap_or_default();
    Ok(Value::map([
        ("id", Value::string(prm.name().unwrap_or(name))),
        ("name", Value::string(prm.name().unwrap_or(name))),
        ("with_decryption", Value::Bool(decrypt)),
        ("arn", opt(prm.arn())),
        ("type", opt(prm.r#type().map(|t| t.as_str()))),
        ("version", Value::Number(prm.version() as f64)),
        ("value", Value::Sensitive(Box::new(Value::string(value)))),
        ("insecure_value", Value::string(value)),
    ]))
}

/// The version Terraform picks: the newest (the first EKS lists) when `most_recent`, else
/// the one marked default for `k8s`.
fn pick_version(addons: &[AddonInfo], k8s: &str, most_recent: bool) -> Option<String> {
    let versions = addons.iter().flat_map(|a| a.addon_versions());
    for v in versions {
        if most_recent
            || v.compatibilities()
                .iter()
                .any(|c| c.default_version() && c.cluster_version() == Some(k8s))
        {
            return v.addon_version().map(str::to_string);
        }
    }
    None
}

async fn addon_version(p: &AwsProvider, args: &Value) -> Result<Value, ProviderError> {
    let name = required(args, ADDON_VERSION, "addon_name")?;
    let k8s = required(args, ADDON_VERSION, "kubernetes_version")?;
    let most_recent = get_bool(args, "most_recent").unwrap_or(false);
    let addons = p
        .paginate(
            "eks:DescribeAddonVersions",
            |token| {
                p.eks()
                    .describe_addon_versions()
                    .addon_name(name)
                    .kubernetes_version(k8s)
                    .set_next_token(token)
                    .send()
            },
            |page| page.addons(),
            |page| page.next_token(),
        )
        .await?;
    let version = pick_version(&addons, k8s, most_recent).ok_or_else(|| {
        ProviderError::not_found(format!(
            "EKS lists no {} version of add-on {name} for Kubernetes {k8s}; check the add-on's name and the version",
            if most_recent { "" } else { "default" }
        ))
    })?;
    Ok(Value::map([
        ("id", Value::string(name)),
        ("addon_name", Value::string(name)),
        ("kubernetes_version", Value::string(k8s)),
        ("most_recent", Value::Bool(most_recent)),
        ("version", Value::string(version)),
    ]))
}

fn date(d: Option<&aws_smithy_types::DateTime>) -> Value {
    opt(d.and_then(|d| d.fmt(Format::DateTime).ok()).as_deref())
}

fn version_value(v: &ClusterVersionInformation) -> Value {
    Value::map([
        ("cluster_type", opt(v.cluster_type())),
        ("cluster_version", opt(v.cluster_version())),
        (
            "default_platform_version",
            opt(v.default_platform_version()),
        ),
        ("default_version", Value::Bool(v.default_version())),
        (
            "end_of_extended_support_date",
            date(v.end_of_extended_support_date()),
        ),
        (
            "end_of_standard_support_date",
            date(v.end_of_standard_support_date()),
        ),
        (
            "kubernetes_patch_version",
            opt(v.kubernetes_patch_version()),
        ),
        ("release_date", date(v.release_date())),
        (
            "version_status",
            opt(v.version_status().map(VersionStatus::as_str)),
        ),
    ])
}

async fn cluster_versions(p: &AwsProvider, args: &Value) -> Result<Value, ProviderError> {
    let only = get_strings(args, "cluster_versions_only");
    let only = (!only.is_empty()).then_some(only);
    let versions = p
        .paginate(
            "eks:DescribeClusterVersions",
            |token| {
                p.eks()
                    .describe_cluster_versions()
                    .set_cluster_type(get_str(args, "cluster_type").map(str::to_string))
                    .set_default_only(get_bool(args, "default_only"))
                    .set_include_all(get_bool(args, "include_all"))
                    .set_cluster_versions(only.clone())
                    .set_version_status(get_str(args, "version_status").map(VersionStatus::from))
                    .set_next_token(token)
                    .send()
            },
            |page| page.cluster_versions(),
            |page| page.next_token(),
        )
        .await?;
    let mut m = args.as_map().cloned().unwrap_or_default();
    m.insert("id".into(), Value::string(p.region()));
    m.insert(
        "cluster_versions".into(),
        Value::List(versions.iter().map(version_value).collect()),
    );
    Ok(Value::Map(m))
}

/// The partition's DNS suffix when `service`'s principal uses it there, as in the provider
/// (after the AWS CDK's region-info table); `amazonaws.com` everywhere else.
fn principal_suffix(service: &str, region: &str) -> &'static str {
    let partition = if region.starts_with("cn-") {
        Some((
            "amazonaws.com.cn",
            &["codedeploy", "elasticmapreduce", "logs"][..],
        ))
    } else if region.starts_with("us-isob-") {
        Some(("sc2s.sgov.gov", &["dms", "logs"][..]))
    } else if region.starts_with("us-iso-") {
        Some((
            "c2s.ic.gov",
            &["cloudhsm", "config", "logs", "workspaces"][..],
        ))
    } else {
        None
    };
    match partition {
        Some((suffix, services)) if services.contains(&service) => suffix,
        _ => "amazonaws.com",
    }
}

fn principal(region: &str, args: &Value) -> Result<Value, ProviderError> {
    let service = required(args, PRINCIPAL, "service_name")?;
    let suffix = principal_suffix(service, region);
    Ok(Value::map([
        ("id", Value::string(format!("{service}.{region}.{suffix}"))),
        ("name", Value::string(format!("{service}.{suffix}"))),
        ("service_name", Value::string(service)),
        ("suffix", Value::string(suffix)),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_eks::types::{AddonVersionInfo, Compatibility};

    #[test]
    fn principals_follow_the_partition() {
        let v = principal(
            "us-east-1",
            &Value::map([("service_name", Value::string("ec2"))]),
        )
        .unwrap();
        assert_eq!(v.get("name").as_str(), Some("ec2.amazonaws.com"));
        assert_eq!(v.get("id").as_str(), Some("ec2.us-east-1.amazonaws.com"));
        assert_eq!(principal_suffix("logs", "cn-north-1"), "amazonaws.com.cn");
        assert_eq!(principal_suffix("ec2", "cn-north-1"), "amazonaws.com");
        assert_eq!(principal_suffix("dms", "us-isob-east-1"), "sc2s.sgov.gov");
        assert_eq!(principal_suffix("dms", "us-iso-east-1"), "amazonaws.com");
        assert_eq!(principal_suffix("config", "us-iso-east-1"), "c2s.ic.gov");
        assert_eq!(principal_suffix("logs", "us-gov-west-1"), "amazonaws.com");
    }

    #[test]
    fn the_default_or_the_newest_add_on_version() {
        let version = |v: &str, default_for: &[&str]| {
            let mut b = AddonVersionInfo::builder().addon_version(v);
            for k in ["1.32", "1.33"] {
                b = b.compatibilities(
                    Compatibility::builder()
                        .cluster_version(k)
                        .default_version(default_for.contains(&k))
                        .build(),
                );
            }
            b.build()
        };
        let addons = [AddonInfo::builder()
            .addon_versions(version("v2", &["1.33"]))
            .addon_versions(version("v1", &["1.32"]))
            .build()];
        assert_eq!(pick_version(&addons, "1.32", false).as_deref(), Some("v1"));
        assert_eq!(pick_version(&addons, "1.32", true).as_deref(), Some("v2"));
        assert_eq!(pick_version(&addons, "1.33", false).as_deref(), Some("v2"));
        assert_eq!(pick_version(&addons, "1.30", false), None);
    }
}
