//! Apply scheduling against the fake provider with synthetic latencies (scripts/bench).
//!
//!     cargo run -p infra-apply --release --example schedule -- [SCALE=100]
//!
//! An EKS environment on a 3-AZ network, planned by the real planner: NAT gateways take
//! 90 s to become ready, the cluster 600 s, each node group 180 s, every other create 2 s;
//! all divided by SCALE. Twenty-four Route53 records and security groups compete for the
//! ten slots of `--parallelism 10`. Prints one JSON line: the critical path of the plan's
//! execution graph (each step weighted by its latency), apply's wall time, and their ratio.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use infra_apply::{apply, ApplyOptions, Persist, Resolver, Shutdown};
use infra_model::{Address, InstanceKey, Value};
use infra_plan::{DesiredInstance, ExecGraph, PlanOptions, Planner};
use infra_provider::fake::{FakeProvider, Op, Target};
use infra_provider::CreateRequest;

const PARALLELISM: usize = 10;

/// Seconds (unscaled) a create takes to return, and then to become ready.
fn latency(type_name: &str) -> (f64, f64) {
    match type_name {
        "aws_nat_gateway" => (2.0, 90.0),
        "aws_eks_cluster" => (2.0, 600.0),
        "aws_eks_node_group" => (2.0, 180.0),
        _ => (2.0, 0.0),
    }
}

struct Stack {
    desired: Vec<DesiredInstance>,
}

impl Stack {
    fn add(&mut self, address: Address, config: Value, depends_on: &[&Address]) -> Address {
        self.desired.push(DesiredInstance {
            provider: Default::default(),
            address: address.clone(),
            config,
            depends_on: depends_on.iter().map(|a| (*a).clone()).collect(),
            lifecycle: Default::default(),
        });
        address
    }
}

fn keyed(type_name: &str, name: &str, key: &str) -> Address {
    Address::managed(type_name, name).with_key(Some(InstanceKey::Str(key.into())))
}

fn s(v: &str) -> Value {
    Value::string(v)
}

fn environment() -> Vec<DesiredInstance> {
    let mut st = Stack {
        desired: Vec::new(),
    };
    let vpc = st.add(
        Address::managed("aws_vpc", "main"),
        Value::map([("cidr_block", s("10.0.0.0/16"))]),
        &[],
    );
    let igw = st.add(
        Address::managed("aws_internet_gateway", "main"),
        Value::map([("vpc_id", s("vpc"))]),
        &[&vpc],
    );
    let role = st.add(
        Address::managed("aws_iam_role", "cluster"),
        Value::map([("name", s("cluster")), ("assume_role_policy", s("{}"))]),
        &[],
    );
    let mut private = Vec::new();
    let mut private_rts = Vec::new();
    for (i, az) in ["a", "b", "c"].into_iter().enumerate() {
        let cidr = |n: usize| {
            Value::map([
                ("vpc_id", s("vpc")),
                ("cidr_block", s(&format!("10.0.{n}.0/24"))),
            ])
        };
        let public = st.add(keyed("aws_subnet", "public", az), cidr(i), &[&vpc]);
        let sub = st.add(keyed("aws_subnet", "private", az), cidr(i + 100), &[&vpc]);
        let eip = st.add(
            keyed("aws_eip", "nat", az),
            Value::map([("domain", s("vpc"))]),
            &[],
        );
        let nat = st.add(
            keyed("aws_nat_gateway", "main", az),
            Value::map([("subnet_id", s("subnet")), ("allocation_id", s("eip"))]),
            &[&eip, &public, &igw],
        );
        let rt = st.add(
            keyed("aws_route_table", "private", az),
            Value::map([("vpc_id", s("vpc"))]),
            &[&vpc, &nat],
        );
        st.add(
            keyed("aws_route_table_association", "private", az),
            Value::map([("subnet_id", s("subnet")), ("route_table_id", s("rtb"))]),
            &[&sub, &rt],
        );
        private.push(sub);
        private_rts.push(rt);
    }
    let mut cluster_deps: Vec<&Address> = private.iter().collect();
    cluster_deps.push(&role);
    let cluster = st.add(
        Address::managed("aws_eks_cluster", "main"),
        Value::map([("name", s("main")), ("role_arn", s("arn"))]),
        &cluster_deps,
    );
    for pool in ["system", "apps"] {
        let mut deps: Vec<&Address> = vec![&cluster];
        deps.extend(private_rts.iter());
        st.add(
            keyed("aws_eks_node_group", "pool", pool),
            Value::map([("cluster_name", s("main")), ("node_group_name", s(pool))]),
            &deps,
        );
    }
    // short work that competes for the slots
    let zone = st.add(
        Address::managed("aws_route53_zone", "main"),
        Value::map([("name", s("example.com"))]),
        &[],
    );
    for i in 0..12 {
        st.add(
            Address::managed("aws_route53_record", "r").with_key(Some(InstanceKey::Int(i))),
            Value::map([
                ("zone_id", s("Z")),
                ("name", s(&format!("r{i}.example.com"))),
                ("type", s("A")),
                ("ttl", Value::from(300i64)),
                ("records", Value::List(vec![s("192.0.2.1")])),
            ]),
            &[&zone],
        );
        st.add(
            Address::managed("aws_security_group", "g").with_key(Some(InstanceKey::Int(i))),
            Value::map([("name", s(&format!("g{i}"))), ("vpc_id", s("vpc"))]),
            &[&vpc],
        );
    }
    st.desired
}

