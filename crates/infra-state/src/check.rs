//! `infra state check`: SQLite's integrity check (PostgreSQL checks its own pages and
//! enforces foreign keys) plus the references between rows.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;

use crate::rows::{ResourceRow, RESOURCE_COLUMNS};
use crate::{Result, Store};

impl Store {
    /// Every problem found, as one line each; empty when the database is sound.
    pub async fn check(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut conn = self.pool().acquire().await?;

        if self.backend == crate::Backend::Sqlite {
            match sqlx::query("PRAGMA integrity_check")
                .fetch_all(&mut *conn)
                .await
            {
                Ok(rows) => {
                    for row in rows {
                        let line: String = row.try_get(0)?;
                        if line != "ok" {
                            problems.push(format!("sqlite integrity check: {line}"));
                        }
                    }
                }
                Err(e) => problems.push(format!("sqlite integrity check failed: {e}")),
            }

            let fk = sqlx::query("PRAGMA foreign_key_check")
                .fetch_all(&mut *conn)
                .await?;
            for row in fk {
                let table: String = row.try_get(0)?;
                let rowid: Option<i64> = row.try_get(1)?;
                let parent: String = row.try_get(2)?;
                problems.push(format!(
                    "a row of table `{table}` (rowid {}) refers to a missing row of `{parent}`",
                    rowid.map(|r| r.to_string()).unwrap_or_else(|| "?".into())
                ));
            }
        }

        if self.backend == crate::Backend::Postgres {
            // PostgreSQL enforces the foreign keys; look anyway, for rows written while a
            // constraint was dropped by hand
            for table in ["resources", "intents", "locks", "history", "outputs"] {
                let orphans: Vec<String> = sqlx::query_scalar(&format!(
                    "SELECT DISTINCT stack FROM {table} WHERE stack NOT IN (SELECT name FROM stacks) ORDER BY stack"
                ))
                .fetch_all(&mut *conn)
                .await?;
                for stack in orphans {
                    problems.push(format!(
                        "a row of table `{table}` (stack `{stack}`) refers to a missing row of `stacks`"
                    ));
                }
            }
        }

        let stacks: Vec<(String, String)> =
            sqlx::query_as("SELECT name, lineage FROM stacks ORDER BY name")
                .fetch_all(&mut *conn)
                .await?;
        for (name, lineage) in &stacks {
            if uuid::Uuid::parse_str(lineage).is_err() {
                problems.push(format!("stack `{name}`: invalid lineage `{lineage}`"));
            }
        }

        // resources, grouped by stack
        let rows: Vec<(String, ResourceRow)> = {
            let raw = sqlx::query(&format!(
                "SELECT stack, {RESOURCE_COLUMNS} FROM resources ORDER BY stack, address"
            ))
            .fetch_all(&mut *conn)
            .await?;
            let mut out = Vec::with_capacity(raw.len());
            for row in raw {
                let stack: String = row.try_get("stack")?;
                out.push((stack, <ResourceRow as sqlx::FromRow<_>>::from_row(&row)?));
            }
            out
        };
        let mut addresses: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        for (stack, r) in &rows {
            addresses
                .entry(stack.as_str())
                .or_default()
                .insert(r.address.clone());
        }
        for (stack, r) in rows.iter().cloned() {
            let at = format!("stack `{stack}`, resource `{}`", r.address);
            if infra_model::Address::parse(&r.address).is_err() {
                problems.push(format!("{at}: invalid address"));
            }
            let deps: Option<Vec<String>> = serde_json::from_str(&r.dependencies).ok();
            match r.into_domain() {
                Err(e) => problems.push(format!("{at}: {e}")),
                Ok(_) => {
                    let known = addresses.get(stack.as_str());
                    for dep in deps.unwrap_or_default() {
                        if !dependency_exists(&dep, known) {
                            problems.push(format!(
                                "{at}: depends on `{dep}`, which is not in the stack"
                            ));
                        }
                    }
                }
            }
        }

        let intents: Vec<(String, String, String)> =
            sqlx::query_as("SELECT stack, address, config FROM intents ORDER BY stack, address")
                .fetch_all(&mut *conn)
                .await?;
        for (stack, address, config) in intents {
            if serde_json::from_str::<serde_json::Value>(&config).is_err() {
                problems.push(format!(
                    "stack `{stack}`, intent for `{address}`: its config is not JSON"
                ));
            }
        }

        let history: Vec<(String, String, String)> =
            sqlx::query_as("SELECT stack, id, summary FROM history ORDER BY stack, started_at")
                .fetch_all(&mut *conn)
                .await?;
        for (stack, id, summary) in history {
            if serde_json::from_str::<serde_json::Value>(&summary).is_err() {
                problems.push(format!(
                    "stack `{stack}`, history entry `{id}`: its summary is not JSON"
                ));
            }
        }
        let outputs: Vec<(String, String, String)> =
            sqlx::query_as("SELECT stack, name, value FROM outputs ORDER BY stack, name")
                .fetch_all(&mut *conn)
                .await?;
        for (stack, name, value) in outputs {
            if serde_json::from_str::<serde_json::Value>(&value).is_err() {
                problems.push(format!(
                    "stack `{stack}`, output `{name}`: its value is not JSON"
                ));
            }
        }
        Ok(problems)
    }
}

/// A dependency names an instance (`aws_subnet.a[0]`), a resource (`aws_subnet.a`, all its
/// instances) or a module; it exists if it selects at least one address of the stack.
fn dependency_exists(dep: &str, known: Option<&BTreeSet<String>>) -> bool {
    let Some(known) = known else { return false };
    if known.contains(dep) {
        return true;
    }
    let Ok(dep) = infra_model::Address::parse(dep) else {
        return false;
    };
    known
        .iter()
        .filter_map(|a| infra_model::Address::parse(a).ok())
        .any(|a| dep.selects(&a))
}
