//! Apply: walk a plan's execution graph against a [`Provider`], persisting each result
//! the moment it is known.
//!
//! The plan decides every ordering (creates after what they reference, deletes in
//! reverse, the two halves of a replacement); apply follows `plan.graph` and derives
//! nothing itself. What it does:
//! - runs steps in parallel, at most `parallelism` at once (a [`tokio::sync::Semaphore`]
//!   and a [`tokio::task::JoinSet`]); a step starts when all its predecessors succeeded;
//! - re-evaluates each step's configuration through a [`Resolver`] with the values known
//!   now, normalizes it with the resource schema and refuses to create anything with
//!   unknown values;
//! - persists through [`Persist`]: an intent before each create, the resource row the
//!   moment create returns, again once it is ready, after each update and delete;
//! - on failure, skips the failed step's dependents and lets independent branches finish;
//! - on [`Shutdown`] (Ctrl-C), starts nothing new and waits for what is in flight;
//! - reports progress as [`Event`]s and never prints.
//!
//! It deliberately does not know about SQLite, the CLI, or retries (the provider retries
//! throttling and 5xx), nor adoption after a crash: the binary reconciles leftover
//! intents (by token or `infra:*` tags through [`Provider::adopt`]) before planning.

mod event;
mod persist;
mod scheduler;
mod shutdown;
mod step;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use infra_model::{Address, Value};
use infra_plan::Plan;
use infra_provider::Provider;

pub use event::{ApplyReport, Event};
pub use persist::{Persist, Resolver};
pub use shutdown::Shutdown;

/// How to apply.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyOptions {
    /// The stack's name: tagged on every created resource as `infra:stack`.
    pub stack: String,
    /// Most steps in flight at once (`--parallelism`, default 10; 0 counts as 1).
    pub parallelism: usize,
    /// Each provider configuration's `default_tags`, merged into `tags_all`.
    pub default_tags: infra_model::DefaultTags,
    /// This run's id: the idempotency tokens derive from it.
    pub run_id: String,
    /// How often a step waiting for its resource to become ready emits [`Event::Waiting`].
    pub waiting_interval: Duration,
}

impl ApplyOptions {
    /// Options with the defaults: parallelism 10, no default tags, a waiting event every 10 s.
    pub fn new(stack: impl Into<String>, run_id: impl Into<String>) -> Self {
        ApplyOptions {
            stack: stack.into(),
            parallelism: 10,
            default_tags: infra_model::DefaultTags::default(),
            run_id: run_id.into(),
            waiting_interval: Duration::from_secs(10),
        }
    }
}

/// Apply `plan`.
///
/// `prior` holds the refreshed attributes of the resources that exist (and of data sources
/// read at plan time): the values references resolve against until steps produce new ones.
/// Returns when every step has completed, failed or been skipped, or, after `shutdown`
/// fired, when what was in flight has finished. It does not fail as a whole: the report
/// says what happened to each step.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    plan: &Plan,
    prior: BTreeMap<Address, Value>,
    resolver: &dyn Resolver,
    provider: Arc<dyn Provider>,
    persist: Arc<dyn Persist>,
    opts: ApplyOptions,
    shutdown: Shutdown,
    events: tokio::sync::mpsc::UnboundedSender<Event>,
) -> ApplyReport {
    scheduler::Scheduler::new(
        plan, prior, resolver, provider, persist, opts, shutdown, events,
    )
    .run()
    .await
}

/// The idempotency token of one create in one run: `<run_id>-<hash(address)>`, at most 64
/// characters (the limit of EC2's `ClientToken`).
pub fn token_for(run_id: &str, address: &Address) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(address.to_string().as_bytes());
    let hash = &hex::encode(digest)[..16];
    let run: String = run_id.chars().take(64 - 1 - hash.len()).collect();
    format!("{run}-{hash}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_deterministic_per_run_and_address_and_fit_64_chars() {
        let a = Address::managed("aws_nat_gateway", "per_az");
        let t = token_for("run-1", &a);
        assert_eq!(t, token_for("run-1", &a));
        assert!(t.starts_with("run-1-"));
        assert_ne!(t, token_for("run-2", &a));
        assert_ne!(
            t,
            token_for("run-1", &Address::managed("aws_nat_gateway", "other"))
        );
        let long = token_for(&"x".repeat(200), &a);
        assert_eq!(long.len(), 64);
        assert!(
            long.ends_with(&t[t.len() - 17..]),
            "the address hash survives truncation"
        );
    }
}
