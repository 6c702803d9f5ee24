//! Opening a PostgreSQL state: connect, newer-schema refusal, migrations; and the lock
//! leases that tell other clients a lock's holder is still alive.
//!
//! A team shares one database: every client migrates it on first use (sqlx's PostgreSQL
//! migrator serialises concurrent clients with an advisory lock), and a client older than
//! the database's schema refuses to touch it, as with a SQLite file.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Connection, PgConnection};

use crate::location::{PgUrl, StateLocation};
use crate::store::{pg_error, Backend};
use crate::{Result, StateError, Store};

/// The PostgreSQL schema migrations, in step with the SQLite ones (same versions and
/// descriptions; `tests/conformance` checks it).
pub static PG_MIGRATOR: Migrator = sqlx::migrate!("../../migrations/postgres");

/// How long to wait for a connection from the pool (or to the server) before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections per process: one apply's writes are sequential per resource, a handful in
/// parallel; leases hold their own connection outside the pool.
const POOL_SIZE: u32 = 4;

impl Store {
    /// Open the PostgreSQL state at `url`, creating its tables on first use and migrating
    /// them to this binary's schema. A database written by a newer `infra`, or one that
    /// holds other tables and no infra schema, is refused and left untouched.
    pub async fn open_postgres(url: &PgUrl) -> Result<Store> {
        let pool = connect(url).await?;
        let found = inspect(&pool, url).await?;
        if !found.has_migrations_table && found.tables > 0 {
            pool.close().await;
            return Err(StateError::NotInfraDatabase {
                url: url.to_string(),
            });
        }
        refuse_newer(&found, url)?;
        let migrated = async {
            let mut conn = pool.acquire().await?;
            PG_MIGRATOR.run_direct(&mut *conn).await
        };
        if let Err(e) = migrated.await {
            pool.close().await;
            return Err(StateError::Postgres {
                url: url.to_string(),
                why: format!(
                    "migrating its schema failed: {}",
                    crate::store::scrub(&e.to_string(), url)
                ),
            });
        }
        Ok(Store::new(
            pool,
            Backend::Postgres,
            Some(StateLocation::Postgres(url.clone())),
        ))
    }

    /// Open a PostgreSQL state that must already have this binary's schema (for reading
    /// another team's state): nothing is created or migrated.
    pub(crate) async fn open_postgres_existing(url: &PgUrl) -> Result<Store> {
        let pool = connect(url).await?;
        let found = inspect(&pool, url).await?;
        refuse_newer(&found, url)?;
        let current = found.applied.iter().copied().max().unwrap_or(0);
        if !found.has_migrations_table || current < crate::open::known_version() {
            pool.close().await;
            return Err(StateError::invalid(
                format!("PostgreSQL state {url}"),
                "it has no infra state of this version yet; apply the stack that writes it first",
            ));
        }
        Ok(Store::new(
            pool,
            Backend::Postgres,
            Some(StateLocation::Postgres(url.clone())),
        ))
    }

    /// Take the lease for lock `id`: a connection of its own holding a session-level
    /// advisory lock on the id, for as long as this process holds the lock. When the
    /// process dies (or its connection does), PostgreSQL releases it.
    pub(crate) async fn take_lease(&self, id: &str) -> Result<PgConnection> {
        let Some(StateLocation::Postgres(url)) = &self.location else {
            return Err(StateError::invalid(
                "lock lease",
                "only a PostgreSQL state takes leases",
            ));
        };
        let mut conn =
            tokio::time::timeout(ACQUIRE_TIMEOUT, PgConnection::connect(url.connect_str()))
                .await
                .map_err(|_| StateError::Postgres {
                    url: url.to_string(),
                    why: format!("no connection within {}s", ACQUIRE_TIMEOUT.as_secs()),
                })?
                .map_err(|e| pg_error(url, e))?;
        // notice a holder whose network went away within about a minute, not hours
        for setting in [
            "SET tcp_keepalives_idle = 30",
            "SET tcp_keepalives_interval = 10",
            "SET tcp_keepalives_count = 3",
            "SET application_name = 'infra lock'",
        ] {
            sqlx::query(setting)
                .execute(&mut conn)
                .await
                .map_err(|e| pg_error(url, e))?;
        }
        sqlx::query("SELECT pg_advisory_lock(hashtextextended($1, 0))")
            .bind(lease_key(id))
            .execute(&mut conn)
            .await
            .map_err(|e| pg_error(url, e))?;
        Ok(conn)
    }

    /// End this process's lease on lock `id`, if it has one.
    pub(crate) async fn end_lease(&self, id: &str) {
        let lease = self.leases.lock().await.remove(id);
        if let Some(conn) = lease {
            end(conn).await;
        }
    }
}

/// Release a lease's advisory lock at once (rather than when the server notices the closed
/// session, a moment later), then close its connection.
pub(crate) async fn end(mut conn: PgConnection) {
    sqlx::query("SELECT pg_advisory_unlock_all()")
        .execute(&mut conn)
        .await
        .ok();
    conn.close().await.ok();
}

/// The advisory-lock key text of a lock's lease.
pub(crate) fn lease_key(id: &str) -> String {
    format!("infra-lock-lease:{id}")
}

/// Whether the lease of lock `id` is held by nobody (its holder is gone), asked inside the
/// caller's transaction: a transaction-level try-lock that is released at its end.
pub(crate) async fn lease_gone(conn: &mut sqlx::AnyConnection, id: &str) -> Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(lease_key(id))
            .fetch_one(conn)
            .await?,
    )
}

/// Serialise lock attempts on one stack for the rest of the caller's transaction.
pub(crate) async fn serialise_stack(conn: &mut sqlx::AnyConnection, stack: &str) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("infra-stack:{stack}"))
        .execute(conn)
        .await?;
    Ok(())
}

async fn connect(url: &PgUrl) -> Result<AnyPool> {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(POOL_SIZE)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect(url.connect_str())
        .await
        .map_err(|e| pg_error(url, e))
}

struct Inspection {
    tables: i64,
    has_migrations_table: bool,
    applied: Vec<i64>,
}

/// What the database's current schema holds, without changing it.
async fn inspect(pool: &AnyPool, url: &PgUrl) -> Result<Inspection> {
    let run = async {
        let tables: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        )
        .fetch_one(pool)
        .await?;
        let has: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
        )
        .fetch_one(pool)
        .await?;
        let applied = if has > 0 {
            sqlx::query_scalar(
                "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
            )
            .fetch_all(pool)
            .await?
        } else {
            Vec::new()
        };
        Ok::<_, sqlx::Error>(Inspection {
            tables,
            has_migrations_table: has > 0,
            applied,
        })
    };
    run.await.map_err(|e| pg_error(url, e))
}

fn refuse_newer(found: &Inspection, url: &PgUrl) -> Result<()> {
    if crate::open::written_by_newer(&found.applied, &PG_MIGRATOR) {
        return Err(StateError::NewerSchemaPostgres {
            url: url.to_string(),
            found: found.applied.iter().copied().max().unwrap_or(0),
            known: crate::open::known_version(),
        });
    }
    Ok(())
}
