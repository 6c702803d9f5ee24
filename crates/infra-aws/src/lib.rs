//! The AWS provider: the only crate that talks to the AWS SDK.
//!
//! [`AwsProvider`] implements [`infra_provider::Provider`] for the network layer (VPCs,
//! subnets, gateways, addresses, routes, security groups and their data sources). Each
//! resource family has its own module; every AWS call goes through [`call::Caller`],
//! which counts, bounds, rate-limits, retries and logs it.
//!
//! Reads are batched per type: one filtered, paginated Describe call covers every id of a
//! type (chunked by 200 ids, the filter limit). A filter omits ids that no longer exist,
//! where an id list would fail the whole call with `*.NotFound`.

pub mod call;
pub mod errors;

mod data;
mod eip_nat;
mod gateways;
mod route_table;
mod security_group;
mod sg_rules;
mod subnet;
mod util;
mod vpc;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::SdkConfig;
use infra_model::Value;
use infra_provider::{ApiCalls, CreateRequest, ErrorKind, Provider, ProviderError, ReadRequest};

pub use call::{Caller, RetryPolicy};

/// Calls in flight at once, over all operations.
pub const MAX_IN_FLIGHT: usize = 16;

/// The AWS provider. Cheap to share behind an `Arc`; every method takes `&self`.
#[derive(Debug)]
pub struct AwsProvider {
    ec2: aws_sdk_ec2::Client,
    sts: aws_sdk_sts::Client,
    region: String,
    caller: Caller,
    /// How long waiters (NAT gateway available / deleted, dependency retries) wait at most.
    wait_timeout: Duration,
}

