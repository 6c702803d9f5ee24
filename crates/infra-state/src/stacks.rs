//! Stacks: get-or-create, serial and lineage.

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use time::OffsetDateTime;

use crate::rows::StackRow;
use crate::{ts, Result, StateError, Store};

/// One stack's metadata. The lineage is set when the stack is first used and never changes;
/// the serial grows with every change to the stack's resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackMeta {
    pub name: String,
    #[serde(with = "crate::ts::serde_uuid")]
    pub lineage: uuid::Uuid,
    pub serial: i64,
    #[serde(with = "crate::ts::serde_ts")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::ts::serde_ts")]
    pub updated_at: OffsetDateTime,
}

impl Store {
    /// The stack's metadata, creating the stack (with a new lineage) on first use.
    pub async fn stack(&self, name: &str) -> Result<StackMeta> {
        if let Some(meta) = self.find_stack(name).await? {
            return Ok(meta);
        }
        let mut tx = self.write().await?;
        ensure_stack(&mut tx, name).await?;
        let row = load_stack(&mut tx, name).await?;
        tx.commit().await?;
        row.into_domain()
    }

    /// The stack's metadata, without creating it.
    pub async fn find_stack(&self, name: &str) -> Result<Option<StackMeta>> {
        validate_stack_name(name)?;
        let row: Option<StackRow> = sqlx::query_as(
            "SELECT name, lineage, serial, created_at, updated_at FROM stacks WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(self.pool())
        .await?;
        row.map(StackRow::into_domain).transpose()
    }

    /// Every stack in the database, by name.
    pub async fn list_stacks(&self) -> Result<Vec<StackMeta>> {
        let rows: Vec<StackRow> = sqlx::query_as(
            "SELECT name, lineage, serial, created_at, updated_at FROM stacks ORDER BY name",
        )
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(StackRow::into_domain).collect()
    }
}

pub(crate) fn validate_stack_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(StateError::invalid(
            "stack name",
            "it is empty; name the stack after its directory",
        ));
    }
    if name.len() > 256 || name.chars().any(char::is_control) {
        return Err(StateError::invalid(
            "stack name",
            "it is longer than 256 bytes or holds control characters; use a shorter plain name",
        ));
    }
    Ok(())
}

/// Create the stack row if it is missing (inside the caller's transaction).
pub(crate) async fn ensure_stack(conn: &mut AnyConnection, name: &str) -> Result<()> {
    validate_stack_name(name)?;
    let now = ts::store(ts::now());
    sqlx::query(
        "INSERT INTO stacks (name, lineage, serial, created_at, updated_at) VALUES ($1, $2, 0, $3, $4)
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(&now)
    .bind(&now)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn load_stack(conn: &mut AnyConnection, name: &str) -> Result<StackRow> {
    Ok(sqlx::query_as(
        "SELECT name, lineage, serial, created_at, updated_at FROM stacks WHERE name = $1",
    )
    .bind(name)
    .fetch_one(conn)
    .await?)
}

/// A stack's version as one text (lineage, serial, last update), for SQLite and
/// PostgreSQL alike (`$1` is SQLite's `?1`).
pub(crate) const VERSION_QUERY: &str =
    "SELECT lineage || ' ' || CAST(serial AS TEXT) || ' ' || updated_at FROM stacks WHERE name = $1";

/// Add one to the stack's serial; returns the new serial.
pub(crate) async fn bump_serial(conn: &mut AnyConnection, name: &str) -> Result<i64> {
    let serial: i64 = sqlx::query_scalar(
        "UPDATE stacks SET serial = serial + 1, updated_at = $1 WHERE name = $2 RETURNING serial",
    )
    .bind(ts::store(ts::now()))
    .bind(name)
    .fetch_one(conn)
    .await?;
    Ok(serial)
}
