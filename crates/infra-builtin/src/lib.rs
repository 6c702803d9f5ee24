//! The small non-AWS providers that real configurations use for small things, built in:
//! `null_resource`, Terraform's `terraform_data`, `time_sleep`, `time_static`,
//! `random_id`, `random_string`, `random_password`, `random_uuid`, `random_integer`,
//! `random_shuffle`, `random_pet`, `tls_private_key`, `local_file`,
//! `local_sensitive_file`, and the data sources `http`, `tls_certificate`,
//! `tls_public_key`, `cloudinit_config`, `local_file` and `local_sensitive_file` (schemas
//! in `infra_model::schema::builtin` and `local`).
//!
//! None of them has a cloud object: a resource's state is what its create computed
//! (random values are drawn once, at create, and kept), `read` hands the prior back, and
//! no call is counted as an API call. The local files are the exception: `read` looks at
//! each one (see [`local`]). The engine routes these types here and everything else to the
//! AWS provider.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use infra_model::Value;
use infra_provider::{ApiCalls, CreateRequest, ErrorKind, Provider, ProviderError, ReadRequest};

pub mod cloudinit;
pub mod duration;
mod http;
mod local;
mod null;
pub mod random;
mod random_more;
mod time_types;
pub mod tls;
pub mod tls_key;

pub use infra_model::schema::is_builtin;

/// The built-in provider. Stateless: everything it knows is in the values it is given.
#[derive(Debug, Default, Clone)]
pub struct Builtin {
    /// Trust anchors added to the system's for `tls_certificate`'s `verify_chain` (tests).
    extra_roots: Vec<Vec<u8>>,
    /// The directory relative file names are resolved in (`path.cwd`: the stack's).
    root_dir: Option<PathBuf>,
}

impl Builtin {
    pub fn new() -> Self {
        Builtin::default()
    }

    /// Trust these DER certificates too when `tls_certificate` verifies a chain.
    pub fn with_extra_roots(mut self, roots: Vec<Vec<u8>>) -> Self {
        self.extra_roots = roots;
        self
    }

    /// Resolve the local provider's relative file names in `dir` (the stack's directory,
    /// Terraform's working directory), not in the process's working directory.
    pub fn with_root_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.root_dir = Some(dir.into());
        self
    }

    fn root(&self) -> Option<&std::path::Path> {
        self.root_dir.as_deref()
    }
}

pub(crate) fn rejected(message: impl Into<String>) -> ProviderError {
    ProviderError::new(ErrorKind::Rejected, message)
}

fn unsupported(type_name: &str) -> ProviderError {
    rejected(format!(
        "`{type_name}` is not a type the built-in providers implement"
    ))
}

/// The attribute map of a value (empty for anything else).
pub(crate) fn attrs(v: &Value) -> BTreeMap<String, Value> {
    match v.unmarked() {
        Value::Map(m) => m.clone(),
        _ => BTreeMap::new(),
    }
}

/// A string attribute, treating null and "" alike.
pub(crate) fn string_arg<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name).as_str().filter(|s| !s.is_empty())
}

#[async_trait]
impl Provider for Builtin {
    async fn read(
        &self,
        type_name: &str,
        items: &[ReadRequest],
    ) -> Result<BTreeMap<String, Value>, ProviderError> {
        if !is_builtin(type_name) {
            return Err(unsupported(type_name));
        }
        if local::handles(type_name) {
            let mut out = BTreeMap::new();
            for i in items {
                if let Some(v) = local::read(self.root(), &i.prior)? {
                    out.insert(i.id.clone(), v);
                }
            }
            return Ok(out);
        }
        // nothing exists outside the state: every object is what the state recorded
        Ok(items
            .iter()
            .map(|i| (i.id.clone(), i.prior.clone()))
            .collect())
    }

