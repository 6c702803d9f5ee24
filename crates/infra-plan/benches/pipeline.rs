//! The engine's stages on the benchmark's synthetic stack (`stacks/bench/scale`) at 100,
//! 1,000 and 10,000 resources: load (parse, variables, schemas, graph), walk + plan from
//! empty (evaluate every instance, normalize, diff), and the execution graph.
//!
//!     cargo bench -p infra-plan --bench pipeline        (scripts/bench reads the results)
//!     cargo test -p infra-plan --benches                (each once: CI)

use std::collections::BTreeMap;
use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use infra_config::StackInput;
use infra_model::Mode;
use infra_plan::{graph, PlanOptions, Planner};

fn input(resources: usize) -> StackInput {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../stacks/bench/scale");
    infra_config::fs::read_stack(
        &dir,
        &[],
        [("resources".to_string(), resources.to_string())],
        std::iter::empty(),
    )
    .expect("the benchmark stack reads")
}

fn plan(stack: &infra_config::Stack) -> infra_plan::Plan {
    let mut planner = Planner::new(PlanOptions::default(), Vec::new());
    let (_, diags) = stack.walk(&mut |inst| {
        if inst.address.mode == Mode::Data {
            infra_model::Value::Unknown
        } else {
            planner.plan_instance(inst)
        }
    });
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    let (plan, diags) = planner.finish(BTreeMap::new());
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    plan
}

fn stages(c: &mut Criterion) {
    let mut group = c.benchmark_group("pipeline");
    group.sample_size(10);
    for n in sizes() {
        let input = input(n);
        let (stack, diags) = infra_config::load(&input);
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
        let stack = stack.expect("the benchmark stack loads");
        group.bench_with_input(BenchmarkId::new("load", n), &input, |b, i| {
            b.iter(|| infra_config::load(i))
        });
        group.bench_with_input(BenchmarkId::new("walk_and_plan", n), &stack, |b, s| {
            b.iter(|| plan(s))
        });
        let p = plan(&stack);
        assert_eq!(p.changes.len(), n);
        group.bench_with_input(BenchmarkId::new("graph", n), &p, |b, p| {
            b.iter(|| graph::build(&p.changes, &BTreeMap::new()))
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

criterion_group!(benches, stages);
criterion_main!(benches);
