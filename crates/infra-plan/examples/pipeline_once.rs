//! The stages of `benches/pipeline.rs` run once each at one size, with their wall times:
//! a small binary to profile (valgrind's callgrind, perf) without criterion's loop.
//!
//!     cargo run -p infra-plan --release --example pipeline_once -- 10000
//!     valgrind --tool=callgrind target/release/examples/pipeline_once 1000

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use infra_model::Mode;
use infra_plan::{graph, PlanOptions, Planner};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../stacks/bench/scale");
    let input = infra_config::fs::read_stack(
        &dir,
        &[],
        [("resources".to_string(), n.to_string())],
        std::iter::empty(),
    )
    .expect("the benchmark stack reads");

    let t = Instant::now();
    let (stack, diags) = infra_config::load(&input);
    let load = t.elapsed();
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    let stack = stack.expect("the benchmark stack loads");

    let t = Instant::now();
    let mut planner = Planner::new(PlanOptions::default(), Vec::new());
    let (_, diags) = stack.walk(&mut |inst| {
        if inst.address.mode == Mode::Data {
            infra_model::Value::Unknown
        } else {
            planner.plan_instance(inst)
        }
    });
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    let walk = t.elapsed();
    let t = Instant::now();
    let (plan, diags) = planner.finish(BTreeMap::new());
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    let finish = t.elapsed();
    assert_eq!(plan.changes.len(), n);

    let t = Instant::now();
    let g = graph::build(&plan.changes, &BTreeMap::new()).expect("the graph builds");
    let build = t.elapsed();
    println!(
        "{n} resources: load {load:?}, walk {walk:?}, finish (incl. graph) {finish:?}, graph {build:?}; {} steps, {} edges",
        g.steps.len(),
        g.edges.len()
    );
}
