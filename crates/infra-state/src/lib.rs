//! The SQLite state store of `infra`.
//!
//! One database file holds many stacks. Every row is keyed by its stack's name, and each
//! stack has its own lock, serial and lineage. The schema lives in the top-level
//! `migrations/` directory and is applied automatically by [`Store::open`], after a backup
//! of the old file.
//!
//! What this crate deliberately does not know: plans, providers and the AWS SDK. It stores
//! resource attributes as opaque JSON. Domain types ([`ResourceRecord`], [`Intent`], …) are
//! not the storage format: rows have their own types in `rows.rs`, and the export format
//! has its own types in `export.rs`.
//!
//! Every write is one `BEGIN IMMEDIATE` transaction, so that concurrent processes wait for
//! each other (up to the busy timeout) instead of failing with "database is locked".

mod check;
mod error;
mod export;
mod history;
mod intents;
mod lock;
mod open;
mod outputs;
mod proc;
mod resources;
mod rows;
mod stacks;
mod ts;

pub use error::StateError;
pub use export::EXPORT_FORMAT_VERSION;
pub use history::{HistoryEntry, HistoryStatus};
pub use intents::Intent;
pub use lock::{Lock, LockInfo};
pub use open::{Store, BUSY_TIMEOUT, MIGRATOR};
pub use outputs::OutputRecord;
pub use resources::{ResourceRecord, ResourceStatus};
pub use stacks::StackMeta;
/// Timestamps as the CLI shows them: `display_time` for people, `rfc3339` for JSON.
pub use ts::{display as display_time, store as rfc3339};

/// The result type of this crate.
pub type Result<T, E = StateError> = std::result::Result<T, E>;
