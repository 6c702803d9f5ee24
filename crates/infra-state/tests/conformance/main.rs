//! The state store's conformance suite.
//!
//! `full::test_full` is OpenTofu's statemgr `TestFull` idea: one scenario that every way of
//! opening a [`Store`] must pass (a `#[sqlx::test]` database, a file, memory). The other
//! modules pin the behaviours that need a real file or several handles on one file.

mod api;
mod files;
mod full;
mod locking;
mod outputs;
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
