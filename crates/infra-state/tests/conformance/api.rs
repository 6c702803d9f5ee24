//! The API, one behaviour per test, on a fresh `#[sqlx::test]` database each.

use infra_state::{
    HistoryEntry, HistoryStatus, Intent, ResourceRecord, ResourceStatus, StateError, Store,
};
use serde_json::json;

use crate::record;

on_both! {
    async fn serial_counts_changes_and_lineage_is_per_stack(store: &Store) {
        let a = store.stack("a").await.unwrap();
        let b = store.stack("b").await.unwrap();
        assert_ne!(a.lineage, b.lineage);
        for i in 1..=5 {
            assert_eq!(
                store
                    .put_resource("a", &record("aws_vpc.main", &format!("vpc-{i}")))
                    .await
                    .unwrap(),
                i
            );
        }
        // intents and history do not change the resources, so they keep the serial
        store
            .record_intent("a", &Intent::create("aws_vpc.x", "aws_vpc", json!({}), "r"))
            .await
            .unwrap();
        store
            .record_history(&HistoryEntry::start("a", "apply"))
            .await
            .unwrap();
        assert!(!store
            .remove_resource("a", "aws_vpc.nothing", None)
            .await
            .unwrap());
        let a2 = store.stack("a").await.unwrap();
        assert_eq!(a2.serial, 5);
        assert_eq!(a2.lineage, a.lineage);
        assert_eq!(a2.created_at, a.created_at);
        assert!(a2.updated_at >= a.updated_at);
        assert_eq!(store.stack("b").await.unwrap().serial, 0);
        assert!(store.find_stack("c").await.unwrap().is_none());
    }
}

