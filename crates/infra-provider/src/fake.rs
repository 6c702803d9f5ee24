//! An in-memory [`Provider`] for the engine's tests.
//!
//! It behaves like the AWS provider where the engine can tell: ids with a per-type prefix
//! (`vpc-0000000001`), computed attributes filled at creation, `infra:*` tags on every
//! taggable resource, reads batched per type (one counted `fake:Describe<Type>` call for
//! any number of ids), deletes that succeed when the object is already gone, and adoption
//! by idempotency token or tags.
//!
//! Tests configure it: failure injection per address or per type and operation, delays per
//! operation (to observe concurrency and interrupt mid-apply), a pending mode where
//! `wait_ready` takes time, a "lose the response" mode where a create succeeds in the store
//! but returns an error, a call log, and helpers to change the store behind the engine's
//! back.
//!
//! The `infra:*` tags live only in the stored `tags_all`; attributes handed back to the
//! engine never show them, exactly as the engine never configures them.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use infra_model::schema;
use infra_model::{tags, Address, Mode, Value};

mod objects;

pub use objects::id_prefix;
use objects::{api_noun, build_object, code_for, managed_schema, merge_update, public_view};

use crate::{id_of, ApiCalls, CreateRequest, ErrorKind, Provider, ProviderError, ReadRequest};

/// The account id, region and zones the fake reports.
pub const ACCOUNT_ID: &str = "123456789012";
pub const REGION: &str = "us-east-1";
pub const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

/// A provider operation, for failure injection, delays and the call log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    Read,
    Create,
    WaitReady,
    Update,
    Delete,
    Adopt,
    ReadData,
}

/// What a failure, delay or lost response applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// One resource instance, by its address (`aws_vpc.main`).
    Address(String),
    /// Every resource of a type (`aws_subnet`).
    Type(String),
    /// Everything.
    Any,
}

impl Target {
    pub fn address(address: &Address) -> Target {
        Target::Address(address.to_string())
    }
    pub fn type_name(type_name: &str) -> Target {
        Target::Type(type_name.to_string())
    }
    fn matches(&self, type_name: &str, address: Option<&str>) -> bool {
        match self {
            Target::Any => true,
            Target::Type(t) => t == type_name,
            Target::Address(a) => address == Some(a.as_str()),
        }
    }
}

/// How many times an injected behaviour fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Times {
    Always,
    Count(u32),
}

/// One recorded provider call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub op: Op,
    pub type_name: String,
    /// The resource's address, when known (create, adopt, and operations on ids created here).
    pub address: Option<String>,
    /// The ids concerned (one for update/delete/wait, all for a batched read).
    pub ids: Vec<String>,
}

#[derive(Debug)]
struct Injected {
    target: Target,
    op: Op,
    times: Times,
    kind: ErrorKind,
}

#[derive(Debug, Default)]
struct Inner {
    /// type -> id -> stored attributes (tags_all includes the `infra:*` tags).
    store: BTreeMap<String, BTreeMap<String, Value>>,
    /// id -> address it was created for.
    addresses: BTreeMap<String, String>,
    /// idempotency token -> (type, id).
    tokens: BTreeMap<String, (String, String)>,
    counters: BTreeMap<String, u64>,
    calls: ApiCalls,
    log: Vec<Call>,
    failures: Vec<Injected>,
    lost: Vec<(Target, Times)>,
    delays: Vec<(Target, Op, Duration)>,
    pending: Vec<(Target, Duration)>,
    in_flight: usize,
    max_in_flight: usize,
}

/// The in-memory provider. Cheap to share behind an `Arc`; every method takes `&self`.
#[derive(Debug, Default)]
pub struct FakeProvider {
    inner: Mutex<Inner>,
}

/// Decrements the in-flight counter when an operation ends, even if it is cancelled.
struct InFlight<'a>(&'a FakeProvider);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut inner = self.0.lock();
        inner.in_flight = inner.in_flight.saturating_sub(1);
    }
}

impl FakeProvider {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    // ---- configuration ----

    /// Make `op` fail on `target` `times` times with an error of `kind`.
    pub fn fail(&self, target: Target, op: Op, times: Times, kind: ErrorKind) {
        self.lock().failures.push(Injected {
            target,
            op,
            times,
            kind,
        });
    }

    /// Make `op` on `target` take `delay` (a `tokio::time::sleep` before it acts).
    pub fn set_delay(&self, target: Target, op: Op, delay: Duration) {
        self.lock().delays.push((target, op, delay));
    }

    /// Make resources of `target` pending after create: `wait_ready` takes `delay`.
    pub fn set_pending(&self, target: Target, delay: Duration) {
        self.lock().pending.push((target, delay));
    }

