//! Recovering a state: `infra state rebuild` (the state file was lost: find every object
//! of the stack by its `infra:stack` / `infra:address` tags) and
//! `infra state migrate-from-terraform` (adopt a Terraform state file, format version 4).
//! Rebuild keeps what the state still holds and only looks for the rest; migration
//! writes nothing unless every object is found, and only into an empty state.

use std::collections::BTreeMap;

use infra_model::{Address, Value};
use infra_state::ResourceRecord;

use crate::cli::{MigrateArgs, RebuildArgs};
use crate::commands::common::api_calls_line;
use crate::engine::import::{desired, find_tagged, import, Desired};
use crate::engine::persist::record_data_sources;
use crate::engine::refresh::read_data_sources;
use crate::engine::tfstate::{self, TfInstance};
use crate::engine::{load_stack, session, LoadedStack, Session};
use crate::printer::Printer;

/// Refuse to write over a state that already holds the stack's resources.
async fn ensure_empty(session: &Session) -> anyhow::Result<()> {
    let rows = session.store.resources(&session.stack).await?;
    let managed = rows.iter().filter(|r| r.mode == "managed").count();
    if managed > 0 {
        anyhow::bail!(
            "the state of stack `{}` already holds {managed} resource(s); this only fills an empty state (use another --state file, or `infra state rm` what is there)",
            session.stack
        );
    }
    Ok(())
}

pub async fn rebuild(args: RebuildArgs, printer: Printer) -> anyhow::Result<u8> {
    let loaded = load_stack(&args.stack, &printer)?;
    crate::commands::validate::preflight(&loaded, &printer)?;
    let session = Session::lock(&args.state, &loaded.name, "rebuild", &printer).await?;
    let result = rebuild_locked(&loaded, &session, &printer).await;
    session.release().await?;
    result
}

async fn rebuild_locked(
    loaded: &LoadedStack,
    session: &Session,
    printer: &Printer,
) -> anyhow::Result<u8> {
    let provider = session::provider(&loaded.stack, session).await?;
    // what the state still holds (a rebuild run again after `infra import`) is kept
    let mut values: BTreeMap<Address, Value> = BTreeMap::new();
    for r in session.store.resources(&session.stack).await? {
        if r.mode == "managed" && r.deposed.is_none() {
            values.insert(Address::parse(&r.address)?, Value::from_json(&r.attributes));
        }
    }
    let known = values.len();
    let mut data = read_data_sources(&loaded.stack, &values, provider.as_ref()).await?;
    let mut found: BTreeMap<Address, ResourceRecord> = BTreeMap::new();
    // configurations already looked for and not found: looked for again only once more
    // of what they refer to is known (a route's table id, an association's subnet id)
    let mut tried: BTreeMap<Address, Value> = BTreeMap::new();
    loop {
        let all = desired(&loaded.stack, &values, &data);
        let todo: Vec<(&Address, &Desired)> = all
            .iter()
            .filter(|(a, d)| {
                !found.contains_key(*a)
                    && !values.contains_key(*a)
                    && tried.get(*a) != Some(&d.config)
            })
            .collect();
        if todo.is_empty() {
            break;
        }
        let mut progress = false;
        for (address, want) in todo {
            // what a lookup needs (a record's zone id, a route's target) is known only
            // once the objects it refers to are found: looked for in a later round
            if !want.config.is_wholly_known() {
                continue;
            }
            match find_tagged(provider.as_ref(), &session.stack, address, want).await? {
                Some(record) => {
                    printer.err(format!("{address}: found {}", record.cloud_id));
                    values.insert(address.clone(), Value::from_json(&record.attributes));
                    found.insert(address.clone(), record);
                    progress = true;
                }
                None => {
                    tried.insert(address.clone(), want.config.clone());
                }
            }
        }
        if !progress {
            break;
        }
        // data sources that refer to what this round found (a queue policy's document
        // naming the queue's ARN) can be read now, and what refers to them looked for
        data = read_data_sources(&loaded.stack, &values, provider.as_ref()).await?;
    }
    let all = desired(&loaded.stack, &values, &data);
    let missing: Vec<&Address> = all.keys().filter(|a| !values.contains_key(*a)).collect();
    for record in found.values() {
        session.store.put_resource(&session.stack, record).await?;
    }
    record_data_sources(&session.store, &session.stack, &data).await?;
    // objects that exist under the configured name but are not tagged for this stack are
    // never taken over silently
    let mut untagged = Vec::new();
    for address in &missing {
        let want = &all[*address];
        if !want.config.is_wholly_known() {
            continue; // never looked for: it refers to objects not found
        }
        let Some(id) = natural_id(address, &want.config) else {
            continue;
        };
        if let Ok(record) = import(provider.as_ref(), address, &id, &all[*address]).await {
            untagged.push((address.to_string(), record.cloud_id));
        }
    }
    printer.out(format!(
        "Rebuilt the state of stack `{}` from the cloud's infra:stack / infra:address tags: {} found, {known} already in the state, of {} resource(s).",
        session.stack,
        found.len(),
        all.len()
    ));
    for (address, id) in &untagged {
        printer.err(format!(
            "{}: {address}: {id} exists but is not tagged for stack `{}`; it was not adopted. If it is this resource, `infra import '{address}' {id}`",
            printer.yellow("warning"),
            session.stack
        ));
    }
    let (plain, blocked): (Vec<&Address>, Vec<&Address>) = missing
        .iter()
        .filter(|a| !untagged.iter().any(|(u, _)| *u == a.to_string()))
        .partition(|a| all[**a].config.is_wholly_known());
    let list = |v: &[&Address]| {
        v.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !plain.is_empty() {
        printer.out(format!(
            "Not found (the next apply creates them): {}",
            list(&plain)
        ));
    }
    if !blocked.is_empty() {
        printer.out(format!(
            "Not looked for, because they refer to objects not found (import those, then run `infra state rebuild` again): {}",
            list(&blocked)
        ));
    }
    printer.out(api_calls_line(&provider.api_calls()));
    Ok(0)
}

/// The import ID the configuration alone names, for types whose objects have a
/// configured unique name (so that an untagged one can be reported).
fn natural_id(address: &Address, config: &Value) -> Option<String> {
    let s = |k: &str| config.get(k).as_str().map(str::to_string);
    match address.type_name.as_str() {
        "aws_iam_role" | "aws_eks_cluster" => s("name"),
        "aws_eks_node_group" => Some(format!("{}:{}", s("cluster_name")?, s("node_group_name")?)),
        _ => None,
    }
}

pub async fn migrate(args: MigrateArgs, printer: Printer) -> anyhow::Result<u8> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    let file =
        tfstate::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let loaded = load_stack(&args.stack, &printer)?;
    crate::commands::validate::preflight(&loaded, &printer)?;
    let instances = tfstate::managed_instances(&file)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let mut problems = Vec::new();
    for i in &instances {
        if infra_model::schema::lookup(infra_model::Mode::Managed, &i.address.type_name).is_none() {
            problems.push(format!(
                "{}: infra does not support the resource type `{}`",
                i.address, i.address.type_name
            ));
        } else if loaded.stack.resource(&i.address).is_none() {
            problems.push(format!("{}: the configuration has no such resource (add its block, or `terraform state rm` it first)", i.address));
        }
    }
    if !problems.is_empty() {
        anyhow::bail!(
            "cannot migrate {}: nothing was written\n  {}",
            args.file.display(),
            problems.join("\n  ")
        );
    }
    let session = Session::lock(&args.state, &loaded.name, "migrate", &printer).await?;
    let origin = format!(
        "Terraform {} state, serial {}, lineage {}",
        file.terraform_version, file.serial, file.lineage
    );
    let result = migrate_locked(&loaded, &session, &instances, &origin, &printer).await;
    session.release().await?;
    result
}

