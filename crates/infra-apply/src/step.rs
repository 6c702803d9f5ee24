//! One step of the graph, run as its own task: the provider calls and the persistence
//! around them. Everything a step needs is decided before it starts (by the scheduler,
//! which owns the values known so far), so a step only talks to the provider and the store.

use std::sync::Arc;
use std::time::Duration;

use infra_model::{Address, Value};
use infra_plan::{Step, StepKind};
use infra_provider::{id_of, CreateRequest, ErrorKind, Provider, ProviderError};
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use crate::{Event, Persist};

/// What a step does, with its inputs resolved.
#[derive(Debug, Clone)]
pub(crate) enum Work {
    Create {
        req: CreateRequest,
        depends_on: Vec<Address>,
        /// `create_before_destroy`: depose the current object first.
        depose: bool,
    },
    Update {
        type_name: String,
        id: String,
        prior: Value,
        desired: Value,
        depends_on: Vec<Address>,
    },
    Delete {
        type_name: String,
        id: String,
        prior: Value,
        /// Set when deleting a deposed object: its id, as the state knows it.
        deposed: Option<String>,
    },
    Read {
        type_name: String,
        args: Value,
    },
}

/// What a successful step produced.
#[derive(Debug, Clone)]
pub(crate) enum Done {
    Created {
        value: Value,
        deposed: Option<String>,
    },
    Updated {
        value: Value,
    },
    Deleted {
        id: String,
        deposed: bool,
    },
    Read {
        value: Value,
    },
}

impl Done {
    pub(crate) fn id(&self) -> Option<String> {
        match self {
            Done::Created { value, .. } | Done::Updated { value } | Done::Read { value } => {
                id_of(value).map(str::to_string)
            }
            Done::Deleted { id, .. } => Some(id.clone()),
        }
    }
}

/// The shared handles every step uses.
#[derive(Clone)]
pub(crate) struct Env {
    pub provider: Arc<dyn Provider>,
    pub persist: Arc<dyn Persist>,
    pub events: UnboundedSender<Event>,
    pub waiting_interval: Duration,
    /// Fired by Ctrl-C: waits (a resource becoming ready, a delete retrying) stop early.
    pub shutdown: crate::Shutdown,
}

pub(crate) async fn run(env: Env, step: Step, work: Work) -> Result<Done, String> {
    let address = &step.address;
    match work {
        Work::Create {
            req,
            depends_on,
            depose,
        } => create(&env, req, &depends_on, depose).await,
        Work::Update {
            type_name,
            id,
            prior,
            desired,
            depends_on,
        } => {
            let value = env
                .provider
                .update(&type_name, &id, &prior, &desired)
                .await
                .map_err(|e| provider_error("update", address, &e))?;
            env.persist
                .updated(address, &value, &depends_on)
                .await
                .map_err(|e| format!("{address} ({id}) was updated but the state could not record it: {e}; the next plan shows the difference, if any"))?;
            Ok(Done::Updated { value })
        }
        Work::Delete {
            type_name,
            id,
            prior,
            deposed,
        } => {
            // A delete may wait long (a NAT gateway draining, a dependency still being
            // removed). Ctrl-C stops the wait: the resource is still in the state, and the
            // next run's refresh sees whether it went.
            {
                let delete = env.provider.delete(&type_name, &id, &prior);
                tokio::pin!(delete);
                let start = Instant::now();
                let interval = env.waiting_interval.max(Duration::from_millis(1));
                let mut ticker = tokio::time::interval_at(start + interval, interval);
                loop {
                    tokio::select! {
                        biased;
                        result = &mut delete => {
                            result.map_err(|e| provider_error("delete", address, &e))?;
                            break;
                        }
                        _ = env.shutdown.triggered() => {
                            return Err(format!("interrupted while deleting {address} ({id}); it stays in the state, and the next run checks whether it is gone"));
                        }
                        // a long delete says what it waits for
                        _ = ticker.tick() => {
                            let _ = env.events.send(Event::Waiting {
                                address: address.clone(),
                                kind: StepKind::Delete,
                                elapsed: start.elapsed(),
                                detail: env.provider.waiting_for(&type_name, &id),
                            });
                        }
                    }
                }
            }
            env.persist
                .deleted(address, deposed.as_deref())
                .await
                .map_err(|e| format!("{address} ({id}) was deleted but the state could not record it: {e}; the next refresh finds it gone"))?;
            Ok(Done::Deleted {
                id,
                deposed: deposed.is_some(),
            })
        }
        Work::Read { type_name, args } => {
            let value = env
                .provider
                .read_data(&type_name, &args)
                .await
                .map_err(|e| provider_error("read", address, &e))?;
            Ok(Done::Read { value })
        }
    }
}

