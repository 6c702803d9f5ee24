//! Every resource row of a stack, read from a SQLite file in one pass and decoded on
//! several threads: what plan and apply read first.
//!
//! Through sqlx, a row cost ~20 µs here before its JSON was even decoded: every value
//! copied from SQLite into sqlx's row, again into its `Any` row and again into ours, and
//! a channel hop per row to the async side (10,000 rows: ~0.2 s of a 0.35 s plan). This
//! reads the same file on a read-only connection of its own with rusqlite (the same
//! SQLite library), one copy per value, then decodes the rows' JSON on up to four
//! threads. A single SELECT reads one snapshot of the file, as sqlx's did.

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OpenFlags};

use crate::open::BUSY_TIMEOUT;
use crate::resources::ResourceRecord;
use crate::rows::{ResourceRow, RESOURCE_COLUMNS};
use crate::{Result, StateError};

/// Rows of fewer than this many resources are decoded on one thread (a thread costs tens
/// of microseconds, a row a few).
const PARALLEL_MIN_ROWS: usize = 512;
const MAX_THREADS: usize = 4;

/// The stack's rows in the file at `path`, by address then deposed key, decoded.
pub(crate) fn read_decoded(
    path: &Path,
    stack: &str,
) -> Result<Vec<ResourceRecord<infra_model::Value>>> {
    let conn = connect(path)?;
    decode(read_rows(&conn, path, stack)?)
}

/// The stack's serial and rows in one snapshot of the file at `path`, without opening it
/// as a store (nothing is created, migrated or locked); `None` when the file holds no
/// such stack.
pub(crate) fn read_snapshot(path: &Path, stack: &str) -> Result<Option<Snapshot>> {
    let failed = failed(path);
    let conn = connect(path)?;
    // one read transaction: the version is that of the rows read
    let tx = conn.unchecked_transaction().map_err(failed)?;
    let version: Option<String> =
        match tx.query_row(crate::stacks::VERSION_QUERY, [stack], |row| row.get(0)) {
            Ok(version) => Some(version),
            Err(rusqlite::Error::QueryReturnedNoRows) => None,
            Err(e) => return Err(failed(e)),
        };
    let Some(version) = version else {
        return Ok(None);
    };
    let rows = read_rows(&tx, path, stack)?;
    tx.finish().map_err(failed)?;
    Ok(Some(Snapshot {
        version,
        records: decode(rows)?,
    }))
}

/// A stack's rows as of one version of the stack, read before the store was opened and
/// locked (`plan` reads them while it validates the configuration): usable once the lock
/// is held if [`crate::Store::stack_version`] still gives the same version.
#[derive(Debug)]
pub struct Snapshot {
    /// The stack's lineage, serial and last update: every write of a row bumps the
    /// serial, and an import or a new stack of the same name changes the others.
    pub version: String,
    pub records: Vec<ResourceRecord<infra_model::Value>>,
}

/// A rusqlite error as the state's error, naming the file.
fn failed(path: &Path) -> impl Fn(rusqlite::Error) -> StateError + Copy + '_ {
    move |e| StateError::Read {
        path: path.to_path_buf(),
        why: e.to_string(),
    }
}

fn connect(path: &Path) -> Result<Connection> {
    let failed = failed(path);
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(failed)?;
    Ok(conn)
}

fn read_rows(conn: &Connection, path: &Path, stack: &str) -> Result<Vec<ResourceRow>> {
    let failed = failed(path);
    let mut select = conn
        .prepare(&format!(
            "SELECT {RESOURCE_COLUMNS} FROM resources WHERE stack = ?1 ORDER BY address, deposed"
        ))
        .map_err(failed)?;
    let mut rows = select.query([stack]).map_err(failed)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(failed)? {
        let text = |i: usize| row.get::<_, String>(i).map_err(failed);
        // in RESOURCE_COLUMNS' order
        out.push(ResourceRow {
            address: text(0)?,
            deposed: text(1)?,
            type_name: text(2)?,
            mode: text(3)?,
            cloud_id: text(4)?,
            attributes: text(5)?,
            dependencies: text(6)?,
            status: text(7)?,
            created_at: text(8)?,
            updated_at: text(9)?,
            provider: text(10)?,
        });
    }
    Ok(out)
}

fn decode_one(row: ResourceRow) -> Result<ResourceRecord<infra_model::Value>> {
    row.into_domain_with(infra_model::Value::from_json_str)
}

/// The rows decoded in order, on up to four threads for many rows; the first error in
/// row order when some row does not decode.
pub(crate) fn decode(rows: Vec<ResourceRow>) -> Result<Vec<ResourceRecord<infra_model::Value>>> {
    let threads = if rows.len() >= PARALLEL_MIN_ROWS {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS))
    } else {
        1
    };
    if threads <= 1 {
        return rows.into_iter().map(decode_one).collect();
    }
    let n = rows.len();
    let size = n.div_ceil(threads);
    let mut chunks = Vec::with_capacity(threads);
    let mut rest = rows;
    while rest.len() > size {
        let tail = rest.split_off(size);
        chunks.push(std::mem::replace(&mut rest, tail));
    }
    // a chunk is taken by the thread that decodes it: its own, or this one when no
    // thread can be started
    let slots: Vec<Mutex<Option<Vec<ResourceRow>>>> =
        chunks.into_iter().map(|c| Mutex::new(Some(c))).collect();
    let take = |slot: &Mutex<Option<Vec<ResourceRow>>>| {
        slot.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .unwrap_or_default()
    };
    let all = |rows: Vec<ResourceRow>| rows.into_iter().map(decode_one).collect::<Result<Vec<_>>>();
    std::thread::scope(|s| {
        let handles: Vec<_> = slots
            .iter()
            .map(|slot| std::thread::Builder::new().spawn_scoped(s, move || all(take(slot))))
            .collect();
        // the last chunk on this thread, then the others' in order
        let last = all(rest);
        let mut out = Vec::with_capacity(n);
        for (handle, slot) in handles.into_iter().zip(&slots) {
            match handle.map(|h| h.join()) {
                Ok(Ok(part)) => out.extend(part?),
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                Err(_) => out.extend(all(take(slot))?),
            }
        }
        out.extend(last?);
        Ok(out)
    })
}
