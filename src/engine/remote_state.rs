//! `data "terraform_remote_state"`: another stack's outputs, answered from the state store
//! rather than the cloud. [`RemoteState`] decorates the cloud provider: it reads this data
//! source itself and delegates everything else, so both the read before planning and the
//! read during apply (for arguments known only then) go through it.
//!
//! Reading another stack never takes its lock: its outputs are one read-only snapshot
//! (the state of its last successful apply).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use infra_model::schema::REMOTE_STATE_BACKEND;
use infra_model::Value;
use infra_provider::{ApiCalls, CreateRequest, ErrorKind, Provider, ProviderError, ReadRequest};
use infra_state::Store;

pub const TYPE_NAME: &str = "terraform_remote_state";

/// The cloud provider, with `terraform_remote_state` read from `store` (the state file of
/// this run) or from the state file a data source names with `config.path`.
pub struct RemoteState {
    inner: Arc<dyn Provider>,
    store: Store,
    /// What to call this run's state in messages when `store` has no file behind it (a
    /// plan before the state file exists works on an empty in-memory state).
    label: Option<PathBuf>,
}

impl RemoteState {
    #[cfg(test)]
    pub fn wrap(inner: Arc<dyn Provider>, store: Store) -> Arc<dyn Provider> {
        Arc::new(RemoteState {
            inner,
            store,
            label: None,
        })
    }

    /// As [`RemoteState::wrap`], naming `label` as this run's state file in messages.
    pub fn wrap_labelled(
        inner: Arc<dyn Provider>,
        store: Store,
        label: PathBuf,
    ) -> Arc<dyn Provider> {
        Arc::new(RemoteState {
            inner,
            store,
            label: Some(label),
        })
    }

    async fn read(&self, args: &Value) -> Result<Value, ProviderError> {
        let rejected = |m: String| ProviderError::new(ErrorKind::Rejected, m);
        let backend = args.get("backend").as_str().unwrap_or_default();
        if backend != REMOTE_STATE_BACKEND {
            return Err(rejected(format!(
                "unsupported backend \"{backend}\"; infra supports only backend = \"{REMOTE_STATE_BACKEND}\" with config = {{ stack = \"<stack name>\" }}"
            )));
        }
        let config = args.get("config");
        let Some(stack) = config.get("stack").as_str().filter(|s| !s.is_empty()) else {
            return Err(rejected(
                "config has no `stack`; name the stack to read: config = { stack = \"dev\" }"
                    .into(),
            ));
        };
        let own = self.store.path().map(Path::to_path_buf);
        let (store, file) = match config.get("path").as_str() {
            Some(p) if !same_file(Path::new(p), own.as_deref()) => {
                let path = PathBuf::from(p);
                let store = Store::open_read_only(&path).await.map_err(|e| {
                    rejected(format!("cannot read state file {}: {e}", path.display()))
                })?;
                (store, path)
            }
            _ => (
                self.store.clone(),
                own.or_else(|| self.label.clone())
                    .unwrap_or_else(|| PathBuf::from("(in memory)")),
            ),
        };
        let recorded = store.outputs(stack).await;
        if store.path() != self.store.path() {
            store.close().await;
        }
        let recorded = recorded.map_err(|e| {
            rejected(format!(
                "cannot read stack `{stack}` from state file {}: {e}",
                file.display()
            ))
        })?;
        let defaults = match args.get("defaults") {
            Value::Map(m) => Some(m.clone()),
            _ => None,
        };
        let outputs: BTreeMap<String, Value> = match (recorded, defaults) {
            (Some(recorded), defaults) => {
                let mut out = defaults.unwrap_or_default();
                for (name, o) in recorded {
                    // a sensitive output stays sensitive in the stack that reads it
                    out.insert(name, Value::from_json(&o.value).mark_if(o.sensitive));
                }
                out
            }
            (None, Some(defaults)) => defaults,
            (None, None) => {
                return Err(ProviderError::new(
                    ErrorKind::NotFound,
                    format!(
                        "stack `{stack}` is not in state file {}; apply that stack first, or set `defaults` for the outputs this stack reads",
                        file.display()
                    ),
                ))
            }
        };
        let mut attrs = match args {
            Value::Map(m) => m.clone(),
            _ => BTreeMap::new(),
        };
        attrs.insert("id".into(), Value::string(stack));
        attrs.insert("outputs".into(), Value::Map(outputs));
        Ok(Value::Map(attrs))
    }
}

/// Whether `path` is the state file of this run (so it is read through the open store).
fn same_file(path: &Path, own: Option<&Path>) -> bool {
    let Some(own) = own else { return false };
    match (path.canonicalize(), own.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => path == own,
    }
}

#[async_trait]
impl Provider for RemoteState {
    async fn read(
        &self,
        type_name: &str,
        items: &[ReadRequest],
    ) -> Result<BTreeMap<String, Value>, ProviderError> {
        self.inner.read(type_name, items).await
    }

