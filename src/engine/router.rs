//! Routes each type to its provider: the built-in ones (`null_*`, `time_*`, `random_*`,
//! `tls_*`, `cloudinit_*`, `terraform_data`; see `infra_builtin`) to [`infra_builtin::Builtin`],
//! everything else to the AWS provider of the configuration the call runs against
//! ([`infra_provider::provider_config`]: `""` the default `provider "aws"` block, else an
//! alias, which may name another region). API calls are the AWS providers' alone: the
//! built-in types make none.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::future::BoxFuture;
use infra_model::Value;
use infra_provider::{ApiCalls, CreateRequest, ErrorKind, Provider, ProviderError, ReadRequest};

/// Makes the AWS provider of a region no configuration is in (a resource's own
/// `region`, provider v6), with the default configuration's settings otherwise.
pub type MakeRegional =
    Arc<dyn Fn(String) -> BoxFuture<'static, anyhow::Result<Arc<dyn Provider>>> + Send + Sync>;

pub struct Router {
    /// Each AWS provider configuration's provider, by its key; configurations of one
    /// region share one provider (and its rate limits).
    aws: BTreeMap<String, Arc<dyn Provider>>,
    /// The providers by region: the configurations' (where their region is known) and
    /// those made on first use for a key `alias@region`.
    regional: Mutex<BTreeMap<String, Arc<dyn Provider>>>,
    make: Option<MakeRegional>,
    /// Each distinct AWS provider once, for counting API calls.
    distinct: Mutex<Vec<Arc<dyn Provider>>>,
    builtin: Arc<dyn Provider>,
}

impl Router {
    /// One AWS provider, for the default configuration.
    #[cfg(test)]
    pub fn wrap(aws: Arc<dyn Provider>, builtin: Arc<dyn Provider>) -> Arc<dyn Provider> {
        Self::wrap_configs(BTreeMap::from([(String::new(), aws)]), builtin)
    }

    /// An AWS provider per configuration key (`""` the default one, else its alias).
    #[cfg(test)]
    pub fn wrap_configs(
        aws: BTreeMap<String, Arc<dyn Provider>>,
        builtin: Arc<dyn Provider>,
    ) -> Arc<dyn Provider> {
        Arc::new(Self::new(aws, BTreeMap::new(), None, builtin))
    }

    /// An AWS provider per configuration key, the providers of known regions by region,
    /// and how to make one for another region.
    pub fn new(
        aws: BTreeMap<String, Arc<dyn Provider>>,
        regional: BTreeMap<String, Arc<dyn Provider>>,
        make: Option<MakeRegional>,
        builtin: Arc<dyn Provider>,
    ) -> Router {
        let mut distinct: Vec<Arc<dyn Provider>> = Vec::new();
        for p in aws.values().chain(regional.values()) {
            if !distinct.iter().any(|d| Arc::ptr_eq(d, p)) {
                distinct.push(p.clone());
            }
        }
        Router {
            aws,
            regional: Mutex::new(regional),
            make,
            distinct: Mutex::new(distinct),
            builtin,
        }
    }

    fn missing(alias: &str) -> ProviderError {
        ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "no `provider \"aws\"` block with `alias = \"{alias}\"` is configured; add it back (with the region its objects are in) to manage them"
            ),
        )
    }

    /// The provider of the configuration the call runs against; for `alias@region`, the
    /// one of that region (made on first use).
    async fn to(&self, type_name: &str) -> Result<Arc<dyn Provider>, ProviderError> {
        if infra_builtin::is_builtin(type_name) {
            return Ok(self.builtin.clone());
        }
        let key = infra_provider::provider_config();
        let alias = infra_model::provider_alias(&key);
        let Some(own) = self.aws.get(alias) else {
            return Err(Self::missing(alias));
        };
        let Some(region) = infra_model::provider_key_region(&key) else {
            return Ok(own.clone());
        };
        if region.is_empty() {
            return Err(ProviderError::new(
                ErrorKind::Rejected,
                "the resource's `region` was not known when planning; plan again",
            ));
        }
        if let Some(p) = self.regional_provider(region) {
            return Ok(p);
        }
        let Some(make) = &self.make else {
            return Err(ProviderError::new(
                ErrorKind::Rejected,
                format!("no AWS provider for region {region} is configured"),
            ));
        };
        let made = make(region.to_string()).await.map_err(|e| {
            ProviderError::new(
                ErrorKind::Credentials,
                format!("could not configure AWS for region {region}: {e:#}"),
            )
        })?;
        // two calls may have made one at once: the first kept serves both
        let mut regional = self.regional.lock().unwrap_or_else(|e| e.into_inner());
        let p = regional.entry(region.to_string()).or_insert(made).clone();
        drop(regional);
        let mut distinct = self.distinct.lock().unwrap_or_else(|e| e.into_inner());
        if !distinct.iter().any(|d| Arc::ptr_eq(d, &p)) {
            distinct.push(p.clone());
        }
        Ok(p)
    }

    fn regional_provider(&self, region: &str) -> Option<Arc<dyn Provider>> {
        self.regional
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(region)
            .cloned()
    }
}

