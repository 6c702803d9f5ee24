//! Intents: committed before a create, cleared when the resource's row is committed, so
//! that a run killed in between can find (by token or tag) and adopt what it created.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::rows::{IntentRow, INTENT_COLUMNS};
use crate::stacks::{ensure_stack, validate_stack_name};
use crate::{ts, Result, StateError, Store};

/// An operation about to be started on a resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    pub address: String,
    pub type_name: String,
    /// `create`.
    pub operation: String,
    /// The idempotency token passed to the cloud (e.g. CreateNatGateway's `ClientToken`).
    pub token: String,
    /// The configuration the create was started with.
    pub config: serde_json::Value,
    /// The run that recorded it.
    pub run_id: String,
    #[serde(with = "crate::ts::serde_ts")]
    pub created_at: OffsetDateTime,
    /// The `aws` provider configuration the create went to (`""` the default, else its
    /// alias): adoption looks there.
    #[serde(default)]
    pub provider: String,
}

impl Intent {
    /// A create intent with a fresh token.
    pub fn create(
        address: impl Into<String>,
        type_name: impl Into<String>,
        config: serde_json::Value,
        run_id: impl Into<String>,
    ) -> Self {
        Intent {
            address: address.into(),
            type_name: type_name.into(),
            operation: "create".into(),
            token: uuid::Uuid::new_v4().to_string(),
            config,
            run_id: run_id.into(),
            created_at: ts::now(),
            provider: String::new(),
        }
    }
}

impl Store {
    /// Commit an intent (replacing any earlier intent for the same address).
    pub async fn record_intent(&self, stack: &str, intent: &Intent) -> Result<()> {
        let what = format!("intent for `{}`", intent.address);
        infra_model::Address::parse(&intent.address)
            .map_err(|e| StateError::invalid(&what, e.to_string()))?;
        if intent.operation.is_empty() || intent.token.is_empty() {
            return Err(StateError::invalid(
                what,
                "the operation and the token must not be empty",
            ));
        }
        let config = serde_json::to_string(&intent.config)
            .map_err(|e| StateError::invalid(&what, e.to_string()))?;
        let mut tx = self.write().await?;
        ensure_stack(&mut tx, stack).await?;
        sqlx::query(&format!(
            "INSERT INTO intents ({INTENT_COLUMNS}, stack) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (stack, address) DO UPDATE SET
               type_name = excluded.type_name, operation = excluded.operation,
               provider = excluded.provider,
               token = excluded.token, config = excluded.config, run_id = excluded.run_id,
               created_at = excluded.created_at"
        ))
        .bind(&intent.address)
        .bind(&intent.type_name)
        .bind(&intent.operation)
        .bind(&intent.token)
        .bind(config)
        .bind(&intent.run_id)
        .bind(ts::store(intent.created_at))
        .bind(&intent.provider)
        .bind(stack)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The stack's open intents, oldest first.
    pub async fn intents(&self, stack: &str) -> Result<Vec<Intent>> {
        validate_stack_name(stack)?;
        let rows: Vec<IntentRow> = sqlx::query_as(&format!(
            "SELECT {INTENT_COLUMNS} FROM intents WHERE stack = $1 ORDER BY created_at, address"
        ))
        .bind(stack)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(IntentRow::into_domain).collect()
    }

    /// Drop the intent for `address` (e.g. after a failed create that created nothing).
    /// Returns whether there was one.
    pub async fn clear_intent(&self, stack: &str, address: &str) -> Result<bool> {
        validate_stack_name(stack)?;
        let mut tx = self.write().await?;
        let done = sqlx::query("DELETE FROM intents WHERE stack = $1 AND address = $2")
            .bind(stack)
            .bind(address)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(done > 0)
    }
}
