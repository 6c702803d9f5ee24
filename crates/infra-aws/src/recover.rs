//! Creates that survive lost answers. A create call whose answer never came (a dropped
//! connection, a timeout, a 5xx) may still have been carried out; sending it again would
//! make a second object. So [`create`] first looks for what the lost attempt made (the
//! type's adoption: `infra:*` tags, idempotency token or natural key), waiting out
//! eventual consistency, and if it finds it, finishes the job with an update from what
//! exists to the configuration (tags, attributes, rules, routes the create would have set
//! after its first call). Only when nothing is found is the create sent again.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_route53::types::TagResourceType;
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, Provider, ProviderError};

use crate::util::create_tag_pairs;
use crate::AwsProvider;

/// When to look for what a create whose answer was lost made: at once, then again (a
/// Describe right after a Create may not show it yet on AWS).
const LOOK: [Duration; 3] = [
    Duration::ZERO,
    Duration::from_secs(1),
    Duration::from_secs(3),
];

/// Create `req`, adopting instead of duplicating when an attempt's answer was lost.
pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let e = match create_once(p, req).await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        if e.kind != ErrorKind::Transient {
            // an earlier attempt whose answer was lost landed after we looked: the name or
            // token is taken by what it made, so look again instead of failing
            if attempt > 1 && crate::errors::has_code(&e, exists_codes(&req.type_name)) {
                if let Some(found) = find(p, req).await? {
                    let id = found.get("id").as_str().unwrap_or_default().to_string();
                    tracing::info!(address = %req.address, id, "adopted what an earlier create attempt made");
                    return finish(p, req, &id, &found).await;
                }
            }
            return Err(e);
        }
        tracing::warn!(address = %req.address, attempt, error = %e, "a create call failed and may have been carried out; looking for what it made");
        if let Some(found) = find(p, req).await? {
            let id = found.get("id").as_str().unwrap_or_default().to_string();
            tracing::info!(address = %req.address, id, "adopted what a create whose answer was lost made");
            return finish(p, req, &id, &found).await;
        }
        if attempt >= p.caller.policy().max_attempts {
            return Err(e);
        }
        tokio::time::sleep(p.caller.policy().backoff(attempt)).await;
    }
}

/// Error codes with which a create is refused because its name or idempotency token is
/// already taken: after an attempt whose answer was lost, by what that attempt made.
fn exists_codes(type_name: &str) -> &'static [&'static str] {
    match type_name {
        "aws_iam_role"
        | "aws_iam_policy"
        | "aws_iam_instance_profile"
        | "aws_iam_openid_connect_provider" => &["EntityAlreadyExists"],
        "aws_eks_cluster" | "aws_eks_node_group" | "aws_eks_access_entry" | "aws_eks_addon" => {
            &["ResourceInUseException"]
        }
        "aws_route53_zone" => &["HostedZoneAlreadyExists"],
        "aws_route53_health_check" => &["HealthCheckAlreadyExists"],
        "aws_route53_zone_association" => &["ConflictingDomainExists"],
        "aws_route53_delegation_set" => &["DelegationSetAlreadyCreated"],
        "aws_security_group" => &["InvalidGroup.Duplicate"],
        "aws_subnet" => &["InvalidSubnet.Conflict"],
        "aws_network_acl_rule" => &["NetworkAclEntryAlreadyExists"],
        "aws_key_pair" => &["InvalidKeyPair.Duplicate"],
        // RunInstances with an earlier attempt's ClientToken and other parameters
        "aws_instance" => &["IdempotentParameterMismatch"],
        "aws_launch_template" => &[
            "InvalidLaunchTemplateName.AlreadyExistsException",
            "IdempotentParameterMismatch",
        ],
        "aws_eks_fargate_profile" | "aws_eks_identity_provider_config" => {
            &["ResourceInUseException"]
        }
        t if crate::subnet_groups::handles(t) => crate::subnet_groups::exists_codes(t),
        t if crate::kms_types::handles(t) => crate::kms_types::exists_codes(t),
        t if crate::autoscaling_types::handles(t) => crate::autoscaling_types::exists_codes(t),
        t if crate::s3_types::handles(t) => crate::s3_types::exists_codes(t),
        t if crate::sqs_events_types::handles(t) => crate::sqs_events_types::exists_codes(t),
        t if crate::eks_types::handles(t) => crate::eks_types::exists_codes(t),
        t => crate::log_types::exists_codes(t),
    }
}

