//! History: one entry per apply or destroy.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::rows::{HistoryRow, HISTORY_COLUMNS};
use crate::stacks::{ensure_stack, validate_stack_name};
use crate::{ts, Result, StateError, Store};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HistoryStatus {
    Ok,
    Failed,
    Interrupted,
}

impl HistoryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryStatus::Ok => "ok",
            HistoryStatus::Failed => "failed",
            HistoryStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ok" => Some(HistoryStatus::Ok),
            "failed" => Some(HistoryStatus::Failed),
            "interrupted" => Some(HistoryStatus::Interrupted),
            _ => None,
        }
    }
}

/// One apply or destroy: when, who, what changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// A uuid.
    pub id: String,
    pub stack: String,
    /// The stack's serial when the run finished.
    pub serial: i64,
    /// `apply`, `destroy`, …
    pub operation: String,
    pub who: String,
    #[serde(with = "crate::ts::serde_ts")]
    pub started_at: OffsetDateTime,
    #[serde(with = "crate::ts::serde_ts")]
    pub finished_at: OffsetDateTime,
    pub status: HistoryStatus,
    /// What changed, e.g. `{"created": [...], "updated": [...], "deleted": [...]}`.
    pub summary: serde_json::Value,
}

impl HistoryEntry {
    /// An entry for a run of `operation` on `stack` started now by the current user, with
    /// a fresh id; set `serial`, `finished_at`, `status` and `summary` when it ends.
    pub fn start(stack: impl Into<String>, operation: impl Into<String>) -> Self {
        let now = ts::now();
        HistoryEntry {
            id: uuid::Uuid::new_v4().to_string(),
            stack: stack.into(),
            serial: 0,
            operation: operation.into(),
            who: crate::lock::current_user(),
            started_at: now,
            finished_at: now,
            status: HistoryStatus::Ok,
            summary: serde_json::Value::Object(Default::default()),
        }
    }
}

impl Store {
    /// Write one history entry (to `entry.stack`).
    pub async fn record_history(&self, entry: &HistoryEntry) -> Result<()> {
        let what = format!("history entry `{}`", entry.id);
        if entry.id.is_empty() {
            return Err(StateError::invalid(
                what,
                "its id is empty; use HistoryEntry::start",
            ));
        }
        let summary = serde_json::to_string(&entry.summary)
            .map_err(|e| StateError::invalid(&what, e.to_string()))?;
        let mut tx = self.write().await?;
        ensure_stack(&mut tx, &entry.stack).await?;
        sqlx::query(&format!(
            "INSERT INTO history ({HISTORY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(&entry.id)
        .bind(&entry.stack)
        .bind(entry.serial)
        .bind(&entry.operation)
        .bind(&entry.who)
        .bind(ts::store(entry.started_at))
        .bind(ts::store(entry.finished_at))
        .bind(entry.status.as_str())
        .bind(summary)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The stack's history, oldest first.
    pub async fn history(&self, stack: &str) -> Result<Vec<HistoryEntry>> {
        validate_stack_name(stack)?;
        let rows: Vec<HistoryRow> = sqlx::query_as(&format!(
            "SELECT {HISTORY_COLUMNS} FROM history WHERE stack = $1 ORDER BY started_at, id"
        ))
        .bind(stack)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(HistoryRow::into_domain).collect()
    }
}
