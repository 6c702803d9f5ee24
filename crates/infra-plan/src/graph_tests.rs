use super::*;
use crate::{Lifecycle, Plan};
use proptest::prelude::*;

fn a(s: &str) -> Address {
    Address::parse(s).expect("address")
}

fn change(addr: &str, action: Action, deps: &[&str]) -> ResourceChange {
    ResourceChange {
        provider: Default::default(),
        delete_provider: None,
        address: a(addr),
        action,
        before: None,
        after: None,
        replace_paths: vec![],
        reason: None,
        depends_on: deps.iter().map(|d| a(d)).collect(),
        lifecycle: Lifecycle::default(),
        deposed: None,
        previous_address: None,
    }
}

/// The graph as `"delete aws_x.a -> create aws_x.b"` lines, sorted.
fn edges(changes: &mut [ResourceChange]) -> Vec<String> {
    let prior: BTreeMap<Address, Vec<Address>> = changes
        .iter()
        .map(|c| (c.address.clone(), c.depends_on.clone()))
        .collect();
    promote_create_before_destroy(changes, &prior);
    let g = build(changes, &prior).expect("acyclic");
    assert!(is_acyclic(&g));
    let name = |s: &Step| format!("{:?} {}", s.kind, s.address).to_lowercase();
    let mut out: Vec<String> = g
        .edges
        .iter()
        .map(|(x, y)| format!("{} -> {}", name(&g.steps[*x]), name(&g.steps[*y])))
        .collect();
    out.sort();
    out
}

#[test]
fn ordering_rules() {
    let cases: Vec<(&str, Vec<ResourceChange>, Vec<&str>)> = vec![
        (
            "creates follow dependencies",
            vec![
                change("aws_vpc.v", Action::Create, &[]),
                change("aws_subnet.s", Action::Create, &["aws_vpc.v"]),
            ],
            vec!["create aws_vpc.v -> create aws_subnet.s"],
        ),
        (
            "deletes in reverse",
            vec![
                change("aws_vpc.v", Action::Delete, &[]),
                change("aws_subnet.s", Action::Delete, &["aws_vpc.v"]),
            ],
            vec!["delete aws_subnet.s -> delete aws_vpc.v"],
        ),
        (
            "dependencies through a no-op",
            vec![
                change("aws_vpc.v", Action::Create, &[]),
                change("aws_subnet.s", Action::NoOp, &["aws_vpc.v"]),
                change("aws_route_table.r", Action::Create, &["aws_subnet.s"]),
            ],
            vec!["create aws_vpc.v -> create aws_route_table.r"],
        ),
        (
            "replace with a replaced dependent",
            vec![
                change("aws_vpc.v", Action::DeleteThenCreate, &[]),
                change("aws_subnet.s", Action::DeleteThenCreate, &["aws_vpc.v"]),
            ],
            vec![
                "create aws_vpc.v -> create aws_subnet.s",
                "delete aws_subnet.s -> create aws_subnet.s",
                "delete aws_subnet.s -> delete aws_vpc.v",
                "delete aws_vpc.v -> create aws_vpc.v",
            ],
        ),
        (
            "replace with an updated dependent",
            vec![
                change("aws_vpc.v", Action::DeleteThenCreate, &[]),
                change("aws_subnet.s", Action::Update, &["aws_vpc.v"]),
            ],
            vec![
                "create aws_vpc.v -> update aws_subnet.s",
                "delete aws_vpc.v -> create aws_vpc.v",
            ],
        ),
        (
            "create before destroy waits for dependents",
            vec![
                change("aws_eip.e", Action::CreateThenDelete, &[]),
                change("aws_nat_gateway.n", Action::Update, &["aws_eip.e"]),
            ],
            vec![
                "create aws_eip.e -> delete aws_eip.e",
                "create aws_eip.e -> update aws_nat_gateway.n",
                "update aws_nat_gateway.n -> delete aws_eip.e",
            ],
        ),
        (
            "create before destroy promotes its replaced dependencies",
            vec![
                change("aws_vpc.v", Action::DeleteThenCreate, &[]),
                change("aws_subnet.s", Action::CreateThenDelete, &["aws_vpc.v"]),
            ],
            vec![
                "create aws_subnet.s -> delete aws_subnet.s",
                "create aws_subnet.s -> delete aws_vpc.v",
                "create aws_vpc.v -> create aws_subnet.s",
                "create aws_vpc.v -> delete aws_vpc.v",
                "delete aws_subnet.s -> delete aws_vpc.v",
            ],
        ),
        (
            "an orphan is deleted after its former dependent is updated",
            vec![
                change("aws_internet_gateway.old", Action::Delete, &[]),
                change(
                    "aws_route_table.r",
                    Action::Update,
                    &["aws_internet_gateway.old"],
                ),
            ],
            vec!["update aws_route_table.r -> delete aws_internet_gateway.old"],
        ),
    ];
    for (name, mut changes, want) in cases {
        assert_eq!(edges(&mut changes), want, "{name}");
    }
}

