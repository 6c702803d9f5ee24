//! The conformance suite every [`Provider`] passes, in the spirit of OpenTofu's statemgr
//! `TestFull`: the fake runs it in unit tests, `infra-aws` runs it against LocalStack.
//!
//! It uses `aws_vpc`, `aws_subnet` and `aws_internet_gateway`, tags everything with
//! `stack` (pass a unique name per run) and deletes what it creates, also when a check
//! fails midway. Each check returns `Err` with what went wrong instead of panicking.
//!
//! Conventions it pins down for every provider:
//! - create returns an `id` and every attribute of the type's schema;
//! - the `infra:*` tags are on the cloud object (adoption finds them) but never in the
//!   returned `tags` / `tags_all`, which the engine compares with configuration;
//! - a read of many ids of one type costs the same calls as a read of one id (one
//!   Describe call for subnets and for internet gateways) and omits ids that are gone;
//! - deleting something already gone is Ok.

use std::collections::BTreeMap;

use infra_model::schema::{self, ResourceSchema};
use infra_model::{tags, Address, Mode, Value};

use crate::{id_of, ApiCalls, CreateRequest, Provider, ReadRequest};

/// A failed conformance check: which check, and what was wrong.
pub type Outcome = Result<(), String>;

/// Run every check.
pub async fn run_all(provider: &dyn Provider, stack: &str) -> Outcome {
    create_returns_all_attributes(provider, stack).await?;
    read_is_batched_and_omits_deleted(provider, stack).await?;
    update_of_tags_is_visible_in_read(provider, stack).await?;
    adopt_finds_created_resource(provider, stack).await?;
    delete_then_read_omits_and_second_delete_is_ok(provider, stack).await?;
    data_sources_answer(provider, stack).await?;
    Ok(())
}

/// A full, wholly known configuration for `type_name`: `attrs` over the schema's defaults,
/// `tags_all` equal to `tags`, as the engine's normalization produces it.
pub fn full_config(type_name: &str, attrs: &[(&str, Value)]) -> Result<Value, String> {
    let schema = schema_of(type_name)?;
    let given: BTreeMap<&str, &Value> = attrs.iter().map(|(k, v)| (*k, v)).collect();
    let mut out = BTreeMap::new();
    for a in &schema.attributes {
        if a.computed && !a.optional && !a.required {
            continue;
        }
        let v = given
            .get(a.name)
            .map(|v| (*v).clone())
            .or_else(|| a.default.clone())
            .unwrap_or(Value::Null);
        out.insert(a.name.to_string(), v);
    }
    for b in &schema.blocks {
        out.insert(
            b.name.to_string(),
            given
                .get(b.name)
                .map(|v| (*v).clone())
                .unwrap_or(Value::List(Vec::new())),
        );
    }
    if schema.has_tags() {
        let tags = given
            .get("tags")
            .map(|v| (*v).clone())
            .unwrap_or(Value::Map(BTreeMap::new()));
        out.insert("tags".into(), tags.clone());
        out.insert("tags_all".into(), tags);
    }
    Ok(Value::Map(out))
}

fn schema_of(type_name: &str) -> Result<&'static ResourceSchema, String> {
    schema::lookup(Mode::Managed, type_name)
        .ok_or_else(|| format!("conformance: no schema for `{type_name}`"))
}

fn request(stack: &str, type_name: &str, name: &str, config: Value) -> CreateRequest {
    let address = Address::managed(type_name, name);
    CreateRequest {
        stack: stack.to_string(),
        token: format!("{stack}-{type_name}-{name}"),
        type_name: type_name.to_string(),
        address,
        config,
        known_ids: Vec::new(),
    }
}

fn name_tag(name: &str) -> Value {
    Value::map([("Name", Value::string(name))])
}

/// Resources created by a check, deleted in reverse order when it ends.
struct Created<'a> {
    provider: &'a dyn Provider,
    items: Vec<(String, String, Value)>,
}

impl<'a> Created<'a> {
    fn new(provider: &'a dyn Provider) -> Self {
        Created {
            provider,
            items: Vec::new(),
        }
    }

