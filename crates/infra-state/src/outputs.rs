//! A stack's root outputs, as of its last apply: what other stacks read through
//! `data "terraform_remote_state"`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::stacks::{ensure_stack, validate_stack_name};
use crate::{ts, Result, StateError, Store};

/// One output's value (JSON with Terraform's types) and whether it is sensitive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputRecord {
    pub value: serde_json::Value,
    #[serde(default)]
    pub sensitive: bool,
}

impl OutputRecord {
    pub fn new(value: serde_json::Value, sensitive: bool) -> Self {
        OutputRecord { value, sensitive }
    }
}

impl Store {
    /// Replace all of the stack's outputs with `outputs`, in one transaction (creating the
    /// stack on first use). An empty map clears them.
    pub async fn save_outputs(
        &self,
        stack: &str,
        outputs: &BTreeMap<String, OutputRecord>,
    ) -> Result<()> {
        validate_stack_name(stack)?;
        let now = ts::store(ts::now());
        let mut tx = self.write().await?;
        ensure_stack(&mut tx, stack).await?;
        sqlx::query("DELETE FROM outputs WHERE stack = $1")
            .bind(stack)
            .execute(&mut *tx)
            .await?;
        for (name, out) in outputs {
            if name.is_empty() {
                return Err(StateError::invalid(
                    format!("an output of stack `{stack}`"),
                    "its name is empty; name every output",
                ));
            }
            let value = serde_json::to_string(&out.value)
                .map_err(|e| StateError::data(format!("output `{name}`"), e))?;
            sqlx::query(
                "INSERT INTO outputs (stack, name, value, sensitive, updated_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(stack)
            .bind(name)
            .bind(value)
            .bind(i64::from(out.sensitive))
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The stack's outputs by name; `None` when the stack does not exist in this state file.
    /// One read, so the answer is a consistent snapshot; it takes no lock.
    pub async fn outputs(&self, stack: &str) -> Result<Option<BTreeMap<String, OutputRecord>>> {
        validate_stack_name(stack)?;
        let mut tx = self.read().await?;
        let exists: Option<String> = sqlx::query_scalar("SELECT name FROM stacks WHERE name = $1")
            .bind(stack)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Ok(None);
        }
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT name, value, sensitive FROM outputs WHERE stack = $1 ORDER BY name",
        )
        .bind(stack)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut out = BTreeMap::new();
        for (name, value, sensitive) in rows {
            let value = serde_json::from_str(&value)
                .map_err(|e| StateError::data(format!("stack `{stack}`, output `{name}`"), e))?;
            out.insert(name, OutputRecord::new(value, sensitive != 0));
        }
        Ok(Some(out))
    }
}
