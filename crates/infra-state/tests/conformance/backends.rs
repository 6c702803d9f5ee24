//! A fresh store of each backend, and the few raw-SQL helpers whose SQL differs.

use std::sync::OnceLock;

use infra_state::{Backend, StateLocation, Store};
use sqlx::{Connection, Executor};

/// A store on a fresh database, dropped (PostgreSQL) or deleted (SQLite) afterwards.
pub struct Fresh {
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    database: Option<String>,
}

impl Fresh {
    pub async fn sqlite() -> Fresh {
        let (dir, path) = crate::temp_state();
        Fresh {
            store: Store::open(&path).await.expect("open a fresh SQLite state"),
            _dir: Some(dir),
            database: None,
        }
    }

    pub async fn postgres() -> Fresh {
        let (location, database) = fresh_database().await;
        Fresh {
            store: Store::open_location(&location)
                .await
                .expect("open a fresh PostgreSQL state"),
            _dir: None,
            database: Some(database),
        }
    }

    /// Close the store and drop its database. (A failed test leaves its database behind on
    /// the test server; every test uses a new one, so leftovers never matter.)
    pub async fn finish(self) {
        self.store.close().await;
        if let Some(db) = self.database {
            let mut admin = sqlx::PgConnection::connect(&server_url()).await.unwrap();
            admin
                .execute(format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)").as_str())
                .await
                .unwrap();
            admin.close().await.ok();
        }
    }
}

/// The test server's URL: `INFRA_TEST_POSTGRES_URL`, or what `scripts/pg-up` prints (it
/// starts the server if needed). Never skipped: no server is a failure.
pub fn server_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("INFRA_TEST_POSTGRES_URL") {
            if !url.is_empty() {
                return url;
            }
        }
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg-up");
        let out = std::process::Command::new(&script)
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "scripts/pg-up failed (install the Debian package `postgresql`):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    })
    .clone()
}

/// A new, empty database on the test server, and its URL.
pub async fn fresh_database() -> (StateLocation, String) {
    let server = server_url();
    let name = format!("infra_t_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .expect("connecting to the test server");
    admin
        .execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .unwrap();
    admin.close().await.ok();
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&format!("/{name}"));
    (StateLocation::parse(url.as_str()).unwrap(), name)
}

/// A second, independent handle on the same database (another process would have one).
pub async fn second_handle(store: &Store) -> Store {
    Store::open_location(store.location().expect("a store with a location"))
        .await
        .unwrap()
}

/// Make every delete of an intent fail (`on`), or stop doing so.
pub async fn refuse_intent_deletes(store: &Store, on: bool) {
    let statements: &[&str] = match (store.backend(), on) {
        (Backend::Sqlite, true) => &["CREATE TRIGGER no_clear BEFORE DELETE ON intents BEGIN SELECT RAISE(ABORT, 'intent delete refused'); END"],
        (Backend::Sqlite, false) => &["DROP TRIGGER no_clear"],
        (Backend::Postgres, true) => &[
            "CREATE FUNCTION no_clear() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'intent delete refused'; END $$",
            "CREATE TRIGGER no_clear BEFORE DELETE ON intents FOR EACH ROW EXECUTE FUNCTION no_clear()",
        ],
        (Backend::Postgres, false) => &["DROP TRIGGER no_clear ON intents", "DROP FUNCTION no_clear()"],
    };
    for sql in statements {
        sqlx::query(sql).execute(store.pool()).await.unwrap();
    }
}

/// A connection on which rows may break the foreign keys, as a broken writer would leave
/// them (PostgreSQL: the constraint is dropped from `resources`).
pub async fn without_foreign_keys(store: &Store) -> sqlx::AnyConnection {
    let mut conn = store.pool().acquire().await.unwrap().detach();
    match store.backend() {
        Backend::Sqlite => conn.execute("PRAGMA foreign_keys = OFF").await.unwrap(),
        Backend::Postgres => conn
            .execute("ALTER TABLE resources DROP CONSTRAINT resources_stack_fkey")
            .await
            .unwrap(),
    };
    conn
}
