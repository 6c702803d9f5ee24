//! Per-stack locks: one row per stack, taken in one write transaction.
//!
//! A lock whose holder is certainly gone is stale, and the next `lock` takes it over and
//! reports it. How "gone" is known depends on the backend:
//! - SQLite: the holder ran on this host and its process is gone (or its pid now belongs
//!   to a process with another start time). A lock from another host is never taken over:
//!   it needs `infra force-unlock ID`.
//! - PostgreSQL: the holder keeps a *lease*, a session-level advisory lock on the lock's
//!   id, on a connection of its own for as long as it runs. PostgreSQL ends it when the
//!   holder's process or network dies, from any host; a row whose lease nobody holds is
//!   stale. Attempts on one stack are serialised by a transaction-level advisory lock.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::proc::{own_start, proc_state, ProcState};
use crate::rows::{LockRow, LOCK_COLUMNS};
use crate::stacks::{ensure_stack, validate_stack_name};
use crate::store::Backend;
use crate::{ts, Result, StateError, Store};

/// How often `lock` with a timeout looks again.
const POLL: Duration = Duration::from_millis(200);

/// Who holds a stack's lock, and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// A uuid; `infra force-unlock <ID>` takes it.
    pub id: String,
    pub stack: String,
    /// `plan`, `apply`, `destroy`, …
    pub operation: String,
    /// The user ($USER).
    pub who: String,
    pub host: String,
    pub pid: u32,
    /// The holder's start time (clock ticks after boot, /proc/<pid>/stat field 22), so a
    /// reused pid is not mistaken for the holder.
    pub pid_start: Option<u64>,
    /// The version of infra that took the lock.
    pub version: String,
    #[serde(with = "crate::ts::serde_ts")]
    pub created: OffsetDateTime,
}

impl LockInfo {
    /// A lock for this process.
    fn here(stack: &str, operation: &str) -> LockInfo {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            stack: stack.to_string(),
            operation: operation.to_string(),
            who: current_user(),
            host: current_host(),
            pid: std::process::id(),
            pid_start: own_start(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            created: ts::now(),
        }
    }

    /// Whether the holder is certainly gone: same host, and its pid is dead or now belongs
    /// to a process that started at another time. Unknown means not stale.
    pub fn is_stale(&self) -> bool {
        if self.host != current_host() {
            return false;
        }
        match proc_state(self.pid) {
            ProcState::Dead => true,
            ProcState::Alive { start } => self.pid_start.is_some_and(|s| s != start),
            ProcState::Unknown => false,
        }
    }
}

/// A lock this process now holds. Release it with [`Store::unlock`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a lock must be released with Store::unlock"]
pub struct Lock {
    pub info: LockInfo,
    /// A stale lock of a dead process that was taken over: warn, and reconcile the
    /// stack's intents before doing anything else.
    pub took_over: Option<LockInfo>,
}

pub(crate) fn current_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

pub(crate) fn current_host() -> String {
    hostname::get()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "unknown".to_string())
}

impl Store {
    /// Take the stack's lock for `operation`. Without a timeout, a held lock fails at once
    /// with [`StateError::Locked`]; with one, it polls until the lock is free or the time
    /// is up ([`StateError::LockTimeout`]). A stale lock is taken over and reported in
    /// [`Lock::took_over`].
    pub async fn lock(
        &self,
        stack: &str,
        operation: &str,
        timeout: Option<Duration>,
    ) -> Result<Lock> {
        validate_stack_name(stack)?;
        let started = Instant::now();
        loop {
            let holder = match self.try_lock(stack, operation).await? {
                Ok(lock) => return Ok(lock),
                Err(holder) => holder,
            };
            let Some(timeout) = timeout else {
                return Err(StateError::Locked(Box::new(holder)));
            };
            let waited = started.elapsed();
            if waited >= timeout {
                return Err(StateError::LockTimeout {
                    holder: Box::new(holder),
                    waited: timeout,
                });
            }
            tokio::time::sleep(POLL.min(timeout - waited)).await;
        }
    }

