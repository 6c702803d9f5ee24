//! `infra state list|show|rm|history` and `infra force-unlock`.

use crate::cli::{ForceUnlockArgs, StateCmdArgs, StateCommand};
use crate::engine::{stack_name, Session};
use crate::printer::Printer;

pub async fn run(cmd: StateCommand, printer: Printer) -> anyhow::Result<u8> {
    match cmd {
        StateCommand::Rebuild(args) => crate::commands::state_recover::rebuild(args, printer).await,
        StateCommand::MigrateFromTerraform(args) => {
            crate::commands::state_recover::migrate(args, printer).await
        }
        StateCommand::List(args) => {
            let (session, _) = open(&args, false, &printer).await?;
            let records = session.store.resources(&session.stack).await;
            session.release().await?;
            let records = records?;
            if args.json {
                let rows: Vec<_> = records.iter().map(|r| serde_json::json!({"address": r.address, "id": r.cloud_id, "type": r.type_name, "mode": r.mode, "deposed": r.deposed})).collect();
                printer.out(serde_json::to_string_pretty(&rows)?);
            } else {
                for r in records {
                    match &r.deposed {
                        Some(d) => printer.out(format!("{} (deposed {d})", r.address)),
                        None => printer.out(&r.address),
                    }
                }
            }
            Ok(0)
        }
        StateCommand::Show { address, args } => {
            let (session, _) = open(&args, false, &printer).await?;
            let found = session.store.resource(&session.stack, &address).await;
            let stack = session.stack.clone();
            session.release().await?;
            let Some(r) = found? else {
                anyhow::bail!(
                    "no resource `{address}` in the state of stack `{stack}`; see `infra state list`"
                );
            };
            if args.json {
                printer.out(serde_json::to_string_pretty(&serde_json::json!({"address": r.address, "id": r.cloud_id, "type": r.type_name, "attributes": r.attributes, "dependencies": r.dependencies, "status": format!("{:?}", r.status).to_lowercase(), "created_at": infra_state::rfc3339(r.created_at), "updated_at": infra_state::rfc3339(r.updated_at)}))?);
            } else {
                printer.out(format!(
                    "# {}  (id {}, {:?})",
                    r.address, r.cloud_id, r.status
                ));
                let v = infra_model::Value::from_json(&r.attributes);
                // what the schema marks sensitive (a password, a private key) is masked,
                // as Terraform's `state show` does; `--json` and `infra output` show it
                let mode = if r.mode == "data" {
                    infra_model::Mode::Data
                } else {
                    infra_model::Mode::Managed
                };
                let schema = infra_model::schema::lookup(mode, &r.type_name);
                let sensitive = |k: &str| {
                    schema
                        .and_then(|s| s.attribute(k))
                        .is_some_and(|a| a.sensitive)
                };
                if let Some(m) = v.as_map() {
                    let width = m.keys().map(|k| k.len()).max().unwrap_or(0);
                    for (k, v) in m {
                        if sensitive(k) && !v.is_null() {
                            printer.out(format!("  {k:width$} = (sensitive value)"));
                        } else {
                            printer.out(format!("  {k:width$} = {v}"));
                        }
                    }
                }
                if !r.dependencies.is_empty() {
                    printer.out(format!("  # depends on: {}", r.dependencies.join(", ")));
                }
            }
            Ok(0)
        }
        StateCommand::Rm { address, args } => {
            let (session, _) = open(&args, true, &printer).await?;
            let removed = session
                .store
                .remove_resource(&session.stack, &address, None)
                .await;
            session.release().await?;
            if !removed? {
                anyhow::bail!("no resource `{address}` in the state; see `infra state list`");
            }
            printer.out(format!("Removed {address} from the state. It still exists in the cloud; infra no longer manages it."));
            Ok(0)
        }
        StateCommand::Export { args, out } => {
            let (session, _) = open(&args, false, &printer).await?;
            let doc = session.store.export_stack(&session.stack).await;
            let stack = session.stack.clone();
            session.release().await?;
            let text = serde_json::to_string_pretty(&doc?)?;
            match out {
                Some(path) => {
                    std::fs::write(&path, text + "\n")
                        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
                    printer.err(format!(
                        "Exported the state of stack `{stack}` to {}.",
                        path.display()
                    ));
                }
                None => printer.out(text),
            }
            Ok(0)
        }
        StateCommand::Import { file, args } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!(
                    "{} is not a state export ({e}); make one with `infra state export`",
                    file.display()
                )
            })?;
            let (session, _) = open(&args, true, &printer).await?;
            let imported = session.store.import_stack(&session.stack, &doc).await;
            let stack = session.stack.clone();
            session.release().await?;
            imported?;
            printer.out(format!(
                "Imported {} into the state of stack `{stack}`.",
                file.display()
            ));
            Ok(0)
        }
        StateCommand::Check(args) => {
            let (session, _) = open(&args, false, &printer).await?;
            let problems = session.store.check().await;
            session.release().await?;
            let problems = problems?;
            if problems.is_empty() {
                printer.out("The state file passed SQLite's integrity check and every reference between rows resolves.");
                return Ok(0);
            }
            for p in &problems {
                printer.err(format!("{}: {p}", printer.red("problem")));
            }
            printer.err(format!("{} problem(s) found; restore a backup (state/README.md) or fix the rows named above", problems.len()));
            Ok(1)
        }
        StateCommand::Migrate(args) => crate::commands::state_migrate::run(args, &printer).await,
        StateCommand::History(args) => {
            let (session, _) = open(&args, false, &printer).await?;
            let entries = session.store.history(&session.stack).await;
            session.release().await?;
            let entries = entries?;
            if args.json {
                let rows: Vec<_> = entries
                    .iter()
                    .map(|h| serde_json::json!({"serial": h.serial, "operation": h.operation, "who": h.who, "started_at": infra_state::rfc3339(h.started_at), "finished_at": infra_state::rfc3339(h.finished_at), "status": format!("{:?}", h.status).to_lowercase(), "summary": h.summary}))
                    .collect();
                printer.out(serde_json::to_string_pretty(&rows)?);
            } else {
                for h in entries {
                    printer.out(format!(
                        "#{:<4} {}  {:<8} {:<12} by {}  {}",
                        h.serial,
                        infra_state::display_time(h.started_at),
                        h.operation,
                        format!("{:?}", h.status).to_lowercase(),
                        h.who,
                        h.summary
                            .get("planned")
                            .map(|p| p.to_string())
                            .unwrap_or_default()
                    ));
                }
            }
            Ok(0)
        }
    }
}

