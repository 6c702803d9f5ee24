//! Outputs: replaced as a whole, read back with their JSON types, gone with their stack,
//! exported and imported; a schema-1 file is migrated to keep them.

use std::collections::BTreeMap;

use infra_state::{OutputRecord, Store, MIGRATOR};
use serde_json::json;
use sqlx::{Connection, SqliteConnection};

use crate::{record, temp_state};

fn outputs(pairs: &[(&str, serde_json::Value, bool)]) -> BTreeMap<String, OutputRecord> {
    pairs
        .iter()
        .map(|(k, v, s)| (k.to_string(), OutputRecord::new(v.clone(), *s)))
        .collect()
}

on_both! {
    async fn outputs_are_replaced_as_a_whole_and_keep_their_types(store: &Store) {
        assert_eq!(store.outputs("dev").await.unwrap(), None, "no such stack");

        let first = outputs(&[
            ("vpc_id", json!("vpc-1"), false),
            ("count", json!(3), false),
            ("subnets", json!(["subnet-1", "subnet-2"]), false),
            ("tags", json!({"Name": "dev", "n": 1.5}), false),
            ("enabled", json!(true), false),
            ("password", json!("hunter2"), true),
        ]);
        store.save_outputs("dev", &first).await.unwrap();
        assert_eq!(store.outputs("dev").await.unwrap(), Some(first));

        // a second save replaces everything: removed outputs disappear
        let second = outputs(&[("vpc_id", json!("vpc-2"), false)]);
        store.save_outputs("dev", &second).await.unwrap();
        assert_eq!(store.outputs("dev").await.unwrap(), Some(second));

        // cleared (a full destroy): the stack exists, with no outputs
        store.save_outputs("dev", &BTreeMap::new()).await.unwrap();
        assert_eq!(store.outputs("dev").await.unwrap(), Some(BTreeMap::new()));

        // another stack's outputs are its own
        store
            .save_outputs("prod", &outputs(&[("zone_id", json!("Z1"), false)]))
            .await
            .unwrap();
        assert_eq!(store.outputs("dev").await.unwrap(), Some(BTreeMap::new()));
        assert!(store.check().await.unwrap().is_empty());

        // deleting the stack row takes its outputs with it (ON DELETE CASCADE)
        sqlx::query("DELETE FROM stacks WHERE name = 'prod'")
            .execute(store.pool())
            .await
            .unwrap();
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM outputs WHERE stack = 'prod'")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(left, 0);
    }
}

on_both! {
    async fn check_reports_an_output_that_is_not_json(store: &Store) {
        store
            .save_outputs("dev", &outputs(&[("vpc_id", json!("vpc-1"), false)]))
            .await
            .unwrap();
        sqlx::query("UPDATE outputs SET value = '{not json' WHERE name = 'vpc_id'")
            .execute(store.pool())
            .await
            .unwrap();
        let problems = store.check().await.unwrap();
        assert_eq!(
            problems,
            vec!["stack `dev`, output `vpc_id`: its value is not JSON".to_string()]
        );
    }
}