on_both! {
    async fn put_resource_clears_the_intent_in_the_same_transaction(store: &Store) {
        let intent = Intent::create(
            "aws_nat_gateway.a",
            "aws_nat_gateway",
            json!({"subnet_id": "s-1"}),
            "run-1",
        );
        store.record_intent("prod", &intent).await.unwrap();
        // make the intent delete fail: the resource row and the serial must roll back with it
        crate::backends::refuse_intent_deletes(store, true).await;
        let err = store
            .put_resource("prod", &record("aws_nat_gateway.a", "nat-1"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("intent delete refused"), "{err}");
        assert!(store
            .resource("prod", "aws_nat_gateway.a")
            .await
            .unwrap()
            .is_none());
        assert_eq!(store.stack("prod").await.unwrap().serial, 0);
        assert_eq!(store.intents("prod").await.unwrap(), vec![intent]);

        crate::backends::refuse_intent_deletes(store, false).await;
        store
            .put_resource("prod", &record("aws_nat_gateway.a", "nat-1"))
            .await
            .unwrap();
        assert!(store.intents("prod").await.unwrap().is_empty());
        assert_eq!(store.stack("prod").await.unwrap().serial, 1);
    }
}

on_both! {
    async fn intents_are_listed_replaced_and_cleared(store: &Store) {
        let first = Intent::create("aws_eip.a", "aws_eip", json!({"domain": "vpc"}), "run-1");
        let second = Intent::create("aws_eip.b", "aws_eip", json!({"domain": "vpc"}), "run-1");
        store.record_intent("prod", &first).await.unwrap();
        store.record_intent("prod", &second).await.unwrap();
        assert_eq!(store.intents("prod").await.unwrap().len(), 2);
        assert!(store.intents("other").await.unwrap().is_empty());
        // a retry records a new token for the same address
        let retry = Intent::create("aws_eip.a", "aws_eip", json!({"domain": "vpc"}), "run-2");
        store.record_intent("prod", &retry).await.unwrap();
        let now = store.intents("prod").await.unwrap();
        assert_eq!(now.len(), 2);
        assert!(now
            .iter()
            .any(|i| i.token == retry.token && i.run_id == "run-2"));
        assert!(store.clear_intent("prod", "aws_eip.a").await.unwrap());
        assert!(!store.clear_intent("prod", "aws_eip.a").await.unwrap());
        assert_eq!(store.intents("prod").await.unwrap(), vec![second]);
    }
}

on_both! {
    async fn statuses_and_modes_are_stored(store: &Store) {
        let mut r = record("aws_nat_gateway.a", "nat-1");
        r.status = ResourceStatus::Creating;
        store.put_resource("prod", &r).await.unwrap();
        assert_eq!(
            store
                .resource("prod", "aws_nat_gateway.a")
                .await
                .unwrap()
                .unwrap()
                .status,
            ResourceStatus::Creating
        );
        r.status = ResourceStatus::Tainted;
        store.put_resource("prod", &r).await.unwrap();
        assert_eq!(
            store
                .resource("prod", "aws_nat_gateway.a")
                .await
                .unwrap()
                .unwrap()
                .status,
            ResourceStatus::Tainted
        );
        let mut d = record("data.aws_region.current", "us-east-1");
        d.type_name = "aws_region".into();
        d.mode = "data".into();
        store.put_resource("prod", &d).await.unwrap();
        assert_eq!(
            store
                .resource("prod", "data.aws_region.current")
                .await
                .unwrap()
                .unwrap()
                .mode,
            "data"
        );
    }
}

on_both! {
    async fn resources_in_status_selects_one_status_of_one_stack(store: &Store) {
        let mut waiting = record("aws_nat_gateway.a", "nat-1");
        waiting.status = ResourceStatus::Creating;
        store.put_resource("prod", &waiting).await.unwrap();
        store.put_resource("prod", &record("aws_vpc.main", "vpc-1")).await.unwrap();
        let mut tainted = record("aws_subnet.a", "subnet-1");
        tainted.status = ResourceStatus::Tainted;
        store.put_resource("prod", &tainted).await.unwrap();
        // another stack's creating row is not this stack's
        store.put_resource("dev", &waiting).await.unwrap();
        let addresses = |rows: Vec<ResourceRecord>| {
            rows.into_iter().map(|r| r.address).collect::<Vec<_>>()
        };
        let creating = store
            .resources_in_status("prod", ResourceStatus::Creating)
            .await
            .unwrap();
        assert_eq!(addresses(creating), ["aws_nat_gateway.a"]);
        let ready = store
            .resources_in_status("prod", ResourceStatus::Ready)
            .await
            .unwrap();
        assert_eq!(addresses(ready), ["aws_vpc.main"]);
        let tainted = store
            .resources_in_status("prod", ResourceStatus::Tainted)
            .await
            .unwrap();
        assert_eq!(addresses(tainted), ["aws_subnet.a"]);
    }
}

on_both! {
    async fn resources_decoded_are_the_stored_rows_with_values(store: &Store) {
        let mut subnet = record("aws_subnet.a[\"x\"]", "subnet-1");
        subnet.attributes = json!({
            "id": "subnet-1", "cidr_block": "10.0.1.0/24", "map_public_ip_on_launch": false,
            "tags": {"Name": "a é", "infra:stack": "prod"}, "ports": [443, 2.5], "none": null,
        });
        subnet.dependencies = vec!["aws_vpc.main".into()];
        subnet.status = ResourceStatus::Creating;
        let mut old = record("aws_vpc.main", "vpc-0");
        old.deposed = Some("vpc-0".into());
        for r in [&subnet, &record("aws_vpc.main", "vpc-1"), &old] {
            store.put_resource("prod", r).await.unwrap();
        }
        store.put_resource("dev", &record("aws_vpc.other", "vpc-9")).await.unwrap();
        let rows = store.resources("prod").await.unwrap();
        let decoded = store.resources_decoded("prod").await.unwrap();
        assert_eq!(decoded.len(), 3);
        for (row, d) in rows.iter().zip(&decoded) {
            assert_eq!(
                d,
                &row.with_attributes(infra_model::Value::from_json(&row.attributes))
            );
        }
        assert_eq!(decoded[2].deposed.as_deref(), Some("vpc-0"));
        assert_eq!(decoded[0].attributes.get("tags").get("Name").as_str(), Some("a é"));
        assert_eq!(decoded[0].status, ResourceStatus::Creating);
    }
}

on_both! {
    async fn bad_input_is_refused_with_a_clear_message(store: &Store) {
        let err = store
            .put_resource("prod", &record("not an address", "x"))
            .await
            .unwrap_err();
        assert!(matches!(err, StateError::Invalid { .. }), "{err}");
        let mut r = record("aws_vpc.main", "vpc-1");
        r.mode = "weird".into();
        let err = store.put_resource("prod", &r).await.unwrap_err();
        assert!(err.to_string().contains("use `managed` or `data`"), "{err}");
        let err = store.stack("").await.unwrap_err();
        assert!(err.to_string().contains("stack name"), "{err}");
        let err = store
            .set_deposed("prod", "aws_vpc.none", "old")
            .await
            .unwrap_err();
        assert!(matches!(err, StateError::NoResource { .. }), "{err}");
        assert!(err.to_string().contains("infra state list"), "{err}");
        assert!(store.resources("prod").await.unwrap().is_empty());
    }
}

on_both! {
    async fn deposing_twice_with_one_id_is_refused(store: &Store) {
        store
            .put_resource("prod", &record("aws_vpc.main", "vpc-1"))
            .await
            .unwrap();
        store
            .set_deposed("prod", "aws_vpc.main", "vpc-1")
            .await
            .unwrap();
        store
            .put_resource("prod", &record("aws_vpc.main", "vpc-1"))
            .await
            .unwrap();
        let err = store
            .set_deposed("prod", "aws_vpc.main", "vpc-1")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        assert_eq!(store.resources("prod").await.unwrap().len(), 2);
    }
}

on_both! {
    async fn history_keeps_every_run_in_order(store: &Store) {
        let mut first = HistoryEntry::start("prod", "apply");
        first.status = HistoryStatus::Failed;
        first.summary = json!({"failed": ["aws_nat_gateway.a"]});
        store.record_history(&first).await.unwrap();
        let mut second = HistoryEntry::start("prod", "destroy");
        second.started_at = first.started_at + time::Duration::seconds(1);
        second.finished_at = second.started_at + time::Duration::seconds(5);
        second.status = HistoryStatus::Interrupted;
        second.serial = 3;
        store.record_history(&second).await.unwrap();
        assert_eq!(
            store.history("prod").await.unwrap(),
            vec![first.clone(), second]
        );
        // an id is recorded once
        assert!(store.record_history(&first).await.is_err());
    }
}

on_both! {
    async fn check_reports_dangling_references(store: &Store) {
        let mut subnet = record("aws_subnet.private[0]", "subnet-1");
        subnet.dependencies = vec!["aws_vpc.main".into()];
        store.put_resource("prod", &subnet).await.unwrap();
        let mut route = record("aws_route_table.private", "rt-1");
        route.dependencies = vec!["aws_subnet.private".into()]; // a resource selects its instances
        store.put_resource("prod", &route).await.unwrap();
        // the same address in another stack does not count
        store
            .put_resource("other", &record("aws_vpc.main", "vpc-9"))
            .await
            .unwrap();

        let problems = store.check().await.unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("aws_subnet.private[0]") && problems[0].contains("aws_vpc.main"));

        store
            .put_resource("prod", &record("aws_vpc.main", "vpc-1"))
            .await
            .unwrap();
        assert_eq!(store.check().await.unwrap(), Vec::<String>::new());

        // rows a broken writer left: a resource of a missing stack, JSON that is not JSON
        let mut conn = crate::backends::without_foreign_keys(store).await;
        sqlx::query(
            "INSERT INTO resources (stack, address, deposed, type_name, mode, cloud_id, attributes, dependencies, status, created_at, updated_at)
             VALUES ('ghost', 'aws_vpc.x', '', 'aws_vpc', 'managed', 'vpc-x', '{', '[]', 'ready', '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z')",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        drop(conn);
        let problems = store.check().await.unwrap();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("`resources`") && p.contains("`stacks`")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("ghost") && p.contains("invalid data")),
            "{problems:?}"
        );
    }
}
