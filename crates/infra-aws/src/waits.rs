//! Deletes that wait for dependents to go away, and what each one waits for.
//!
//! AWS refuses to delete what something still uses (`DependencyViolation`: a route table
//! still associated, a subnet with a network interface, an address in use) until the
//! dependent is gone, which may take a while when another delete of the same run is
//! draining it. [`AwsProvider::settle`] retries such a delete until the wait timeout; it
//! records what it is waiting for (by cloud id) so that the engine's progress lines can
//! say it ([`Waits::get`], `Provider::waiting_for`), and when the timeout comes it fails
//! with an error that names both the resource and what holds it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use infra_provider::{ErrorKind, ProviderError};

use crate::{errors, AwsProvider};

/// Error codes that mean "still in use by something that may yet go away".
const BUSY: &[&str] = &[
    "DependencyViolation",
    "InvalidIPAddress.InUse",
    "InvalidAddress.Locked",
];

/// What each delete in progress waits for, by cloud id.
#[derive(Debug, Default)]
pub(crate) struct Waits(Mutex<HashMap<String, String>>);

impl Waits {
    fn set(&self, id: &str, what: String) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(id.to_string(), what);
        }
    }

    fn clear(&self, id: &str) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(id);
        }
    }

    pub(crate) fn get(&self, id: &str) -> Option<String> {
        self.0.lock().ok().and_then(|m| m.get(id).cloned())
    }
}

/// Removes the entry of a wait that ends, however it ends.
pub(crate) struct Entry<'a>(&'a Waits, &'a str);

impl Drop for Entry<'_> {
    fn drop(&mut self) {
        self.0.clear(self.1);
    }
}

impl AwsProvider {
    /// Run a delete-like action on `id` that AWS refuses while dependents are still going
    /// away: retry it until the wait timeout. A not-found error is success.
    pub(crate) async fn settle<F, Fut>(&self, id: &str, f: F) -> Result<(), ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<(), ProviderError>>,
    {
        self.settle_explained(id, f, || async { None }).await
    }

    /// [`AwsProvider::settle`], with `explain` saying what still holds `id` (e.g. "it is
    /// still associated with subnet subnet-1 (aws_subnet.private[0])") when AWS refuses.
    pub(crate) async fn settle_explained<F, Fut, X, XFut>(
        &self,
        id: &str,
        f: F,
        explain: X,
    ) -> Result<(), ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<(), ProviderError>>,
        X: Fn() -> XFut,
        XFut: Future<Output = Option<String>>,
    {
        let _entry = Entry(&self.waits, id);
        let started = Instant::now();
        let mut delay = Duration::from_secs(2);
        // the resource's `timeouts { delete = ... }` when it sets one
        let timeout = infra_provider::step_timeout().unwrap_or(self.wait_timeout);
        loop {
            let e = match f().await {
                Ok(()) => return Ok(()),
                Err(e) if errors::is_not_found(&e) => return Ok(()),
                Err(e) if errors::has_code(&e, BUSY) => e,
                Err(e) => return Err(e),
            };
            let holder = explain().await;
            let why = holder.clone().unwrap_or_else(|| e.message.clone());
            let code = e.code.as_deref().unwrap_or("DependencyViolation");
            let op = e.operation.as_deref().unwrap_or("the delete");
            self.waits
                .set(id, format!("{op} answers {code}: {why}; retrying"));
            if started.elapsed() + delay >= timeout {
                let mut out = ProviderError::new(
                    ErrorKind::Timeout,
                    format!(
                        "{id} cannot be deleted: {why} ({op} answered {code} for {}s, the wait timeout); remove or detach what holds it, or raise the resource's `timeouts {{ delete }}` or INFRA_WAIT_TIMEOUT, then run again",
                        started.elapsed().as_secs()
                    ),
                )
                .with_code(code);
                out.operation = e.operation.clone();
                return Err(out);
            }
            tracing::info!(id, error = %e, holder = ?holder, "still in use; retrying");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(15));
        }
    }

    /// Say what a wait on `id` is at (an instance's state), for the progress lines of
    /// `Provider::waiting_for`, until the guard of [`AwsProvider::waiting_note`] drops.
    pub(crate) fn note_waiting(&self, id: &str, what: String) {
        self.waits.set(id, what);
    }

    /// A guard that clears what [`AwsProvider::note_waiting`] said about `id` when the
    /// wait ends, however it ends.
    pub(crate) fn waiting_note<'a>(&'a self, id: &'a str) -> Entry<'a> {
        Entry(&self.waits, id)
    }

    /// What a delete of `id` in progress is waiting for, if it is waiting.
    pub(crate) fn waiting_for_id(&self, id: &str) -> Option<String> {
        self.waits.get(id)
    }
}