    async fn create(
        &mut self,
        check: &str,
        req: &CreateRequest,
    ) -> Result<(String, Value), String> {
        let v = self
            .provider
            .create(req)
            .await
            .map_err(|e| format!("{check}: create {} failed: {e}", req.address))?;
        let id = id_of(&v)
            .ok_or_else(|| format!("{check}: create {} returned no `id`", req.address))?
            .to_string();
        self.items
            .push((req.type_name.clone(), id.clone(), v.clone()));
        let v = self
            .provider
            .wait_ready(&req.type_name, &id, &v)
            .await
            .map_err(|e| format!("{check}: wait_ready {} failed: {e}", req.address))?;
        Ok((id, v))
    }

    async fn cleanup(self) -> Outcome {
        let mut first_err = None;
        for (t, id, v) in self.items.into_iter().rev() {
            if let Err(e) = self.provider.delete(&t, &id, &v).await {
                first_err.get_or_insert(format!("cleanup: delete {t} {id} failed: {e}"));
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    /// Run `body`, then clean up; the body's error wins over a cleanup error.
    async fn finish(self, result: Outcome) -> Outcome {
        let cleaned = self.cleanup().await;
        result.and(cleaned)
    }
}

fn check_infra_tags_hidden(check: &str, what: &str, v: &Value) -> Outcome {
    for field in ["tags", "tags_all"] {
        if let Some(m) = v.get(field).as_map() {
            if let Some(k) = m.keys().find(|k| k.starts_with("infra:")) {
                return Err(format!("{check}: {what} shows the internal tag `{k}` in `{field}`; hide `infra:*` tags from returned attributes"));
            }
        }
    }
    Ok(())
}

fn vpc_request(stack: &str, name: &str) -> Result<CreateRequest, String> {
    let config = full_config(
        "aws_vpc",
        &[
            ("cidr_block", Value::string("10.90.0.0/16")),
            ("tags", name_tag(name)),
        ],
    )?;
    Ok(request(stack, "aws_vpc", name, config))
}

fn subnet_request(
    stack: &str,
    name: &str,
    vpc_id: &str,
    cidr: &str,
) -> Result<CreateRequest, String> {
    let config = full_config(
        "aws_subnet",
        &[
            ("vpc_id", Value::string(vpc_id)),
            ("cidr_block", Value::string(cidr)),
            ("availability_zone", Value::string("us-east-1a")),
            ("tags", name_tag(name)),
        ],
    )?;
    Ok(request(stack, "aws_subnet", name, config))
}

fn igw_request(stack: &str, name: &str, vpc_id: &str) -> Result<CreateRequest, String> {
    let config = full_config(
        "aws_internet_gateway",
        &[("vpc_id", Value::string(vpc_id)), ("tags", name_tag(name))],
    )?;
    Ok(request(stack, "aws_internet_gateway", name, config))
}

/// Create returns an id and every schema attribute, with the configured values and tags.
pub async fn create_returns_all_attributes(provider: &dyn Provider, stack: &str) -> Outcome {
    const CHECK: &str = "create_returns_all_attributes";
    let mut created = Created::new(provider);
    let result = async {
        let (vpc_id, vpc) = created
            .create(CHECK, &vpc_request(stack, "conf_create")?)
            .await?;
        let (_, subnet) = created
            .create(
                CHECK,
                &subnet_request(stack, "conf_create", &vpc_id, "10.90.1.0/24")?,
            )
            .await?;
        let (_, igw) = created
            .create(CHECK, &igw_request(stack, "conf_create", &vpc_id)?)
            .await?;
        for (type_name, v) in [
            ("aws_vpc", &vpc),
            ("aws_subnet", &subnet),
            ("aws_internet_gateway", &igw),
        ] {
            let schema = schema_of(type_name)?;
            let map = v.as_map().ok_or_else(|| {
                format!(
                    "{CHECK}: {type_name} attributes are a {}, not a map",
                    v.type_name()
                )
            })?;
            for a in &schema.attributes {
                if !map.contains_key(a.name) {
                    return Err(format!(
                        "{CHECK}: {type_name} is missing attribute `{}`",
                        a.name
                    ));
                }
            }
            if !v.is_wholly_known() {
                return Err(format!(
                    "{CHECK}: {type_name} has unknown attributes after create"
                ));
            }
            if v.get("tags").get("Name").as_str() != Some("conf_create") {
                return Err(format!(
                    "{CHECK}: {type_name} lost its Name tag: tags = {}",
                    v.get("tags")
                ));
            }
            check_infra_tags_hidden(CHECK, type_name, v)?;
        }
        if vpc.get("cidr_block").as_str() != Some("10.90.0.0/16") {
            return Err(format!(
                "{CHECK}: aws_vpc cidr_block is {}, expected \"10.90.0.0/16\"",
                vpc.get("cidr_block")
            ));
        }
        if subnet.get("vpc_id").as_str() != Some(vpc_id.as_str()) {
            return Err(format!(
                "{CHECK}: aws_subnet vpc_id is {}, expected {vpc_id:?}",
                subnet.get("vpc_id")
            ));
        }
        if vpc.get("arn").as_str().is_none_or(str::is_empty) {
            return Err(format!("{CHECK}: aws_vpc has no arn"));
        }
        Ok(())
    }
    .await;
    created.finish(result).await
}

/// A read of many subnets (and of many internet gateways) is one call per type, and ids
/// deleted since are omitted.
pub async fn read_is_batched_and_omits_deleted(provider: &dyn Provider, stack: &str) -> Outcome {
    const CHECK: &str = "read_is_batched_and_omits_deleted";
    let mut created = Created::new(provider);
    let result = async {
        let (vpc_id, _) = created.create(CHECK, &vpc_request(stack, "conf_read")?).await?;
        let mut subnets = Vec::new();
        for (i, cidr) in ["10.90.1.0/24", "10.90.2.0/24", "10.90.3.0/24"].iter().enumerate() {
            let (id, v) = created.create(CHECK, &subnet_request(stack, &format!("conf_read_{i}"), &vpc_id, cidr)?).await?;
            subnets.push(ReadRequest { id, prior: v });
        }
        let (igw_id, igw) = created.create(CHECK, &igw_request(stack, "conf_read", &vpc_id)?).await?;

        let before = provider.api_calls();
        let got = provider.read("aws_subnet", &subnets).await.map_err(|e| format!("{CHECK}: read of subnets failed: {e}"))?;
        let calls = provider.api_calls().since(&before);
        if calls.total() != 1 {
            return Err(format!("{CHECK}: reading 3 subnets made {} calls ({:?}); read all ids of a type in one call", calls.total(), calls.0));
        }
        for s in &subnets {
            if !got.contains_key(&s.id) {
                return Err(format!("{CHECK}: read omitted existing subnet {}", s.id));
            }
        }

        let before = provider.api_calls();
        let gone = ReadRequest { id: "igw-0000deadbeef0000".into(), prior: igw.clone() };
        let items = [ReadRequest { id: igw_id.clone(), prior: igw.clone() }, gone.clone()];
        let got = provider.read("aws_internet_gateway", &items).await.map_err(|e| format!("{CHECK}: read of internet gateways failed: {e}"))?;
        let calls = provider.api_calls().since(&before);
        check_one_call(CHECK, "internet gateways", &calls)?;
        if !got.contains_key(&igw_id) || got.contains_key(&gone.id) {
            return Err(format!("{CHECK}: read of [{igw_id}, {}] returned ids {:?}; expected only {igw_id}", gone.id, got.keys().collect::<Vec<_>>()));
        }

        let victim = &subnets[1];
        provider.delete("aws_subnet", &victim.id, &victim.prior).await.map_err(|e| format!("{CHECK}: delete of subnet failed: {e}"))?;
        let got = provider.read("aws_subnet", &subnets).await.map_err(|e| format!("{CHECK}: read of subnets failed: {e}"))?;
        if got.contains_key(&victim.id) || got.len() != 2 {
            return Err(format!("{CHECK}: after deleting {}, read returned {:?}; omit deleted ids", victim.id, got.keys().collect::<Vec<_>>()));
        }
        Ok(())
    }
    .await;
    created.finish(result).await
}

fn check_one_call(check: &str, what: &str, calls: &ApiCalls) -> Outcome {
    if calls.total() != 1 {
        return Err(format!(
            "{check}: reading {what} made {} calls ({:?}); read all ids of a type in one call",
            calls.total(),
            calls.0
        ));
    }
    Ok(())
}

/// An in-place update of tags shows in the next read.
pub async fn update_of_tags_is_visible_in_read(provider: &dyn Provider, stack: &str) -> Outcome {
    const CHECK: &str = "update_of_tags_is_visible_in_read";
    let mut created = Created::new(provider);
    let result = async {
        let (vpc_id, vpc) = created
            .create(CHECK, &vpc_request(stack, "conf_update")?)
            .await?;
        let new_tags = Value::map([
            ("Name", Value::string("conf_update")),
            ("env", Value::string("test")),
        ]);
        let desired = full_config(
            "aws_vpc",
            &[
                ("cidr_block", Value::string("10.90.0.0/16")),
                ("tags", new_tags),
            ],
        )?;
        let updated = provider
            .update("aws_vpc", &vpc_id, &vpc, &desired)
            .await
            .map_err(|e| format!("{CHECK}: update failed: {e}"))?;
        if updated.get("tags").get("env").as_str() != Some("test") {
            return Err(format!(
                "{CHECK}: update returned tags {}, expected env = \"test\"",
                updated.get("tags")
            ));
        }
        let got = provider
            .read(
                "aws_vpc",
                &[ReadRequest {
                    id: vpc_id.clone(),
                    prior: updated.clone(),
                }],
            )
            .await
            .map_err(|e| format!("{CHECK}: read failed: {e}"))?;
        let now = got
            .get(&vpc_id)
            .ok_or_else(|| format!("{CHECK}: read omitted the updated vpc {vpc_id}"))?;
        if now.get("tags").get("env").as_str() != Some("test") {
            return Err(format!(
                "{CHECK}: read after update shows tags {}, expected env = \"test\"",
                now.get("tags")
            ));
        }
        check_infra_tags_hidden(CHECK, "aws_vpc after update", now)?;
        Ok(())
    }
    .await;
    created.finish(result).await
}

/// Adoption after a crash: a request for the same stack and address, even with another
/// token, finds the object the earlier attempt created.
pub async fn adopt_finds_created_resource(provider: &dyn Provider, stack: &str) -> Outcome {
    const CHECK: &str = "adopt_finds_created_resource";
    let mut created = Created::new(provider);
    let result = async {
        let req = vpc_request(stack, "conf_adopt")?;
        let (vpc_id, _) = created.create(CHECK, &req).await?;
        let rerun = CreateRequest { token: format!("{}-rerun", req.token), ..req.clone() };
        let found = provider.adopt(&rerun).await.map_err(|e| format!("{CHECK}: adopt failed: {e}"))?;
        match found.as_ref().and_then(id_of) {
            Some(id) if id == vpc_id => {}
            other => return Err(format!("{CHECK}: adopt found {other:?}, expected {vpc_id}; find resources by their {} and {} tags", tags::STACK, tags::ADDRESS)),
        }
        // the old object of a create_before_destroy replacement carries the same tags; the
        // state holds it, and adoption must not return it
        let known = CreateRequest { known_ids: vec![vpc_id.clone()], ..rerun.clone() };
        if let Some(v) = provider.adopt(&known).await.map_err(|e| format!("{CHECK}: adopt failed: {e}"))? {
            if id_of(&v) == Some(vpc_id.as_str()) {
                return Err(format!("{CHECK}: adopt returned {vpc_id}, which the request lists in known_ids"));
            }
        }
        let stranger = CreateRequest { address: Address::managed("aws_vpc", "conf_never_created"), token: format!("{}-other", req.token), ..req.clone() };
        if let Some(v) = provider.adopt(&stranger).await.map_err(|e| format!("{CHECK}: adopt failed: {e}"))? {
            return Err(format!("{CHECK}: adopt of an address never created found {:?}", id_of(&v)));
        }
        Ok(())
    }
    .await;
    created.finish(result).await
}

/// Delete, then read omits the id; a second delete of the same id is Ok.
pub async fn delete_then_read_omits_and_second_delete_is_ok(
    provider: &dyn Provider,
    stack: &str,
) -> Outcome {
    const CHECK: &str = "delete_then_read_omits_and_second_delete_is_ok";
    let mut created = Created::new(provider);
    let result = async {
        let (vpc_id, _) = created
            .create(CHECK, &vpc_request(stack, "conf_delete")?)
            .await?;
        let (igw_id, igw) = created
            .create(CHECK, &igw_request(stack, "conf_delete", &vpc_id)?)
            .await?;
        provider
            .delete("aws_internet_gateway", &igw_id, &igw)
            .await
            .map_err(|e| format!("{CHECK}: delete failed: {e}"))?;
        let got = provider
            .read(
                "aws_internet_gateway",
                &[ReadRequest {
                    id: igw_id.clone(),
                    prior: igw.clone(),
                }],
            )
            .await
            .map_err(|e| format!("{CHECK}: read failed: {e}"))?;
        if got.contains_key(&igw_id) {
            return Err(format!("{CHECK}: read still returns deleted {igw_id}"));
        }
        provider
            .delete("aws_internet_gateway", &igw_id, &igw)
            .await
            .map_err(|e| {
                format!("{CHECK}: deleting {igw_id} again failed ({e}); treat not-found as success")
            })?;
        Ok(())
    }
    .await;
    created.finish(result).await
}

/// The data sources a network stack needs answer with known values.
pub async fn data_sources_answer(provider: &dyn Provider, _stack: &str) -> Outcome {
    const CHECK: &str = "data_sources_answer";
    let azs = provider
        .read_data(
            "aws_availability_zones",
            &Value::map([("state", Value::string("available"))]),
        )
        .await
        .map_err(|e| format!("{CHECK}: {e}"))?;
    if azs.get("names").as_list().is_none_or(|l| l.is_empty()) {
        return Err(format!(
            "{CHECK}: aws_availability_zones returned no names: {azs}"
        ));
    }
    let region = provider
        .read_data("aws_region", &Value::Map(BTreeMap::new()))
        .await
        .map_err(|e| format!("{CHECK}: {e}"))?;
    if region.get("name").as_str().is_none_or(str::is_empty) {
        return Err(format!("{CHECK}: aws_region returned no name: {region}"));
    }
    let me = provider
        .read_data("aws_caller_identity", &Value::Map(BTreeMap::new()))
        .await
        .map_err(|e| format!("{CHECK}: {e}"))?;
    if me.get("account_id").as_str().is_none_or(str::is_empty) {
        return Err(format!(
            "{CHECK}: aws_caller_identity returned no account_id: {me}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::FakeProvider;

    #[tokio::test]
    async fn fake_provider_passes_the_conformance_suite() {
        let fake = FakeProvider::new();
        let outcome = run_all(&fake, "conformance").await;
        assert_eq!(outcome, Ok(()));
        assert_eq!(fake.total(), 0, "the suite deletes what it creates");
    }

    #[tokio::test]
    async fn the_suite_catches_an_unbatched_read() {
        // A provider that reads one id per call must fail the batching check.
        struct Unbatched(FakeProvider);
        #[async_trait::async_trait]
        impl Provider for Unbatched {
            async fn read(
                &self,
                t: &str,
                items: &[ReadRequest],
            ) -> Result<BTreeMap<String, Value>, crate::ProviderError> {
                let mut out = BTreeMap::new();
                for i in items {
                    out.extend(self.0.read(t, std::slice::from_ref(i)).await?);
                }
                Ok(out)
            }
            async fn create(&self, r: &CreateRequest) -> Result<Value, crate::ProviderError> {
                self.0.create(r).await
            }
            async fn wait_ready(
                &self,
                t: &str,
                id: &str,
                c: &Value,
            ) -> Result<Value, crate::ProviderError> {
                self.0.wait_ready(t, id, c).await
            }
            async fn update(
                &self,
                t: &str,
                id: &str,
                p: &Value,
                d: &Value,
            ) -> Result<Value, crate::ProviderError> {
                self.0.update(t, id, p, d).await
            }
            async fn delete(
                &self,
                t: &str,
                id: &str,
                p: &Value,
            ) -> Result<(), crate::ProviderError> {
                self.0.delete(t, id, p).await
            }
            async fn adopt(
                &self,
                r: &CreateRequest,
            ) -> Result<Option<Value>, crate::ProviderError> {
                self.0.adopt(r).await
            }
            async fn read_data(&self, t: &str, a: &Value) -> Result<Value, crate::ProviderError> {
                self.0.read_data(t, a).await
            }
            fn api_calls(&self) -> ApiCalls {
                self.0.api_calls()
            }
        }
        let p = Unbatched(FakeProvider::new());
        let err = read_is_batched_and_omits_deleted(&p, "s")
            .await
            .expect_err("an unbatched read must fail the suite");
        assert!(err.contains("made 3 calls"), "{err}");
        assert_eq!(p.0.total(), 0, "cleanup ran after the failure");
    }
}
