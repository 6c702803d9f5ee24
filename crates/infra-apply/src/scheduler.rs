//! Walks the execution graph: starts each step once all its predecessors succeeded, at
//! most `parallelism` at once, and records what happens. It owns the values known so far
//! and resolves each step's inputs before starting it; steps themselves only call the
//! provider and the store.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use infra_model::schema::{self, AttrSchema, BlockSchema, ResourceSchema};
use infra_model::{Address, Mode, Value};
use infra_plan::{Action, Plan, ResourceChange, Step, StepKind};
use infra_provider::{id_of, CreateRequest, Provider};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::step::{self, Done, Env, Work};
use crate::{token_for, ApplyOptions, ApplyReport, Event, Persist, Resolver, Shutdown};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Running,
    Done,
    Failed,
    Skipped,
}

pub(crate) struct Scheduler<'a> {
    plan: &'a Plan,
    resolver: &'a dyn Resolver,
    env: Env,
    opts: ApplyOptions,
    shutdown: Shutdown,
    /// The refreshed attributes apply started from.
    prior: BTreeMap<Address, Value>,
    /// Prior values updated with every result so far.
    values: BTreeMap<Address, Value>,
    /// Ids of objects deposed in this run, by address.
    deposed: BTreeMap<Address, String>,
    state: Vec<State>,
    preds_left: Vec<usize>,
    succs: Vec<Vec<usize>>,
    ready: VecDeque<usize>,
    report: ApplyReport,
    /// Indices into `plan.changes` by address: finding a step's change must not scan every
    /// change (quadratic at 10,000 steps).
    changes_at: HashMap<&'a Address, Vec<usize>>,
}

