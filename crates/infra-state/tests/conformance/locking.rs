//! Locks: one holder per stack, waiting, stale locks of dead processes, force-unlock.

use std::time::{Duration, Instant};

use infra_state::{LockInfo, StateError, Store};

fn host() -> String {
    hostname::get().unwrap().to_string_lossy().into_owned()
}

/// A pid that certainly belonged to a process that is gone.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

/// Plant a lock row as another process would have left it.
async fn plant(store: &Store, stack: &str, host: &str, pid: u32, pid_start: Option<i64>) -> String {
    store.stack(stack).await.unwrap();
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO locks (stack, id, operation, who, host, pid, pid_start, version, created_at)
         VALUES ($1, $2, 'apply', 'ci-bot', $3, $4, $5, '0.0.1', '2025-01-01T00:00:00.000000Z')",
    )
    .bind(stack)
    .bind(&id)
    .bind(host)
    .bind(i64::from(pid))
    .bind(pid_start)
    .execute(store.pool())
    .await
    .unwrap();
    id
}

on_both! {
    async fn a_second_lock_fails_at_once_naming_the_holder(store: &Store) {
        let lock = store.lock("prod", "apply", None).await.unwrap();
        let info: &LockInfo = &lock.info;
        assert_eq!(info.pid, std::process::id());
        assert_eq!(info.host, host());
        assert_eq!(info.operation, "apply");
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
        assert!(info.pid_start.is_some());

        let started = Instant::now();
        let err = store.lock("prod", "destroy", None).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(err.lock_holder(), Some(info));
        let message = err.to_string();
        for part in [
            info.who.as_str(),
            info.host.as_str(),
            &format!("pid {}", info.pid),
            "operation apply",
            "since 20",
            &format!("infra force-unlock {}", info.id),
        ] {
            assert!(message.contains(part), "`{part}` missing from: {message}");
        }
        // other stacks are not affected
        let other = store.lock("staging", "apply", None).await.unwrap();
        store.unlock("staging", &other.info.id).await.unwrap();
        // the holder releases; unlocking twice is harmless
        store.unlock("prod", &info.id).await.unwrap();
        store.unlock("prod", &info.id).await.unwrap();
        let again = store.lock("prod", "destroy", None).await.unwrap();
        assert_ne!(again.info.id, info.id);
    }
}

on_both! {
    async fn a_timeout_waits_for_the_holder_to_unlock(store: &Store) {
        let held = store.lock("prod", "apply", None).await.unwrap();
        let releaser = {
            let store = store.clone();
            let id = held.info.id.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(600)).await;
                store.unlock("prod", &id).await
            })
        };
        let started = Instant::now();
        let lock = store
            .lock("prod", "plan", Some(Duration::from_secs(10)))
            .await
            .unwrap();
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(500), "{waited:?}");
        assert!(waited < Duration::from_secs(5), "{waited:?}");
        assert_eq!(lock.info.operation, "plan");
        assert!(lock.took_over.is_none());
        releaser.await.unwrap().unwrap();
    }
}