    /// One attempt: `Ok(Ok(lock))` when taken, `Ok(Err(holder))` when held by someone else.
    async fn try_lock(&self, stack: &str, operation: &str) -> Result<Result<Lock, LockInfo>> {
        let info = LockInfo::here(stack, operation);
        let postgres = self.backend == Backend::Postgres;
        // the lease is held before the row is committed, so a committed row always has one
        let lease = match postgres {
            true => Some(self.take_lease(&info.id).await?),
            false => None,
        };
        let mut tx = self.write().await?;
        if postgres {
            crate::pg::serialise_stack(&mut tx, stack).await?;
        }
        ensure_stack(&mut tx, stack).await?;
        let held: Option<LockRow> = sqlx::query_as(&format!(
            "SELECT {LOCK_COLUMNS} FROM locks WHERE stack = $1"
        ))
        .bind(stack)
        .fetch_optional(&mut *tx)
        .await?;
        let mut took_over = None;
        if let Some(row) = held {
            let holder = row.into_domain()?;
            let gone = match self.backend {
                Backend::Sqlite => holder.is_stale(),
                Backend::Postgres => crate::pg::lease_gone(&mut tx, &holder.id).await?,
            };
            if !gone {
                tx.rollback().await?;
                if let Some(conn) = lease {
                    crate::pg::end(conn).await;
                }
                return Ok(Err(holder));
            }
            sqlx::query("DELETE FROM locks WHERE stack = $1")
                .bind(stack)
                .execute(&mut *tx)
                .await?;
            tracing::warn!(
                "took over the stale lock {} on stack `{}`: its holder {}@{} (pid {}, operation {}) is gone",
                holder.id,
                stack,
                holder.who,
                holder.host,
                holder.pid,
                holder.operation
            );
            took_over = Some(holder);
        }
        sqlx::query(&format!(
            "INSERT INTO locks ({LOCK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(&info.stack)
        .bind(&info.id)
        .bind(&info.operation)
        .bind(&info.who)
        .bind(&info.host)
        .bind(i64::from(info.pid))
        .bind(info.pid_start.and_then(|s| i64::try_from(s).ok()))
        .bind(&info.version)
        .bind(ts::store(info.created))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if let Some(conn) = lease {
            self.leases.lock().await.insert(info.id.clone(), conn);
        }
        Ok(Ok(Lock { info, took_over }))
    }

    /// Who holds the stack's lock, if anyone.
    pub async fn current_lock(&self, stack: &str) -> Result<Option<LockInfo>> {
        validate_stack_name(stack)?;
        let row: Option<LockRow> = sqlx::query_as(&format!(
            "SELECT {LOCK_COLUMNS} FROM locks WHERE stack = $1"
        ))
        .bind(stack)
        .fetch_optional(self.pool())
        .await?;
        row.map(LockRow::into_domain).transpose()
    }

    /// Release a lock this process took. Releasing a lock that is already gone is fine;
    /// a lock with another id is an error ([`StateError::LockMismatch`]) and stays.
    pub async fn unlock(&self, stack: &str, lock_id: &str) -> Result<()> {
        let removed = self.remove_lock(stack, lock_id).await;
        if removed.is_ok() {
            self.end_lease(lock_id.trim()).await;
        }
        removed.map(|_| ())
    }

    /// Whether the holder of `info` is certainly gone: SQLite, see [`LockInfo::is_stale`];
    /// PostgreSQL, nobody holds the lock's lease (from any host).
    pub async fn lock_holder_gone(&self, info: &LockInfo) -> Result<bool> {
        match self.backend {
            Backend::Sqlite => Ok(info.is_stale()),
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                let gone = crate::pg::lease_gone(&mut tx, &info.id).await?;
                tx.rollback().await?;
                Ok(gone)
            }
        }
    }

    /// Remove the stack's lock whatever holds it, if `lock_id` is its id (as printed in
    /// the lock error). Returns the removed lock.
    pub async fn force_unlock(&self, stack: &str, lock_id: &str) -> Result<LockInfo> {
        match self.remove_lock(stack, lock_id).await? {
            Some(info) => {
                self.end_lease(&info.id).await;
                tracing::warn!(
                    "force-unlocked stack `{}`: removed lock {} of {}@{} (pid {}, operation {})",
                    stack,
                    info.id,
                    info.who,
                    info.host,
                    info.pid,
                    info.operation
                );
                Ok(info)
            }
            None => Err(StateError::NotLocked {
                stack: stack.to_string(),
            }),
        }
    }

    async fn remove_lock(&self, stack: &str, lock_id: &str) -> Result<Option<LockInfo>> {
        validate_stack_name(stack)?;
        let mut tx = self.write().await?;
        let held: Option<LockRow> = sqlx::query_as(&format!(
            "SELECT {LOCK_COLUMNS} FROM locks WHERE stack = $1"
        ))
        .bind(stack)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = held else {
            tx.rollback().await?;
            return Ok(None);
        };
        if row.id != lock_id.trim() {
            tx.rollback().await?;
            return Err(StateError::LockMismatch {
                stack: stack.into(),
                given: lock_id.into(),
                actual: row.id,
            });
        }
        sqlx::query("DELETE FROM locks WHERE stack = $1 AND id = $2")
            .bind(stack)
            .bind(&row.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        row.into_domain().map(Some)
    }
}
