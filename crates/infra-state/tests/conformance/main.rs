//! The state store's conformance suite, run against both backends.
//!
//! `full::test_full` is OpenTofu's statemgr `TestFull` idea: one scenario that every way of
//! opening a [`Store`] must pass (a SQLite file, memory, a PostgreSQL database). Every test
//! written with [`on_both!`] runs twice, as `<name>::sqlite` (a fresh file) and
//! `<name>::postgres` (a fresh database on the server `scripts/pg-up` starts, or
//! `INFRA_TEST_POSTGRES_URL`). The other tests pin what only one backend has: files,
//! backups and pids (SQLite), leases and a shared server (PostgreSQL).

/// A test body run on a fresh store of each backend: `mod <name> { fn sqlite, fn postgres }`.
macro_rules! on_both {
    (async fn $name:ident($store:ident: &Store) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($store: &Store) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let fresh = crate::backends::Fresh::sqlite().await;
                body(&fresh.store).await;
                fresh.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let fresh = crate::backends::Fresh::postgres().await;
                body(&fresh.store).await;
                fresh.finish().await;
            }
        }
    };
}

mod api;
mod backends;
mod files;
mod full;
mod locking;
mod outputs;
mod pg;
mod portability;

use infra_state::{ResourceRecord, Store};
use serde_json::json;

/// A ready managed resource at `address` with a type taken from the address.
pub fn record(address: &str, cloud_id: &str) -> ResourceRecord {
    let type_name = address.split('.').next().unwrap_or("aws_vpc").to_string();
    ResourceRecord::new(
        address,
        type_name,
        cloud_id,
        json!({ "id": cloud_id, "tags": { "Name": address } }),
    )
}

/// A state file path inside a fresh temporary directory (kept alive by the returned guard).
pub fn temp_state() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state").join("infra.db");
    (dir, path)
}

/// Open a file store and close it again, leaving a checkpointed file behind.
pub async fn create_file(path: &std::path::Path, stack: &str) {
    let store = Store::open(path).await.expect("open");
    store
        .put_resource(stack, &record("aws_vpc.main", "vpc-1"))
        .await
        .expect("put");
    store.close().await;
}

/// Deterministic pseudo-random bytes (xorshift), so a failure can be replayed.
pub fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}