    async fn create(&self, req: &CreateRequest) -> Result<Value, ProviderError> {
        let config = &req.config;
        match req.type_name.as_str() {
            "null_resource" => Ok(null::null_resource(config)),
            "terraform_data" => Ok(null::terraform_data(config, None)),
            "time_sleep" => time_types::time_sleep_create(config),
            "time_static" => time_types::time_static(config),
            "random_id" => random::random_id(config),
            "random_string" | "random_password" => {
                random::random_string(config, req.type_name == "random_password")
            }
            "random_uuid" => Ok(random_more::random_uuid(config)),
            "random_integer" => random_more::random_integer(config),
            "random_shuffle" => random_more::random_shuffle(config),
            "random_pet" => random_more::random_pet(config),
            "tls_private_key" => tls_key::create(config),
            t if local::handles(t) => local::create(self.root(), t, config),
            other => Err(unsupported(other)),
        }
    }

    async fn wait_ready(
        &self,
        type_name: &str,
        _id: &str,
        current: &Value,
    ) -> Result<Value, ProviderError> {
        if type_name == "time_sleep" {
            // the sleep itself: apply reports it as "Still creating..." meanwhile, and a
            // rerun after Ctrl-C sleeps only what is left of it
            time_types::time_sleep_wait(current).await?;
        }
        Ok(current.clone())
    }

    async fn update(
        &self,
        type_name: &str,
        _id: &str,
        prior: &Value,
        desired: &Value,
    ) -> Result<Value, ProviderError> {
        match type_name {
            // `input` changes in place; `output` follows it
            "terraform_data" => Ok(null::terraform_data(desired, Some(prior))),
            // what can change in place (a time_sleep's durations) needs no work; computed
            // values are the prior's
            t if is_builtin(t) => {
                let mut out = attrs(prior);
                out.extend(attrs(desired).into_iter().filter(|(_, v)| !v.is_unknown()));
                Ok(Value::Map(out))
            }
            other => Err(unsupported(other)),
        }
    }

    async fn delete(&self, type_name: &str, _id: &str, prior: &Value) -> Result<(), ProviderError> {
        if local::handles(type_name) {
            return local::delete(self.root(), prior);
        }
        if type_name == "time_sleep" {
            if let Some(d) = duration::arg(prior, "destroy_duration")? {
                tokio::time::sleep(d).await;
            }
        }
        Ok(())
    }

    /// A create that was interrupted made nothing outside the state: nothing to adopt,
    /// the rerun creates it (drawing new random values, sleeping again).
    async fn adopt(&self, _req: &CreateRequest) -> Result<Option<Value>, ProviderError> {
        Ok(None)
    }

    async fn import(
        &self,
        type_name: &str,
        import_id: &str,
        config: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        match type_name {
            "random_id" => random::import_random_id(import_id, config).map(Some),
            "random_string" | "random_password" => Ok(Some(random::import_random_string(
                import_id,
                config,
                type_name == "random_password",
            ))),
            "random_uuid" => random_more::import_random_uuid(import_id, config).map(Some),
            "random_integer" => random_more::import_random_integer(import_id, config).map(Some),
            t if local::handles(t) => Err(rejected(format!(
                "`{t}` cannot be imported (the local provider has no import either): apply writes the file from the configuration"
            ))),
            other => Err(rejected(format!(
                "`{other}` cannot be imported: it has no object outside the state; remove the import and let apply create it"
            ))),
        }
    }

    async fn read_data(&self, type_name: &str, args: &Value) -> Result<Value, ProviderError> {
        match type_name {
            "cloudinit_config" => cloudinit::read(args),
            "tls_certificate" => tls::read(args, &self.extra_roots).await,
            "tls_public_key" => tls_key::read_public(args),
            "http" => http::read(args, &self.extra_roots).await,
            t if local::handles(t) => local::read_data(self.root(), t, args),
            other => Err(unsupported(other)),
        }
    }

    fn api_calls(&self) -> ApiCalls {
        ApiCalls::default()
    }

    fn waiting_for(&self, type_name: &str, _id: &str) -> Option<String> {
        (type_name == "time_sleep").then(|| "time_sleep's create_duration".to_string())
    }
}

/// How long a `time_sleep` still has to sleep, for tests.
#[doc(hidden)]
pub fn remaining_sleep(current: &Value) -> Result<Duration, ProviderError> {
    time_types::remaining(current)
}

#[cfg(test)]
mod tests;
