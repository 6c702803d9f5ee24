//! Walking the graph: ordering, values flowing to dependents, bounded concurrency,
//! and every action (create, update, delete, both kinds of replace, data source read).

mod support;

use std::time::Duration;

use infra_model::{Address, Value};
use infra_plan::{Action, StepKind};
use infra_provider::fake::{Op, Target};
use infra_provider::id_of;
use support::*;

#[tokio::test]
async fn creates_follow_the_graph_and_values_flow_to_dependents() {
    let h = Harness::new();
    let mut p = PlanBuilder::new();
    let v = p.create(&vpc("main"), &[]);
    let sn = p.create(&subnet("a"), &[vpc("main")]);
    let gw = p.create(&igw("gw"), &[vpc("main")]);
    p.edge(v, sn).edge(v, gw);
    let resolver = MapResolver::new()
        .with(&vpc("main"), |_| vpc_config("10.0.0.0/16", "main"))
        .with(&subnet("a"), subnet_config(vpc("main"), "10.0.1.0/24"))
        .with(&igw("gw"), |values| {
            Value::map([("vpc_id", attr(values, &vpc("main"), "id"))])
        });

    let (report, events) = h.apply(&p.build(), &resolver).await;

    assert!(report.success(), "{report:?}");
    let vpc_id = id_of(&report.values[&vpc("main")]).unwrap().to_string();
    assert_eq!(
        report.values[&subnet("a")].get("vpc_id").as_str(),
        Some(vpc_id.as_str())
    );
    assert_eq!(
        report.values[&igw("gw")].get("vpc_id").as_str(),
        Some(vpc_id.as_str())
    );
    assert_eq!(completed(&report)[0], "aws_vpc.main Create");
    let creates: Vec<String> = h
        .cloud
        .calls_of(Op::Create)
        .into_iter()
        .filter_map(|c| c.address)
        .collect();
    assert_eq!(creates[0], "aws_vpc.main");
    assert_eq!(creates.len(), 3);
    // the resources are tagged with the stack and address at creation
    let raw = h
        .cloud
        .get_raw("aws_subnet", id_of(&report.values[&subnet("a")]).unwrap())
        .unwrap();
    assert_eq!(
        raw.get("tags_all").get("infra:address").as_str(),
        Some("aws_subnet.a")
    );
    assert_eq!(
        raw.get("tags_all").get("infra:stack").as_str(),
        Some("test")
    );
    // events: a start and a completion per step, with the id
    let started = events
        .iter()
        .filter(|e| matches!(e, infra_apply::Event::StepStarted { .. }))
        .count();
    assert_eq!(started, 3);
    assert!(events.iter().any(
        |e| matches!(e, infra_apply::Event::StepCompleted { id: Some(id), .. } if *id == vpc_id)
    ));
    // every row is in the state, ready
    let state = h.persist.state();
    assert_eq!(state.rows.len(), 3);
    assert!(state.rows.values().all(|(_, ready)| *ready));
    assert!(state.intents.is_empty());
}

