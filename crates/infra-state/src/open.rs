//! Opening a state file: sanity checks, newer-schema refusal, backup, migrations.

use std::fs::OpenOptions;
use std::io::Read;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, Connection, Executor, SqliteConnection};

use crate::location::StateLocation;
use crate::store::Backend;
use crate::{Result, StateError, Store};

/// The SQLite schema migrations this binary knows, embedded at build time
/// (`migrations/*.sql`; the PostgreSQL ones, `migrations/postgres/`, keep in step).
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// How long a write waits for another process's write transaction before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// What a read-only look at an existing file found.
struct Inspection {
    tables: i64,
    has_migrations_table: bool,
    applied: Vec<i64>,
}

impl Store {
    /// Open (or create) the state database at `path`, migrating it to the current schema.
    ///
    /// A new file is created with mode 0600. An existing file is checked first, read-only:
    /// a file that is not a SQLite database, a truncated file, a foreign SQLite database and
    /// one written by a newer `infra` are refused and left untouched. Before pending
    /// migrations run on an existing database, it is backed up next to itself as
    /// `<path>.backup-v<N>-<timestamp>` (see [`Store::migration_backup`]).
    pub async fn open(path: &Path) -> Result<Store> {
        // Opening a new file from two processes at once races on the switch to WAL and on
        // the migrations, where SQLite answers "database is locked" without waiting on
        // busy_timeout. Both steps are safe to repeat: retry until the busy timeout.
        let started = std::time::Instant::now();
        let mut delay = std::time::Duration::from_millis(20);
        loop {
            match Self::open_once(path).await {
                Err(e) if is_busy(&e) && started.elapsed() < BUSY_TIMEOUT => {
                    tracing::debug!(
                        "state file {} is busy while opening; retrying: {e}",
                        path.display()
                    );
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(std::time::Duration::from_millis(500));
                }
                result => return result,
            }
        }
    }

    async fn open_once(path: &Path) -> Result<Store> {
        let io = |source| StateError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let has_content = prepare_file(path)?;
        let mut backup = None;
        if has_content {
            let found = inspect(path).await?;
            let known = known_version();
            let current = found.applied.iter().copied().max().unwrap_or(0);
            if written_by_newer(&found.applied, &MIGRATOR) {
                return Err(StateError::NewerSchema {
                    path: path.to_path_buf(),
                    found: current,
                    known,
                });
            }
            if !found.has_migrations_table && found.tables > 0 {
                return Err(StateError::NotInfraState {
                    path: path.to_path_buf(),
                });
            }
            let pending = MIGRATOR.iter().any(|m| !found.applied.contains(&m.version));
            if pending && found.tables > 0 {
                let to = backup_before_migration(path, current).await?;
                tracing::warn!(
                    "backed up state file {} to {} before migrating it from schema {current} to {known}",
                    path.display(),
                    to.display()
                );
                backup = Some(to);
            }
        }
        let pool = sqlite_pool(path, Mode::ReadWrite, 4)
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(ref db)
                    if db.message().contains("not a database")
                        || db.message().contains("malformed") =>
                {
                    StateError::Corrupt {
                        path: path.to_path_buf(),
                        why: db.message().to_string(),
                    }
                }
                other => StateError::Db(other),
            })?;
        migrate(&pool, Some(path)).await?;
        let mut store = Store::new(
            pool,
            Backend::Sqlite,
            Some(StateLocation::File(path.to_path_buf())),
        );
        store.backup = backup;
        Ok(store)
    }

    /// Open another state file only to read it (`data "terraform_remote_state"` with a
    /// `path`): never created, migrated or written. It must exist and have this binary's
    /// schema.
    pub async fn open_read_only(path: &Path) -> Result<Store> {
        if !prepare_existing(path)? {
            return Err(StateError::invalid(
                format!("state file {}", path.display()),
                "it does not exist or is empty; check the path, or apply the stack that writes it first",
            ));
        }
        let found = inspect(path).await?;
        let known = known_version();
        let current = found.applied.iter().copied().max().unwrap_or(0);
        if current > known {
            return Err(StateError::NewerSchema {
                path: path.to_path_buf(),
                found: current,
                known,
            });
        }
        if !found.has_migrations_table {
            return Err(StateError::NotInfraState {
                path: path.to_path_buf(),
            });
        }
        if current < known {
            return Err(StateError::invalid(
                format!("state file {}", path.display()),
                format!("it has schema {current}, older than this binary's {known}; run any infra command with `--state {}` once to migrate it", path.display()),
            ));
        }
        let pool = sqlite_pool(path, Mode::ReadOnly, 1).await?;
        Ok(Store::new(
            pool,
            Backend::Sqlite,
            Some(StateLocation::File(path.to_path_buf())),
        ))
    }

    /// A private in-memory database, migrated, for tests and dry runs.
    pub async fn open_memory() -> Result<Store> {
        // one connection: each in-memory connection would be its own database
        let pool = sqlite_pool(Path::new(":memory:"), Mode::Memory, 1).await?;
        migrate(&pool, None).await?;
        Ok(Store::new(pool, Backend::Sqlite, None))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    ReadWrite,
    ReadOnly,
    Memory,
}