async fn create(
    env: &Env,
    req: CreateRequest,
    depends_on: &[Address],
    depose: bool,
) -> Result<Done, String> {
    let address = &req.address;
    let deposed = if depose {
        env.persist
            .depose(address)
            .await
            .map_err(|e| format!("could not set the current object of {address} aside before replacing it: {e}; nothing was created"))?
    } else {
        None
    };
    env.persist.intent(&req).await.map_err(|e| {
        format!("could not record the intent to create {address}: {e}; nothing was created")
    })?;
    let created = match env.provider.create(&req).await {
        Ok(v) => v,
        Err(e) => {
            // Only a definite rejection proves nothing was created; after a transient error
            // the request may have landed, so the intent stays for the next run to adopt.
            if e.kind == ErrorKind::Rejected {
                let _ = env.persist.abandon(address).await;
            }
            return Err(provider_error("create", address, &e));
        }
    };
    let id = id_of(&created).unwrap_or_default().to_string();
    env.persist.created(address, &created, depends_on, false).await.map_err(|e| {
        format!("{address} was created as {id} but the state could not record it: {e}; the next run adopts it by its tags")
    })?;
    let ready = wait_ready(env, &req, &id, &created).await.map_err(|e| {
        format!("{address} was created as {id} but did not become ready: {e}; it is recorded, and the next plan shows whether it must be replaced")
    })?;
    env.persist
        .created(address, &ready, depends_on, true)
        .await
        .map_err(|e| format!("{address} ({id}) is ready but the state could not record it: {e}; the next refresh picks it up"))?;
    Ok(Done::Created {
        value: ready,
        deposed,
    })
}

/// `wait_ready`, emitting [`Event::Waiting`] every `waiting_interval` meanwhile.
async fn wait_ready(
    env: &Env,
    req: &CreateRequest,
    id: &str,
    current: &Value,
) -> Result<Value, ProviderError> {
    let start = Instant::now();
    let wait = env.provider.wait_ready(&req.type_name, id, current);
    tokio::pin!(wait);
    let interval = env.waiting_interval.max(Duration::from_millis(1));
    let mut ticker = tokio::time::interval_at(start + interval, interval);
    loop {
        tokio::select! {
            // a wait that is already over wins over a Ctrl-C that came meanwhile
            biased;
            result = &mut wait => return result,
            // the row is already committed as `creating`: stopping the wait loses nothing,
            // and the next apply resumes waiting
            _ = env.shutdown.triggered() => {
                return Err(ProviderError::new(ErrorKind::Cancelled, "interrupted while waiting; it is recorded as creating and the next apply resumes waiting"));
            }
            _ = ticker.tick() => {
                let _ = env.events.send(Event::Waiting {
                    address: req.address.clone(),
                    kind: StepKind::Create,
                    elapsed: start.elapsed(),
                    detail: env.provider.waiting_for(&req.type_name, id),
                });
            }
        }
    }
}

/// A provider error for the report: the operation, the API's code and its message.
fn provider_error(verb: &str, address: &Address, e: &ProviderError) -> String {
    format!("{verb} {address}: {e}")
}
