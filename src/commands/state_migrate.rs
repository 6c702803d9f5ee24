//! `infra state migrate --from A --to B`: copy stacks between two states (a SQLite file
//! and a PostgreSQL database, either way), under both stacks' locks, and verify the copy.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use infra_state::{StateLocation, Store};

use crate::engine::stack_name;
use crate::printer::Printer;

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// The state to copy from: a SQLite file or postgres://user:password@host/db
    #[arg(long, value_name = "PATH|URL")]
    pub from: String,
    /// The state to copy into (created or migrated on first use)
    #[arg(long, value_name = "PATH|URL")]
    pub to: String,
    /// The stack directory; its name keys the state rows
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub stack: PathBuf,
    /// The stack's name in the state (default: the directory's name)
    #[arg(long, value_name = "NAME", conflicts_with = "all_stacks")]
    pub stack_name: Option<String>,
    /// Copy every stack of --from
    #[arg(long)]
    pub all_stacks: bool,
    /// Replace a stack that already has resources or history in --to
    #[arg(long)]
    pub force: bool,
    /// Wait this long for each stack's lock instead of failing at once (e.g. `30s`)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub lock_timeout: Option<Duration>,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s)
        .map_err(|e| format!("invalid duration `{s}`: {e}; write it like `30s` or `2m`"))
}

fn location(text: &str, flag: &str) -> anyhow::Result<StateLocation> {
    let location = StateLocation::parse(text).with_context(|| format!("reading {flag}"))?;
    for secret in location.secret() {
        crate::redact::register(&secret);
    }
    Ok(location)
}

pub async fn run(args: MigrateArgs, printer: &Printer) -> anyhow::Result<u8> {
    let from = location(&args.from, "--from")?;
    let to = location(&args.to, "--to")?;
    if from == to {
        anyhow::bail!("--from and --to are the same state ({from}); name another one to copy into");
    }
    if let StateLocation::File(path) = &from {
        if !path.exists() {
            anyhow::bail!(
                "there is no state file at {} (--from); check the path",
                path.display()
            );
        }
    }
    let source = Store::open_location(&from).await?;
    let target = match Store::open_location(&to).await {
        Ok(t) => t,
        Err(e) => {
            source.close().await;
            return Err(e.into());
        }
    };
    let result = copy_all(&args, &source, &target, &from, &to, printer).await;
    source.close().await;
    target.close().await;
    result
}

async fn copy_all(
    args: &MigrateArgs,
    source: &Store,
    target: &Store,
    from: &StateLocation,
    to: &StateLocation,
    printer: &Printer,
) -> anyhow::Result<u8> {
    let stacks: Vec<String> = if args.all_stacks {
        source
            .list_stacks()
            .await?
            .into_iter()
            .map(|s| s.name)
            .collect()
    } else {
        vec![stack_name(&args.stack, args.stack_name.as_deref())?]
    };
    if stacks.is_empty() {
        anyhow::bail!("{from} holds no stacks; there is nothing to migrate");
    }
    for name in &stacks {
        if source.find_stack(name).await?.is_none() {
            anyhow::bail!(
                "stack `{name}` is not in {from}; see `infra state list --state {from}`, or pass --stack-name"
            );
        }
    }
    for name in &stacks {
        let summary = copy_one(args, source, target, name).await?;
        printer.out(format!(
            "Copied stack `{name}` from {from} to {to}: {summary}."
        ));
    }
    printer.out(format!(
        "{from} is unchanged. Point every client at the new state (--state or INFRA_STATE) before the next apply."
    ));
    Ok(0)
}

/// Copy one stack under both of its locks; returns what was copied.
async fn copy_one(
    args: &MigrateArgs,
    source: &Store,
    target: &Store,
    name: &str,
) -> anyhow::Result<String> {
    let src_lock = source
        .lock(name, "state migrate", args.lock_timeout)
        .await?;
    let copied = async {
        let dst_lock = target
            .lock(name, "state migrate", args.lock_timeout)
            .await?;
        let done = copy_locked(args, source, target, name).await;
        let unlocked = target.unlock(name, &dst_lock.info.id).await;
        let summary = done?;
        unlocked?;
        anyhow::Ok(summary)
    }
    .await;
    let unlocked = source.unlock(name, &src_lock.info.id).await;
    let summary = copied?;
    unlocked?;
    Ok(summary)
}

async fn copy_locked(
    args: &MigrateArgs,
    source: &Store,
    target: &Store,
    name: &str,
) -> anyhow::Result<String> {
    let existing = target.resources(name).await?.len() + target.history(name).await?.len();
    if existing > 0 && !args.force {
        anyhow::bail!(
            "stack `{name}` already has {existing} resource(s) and history entries in the target state; migrate into an empty one, or pass --force to replace them"
        );
    }
    let document = source.export_stack(name).await?;
    target.import_stack(name, &document).await?;
    // read it back: the copy must be the same document (but for the writer's version)
    let copy = target.export_stack(name).await?;
    if without_version(&copy) != without_version(&document) {
        anyhow::bail!(
            "the copy of stack `{name}` does not read back as it was written; the source is unchanged, retry, and run `infra state check` on the target"
        );
    }
    let count = |key: &str| {
        document
            .get(key)
            .and_then(serde_json::Value::as_array)
            .map_or(0, Vec::len)
    };
    let stack = &document["stack"];
    Ok(format!(
        "{} resource(s), {} open intent(s), {} history entr(ies), {} output(s), serial {}, lineage {}",
        count("resources"),
        count("intents"),
        count("history"),
        count("outputs"),
        stack["serial"],
        stack["lineage"].as_str().unwrap_or("?")
    ))
}

fn without_version(doc: &serde_json::Value) -> serde_json::Value {
    let mut doc = doc.clone();
    if let Some(map) = doc.as_object_mut() {
        map.remove("infra_version");
    }
    doc
}
