//! What only the PostgreSQL backend has: leases that outlive no client, a shared server
//! opened by many clients at once, and URLs with passwords.

use std::time::Duration;

use infra_state::{StateError, StateLocation, Store, MIGRATOR, PG_MIGRATOR};

use crate::backends::{fresh_database, second_handle, Fresh};

fn host() -> String {
    hostname::get().unwrap().to_string_lossy().into_owned()
}

async fn set_holder(store: &Store, stack: &str, host: &str, pid: i64) {
    sqlx::query("UPDATE locks SET host = $1, pid = $2 WHERE stack = $3")
        .bind(host)
        .bind(pid)
        .bind(stack)
        .execute(store.pool())
        .await
        .unwrap();
}

#[test]
fn the_postgres_migrations_are_kept_in_step_with_the_sqlite_ones() {
    let sqlite: Vec<_> = MIGRATOR
        .iter()
        .map(|m| (m.version, m.description.to_string()))
        .collect();
    let postgres: Vec<_> = PG_MIGRATOR
        .iter()
        .map(|m| (m.version, m.description.to_string()))
        .collect();
    assert_eq!(
        sqlite, postgres,
        "migrations/ and migrations/postgres/ must have the same versions and names"
    );
}

/// A holder whose client died (its connection closed without unlocking, as when its
/// process is killed) is taken over, even from another host: the lease says it is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_whose_connection_died_is_taken_over_from_any_host() {
    let fresh = Fresh::postgres().await;
    let other = second_handle(&fresh.store).await;
    let held = other.lock("prod", "apply", None).await.unwrap();
    set_holder(&other, "prod", "ci-runner-7.example", 4242).await;
    assert!(matches!(
        fresh.store.lock("prod", "plan", None).await,
        Err(StateError::Locked(_))
    ));
    // the holder dies: its connections close, the lock row stays
    other.close().await;
    assert!(fresh.store.current_lock("prod").await.unwrap().is_some());
    // (a timeout: the server ends the closed session's locks a moment after it hung up)
    let lock = fresh
        .store
        .lock("prod", "apply", Some(Duration::from_secs(5)))
        .await
        .unwrap();
    let stale = lock.took_over.expect("the dead holder's lock is reported");
    assert_eq!(stale.id, held.info.id);
    assert_eq!(stale.host, "ci-runner-7.example");
    assert_eq!(
        fresh.store.current_lock("prod").await.unwrap(),
        Some(lock.info)
    );
    fresh.finish().await;
}

/// A live holder keeps its lock whatever its row says (a dead pid on this host), and
/// `lock_holder_gone` tells the truth before and after it dies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_holder_is_never_taken_over() {
    let fresh = Fresh::postgres().await;
    let other = second_handle(&fresh.store).await;
    let held = other.lock("prod", "apply", None).await.unwrap();
    set_holder(&other, "prod", &host(), i64::from(u32::MAX - 1)).await;
    let err = fresh
        .store
        .lock("prod", "apply", Some(Duration::from_millis(400)))
        .await
        .unwrap_err();
    assert!(matches!(err, StateError::LockTimeout { .. }), "{err}");
    let info = fresh.store.current_lock("prod").await.unwrap().unwrap();
    assert_eq!(info.id, held.info.id);
    assert!(!fresh.store.lock_holder_gone(&info).await.unwrap());
    other.close().await;
    // the server ends the closed session's locks a moment after the client hung up
    let started = std::time::Instant::now();
    while !fresh.store.lock_holder_gone(&info).await.unwrap() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the lease outlived its session"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    fresh.finish().await;
}

/// Releasing a lock ends its lease, and force-unlock of a live holder's lock lets the next
/// client in at once (as on SQLite).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlock_and_force_unlock_free_the_stack() {
    let fresh = Fresh::postgres().await;
    let other = second_handle(&fresh.store).await;
    let held = other.lock("prod", "apply", None).await.unwrap();
    let removed = fresh
        .store
        .force_unlock("prod", &held.info.id)
        .await
        .unwrap();
    assert_eq!(removed.id, held.info.id);
    let mine = fresh.store.lock("prod", "apply", None).await.unwrap();
    assert!(mine.took_over.is_none());
    fresh.store.unlock("prod", &mine.info.id).await.unwrap();
    // after unlock, nobody holds the old lease either
    assert!(fresh.store.lock_holder_gone(&mine.info).await.unwrap());
    other.close().await;
    fresh.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_schema_is_refused_and_left_untouched() {
    let fresh = Fresh::postgres().await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time)
         VALUES (99999, 'from the future', now(), true, '\\x00', 0)",
    )
    .execute(fresh.store.pool())
    .await
    .unwrap();
    let location = fresh.store.location().unwrap().clone();
    let err = Store::open_location(&location).await.unwrap_err();
    assert!(
        matches!(err, StateError::NewerSchemaPostgres { found: 99999, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("newer version of infra"), "{err}");
    assert!(err.to_string().contains("upgrade infra"), "{err}");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(fresh.store.pool())
        .await
        .unwrap();
    // this binary's migrations (numbered 1, 2, ...) and the one from the future
    assert_eq!(
        count,
        Store::schema_version() + 1,
        "nothing was migrated or removed"
    );
    fresh.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_with_other_tables_is_refused() {
    let (location, name) = fresh_database().await;
    {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::PgConnection::connect(&url_of(&name)).await.unwrap();
        conn.execute("CREATE TABLE payroll (id BIGINT)")
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    let err = Store::open_location(&location).await.unwrap_err();
    assert!(matches!(err, StateError::NotInfraDatabase { .. }), "{err}");
    assert!(err.to_string().contains("no infra schema"), "{err}");
}

/// Many clients opening a new database at once: one migrates, the others wait for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_opens_all_succeed() {
    let (location, _name) = fresh_database().await;
    let opens: Vec<_> = (0..6)
        .map(|_| {
            let location = location.clone();
            tokio::spawn(async move { Store::open_location(&location).await })
        })
        .collect();
    let mut stores = Vec::new();
    for open in opens {
        stores.push(open.await.unwrap().unwrap());
    }
    for (i, s) in stores.iter().enumerate() {
        s.put_resource(
            &format!("stack-{i}"),
            &crate::record("aws_vpc.main", "vpc-1"),
        )
        .await
        .unwrap();
    }
    assert_eq!(stores[0].list_stacks().await.unwrap().len(), 6);
    for s in stores {
        s.close().await;
    }
}

/// Wrong credentials: the error names the server, never the password.
#[tokio::test]
async fn the_password_never_appears_in_errors() {
    let mut url = url::Url::parse(&crate::backends::server_url()).unwrap();
    url.set_password(Some("not-the-Passw0rd-xyzzy")).unwrap();
    let location = StateLocation::parse(url.as_str()).unwrap();
    let err = Store::open_location(&location).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StateError::Postgres { .. }), "{text}");
    assert!(!text.contains("not-the-Passw0rd-xyzzy"), "{text}");
    assert!(text.contains("***@127.0.0.1"), "{text}");
    assert!(!format!("{err:?}").contains("not-the-Passw0rd-xyzzy"));
}

fn url_of(database: &str) -> String {
    let mut url = url::Url::parse(&crate::backends::server_url()).unwrap();
    url.set_path(&format!("/{database}"));
    url.to_string()
}
