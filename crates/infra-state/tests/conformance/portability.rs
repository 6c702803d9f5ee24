//! Export and import.

use infra_state::{HistoryEntry, Intent, ResourceStatus, StateError, Store, EXPORT_FORMAT_VERSION};
use serde_json::json;

use crate::record;

async fn populated(store: &Store) {
    let mut vpc = record("aws_vpc.main", "vpc-1");
    vpc.attributes = json!({"cidr_block": "10.0.0.0/16", "n": 12345678901234_i64, "f": 0.1, "nested": {"z": 1, "a": [true, null]}});
    store.put_resource("prod", &vpc).await.unwrap();
    let mut subnet = record("aws_subnet.private[\"us-east-1a\"]", "subnet-1");
    subnet.dependencies = vec!["aws_vpc.main".into()];
    subnet.status = ResourceStatus::Tainted;
    store.put_resource("prod", &subnet).await.unwrap();
    store
        .set_deposed("prod", "aws_vpc.main", "vpc-1")
        .await
        .unwrap();
    store
        .put_resource("prod", &record("aws_vpc.main", "vpc-2"))
        .await
        .unwrap();
    store
        .record_intent(
            "prod",
            &Intent::create("aws_eip.a", "aws_eip", json!({"domain": "vpc"}), "run-7"),
        )
        .await
        .unwrap();
    let mut entry = HistoryEntry::start("prod", "apply");
    entry.summary = json!({"created": ["aws_vpc.main"]});
    store.record_history(&entry).await.unwrap();
}

on_both! {
    async fn export_then_import_into_another_database_loses_nothing(store: &Store) {
        let source = store;
        populated(source).await;
        let exported = source.export_stack("prod").await.unwrap();
        assert_eq!(exported["format_version"], EXPORT_FORMAT_VERSION);
        assert_eq!(exported["resources"].as_array().unwrap().len(), 3);

        // through text, as `infra state export > file` and `infra state import < file` do
        let text = serde_json::to_string_pretty(&exported).unwrap();
        let target = Store::open_memory().await.unwrap();
        target
            .import_stack("prod", &serde_json::from_str(&text).unwrap())
            .await
            .unwrap();

        assert_eq!(target.export_stack("prod").await.unwrap(), exported);
        assert_eq!(
            target.stack("prod").await.unwrap(),
            source.stack("prod").await.unwrap()
        );
        assert_eq!(
            target.resources("prod").await.unwrap(),
            source.resources("prod").await.unwrap()
        );
        assert_eq!(
            target.intents("prod").await.unwrap(),
            source.intents("prod").await.unwrap()
        );
        assert_eq!(
            target.history("prod").await.unwrap(),
            source.history("prod").await.unwrap()
        );
        assert!(target.check().await.unwrap().is_empty());
    }
}

on_both! {
    async fn import_replaces_what_the_stack_held(store: &Store) {
        populated(store).await;
        let exported = store.export_stack("prod").await.unwrap();
        store
            .put_resource("prod", &record("aws_internet_gateway.gw", "igw-1"))
            .await
            .unwrap();
        store.import_stack("prod", &exported).await.unwrap();
        assert!(store
            .resource("prod", "aws_internet_gateway.gw")
            .await
            .unwrap()
            .is_none());
        assert_eq!(store.export_stack("prod").await.unwrap(), exported);
    }
}

on_both! {
    async fn bad_documents_are_refused_and_change_nothing(store: &Store) {
        populated(store).await;
        let good = store.export_stack("prod").await.unwrap();

        let mut newer = good.clone();
        newer["format_version"] = json!(EXPORT_FORMAT_VERSION + 1);
        let err = store.import_stack("prod", &newer).await.unwrap_err();
        assert!(err.to_string().contains("upgrade infra"), "{err}");

        let mut bad_status = good.clone();
        bad_status["resources"][0]["status"] = json!("exploded");
        let mut bad_time = good.clone();
        bad_time["resources"][0]["created_at"] = json!("yesterday");
        let mut bad_lineage = good.clone();
        bad_lineage["stack"]["lineage"] = json!("not-a-uuid");
        let mut unknown_field = good.clone();
        unknown_field["resources"][0]["surprise"] = json!(1);
        for doc in [
            json!({"hello": "world"}),
            json!([]),
            bad_status,
            bad_time,
            bad_lineage,
            unknown_field,
        ] {
            let err = store.import_stack("prod", &doc).await.unwrap_err();
            assert!(matches!(err, StateError::Import(_)), "{err}");
            assert!(err.to_string().contains("infra state export"), "{err}");
        }
        assert_eq!(store.export_stack("prod").await.unwrap(), good);

        let err = store.export_stack("missing").await.unwrap_err();
        assert!(err.to_string().contains("infra state list"), "{err}");
    }
}