    async fn create(&self, req: &CreateRequest) -> Result<Value, ProviderError> {
        self.inner.create(req).await
    }

    async fn wait_ready(
        &self,
        type_name: &str,
        id: &str,
        current: &Value,
    ) -> Result<Value, ProviderError> {
        self.inner.wait_ready(type_name, id, current).await
    }

    async fn update(
        &self,
        type_name: &str,
        id: &str,
        prior: &Value,
        desired: &Value,
    ) -> Result<Value, ProviderError> {
        self.inner.update(type_name, id, prior, desired).await
    }

    async fn delete(&self, type_name: &str, id: &str, prior: &Value) -> Result<(), ProviderError> {
        self.inner.delete(type_name, id, prior).await
    }

    async fn adopt(&self, req: &CreateRequest) -> Result<Option<Value>, ProviderError> {
        self.inner.adopt(req).await
    }

    async fn import(
        &self,
        type_name: &str,
        import_id: &str,
        config: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        self.inner.import(type_name, import_id, config).await
    }

    async fn read_data(&self, type_name: &str, args: &Value) -> Result<Value, ProviderError> {
        if type_name == TYPE_NAME {
            RemoteState::read(self, args).await
        } else {
            self.inner.read_data(type_name, args).await
        }
    }

    fn api_calls(&self) -> ApiCalls {
        self.inner.api_calls()
    }

    fn waiting_for(&self, type_name: &str, id: &str) -> Option<String> {
        self.inner.waiting_for(type_name, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use infra_provider::fake::FakeProvider;
    use infra_state::OutputRecord;

    fn args(stack: &str, defaults: Option<Value>) -> Value {
        let mut m = vec![
            ("backend", Value::string("infra")),
            ("config", Value::map([("stack", Value::string(stack))])),
        ];
        if let Some(d) = defaults {
            m.push(("defaults", d));
        }
        Value::map(m)
    }

    async fn provider() -> (Arc<dyn Provider>, Store) {
        let store = Store::open_memory().await.unwrap();
        let p = RemoteState::wrap(Arc::new(FakeProvider::new()), store.clone());
        (p, store)
    }

    #[tokio::test]
    async fn outputs_come_from_the_store_over_defaults() {
        let (p, store) = provider().await;
        let mut saved = BTreeMap::new();
        saved.insert(
            "vpc_id".to_string(),
            OutputRecord::new(serde_json::json!("vpc-1"), false),
        );
        saved.insert(
            "ids".to_string(),
            OutputRecord::new(serde_json::json!(["a", "b"]), false),
        );
        saved.insert(
            "password".to_string(),
            OutputRecord::new(serde_json::json!("hunter2-secret"), true),
        );
        store.save_outputs("dev", &saved).await.unwrap();
        let defaults = Value::map([
            ("vpc_id", Value::string("ignored")),
            ("region", Value::string("us-east-1")),
        ]);
        let v = p
            .read_data(TYPE_NAME, &args("dev", Some(defaults)))
            .await
            .unwrap();
        let out = v.get("outputs");
        assert_eq!(out.get("vpc_id"), &Value::string("vpc-1"));
        assert_eq!(
            out.get("ids"),
            &Value::List(vec![Value::string("a"), Value::string("b")])
        );
        assert_eq!(out.get("region"), &Value::string("us-east-1"));
        assert_eq!(
            out.get("password"),
            &Value::string("hunter2-secret").mark(),
            "a sensitive output is read back marked"
        );
        assert_eq!(v.get("id"), &Value::string("dev"));
        // other data sources still reach the cloud provider
        let azs = p
            .read_data("aws_availability_zones", &Value::Map(BTreeMap::new()))
            .await
            .unwrap();
        assert!(!azs.get("names").is_null());
    }

    #[tokio::test]
    async fn a_missing_stack_uses_defaults_or_says_what_to_do() {
        let (p, _store) = provider().await;
        let d = Value::map([("name_servers", Value::List(vec![]))]);
        let v = p
            .read_data(TYPE_NAME, &args("staging", Some(d.clone())))
            .await
            .unwrap();
        assert_eq!(v.get("outputs"), &d);
        let err = p
            .read_data(TYPE_NAME, &args("staging", None))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound);
        assert!(err.message.contains("stack `staging`"), "{err}");
        assert!(
            err.message
                .contains("apply that stack first, or set `defaults`"),
            "{err}"
        );
        let mut bad = args("dev", None);
        if let Value::Map(m) = &mut bad {
            m.insert("backend".into(), Value::string("s3"));
        }
        let err = p.read_data(TYPE_NAME, &bad).await.unwrap_err();
        assert!(err.message.contains("backend = \"infra\""), "{err}");
    }
}