impl AwsProvider {
    /// A provider from the standard credential chain (environment, profiles, SSO, ...) and
    /// the SDK's own `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` variables. `region`
    /// (the provider block's) wins over `AWS_REGION` and the profile's region.
    pub async fn from_env(region: Option<String>) -> Result<Self, ProviderError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            // one attempt per SDK call: our Caller retries, so it counts every request
            .retry_config(RetryConfig::standard().with_max_attempts(1))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            );
        if let Some(r) = region.filter(|r| !r.is_empty()) {
            loader = loader.region(Region::new(r));
        }
        let config = loader.load().await;
        Self::check_credentials(&config).await?;
        Self::from_config(&config)
    }

    async fn check_credentials(config: &SdkConfig) -> Result<(), ProviderError> {
        use aws_credential_types::provider::ProvideCredentials;
        let hint = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (for LocalStack: eval \"$(localstack/up)\")";
        let Some(provider) = config.credentials_provider() else {
            return Err(ProviderError::new(
                ErrorKind::Credentials,
                format!("no AWS credentials provider is configured; {hint}"),
            ));
        };
        provider
            .provide_credentials()
            .await
            .map(|_| ())
            .map_err(|e| {
                ProviderError::new(
                    ErrorKind::Credentials,
                    format!("no AWS credentials found ({e}); {hint}"),
                )
            })
    }

    /// A provider from an already loaded SDK configuration (tests, embedding). The
    /// configuration's retry setting should be a single attempt.
    pub fn from_config(config: &SdkConfig) -> Result<Self, ProviderError> {
        let region = config.region().map(|r| r.as_ref().to_string()).ok_or_else(|| {
            ProviderError::new(ErrorKind::Credentials, "no AWS region is configured; set `region` in the provider \"aws\" block, or AWS_REGION (for LocalStack: eval \"$(localstack/up)\")")
        })?;
        Ok(AwsProvider {
            ec2: aws_sdk_ec2::Client::new(config),
            sts: aws_sdk_sts::Client::new(config),
            region,
            caller: Caller::new(MAX_IN_FLIGHT, RetryPolicy::default()),
            wait_timeout: Duration::from_secs(15 * 60),
        })
    }

    /// Replace the retry policy (tests use short backoffs).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.caller = Caller::new(MAX_IN_FLIGHT, policy);
        self
    }

    /// Replace how long waiters wait at most.
    pub fn with_wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_timeout = timeout;
        self
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub(crate) fn ec2(&self) -> &aws_sdk_ec2::Client {
        &self.ec2
    }

    pub(crate) fn sts(&self) -> &aws_sdk_sts::Client {
        &self.sts
    }

    /// Make one AWS call through the [`Caller`]: `f` builds and sends the request; it is
    /// called again for each retry.
    pub(crate) async fn call<T, E, F, Fut>(
        &self,
        op: &'static str,
        f: F,
    ) -> Result<T, ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        self.caller
            .run(op, || {
                let fut = f();
                async move { fut.await.map_err(|e| errors::from_sdk(op, e)) }
            })
            .await
    }

    /// Run a delete-like action that AWS refuses while dependents are still going away
    /// (`DependencyViolation`, an address still in use): retry it until the wait timeout.
    /// A not-found error is success.
    pub(crate) async fn settle<F, Fut>(&self, what: &str, f: F) -> Result<(), ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<(), ProviderError>>,
    {
        const BUSY: &[&str] = &[
            "DependencyViolation",
            "InvalidIPAddress.InUse",
            "InvalidAddress.Locked",
        ];
        let started = std::time::Instant::now();
        let mut delay = Duration::from_secs(2);
        loop {
            match f().await {
                Ok(()) => return Ok(()),
                Err(e) if errors::is_not_found(&e) => return Ok(()),
                Err(e)
                    if errors::has_code(&e, BUSY)
                        && started.elapsed() + delay < self.wait_timeout =>
                {
                    tracing::info!(what, error = %e, "still in use; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(15));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Poll `check` until it returns `Some`, with a growing interval, up to the wait timeout.
    pub(crate) async fn poll<T, F, Fut>(&self, what: &str, check: F) -> Result<T, ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Option<T>, ProviderError>>,
    {
        let started = std::time::Instant::now();
        let mut delay = Duration::from_millis(500);
        loop {
            if let Some(v) = check().await? {
                return Ok(v);
            }
            if started.elapsed() + delay > self.wait_timeout {
                return Err(ProviderError::new(
                    ErrorKind::Timeout,
                    format!("gave up waiting for {what} after {}s; check it in the AWS console and run again", self.wait_timeout.as_secs()),
                ));
            }
            tracing::debug!(what, delay_ms = delay.as_millis() as u64, "waiting");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(10));
        }
    }

    /// Read one resource just written, waiting out eventual consistency (a new id may not
    /// be visible to Describe at once on AWS).
    pub(crate) async fn read_back(
        &self,
        type_name: &str,
        id: &str,
        prior: &Value,
    ) -> Result<Value, ProviderError> {
        let item = [ReadRequest {
            id: id.to_string(),
            prior: prior.clone(),
        }];
        for attempt in 0..8u32 {
            if let Some(v) = self.read(type_name, &item).await?.remove(id) {
                return Ok(v);
            }
            tokio::time::sleep(Duration::from_millis(250 * 2u64.pow(attempt.min(4)))).await;
        }
        Err(ProviderError::not_found(format!(
            "{type_name} {id} was written but cannot be read back; run again to refresh it"
        )))
    }
}

#[async_trait]
impl Provider for AwsProvider {
    async fn read(
        &self,
        type_name: &str,
        items: &[ReadRequest],
    ) -> Result<BTreeMap<String, Value>, ProviderError> {
        if items.is_empty() {
            return Ok(BTreeMap::new());
        }
        let mut found = match type_name {
            "aws_vpc" => vpc::read(self, items).await,
            "aws_subnet" => subnet::read(self, items).await,
            "aws_internet_gateway" => gateways::read(self, items).await,
            "aws_eip" => eip_nat::read_eips(self, items).await,
            "aws_nat_gateway" => eip_nat::read_nats(self, items).await,
            "aws_route_table" => route_table::read_tables(self, items).await,
            "aws_route" => route_table::read_routes(self, items).await,
            "aws_route_table_association" => route_table::read_associations(self, items).await,
            "aws_security_group" => security_group::read(self, items).await,
            other => Err(errors::unsupported(other, "resource type")),
        }?;
        // only what was asked for, whatever a filter the server ignored returned
        let asked: std::collections::HashSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
        found.retain(|id, _| asked.contains(id.as_str()));
        Ok(found)
    }

    async fn create(&self, req: &CreateRequest) -> Result<Value, ProviderError> {
        tracing::info!(address = %req.address, "creating");
        match req.type_name.as_str() {
            "aws_vpc" => vpc::create(self, req).await,
            "aws_subnet" => subnet::create(self, req).await,
            "aws_internet_gateway" => gateways::create(self, req).await,
            "aws_eip" => eip_nat::create_eip(self, req).await,
            "aws_nat_gateway" => eip_nat::create_nat(self, req).await,
            "aws_route_table" => route_table::create_table(self, req).await,
            "aws_route" => route_table::create_route(self, req).await,
            "aws_route_table_association" => route_table::create_association(self, req).await,
            "aws_security_group" => security_group::create(self, req).await,
            other => Err(errors::unsupported(other, "resource type")),
        }
    }

    async fn wait_ready(
        &self,
        type_name: &str,
        id: &str,
        current: &Value,
    ) -> Result<Value, ProviderError> {
        match type_name {
            "aws_nat_gateway" => eip_nat::wait_nat_available(self, id, current).await,
            _ => Ok(current.clone()),
        }
    }

    async fn update(
        &self,
        type_name: &str,
        id: &str,
        prior: &Value,
        desired: &Value,
    ) -> Result<Value, ProviderError> {
        match type_name {
            "aws_vpc" => vpc::update(self, id, prior, desired).await,
            "aws_subnet" => subnet::update(self, id, prior, desired).await,
            "aws_internet_gateway" => gateways::update(self, id, prior, desired).await,
            "aws_eip" | "aws_nat_gateway" => {
                util::update_tags(self, id, prior, desired).await?;
                self.read_back(type_name, id, desired).await
            }
            "aws_route_table" => route_table::update_table(self, id, prior, desired).await,
            "aws_route" => route_table::update_route(self, id, prior, desired).await,
            "aws_route_table_association" => {
                route_table::update_association(self, id, prior, desired).await
            }
            "aws_security_group" => security_group::update(self, id, prior, desired).await,
            other => Err(errors::unsupported(other, "resource type")),
        }
    }

    async fn delete(&self, type_name: &str, id: &str, prior: &Value) -> Result<(), ProviderError> {
        tracing::info!(type_name, id, "deleting");
        match type_name {
            "aws_vpc" => vpc::delete(self, id).await,
            "aws_subnet" => subnet::delete(self, id).await,
            "aws_internet_gateway" => gateways::delete(self, id).await,
            "aws_eip" => eip_nat::delete_eip(self, id).await,
            "aws_nat_gateway" => eip_nat::delete_nat(self, id).await,
            "aws_route_table" => route_table::delete_table(self, id).await,
            "aws_route" => route_table::delete_route(self, id, prior).await,
            "aws_route_table_association" => route_table::delete_association(self, id).await,
            "aws_security_group" => security_group::delete(self, id, prior).await,
            other => Err(errors::unsupported(other, "resource type")),
        }
    }

    async fn adopt(&self, req: &CreateRequest) -> Result<Option<Value>, ProviderError> {
        match req.type_name.as_str() {
            "aws_vpc" => vpc::adopt(self, req).await,
            "aws_subnet" => subnet::adopt(self, req).await,
            "aws_internet_gateway" => gateways::adopt(self, req).await,
            "aws_eip" => eip_nat::adopt_eip(self, req).await,
            "aws_nat_gateway" => eip_nat::adopt_nat(self, req).await,
            "aws_route_table" => route_table::adopt_table(self, req).await,
            "aws_route" => route_table::adopt_route(self, req).await,
            "aws_route_table_association" => route_table::adopt_association(self, req).await,
            "aws_security_group" => security_group::adopt(self, req).await,
            other => Err(errors::unsupported(other, "resource type")),
        }
    }

    async fn read_data(&self, type_name: &str, args: &Value) -> Result<Value, ProviderError> {
        match type_name {
            "aws_availability_zones" => data::availability_zones(self, args).await,
            "aws_region" => data::region(self, args).await,
            "aws_caller_identity" => data::caller_identity(self).await,
            other => Err(errors::unsupported(other, "data source")),
        }
    }

    fn api_calls(&self) -> ApiCalls {
        self.caller.api_calls()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_region_is_a_credentials_error_that_says_what_to_set() {
        let config = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .build();
        let err = AwsProvider::from_config(&config).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Credentials);
        assert!(err.message.contains("AWS_REGION"), "{err}");
    }

    #[tokio::test]
    async fn missing_credentials_is_a_credentials_error_that_says_what_to_set() {
        let config = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .build();
        let err = AwsProvider::check_credentials(&config).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Credentials);
        assert!(err.message.contains("AWS_ACCESS_KEY_ID"), "{err}");
    }
}