async fn migrate_locked(
    loaded: &LoadedStack,
    session: &Session,
    instances: &[TfInstance],
    origin: &str,
    printer: &Printer,
) -> anyhow::Result<u8> {
    ensure_empty(session).await?;
    let provider = session::provider(&loaded.stack, session).await?;
    let mut values: BTreeMap<Address, Value> = BTreeMap::new();
    let data = read_data_sources(&loaded.stack, &values, provider.as_ref()).await?;
    let mut records = Vec::new();
    let mut failures = Vec::new();
    for inst in instances {
        let all = desired(&loaded.stack, &values, &data);
        let Some(want) = all.get(&inst.address) else {
            failures.push(format!(
                "{}: the configuration does not produce this instance (check `count` / `for_each`)",
                inst.address
            ));
            continue;
        };
        match import(provider.as_ref(), &inst.address, &inst.import_id, want).await {
            Ok(record) => {
                values.insert(inst.address.clone(), Value::from_json(&record.attributes));
                records.push(record);
            }
            Err(e) => failures.push(format!("{e:#}")),
        }
    }
    if !failures.is_empty() {
        anyhow::bail!(
            "cannot migrate: nothing was written\n  {}",
            failures.join("\n  ")
        );
    }
    for r in &records {
        session.store.put_resource(&session.stack, r).await?;
        printer.err(format!("{}: adopted {}", r.address, r.cloud_id));
    }
    record_data_sources(&session.store, &session.stack, &data).await?;
    for inst in instances.iter().filter(|i| i.tainted) {
        printer.err(format!(
            "{}: {} was tainted in Terraform; `infra apply --replace '{}'` replaces it",
            printer.yellow("warning"),
            inst.address,
            inst.address
        ));
    }
    printer.out(format!(
        "Migrated {} resource(s) from the {origin} into stack `{}`. Nothing was created or changed in the cloud; run `infra plan` to compare them with the configuration.",
        records.len(),
        session.stack
    ));
    printer.out(api_calls_line(&provider.api_calls()));
    Ok(0)
}
