//! Test support: an in-memory [`Persist`] that records every call, a resolver driven by
//! closures, and helpers to build plans by hand.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use infra_apply::{apply, ApplyOptions, ApplyReport, Event, Persist, Resolver, Shutdown};
use infra_model::{Address, Value};
use infra_plan::{Action, ExecGraph, Lifecycle, Plan, ResourceChange, Step, StepKind};
use infra_provider::fake::FakeProvider;
use infra_provider::{id_of, CreateRequest, Provider};

pub type Values = BTreeMap<Address, Value>;

/// One recorded persistence call.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Intent {
        address: Address,
        token: String,
        existed_in_cloud: bool,
    },
    Created {
        address: Address,
        id: String,
        ready: bool,
        in_cloud: bool,
    },
    Updated {
        address: Address,
        id: String,
    },
    Deleted {
        address: Address,
        deposed: Option<String>,
    },
    Deposed {
        address: Address,
        old: Option<String>,
    },
}

/// The state store, in memory: rows, intents and deposed objects, plus a log of calls.
/// It checks the cloud (the fake) at each call, to prove the order of persist and create.
#[derive(Default)]
pub struct MemPersist {
    pub cloud: Option<Arc<FakeProvider>>,
    pub inner: Mutex<MemState>,
    /// Make `created` fail for this address.
    pub fail_created: Mutex<Option<Address>>,
}

#[derive(Default, Debug, Clone)]
pub struct MemState {
    pub log: Vec<Record>,
    pub rows: BTreeMap<Address, (Value, bool)>,
    pub intents: BTreeMap<Address, CreateRequest>,
    pub deposed: BTreeMap<Address, Vec<String>>,
}

impl MemPersist {
    pub fn new(cloud: &Arc<FakeProvider>) -> Arc<Self> {
        Arc::new(MemPersist {
            cloud: Some(cloud.clone()),
            ..Default::default()
        })
    }
    pub fn state(&self) -> MemState {
        self.inner.lock().unwrap().clone()
    }
    pub fn log(&self) -> Vec<Record> {
        self.state().log
    }
    /// Pre-populate a row, as a previous apply would have.
    pub fn seed(&self, address: &Address, attrs: &Value) {
        self.inner
            .lock()
            .unwrap()
            .rows
            .insert(address.clone(), (attrs.clone(), true));
    }
    fn in_cloud(&self, address: &Address) -> bool {
        self.cloud
            .as_ref()
            .is_some_and(|c| !c.find_by_address(address).is_empty())
    }
}

#[async_trait]
impl Persist for MemPersist {
    async fn intent(&self, req: &CreateRequest) -> Result<(), String> {
        let existed_in_cloud = self.in_cloud(&req.address);
        let mut s = self.inner.lock().unwrap();
        s.log.push(Record::Intent {
            address: req.address.clone(),
            token: req.token.clone(),
            existed_in_cloud,
        });
        s.intents.insert(req.address.clone(), req.clone());
        Ok(())
    }
    async fn created(
        &self,
        address: &Address,
        attrs: &Value,
        _depends_on: &[Address],
        ready: bool,
    ) -> Result<(), String> {
        if self.fail_created.lock().unwrap().as_ref() == Some(address) {
            return Err("database is locked".into());
        }
        let in_cloud = self.in_cloud(address);
        let mut s = self.inner.lock().unwrap();
        let id = id_of(attrs).unwrap_or_default().to_string();
        s.log.push(Record::Created {
            address: address.clone(),
            id,
            ready,
            in_cloud,
        });
        s.rows.insert(address.clone(), (attrs.clone(), ready));
        s.intents.remove(address);
        Ok(())
    }
    async fn updated(
        &self,
        address: &Address,
        attrs: &Value,
        _depends_on: &[Address],
    ) -> Result<(), String> {
        let mut s = self.inner.lock().unwrap();
        s.log.push(Record::Updated {
            address: address.clone(),
            id: id_of(attrs).unwrap_or_default().to_string(),
        });
        s.rows.insert(address.clone(), (attrs.clone(), true));
        Ok(())
    }
    async fn deleted(&self, address: &Address, deposed: Option<&str>) -> Result<(), String> {
        let mut s = self.inner.lock().unwrap();
        s.log.push(Record::Deleted {
            address: address.clone(),
            deposed: deposed.map(str::to_string),
        });
        match deposed {
            Some(id) => {
                if let Some(d) = s.deposed.get_mut(address) {
                    d.retain(|x| x != id);
                }
            }
            None => {
                s.rows.remove(address);
            }
        }
        Ok(())
    }
    async fn abandon(&self, address: &Address) -> Result<(), String> {
        self.inner.lock().unwrap().intents.remove(address);
        Ok(())
    }