impl<'a> Scheduler<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        plan: &'a Plan,
        prior: BTreeMap<Address, Value>,
        resolver: &'a dyn Resolver,
        provider: Arc<dyn Provider>,
        persist: Arc<dyn Persist>,
        opts: ApplyOptions,
        shutdown: Shutdown,
        events: UnboundedSender<Event>,
    ) -> Self {
        let n = plan.graph.steps.len();
        let mut changes_at: HashMap<&'a Address, Vec<usize>> = HashMap::new();
        for (i, c) in plan.changes.iter().enumerate() {
            changes_at.entry(&c.address).or_default().push(i);
        }
        let env = Env {
            provider,
            persist,
            events,
            waiting_interval: opts.waiting_interval,
            shutdown: shutdown.clone(),
        };
        Scheduler {
            plan,
            resolver,
            env,
            opts,
            shutdown,
            values: prior.clone(),
            prior,
            deposed: BTreeMap::new(),
            state: vec![State::Waiting; n],
            preds_left: vec![0; n],
            succs: vec![Vec::new(); n],
            ready: VecDeque::new(),
            report: ApplyReport::default(),
            changes_at,
        }
    }

    pub(crate) async fn run(mut self) -> ApplyReport {
        let steps = &self.plan.graph.steps;
        let n = steps.len();
        let mut broken = Vec::new();
        for &(before, after) in &self.plan.graph.edges {
            if before >= n || after >= n || before == after {
                broken.push((before, after));
                continue;
            }
            self.succs[before].push(after);
            self.preds_left[after] += 1;
        }
        for (before, after) in broken {
            if after < n && self.state[after] == State::Waiting {
                let why = format!("the plan's execution graph has an invalid edge ({before} -> {after}); this is a bug in infra, please report it and plan again");
                self.fail(after, why, std::time::Duration::ZERO);
            }
        }
        self.ready = (0..n)
            .filter(|&i| self.preds_left[i] == 0 && self.state[i] == State::Waiting)
            .collect();

        let semaphore = Arc::new(Semaphore::new(self.opts.parallelism.max(1)));
        let mut tasks: JoinSet<(usize, Instant, Result<Done, String>)> = JoinSet::new();
        let mut task_steps: HashMap<tokio::task::Id, (usize, Instant)> = HashMap::new();
        let mut shutdown_seen = false;

        loop {
            if !shutdown_seen && self.shutdown.is_triggered() {
                shutdown_seen = true;
                self.interrupted(tasks.len());
            }
            while !shutdown_seen && !self.ready.is_empty() {
                let Ok(permit) = semaphore.clone().try_acquire_owned() else {
                    break;
                };
                let Some(i) = self.ready.pop_front() else {
                    break;
                };
                let start = Instant::now();
                let step = self.plan.graph.steps[i].clone();
                if step.kind == StepKind::Barrier {
                    // no work and no permit: it is done once everything before it is
                    drop(permit);
                    self.pass(i);
                    continue;
                }
                match self.prepare(&step) {
                    Ok(work) => {
                        self.state[i] = State::Running;
                        tracing::debug!(address = %step.address, kind = ?step.kind, "step started");
                        self.emit(Event::StepStarted { step: step.clone() });
                        let env = self.env.clone();
                        let timeouts = self
                            .change_of(&step)
                            .map(|c| c.lifecycle.timeouts)
                            .unwrap_or_default();
                        let provider = self
                            .change_of(&step)
                            .map(|c| c.provider_for(step.kind).to_string())
                            .unwrap_or_default();
                        let timeout = match step.kind {
                            StepKind::Create => timeouts.create,
                            StepKind::Update => timeouts.update,
                            StepKind::Delete => timeouts.delete,
                            StepKind::Read | StepKind::Barrier => None,
                        }
                        .map(std::time::Duration::from_secs);
                        let handle = tasks.spawn(async move {
                            let _permit = permit;
                            let run = step::run(env, step, work);
                            let run = infra_provider::with_step_timeout(timeout, run);
                            (
                                i,
                                start,
                                infra_provider::with_provider_config(&provider, run).await,
                            )
                        });
                        task_steps.insert(handle.id(), (i, start));
                    }
                    Err(e) => self.fail(i, e, start.elapsed()),
                }
            }
            if tasks.is_empty() && (shutdown_seen || self.ready.is_empty()) {
                break;
            }
            if tasks.is_empty() {
                continue;
            }
            tokio::select! {
                joined = tasks.join_next_with_id() => match joined {
                    Some(Ok((id, (i, start, result)))) => {
                        task_steps.remove(&id);
                        self.finish(i, start, result);
                    }
                    Some(Err(e)) => {
                        if let Some((i, start)) = task_steps.remove(&e.id()) {
                            self.fail(i, format!("internal error while applying: {e}; please report it, then plan again"), start.elapsed());
                        }
                    }
                    None => {}
                },
                _ = self.shutdown.triggered(), if !shutdown_seen => {
                    shutdown_seen = true;
                    self.interrupted(tasks.len());
                }
            }
        }

        for (i, s) in self.state.iter().enumerate() {
            if *s == State::Waiting {
                let step = self.plan.graph.steps[i].clone();
                if step.kind == StepKind::Barrier {
                    continue;
                }
                if shutdown_seen {
                    self.report.not_started.push(step);
                } else {
                    // Unreachable unless the graph has a cycle.
                    let e = "never became ready: the plan's execution graph has a cycle; this is a bug in infra, please report it".to_string();
                    self.report.failed.push((step, e));
                }
            }
        }
        self.report.interrupted = shutdown_seen;
        self.report.values = self.values;
        self.report
    }

    fn emit(&self, event: Event) {
        // The binary may have stopped listening; apply goes on regardless.
        let _ = self.env.events.send(event);
    }

    fn interrupted(&mut self, in_flight: usize) {
        tracing::info!(in_flight, "shutdown requested: starting nothing new");
        self.emit(Event::Interrupted { in_flight });
    }

    fn finish(&mut self, i: usize, start: Instant, result: Result<Done, String>) {
        let step = self.plan.graph.steps[i].clone();
        let done = match result {
            Ok(done) => done,
            Err(e) => return self.fail(i, e, start.elapsed()),
        };
        let id = done.id();
        match done {
            Done::Created { value, deposed } => {
                if let Some(old) = deposed {
                    self.deposed.insert(step.address.clone(), old);
                }
                self.values.insert(step.address.clone(), value);
            }
            Done::Updated { value } | Done::Read { value } => {
                self.values.insert(step.address.clone(), value);
            }
            Done::Deleted { deposed, .. } => {
                if !deposed {
                    self.values.remove(&step.address);
                }
            }
        }
        self.state[i] = State::Done;
        tracing::debug!(address = %step.address, ?id, "step completed");
        self.emit(Event::StepCompleted {
            step: step.clone(),
            elapsed: start.elapsed(),
            id: id.clone(),
        });
        self.report.completed.push((step, id));
        self.release(i);
    }

    /// A barrier step: done, unreported, its successors released.
    fn pass(&mut self, i: usize) {
        self.state[i] = State::Done;
        self.release(i);
    }

    /// One predecessor fewer for each successor of the finished step `i`.
    fn release(&mut self, i: usize) {
        for k in 0..self.succs[i].len() {
            let j = self.succs[i][k];
            self.preds_left[j] -= 1;
            if self.preds_left[j] == 0 && self.state[j] == State::Waiting {
                self.ready.push_back(j);
            }
        }
    }

    /// Record a failure and skip every step that depends on it, transitively.
    fn fail(&mut self, i: usize, error: String, elapsed: std::time::Duration) {
        let step = self.plan.graph.steps[i].clone();
        tracing::debug!(address = %step.address, %error, "step failed");
        self.state[i] = State::Failed;
        self.ready.retain(|&r| r != i);
        self.emit(Event::StepFailed {
            step: step.clone(),
            elapsed,
            error: error.clone(),
        });
        self.report.failed.push((step.clone(), error));
        let mut stack = self.succs[i].clone();
        while let Some(j) = stack.pop() {
            if self.state[j] != State::Waiting {
                continue;
            }
            self.state[j] = State::Skipped;
            self.ready.retain(|&r| r != j);
            stack.extend(self.succs[j].iter().copied());
            let skipped = self.plan.graph.steps[j].clone();
            if skipped.kind == StepKind::Barrier {
                continue;
            }
            self.emit(Event::StepSkipped {
                step: skipped.clone(),
                because: step.address.clone(),
            });
            self.report.skipped.push(skipped);
        }
    }

    /// The planned change a step belongs to.
    fn change_of(&self, step: &Step) -> Option<&'a ResourceChange> {
        let changes = &self.plan.changes;
        let at = || {
            self.changes_at
                .get(&step.address)
                .into_iter()
                .flatten()
                .map(|&i| &changes[i])
        };
        at().find(|c| c.deposed == step.deposed)
            .or_else(|| at().find(|c| c.action == Action::CreateThenDelete))
            .or_else(|| at().next())
    }

    /// Decide everything a step needs from the values known now.
    fn prepare(&self, step: &Step) -> Result<Work, String> {
        let address = &step.address;
        let change = self.change_of(step);
        let depends_on = change.map(|c| c.depends_on.clone()).unwrap_or_default();
        let type_name = address.type_name.clone();
        match step.kind {
            StepKind::Create => {
                let schema = schema_of(address)?;
                let config = self.resolve(address)?;
                let mut config =
                    infra_plan::normalize(schema, &config, None, self.default_tags(change));
                // a replacement keeps what ignore_changes names, as the plan showed
                if let Some(before) = change.and_then(|c| c.before.as_ref()) {
                    self.keep_ignored(schema, change, &mut config, before, true);
                }
                let config = strip_cloud_decided(schema, config);
                check_known(address, "create", &config)?;
                let req = CreateRequest {
                    stack: self.opts.stack.clone(),
                    address: address.clone(),
                    type_name,
                    config,
                    token: token_for(&self.opts.run_id, address),
                    // a replacement's old object carries the same `infra:*` tags: what a
                    // lost create answer (or a late one) made is never that one
                    known_ids: change
                        .and_then(|c| c.before.as_ref())
                        .and_then(id_of)
                        .map(|id| vec![id.to_string()])
                        .unwrap_or_default(),
                };
                let depose = change.is_some_and(|c| c.action == Action::CreateThenDelete);
                Ok(Work::Create {
                    req,
                    depends_on,
                    depose,
                })
            }
            StepKind::Update => {
                let schema = schema_of(address)?;
                let prior = self
                    .values
                    .get(address)
                    .cloned()
                    .or_else(|| change.and_then(|c| c.before.clone()))
                    .ok_or_else(|| no_prior(address))?;
                let id = id_of(&prior).ok_or_else(|| no_id(address))?.to_string();
                let config = self.resolve(address)?;
                let mut desired =
                    infra_plan::normalize(schema, &config, Some(&prior), self.default_tags(change));
                // what ignore_changes names keeps the cloud's value: the update must not
                // send back what the plan ignored (a desired_size an autoscaler owns)
                self.keep_ignored(schema, change, &mut desired, &prior, false);
                check_known(address, "update", &desired)?;
                Ok(Work::Update {
                    type_name,
                    id,
                    prior,
                    desired,
                    depends_on,
                })
            }
            StepKind::Delete => {
                let create_first = change.is_some_and(|c| c.action == Action::CreateThenDelete);
                let is_deposed = step.deposed.is_some() || create_first;
                let prior = change
                    .and_then(|c| c.before.clone())
                    .or_else(|| self.prior.get(address).cloned())
                    .unwrap_or(Value::Null);
                if is_deposed {
                    // The second half of a create-first replacement deletes what this run
                    // deposed; a leftover deposed object is named by its step.
                    let deposed_now = self.deposed.get(address).filter(|_| create_first).cloned();
                    let id = deposed_now
                        .or_else(|| step.deposed.clone())
                        .or_else(|| change.and_then(|c| c.deposed.clone()))
                        .or_else(|| id_of(&prior).map(str::to_string))
                        .ok_or_else(|| no_id(address))?;
                    if create_first && self.values.get(address).and_then(id_of) == Some(id.as_str())
                    {
                        return Err(format!(
                            "{address}: the replacement came back with the old object's id {id}, so the old object is not deleted; check the provider's idempotency tokens, then plan again"
                        ));
                    }
                    return Ok(Work::Delete {
                        type_name,
                        id: id.clone(),
                        prior,
                        deposed: Some(id),
                    });
                }
                let current = self.values.get(address).cloned().unwrap_or(prior);
                let id = id_of(&current).ok_or_else(|| no_id(address))?.to_string();
                Ok(Work::Delete {
                    type_name,
                    id,
                    prior: current,
                    deposed: None,
                })
            }
            StepKind::Read => {
                let args = self.resolve(address)?;
                check_known(address, "read", &args)?;
                Ok(Work::Read { type_name, args })
            }
            // run() passes barriers without preparing them
            StepKind::Barrier => Err(format!(
                "internal error: the barrier step of {address} has no work; please report it"
            )),
        }
    }

    /// Apply the change's `ignore_changes` to a configuration re-evaluated for apply.
    fn keep_ignored(
        &self,
        schema: &ResourceSchema,
        change: Option<&ResourceChange>,
        config: &mut Value,
        prior: &Value,
        fresh: bool,
    ) {
        if let Some(c) = change.filter(|c| !c.lifecycle.ignore_changes.is_empty()) {
            infra_plan::keep_ignored(
                schema,
                config,
                prior,
                &c.lifecycle.ignore_changes,
                self.opts.default_tags.get(&c.provider),
                fresh,
            );
        }
    }

    /// The `default_tags` of the provider configuration the change goes to.
    fn default_tags(&self, change: Option<&ResourceChange>) -> &BTreeMap<String, String> {
        self.opts
            .default_tags
            .get(change.map(|c| c.provider.as_str()).unwrap_or_default())
    }

    fn resolve(&self, address: &Address) -> Result<Value, String> {
        self.resolver
            .resolve(address, &self.values)
            .map_err(|e| format!("could not evaluate the configuration of {address}: {e}"))
    }
}

