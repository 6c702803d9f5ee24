//! Routes each type to its provider: the built-in ones (`null_*`, `time_*`, `random_*`,
//! `tls_*`, `cloudinit_*`, `terraform_data`; see `infra_builtin`) to [`infra_builtin::Builtin`],
//! everything else to the AWS provider of the configuration the call runs against
//! ([`infra_provider::provider_config`]: `""` the default `provider "aws"` block, else an
//! alias, which may name another region). API calls are the AWS providers' alone: the
//! built-in types make none.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use infra_model::Value;
use infra_provider::{ApiCalls, CreateRequest, ErrorKind, Provider, ProviderError, ReadRequest};

pub struct Router {
    /// Each AWS provider configuration's provider, by its key; configurations of one
    /// region share one provider (and its rate limits).
    aws: BTreeMap<String, Arc<dyn Provider>>,
    /// Each distinct AWS provider once, for counting API calls.
    distinct: Vec<Arc<dyn Provider>>,
    builtin: Arc<dyn Provider>,
}

impl Router {
    /// One AWS provider, for the default configuration.
    #[cfg(test)]
    pub fn wrap(aws: Arc<dyn Provider>, builtin: Arc<dyn Provider>) -> Arc<dyn Provider> {
        Self::wrap_configs(BTreeMap::from([(String::new(), aws)]), builtin)
    }

    /// An AWS provider per configuration key (`""` the default one, else its alias).
    pub fn wrap_configs(
        aws: BTreeMap<String, Arc<dyn Provider>>,
        builtin: Arc<dyn Provider>,
    ) -> Arc<dyn Provider> {
        let mut distinct: Vec<Arc<dyn Provider>> = Vec::new();
        for p in aws.values() {
            if !distinct.iter().any(|d| Arc::ptr_eq(d, p)) {
                distinct.push(p.clone());
            }
        }
        Arc::new(Router {
            aws,
            distinct,
            builtin,
        })
    }

    fn to(&self, type_name: &str) -> Result<&dyn Provider, ProviderError> {
        if infra_builtin::is_builtin(type_name) {
            return Ok(self.builtin.as_ref());
        }
        let key = infra_provider::provider_config();
        match self.aws.get(&key) {
            Some(p) => Ok(p.as_ref()),
            None => Err(ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "no `provider \"aws\"` block with `alias = \"{key}\"` is configured; add it back (with the region its objects are in) to manage them"
                ),
            )),
        }
    }
}

#[async_trait]
impl Provider for Router {
    async fn read(
        &self,
        type_name: &str,
        items: &[ReadRequest],
    ) -> Result<BTreeMap<String, Value>, ProviderError> {
        self.to(type_name)?.read(type_name, items).await
    }

    async fn create(&self, req: &CreateRequest) -> Result<Value, ProviderError> {
        self.to(&req.type_name)?.create(req).await
    }

    async fn wait_ready(
        &self,
        type_name: &str,
        id: &str,
        current: &Value,
    ) -> Result<Value, ProviderError> {
        self.to(type_name)?.wait_ready(type_name, id, current).await
    }

    async fn update(
        &self,
        type_name: &str,
        id: &str,
        prior: &Value,
        desired: &Value,
    ) -> Result<Value, ProviderError> {
        self.to(type_name)?
            .update(type_name, id, prior, desired)
            .await
    }

    async fn delete(&self, type_name: &str, id: &str, prior: &Value) -> Result<(), ProviderError> {
        self.to(type_name)?.delete(type_name, id, prior).await
    }

    async fn adopt(&self, req: &CreateRequest) -> Result<Option<Value>, ProviderError> {
        self.to(&req.type_name)?.adopt(req).await
    }

    async fn import(
        &self,
        type_name: &str,
        import_id: &str,
        config: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        self.to(type_name)?
            .import(type_name, import_id, config)
            .await
    }

    async fn read_data(&self, type_name: &str, args: &Value) -> Result<Value, ProviderError> {
        self.to(type_name)?.read_data(type_name, args).await
    }

    fn api_calls(&self) -> ApiCalls {
        let mut calls = ApiCalls::default();
        for p in self.distinct.iter().chain([&self.builtin]) {
            for (op, n) in p.api_calls().0 {
                *calls.0.entry(op).or_default() += n;
            }
        }
        calls
    }

    fn waiting_for(&self, type_name: &str, id: &str) -> Option<String> {
        self.to(type_name).ok()?.waiting_for(type_name, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use infra_model::Address;
    use infra_provider::fake::FakeProvider;

    fn req(type_name: &str, config: Value) -> CreateRequest {
        CreateRequest {
            stack: "s".into(),
            address: Address::parse(&format!("{type_name}.x")).unwrap(),
            type_name: type_name.into(),
            config,
            token: "t".into(),
            known_ids: vec![],
        }
    }

    #[tokio::test]
    async fn builtin_types_make_no_api_calls_and_aws_types_reach_aws() {
        let fake = Arc::new(FakeProvider::new());
        let p = Router::wrap(fake.clone(), Arc::new(infra_builtin::Builtin::new()));
        let id = p
            .create(&req(
                "random_id",
                Value::map([("byte_length", Value::Number(8.0))]),
            ))
            .await
            .unwrap();
        assert_eq!(id.get("hex").as_str().unwrap().len(), 16);
        p.create(&req(
            "null_resource",
            Value::map([("triggers", Value::Null)]),
        ))
        .await
        .unwrap();
        assert_eq!(p.api_calls().total(), 0, "{:?}", p.api_calls());
        let vpc = p
            .create(&req(
                "aws_vpc",
                Value::map([("cidr_block", Value::string("10.0.0.0/16"))]),
            ))
            .await
            .unwrap();
        assert!(vpc.get("id").as_str().unwrap().starts_with("vpc-"));
        assert!(p.api_calls().total() > 0);
        assert_eq!(p.api_calls(), fake.api_calls());
    }

    #[tokio::test]
    async fn each_call_goes_to_the_configuration_it_runs_against() {
        let home = Arc::new(FakeProvider::new());
        let west = Arc::new(FakeProvider::new());
        let p = Router::wrap_configs(
            BTreeMap::from([
                (String::new(), home.clone() as Arc<dyn Provider>),
                ("west".to_string(), west.clone() as Arc<dyn Provider>),
            ]),
            Arc::new(infra_builtin::Builtin::new()),
        );
        let vpc = || {
            req(
                "aws_vpc",
                Value::map([("cidr_block", Value::string("10.0.0.0/16"))]),
            )
        };
        p.create(&vpc()).await.unwrap();
        infra_provider::with_provider_config("west", async {
            p.create(&vpc()).await.unwrap();
            p.create(&vpc()).await.unwrap();
        })
        .await;
        assert_eq!(home.api_calls().total(), 1, "{:?}", home.api_calls());
        assert_eq!(west.api_calls().total(), 2, "{:?}", west.api_calls());
        assert_eq!(p.api_calls().total(), 3);
        let err = infra_provider::with_provider_config("gone", p.create(&vpc()))
            .await
            .unwrap_err();
        assert!(err.message.contains("alias = \"gone\""), "{err}");
        // the built-in types have nothing to configure: any configuration serves them
        infra_provider::with_provider_config("gone", async {
            p.create(&req(
                "random_id",
                Value::map([("byte_length", Value::Number(4.0))]),
            ))
            .await
            .unwrap();
        })
        .await;
    }
}
