//! The state store of `infra`: a SQLite file (the default) or a PostgreSQL database (for
//! teams; `--state postgres://...`), with the same behaviour on both.
//!
//! One database holds many stacks. Every row is keyed by its stack's name, and each
//! stack has its own lock, serial and lineage. The schema lives in the top-level
//! `migrations/` directory (`migrations/postgres/` in PostgreSQL form, kept in step) and is
//! applied automatically on first use ([`Store::open`] backs an old file up first).
//!
//! What this crate deliberately does not know: plans, providers and the AWS SDK. It stores
//! resource attributes as opaque JSON. Domain types ([`ResourceRecord`], [`Intent`], …) are
//! not the storage format: rows have their own types in `rows.rs`, and the export format
//! has its own types in `export.rs`.
//!
//! Every write is one transaction (on SQLite `BEGIN IMMEDIATE`, so that concurrent
//! processes wait for each other up to the busy timeout instead of failing with "database
//! is locked"). See `store.rs` for how one set of queries serves both backends.

mod bulk;
mod check;
mod error;
mod export;
mod history;
mod intents;
mod location;
mod lock;
mod open;
mod outputs;
mod pg;
mod proc;
mod resources;
mod rows;
mod stacks;
mod store;
mod ts;

pub use bulk::Snapshot;
pub use error::StateError;
pub use export::EXPORT_FORMAT_VERSION;
pub use history::{HistoryEntry, HistoryStatus};
pub use intents::Intent;
pub use location::{PgUrl, StateLocation};
pub use lock::{Lock, LockInfo};
pub use open::{BUSY_TIMEOUT, MIGRATOR};
pub use outputs::OutputRecord;
pub use pg::PG_MIGRATOR;
pub use resources::{ResourceRecord, ResourceStatus};
pub use stacks::StackMeta;
pub use store::{Backend, Store};
/// Timestamps as the CLI shows them: `display_time` for people, `rfc3339` for JSON.
pub use ts::{display as display_time, store as rfc3339};

/// The result type of this crate.
pub type Result<T, E = StateError> = std::result::Result<T, E>;