fn schema_of(address: &Address) -> Result<&'static ResourceSchema, String> {
    let mode = address.mode;
    schema::lookup(mode, &address.type_name).ok_or_else(|| {
        let kind = if mode == Mode::Data { "data source" } else { "resource type" };
        format!("{address}: unsupported {kind} `{}`; the plan was made by another version of infra, plan again", address.type_name)
    })
}

/// Before a create, attributes that only the cloud decides (read-only, or optional and
/// computed and not written) are unknown in the normalized configuration: drop them, so
/// that what remains must be wholly known.
fn strip_cloud_decided(schema: &ResourceSchema, config: Value) -> Value {
    strip_level(&schema.attributes, &schema.blocks, config)
}

/// One level of [`strip_cloud_decided`]: computed attributes still unknown go, and nested
/// blocks (`vpc_config[0].cluster_security_group_id`) are stripped the same way.
fn strip_level(attrs: &[AttrSchema], blocks: &[BlockSchema], config: Value) -> Value {
    let Value::Map(mut m) = config else {
        return config;
    };
    m.retain(|k, v| !(v.is_unknown() && attrs.iter().any(|a| a.name == k && a.computed)));
    for block in blocks {
        match m.remove(block.name) {
            Some(Value::List(items)) => {
                let items = items
                    .into_iter()
                    .map(|item| strip_level(&block.attributes, &block.blocks, item))
                    .collect();
                m.insert(block.name.to_string(), Value::List(items));
            }
            // an unknown computed block (inline routes the cloud decides) goes too
            Some(Value::Unknown) if block.computed => {}
            Some(other) => {
                m.insert(block.name.to_string(), other);
            }
            None => {}
        }
    }
    Value::Map(m)
}

fn check_known(address: &Address, verb: &str, config: &Value) -> Result<(), String> {
    let mut paths = Vec::new();
    unknown_paths(config, String::new(), &mut paths);
    if paths.is_empty() {
        return Ok(());
    }
    Err(format!(
        "cannot {verb} {address}: {} still unknown at apply time; a value it references was never produced, so apply what it depends on first (plan again)",
        paths.join(", ")
    ))
}

fn unknown_paths(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Unknown => out.push(if at.is_empty() {
            "the whole configuration".into()
        } else {
            at
        }),
        Value::Map(m) => {
            for (k, v) in m {
                let p = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                unknown_paths(v, p, out);
            }
        }
        Value::List(items) => {
            for (i, v) in items.iter().enumerate() {
                unknown_paths(v, format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

fn no_prior(address: &Address) -> String {
    format!("{address} has no recorded attributes to update from; refresh and plan again")
}

fn no_id(address: &Address) -> String {
    format!("{address} has no cloud id in the state; remove it with `infra state rm {address}` or plan again")
}
