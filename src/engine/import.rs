//! Bringing existing cloud objects under management: `infra import ADDR ID`, `import`
//! blocks, `infra state migrate-from-terraform` and `infra state rebuild` all end here.
//! The object is read through `Provider::import` (Terraform's import ID) or found by its
//! `infra:*` tags (`Provider::adopt`), with the resource's configuration as the prior.

use std::collections::BTreeMap;

use infra_model::{Address, Mode, Value};
use infra_provider::{CreateRequest, Provider};
use infra_state::{ResourceRecord, ResourceStatus};

/// One resource instance of the configuration, evaluated as far as the values given allow.
#[derive(Debug, Clone)]
pub struct Desired {
    pub config: Value,
    pub depends_on: Vec<Address>,
    /// The provider configuration (`DesiredInstance::provider`).
    pub provider: String,
}

/// Every managed resource instance of the stack, evaluated against `values` (what the state
/// holds, by address) and the data sources read (`data`); what depends on an instance
/// missing from both is unknown.
pub fn desired(
    stack: &infra_config::Stack,
    values: &BTreeMap<Address, Value>,
    data: &BTreeMap<Address, Value>,
) -> BTreeMap<Address, Desired> {
    let mut out = BTreeMap::new();
    let _ = stack.walk(&mut |inst| {
        if inst.address.mode == Mode::Data {
            return data.get(&inst.address).cloned().unwrap_or(Value::Unknown);
        }
        out.insert(
            inst.address.clone(),
            Desired {
                config: inst.config.clone().unmark_deep(),
                depends_on: inst.depends_on.clone(),
                provider: inst.provider.clone(),
            },
        );
        values.get(&inst.address).cloned().unwrap_or(Value::Unknown)
    });
    out
}

/// A ready state row for an object found in the cloud.
pub fn record(address: &Address, attrs: &Value, desired: &Desired) -> ResourceRecord {
    let id = attrs.get("id").as_str().unwrap_or_default().to_string();
    let mut r = ResourceRecord::new(address.to_string(), &address.type_name, id, attrs.to_json());
    r.dependencies = desired.depends_on.iter().map(ToString::to_string).collect();
    r.status = ResourceStatus::Ready;
    r.provider = desired.provider.clone();
    r
}

/// Read the object Terraform's import ID names into a state row for `address`.
pub async fn import(
    provider: &dyn Provider,
    address: &Address,
    import_id: &str,
    desired: &Desired,
) -> anyhow::Result<ResourceRecord> {
    let type_name = &address.type_name;
    let read = provider.import(type_name, import_id, &desired.config);
    let found = infra_provider::with_provider_config(&desired.provider, read)
        .await
        .map_err(|e| anyhow::anyhow!("cannot import {address} from `{import_id}`: {e}"))?;
    let Some(attrs) = found else {
        anyhow::bail!(
            "cannot import {address}: no {type_name} `{import_id}` exists in this account and region; the import ID of {type_name} is {}",
            infra_aws::import::id_format(type_name)
        );
    };
    if attrs.get("id").as_str().unwrap_or_default().is_empty() {
        anyhow::bail!(
            "cannot import {address}: the cloud returned {type_name} `{import_id}` without an id"
        );
    }
    Ok(record(address, &attrs, desired))
}

/// Find the object tagged `infra:stack = stack`, `infra:address = address` (or, for
/// untaggable types, the one the configuration's natural key names: a route's table and
/// destination, an association's subnet) and return its state row.
pub async fn find_tagged(
    provider: &dyn Provider,
    stack: &str,
    address: &Address,
    desired: &Desired,
) -> anyhow::Result<Option<ResourceRecord>> {
    let req = CreateRequest {
        stack: stack.to_string(),
        address: address.clone(),
        type_name: address.type_name.clone(),
        config: desired.config.clone(),
        token: String::new(),
        known_ids: Vec::new(),
    };
    let found = infra_provider::with_provider_config(&desired.provider, provider.adopt(&req))
        .await
        .map_err(|e| anyhow::anyhow!("looking for {address} in the cloud: {e}"))?;
    Ok(found
        .filter(|a| !a.get("id").as_str().unwrap_or_default().is_empty())
        .map(|a| record(address, &a, desired)))
}
