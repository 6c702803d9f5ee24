//! Resource instances: one row each, updated in place.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::rows::{ResourceRow, RESOURCE_COLUMNS};
use crate::stacks::{bump_serial, ensure_stack, validate_stack_name};
use crate::{ts, Result, StateError, Store};

/// Where a resource instance stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceStatus {
    /// Created (or updated) and usable.
    Ready,
    /// Its create was started but has not been confirmed complete (e.g. still waiting).
    Creating,
    /// Must be replaced on the next apply (a create that failed half-way).
    Tainted,
}

impl ResourceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceStatus::Ready => "ready",
            ResourceStatus::Creating => "creating",
            ResourceStatus::Tainted => "tainted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ready" => Some(ResourceStatus::Ready),
            "creating" => Some(ResourceStatus::Creating),
            "tainted" => Some(ResourceStatus::Tainted),
            _ => None,
        }
    }
}

/// One resource instance in a stack. Its attributes are JSON as stored (`A` is
/// `serde_json::Value`), or decoded straight into the engine's [`infra_model::Value`] by
/// [`Store::resources_decoded`] for plan and apply, which read every row of a stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceRecord<A = serde_json::Value> {
    /// `aws_subnet.private["a"]`.
    pub address: String,
    /// `aws_subnet`.
    pub type_name: String,
    /// `managed` or `data`.
    pub mode: String,
    /// The id of an old object left by a create_before_destroy replacement; `None` for
    /// the current object. Part of the key.
    pub deposed: Option<String>,
    pub cloud_id: String,
    pub attributes: A,
    /// Addresses this instance depends on, in the same stack.
    pub dependencies: Vec<String>,
    pub status: ResourceStatus,
    #[serde(with = "crate::ts::serde_ts")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::ts::serde_ts")]
    pub updated_at: OffsetDateTime,
    /// The `aws` provider configuration the object belongs to: `""` the default one, else
    /// its `alias` (refresh and destroy go to that configuration's region).
    #[serde(default)]
    pub provider: String,
}

impl ResourceRecord {
    /// A ready, managed, current object with no dependencies.
    pub fn new(
        address: impl Into<String>,
        type_name: impl Into<String>,
        cloud_id: impl Into<String>,
        attributes: serde_json::Value,
    ) -> Self {
        let now = ts::now();
        ResourceRecord {
            address: address.into(),
            type_name: type_name.into(),
            mode: "managed".into(),
            deposed: None,
            cloud_id: cloud_id.into(),
            attributes,
            dependencies: Vec::new(),
            status: ResourceStatus::Ready,
            created_at: now,
            updated_at: now,
            provider: String::new(),
        }
    }
}

impl<A> ResourceRecord<A> {
    /// The same record with its attributes converted (or replaced) by `f`.
    pub fn map_attributes<B>(self, f: impl FnOnce(A) -> B) -> ResourceRecord<B> {
        ResourceRecord {
            address: self.address,
            type_name: self.type_name,
            mode: self.mode,
            deposed: self.deposed,
            cloud_id: self.cloud_id,
            attributes: f(self.attributes),
            dependencies: self.dependencies,
            status: self.status,
            created_at: self.created_at,
            updated_at: self.updated_at,
            provider: self.provider,
        }
    }

    /// The record with other attributes, leaving `self` as it is (its own attributes are
    /// not copied).
    pub fn with_attributes<B>(&self, attributes: B) -> ResourceRecord<B> {
        ResourceRecord {
            address: self.address.clone(),
            type_name: self.type_name.clone(),
            mode: self.mode.clone(),
            deposed: self.deposed.clone(),
            cloud_id: self.cloud_id.clone(),
            attributes,
            dependencies: self.dependencies.clone(),
            status: self.status,
            created_at: self.created_at,
            updated_at: self.updated_at,
            provider: self.provider.clone(),
        }
    }

    fn validate(&self) -> Result<()> {
        let what = format!("resource record `{}`", self.address);
        infra_model::Address::parse(&self.address)
            .map_err(|e| StateError::invalid(&what, e.to_string()))?;
        if self.mode != "managed" && self.mode != "data" {
            return Err(StateError::invalid(
                what,
                format!("mode is `{}`; use `managed` or `data`", self.mode),
            ));
        }
        if self.type_name.is_empty() {
            return Err(StateError::invalid(what, "the resource type is empty"));
        }
        if self.deposed.as_deref() == Some("") {
            return Err(StateError::invalid(
                what,
                "the deposed id is empty; use None for the current object",
            ));
        }
        Ok(())
    }
}

