//! What apply needs from the outside: somewhere to persist results, and a way to
//! re-evaluate configuration with the values known at apply time. The binary implements
//! both (over `infra-state` and `infra-config`); apply knows neither crate.

use std::collections::BTreeMap;

use async_trait::async_trait;
use infra_model::{Address, Value};
use infra_provider::CreateRequest;

/// Durable record of each resource operation, one transaction per call. Errors are
/// messages for the user.
#[async_trait]
pub trait Persist: Send + Sync {
    /// Committed before the create call: if the process dies mid-create, the next run finds
    /// the intent and adopts what the cloud created (by token or `infra:*` tags).
    async fn intent(&self, req: &CreateRequest) -> Result<(), String>;

    /// The resource row, committed the moment create returns (`ready = false`) and again
    /// after `wait_ready` (`ready = true`). Clears the intent.
    async fn created(
        &self,
        address: &Address,
        attrs: &Value,
        depends_on: &[Address],
        ready: bool,
    ) -> Result<(), String>;

    async fn updated(
        &self,
        address: &Address,
        attrs: &Value,
        depends_on: &[Address],
    ) -> Result<(), String>;

    /// The object is gone: the current row (`deposed = None`) or a deposed object's row.
    async fn deleted(&self, address: &Address, deposed: Option<&str>) -> Result<(), String>;

    /// `create_before_destroy`: move the current object aside before its replacement is
    /// created. Returns the old object's id (None when there was no current object).
    async fn depose(&self, address: &Address) -> Result<Option<String>, String>;

    /// The cloud rejected the create (a 4xx answer): nothing was made, so the intent can go
    /// at once instead of making the next run look for what an interrupted create left.
    async fn abandon(&self, address: &Address) -> Result<(), String> {
        let _ = address;
        Ok(())
    }
}

/// Re-evaluates one instance's configuration with the values now known.
pub trait Resolver: Send + Sync {
    /// The evaluated configuration of `address` (as `DesiredInstance::config`: what the
    /// user wrote, without defaults), given the attributes of every resource and data
    /// source known so far.
    fn resolve(
        &self,
        address: &Address,
        values: &BTreeMap<Address, Value>,
    ) -> Result<Value, String>;
}
