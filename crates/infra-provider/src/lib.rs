//! The narrow interface between the engine and a cloud: batched reads, create, wait,
//! update, delete, adoption after a crash, and data-source reads.
//!
//! `infra-aws` implements it against the AWS SDK; [`fake::FakeProvider`] implements it
//! in memory for the engine's unit tests. Both pass the conformance suite in
//! [`conformance`].
//!
//! Values passed in and out are attribute maps shaped by the resource's schema in
//! `infra_model::schema`: every attribute present, nested blocks as lists of maps.

use std::collections::BTreeMap;
use std::fmt;

use async_trait::async_trait;
use infra_model::{Address, Value};

pub mod conformance;
pub mod fake;

/// Everything needed to create one resource. The provider tags taggable resources with
/// `infra:stack = stack` and `infra:address = address` at creation, and passes `token`
/// as the idempotency token where the API takes one.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateRequest {
    pub stack: String,
    pub address: Address,
    pub type_name: String,
    /// Desired attributes, wholly known (the engine resolves references before creating).
    pub config: Value,
    /// Idempotency token, stable across reruns of the same intent.
    pub token: String,
    /// Ids the state already holds at this address, which adoption must never return:
    /// the old object of a create_before_destroy replacement carries the same `infra:*`
    /// tags as the new one. Empty for a fresh create.
    pub known_ids: Vec<String>,
}

/// One resource to refresh: its cloud id and what the state last recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadRequest {
    pub id: String,
    pub prior: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The resource does not exist (anymore).
    NotFound,
    /// Rate limited (`RequestLimitExceeded`, `Throttling`); retried with backoff.
    Throttled,
    /// 5xx, dropped connection, timeout on the wire; retried with backoff.
    Transient,
    /// No or invalid credentials.
    Credentials,
    /// The API rejected the request (4xx): the user must change something.
    Rejected,
    /// A waiter gave up.
    Timeout,
    /// The operation was cancelled (Ctrl-C).
    Cancelled,
    Other,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ProviderError {
    pub kind: ErrorKind,
    /// The API's error code, e.g. `InvalidVpcID.NotFound`.
    pub code: Option<String>,
    pub message: String,
    /// The API operation, e.g. `ec2:CreateVpc`.
    pub operation: Option<String>,
}

impl ProviderError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ProviderError {
            kind,
            code: None,
            message: message.into(),
            operation: None,
        }
    }
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }
    pub fn with_operation(mut self, op: impl Into<String>) -> Self {
        self.operation = Some(op.into());
        self
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        ProviderError::new(ErrorKind::NotFound, message)
    }
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Throttled | ErrorKind::Transient)
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(op) = &self.operation {
            write!(f, "{op}: ")?;
        }
        if let Some(code) = &self.code {
            write!(f, "{code}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// API calls made, by `service:Operation`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApiCalls(pub BTreeMap<String, u64>);

impl ApiCalls {
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }
    pub fn add(&mut self, op: &str) {
        *self.0.entry(op.to_string()).or_default() += 1;
    }
    /// Calls made since `earlier` was taken.
    pub fn since(&self, earlier: &ApiCalls) -> ApiCalls {
        ApiCalls(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), v - earlier.0.get(k).copied().unwrap_or(0)))
                .filter(|(_, v)| *v > 0)
                .collect(),
        )
    }
    pub fn get(&self, op: &str) -> u64 {
        self.0.get(op).copied().unwrap_or(0)
    }
}

#[async_trait]
pub trait Provider: Send + Sync {
    /// Refresh many resources of one type in as few calls as the API allows (one
    /// paginated Describe call with all ids, never one call per resource). Returns the
    /// current attributes of each id that still exists; an id missing from the result was
    /// deleted outside `infra`.
    async fn read(
        &self,
        type_name: &str,
        items: &[ReadRequest],
    ) -> Result<BTreeMap<String, Value>, ProviderError>;

    /// Create one resource and return its attributes as soon as the cloud has given it an
    /// id. It may still be pending: the engine records it, then calls [`Provider::wait_ready`].
    async fn create(&self, req: &CreateRequest) -> Result<Value, ProviderError>;

