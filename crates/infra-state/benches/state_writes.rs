//! Writing a full apply's rows: N resources, each committed in its own transaction twice
//! (`creating` when create returns, `ready` after the wait), as apply does; then loading
//! them all back, as refresh does. Also reports the database's size on stderr.
//!
//!     cargo bench -p infra-state --bench state_writes
//!     cargo test -p infra-state --benches               (each once: CI)

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use infra_state::{ResourceRecord, ResourceStatus, Store};

fn record(i: usize) -> ResourceRecord {
    // a subnet's attributes, as the AWS provider records them
    let attrs = serde_json::json!({
        "id": format!("subnet-{i:017x}"),
        "arn": format!("arn:aws:ec2:us-east-1:000000000000:subnet/subnet-{i:017x}"),
        "vpc_id": "vpc-0123456789abcdef0",
        "cidr_block": format!("10.{}.{}.0/26", 100 + i % 4, i / 4 % 256),
        "availability_zone": "us-east-1a",
        "availability_zone_id": "use1-az1",
        "map_public_ip_on_launch": false,
        "assign_ipv6_address_on_creation": false,
        "owner_id": "000000000000",
        "tags": { "Name": format!("scale-s{i}") },
        "tags_all": { "Name": format!("scale-s{i}") },
    });
    let mut r = ResourceRecord::new(
        format!("aws_subnet.s[{i}]"),
        "aws_subnet",
        format!("subnet-{i:017x}"),
        attrs,
    );
    r.dependencies = vec!["aws_vpc.v".to_string()];
    r
}

async fn write_all(store: &Store, n: usize) {
    for i in 0..n {
        let mut r = record(i);
        r.status = ResourceStatus::Creating;
        store.put_resource("bench", &r).await.expect("write");
        r.status = ResourceStatus::Ready;
        store.put_resource("bench", &r).await.expect("write");
    }
}

fn writes(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut group = c.benchmark_group("state");
    group.sample_size(10);
    for n in sizes() {
        group.bench_with_input(BenchmarkId::new("apply_rows", n), &n, |b, &n| {
            b.iter_batched(
                || tempfile::tempdir().expect("a temporary directory"),
                |dir| {
                    rt.block_on(async {
                        let path = dir.path().join("state.db");
                        let store = Store::open(&path).await.expect("open");
                        write_all(&store, n).await;
                    });
                    dir
                },
                criterion::BatchSize::PerIteration,
            )
        });
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("state.db");
        let store = rt.block_on(async {
            let store = Store::open(&path).await.expect("open");
            write_all(&store, n).await;
            store
        });
        let size: u64 = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(|e| e.ok()?.metadata().ok())
            .map(|m| m.len())
            .sum();
        eprintln!("state database with {n} rows: {size} bytes");
        group.bench_with_input(BenchmarkId::new("load_rows", n), &n, |b, _| {
            b.iter(|| rt.block_on(store.resources("bench")).expect("read"))
        });
        // what plan and apply read: every row in one pass, decoded on several threads
        group.bench_with_input(BenchmarkId::new("load_decoded", n), &n, |b, _| {
            b.iter(|| rt.block_on(store.resources_decoded("bench")).expect("read"))
        });
    }
    group.finish();
}

/// `cargo bench` passes `--bench`: every size. `cargo test --benches` (CI) runs each
/// bench once in a debug build: the smallest size only.
fn sizes() -> Vec<usize> {
    if std::env::args().any(|a| a == "--bench") {
        vec![100, 1_000, 10_000]
    } else {
        vec![100]
    }
}

criterion_group!(benches, writes);
criterion_main!(benches);
