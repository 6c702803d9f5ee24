//! What needs a real file: permissions, WAL, refusing bad files, backups, concurrency.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use infra_state::{StateError, Store};
use sqlx::{Connection, SqliteConnection};

use crate::{create_file, noise, record, temp_state};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

async fn raw(path: &Path) -> SqliteConnection {
    SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_new_file_is_private_and_in_wal_mode() {
    let (_dir, path) = temp_state();
    let store = Store::open(&path).await.unwrap();
    store
        .put_resource("prod", &record("aws_vpc.main", "vpc-1"))
        .await
        .unwrap();
    assert_eq!(mode(&path), 0o600);
    let wal = path.with_file_name("infra.db-wal");
    assert!(wal.exists(), "a WAL file while open");
    assert_eq!(mode(&wal), 0o600, "the WAL inherits the mode");
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(fk, 1);
    store.close().await;
    let header = std::fs::read(&path).unwrap();
    assert_eq!(
        (header[18], header[19]),
        (2, 2),
        "WAL is recorded in the file header"
    );
}

#[tokio::test]
async fn a_newer_schema_is_refused_and_the_file_left_byte_identical() {
    let (_dir, path) = temp_state();
    create_file(&path, "prod").await;
    let mut conn = raw(&path).await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (9999, 'from the future', TRUE, x'00', 0)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let before = std::fs::read(&path).unwrap();

    let err = Store::open(&path).await.unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, StateError::NewerSchema { found: 9999, .. }),
        "{message}"
    );
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains(&format!(
            "schema 9999, this binary knows {}",
            Store::schema_version()
        )),
        "{message}"
    );
    assert!(message.ends_with("upgrade infra"), "{message}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let backups = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("backup")
        });
    assert_eq!(backups.count(), 0);
}

async fn assert_refused(path: &Path, expect: &str) {
    let before = std::fs::read(path).unwrap();
    let err = Store::open(path).await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, StateError::Corrupt { .. }), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("restore it from a backup"), "{message}");
    assert!(message.contains(expect), "{message}");
    assert_eq!(std::fs::read(path).unwrap(), before, "the file was changed");
}

#[tokio::test]
async fn random_bytes_are_refused_and_never_overwritten() {
    let (_dir, path) = temp_state();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, noise(8192, 42)).unwrap();
    assert_refused(&path, "does not start with a SQLite header").await;
    std::fs::write(&path, b"{\"version\": 4, \"terraform_version\": \"1.9.0\"}").unwrap();
    assert_refused(&path, "SQLite header").await;
    // a SQLite header followed by garbage
    let mut fake = b"SQLite format 3\0".to_vec();
    fake.extend(noise(4080, 7));
    std::fs::write(&path, &fake).unwrap();
    assert_refused(&path, "").await;
}

