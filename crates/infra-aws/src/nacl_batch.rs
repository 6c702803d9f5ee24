//! One DescribeNetworkAcls for the whole network-ACL family of a refresh: a refresh reads
//! every type at once, and `aws_network_acl`, `aws_network_acl_rule`,
//! `aws_network_acl_association` and `aws_default_network_acl` are all read through their
//! ACLs. ACL reads that arrive within [`WINDOW`] of the first go out together (one id list
//! per 200 ACLs), and each reader gets the ACLs it asked for. Nothing is cached: a read
//! that comes later makes a new call.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_ec2::types::NetworkAcl;
use infra_provider::ProviderError;
use tokio::sync::oneshot;

use crate::AwsProvider;

/// How long the first read of a batch waits for the others to join it.
pub const WINDOW: Duration = Duration::from_millis(10);

type Reply = oneshot::Sender<Result<Vec<NetworkAcl>, ProviderError>>;

#[derive(Debug)]
struct Pending {
    generation: u64,
    ids: BTreeSet<String>,
    readers: Vec<(BTreeSet<String>, Reply)>,
}

#[derive(Debug, Default)]
pub struct AclReads {
    pending: Mutex<Option<Pending>>,
    next_generation: Mutex<u64>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Drops a batch nobody will send when its leader is cancelled while waiting, so that its
/// readers ask again instead of waiting forever.
struct LeaderGuard<'a> {
    reads: &'a AclReads,
    generation: u64,
    armed: bool,
}

impl Drop for LeaderGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut pending = lock(&self.reads.pending);
            if pending.as_ref().map(|p| p.generation) == Some(self.generation) {
                *pending = None;
            }
        }
    }
}

/// The ACLs with these ids that exist, read together with the concurrent ACL reads.
pub(crate) async fn read(
    p: &AwsProvider,
    ids: BTreeSet<String>,
) -> Result<Vec<NetworkAcl>, ProviderError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let reads = p.acl_reads();
    loop {
        let (tx, rx) = oneshot::channel();
        let lead = {
            let mut pending = lock(&reads.pending);
            match pending.as_mut() {
                Some(batch) => {
                    batch.ids.extend(ids.iter().cloned());
                    batch.readers.push((ids.clone(), tx));
                    None
                }
                None => {
                    let mut g = lock(&reads.next_generation);
                    *g += 1;
                    *pending = Some(Pending {
                        generation: *g,
                        ids: ids.clone(),
                        readers: vec![(ids.clone(), tx)],
                    });
                    Some(*g)
                }
            }
        };
        if let Some(generation) = lead {
            let mut guard = LeaderGuard {
                reads,
                generation,
                armed: true,
            };
            tokio::time::sleep(WINDOW).await;
            let batch = {
                let mut pending = lock(&reads.pending);
                match pending.as_ref() {
                    Some(b) if b.generation == generation => pending.take(),
                    _ => None,
                }
            };
            guard.armed = false;
            if let Some(batch) = batch {
                let result =
                    crate::nacl::describe_ids_now(p, batch.ids.iter().map(String::as_str)).await;
                for (wanted, reply) in batch.readers {
                    let mine = result
                        .as_ref()
                        .map(|acls| {
                            acls.iter()
                                .filter(|a| {
                                    a.network_acl_id().is_some_and(|id| wanted.contains(id))
                                })
                                .cloned()
                                .collect()
                        })
                        .map_err(Clone::clone);
                    let _ = reply.send(mine);
                }
            }
        }
        match rx.await {
            Ok(r) => return r,
            // the leader was cancelled before it answered: ask again
            Err(_) => continue,
        }
    }
}
