//! `infra state export` / `infra state import`: a stack as one JSON document.
//!
//! The export types are a format of their own (versioned by `format_version`), copied
//! from the rows verbatim: timestamps stay the stored text, so a round trip loses nothing.

use serde::{Deserialize, Serialize};

use crate::rows::{
    HistoryRow, IntentRow, ResourceRow, HISTORY_COLUMNS, INTENT_COLUMNS, RESOURCE_COLUMNS,
};
use crate::stacks::{ensure_stack, load_stack, validate_stack_name};
use crate::{ts, Result, StateError, Store};

/// The version of the export format this binary writes. It reads this one and every
/// earlier one: version 1 had no `outputs`.
pub const EXPORT_FORMAT_VERSION: u32 = 2;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportDoc {
    format_version: u32,
    infra_version: String,
    stack: ExportStack,
    resources: Vec<ExportResource>,
    intents: Vec<ExportIntent>,
    history: Vec<ExportHistory>,
    /// Absent from documents written before outputs were kept in the state.
    #[serde(default)]
    outputs: Vec<ExportOutput>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportOutput {
    name: String,
    value: serde_json::Value,
    #[serde(default)]
    sensitive: bool,
    updated_at: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportStack {
    name: String,
    lineage: String,
    serial: i64,
    created_at: String,
    updated_at: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportResource {
    address: String,
    deposed: Option<String>,
    #[serde(rename = "type")]
    type_name: String,
    mode: String,
    cloud_id: String,
    attributes: serde_json::Value,
    dependencies: Vec<String>,
    status: String,
    created_at: String,
    updated_at: String,
    /// The provider configuration's alias; absent for the default one (and in exports
    /// made before aliases).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    provider: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportIntent {
    address: String,
    #[serde(rename = "type")]
    type_name: String,
    operation: String,
    token: String,
    config: serde_json::Value,
    run_id: String,
    created_at: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    provider: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportHistory {
    id: String,
    serial: i64,
    operation: String,
    who: String,
    started_at: String,
    finished_at: String,
    status: String,
    summary: serde_json::Value,
}

fn json(text: &str, what: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| StateError::data(what, e))
}

fn text(value: &serde_json::Value, what: &str) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StateError::Import(format!("{what}: {e}")))
}

impl Store {
    /// The whole stack (metadata, resources, intents, history, outputs) as JSON. Locks are not
    /// exported.
    pub async fn export_stack(&self, stack: &str) -> Result<serde_json::Value> {
        validate_stack_name(stack)?;
        // one read transaction, so the document is a consistent snapshot
        let mut tx = self.read().await?;
        let Some(_) = sqlx::query_scalar::<_, String>("SELECT name FROM stacks WHERE name = $1")
            .bind(stack)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Err(StateError::invalid(
                format!("stack `{stack}`"),
                "it does not exist in this state file; run `infra state list` to see the stacks",
            ));
        };
        let meta = load_stack(&mut tx, stack).await?;
        let resources: Vec<ResourceRow> = sqlx::query_as(&format!(
            "SELECT {RESOURCE_COLUMNS} FROM resources WHERE stack = $1 ORDER BY address, deposed"
        ))
        .bind(stack)
        .fetch_all(&mut *tx)
        .await?;
        let intents: Vec<IntentRow> = sqlx::query_as(&format!(
            "SELECT {INTENT_COLUMNS} FROM intents WHERE stack = $1 ORDER BY address"
        ))
        .bind(stack)
        .fetch_all(&mut *tx)
        .await?;
        let history: Vec<HistoryRow> = sqlx::query_as(&format!(
            "SELECT {HISTORY_COLUMNS} FROM history WHERE stack = $1 ORDER BY started_at, id"
        ))
        .bind(stack)
        .fetch_all(&mut *tx)
        .await?;
        let outputs: Vec<(String, String, i64, String)> = sqlx::query_as(
            "SELECT name, value, sensitive, updated_at FROM outputs WHERE stack = $1 ORDER BY name",
        )
        .bind(stack)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;

        let mut doc = ExportDoc {
            format_version: EXPORT_FORMAT_VERSION,
            infra_version: env!("CARGO_PKG_VERSION").to_string(),
            stack: ExportStack {
                name: meta.name,
                lineage: meta.lineage,
                serial: meta.serial,
                created_at: meta.created_at,
                updated_at: meta.updated_at,
            },
            resources: Vec::with_capacity(resources.len()),
            intents: Vec::with_capacity(intents.len()),
            history: Vec::with_capacity(history.len()),
            outputs: Vec::with_capacity(outputs.len()),
        };
        for (name, value, sensitive, updated_at) in outputs {
            doc.outputs.push(ExportOutput {
                value: json(&value, &format!("output `{name}`"))?,
                name,
                sensitive: sensitive != 0,
                updated_at,
            });
        }
        for r in resources {
            let what = format!("resource `{}`", r.address);
            doc.resources.push(ExportResource {
                attributes: json(&r.attributes, &what)?,
                dependencies: serde_json::from_str(&r.dependencies)
                    .map_err(|e| StateError::data(&what, e))?,
                deposed: (!r.deposed.is_empty()).then_some(r.deposed),
                address: r.address,
                type_name: r.type_name,
                mode: r.mode,
                cloud_id: r.cloud_id,
                status: r.status,
                created_at: r.created_at,
                updated_at: r.updated_at,
                provider: r.provider,
            });
        }
        for i in intents {
            doc.intents.push(ExportIntent {
                config: json(&i.config, &format!("intent for `{}`", i.address))?,
                address: i.address,
                type_name: i.type_name,
                operation: i.operation,
                token: i.token,
                run_id: i.run_id,
                created_at: i.created_at,
                provider: i.provider,
            });
        }
        for h in history {
            doc.history.push(ExportHistory {
                summary: json(&h.summary, &format!("history entry `{}`", h.id))?,
                id: h.id,
                serial: h.serial,
                operation: h.operation,
                who: h.who,
                started_at: h.started_at,
                finished_at: h.finished_at,
                status: h.status,
            });
        }
        serde_json::to_value(&doc).map_err(|e| StateError::data("export", e))
    }

    /// Replace the stack's metadata, resources, intents, history and outputs with an exported
    /// document, in one transaction. The stack may have another name than the exported
    /// one. Locks are left alone: take the stack's lock before importing.
    pub async fn import_stack(&self, stack: &str, document: &serde_json::Value) -> Result<()> {
        validate_stack_name(stack)?;
        let version = document
            .get("format_version")
            .and_then(serde_json::Value::as_u64);
        match version {
            Some(v) if (1..=u64::from(EXPORT_FORMAT_VERSION)).contains(&v) => {}
            Some(v) if v > u64::from(EXPORT_FORMAT_VERSION) => {
                return Err(StateError::Import(format!(
                    "it has format version {v}, this binary reads {EXPORT_FORMAT_VERSION}; upgrade infra"
                )))
            }
            _ => return Err(StateError::Import("it has no known `format_version`".into())),
        }
        let doc: ExportDoc = serde_json::from_value(document.clone())
            .map_err(|e| StateError::Import(e.to_string()))?;
        validate(&doc)?;

        let mut tx = self.write().await?;
        ensure_stack(&mut tx, stack).await?;
        sqlx::query("UPDATE stacks SET lineage = $1, serial = $2, created_at = $3, updated_at = $4 WHERE name = $5")
            .bind(&doc.stack.lineage)
            .bind(doc.stack.serial)
            .bind(&doc.stack.created_at)
            .bind(&doc.stack.updated_at)
            .bind(stack)
            .execute(&mut *tx)
            .await?;
        for table in ["resources", "intents", "history", "outputs"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE stack = $1"))
                .bind(stack)
                .execute(&mut *tx)
                .await?;
        }
        for r in &doc.resources {
            sqlx::query(&format!("INSERT INTO resources ({RESOURCE_COLUMNS}, stack) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"))
                .bind(&r.address)
                .bind(r.deposed.as_deref().unwrap_or(""))
                .bind(&r.type_name)
                .bind(&r.mode)
                .bind(&r.cloud_id)
                .bind(text(&r.attributes, &r.address)?)
                .bind(serde_json::to_string(&r.dependencies).map_err(|e| StateError::Import(e.to_string()))?)
                .bind(&r.status)
                .bind(&r.created_at)
                .bind(&r.updated_at)
                .bind(&r.provider)
                .bind(stack)
                .execute(&mut *tx)
                .await
                .map_err(|e| StateError::Import(format!("resource `{}`: {e}", r.address)))?;
        }
        for i in &doc.intents {
            sqlx::query(&format!(
                "INSERT INTO intents ({INTENT_COLUMNS}, stack) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ))
            .bind(&i.address)
            .bind(&i.type_name)
            .bind(&i.operation)
            .bind(&i.token)
            .bind(text(&i.config, &i.address)?)
            .bind(&i.run_id)
            .bind(&i.created_at)
            .bind(&i.provider)
            .bind(stack)
            .execute(&mut *tx)
            .await
            .map_err(|e| StateError::Import(format!("intent for `{}`: {e}", i.address)))?;
        }
        for h in &doc.history {
            sqlx::query(&format!(
                "INSERT INTO history ({HISTORY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ))
            .bind(&h.id)
            .bind(stack)
            .bind(h.serial)
            .bind(&h.operation)
            .bind(&h.who)
            .bind(&h.started_at)
            .bind(&h.finished_at)
            .bind(&h.status)
            .bind(text(&h.summary, &h.id)?)
            .execute(&mut *tx)
            .await
            .map_err(|e| StateError::Import(format!("history entry `{}`: {e}", h.id)))?;
        }
        for o in &doc.outputs {
            sqlx::query(
                "INSERT INTO outputs (stack, name, value, sensitive, updated_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(stack)
            .bind(&o.name)
            .bind(text(&o.value, &o.name)?)
            .bind(i64::from(o.sensitive))
            .bind(&o.updated_at)
            .execute(&mut *tx)
            .await
            .map_err(|e| StateError::Import(format!("output `{}`: {e}", o.name)))?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Check what the database's constraints would not (or would, with a worse message).
fn validate(doc: &ExportDoc) -> Result<()> {
    let bad = |what: String, why: String| Err(StateError::Import(format!("{what}: {why}")));
    uuid::Uuid::parse_str(&doc.stack.lineage)
        .map_err(|e| StateError::Import(format!("lineage: {e}")))?;
    let time =
        |s: &str, what: &str| ts::load(s, what).map_err(|e| StateError::Import(e.to_string()));
    time(&doc.stack.created_at, "stack")?;
    time(&doc.stack.updated_at, "stack")?;
    for r in &doc.resources {
        let what = format!("resource `{}`", r.address);
        if infra_model::Address::parse(&r.address).is_err() {
            return bad(what, "invalid address".into());
        }
        if crate::ResourceStatus::parse(&r.status).is_none() {
            return bad(what, format!("unknown status `{}`", r.status));
        }
        if r.mode != "managed" && r.mode != "data" {
            return bad(what, format!("unknown mode `{}`", r.mode));
        }
        if r.deposed.as_deref() == Some("") {
            return bad(
                what,
                "empty deposed id; use null for the current object".into(),
            );
        }
        time(&r.created_at, &what)?;
        time(&r.updated_at, &what)?;
    }
    for i in &doc.intents {
        time(&i.created_at, &format!("intent for `{}`", i.address))?;
    }
    for h in &doc.history {
        let what = format!("history entry `{}`", h.id);
        if crate::HistoryStatus::parse(&h.status).is_none() {
            return bad(what, format!("unknown status `{}`", h.status));
        }
        time(&h.started_at, &what)?;
        time(&h.finished_at, &what)?;
    }
    let mut names = std::collections::BTreeSet::new();
    for o in &doc.outputs {
        let what = format!("output `{}`", o.name);
        if o.name.is_empty() {
            return bad(what, "empty name".into());
        }
        if !names.insert(o.name.as_str()) {
            return bad(what, "listed twice".into());
        }
        time(&o.updated_at, &what)?;
    }
    Ok(())
}