/// A pool on a SQLite file through the Any driver: a `sqlite://` URL of the absolute path
/// (percent-encoded, so any file name works), and the pragmas each connection needs.
async fn sqlite_pool(path: &Path, mode: Mode, connections: u32) -> sqlx::Result<AnyPool> {
    sqlx::any::install_default_drivers();
    let url = match mode {
        Mode::Memory => "sqlite::memory:".to_string(),
        Mode::ReadWrite | Mode::ReadOnly => {
            let absolute = std::path::absolute(path).map_err(sqlx::Error::Io)?;
            let text = absolute.to_string_lossy();
            let encoded = percent_encoding::utf8_percent_encode(&text, PATH_ENCODE);
            let flag = if mode == Mode::ReadOnly { "ro" } else { "rwc" };
            format!("sqlite://{encoded}?mode={flag}")
        }
    };
    let mut options = AnyPoolOptions::new().max_connections(connections);
    if mode == Mode::Memory {
        options = options
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
    }
    options
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                conn.execute("PRAGMA foreign_keys = ON").await?;
                conn.execute(
                    format!("PRAGMA busy_timeout = {}", BUSY_TIMEOUT.as_millis()).as_str(),
                )
                .await?;
                if mode == Mode::ReadWrite {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = FULL").await?;
                }
                Ok(())
            })
        })
        .connect(&url)
        .await
}

/// Everything but unreserved characters and `/`.
const PATH_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Whether applied migrations go beyond (or differ from) what `migrator` knows: a newer
/// `infra` wrote the database.
pub(crate) fn written_by_newer(applied: &[i64], migrator: &Migrator) -> bool {
    let known = known_version();
    applied
        .iter()
        .any(|v| *v > known || !migrator.iter().any(|m| m.version == *v))
}

pub(crate) fn known_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Whether `path` is an existing state file with content (its header checked), without
/// creating anything.
fn prepare_existing(path: &Path) -> Result<bool> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(StateError::Io {
            path: path.to_path_buf(),
            source,
        }),
        Ok(_) => prepare_file(path),
    }
}