#[test]
fn replace_steps_and_deposed_ids() {
    let mut c = change("aws_eip.e", Action::CreateThenDelete, &[]);
    c.before = Some(infra_model::Value::map([(
        "id",
        infra_model::Value::from("eipalloc-1"),
    )]));
    let mut d = change("aws_eip.f", Action::Delete, &[]);
    d.deposed = Some("eipalloc-0".into());
    let g = build(&[c, d], &BTreeMap::new()).unwrap();
    let kinds: Vec<(String, StepKind, Option<String>)> = g
        .steps
        .iter()
        .map(|s| (s.address.to_string(), s.kind, s.deposed.clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("aws_eip.e".to_string(), StepKind::Create, None),
            (
                "aws_eip.e".to_string(),
                StepKind::Delete,
                Some("eipalloc-1".to_string())
            ),
            (
                "aws_eip.f".to_string(),
                StepKind::Delete,
                Some("eipalloc-0".to_string())
            ),
        ]
    );
}

fn action_strategy() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::NoOp),
        Just(Action::Create),
        Just(Action::Update),
        Just(Action::DeleteThenCreate),
        Just(Action::CreateThenDelete),
        Just(Action::Delete),
    ]
}

proptest! {
    /// Random DAGs (a node depends only on lower-numbered nodes, in the configuration and,
    /// independently, in the prior state) with random actions always give an acyclic graph
    /// in which every dependency rule holds.
    #[test]
    fn graph_is_acyclic(
        nodes in prop::collection::vec((action_strategy(), prop::collection::vec(any::<prop::sample::Index>(), 0..4), prop::collection::vec(any::<prop::sample::Index>(), 0..4)), 1..25)
    ) {
        let addr = |i: usize| a(&format!("aws_vpc.n{i}"));
        let mut changes = Vec::new();
        let mut prior = BTreeMap::new();
        for (i, (action, new_deps, old_deps)) in nodes.iter().enumerate() {
            let pick = |ds: &Vec<prop::sample::Index>| -> Vec<Address> { if i == 0 { vec![] } else { ds.iter().map(|d| addr(d.index(i))).collect() } };
            let mut c = change(&addr(i).to_string(), *action, &[]);
            c.depends_on = pick(new_deps);
            prior.insert(addr(i), pick(old_deps));
            changes.push(c);
        }
        promote_create_before_destroy(&mut changes, &prior);
        let g = build(&changes, &prior).map_err(TestCaseError::fail)?;
        prop_assert!(is_acyclic(&g));
        let plan = Plan { changes: changes.clone(), outputs: Default::default(), graph: g.clone(), destroy: false };
        // every change with work has its steps
        let steps_of = |i: usize| g.steps.iter().filter(|s| s.address == addr(i)).count();
        for (i, c) in plan.changes.iter().enumerate() {
            let want = match c.action { Action::NoOp => 0, Action::DeleteThenCreate | Action::CreateThenDelete => 2, _ => 1 };
            prop_assert_eq!(steps_of(i), want);
        }
    }
}

