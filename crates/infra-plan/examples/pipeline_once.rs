//! The stages of `benches/pipeline.rs` run once each at one size, with their wall times:
//! a small binary to profile (valgrind's callgrind, perf) without criterion's loop.
//!
//!     cargo run -p infra-plan --release --example pipeline_once -- 10000
//!     valgrind --tool=callgrind target/release/examples/pipeline_once 1000
//!
//! A second argument `R` then re-evaluates R instances as apply does before each step
//! (`Stack::evaluate_instance`, from the planned values of every instance), spread over
//! the route table associations, which refer to a subnet and a route table by index:
//!
//!     valgrind --tool=callgrind target/release/examples/pipeline_once 1000 200

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
    let resolves: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    if resolves > 0 {
        resolve(&stack, &plan, resolves);
    }
    println!(
        "{n} resources: load {load:?}, walk {walk:?}, finish (incl. graph) {finish:?}, graph {build:?}; {} steps, {} edges",
        g.steps.len(),
        g.edges.len()
    );
}

/// Re-evaluate `resolves` route table associations as apply does, from the planned values.
fn resolve(stack: &infra_config::Stack, plan: &infra_plan::Plan, resolves: usize) {
    let t = Instant::now();
    let values: BTreeMap<_, _> = plan
        .changes
        .iter()
        .filter_map(|c| Some((c.address.clone(), c.after.clone()?)))
        .collect();
    let associations: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.address.type_name == "aws_route_table_association")
        .map(|c| c.address.clone())
        .collect();
    for i in 0..resolves {
        let a = &associations[i * associations.len() / resolves.max(1)];
        stack
            .evaluate_instance(a, &values)
            .expect("the association resolves");
    }
    println!("{resolves} resolves: {:?}", t.elapsed());
}