/// The longest path through the graph, each step weighted by its latency.
fn critical_path(graph: &ExecGraph, weight: &dyn Fn(&str) -> f64) -> f64 {
    let n = graph.steps.len();
    let mut preds = vec![Vec::new(); n];
    let mut indegree = vec![0usize; n];
    let mut succs = vec![Vec::new(); n];
    for &(a, b) in &graph.edges {
        preds[b].push(a);
        succs[a].push(b);
        indegree[b] += 1;
    }
    let mut finish = vec![0f64; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    while let Some(i) = ready.pop() {
        let start = preds[i].iter().map(|&p| finish[p]).fold(0f64, f64::max);
        // a barrier step takes no time (its address is the block it joins)
        let step = &graph.steps[i];
        let own = if step.kind == infra_plan::StepKind::Barrier {
            0.0
        } else {
            weight(&step.address.type_name)
        };
        finish[i] = start + own;
        for &j in &succs[i] {
            indegree[j] -= 1;
            if indegree[j] == 0 {
                ready.push(j);
            }
        }
    }
    finish.into_iter().fold(0f64, f64::max)
}

/// The configuration as planned (no references to resolve: the fake takes literals).
struct Configs(BTreeMap<Address, Value>);

impl Resolver for Configs {
    fn resolve(&self, address: &Address, _: &BTreeMap<Address, Value>) -> Result<Value, String> {
        self.0
            .get(address)
            .cloned()
            .ok_or_else(|| format!("no configuration for {address}"))
    }
}

/// Persistence that keeps nothing: this measures scheduling, not the state store.
struct Discard;

#[async_trait]
impl Persist for Discard {
    async fn intent(&self, _: &CreateRequest) -> Result<(), String> {
        Ok(())
    }
    async fn created(&self, _: &Address, _: &Value, _: &[Address], _: bool) -> Result<(), String> {
        Ok(())
    }
    async fn updated(&self, _: &Address, _: &Value, _: &[Address]) -> Result<(), String> {
        Ok(())
    }
    async fn deleted(&self, _: &Address, _: Option<&str>) -> Result<(), String> {
        Ok(())
    }
    async fn depose(&self, _: &Address) -> Result<Option<String>, String> {
        Ok(None)
    }
}

#[tokio::main]
async fn main() {
    let scale: f64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .filter(|s: &f64| *s > 0.0)
        .unwrap_or(100.0);
    let desired = environment();
    let configs = Configs(
        desired
            .iter()
            .map(|d| (d.address.clone(), d.config.clone()))
            .collect(),
    );
    let mut planner = Planner::new(PlanOptions::default(), Vec::new());
    for d in &desired {
        planner.plan_instance(d);
    }
    let (plan, diags) = planner.finish(BTreeMap::new());
    assert!(diags.is_empty(), "{diags:?}");

    let cloud = Arc::new(FakeProvider::new());
    let secs = |s: f64| Duration::from_secs_f64(s / scale);
    let mut types: Vec<&str> = desired
        .iter()
        .map(|d| d.address.type_name.as_str())
        .collect();
    types.sort_unstable();
    types.dedup();
    for t in types {
        let (create, ready) = latency(t);
        cloud.set_delay(Target::type_name(t), Op::Create, secs(create));
        if ready > 0.0 {
            cloud.set_pending(Target::type_name(t), secs(ready));
        }
    }
    let critical = critical_path(&plan.graph, &|t| {
        let (c, r) = latency(t);
        (c + r) / scale
    });
    let mut opts = ApplyOptions::new("bench", "bench-1");
    opts.parallelism = PARALLELISM;
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let start = Instant::now();
    let report = apply(
        &plan,
        BTreeMap::new(),
        &configs,
        cloud,
        Arc::new(Discard),
        opts,
        Shutdown::new(),
        tx,
    )
    .await;
    let wall = start.elapsed().as_secs_f64();
    assert!(report.success(), "{report:?}");
    println!(
        "{{\"graph\": \"EKS on a 3-AZ network, {} steps\", \"scale\": {scale}, \"parallelism\": {PARALLELISM}, \"critical_path_s\": {critical:.4}, \"wall_s\": {wall:.4}, \"ratio\": {:.4}}}",
        plan.graph.steps.len(),
        wall / critical
    );
}
