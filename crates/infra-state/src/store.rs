//! The store handle, over either backend.
//!
//! Both backends go through one `sqlx::AnyPool`, so every query of the crate is written
//! once: SQL common to SQLite and PostgreSQL, with `$1`-style parameters (which SQLite
//! accepts too), text and 64-bit integer columns only. What differs lives in one place
//! each: opening and migrating (`open.rs` for SQLite, `pg.rs` for PostgreSQL), how a write
//! transaction starts ([`Store::write`]), and how a lock's holder is known to be gone
//! (`lock.rs`: pid on this host for SQLite, a session-held advisory lock for PostgreSQL).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sqlx::{Any, AnyPool, Transaction};

use crate::location::StateLocation;
use crate::{Result, StateError};

/// Which database a store is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle on one state database. Cheap to clone; clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    pub(crate) location: Option<StateLocation>,
    pub(crate) backup: Option<PathBuf>,
    /// PostgreSQL: the connection holding each lock this process took (by lock id); its
    /// session-level advisory lock tells other clients the holder is alive.
    pub(crate) leases: Arc<tokio::sync::Mutex<HashMap<String, sqlx::PgConnection>>>,
}

impl Store {
    /// Open (or create) the state at `location`: a SQLite file ([`Store::open`]) or a
    /// PostgreSQL database ([`Store::open_postgres`]).
    pub async fn open_location(location: &StateLocation) -> Result<Store> {
        match location {
            StateLocation::File(path) => Store::open(path).await,
            StateLocation::Postgres(url) => Store::open_postgres(url).await,
        }
    }

    /// Open another state only to read it: never created, migrated or written.
    pub async fn open_location_read_only(location: &StateLocation) -> Result<Store> {
        match location {
            StateLocation::File(path) => Store::open_read_only(path).await,
            // a PostgreSQL state is shared and always migrated by its writers; reading it
            // through a fresh handle checks the schema as a writer's open does
            StateLocation::Postgres(url) => Store::open_postgres_existing(url).await,
        }
    }

    pub(crate) fn new(pool: AnyPool, backend: Backend, location: Option<StateLocation>) -> Store {
        Store {
            pool,
            backend,
            location,
            backup: None,
            leases: Arc::default(),
        }
    }

    /// The database this store is on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Where this store was opened from (a file or a PostgreSQL URL), if not in memory.
    pub fn location(&self) -> Option<&StateLocation> {
        self.location.as_ref()
    }

    /// The file this store was opened from, if it is a SQLite file.
    pub fn path(&self) -> Option<&Path> {
        self.location.as_ref().and_then(StateLocation::file)
    }

    /// The backup [`Store::open`] made before migrating, if it migrated an existing file.
    pub fn migration_backup(&self) -> Option<&Path> {
        self.backup.as_deref()
    }

    /// The schema version this binary knows (the same for both backends).
    pub fn schema_version() -> i64 {
        crate::open::known_version()
    }

    /// The underlying pool, for tools and tests that need raw SQL (write it with `$1`
    /// parameters to run on both backends).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Close every connection (SQLite: checkpointing the WAL). Locks still held by this
    /// process are not removed; on PostgreSQL their leases end, so the next client sees
    /// the holder gone, as after a crash.
    pub async fn close(&self) {
        match self.backend {
            Backend::Sqlite => {
                // move the WAL into the main file, so that a closed state file is complete
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(&self.pool)
                    .await
                {
                    tracing::debug!("checkpoint before closing the state file failed: {e}");
                }
            }
            Backend::Postgres => {
                let leases: Vec<_> = self.leases.lock().await.drain().collect();
                for (_, conn) in leases {
                    crate::pg::end(conn).await;
                }
            }
        }
        self.pool.close().await;
    }

    /// A read transaction that sees one snapshot for all its statements (PostgreSQL's
    /// default, READ COMMITTED, would give each statement its own).
    pub(crate) async fn read(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin().await?,
            Backend::Postgres => {
                self.pool
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?
            }
        })
    }

    /// A write transaction. SQLite: `BEGIN IMMEDIATE` takes the write lock at once, so a
    /// concurrent writer waits for the busy timeout instead of failing on a lock upgrade.
    /// PostgreSQL: a plain transaction; rows are locked as they are written.
    pub(crate) async fn write(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }
}

/// The error for a PostgreSQL state that cannot be used, naming it without its password.
pub(crate) fn pg_error(location: &crate::location::PgUrl, e: sqlx::Error) -> StateError {
    StateError::Postgres {
        url: location.to_string(),
        why: scrub(&e.to_string(), location),
    }
}

/// Remove the URL's password from a driver message (defence in depth: sqlx does not echo
/// it, but a message may quote the connection string).
pub(crate) fn scrub(text: &str, location: &crate::location::PgUrl) -> String {
    let mut out = text.replace(location.connect_str(), &location.to_string());
    for secret in StateLocation::Postgres(location.clone()).secret() {
        if !secret.is_empty() {
            out = out.replace(&secret, "***");
        }
    }
    out
}