on_both! {
    async fn export_and_import_carry_outputs_and_old_documents_still_import(store: &Store) {
        let source = store;
        source
            .put_resource("dev", &record("aws_vpc.main", "vpc-1"))
            .await
            .unwrap();
        let saved = outputs(&[
            ("vpc_id", json!("vpc-1"), false),
            (
                "name_servers",
                json!(["ns-1.example", "ns-2.example"]),
                false,
            ),
            ("secret", json!({"a": [1, 2]}), true),
        ]);
        source.save_outputs("dev", &saved).await.unwrap();
        let exported = source.export_stack("dev").await.unwrap();
        assert_eq!(exported["outputs"].as_array().unwrap().len(), 3);

        let text = serde_json::to_string(&exported).unwrap();
        let target = Store::open_memory().await.unwrap();
        target
            .import_stack("copy", &serde_json::from_str(&text).unwrap())
            .await
            .unwrap();
        assert_eq!(target.outputs("copy").await.unwrap(), Some(saved.clone()));
        let mut again = target.export_stack("copy").await.unwrap();
        again["stack"]["name"] = json!("dev");
        assert_eq!(again, exported, "a round trip loses nothing");

        // a document written before outputs existed (format 1, no `outputs`) imports, and
        // leaves the stack without outputs, as the document says
        let mut old = exported.clone();
        old["format_version"] = json!(1);
        old.as_object_mut().unwrap().remove("outputs");
        target.import_stack("copy", &old).await.unwrap();
        assert_eq!(target.outputs("copy").await.unwrap(), Some(BTreeMap::new()));
        assert_eq!(target.resources("copy").await.unwrap().len(), 1);
        assert!(target.check().await.unwrap().is_empty());

        // an output listed twice is refused
        let mut twice = exported.clone();
        let first = twice["outputs"][0].clone();
        twice["outputs"].as_array_mut().unwrap().push(first);
        let err = target.import_stack("copy", &twice).await.unwrap_err();
        assert!(err.to_string().contains("listed twice"), "{err}");
    }
}

/// A file left at schema 1 by an older `infra`: opening it backs it up, migrates it to the
/// current schema and keeps every row.
#[tokio::test]
async fn a_schema_1_file_is_backed_up_and_migrated_with_its_data() {
    let (_dir, path) = temp_state();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let first = MIGRATOR.iter().find(|m| m.version == 1).unwrap();
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    sqlx::query(
        "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
         installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL,
         checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::raw_sql(&first.sql).execute(&mut conn).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (1, $1, TRUE, $2, 0)",
    )
    .bind(first.description.as_ref())
    .bind(first.checksum.as_ref())
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO stacks (name, lineage, serial, created_at, updated_at)
         VALUES ('dev', '6f1c1f2e-3c1a-4b7e-9d2a-0a7b3c4d5e6f', 4,
                 '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO resources (stack, address, deposed, type_name, mode, cloud_id, attributes,
                                dependencies, status, created_at, updated_at)
         VALUES ('dev', 'aws_vpc.main', '', 'aws_vpc', 'managed', 'vpc-1', '{\"id\":\"vpc-1\"}',
                 '[]', 'ready', '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();

    let store = Store::open(&path).await.unwrap();
    let backup = store
        .migration_backup()
        .expect("a backup was made")
        .to_path_buf();
    let name = backup.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("infra.db.backup-v1-"), "{name}");
    // the data is intact, and the new table works
    let meta = store.stack("dev").await.unwrap();
    assert_eq!(meta.serial, 4);
    let vpc = store
        .resource("dev", "aws_vpc.main")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(vpc.cloud_id, "vpc-1");
    assert_eq!(store.outputs("dev").await.unwrap(), Some(BTreeMap::new()));
    store
        .save_outputs("dev", &outputs(&[("vpc_id", json!("vpc-1"), false)]))
        .await
        .unwrap();
    assert!(store.check().await.unwrap().is_empty());
    store.close().await;

    // the backup is the schema-1 file, untouched
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}", backup.display()))
        .await
        .unwrap();
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(versions, vec![1]);
    let outputs_table: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE name = 'outputs'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(outputs_table, 0);
    conn.close().await.unwrap();

    // read-only opening of the migrated file sees the outputs, and writes nothing
    let before = std::fs::read(&path).unwrap();
    let ro = Store::open_read_only(&path).await.unwrap();
    assert_eq!(
        ro.outputs("dev").await.unwrap().unwrap()["vpc_id"].value,
        json!("vpc-1")
    );
    assert!(ro.save_outputs("dev", &BTreeMap::new()).await.is_err());
    ro.close().await;
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let missing = path.with_file_name("nope.db");
    let err = Store::open_read_only(&missing).await.unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(!missing.exists(), "never created");
}