/// Create a missing file with mode 0600, or check the header of an existing one.
/// Returns whether the file has content.
fn prepare_file(path: &Path) -> Result<bool> {
    let corrupt = |why: String| StateError::Corrupt {
        path: path.to_path_buf(),
        why,
    };
    let io = |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
            {
                Ok(_) => return Ok(false),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    std::fs::metadata(path).map_err(io)?
                }
                Err(e) => return Err(io(e)),
            }
        }
        Err(e) => return Err(io(e)),
    };
    if !meta.is_file() {
        return Err(corrupt("it is not a regular file".into()));
    }
    let len = meta.len();
    if len == 0 {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        if std::fs::metadata(&wal)
            .map(|m| m.len() > 0)
            .unwrap_or(false)
        {
            return Err(corrupt(
                "the file is empty but its -wal file is not; it was probably truncated".into(),
            ));
        }
        // an empty file is a new database: make it private like one we create
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        return Ok(false);
    }
    let mut header = [0u8; 100];
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]).map_err(io)? {
            0 => break,
            n => read += n,
        }
    }
    if read < 16 || header[..16] != SQLITE_MAGIC[..] {
        return Err(corrupt("it does not start with a SQLite header".into()));
    }
    if read < 100 {
        return Err(corrupt(format!(
            "the file is truncated: {len} bytes, shorter than a SQLite header"
        )));
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65536u64,
        n if n >= 512 && n.is_power_of_two() => u64::from(n),
        n => return Err(corrupt(format!("the header has an invalid page size {n}"))),
    };
    let change_counter = &header[24..28];
    let valid_for = &header[92..96];
    let pages = u64::from(u32::from_be_bytes([
        header[28], header[29], header[30], header[31],
    ]));
    // With a live -wal file the main file may legitimately lag its header: a process that
    // exits mid-checkpoint leaves page 1 written but the file not yet extended, and SQLite
    // restores it from the intact WAL on the next open. Only a file without a WAL must be
    // whole on its own.
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if std::fs::metadata(&wal)
        .map(|m| m.len() > 0)
        .unwrap_or(false)
    {
        return Ok(true);
    }
    if len % page_size != 0 {
        return Err(corrupt(format!(
            "the file is truncated: {len} bytes is not a whole number of {page_size}-byte pages"
        )));
    }
    if change_counter == valid_for && pages > 0 && len < pages * page_size {
        return Err(corrupt(format!(
            "the file is truncated: {len} bytes, but its header says {}",
            pages * page_size
        )));
    }
    Ok(true)
}

/// Look at an existing file without changing it.
async fn inspect(path: &Path) -> Result<Inspection> {
    let corrupt = |e: sqlx::Error| StateError::Corrupt {
        path: path.to_path_buf(),
        why: e.to_string(),
    };
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .busy_timeout(BUSY_TIMEOUT);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(corrupt)?;
    let result = inspect_conn(&mut conn).await.map_err(corrupt);
    conn.close().await.ok();
    result
}

async fn inspect_conn(conn: &mut SqliteConnection) -> std::result::Result<Inspection, sqlx::Error> {
    let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
        .fetch_one(&mut *conn)
        .await?;
    let has_migrations: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await?;
    let applied = if has_migrations > 0 {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut *conn)
            .await?
    } else {
        Vec::new()
    };
    Ok(Inspection {
        tables,
        has_migrations_table: has_migrations > 0,
        applied,
    })
}

/// `VACUUM INTO` a new file next to `path`, created with mode 0600.
async fn backup_before_migration(path: &Path, current: i64) -> Result<PathBuf> {
    let stamp = crate::ts::compact(crate::ts::now());
    let base = format!("{}.backup-v{current}-{stamp}", path.display());
    let mut to = PathBuf::from(&base);
    let mut n = 1;
    loop {
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&to)
        {
            Ok(_) => break,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                n += 1;
                to = PathBuf::from(format!("{base}-{n}"));
            }
            Err(source) => return Err(StateError::Io { path: to, source }),
        }
    }
    let fail = |source| StateError::Backup {
        path: path.to_path_buf(),
        backup: to.clone(),
        source,
    };
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .busy_timeout(BUSY_TIMEOUT);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(fail)?;
    let target = to.to_string_lossy().into_owned();
    let result = sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&mut conn)
        .await;
    conn.close().await.ok();
    result.map_err(fail)?;
    Ok(to)
}

/// Run pending migrations inside one `BEGIN IMMEDIATE` transaction, so that two processes
/// opening the same new file never both try to apply the same migration.
async fn migrate(pool: &AnyPool, path: Option<&Path>) -> Result<()> {
    let fail = |source| StateError::Migrate {
        path: path.map(Path::to_path_buf).unwrap_or_default(),
        source,
    };
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    // run_direct: `run` through the Any driver makes the future not Send (sqlx 0.8)
    MIGRATOR.run_direct(&mut *tx).await.map_err(fail)?;
    tx.commit().await?;
    Ok(())
}

/// SQLite's SQLITE_BUSY / SQLITE_LOCKED, wherever it surfaced during open.
fn is_busy(e: &StateError) -> bool {
    let text = e.to_string();
    text.contains("database is locked")
        || text.contains("database is busy")
        || text.contains("database table is locked")
}
