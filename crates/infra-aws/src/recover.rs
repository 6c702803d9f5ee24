//! Creates that survive lost answers. A create call whose answer never came (a dropped
//! connection, a timeout, a 5xx) may still have been carried out; sending it again would
//! make a second object. So [`create`] first looks for what the lost attempt made (the
//! type's adoption: `infra:*` tags, idempotency token or natural key), waiting out
//! eventual consistency, and if it finds it, finishes the job with an update from what
//! exists to the configuration (tags, attributes, rules, routes the create would have set
//! after its first call). Only when nothing is found is the create sent again.

use std::collections::BTreeMap;
use std::time::Duration;

use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, Provider, ProviderError};

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
async fn finish(
    p: &AwsProvider,
    req: &CreateRequest,
    id: &str,
    found: &Value,
) -> Result<Value, ProviderError> {
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
        "aws_vpc" => crate::vpc::create(p, req).await,
        "aws_subnet" => crate::subnet::create(p, req).await,
        "aws_internet_gateway" => crate::gateways::create(p, req).await,
        "aws_eip" => crate::eip_nat::create_eip(p, req).await,
        "aws_nat_gateway" => crate::eip_nat::create_nat(p, req).await,
        "aws_route_table" => crate::route_table::create_table(p, req).await,
        "aws_route" => crate::route_table::create_route(p, req).await,
        "aws_route_table_association" => crate::route_table::create_association(p, req).await,
        "aws_security_group" => crate::security_group::create(p, req).await,
        "aws_eks_cluster" => crate::eks::create(p, req).await,
        "aws_eks_node_group" => crate::eks_nodegroup::create(p, req).await,
        "aws_route53_zone" => crate::route53::create_zone(p, req).await,
        "aws_route53_record" => crate::route53_records::create(p, req).await,
        "aws_route53_health_check" => crate::route53_health::create_check(p, req).await,
        "aws_iam_role" => crate::iam::create_role(p, req).await,
        "aws_iam_role_policy_attachment" => crate::iam::create_attachment(p, req).await,
        other => Err(crate::errors::unsupported(other, "resource type")),
    }
}
