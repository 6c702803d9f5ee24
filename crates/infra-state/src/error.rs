use std::path::PathBuf;
use std::time::Duration;

use crate::lock::LockInfo;

/// Everything that can go wrong in the state store.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot use state file {}: {source}; check the path and its permissions", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "state file {} is not a valid infra state database ({why}); it was left untouched: restore it from a backup (for example {}.backup-*) or move it away to start with an empty state",
        path.display(), path.display()
    )]
    Corrupt { path: PathBuf, why: String },

    #[error(
        "state file {} is a SQLite database but not an infra state file (it has tables but no infra schema); pass the right file with --state or INFRA_STATE",
        path.display()
    )]
    NotInfraState { path: PathBuf },

    #[error(
        "state file {} was written by a newer version of infra (schema {found}, this binary knows {known}); upgrade infra",
        path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    #[error(
        "the PostgreSQL state at {url} was written by a newer version of infra (schema {found}, this binary knows {known}); upgrade infra"
    )]
    NewerSchemaPostgres { url: String, found: i64, known: i64 },

    #[error(
        "the PostgreSQL database at {url} holds tables but no infra schema; point --state or INFRA_STATE at a database (or `?options=-csearch_path%3Dschema`) kept for infra"
    )]
    NotInfraDatabase { url: String },

    #[error("cannot use the PostgreSQL state at {url}: {why}; check the URL, that the server is running, and that the role may connect and create tables")]
    Postgres { url: String, why: String },

    #[error("cannot back up state file {} to {} before migrating it: {source}; the file was not migrated: free disk space or fix permissions and retry", path.display(), backup.display())]
    Backup {
        path: PathBuf,
        backup: PathBuf,
        source: sqlx::Error,
    },

    #[error("cannot migrate state file {}: {source}; the file was backed up before migrating, restore that backup if needed", path.display())]
    Migrate {
        path: PathBuf,
        source: sqlx::migrate::MigrateError,
    },

    #[error("{}", locked_message(.0))]
    Locked(Box<LockInfo>),

    #[error("timed out after {} waiting for the lock: {}", humanize(*.waited), locked_message(.holder))]
    LockTimeout {
        holder: Box<LockInfo>,
        waited: Duration,
    },

    #[error("lock id `{given}` does not match the lock on stack `{stack}` (its id is `{actual}`); copy the id from the lock error message")]
    LockMismatch {
        stack: String,
        given: String,
        actual: String,
    },

    #[error("stack `{stack}` is not locked; there is nothing to unlock")]
    NotLocked { stack: String },

    #[error("no resource `{address}` in stack `{stack}`; run `infra state list` to see what the state holds")]
    NoResource { stack: String, address: String },

    #[error("invalid {what}: {why}")]
    Invalid { what: String, why: String },

    #[error("the state database holds invalid data ({what}: {why}); run `infra state check`, and restore a backup if it reports problems")]
    Data { what: String, why: String },

    #[error("cannot import state: {0}; the input must be JSON written by `infra state export`")]
    Import(String),

    #[error("state database error: {0}; retry, and run `infra state check` if it persists")]
    Db(#[from] sqlx::Error),

    /// Reading the resources of a state file in one pass (`bulk.rs`) failed.
    #[error("cannot read state file {}: {why}; retry, and run `infra state check` if it persists", path.display())]
    Read { path: PathBuf, why: String },
}

impl StateError {
    pub(crate) fn invalid(what: impl Into<String>, why: impl Into<String>) -> Self {
        StateError::Invalid {
            what: what.into(),
            why: why.into(),
        }
    }

    pub(crate) fn data(what: impl Into<String>, why: impl ToString) -> Self {
        StateError::Data {
            what: what.into(),
            why: why.to_string(),
        }
    }

    /// The holder of the lock, for [`StateError::Locked`] and [`StateError::LockTimeout`].
    pub fn lock_holder(&self) -> Option<&LockInfo> {
        match self {
            StateError::Locked(info) => Some(info),
            StateError::LockTimeout { holder, .. } => Some(holder),
            _ => None,
        }
    }
}

fn locked_message(info: &LockInfo) -> String {
    format!(
        "stack `{}` is locked by {}@{} (pid {}, operation {}) since {}; wait for it to finish, retry with --lock-timeout, or if that process is gone run `infra force-unlock {}`",
        info.stack,
        info.who,
        info.host,
        info.pid,
        info.operation,
        crate::ts::display(info.created),
        info.id
    )
}

fn humanize(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}