async fn open(
    args: &StateCmdArgs,
    lock: bool,
    printer: &Printer,
) -> anyhow::Result<(Session, String)> {
    let name = stack_name(&args.stack, args.stack_name.as_deref())?;
    let session = if lock {
        Session::lock(&args.state, &name, "state", printer).await?
    } else {
        Session::unlocked(&args.state, &name).await?
    };
    Ok((session, name))
}

pub async fn force_unlock(args: ForceUnlockArgs, printer: Printer) -> anyhow::Result<u8> {
    let name = stack_name(&args.stack, args.stack_name.as_deref())?;
    let store = crate::engine::session::open_store(&args.state).await?;
    // before removing it: once the row is gone, a PostgreSQL lease cannot be matched to it
    let gone = match store.current_lock(&name).await {
        Ok(Some(held)) if held.id == args.id.trim() => {
            store.lock_holder_gone(&held).await.unwrap_or(false)
        }
        _ => false,
    };
    let released = store.force_unlock(&name, &args.id).await;
    store.close().await;
    let info = released?;
    printer.out(format!("Released lock {} on stack `{name}`.", args.id));
    // tell whether the holder was gone, or whether a live run just lost its lock
    if gone {
        printer.out(format!(
            "The lock was stale: its holder ({} by {}, pid {}) is no longer running; the next run reconciles what it left behind.",
            info.operation, info.who, info.pid
        ));
    } else {
        printer.err(format!(
            "{}: its holder ({} by {} on {}, pid {}) may still be running; make sure it has stopped before changing the stack.",
            printer.yellow("warning"),
            info.operation,
            info.who,
            info.host,
            info.pid
        ));
    }
    Ok(0)
}
