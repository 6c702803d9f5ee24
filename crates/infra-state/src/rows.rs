//! Row types: the storage format, kept apart from the domain types. Each converts to its
//! domain type, checking what the database cannot check (JSON, timestamps, enums).

use crate::history::{HistoryEntry, HistoryStatus};
use crate::intents::Intent;
use crate::lock::LockInfo;
use crate::resources::{ResourceRecord, ResourceStatus};
use crate::stacks::StackMeta;
use crate::ts;
use crate::{Result, StateError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct StackRow {
    pub name: String,
    pub lineage: String,
    pub serial: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl StackRow {
    pub fn into_domain(self) -> Result<StackMeta> {
        let what = format!("stack `{}`", self.name);
        Ok(StackMeta {
            lineage: uuid::Uuid::parse_str(&self.lineage)
                .map_err(|e| StateError::data(&what, e))?,
            serial: self.serial,
            created_at: ts::load(&self.created_at, &what)?,
            updated_at: ts::load(&self.updated_at, &what)?,
            name: self.name,
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ResourceRow {
    pub address: String,
    pub deposed: String,
    pub type_name: String,
    pub mode: String,
    pub cloud_id: String,
    pub attributes: String,
    pub dependencies: String,
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
    pub provider: String,
}

pub(crate) const RESOURCE_COLUMNS: &str =
    "address, deposed, type_name, mode, cloud_id, attributes, dependencies, status, created_at, updated_at, provider";

impl ResourceRow {
    pub fn into_domain(self) -> Result<ResourceRecord> {
        self.into_domain_with(|text| serde_json::from_str(text))
    }

    /// The record with its attributes decoded from their JSON text by `decode`.
    pub fn into_domain_with<A>(
        self,
        decode: impl FnOnce(&str) -> serde_json::Result<A>,
    ) -> Result<ResourceRecord<A>> {
        // named only in an error (a plan reads every row)
        let what = || format!("resource `{}`", self.address);
        Ok(ResourceRecord {
            attributes: decode(&self.attributes).map_err(|e| StateError::data(what(), e))?,
            dependencies: serde_json::from_str(&self.dependencies)
                .map_err(|e| StateError::data(what(), e))?,
            status: ResourceStatus::parse(&self.status).ok_or_else(|| {
                StateError::data(what(), format!("unknown status `{}`", self.status))
            })?,
            created_at: ts::parse(&self.created_at).map_err(|e| StateError::data(what(), e))?,
            updated_at: ts::parse(&self.updated_at).map_err(|e| StateError::data(what(), e))?,
            deposed: (!self.deposed.is_empty()).then_some(self.deposed),
            address: self.address,
            type_name: self.type_name,
            mode: self.mode,
            cloud_id: self.cloud_id,
            provider: self.provider,
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct IntentRow {
    pub address: String,
    pub type_name: String,
    pub operation: String,
    pub token: String,
    pub config: String,
    pub run_id: String,
    pub created_at: String,
    pub provider: String,
}

pub(crate) const INTENT_COLUMNS: &str =
    "address, type_name, operation, token, config, run_id, created_at, provider";

impl IntentRow {
    pub fn into_domain(self) -> Result<Intent> {
        let what = format!("intent for `{}`", self.address);
        Ok(Intent {
            config: serde_json::from_str(&self.config).map_err(|e| StateError::data(&what, e))?,
            created_at: ts::load(&self.created_at, &what)?,
            address: self.address,
            type_name: self.type_name,
            operation: self.operation,
            token: self.token,
            run_id: self.run_id,
            provider: self.provider,
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct LockRow {
    pub stack: String,
    pub id: String,
    pub operation: String,
    pub who: String,
    pub host: String,
    pub pid: i64,
    pub pid_start: Option<i64>,
    pub version: String,
    pub created_at: String,
}

pub(crate) const LOCK_COLUMNS: &str =
    "stack, id, operation, who, host, pid, pid_start, version, created_at";

impl LockRow {
    pub fn into_domain(self) -> Result<LockInfo> {
        let what = format!("lock on stack `{}`", self.stack);
        Ok(LockInfo {
            pid: u32::try_from(self.pid).map_err(|e| StateError::data(&what, e))?,
            pid_start: self.pid_start.and_then(|s| u64::try_from(s).ok()),
            created: ts::load(&self.created_at, &what)?,
            id: self.id,
            stack: self.stack,
            operation: self.operation,
            who: self.who,
            host: self.host,
            version: self.version,
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct HistoryRow {
    pub id: String,
    pub stack: String,
    pub serial: i64,
    pub operation: String,
    pub who: String,
    pub started_at: String,
    pub finished_at: String,
    pub status: String,
    pub summary: String,
}

pub(crate) const HISTORY_COLUMNS: &str =
    "id, stack, serial, operation, who, started_at, finished_at, status, summary";

impl HistoryRow {
    pub fn into_domain(self) -> Result<HistoryEntry> {
        let what = format!("history entry `{}`", self.id);
        Ok(HistoryEntry {
            status: HistoryStatus::parse(&self.status).ok_or_else(|| {
                StateError::data(&what, format!("unknown status `{}`", self.status))
            })?,
            summary: serde_json::from_str(&self.summary).map_err(|e| StateError::data(&what, e))?,
            started_at: ts::load(&self.started_at, &what)?,
            finished_at: ts::load(&self.finished_at, &what)?,
            id: self.id,
            stack: self.stack,
            serial: self.serial,
            operation: self.operation,
            who: self.who,
        })
    }
}