impl Store {
    /// Every resource instance of the stack (current and deposed), by address.
    pub async fn resources(&self, stack: &str) -> Result<Vec<ResourceRecord>> {
        validate_stack_name(stack)?;
        let rows: Vec<ResourceRow> = sqlx::query_as(&format!(
            "SELECT {RESOURCE_COLUMNS} FROM resources WHERE stack = $1 ORDER BY address, deposed"
        ))
        .bind(stack)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(ResourceRow::into_domain).collect()
    }

    /// [`Store::resources`] with the attributes decoded straight into
    /// [`infra_model::Value`] (no JSON tree in between: at 10,000 rows the tree and its
    /// copy were most of reading the state). Each row is decoded as it arrives, while
    /// the database's worker thread reads the next ones.
    pub async fn resources_decoded(
        &self,
        stack: &str,
    ) -> Result<Vec<ResourceRecord<infra_model::Value>>> {
        use futures::TryStreamExt;
        validate_stack_name(stack)?;
        if let (crate::Backend::Sqlite, Some(path)) = (self.backend, self.path()) {
            // a pass of its own over the file (bulk.rs: a tenth of the time sqlx takes)
            let (file, stack) = (path.to_path_buf(), stack.to_string());
            return match tokio::task::spawn_blocking(move || {
                crate::bulk::read_decoded(&file, &stack)
            })
            .await
            {
                Ok(read) => read,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => Err(StateError::Read {
                    path: path.to_path_buf(),
                    why: e.to_string(),
                }),
            };
        }
        let query = format!(
            "SELECT {RESOURCE_COLUMNS} FROM resources WHERE stack = $1 ORDER BY address, deposed"
        );
        let mut rows = sqlx::query_as::<_, ResourceRow>(&query)
            .bind(stack)
            .fetch(self.pool());
        let mut out = Vec::new();
        while let Some(row) = rows.try_next().await? {
            out.push(row.into_domain_with(infra_model::Value::from_json_str)?);
        }
        Ok(out)
    }

    /// The stack's serial and rows read in one snapshot of the state file at `path`, before
    /// (and without) opening it as a store: nothing is created, migrated or locked. `None`
    /// when the file holds no such stack. Use the rows once the lock is held only if
    /// [`Store::stack_version`] still gives the snapshot's version.
    pub async fn read_file_snapshot(
        path: &std::path::Path,
        stack: &str,
    ) -> Result<Option<crate::Snapshot>> {
        validate_stack_name(stack)?;
        let (file, stack) = (path.to_path_buf(), stack.to_string());
        match tokio::task::spawn_blocking(move || crate::bulk::read_snapshot(&file, &stack)).await {
            Ok(read) => read,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(StateError::Read {
                path: path.to_path_buf(),
                why: e.to_string(),
            }),
        }
    }

    /// The stack's version: its lineage, serial (bumped by every write of its rows) and
    /// last update, as one text; `None` when there is no such stack.
    pub async fn stack_version(&self, stack: &str) -> Result<Option<String>> {
        validate_stack_name(stack)?;
        Ok(sqlx::query_scalar(crate::stacks::VERSION_QUERY)
            .bind(stack)
            .fetch_optional(self.pool())
            .await?)
    }