    async fn depose(&self, address: &Address) -> Result<Option<String>, String> {
        let mut s = self.inner.lock().unwrap();
        let old = s
            .rows
            .remove(address)
            .and_then(|(v, _)| id_of(&v).map(str::to_string));
        if let Some(id) = &old {
            s.deposed
                .entry(address.clone())
                .or_default()
                .push(id.clone());
        }
        s.log.push(Record::Deposed {
            address: address.clone(),
            old: old.clone(),
        });
        Ok(old)
    }
}

type ConfigFn = Box<dyn Fn(&Values) -> Value + Send + Sync>;

/// Configurations by address, as closures over the values known so far.
#[derive(Default)]
pub struct MapResolver {
    configs: BTreeMap<Address, ConfigFn>,
}

impl MapResolver {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn with(
        mut self,
        address: &Address,
        f: impl Fn(&Values) -> Value + Send + Sync + 'static,
    ) -> Self {
        self.configs.insert(address.clone(), Box::new(f));
        self
    }
}

impl Resolver for MapResolver {
    fn resolve(&self, address: &Address, values: &Values) -> Result<Value, String> {
        self.configs
            .get(address)
            .map(|f| f(values))
            .ok_or_else(|| format!("no configuration for {address}"))
    }
}

/// An attribute of a known value, or Unknown (as evaluation does before apply).
pub fn attr(values: &Values, address: &Address, name: &str) -> Value {
    values
        .get(address)
        .map(|v| v.get(name).clone())
        .unwrap_or(Value::Unknown)
}

pub fn vpc(name: &str) -> Address {
    Address::managed("aws_vpc", name)
}
pub fn subnet(name: &str) -> Address {
    Address::managed("aws_subnet", name)
}
pub fn igw(name: &str) -> Address {
    Address::managed("aws_internet_gateway", name)
}

pub fn s(v: &str) -> Value {
    Value::string(v)
}

pub fn vpc_config(cidr: &str, name: &str) -> Value {
    Value::map([
        ("cidr_block", s(cidr)),
        ("tags", Value::map([("Name", s(name))])),
    ])
}

/// A subnet whose vpc_id references `vpc`.
pub fn subnet_config(
    vpc: Address,
    cidr: &'static str,
) -> impl Fn(&Values) -> Value + Send + Sync + 'static {
    move |values: &Values| {
        Value::map([
            ("vpc_id", attr(values, &vpc, "id")),
            ("cidr_block", s(cidr)),
        ])
    }
}

/// A hand-built plan: changes plus the graph apply walks.
pub struct PlanBuilder {
    plan: Plan,
}

impl PlanBuilder {
    pub fn new() -> Self {
        PlanBuilder {
            plan: Plan {
                changes: Vec::new(),
                outputs: BTreeMap::new(),
                graph: ExecGraph::default(),
                destroy: false,
            },
        }
    }