on_both! {
    async fn a_timeout_gives_up(store: &Store) {
        let held = store.lock("prod", "apply", None).await.unwrap();
        let started = Instant::now();
        let err = store
            .lock("prod", "plan", Some(Duration::from_millis(500)))
            .await
            .unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(500));
        assert!(matches!(err, StateError::LockTimeout { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("timed out after 0.5s waiting for the lock"),
            "{err}"
        );
        assert!(err.to_string().contains(&held.info.id), "{err}");
    }
}

on_both! {
    async fn a_lock_of_a_dead_process_on_this_host_is_taken_over(store: &Store) {
        let pid = dead_pid();
        let stale_id = plant(store, "prod", &host(), pid, Some(12345)).await;
        let lock = store.lock("prod", "apply", None).await.unwrap();
        let stale = lock.took_over.expect("the stale lock is reported");
        assert_eq!(stale.id, stale_id);
        assert_eq!(stale.pid, pid);
        assert_eq!(stale.who, "ci-bot");
        assert_eq!(store.current_lock("prod").await.unwrap(), Some(lock.info));
    }
}

/// SQLite only: on PostgreSQL a lease, not a pid, tells whether the holder lives (`pg.rs`).
#[tokio::test]
async fn a_reused_pid_does_not_keep_a_lock_alive() {
    let fresh = crate::backends::Fresh::sqlite().await;
    let store = &fresh.store;
    // our own pid, but a start time that is not ours: the holder was an earlier process
    let own = store
        .lock("probe", "apply", None)
        .await
        .unwrap()
        .info
        .pid_start
        .unwrap() as i64;
    plant(store, "prod", &host(), std::process::id(), Some(own + 1)).await;
    let lock = store.lock("prod", "apply", None).await.unwrap();
    assert!(lock.took_over.is_some());
    // with the right start time, the same pid is alive and keeps its lock
    plant(store, "live", &host(), std::process::id(), Some(own)).await;
    assert!(matches!(
        store.lock("live", "apply", None).await,
        Err(StateError::Locked(_))
    ));
    fresh.finish().await;
}

/// SQLite only: on PostgreSQL a lease, not a pid, tells whether the holder lives (`pg.rs`).
#[tokio::test]
async fn a_lock_from_another_host_is_never_taken_over() {
    let fresh = crate::backends::Fresh::sqlite().await;
    let store = &fresh.store;
    let id = plant(store, "prod", "some-other-host.example", dead_pid(), None).await;
    let err = store.lock("prod", "apply", None).await.unwrap_err();
    assert!(err.to_string().contains("some-other-host.example"), "{err}");
    let err = store
        .lock("prod", "apply", Some(Duration::from_millis(300)))
        .await
        .unwrap_err();
    assert!(matches!(err, StateError::LockTimeout { .. }), "{err}");
    assert_eq!(store.current_lock("prod").await.unwrap().unwrap().id, id);
    fresh.finish().await;
}

on_both! {
    async fn force_unlock_needs_the_right_id(store: &Store) {
        let id = plant(store, "prod", "some-other-host.example", 4242, None).await;
        let err = store.force_unlock("prod", "not-the-id").await.unwrap_err();
        assert!(matches!(err, StateError::LockMismatch { .. }), "{err}");
        assert!(
            store.current_lock("prod").await.unwrap().is_some(),
            "a wrong id leaves the lock"
        );
        let err = store.unlock("prod", "not-the-id").await.unwrap_err();
        assert!(matches!(err, StateError::LockMismatch { .. }), "{err}");

        let removed = store.force_unlock("prod", &id).await.unwrap();
        assert_eq!(removed.host, "some-other-host.example");
        assert!(store.current_lock("prod").await.unwrap().is_none());
        let err = store.force_unlock("prod", &id).await.unwrap_err();
        assert!(matches!(err, StateError::NotLocked { .. }), "{err}");
        let lock = store.lock("prod", "apply", None).await.unwrap();
        assert!(lock.took_over.is_none());
    }
}

on_both! {
    async fn two_handles_on_one_state_see_each_others_locks(store: &Store) {
        let a = store;
        let b = crate::backends::second_handle(store).await;
        let lock = a.lock("prod", "apply", None).await.unwrap();
        let err = b.lock("prod", "apply", None).await.unwrap_err();
        assert_eq!(
            err.lock_holder().map(|h| h.id.as_str()),
            Some(lock.info.id.as_str())
        );
        // racing for a free lock: exactly one wins
        a.unlock("prod", &lock.info.id).await.unwrap();
        let (ra, rb) = tokio::join!(a.lock("prod", "apply", None), b.lock("prod", "apply", None));
        assert_eq!([ra.is_ok(), rb.is_ok()].iter().filter(|ok| **ok).count(), 1);
        b.close().await;
    }
}
