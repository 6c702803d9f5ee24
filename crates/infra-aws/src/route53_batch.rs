//! The per-zone batcher behind `aws_route53_record`: changes to one zone that arrive
//! within [`WINDOW`] of each other go out in one ChangeResourceRecordSets call (see
//! `route53_records`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_route53::types::{Change, ChangeBatch};
use infra_provider::{ErrorKind, ProviderError};
use tokio::sync::oneshot;

use crate::AwsProvider;

/// How long a batch waits for more changes after the latest one joined it.
pub const WINDOW: Duration = Duration::from_millis(50);

/// How long a batch waits at most, however many changes keep joining.
pub const MAX_WINDOW: Duration = Duration::from_millis(500);

/// Changes a ChangeResourceRecordSets call carries at most (AWS allows 1000, an UPSERT
/// counting twice).
pub(crate) const MAX_CHANGES: usize = 500;

type Reply = oneshot::Sender<Result<(), ProviderError>>;

#[derive(Debug)]
struct Pending {
    generation: u64,
    items: Vec<(Change, Reply)>,
}

/// Queued record changes per zone, and zone names already looked up.
#[derive(Debug, Default)]
pub struct Batcher {
    pending: Mutex<HashMap<String, Pending>>,
    next_generation: Mutex<u64>,
    /// Held while looking a zone name up, so concurrent creates make one call.
    pub(crate) zone_names: tokio::sync::Mutex<HashMap<String, String>>,
}

/// Drops a batch nobody will send when its leader is cancelled while waiting, so its
/// followers resubmit instead of waiting forever.
struct LeaderGuard<'a> {
    batcher: &'a Batcher,
    zone: String,
    generation: u64,
    armed: bool,
}

impl Drop for LeaderGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut pending = lock(&self.batcher.pending);
            if pending.get(&self.zone).map(|p| p.generation) == Some(self.generation) {
                pending.remove(&self.zone);
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Queue `change` for `zone` and wait for the batch it goes out in.
pub(crate) async fn submit(
    p: &AwsProvider,
    zone: &str,
    change: Change,
) -> Result<(), ProviderError> {
    let b = p.records();
    loop {
        let (tx, rx) = oneshot::channel();
        let lead = {
            let mut pending = lock(&b.pending);
            match pending.get_mut(zone) {
                Some(batch) => {
                    batch.items.push((change.clone(), tx));
                    None
                }
                None => {
                    let generation = {
                        let mut g = lock(&b.next_generation);
                        *g += 1;
                        *g
                    };
                    pending.insert(
                        zone.to_string(),
                        Pending {
                            generation,
                            items: vec![(change.clone(), tx)],
                        },
                    );
                    Some(generation)
                }
            }
        };
        if let Some(generation) = lead {
            let mut guard = LeaderGuard {
                batcher: b,
                zone: zone.to_string(),
                generation,
                armed: true,
            };
            // wait until no change has joined for WINDOW (at most MAX_WINDOW)
            let started = tokio::time::Instant::now();
            let mut seen = 1;
            loop {
                tokio::time::sleep(WINDOW).await;
                let now = lock(&b.pending).get(zone).map_or(0, |p| p.items.len());
                if now == seen || started.elapsed() + WINDOW > MAX_WINDOW {
                    break;
                }
                seen = now;
            }
            let items = lock(&b.pending)
                .remove(zone)
                .map(|p| p.items)
                .unwrap_or_default();
            guard.armed = false;
            flush(p, zone, items).await;
        }
        match rx.await {
            Ok(result) => return result,
            // the batch was dropped unsent (its leader was cancelled): queue again
            Err(_) => continue,
        }
    }
}

pub(crate) async fn send(
    p: &AwsProvider,
    zone: &str,
    changes: Vec<Change>,
) -> Result<(), ProviderError> {
    let batch = ChangeBatch::builder()
        .set_changes(Some(changes))
        .build()
        .map_err(|e| ProviderError::new(ErrorKind::Other, format!("invalid change batch: {e}")))?;
    // a batch resent after a lost answer and refused because the lost one was carried
    // out (call::done_after_lost_answer) is done
    crate::errors::unless_done(
        p.call("route53:ChangeResourceRecordSets", || {
            p.route53()
                .change_resource_record_sets()
                .hosted_zone_id(zone)
                .change_batch(batch.clone())
                .send()
        })
        .await,
    )
    .map(|_| ())
}

async fn flush(p: &AwsProvider, zone: &str, items: Vec<(Change, Reply)>) {
    let mut items = items;
    while !items.is_empty() {
        let rest = items.split_off(items.len().min(MAX_CHANGES));
        let chunk = std::mem::replace(&mut items, rest);
        let changes: Vec<Change> = chunk.iter().map(|(c, _)| c.clone()).collect();
        tracing::debug!(
            zone,
            changes = changes.len(),
            "ChangeResourceRecordSets batch"
        );
        match send(p, zone, changes).await {
            Ok(()) => {
                for (_, tx) in chunk {
                    let _ = tx.send(Ok(()));
                }
            }
            Err(e) if chunk.len() > 1 && e.kind == ErrorKind::Rejected => {
                // the batch is atomic: find the bad change by sending each alone
                for (c, tx) in chunk {
                    let _ = tx.send(send(p, zone, vec![c]).await);
                }
            }
            Err(e) => {
                for (_, tx) in chunk {
                    let _ = tx.send(Err(e.clone()));
                }
            }
        }
    }
}