#[tokio::test]
async fn a_truncated_file_is_refused_and_never_overwritten() {
    let (_dir, path) = temp_state();
    create_file(&path, "prod").await;
    let full = std::fs::read(&path).unwrap();
    let wal_len = std::fs::metadata(path.with_file_name("infra.db-wal"))
        .map(|m| m.len())
        .ok();
    assert!(
        full.len() >= 8192,
        "the test needs a file of several pages: {} {wal_len:?}",
        full.len()
    );
    for cut in [50, 4096, full.len() - 4096, full.len() / 2 + 100] {
        std::fs::write(&path, &full[..cut]).unwrap();
        assert_refused(&path, "truncated").await;
    }
    // the intact file still opens
    std::fs::write(&path, &full).unwrap();
    let store = Store::open(&path).await.unwrap();
    assert_eq!(store.resources("prod").await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_foreign_sqlite_database_is_refused() {
    let (_dir, path) = temp_state();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    sqlx::query("CREATE TABLE photos (id INTEGER)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).await.unwrap_err();
    assert!(matches!(err, StateError::NotInfraState { .. }), "{err}");
    assert!(err.to_string().contains("--state"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[tokio::test]
async fn an_old_database_is_backed_up_before_migrating() {
    let (_dir, path) = temp_state();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    // schema 0: sqlx's bookkeeping table with nothing applied, and some data
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
    sqlx::query("CREATE TABLE old_data (v TEXT); INSERT INTO old_data VALUES ('keep me')")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let before = std::fs::read(&path).unwrap();

    let store = Store::open(&path).await.unwrap();
    let backup = store
        .migration_backup()
        .expect("a backup was made")
        .to_path_buf();
    let name = backup.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("infra.db.backup-v0-"), "{name}");
    assert_eq!(mode(&backup), 0o600);
    store
        .put_resource("prod", &record("aws_vpc.main", "vpc-1"))
        .await
        .unwrap();
    store.close().await;

    let mut conn = raw(&backup).await;
    let kept: String = sqlx::query_scalar("SELECT v FROM old_data")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(kept, "keep me");
    let tables: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE name = 'resources'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(tables, 0, "the backup is the database before the migration");
    conn.close().await.unwrap();
    assert_ne!(
        std::fs::read(&path).unwrap(),
        before,
        "the original was migrated"
    );

    // an up-to-date database is not backed up again
    let store = Store::open(&path).await.unwrap();
    assert!(store.migration_backup().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_handles_write_different_stacks_at_once() {
    let (_dir, path) = temp_state();
    // two handles opening a new file at the same moment both migrate safely
    let (a, b) = tokio::join!(Store::open(&path), Store::open(&path));
    let (a, b) = (a.unwrap(), b.unwrap());
    let write = |store: Store, stack: &'static str| {
        tokio::spawn(async move {
            for i in 0..40 {
                let address = format!("aws_subnet.s[{i}]");
                store
                    .record_intent(
                        stack,
                        &infra_state::Intent::create(
                            &address,
                            "aws_subnet",
                            serde_json::json!({}),
                            "r",
                        ),
                    )
                    .await?;
                store
                    .put_resource(stack, &record(&address, &format!("subnet-{i}")))
                    .await?;
                let lock = store.lock(stack, "apply", None).await?;
                store.unlock(stack, &lock.info.id).await?;
            }
            Ok::<_, StateError>(())
        })
    };
    let (ra, rb) = tokio::join!(write(a.clone(), "blue"), write(b.clone(), "green"));
    ra.unwrap().unwrap();
    rb.unwrap().unwrap();
    for (store, stack) in [(&a, "green"), (&b, "blue")] {
        assert_eq!(store.stack(stack).await.unwrap().serial, 40);
        assert_eq!(store.resources(stack).await.unwrap().len(), 40);
        assert!(store.intents(stack).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn lineage_and_serial_survive_reopening() {
    let (_dir, path) = temp_state();
    create_file(&path, "prod").await;
    let store = Store::open(&path).await.unwrap();
    let meta = store.stack("prod").await.unwrap();
    assert_eq!(meta.serial, 1);
    store.close().await;
    let store = Store::open(&path).await.unwrap();
    assert_eq!(store.stack("prod").await.unwrap(), meta);
    assert_eq!(store.path(), Some(path.as_path()));
}

#[tokio::test]
async fn an_empty_file_becomes_a_new_private_database() {
    let (_dir, path) = temp_state();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = Store::open(&path).await.unwrap();
    assert!(store.migration_backup().is_none());
    assert_eq!(store.stack("prod").await.unwrap().serial, 0);
    assert_eq!(mode(&path), 0o600);
}

/// Plan and apply read every row in one pass of their own over the file, decoded on
/// several threads (`bulk.rs`): rows come back in order, the same as sqlx reads them, a
/// bad row is named, and a file that is not a database is an error, not a panic.
#[tokio::test]
async fn every_row_read_in_one_pass_is_in_order_and_a_bad_row_is_named() {
    let (_dir, path) = temp_state();
    let store = Store::open(&path).await.unwrap();
    store
        .put_resource("prod", &record("aws_vpc.main", "vpc-1"))
        .await
        .unwrap();
    let mut tx = store.pool().begin().await.unwrap();
    // enough rows for several decoding threads; inserted raw, as put_resource commits each
    for i in 0..1500 {
        let mut r = record(&format!("aws_subnet.s[{i}]"), &format!("subnet-{i}"));
        r.attributes["cidr_block"] = serde_json::json!(format!("10.{}.{}.0/24", i / 256, i % 256));
        sqlx::query(
            "INSERT INTO resources (stack, address, deposed, type_name, mode, cloud_id, attributes, \
             dependencies, status, created_at, updated_at, provider) \
             VALUES ('prod', $1, '', 'aws_subnet', 'managed', $2, $3, '[\"aws_vpc.main\"]', 'ready', \
             '2026-12-06T10:00:00.000000Z', '2026-12-06T10:00:01.000000Z', 'aws')",
        )
        .bind(&r.address)
        .bind(&r.cloud_id)
        .bind(r.attributes.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let rows = store.resources("prod").await.unwrap();
    let decoded = store.resources_decoded("prod").await.unwrap();
    assert_eq!(rows.len(), 1501);
    assert_eq!(decoded.len(), 1501);
    for (row, d) in rows.iter().zip(&decoded) {
        assert_eq!(
            d,
            &row.with_attributes(infra_model::Value::from_json(&row.attributes))
        );
    }
    // sorted as text, as sqlx reads them
    assert_eq!(decoded[1].address, "aws_subnet.s[1000]");
    assert!(decoded.windows(2).all(|w| w[0].address < w[1].address));

    // one bad row among the last ones (another decoding thread than the first)
    sqlx::query(
        "UPDATE resources SET attributes = '{\"id\": ' WHERE address = 'aws_subnet.s[998]'",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let err = store.resources_decoded("prod").await.unwrap_err();
    assert!(matches!(err, StateError::Data { .. }), "{err}");
    assert!(err.to_string().contains("aws_subnet.s[998]"), "{err}");
    sqlx::query("UPDATE resources SET created_at = 'yesterday' WHERE address = 'aws_subnet.s[1]'")
        .execute(store.pool())
        .await
        .unwrap();
    let err = store.resources_decoded("prod").await.unwrap_err();
    assert!(
        err.to_string().contains("aws_subnet.s[1]`"),
        "the first bad row in order: {err}"
    );
    store.close().await;

    // the file replaced by something that is not a database while the store is open
    let store = Store::open(&path).await.unwrap();
    std::fs::write(
        &path,
        b"not a database at all, but long enough to be read as a header.....",
    )
    .unwrap();
    let _ = std::fs::remove_file(path.with_file_name("infra.db-wal"));
    let _ = std::fs::remove_file(path.with_file_name("infra.db-shm"));
    let err = store.resources_decoded("prod").await.unwrap_err();
    assert!(matches!(err, StateError::Read { .. }), "{err}");
    assert!(err.to_string().contains("infra.db"), "{err}");
}

/// `plan` reads the rows while it validates the stack, before opening (or creating,
/// migrating, locking) the store, and uses them only if the stack's version is unchanged
/// once the lock is held: every write and an import change it.
#[tokio::test]
async fn a_snapshot_read_before_opening_is_used_only_while_the_version_holds() {
    let (_dir, path) = temp_state();
    // no file: an error, and nothing created
    assert!(Store::read_file_snapshot(&path, "prod").await.is_err());
    assert!(!path.exists());

    let store = Store::open(&path).await.unwrap();
    store
        .put_resource("prod", &record("aws_vpc.main", "vpc-1"))
        .await
        .unwrap();
    assert!(Store::read_file_snapshot(&path, "dev")
        .await
        .unwrap()
        .is_none());
    let snap = Store::read_file_snapshot(&path, "prod")
        .await
        .unwrap()
        .expect("the stack is there");
    assert_eq!(snap.records, store.resources_decoded("prod").await.unwrap());
    assert_eq!(
        store.stack_version("prod").await.unwrap(),
        Some(snap.version.clone())
    );
    assert_eq!(store.stack_version("dev").await.unwrap(), None);

    // a write changes the version
    store
        .put_resource("prod", &record("aws_subnet.a", "subnet-1"))
        .await
        .unwrap();
    let now = store.stack_version("prod").await.unwrap().unwrap();
    assert_ne!(now, snap.version);
    let again = Store::read_file_snapshot(&path, "prod")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.version, now);
    assert_eq!(again.records.len(), 2);

    // so does an import
    let exported = store.export_stack("prod").await.unwrap();
    store
        .put_resource("prod", &record("aws_subnet.b", "subnet-2"))
        .await
        .unwrap();
    let before_import = store.stack_version("prod").await.unwrap().unwrap();
    store.import_stack("prod", &exported).await.unwrap();
    assert_ne!(
        store.stack_version("prod").await.unwrap().unwrap(),
        before_import
    );
    store.close().await;
}
