//! One scenario every store passes.

use infra_state::{HistoryEntry, HistoryStatus, Intent, ResourceStatus, StateError, Store};
use serde_json::json;

use crate::record;

pub async fn test_full(store: &Store) {
    // a new stack: lineage set, serial 0, nothing in it
    let meta = store.stack("prod").await.unwrap();
    assert_eq!(meta.name, "prod");
    assert_eq!(meta.serial, 0);
    assert_eq!(
        store.stack("prod").await.unwrap().lineage,
        meta.lineage,
        "lineage is stable"
    );
    assert!(store.resources("prod").await.unwrap().is_empty());
    assert!(store.intents("prod").await.unwrap().is_empty());
    assert!(store.current_lock("prod").await.unwrap().is_none());

    // lock for the run
    let lock = store.lock("prod", "apply", None).await.unwrap();
    assert!(lock.took_over.is_none());
    assert_eq!(
        store.current_lock("prod").await.unwrap().as_ref(),
        Some(&lock.info)
    );
    assert!(matches!(
        store.lock("prod", "plan", None).await,
        Err(StateError::Locked(_))
    ));

    // intent, create, record: the record clears the intent and bumps the serial
    let intent = Intent::create(
        "aws_vpc.main",
        "aws_vpc",
        json!({"cidr_block": "10.0.0.0/16"}),
        "run-1",
    );
    store.record_intent("prod", &intent).await.unwrap();
    assert_eq!(store.intents("prod").await.unwrap(), vec![intent.clone()]);
    let serial = store
        .put_resource("prod", &record("aws_vpc.main", "vpc-1"))
        .await
        .unwrap();
    assert_eq!(serial, 1);
    assert!(store.intents("prod").await.unwrap().is_empty());

    let mut subnet = record("aws_subnet.private[\"a\"]", "subnet-1");
    subnet.dependencies = vec!["aws_vpc.main".into()];
    assert_eq!(store.put_resource("prod", &subnet).await.unwrap(), 2);
    let got = store
        .resource("prod", "aws_subnet.private[\"a\"]")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.cloud_id, "subnet-1");
    assert_eq!(got.type_name, "aws_subnet");
    assert_eq!(got.dependencies, vec!["aws_vpc.main".to_string()]);
    assert_eq!(got.status, ResourceStatus::Ready);
    assert_eq!(got.attributes, subnet.attributes);

    // update in place keeps created_at
    let mut changed = got.clone();
    changed.attributes = json!({"id": "subnet-1", "tags": {"Name": "changed"}});
    assert_eq!(store.put_resource("prod", &changed).await.unwrap(), 3);
    let after = store
        .resource("prod", "aws_subnet.private[\"a\"]")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.created_at, got.created_at);
    assert!(after.updated_at >= got.updated_at);
    assert_eq!(after.attributes["tags"]["Name"], "changed");
    assert_eq!(store.resources("prod").await.unwrap().len(), 2);

    // create_before_destroy: depose, create the new object, remove the old one
    assert_eq!(
        store
            .set_deposed("prod", "aws_vpc.main", "vpc-1")
            .await
            .unwrap(),
        4
    );
    assert!(store
        .resource("prod", "aws_vpc.main")
        .await
        .unwrap()
        .is_none());
    store
        .put_resource("prod", &record("aws_vpc.main", "vpc-2"))
        .await
        .unwrap();
    let all = store.resources("prod").await.unwrap();
    let vpcs: Vec<_> = all.iter().filter(|r| r.address == "aws_vpc.main").collect();
    assert_eq!(vpcs.len(), 2);
    assert!(vpcs
        .iter()
        .any(|r| r.deposed.as_deref() == Some("vpc-1") && r.cloud_id == "vpc-1"));
    assert!(vpcs
        .iter()
        .any(|r| r.deposed.is_none() && r.cloud_id == "vpc-2"));
    assert!(store
        .remove_resource("prod", "aws_vpc.main", Some("vpc-1"))
        .await
        .unwrap());
    assert_eq!(
        store
            .resource("prod", "aws_vpc.main")
            .await
            .unwrap()
            .unwrap()
            .cloud_id,
        "vpc-2"
    );
    assert_eq!(store.stack("prod").await.unwrap().serial, 6);

    // another stack in the same database is independent
    store
        .put_resource("staging", &record("aws_vpc.main", "vpc-s"))
        .await
        .unwrap();
    assert_eq!(store.stack("staging").await.unwrap().serial, 1);
    assert_ne!(store.stack("staging").await.unwrap().lineage, meta.lineage);
    assert_eq!(
        store
            .resource("prod", "aws_vpc.main")
            .await
            .unwrap()
            .unwrap()
            .cloud_id,
        "vpc-2"
    );
    let other = store.lock("staging", "apply", None).await.unwrap();
    store.unlock("staging", &other.info.id).await.unwrap();

    // history
    let mut entry = HistoryEntry::start("prod", "apply");
    entry.serial = store.stack("prod").await.unwrap().serial;
    entry.status = HistoryStatus::Ok;
    entry.summary = json!({"created": ["aws_vpc.main"], "updated": [], "deleted": []});
    store.record_history(&entry).await.unwrap();
    assert_eq!(store.history("prod").await.unwrap(), vec![entry]);
    assert!(store.history("staging").await.unwrap().is_empty());

    // release
    store.unlock("prod", &lock.info.id).await.unwrap();
    assert!(store.current_lock("prod").await.unwrap().is_none());

    // export / import round trip into a new stack, and a clean check
    let exported = store.export_stack("prod").await.unwrap();
    store.import_stack("copy", &exported).await.unwrap();
    let mut again = store.export_stack("copy").await.unwrap();
    again["stack"]["name"] = json!("prod");
    assert_eq!(again, exported);
    assert_eq!(
        store.resources("copy").await.unwrap(),
        store.resources("prod").await.unwrap()
    );

    // removing the current object
    assert!(store
        .remove_resource("prod", "aws_subnet.private[\"a\"]", None)
        .await
        .unwrap());
    assert!(!store
        .remove_resource("prod", "aws_subnet.private[\"a\"]", None)
        .await
        .unwrap());
    let names: Vec<_> = store
        .list_stacks()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["copy", "prod", "staging"]);
    assert_eq!(store.check().await.unwrap(), Vec::<String>::new());
}

on_both! {
    async fn full_on_each_backend(store: &Store) {
        test_full(store).await;
    }
}

#[tokio::test]
async fn full_on_a_file() {
    let (_dir, path) = crate::temp_state();
    let store = Store::open(&path).await.unwrap();
    test_full(&store).await;
    store.close().await;
    // and everything is still there after reopening
    let store = Store::open(&path).await.unwrap();
    assert_eq!(store.stack("prod").await.unwrap().serial, 7);
    assert!(store.migration_backup().is_none());
}

#[tokio::test]
async fn full_in_memory() {
    test_full(&Store::open_memory().await.unwrap()).await;
}
