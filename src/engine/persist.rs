//! The apply engine's persistence, over the SQLite store: an intent before every create,
//! and each resource's row committed the moment its operation returns.

use async_trait::async_trait;
use infra_apply::Persist;
use infra_model::{Address, Value};
use infra_provider::CreateRequest;
use infra_state::{Intent, ResourceRecord, ResourceStatus, Store};

/// Keep the data sources read in the state (mode `data`), so that `infra output` works
/// offline and outputs evaluate from the state alone.
pub async fn record_data_sources(
    store: &Store,
    stack: &str,
    data: &std::collections::BTreeMap<Address, Value>,
) -> anyhow::Result<()> {
    for (addr, value) in data {
        let id = value
            .get("id")
            .as_str()
            .unwrap_or(&addr.type_name)
            .to_string();
        let mut r = ResourceRecord::new(addr.to_string(), &addr.type_name, &id, value.to_json());
        r.mode = "data".into();
        store.put_resource(stack, &r).await?;
    }
    Ok(())
}

pub struct StorePersist {
    pub store: Store,
    pub stack: String,
    pub run_id: String,
}

fn mode_of(address: &Address) -> &'static str {
    match address.mode {
        infra_model::Mode::Managed => "managed",
        infra_model::Mode::Data => "data",
    }
}

impl StorePersist {
    fn record(
        &self,
        address: &Address,
        attrs: &Value,
        depends_on: &[Address],
        status: ResourceStatus,
    ) -> ResourceRecord {
        let id = attrs.get("id").as_str().unwrap_or_default().to_string();
        let mut r = ResourceRecord::new(
            address.to_string(),
            &address.type_name,
            &id,
            attrs.to_json(),
        );
        r.mode = mode_of(address).to_string();
        r.dependencies = depends_on.iter().map(ToString::to_string).collect();
        r.status = status;
        // apply runs each step inside its change's provider configuration
        r.provider = infra_provider::provider_config();
        r
    }
}

#[async_trait]
impl Persist for StorePersist {
    async fn intent(&self, req: &CreateRequest) -> Result<(), String> {
        let mut intent = Intent::create(
            req.address.to_string(),
            req.type_name.clone(),
            req.config.to_json(),
            self.run_id.clone(),
        );
        intent.token = req.token.clone();
        intent.provider = infra_provider::provider_config();
        self.store
            .record_intent(&self.stack, &intent)
            .await
            .map_err(|e| e.to_string())
    }

    async fn created(
        &self,
        address: &Address,
        attrs: &Value,
        depends_on: &[Address],
        ready: bool,
    ) -> Result<(), String> {
        let status = if ready {
            ResourceStatus::Ready
        } else {
            ResourceStatus::Creating
        };
        let record = self.record(address, attrs, depends_on, status);
        self.store
            .put_resource(&self.stack, &record)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn updated(
        &self,
        address: &Address,
        attrs: &Value,
        depends_on: &[Address],
    ) -> Result<(), String> {
        let record = self.record(address, attrs, depends_on, ResourceStatus::Ready);
        self.store
            .put_resource(&self.stack, &record)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn deleted(&self, address: &Address, deposed: Option<&str>) -> Result<(), String> {
        self.store
            .remove_resource(&self.stack, &address.to_string(), deposed)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn abandon(&self, address: &Address) -> Result<(), String> {
        self.store
            .clear_intent(&self.stack, &address.to_string())
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn depose(&self, address: &Address) -> Result<Option<String>, String> {
        let addr = address.to_string();
        let Some(current) = self
            .store
            .resource(&self.stack, &addr)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(None);
        };
        self.store
            .set_deposed(&self.stack, &addr, &current.cloud_id)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Some(current.cloud_id))
    }
}