    /// Add a change; returns nothing, steps are added with [`PlanBuilder::step`].
    pub fn change(
        &mut self,
        address: &Address,
        action: Action,
        before: Option<Value>,
        depends_on: &[Address],
    ) -> &mut Self {
        self.plan.changes.push(ResourceChange {
            provider: Default::default(),
            delete_provider: None,
            address: address.clone(),
            action,
            before,
            after: None,
            replace_paths: Vec::new(),
            reason: None,
            depends_on: depends_on.to_vec(),
            lifecycle: Lifecycle {
                create_before_destroy: action == Action::CreateThenDelete,
                ..Lifecycle::default()
            },
            deposed: None,
            previous_address: None,
        });
        self
    }

    /// Add a step; returns its index.
    pub fn step(&mut self, address: &Address, kind: StepKind) -> usize {
        self.plan.graph.steps.push(Step {
            address: address.clone(),
            kind,
            deposed: None,
        });
        self.plan.graph.steps.len() - 1
    }

    pub fn edge(&mut self, before: usize, after: usize) -> &mut Self {
        self.plan.graph.edges.push((before, after));
        self
    }

    /// A create change and its step.
    pub fn create(&mut self, address: &Address, depends_on: &[Address]) -> usize {
        self.change(address, Action::Create, None, depends_on);
        self.step(address, StepKind::Create)
    }

    pub fn build(&self) -> Plan {
        self.plan.clone()
    }
}

/// Everything a test needs to run an apply.
pub struct Harness {
    pub cloud: Arc<FakeProvider>,
    pub persist: Arc<MemPersist>,
    pub prior: Values,
    pub opts: ApplyOptions,
    pub shutdown: Shutdown,
    /// Applies run so far: each gets its own run id (`run-1`, `run-2`, ...).
    pub runs: std::sync::atomic::AtomicUsize,
}

impl Harness {
    pub fn new() -> Self {
        let cloud = Arc::new(FakeProvider::new());
        let persist = MemPersist::new(&cloud);
        let mut opts = ApplyOptions::new("test", "run-1");
        opts.waiting_interval = Duration::from_secs(10);
        Harness {
            cloud,
            persist,
            prior: Values::new(),
            opts,
            shutdown: Shutdown::new(),
            runs: Default::default(),
        }
    }

    /// Create a resource in the fake cloud and record it as prior state, as an earlier apply would.
    pub async fn existing(&mut self, address: &Address, config: Value) -> Value {
        let schema =
            infra_model::schema::lookup(address.mode, &address.type_name).expect("a known type");
        let full = infra_plan::normalize(schema, &config, None, &BTreeMap::new());
        let full = match full {
            Value::Map(mut m) => {
                m.retain(|_, v| !v.is_unknown());
                Value::Map(m)
            }
            other => other,
        };
        let req = CreateRequest {
            stack: "test".into(),
            address: address.clone(),
            type_name: address.type_name.clone(),
            config: full,
            token: format!("seed-{address}"),
            known_ids: Vec::new(),
        };
        let v = self
            .cloud
            .create(&req)
            .await
            .expect("seeding the fake cloud");
        self.prior.insert(address.clone(), v.clone());
        self.persist.seed(address, &v);
        v
    }

    /// Run an apply, collecting its events.
    pub async fn apply(&self, plan: &Plan, resolver: &MapResolver) -> (ApplyReport, Vec<Event>) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let provider: Arc<dyn Provider> = self.cloud.clone();
        let run = self.runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let opts = ApplyOptions {
            run_id: format!("run-{run}"),
            ..self.opts.clone()
        };
        let report = apply(
            plan,
            self.prior.clone(),
            resolver,
            provider,
            self.persist.clone(),
            opts,
            self.shutdown.clone(),
            tx,
        )
        .await;
        let mut events = Vec::new();
        while let Ok(e) = rx.try_recv() {
            events.push(e);
        }
        (report, events)
    }
}

pub fn addresses(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .map(|s| format!("{} {:?}", s.address, s.kind))
        .collect()
}

pub fn completed(report: &ApplyReport) -> Vec<String> {
    report
        .completed
        .iter()
        .map(|(s, _)| format!("{} {:?}", s.address, s.kind))
        .collect()
}