#[async_trait]
impl Provider for Router {
    async fn read(
        &self,
        type_name: &str,
        items: &[ReadRequest],
    ) -> Result<BTreeMap<String, Value>, ProviderError> {
        self.to(type_name).await?.read(type_name, items).await
    }

    async fn create(&self, req: &CreateRequest) -> Result<Value, ProviderError> {
        self.to(&req.type_name).await?.create(req).await
    }

    async fn wait_ready(
        &self,
        type_name: &str,
        id: &str,
        current: &Value,
    ) -> Result<Value, ProviderError> {
        self.to(type_name)
            .await?
            .wait_ready(type_name, id, current)
            .await
    }

    async fn update(
        &self,
        type_name: &str,
        id: &str,
        prior: &Value,
        desired: &Value,
    ) -> Result<Value, ProviderError> {
        self.to(type_name)
            .await?
            .update(type_name, id, prior, desired)
            .await
    }

    async fn delete(&self, type_name: &str, id: &str, prior: &Value) -> Result<(), ProviderError> {
        self.to(type_name).await?.delete(type_name, id, prior).await
    }

    async fn adopt(&self, req: &CreateRequest) -> Result<Option<Value>, ProviderError> {
        self.to(&req.type_name).await?.adopt(req).await
    }

    async fn import(
        &self,
        type_name: &str,
        import_id: &str,
        config: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        self.to(type_name)
            .await?
            .import(type_name, import_id, config)
            .await
    }

    async fn read_data(&self, type_name: &str, args: &Value) -> Result<Value, ProviderError> {
        self.to(type_name).await?.read_data(type_name, args).await
    }

    fn api_calls(&self) -> ApiCalls {
        let mut calls = ApiCalls::default();
        let distinct = self
            .distinct
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for p in distinct.iter().chain([&self.builtin]) {
            for (op, n) in p.api_calls().0 {
                *calls.0.entry(op).or_default() += n;
            }
        }
        calls
    }

    fn waiting_for(&self, type_name: &str, id: &str) -> Option<String> {
        // only a provider that exists can be waiting
        if infra_builtin::is_builtin(type_name) {
            return self.builtin.waiting_for(type_name, id);
        }
        let key = infra_provider::provider_config();
        let p = match infra_model::provider_key_region(&key) {
            Some(region) => self.regional_provider(region)?,
            None => self.aws.get(&key)?.clone(),
        };
        p.waiting_for(type_name, id)
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

    #[tokio::test]
    async fn a_key_with_a_region_goes_to_that_regions_provider_made_once() {
        let home = Arc::new(FakeProvider::new());
        let made: Arc<Mutex<Vec<(String, Arc<FakeProvider>)>>> = Arc::default();
        let record = made.clone();
        let make: MakeRegional = Arc::new(move |region: String| {
            let record = record.clone();
            Box::pin(async move {
                let p = Arc::new(FakeProvider::new());
                record.lock().unwrap().push((region, p.clone()));
                Ok(p as Arc<dyn Provider>)
            })
        });
        let p = Router::new(
            BTreeMap::from([(String::new(), home.clone() as Arc<dyn Provider>)]),
            BTreeMap::from([("eu-west-1".to_string(), home.clone() as Arc<dyn Provider>)]),
            Some(make),
            Arc::new(infra_builtin::Builtin::new()),
        );
        let vpc = || {
            req(
                "aws_vpc",
                Value::map([("cidr_block", Value::string("10.0.0.0/16"))]),
            )
        };
        // the configuration's own region: its provider, nothing made
        infra_provider::with_provider_config("@eu-west-1", p.create(&vpc()))
            .await
            .unwrap();
        assert_eq!(home.api_calls().total(), 1);
        assert!(made.lock().unwrap().is_empty());
        // another region: made on first use, then reused
        for _ in 0..2 {
            infra_provider::with_provider_config("@us-east-2", p.create(&vpc()))
                .await
                .unwrap();
        }
        let made_now = made.lock().unwrap().clone();
        assert_eq!(made_now.len(), 1);
        assert_eq!(made_now[0].0, "us-east-2");
        assert_eq!(made_now[0].1.api_calls().total(), 2);
        assert_eq!(home.api_calls().total(), 1);
        assert_eq!(
            p.api_calls().total(),
            3,
            "the made provider's calls are counted"
        );
        // the alias must still exist, and a region not known when planning is refused
        let err = infra_provider::with_provider_config("gone@us-east-2", p.create(&vpc()))
            .await
            .unwrap_err();
        assert!(err.message.contains("alias = \"gone\""), "{err}");
        let err = infra_provider::with_provider_config("@", p.create(&vpc()))
            .await
            .unwrap_err();
        assert!(err.message.contains("not known when planning"), "{err}");
    }
}