    /// Make creates of `target` succeed in the store but return a transient error, as when
    /// the connection drops after the cloud acted.
    pub fn lose_response(&self, target: Target, times: Times) {
        self.lock().lost.push((target, times));
    }

    // ---- inspection ----

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().log.clone()
    }

    /// The calls of one operation, in order.
    pub fn calls_of(&self, op: Op) -> Vec<Call> {
        self.lock()
            .log
            .iter()
            .filter(|c| c.op == op)
            .cloned()
            .collect()
    }

    pub fn clear_calls(&self) {
        self.lock().log.clear();
    }

    /// The most operations observed running at once.
    pub fn max_in_flight(&self) -> usize {
        self.lock().max_in_flight
    }

    pub fn in_flight(&self) -> usize {
        self.lock().in_flight
    }

    /// Every stored object of a type, as the engine would see it (`infra:*` tags hidden), by id.
    pub fn resources(&self, type_name: &str) -> BTreeMap<String, Value> {
        self.lock()
            .store
            .get(type_name)
            .map(|m| {
                m.iter()
                    .map(|(id, v)| (id.clone(), public_view(v)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How many objects of a type exist.
    pub fn count(&self, type_name: &str) -> usize {
        self.lock().store.get(type_name).map_or(0, |m| m.len())
    }

    /// Total number of objects of every type.
    pub fn total(&self) -> usize {
        self.lock().store.values().map(|m| m.len()).sum()
    }

    /// One object as the engine would see it.
    pub fn get(&self, type_name: &str, id: &str) -> Option<Value> {
        self.lock()
            .store
            .get(type_name)
            .and_then(|m| m.get(id))
            .map(public_view)
    }

    /// One object with its `infra:*` tags, as the cloud holds it.
    pub fn get_raw(&self, type_name: &str, id: &str) -> Option<Value> {
        self.lock()
            .store
            .get(type_name)
            .and_then(|m| m.get(id))
            .cloned()
    }

    /// The objects created for `address` (more than one means a duplicate).
    pub fn find_by_address(&self, address: &Address) -> Vec<(String, Value)> {
        let want = address.to_string();
        let inner = self.lock();
        inner
            .store
            .get(&address.type_name)
            .map(|m| {
                m.iter()
                    .filter(|(id, _)| {
                        inner.addresses.get(*id).map(String::as_str) == Some(want.as_str())
                    })
                    .map(|(id, v)| (id.clone(), public_view(v)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Delete an object behind the engine's back. Returns whether it existed.
    pub fn remove(&self, type_name: &str, id: &str) -> bool {
        self.lock()
            .store
            .get_mut(type_name)
            .and_then(|m| m.remove(id))
            .is_some()
    }

    /// Set (or with `None`, remove) a tag behind the engine's back, in `tags` and `tags_all`.
    /// Returns whether the object exists.
    pub fn set_tag(&self, type_name: &str, id: &str, key: &str, value: Option<&str>) -> bool {
        let mut inner = self.lock();
        let Some(Value::Map(obj)) = inner.store.get_mut(type_name).and_then(|m| m.get_mut(id))
        else {
            return false;
        };
        for field in ["tags", "tags_all"] {
            let entry = obj
                .entry(field.to_string())
                .or_insert_with(|| Value::Map(BTreeMap::new()));
            if entry.is_null() {
                *entry = Value::Map(BTreeMap::new());
            }
            if let Value::Map(t) = entry {
                match value {
                    Some(v) => {
                        t.insert(key.to_string(), Value::string(v));
                    }
                    None => {
                        t.remove(key);
                    }
                }
            }
        }
        true
    }

    /// Change one attribute behind the engine's back. Returns whether the object exists.
    pub fn set_attribute(&self, type_name: &str, id: &str, name: &str, value: Value) -> bool {
        let mut inner = self.lock();
        match inner.store.get_mut(type_name).and_then(|m| m.get_mut(id)) {
            Some(Value::Map(obj)) => {
                obj.insert(name.to_string(), value);
                true
            }
            _ => false,
        }
    }

    // ---- internals ----

    /// Log and count a call, mark it in flight, sleep the configured delay, then check for
    /// an injected failure.
    async fn enter(
        &self,
        op: Op,
        type_name: &str,
        address: Option<String>,
        ids: Vec<String>,
        api: &str,
    ) -> Result<InFlight<'_>, ProviderError> {
        let delay = {
            let mut inner = self.lock();
            inner.calls.add(api);
            inner.log.push(Call {
                op,
                type_name: type_name.to_string(),
                address: address.clone(),
                ids,
            });
            inner.in_flight += 1;
            inner.max_in_flight = inner.max_in_flight.max(inner.in_flight);
            inner
                .delays
                .iter()
                .filter(|(t, o, _)| *o == op && t.matches(type_name, address.as_deref()))
                .map(|(_, _, d)| *d)
                .max()
                .unwrap_or_default()
        };
        let guard = InFlight(self);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let mut inner = self.lock();
        for f in inner.failures.iter_mut() {
            if f.op != op || !f.target.matches(type_name, address.as_deref()) {
                continue;
            }
            match &mut f.times {
                Times::Always => {}
                Times::Count(0) => continue,
                Times::Count(n) => *n -= 1,
            }
            return Err(ProviderError::new(
                f.kind,
                format!(
                    "injected {op:?} failure for {}",
                    address.as_deref().unwrap_or(type_name)
                ),
            )
            .with_code(code_for(f.kind))
            .with_operation(api.to_string()));
        }
        Ok(guard)
    }

    fn address_of(&self, id: &str) -> Option<String> {
        self.lock().addresses.get(id).cloned()
    }

    fn next_id(inner: &mut Inner, type_name: &str) -> String {
        let prefix = id_prefix(type_name);
        let n = inner.counters.entry(prefix.to_string()).or_default();
        *n += 1;
        format!("{prefix}-{:010}", *n)
    }
}

#[async_trait]
impl Provider for FakeProvider {
    async fn read(
        &self,
        type_name: &str,
        items: &[ReadRequest],
    ) -> Result<BTreeMap<String, Value>, ProviderError> {
        if items.is_empty() {
            return Ok(BTreeMap::new());
        }
        let api = format!("fake:Describe{}", api_noun(type_name));
        let ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
        // A read fails for an address when any of its items belongs to it.
        let addresses: Vec<String> = ids.iter().filter_map(|id| self.address_of(id)).collect();
        let failing = {
            let inner = self.lock();
            addresses
                .iter()
                .find(|a| {
                    inner
                        .failures
                        .iter()
                        .any(|f| f.op == Op::Read && f.target.matches(type_name, Some(a)))
                })
                .cloned()
        };
        let _guard = self
            .enter(Op::Read, type_name, failing, ids.clone(), &api)
            .await?;
        let inner = self.lock();
        let objects = inner.store.get(type_name);
        Ok(ids
            .into_iter()
            .filter_map(|id| {
                objects
                    .and_then(|m| m.get(&id))
                    .map(|v| (id, public_view(v)))
            })
            .collect())
    }

    async fn create(&self, req: &CreateRequest) -> Result<Value, ProviderError> {
        let api = format!(
            "fake:Create{}",
            api_noun(&req.type_name).trim_end_matches('s')
        );
        let schema = managed_schema(&req.type_name)?;
        let _guard = self
            .enter(
                Op::Create,
                &req.type_name,
                Some(req.address.to_string()),
                Vec::new(),
                &api,
            )
            .await?;
        if !req.config.is_wholly_known() {
            return Err(ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "configuration of {} has unknown values; resolve references before creating",
                    req.address
                ),
            )
            .with_operation(api));
        }
        let mut inner = self.lock();
        // The idempotency token makes a retried create return the same object.
        if let Some((t, id)) = inner.tokens.get(&req.token).cloned() {
            if let Some(v) = inner.store.get(&t).and_then(|m| m.get(&id)) {
                return Ok(public_view(v));
            }
        }
        let id = Self::next_id(&mut inner, &req.type_name);
        let serial = inner.counters.values().sum();
        let obj = build_object(schema, req, &id, serial);
        inner
            .store
            .entry(req.type_name.clone())
            .or_default()
            .insert(id.clone(), obj.clone());
        inner.addresses.insert(id.clone(), req.address.to_string());
        inner
            .tokens
            .insert(req.token.clone(), (req.type_name.clone(), id.clone()));
        let address = req.address.to_string();
        for (target, times) in inner.lost.iter_mut() {
            if !target.matches(&req.type_name, Some(&address)) {
                continue;
            }
            match times {
                Times::Always => {}
                Times::Count(0) => continue,
                Times::Count(n) => *n -= 1,
            }
            return Err(ProviderError::new(
                ErrorKind::Transient,
                format!("connection reset while creating {address}; the object may exist"),
            )
            .with_code("RequestTimeout")
            .with_operation(api));
        }
        Ok(public_view(&obj))
    }

    async fn wait_ready(
        &self,
        type_name: &str,
        id: &str,
        current: &Value,
    ) -> Result<Value, ProviderError> {
        let address = self.address_of(id);
        let pending = {
            let inner = self.lock();
            inner
                .pending
                .iter()
                .filter(|(t, _)| t.matches(type_name, address.as_deref()))
                .map(|(_, d)| *d)
                .max()
        };
        let api = format!("fake:Describe{}", api_noun(type_name));
        if pending.is_none() && !self.lock().failures.iter().any(|f| f.op == Op::WaitReady) {
            // Nothing to wait for: no call, like a type without a waiter.
            return Ok(self.get(type_name, id).unwrap_or_else(|| current.clone()));
        }
        let _guard = self
            .enter(
                Op::WaitReady,
                type_name,
                address.clone(),
                vec![id.to_string()],
                &api,
            )
            .await?;
        if let Some(d) = pending {
            tokio::time::sleep(d).await;
        }
        self.get(type_name, id).ok_or_else(|| {
            ProviderError::not_found(format!(
                "{} {id} disappeared while waiting for it to become ready",
                address.as_deref().unwrap_or(type_name)
            ))
            .with_operation(api)
        })
    }

    async fn update(
        &self,
        type_name: &str,
        id: &str,
        _prior: &Value,
        desired: &Value,
    ) -> Result<Value, ProviderError> {
        let api = format!("fake:Modify{}", api_noun(type_name).trim_end_matches('s'));
        let schema = managed_schema(type_name)?;
        let _guard = self
            .enter(
                Op::Update,
                type_name,
                self.address_of(id),
                vec![id.to_string()],
                &api,
            )
            .await?;
        let mut inner = self.lock();
        let Some(stored) = inner.store.get_mut(type_name).and_then(|m| m.get_mut(id)) else {
            return Err(ProviderError::not_found(format!(
                "{type_name} {id} does not exist; refresh and plan again"
            ))
            .with_code("NotFound")
            .with_operation(api));
        };
        *stored = merge_update(schema, stored, desired);
        Ok(public_view(stored))
    }

    async fn delete(&self, type_name: &str, id: &str, _prior: &Value) -> Result<(), ProviderError> {
        let api = format!("fake:Delete{}", api_noun(type_name).trim_end_matches('s'));
        let _guard = self
            .enter(
                Op::Delete,
                type_name,
                self.address_of(id),
                vec![id.to_string()],
                &api,
            )
            .await?;
        let mut inner = self.lock();
        if let Some(m) = inner.store.get_mut(type_name) {
            m.remove(id);
        }
        Ok(())
    }

    async fn adopt(&self, req: &CreateRequest) -> Result<Option<Value>, ProviderError> {
        let api = format!("fake:Describe{}", api_noun(&req.type_name));
        let _guard = self
            .enter(
                Op::Adopt,
                &req.type_name,
                Some(req.address.to_string()),
                Vec::new(),
                &api,
            )
            .await?;
        let inner = self.lock();
        let Some(objects) = inner.store.get(&req.type_name) else {
            return Ok(None);
        };
        // what the state already holds at this address is never adopted
        let known = |v: &&Value| {
            let id = v.get("id");
            req.known_ids
                .iter()
                .any(|k| id.as_str() == Some(k.as_str()))
        };
        if let Some((_, id)) = inner.tokens.get(&req.token) {
            if let Some(v) = objects.get(id).filter(|v| !known(v)) {
                return Ok(Some(public_view(v)));
            }
        }
        let address = req.address.to_string();
        let by_tags = objects.values().filter(|v| !known(v)).find(|v| {
            let t = v.get("tags_all");
            t.get(tags::STACK).as_str() == Some(req.stack.as_str())
                && t.get(tags::ADDRESS).as_str() == Some(address.as_str())
        });
        if let Some(v) = by_tags {
            return Ok(Some(public_view(v)));
        }
        if req.type_name == "aws_route" {
            let key = |v: &Value| {
                (
                    v.get("route_table_id").clone(),
                    v.get("destination_cidr_block").clone(),
                )
            };
            if let Some(v) = objects
                .values()
                .filter(|v| !known(v))
                .find(|v| key(v) == key(&req.config))
            {
                return Ok(Some(public_view(v)));
            }
        }
        Ok(None)
    }

    async fn read_data(&self, type_name: &str, args: &Value) -> Result<Value, ProviderError> {
        let api = match type_name {
            "aws_availability_zones" => "fake:DescribeAvailabilityZones",
            "aws_region" => "fake:DescribeRegions",
            "aws_caller_identity" => "fake:GetCallerIdentity",
            other => {
                return Err(ProviderError::new(
                    ErrorKind::Rejected,
                    format!(
                        "unsupported data source `{other}`; use one of {}",
                        schema::type_names(Mode::Data).join(", ")
                    ),
                ));
            }
        };
        let _guard = self
            .enter(Op::ReadData, type_name, None, Vec::new(), api)
            .await?;
        Ok(objects::data_source(type_name, args))
    }

    fn api_calls(&self) -> ApiCalls {
        self.lock().calls.clone()
    }
}

/// The cloud id of a value, for tests.
pub fn id(v: &Value) -> String {
    id_of(v).unwrap_or_default().to_string()
}
