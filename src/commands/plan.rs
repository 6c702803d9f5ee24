//! `infra plan`: show what apply would change; optionally save it, print JSON, or signal
//! changes through the exit code.

use crate::cli::{PlanArgs, PlanFormat};
use crate::commands::common::{api_calls_line, prepare, Mode};
use crate::engine::planfile::{PlanFile, FORMAT};
use crate::engine::{load_stack, Session};
use crate::printer::Printer;

pub async fn run(args: PlanArgs, printer: Printer) -> anyhow::Result<u8> {
    if args.refresh_only {
        return crate::commands::drift::from_plan(args, printer).await;
    }
    let timer = crate::engine::clock::Phases::start();
    let loaded = load_stack(&args.stack, &printer)?;
    timer.lap("load the stack");
    // the state's rows are read while the stack is validated, from the file as it is:
    // nothing is created, migrated or locked before the stack is known to be valid, and
    // the rows are used only if the stack's version is the same once the lock is held
    let snapshot = match args.state.location() {
        Ok(infra_state::StateLocation::File(path)) if path.is_file() => {
            let stack = loaded.name.clone();
            Some(tokio::spawn(async move {
                infra_state::Store::read_file_snapshot(&path, &stack).await
            }))
        }
        _ => None,
    };
    crate::commands::validate::preflight(&loaded, &printer)?;
    timer.lap("validate");
    let session = Session::for_plan(&args.state, &loaded.name, &printer).await?;
    timer.lap("open and lock the state");
    let snapshot = match snapshot {
        Some(reading) => {
            let read = reading.await.map_err(anyhow::Error::from);
            match read.and_then(|r| r.map_err(anyhow::Error::from)) {
                Ok(snapshot) => snapshot,
                // read again through the store, which reports what is wrong
                Err(e) => {
                    tracing::debug!("reading the state while validating: {e}");
                    None
                }
            }
        }
        None => None,
    };
    let result = plan(&args, &loaded, &session, snapshot, &printer).await;
    timer.lap("plan and show it");
    session.release().await?;
    timer.lap("unlock the state");
    result
}

async fn plan(
    args: &PlanArgs,
    loaded: &crate::engine::LoadedStack,
    session: &Session,
    snapshot: Option<infra_state::Snapshot>,
    printer: &Printer,
) -> anyhow::Result<u8> {
    let prepared = prepare(
        loaded,
        session,
        &args.planning,
        args.destroy,
        Mode::Plan,
        snapshot,
        printer,
    )
    .await?;
    let plan = &prepared.plan;
    let calls = prepared.provider.api_calls();
    let format = args.format.unwrap_or(if args.json {
        PlanFormat::Json
    } else {
        PlanFormat::Text
    });
    if args.markdown.is_some() || format == PlanFormat::Markdown {
        let md = markdown(&prepared, &loaded.name, &api_calls_line(&calls));
        if let Some(path) = &args.markdown {
            std::fs::write(path, crate::redact::clean(&md).as_bytes())
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        }
        if format == PlanFormat::Markdown {
            printer.out(md);
        }
    }
    if format == PlanFormat::Markdown {
        // printed above
    } else if format == PlanFormat::Json {
        let mut json = infra_plan::render_json(plan);
        json["infra"] = serde_json::json!({
            "stack": loaded.name,
            "api_calls": calls.0,
            "api_calls_total": calls.total(),
        });
        printer.out(serde_json::to_string_pretty(&json)?);
        printer.err(api_calls_line(&calls));
    } else {
        if let Some(text) = crate::commands::common::imports_text(&prepared.refreshed) {
            printer.out(text);
        }
        printer.out(infra_plan::render_text(plan, printer.color));
        printer.out(api_calls_line(&calls));
    }
    if let Some(out) = &args.out {
        let meta = session.store.stack(&loaded.name).await?;
        let file = PlanFile {
            format: FORMAT.to_string(),
            stack: loaded.name.clone(),
            stack_dir: std::fs::canonicalize(&args.stack.stack)?,
            // made before the state file existed: valid only while the stack has no state
            lineage: if session.ephemeral {
                String::new()
            } else {
                meta.lineage.to_string()
            },
            serial: meta.serial,
            digest: loaded.digest.clone(),
            var_files: args
                .stack
                .var_files
                .iter()
                .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
                .collect(),
            vars: loaded.input.cli_vars.clone(),
            env_vars: loaded.input.env_vars.clone(),
            destroy: args.destroy,
            plan_timestamp: loaded.input.plan_time.map(crate::engine::clock::format),
            plan: infra_plan::to_file_json(plan),
        };
        file.write(out)?;
        if format == PlanFormat::Text {
            printer.out(format!(
                "Saved the plan to {}. Apply exactly this plan with `infra apply {}`.",
                out.display(),
                out.display()
            ));
        }
    }
    let code = if args.detailed_exitcode
        && (plan.has_changes() || !prepared.refreshed.imported.is_empty())
    {
        2
    } else {
        0
    };
    // The plan and the state's values die with the process, which exits right after this
    // command: freeing them value by value was 4.5% of a no-op plan's instructions at
    // 10,000 resources. The provider is dropped as usual (its clients close).
    let crate::commands::common::Prepared {
        plan,
        refreshed,
        data,
        provider,
    } = prepared;
    std::mem::forget((plan, refreshed, data));
    drop(provider);
    Ok(code)
}

/// The plan as a pull-request comment, with what `import` blocks bring in.
fn markdown(prepared: &crate::commands::common::Prepared, stack: &str, calls: &str) -> String {
    let md = infra_plan::render_markdown(&prepared.plan, stack, calls);
    let imported = &prepared.refreshed.imported;
    if imported.is_empty() {
        return md;
    }
    let mut section = format!("**Import** ({})\n\n", imported.len());
    for r in imported {
        section.push_str(&format!("- `{}` from `{}`\n", r.address, r.cloud_id));
    }
    section.push('\n');
    // after the summary line
    match md.find("\n\n") {
        Some(i) => format!("{}\n\n{section}{}", &md[..i], &md[i + 2..]),
        None => format!("{md}\n{section}"),
    }
}