#[tokio::test(start_paused = true)]
async fn parallelism_bounds_in_flight_steps() {
    let mut h = Harness::new();
    h.opts.parallelism = 3;
    h.cloud
        .set_delay(Target::Any, Op::Create, Duration::from_secs(1));
    let mut p = PlanBuilder::new();
    let mut resolver = MapResolver::new();
    for i in 0..8 {
        let a = vpc(&format!("v{i}"));
        p.create(&a, &[]);
        resolver = resolver.with(&a, move |_| vpc_config("10.0.0.0/16", "v"));
    }
    let start = tokio::time::Instant::now();
    let (report, _) = h.apply(&p.build(), &resolver).await;
    assert!(report.success(), "{report:?}");
    assert_eq!(h.cloud.count("aws_vpc"), 8);
    assert_eq!(
        h.cloud.max_in_flight(),
        3,
        "at most 3 at once, and they did overlap"
    );
    // 8 one-second creates, 3 at a time: 3 rounds
    assert_eq!(start.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn independent_branches_proceed_while_one_waits() {
    let mut h = Harness::new();
    h.opts.waiting_interval = Duration::from_secs(600);
    // the slow branch: a vpc whose wait_ready takes 5 minutes (a NAT gateway's life)
    h.cloud
        .set_pending(Target::address(&vpc("slow")), Duration::from_secs(300));
    h.cloud
        .set_delay(Target::Any, Op::Create, Duration::from_secs(1));
    let mut p = PlanBuilder::new();
    let slow = p.create(&vpc("slow"), &[]);
    let slow_sn = p.create(&subnet("slow"), &[vpc("slow")]);
    p.edge(slow, slow_sn);
    let fast = p.create(&vpc("fast"), &[]);
    let a = p.create(&subnet("a"), &[vpc("fast")]);
    let b = p.create(&subnet("b"), &[vpc("fast")]);
    p.edge(fast, a).edge(fast, b);
    let resolver = MapResolver::new()
        .with(&vpc("slow"), |_| vpc_config("10.1.0.0/16", "slow"))
        .with(&vpc("fast"), |_| vpc_config("10.2.0.0/16", "fast"))
        .with(&subnet("slow"), subnet_config(vpc("slow"), "10.1.1.0/24"))
        .with(&subnet("a"), subnet_config(vpc("fast"), "10.2.1.0/24"))
        .with(&subnet("b"), subnet_config(vpc("fast"), "10.2.2.0/24"));
    let start = tokio::time::Instant::now();
    let (report, _) = h.apply(&p.build(), &resolver).await;
    assert!(report.success(), "{report:?}");
    let order = completed(&report);
    assert_eq!(
        &order[..3],
        [
            "aws_vpc.fast Create",
            "aws_subnet.a Create",
            "aws_subnet.b Create"
        ],
        "{order:?}"
    );
    assert_eq!(
        &order[3..],
        ["aws_vpc.slow Create", "aws_subnet.slow Create"]
    );
    // 1 s create + 300 s wait, then 1 s for the subnet; the fast branch fit inside
    assert_eq!(start.elapsed(), Duration::from_secs(302));
}

#[tokio::test]
async fn create_update_and_delete_in_one_apply() {
    let mut h = Harness::new();
    let kept = h
        .existing(&vpc("kept"), vpc_config("10.0.0.0/16", "kept"))
        .await;
    let gone = h
        .existing(&vpc("gone"), vpc_config("10.9.0.0/16", "gone"))
        .await;
    let mut p = PlanBuilder::new();
    p.create(&subnet("new"), &[vpc("kept")]);
    p.change(&vpc("kept"), Action::Update, Some(kept.clone()), &[]);
    let upd = p.step(&vpc("kept"), StepKind::Update);
    p.change(&vpc("gone"), Action::Delete, Some(gone.clone()), &[]);
    p.step(&vpc("gone"), StepKind::Delete);
    let _ = upd;
    let resolver = MapResolver::new()
        .with(&subnet("new"), subnet_config(vpc("kept"), "10.0.1.0/24"))
        .with(&vpc("kept"), |_| {
            Value::map([
                ("cidr_block", s("10.0.0.0/16")),
                (
                    "tags",
                    Value::map([("Name", s("kept")), ("env", s("prod"))]),
                ),
            ])
        });

    let (report, _) = h.apply(&p.build(), &resolver).await;

    assert!(report.success(), "{report:?}");
    let kept_id = id_of(&kept).unwrap();
    assert_eq!(
        h.cloud
            .get("aws_vpc", kept_id)
            .unwrap()
            .get("tags")
            .get("env")
            .as_str(),
        Some("prod")
    );
    assert!(h.cloud.get("aws_vpc", id_of(&gone).unwrap()).is_none());
    assert_eq!(
        report.values[&subnet("new")].get("vpc_id").as_str(),
        Some(kept_id)
    );
    assert!(!report.values.contains_key(&vpc("gone")));
    assert_eq!(
        report.values[&vpc("kept")].get("tags").get("env").as_str(),
        Some("prod")
    );
    let state = h.persist.state();
    assert!(state.log.contains(&Record::Updated {
        address: vpc("kept"),
        id: kept_id.to_string()
    }));
    assert!(state.log.contains(&Record::Deleted {
        address: vpc("gone"),
        deposed: None
    }));
    assert!(!state.rows.contains_key(&vpc("gone")));
    assert_eq!(state.rows.len(), 2);
}

/// A subnet whose CIDR changes, replaced one way or the other.
async fn replace_subnet(action: Action) -> (Harness, infra_apply::ApplyReport, String) {
    let mut h = Harness::new();
    let v = h
        .existing(&vpc("main"), vpc_config("10.0.0.0/16", "main"))
        .await;
    let vpc_id = id_of(&v).unwrap().to_string();
    let old = h
        .existing(
            &subnet("a"),
            Value::map([("vpc_id", s(&vpc_id)), ("cidr_block", s("10.0.1.0/24"))]),
        )
        .await;
    let old_id = id_of(&old).unwrap().to_string();
    let mut p = PlanBuilder::new();
    p.change(&subnet("a"), action, Some(old.clone()), &[vpc("main")]);
    let del = p.step(&subnet("a"), StepKind::Delete);
    let cre = p.step(&subnet("a"), StepKind::Create);
    if action == Action::CreateThenDelete {
        p.edge(cre, del);
    } else {
        p.edge(del, cre);
    }
    let resolver = MapResolver::new().with(&subnet("a"), subnet_config(vpc("main"), "10.0.2.0/24"));
    let (report, _) = h.apply(&p.build(), &resolver).await;
    assert!(report.success(), "{report:?}");
    (h, report, old_id)
}

#[tokio::test]
async fn replace_deletes_first_by_default() {
    let (h, report, old_id) = replace_subnet(Action::DeleteThenCreate).await;
    assert_eq!(
        completed(&report),
        ["aws_subnet.a Delete", "aws_subnet.a Create"]
    );
    let ops: Vec<Op> = h
        .cloud
        .calls()
        .into_iter()
        .filter(|c| c.type_name == "aws_subnet" && c.op != Op::Read)
        .map(|c| c.op)
        .collect();
    // the two creates seeding the cloud, then the replacement: delete, create
    assert_eq!(ops, [Op::Create, Op::Delete, Op::Create]);
    let new = &report.values[&subnet("a")];
    assert_ne!(id_of(new), Some(old_id.as_str()));
    assert_eq!(new.get("cidr_block").as_str(), Some("10.0.2.0/24"));
    assert_eq!(h.cloud.count("aws_subnet"), 1);
    let log = h.persist.log();
    let deleted = log
        .iter()
        .position(|r| {
            *r == Record::Deleted {
                address: subnet("a"),
                deposed: None,
            }
        })
        .unwrap();
    let intent = log
        .iter()
        .position(|r| matches!(r, Record::Intent { address, .. } if *address == subnet("a")))
        .unwrap();
    assert!(deleted < intent);
    assert!(!log.iter().any(|r| matches!(r, Record::Deposed { .. })));
}

#[tokio::test]
async fn create_before_destroy_deposes_then_deletes_the_old_object() {
    let (h, report, old_id) = replace_subnet(Action::CreateThenDelete).await;
    assert_eq!(
        completed(&report),
        ["aws_subnet.a Create", "aws_subnet.a Delete"]
    );
    let new_id = id_of(&report.values[&subnet("a")]).unwrap().to_string();
    assert_ne!(new_id, old_id);
    // the old object was set aside before the new one was created, and deleted after
    let log: Vec<Record> = h
        .persist
        .log()
        .into_iter()
        .filter(|r| !matches!(r, Record::Created { ready: true, .. }))
        .collect();
    assert_eq!(
        log,
        [
            Record::Deposed {
                address: subnet("a"),
                old: Some(old_id.clone())
            },
            Record::Intent {
                address: subnet("a"),
                token: infra_apply::token_for("run-1", &subnet("a")),
                existed_in_cloud: true
            },
            Record::Created {
                address: subnet("a"),
                id: new_id.clone(),
                ready: false,
                in_cloud: true
            },
            Record::Deleted {
                address: subnet("a"),
                deposed: Some(old_id.clone())
            },
        ]
    );
    assert!(h.cloud.get("aws_subnet", &old_id).is_none());
    assert!(h.cloud.get("aws_subnet", &new_id).is_some());
    let state = h.persist.state();
    assert_eq!(id_of(&state.rows[&subnet("a")].0), Some(new_id.as_str()));
    assert_eq!(state.deposed.get(&subnet("a")).map(Vec::len), Some(0));
    // the delete step reports the old id
    assert_eq!(report.completed[1].1.as_deref(), Some(old_id.as_str()));
}

#[tokio::test]
async fn data_sources_read_at_apply_time_feed_dependents() {
    let h = Harness::new();
    let azs = Address::data("aws_availability_zones", "available");
    let mut p = PlanBuilder::new();
    p.change(&azs, Action::Read, None, &[]);
    let r = p.step(&azs, StepKind::Read);
    let v = p.create(&vpc("main"), &[]);
    let sn = p.create(&subnet("a"), &[vpc("main"), azs.clone()]);
    p.edge(r, sn).edge(v, sn);
    let azs2 = azs.clone();
    let resolver = MapResolver::new()
        .with(&azs, |_| Value::map([("state", s("available"))]))
        .with(&vpc("main"), |_| vpc_config("10.0.0.0/16", "main"))
        .with(&subnet("a"), move |values| {
            let zone = match values.get(&azs2) {
                Some(d) => d
                    .get("names")
                    .as_list()
                    .and_then(|l| l.get(1).cloned())
                    .unwrap_or(Value::Null),
                None => Value::Unknown,
            };
            Value::map([
                ("vpc_id", attr(values, &vpc("main"), "id")),
                ("cidr_block", s("10.0.1.0/24")),
                ("availability_zone", zone),
            ])
        });
    let (report, _) = h.apply(&p.build(), &resolver).await;
    assert!(report.success(), "{report:?}");
    assert_eq!(
        report.values[&subnet("a")]
            .get("availability_zone")
            .as_str(),
        Some("us-east-1b")
    );
    assert_eq!(
        report.values[&azs]
            .get("names")
            .as_list()
            .map(<[Value]>::len),
        Some(3)
    );
}

#[tokio::test]
async fn create_first_never_deletes_the_object_it_just_created() {
    // A provider that dedupes the replacement onto the old object (say, a reused token)
    // must not make apply delete the only copy.
    let mut h = Harness::new();
    let v = h
        .existing(&vpc("main"), vpc_config("10.0.0.0/16", "main"))
        .await;
    let existing_id = id_of(&v).unwrap().to_string();
    let mut p = PlanBuilder::new();
    p.change(&vpc("main"), Action::CreateThenDelete, Some(v.clone()), &[]);
    let cre = p.step(&vpc("main"), StepKind::Create);
    let del = p.step(&vpc("main"), StepKind::Delete);
    p.edge(cre, del);
    let resolver = MapResolver::new().with(&vpc("main"), |_| vpc_config("10.0.0.0/16", "main"));
    let provider: std::sync::Arc<dyn infra_provider::Provider> = std::sync::Arc::new(Dedupe {
        inner: h.cloud.clone(),
        id: existing_id.clone(),
    });
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let report = infra_apply::apply(
        &p.build(),
        h.prior.clone(),
        &resolver,
        provider,
        h.persist.clone(),
        h.opts.clone(),
        h.shutdown.clone(),
        tx,
    )
    .await;
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert!(
        report.failed[0].1.contains("old object's id"),
        "{}",
        report.failed[0].1
    );
    assert!(
        h.cloud.get("aws_vpc", &existing_id).is_some(),
        "the only copy survives"
    );
    assert!(h.cloud.calls_of(Op::Delete).is_empty());
}

/// Wraps the fake so that create returns an existing object.
struct Dedupe {
    inner: std::sync::Arc<infra_provider::fake::FakeProvider>,
    id: String,
}

#[async_trait::async_trait]
impl infra_provider::Provider for Dedupe {
    async fn read(
        &self,
        t: &str,
        items: &[infra_provider::ReadRequest],
    ) -> Result<std::collections::BTreeMap<String, Value>, infra_provider::ProviderError> {
        self.inner.read(t, items).await
    }
    async fn create(
        &self,
        _req: &infra_provider::CreateRequest,
    ) -> Result<Value, infra_provider::ProviderError> {
        Ok(self.inner.get("aws_vpc", &self.id).unwrap_or_default())
    }
    async fn wait_ready(
        &self,
        t: &str,
        id: &str,
        c: &Value,
    ) -> Result<Value, infra_provider::ProviderError> {
        self.inner.wait_ready(t, id, c).await
    }
    async fn update(
        &self,
        t: &str,
        id: &str,
        p: &Value,
        d: &Value,
    ) -> Result<Value, infra_provider::ProviderError> {
        self.inner.update(t, id, p, d).await
    }
    async fn delete(
        &self,
        t: &str,
        id: &str,
        p: &Value,
    ) -> Result<(), infra_provider::ProviderError> {
        self.inner.delete(t, id, p).await
    }
    async fn adopt(
        &self,
        r: &infra_provider::CreateRequest,
    ) -> Result<Option<Value>, infra_provider::ProviderError> {
        self.inner.adopt(r).await
    }
    async fn read_data(&self, t: &str, a: &Value) -> Result<Value, infra_provider::ProviderError> {
        self.inner.read_data(t, a).await
    }
    fn api_calls(&self) -> infra_provider::ApiCalls {
        self.inner.api_calls()
    }
}