    /// Wait until a resource created by [`Provider::create`] is ready (a NAT gateway
    /// `available`), returning its final attributes.
    async fn wait_ready(
        &self,
        type_name: &str,
        id: &str,
        current: &Value,
    ) -> Result<Value, ProviderError>;

    /// Change a resource in place from `prior` to `desired` (wholly known). Only
    /// attributes that do not force a replacement differ.
    async fn update(
        &self,
        type_name: &str,
        id: &str,
        prior: &Value,
        desired: &Value,
    ) -> Result<Value, ProviderError>;

    /// Delete a resource and wait until it is gone. Deleting something already gone is Ok.
    async fn delete(&self, type_name: &str, id: &str, prior: &Value) -> Result<(), ProviderError>;

    /// Find what an earlier, interrupted attempt of `req` created (by the `infra:*` tags,
    /// the idempotency token, or a natural key such as a route's destination), so that a
    /// rerun adopts it instead of creating a duplicate.
    async fn adopt(&self, req: &CreateRequest) -> Result<Option<Value>, ProviderError>;

    /// Find the object that Terraform's import ID `import_id` names (`infra import`,
    /// `import` blocks, `infra state migrate-from-terraform`) and return its attributes,
    /// `None` when there is no such object. `config` is the resource's configuration as
    /// far as it is known (unknown parts are `Value::Unknown`): reads take from it what
    /// the API does not return, as they do from a prior state.
    ///
    /// The default reads `import_id` with [`Provider::read`]: a type whose id is
    /// Terraform's import ID needs nothing more. A provider overrides this for types whose
    /// import ID is composite and must be turned into an id first.
    async fn import(
        &self,
        type_name: &str,
        import_id: &str,
        config: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let item = [ReadRequest {
            id: import_id.to_string(),
            prior: config.clone(),
        }];
        Ok(self.read(type_name, &item).await?.remove(import_id))
    }

    /// Read a data source (`aws_availability_zones`, `aws_region`, `aws_caller_identity`).
    async fn read_data(&self, type_name: &str, args: &Value) -> Result<Value, ProviderError>;

    /// The API calls made so far.
    fn api_calls(&self) -> ApiCalls;

    /// What an operation in progress on `id` is waiting for (a delete that the cloud
    /// refuses until a dependent is gone), for progress lines. `None`: nothing to say.
    fn waiting_for(&self, _type_name: &str, _id: &str) -> Option<String> {
        None
    }
}

/// The cloud id of a resource from its attributes.
pub fn id_of(attrs: &Value) -> Option<&str> {
    attrs.get("id").as_str()
}

tokio::task_local! {
    static STEP_TIMEOUT: Option<std::time::Duration>;
}

/// Run one apply step with the resource's `timeouts` value for that step's kind (create,
/// update, delete) visible to the provider's waits ([`step_timeout`]).
pub async fn with_step_timeout<F: std::future::Future>(
    timeout: Option<std::time::Duration>,
    f: F,
) -> F::Output {
    STEP_TIMEOUT.scope(timeout, f).await
}

/// The `timeouts` value of the step being applied, if the resource sets one: a provider's
/// waits use it instead of their default timeout.
pub fn step_timeout() -> Option<std::time::Duration> {
    STEP_TIMEOUT.try_with(|t| *t).ok().flatten()
}

tokio::task_local! {
    static PROVIDER_CONFIG: String;
}

/// Run `f` against the `aws` provider configuration `key` (`""` the default one, else its
/// alias; `DesiredInstance::provider`): every provider call made inside goes to that
/// configuration (the binary's router reads [`provider_config`]), and what apply persists
/// inside records it. Apply runs each step inside one; refresh each batch of one type and
/// configuration.
pub async fn with_provider_config<F: std::future::Future>(key: &str, f: F) -> F::Output {
    PROVIDER_CONFIG.scope(key.to_string(), f).await
}

/// The provider configuration the current task runs against (`""`, the default one,
/// outside [`with_provider_config`]).
pub fn provider_config() -> String {
    PROVIDER_CONFIG.try_with(Clone::clone).unwrap_or_default()
}
