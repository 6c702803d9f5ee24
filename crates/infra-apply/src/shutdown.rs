//! The shutdown signal, after mini-redis: a clonable handle that every part of an apply
//! can watch. The binary fires it on the first Ctrl-C / SIGTERM; apply then starts
//! nothing new and waits for what is in flight. (A second signal is the binary's
//! business: it exits at once, and the persisted intents let the next run adopt.)

use std::sync::Arc;

use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct Shutdown {
    tx: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    pub fn new() -> Self {
        Shutdown {
            tx: Arc::new(watch::channel(false).0),
        }
    }

    /// Ask everything watching this handle (and its clones) to stop starting work.
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    pub fn is_triggered(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once the signal has fired (at once if it already has).
    pub async fn triggered(&self) {
        let mut rx = self.tx.subscribe();
        // The sender lives in `self`, so the channel cannot close while we wait.
        let _ = rx.wait_for(|fired| *fired).await;
    }
}