/// What an earlier attempt of `req` made, if anything.
async fn find(p: &AwsProvider, req: &CreateRequest) -> Result<Option<Value>, ProviderError> {
    for wait in LOOK {
        tokio::time::sleep(wait).await;
        if let Some(v) = p.adopt(req).await? {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// Bring an adopted object to the configuration: the rest of what the create would have
/// done after its first call (an update from what exists to what is configured).
///
/// Route53 zones and health checks are tagged by a second call after the create, so one
/// whose create answer was lost has no tags at all, `infra:*` included; an update only
/// changes user tags, so the create's tags are put on here first.
async fn finish(
    p: &AwsProvider,
    req: &CreateRequest,
    id: &str,
    found: &Value,
) -> Result<Value, ProviderError> {
    let kind = match req.type_name.as_str() {
        "aws_route53_zone" => Some(TagResourceType::Hostedzone),
        "aws_route53_health_check" => Some(TagResourceType::Healthcheck),
        _ => None,
    };
    if let Some(kind) = kind {
        crate::route53::change_tags(p, kind, id, vec![], create_tag_pairs(req)).await?;
    }
    // a bucket is tagged by a second call too
    if req.type_name == crate::s3::BUCKET {
        Box::pin(crate::s3::tag_adopted(p, req, id)).await?;
    }
    let mut desired: BTreeMap<String, Value> = found.as_map().cloned().unwrap_or_default();
    if let Some(config) = req.config.as_map() {
        for (k, v) in config {
            if !matches!(v, Value::Null | Value::Unknown) {
                desired.insert(k.clone(), v.clone());
            }
        }
    }
    p.update(&req.type_name, id, found, &Value::Map(desired))
        .await
}

/// One create of `req`'s type.
async fn create_once(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    match req.type_name.as_str() {
        "aws_vpc" => Box::pin(crate::vpc::create(p, req)).await,
        "aws_subnet" => Box::pin(crate::subnet::create(p, req)).await,
        "aws_internet_gateway" => Box::pin(crate::gateways::create(p, req)).await,
        "aws_eip" => Box::pin(crate::eip_nat::create_eip(p, req)).await,
        "aws_nat_gateway" => Box::pin(crate::eip_nat::create_nat(p, req)).await,
        "aws_route_table" => Box::pin(crate::route_table::create_table(p, req)).await,
        "aws_route" => Box::pin(crate::route_table::create_route(p, req)).await,
        "aws_route_table_association" => {
            Box::pin(crate::route_table::create_association(p, req)).await
        }
        "aws_security_group" => Box::pin(crate::security_group::create(p, req)).await,
        "aws_security_group_rule" => Box::pin(crate::sg_rule::create(p, req)).await,
        crate::defaults::SECURITY_GROUP => Box::pin(crate::defaults::create_group(p, req)).await,
        crate::defaults::ROUTE_TABLE => Box::pin(crate::defaults::create_table(p, req)).await,
        crate::egress_gateway::TYPE => Box::pin(crate::egress_gateway::create(p, req)).await,
        crate::vpc_sg_rule::INGRESS | crate::vpc_sg_rule::EGRESS => {
            Box::pin(crate::vpc_sg_rule::create(p, req)).await
        }
        "aws_eks_cluster" => Box::pin(crate::eks::create(p, req)).await,
        "aws_eks_node_group" => Box::pin(crate::eks_nodegroup::create(p, req)).await,
        "aws_eks_access_entry" => Box::pin(crate::eks_access::create_entry(p, req)).await,
        "aws_eks_access_policy_association" => {
            Box::pin(crate::eks_access::create_association(p, req)).await
        }
        "aws_eks_addon" => Box::pin(crate::eks_addon::create(p, req)).await,
        "aws_route53_zone" => Box::pin(crate::route53::create_zone(p, req)).await,
        "aws_route53_record" => Box::pin(crate::route53_records::create(p, req)).await,
        "aws_route53_health_check" => Box::pin(crate::route53_health::create_check(p, req)).await,
        "aws_route53_zone_association" => {
            Box::pin(crate::route53_assoc::create_association(p, req)).await
        }
        "aws_route53_delegation_set" => Box::pin(crate::route53_assoc::create_set(p, req)).await,
        "aws_iam_role" => Box::pin(crate::iam::create_role(p, req)).await,
        "aws_iam_role_policy_attachment" => Box::pin(crate::iam::create_attachment(p, req)).await,
        "aws_iam_policy" => Box::pin(crate::iam_policy::create_policy(p, req)).await,
        "aws_iam_role_policy" => Box::pin(crate::iam_policy::create_role_policy(p, req)).await,
        "aws_iam_instance_profile" => Box::pin(crate::iam_profile::create_profile(p, req)).await,
        "aws_iam_openid_connect_provider" => {
            Box::pin(crate::iam_profile::create_oidc(p, req)).await
        }
        t if crate::ec2_net::handles(t) => Box::pin(crate::ec2_net::create(p, req)).await,
        t if crate::extra_types::handles(t) => Box::pin(crate::extra_types::create(p, req)).await,
        t if crate::node_types::handles(t) => Box::pin(crate::node_types::create(p, req)).await,
        t if crate::eks_types::handles(t) => Box::pin(crate::eks_types::create(p, req)).await,
        t if crate::subnet_groups::handles(t) => {
            Box::pin(crate::subnet_groups::create(p, req)).await
        }
        t if crate::log_types::handles(t) => Box::pin(crate::log_types::create(p, req)).await,
        t if crate::vpn_types::handles(t) => Box::pin(crate::vpn_types::create(p, req)).await,
        t if crate::kms_types::handles(t) => Box::pin(crate::kms_types::create(p, req)).await,
        t if crate::autoscaling_types::handles(t) => {
            Box::pin(crate::autoscaling_types::create(p, req)).await
        }
        t if crate::s3_types::handles(t) => Box::pin(crate::s3_types::create(p, req)).await,
        t if crate::sqs_events_types::handles(t) => {
            Box::pin(crate::sqs_events_types::create(p, req)).await
        }
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}