/// Which real (non-barrier) steps each real step reaches, by `(kind, address, deposed)`.
fn closure(g: &ExecGraph) -> BTreeMap<String, std::collections::BTreeSet<String>> {
    let n = g.steps.len();
    let mut succs = vec![Vec::new(); n];
    for &(a, b) in &g.edges {
        succs[a].push(b);
    }
    let name = |i: usize| {
        let s = &g.steps[i];
        format!("{:?} {} {:?}", s.kind, s.address, s.deposed)
    };
    let mut out = BTreeMap::new();
    for i in 0..n {
        if g.steps[i].kind == StepKind::Barrier {
            continue;
        }
        let mut seen = vec![false; n];
        let mut work = succs[i].clone();
        let mut reached = std::collections::BTreeSet::new();
        while let Some(j) = work.pop() {
            if std::mem::replace(&mut seen[j], true) {
                continue;
            }
            if g.steps[j].kind != StepKind::Barrier {
                reached.insert(name(j));
            }
            work.extend(succs[j].iter().copied());
        }
        out.insert(name(i), reached);
    }
    out
}

/// Three blocks of counted instances (0..12 each) and a single resource, depending on
/// whole blocks, on single instances, and (in the prior state) otherwise.
fn blocks_strategy() -> impl Strategy<
    Value = Vec<(
        usize,
        usize,
        Action,
        Vec<(usize, Option<usize>)>,
        Vec<(usize, Option<usize>)>,
    )>,
> {
    let dep = (0usize..4, prop::option::of(0usize..12));
    prop::collection::vec(
        (
            0usize..4,
            0usize..12,
            action_strategy(),
            prop::collection::vec(dep.clone(), 0..3),
            prop::collection::vec(dep, 0..3),
        ),
        1..40,
    )
}

fn block_address(block: usize, key: Option<usize>) -> Address {
    let base = [
        "aws_vpc.v",
        "aws_subnet.s",
        "aws_route_table.r",
        "aws_route53_zone.z",
    ][block];
    match key {
        Some(k) => a(&format!("{base}[{k}]")),
        None => a(base),
    }
}

proptest! {
    /// Joining whole-block dependencies through barriers orders the real steps exactly as
    /// an edge per pair does: the same steps reach the same steps.
    #[test]
    fn barriers_keep_the_ordering_of_an_edge_per_pair(nodes in blocks_strategy()) {
        let mut changes = Vec::new();
        let mut prior = BTreeMap::new();
        let mut seen = std::collections::BTreeSet::new();
        for (block, key, action, new_deps, old_deps) in nodes {
            // a DAG: an instance depends only on lower-numbered blocks
            let address = block_address(block, Some(key));
            if !seen.insert(address.clone()) {
                continue;
            }
            let below = |ds: &Vec<(usize, Option<usize>)>| -> Vec<Address> {
                ds.iter().filter(|(b, _)| *b < block).map(|(b, k)| block_address(*b, *k)).collect()
            };
            let mut c = change(&address.to_string(), action, &[]);
            c.depends_on = below(&new_deps);
            prior.insert(address, below(&old_deps));
            changes.push(c);
        }
        promote_create_before_destroy(&mut changes, &prior);
        let pairs = build_joining(&changes, &prior, usize::MAX).map_err(TestCaseError::fail)?;
        let joined = build_joining(&changes, &prior, 2).map_err(TestCaseError::fail)?;
        prop_assert!(is_acyclic(&joined));
        prop_assert!(pairs.steps.iter().all(|s| s.kind != StepKind::Barrier));
        prop_assert_eq!(closure(&pairs), closure(&joined));
    }
}

/// 200 dependents of a block of 300 instances: 300 + 200 edges through one barrier, not
/// 60,000.
#[test]
fn a_whole_block_dependency_is_joined_through_one_barrier() {
    let mut changes: Vec<ResourceChange> = (0..300)
        .map(|i| change(&format!("aws_subnet.s[{i}]"), Action::Create, &[]))
        .collect();
    changes.extend((0..200).map(|i| {
        change(
            &format!("aws_route_table_association.a[{i}]"),
            Action::Create,
            &["aws_subnet.s"],
        )
    }));
    let g = build(&changes, &BTreeMap::new()).expect("acyclic");
    let barriers: Vec<&Step> = g
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::Barrier)
        .collect();
    assert_eq!(barriers.len(), 1);
    assert_eq!(barriers[0].address, a("aws_subnet.s"));
    assert_eq!(g.edges.len(), 500);
}