    /// The resource instances of the stack in `status` (e.g. the `creating` ones an
    /// interrupted run left), by address.
    pub async fn resources_in_status(
        &self,
        stack: &str,
        status: ResourceStatus,
    ) -> Result<Vec<ResourceRecord>> {
        validate_stack_name(stack)?;
        let rows: Vec<ResourceRow> = sqlx::query_as(&format!(
            "SELECT {RESOURCE_COLUMNS} FROM resources WHERE stack = $1 AND status = $2 ORDER BY address, deposed"
        ))
        .bind(stack)
        .bind(status.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(ResourceRow::into_domain).collect()
    }

    /// The current object at `address`, if any.
    pub async fn resource(&self, stack: &str, address: &str) -> Result<Option<ResourceRecord>> {
        validate_stack_name(stack)?;
        let row: Option<ResourceRow> = sqlx::query_as(&format!(
            "SELECT {RESOURCE_COLUMNS} FROM resources WHERE stack = $1 AND address = $2 AND deposed = ''"
        ))
        .bind(stack)
        .bind(address)
        .fetch_optional(self.pool())
        .await?;
        row.map(ResourceRow::into_domain).transpose()
    }

    /// Insert or update one instance, in one transaction that also bumps the stack's serial
    /// and deletes any intent for the address. `created_at` of an existing row is kept; the
    /// record's own timestamps are ignored (the store sets them). Returns the new serial.
    pub async fn put_resource(&self, stack: &str, record: &ResourceRecord) -> Result<i64> {
        record.validate()?;
        let attributes = serde_json::to_string(&record.attributes).map_err(|e| {
            StateError::invalid(format!("attributes of `{}`", record.address), e.to_string())
        })?;
        let dependencies = serde_json::to_string(&record.dependencies).map_err(|e| {
            StateError::invalid(
                format!("dependencies of `{}`", record.address),
                e.to_string(),
            )
        })?;
        let now = ts::store(ts::now());
        let mut tx = self.write().await?;
        ensure_stack(&mut tx, stack).await?;
        sqlx::query(&format!(
            "INSERT INTO resources ({RESOURCE_COLUMNS}, stack) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (stack, address, deposed) DO UPDATE SET
               type_name = excluded.type_name, mode = excluded.mode, cloud_id = excluded.cloud_id,
               provider = excluded.provider,
               attributes = excluded.attributes, dependencies = excluded.dependencies,
               status = excluded.status, updated_at = excluded.updated_at"
        ))
        .bind(&record.address)
        .bind(record.deposed.as_deref().unwrap_or(""))
        .bind(&record.type_name)
        .bind(&record.mode)
        .bind(&record.cloud_id)
        .bind(attributes)
        .bind(dependencies)
        .bind(record.status.as_str())
        .bind(&now)
        .bind(&now)
        .bind(&record.provider)
        .bind(stack)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM intents WHERE stack = $1 AND address = $2")
            .bind(stack)
            .bind(&record.address)
            .execute(&mut *tx)
            .await?;
        let serial = bump_serial(&mut tx, stack).await?;
        tx.commit().await?;
        Ok(serial)
    }

    /// Remove one instance (the current object when `deposed` is `None`). Bumps the serial
    /// when a row was removed; returns whether one was.
    pub async fn remove_resource(
        &self,
        stack: &str,
        address: &str,
        deposed: Option<&str>,
    ) -> Result<bool> {
        validate_stack_name(stack)?;
        let mut tx = self.write().await?;
        let done =
            sqlx::query("DELETE FROM resources WHERE stack = $1 AND address = $2 AND deposed = $3")
                .bind(stack)
                .bind(address)
                .bind(deposed.unwrap_or(""))
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if done > 0 {
            bump_serial(&mut tx, stack).await?;
        }
        tx.commit().await?;
        Ok(done > 0)
    }

    /// Move the current object at `address` to a deposed row keyed by `old_id` (before a
    /// create_before_destroy replacement creates the new object). One transaction; bumps
    /// the serial and returns it.
    pub async fn set_deposed(&self, stack: &str, address: &str, old_id: &str) -> Result<i64> {
        validate_stack_name(stack)?;
        if old_id.is_empty() {
            return Err(StateError::invalid(
                "deposed id",
                "it is empty; pass the old object's cloud id",
            ));
        }
        let mut tx = self.write().await?;
        let taken: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM resources WHERE stack = $1 AND address = $2 AND deposed = $3",
        )
        .bind(stack)
        .bind(address)
        .bind(old_id)
        .fetch_one(&mut *tx)
        .await?;
        if taken > 0 {
            return Err(StateError::invalid(
                format!("deposed id `{old_id}` for `{address}`"),
                "a deposed object with that id already exists; remove it first",
            ));
        }
        let moved = sqlx::query(
            "UPDATE resources SET deposed = $1, updated_at = $2 WHERE stack = $3 AND address = $4 AND deposed = ''",
        )
        .bind(old_id)
        .bind(ts::store(ts::now()))
        .bind(stack)
        .bind(address)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            return Err(StateError::NoResource {
                stack: stack.into(),
                address: address.into(),
            });
        }
        let serial = bump_serial(&mut tx, stack).await?;
        tx.commit().await?;
        Ok(serial)
    }

    /// Rename every row at `from` (the current object and any deposed ones) to `to`, as a
    /// `moved` block asks, in one transaction that bumps the serial. `created_at` is kept.
    /// Returns whether anything was renamed; an existing row at `to` is an error and
    /// nothing changes.
    pub async fn rename_resource(&self, stack: &str, from: &str, to: &str) -> Result<bool> {
        validate_stack_name(stack)?;
        let mut tx = self.write().await?;
        let taken: i64 =
            sqlx::query_scalar("SELECT count(*) FROM resources WHERE stack = $1 AND address = $2")
                .bind(stack)
                .bind(to)
                .fetch_one(&mut *tx)
                .await?;
        if taken > 0 {
            return Err(StateError::invalid(
                format!("moving `{from}` to `{to}`"),
                "the state already has an object at the new address",
            ));
        }
        let done = sqlx::query(
            "UPDATE resources SET address = $1, updated_at = $2 WHERE stack = $3 AND address = $4",
        )
        .bind(to)
        .bind(ts::store(ts::now()))
        .bind(stack)
        .bind(from)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done > 0 {
            bump_serial(&mut tx, stack).await?;
        }
        tx.commit().await?;
        Ok(done > 0)
    }
}
