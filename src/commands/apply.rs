//! `infra apply [PLANFILE]` and `infra destroy`.

use std::collections::BTreeMap;
use std::sync::Arc;

use infra_apply::{ApplyOptions, ApplyReport, Shutdown};
use infra_model::{Address, Value};
use infra_plan::Plan;
use infra_provider::Provider;

use crate::cli::{ApplyArgs, DestroyArgs, PlanningArgs, RunArgs, StackArgs, StateArgs};
use crate::commands::common::{api_calls_line, prepare, render_outputs, Mode};
use crate::engine::events::render_events;
use crate::engine::persist::StorePersist;
use crate::engine::planfile::PlanFile;
use crate::engine::resolver::StackResolver;
use crate::engine::{load_stack, outputs, session, LoadedStack, Session};
use crate::printer::Printer;
use crate::Reported;

pub async fn run(args: ApplyArgs, printer: Printer) -> anyhow::Result<u8> {
    match &args.plan_file {
        Some(path) => {
            refuse_planning_flags(&args)?;
            apply_saved(path, &args, printer).await
        }
        None => {
            plan_and_apply(
                &args.stack,
                &args.state,
                &args.planning,
                &args.run,
                false,
                printer,
            )
            .await
        }
    }
}

pub async fn destroy(args: DestroyArgs, printer: Printer) -> anyhow::Result<u8> {
    plan_and_apply(
        &args.stack,
        &args.state,
        &args.planning,
        &args.run,
        true,
        printer,
    )
    .await
}

async fn plan_and_apply(
    stack: &StackArgs,
    state: &StateArgs,
    planning: &PlanningArgs,
    run: &RunArgs,
    destroy: bool,
    printer: Printer,
) -> anyhow::Result<u8> {
    let loaded = load_stack(stack, &printer)?;
    if !destroy {
        crate::commands::validate::preflight(&loaded, &printer)?;
    }
    let operation = if destroy { "destroy" } else { "apply" };
    let session = Session::lock(state, &loaded.name, operation, &printer).await?;
    // from here on a signal must release the lock: listen before refreshing
    let mut signals = Signals::new();
    let result = async {
        let prepared = or_interrupted(
            &mut signals,
            &printer,
            prepare(
                &loaded,
                &session,
                planning,
                destroy,
                Mode::Apply,
                None,
                &printer,
            ),
        )
        .await?;
        if let Some(text) = crate::commands::common::imports_text(&prepared.refreshed) {
            printer.out(text);
        }
        printer.out(infra_plan::render_text(&prepared.plan, printer.color));
        if !prepared.plan.has_changes() && !prepared.refreshed.imported.is_empty() {
            or_interrupted(&mut signals, &printer, confirm(run, destroy, &printer)).await?;
            record_imports(&session, &prepared.refreshed, &printer).await?;
        }
        if !prepared.plan.has_changes() {
            // nothing to do, but rows of objects that are gone must still go
            crate::engine::refresh::forget_gone(
                &session.store,
                &session.stack,
                &prepared.refreshed,
            )
            .await?;
            let mut values = prepared.refreshed.values.clone();
            values.extend(prepared.data.clone());
            let clock = crate::engine::clock::apply_clock();
            if destroy {
                // a destroy killed after its last delete left the data sources' rows
                forget_data_sources(&session).await?;
                outputs::persist_after_destroy(
                    &loaded,
                    &session.store,
                    &session.stack,
                    &values,
                    &clock,
                )
                .await?;
            } else {
                outputs::persist(&loaded, &session.store, &session.stack, &values, &clock).await?;
            }
            print_outputs(&loaded, &prepared.refreshed.values, &clock, &printer);
            printer.out(api_calls_line(&prepared.provider.api_calls()));
            return Ok(0);
        }
        or_interrupted(&mut signals, &printer, confirm(run, destroy, &printer)).await?;
        // `moved` blocks: the rows take their new addresses before anything else is written
        crate::engine::moved::rename_in_state(
            &session.store,
            &session.stack,
            &prepared.plan.moves(),
        )
        .await?;
        // `removed` blocks with destroy = false: the rows go, the objects stay
        crate::engine::moved::forget_in_state(&session.store, &session.stack, &prepared.plan)
            .await?;
        record_imports(&session, &prepared.refreshed, &printer).await?;
        // write back what refresh learned, so the state matches the cloud
        for record in &prepared.refreshed.changed {
            session.store.put_resource(&session.stack, record).await?;
        }
        crate::engine::refresh::forget_gone(&session.store, &session.stack, &prepared.refreshed)
            .await?;
        let mut prior = prepared.refreshed.values.clone();
        prior.extend(prepared.data.clone());
        execute(
            signals,
            &loaded,
            &session,
            &prepared.plan,
            prior,
            prepared.data.clone(),
            prepared.provider.clone(),
            run,
            operation,
            &printer,
        )
        .await
    }
    .await;
    session.release().await?;
    result
}

/// Record what the stack's `import` blocks brought in.
async fn record_imports(
    session: &Session,
    refreshed: &crate::engine::refresh::Refreshed,
    printer: &Printer,
) -> anyhow::Result<()> {
    for record in &refreshed.imported {
        session.store.put_resource(&session.stack, record).await?;
        printer.out(format!("{}: imported {}", record.address, record.cloud_id));
    }
    Ok(())
}

/// A saved plan applies exactly as it was made: flags that would change it are refused
/// rather than silently ignored.
fn refuse_planning_flags(args: &ApplyArgs) -> anyhow::Result<()> {
    let mut given = Vec::new();
    if !args.planning.targets.is_empty() {
        given.push("--target");
    }
    if !args.planning.replace.is_empty() {
        given.push("--replace");
    }
    if !args.planning.refresh {
        given.push("--refresh=false");
    }
    if !args.stack.vars.is_empty() {
        given.push("--var");
    }
    if !args.stack.var_files.is_empty() {
        given.push("--var-file");
    }
    if !given.is_empty() {
        anyhow::bail!(
            "{} cannot be used when applying a saved plan, which applies exactly as it was made; pass {} to `infra plan --out FILE` instead",
            given.join(", "),
            if given.len() == 1 { "it" } else { "them" }
        );
    }
    Ok(())
}

async fn apply_saved(
    path: &std::path::Path,
    args: &ApplyArgs,
    printer: Printer,
) -> anyhow::Result<u8> {
    let file = PlanFile::read(path)?;
    let stack_args = StackArgs {
        stack: file.stack_dir.clone(),
        stack_name: Some(file.stack.clone()),
        vars: Vec::new(),
        var_files: file.var_files.clone(),
    };
    let requested = crate::engine::stack_name(&args.stack.stack, args.stack.stack_name.as_deref())?;
    let explicit_stack =
        args.stack.stack_name.is_some() || args.stack.stack != std::path::Path::new(".");
    if explicit_stack && requested != file.stack {
        anyhow::bail!("the plan in {} was made for stack `{}`, not `{requested}`; a saved plan applies only to its own stack", path.display(), file.stack);
    }
    // reload the stack exactly as the plan saw it
    let mut input_args = stack_args.clone();
    input_args.vars = file.vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
    // plantimestamp() is the plan's time during its apply
    let plan_time = file
        .plan_timestamp
        .as_deref()
        .map(crate::engine::clock::parse)
        .transpose()?;
    let loaded = crate::engine::load::load_stack_with_env(
        &input_args,
        file.env_vars.clone(),
        plan_time,
        &printer,
    )?;
    if loaded.digest != file.digest {
        anyhow::bail!("the stack's files or variables changed since the plan in {} was made; run `infra plan --out` again", path.display());
    }
    let operation = if file.destroy { "destroy" } else { "apply" };
    let session = Session::lock(&args.state, &loaded.name, operation, &printer).await?;
    let mut signals = Signals::new();
    let result = async {
        let meta = session.store.stack(&loaded.name).await?;
        // a plan made before the state file existed carries no lineage: it still applies
        // while the stack has never been changed
        let fresh = file.lineage.is_empty() && meta.serial == 0;
        if !fresh && (meta.lineage.to_string() != file.lineage || meta.serial != file.serial) {
            anyhow::bail!(
                "the state of stack `{}` changed since the plan in {} was made (serial {} then, {} now); run `infra plan --out` again",
                loaded.name,
                path.display(),
                file.serial,
                meta.serial
            );
        }
        let plan = file.plan()?;
        crate::engine::moved::rename_in_state(&session.store, &session.stack, &plan.moves())
            .await?;
        crate::engine::moved::forget_in_state(&session.store, &session.stack, &plan).await?;
        let (provider, prior, data) = or_interrupted(&mut signals, &printer, async {
            let provider =
                session::provider(&loaded.stack, &session).await?;
            let refreshed =
                crate::engine::refresh::refresh(&session.store, &session.stack, None).await?;
            let data: BTreeMap<Address, Value> = refreshed
                .values
                .iter()
                .filter(|(a, _)| a.mode == infra_model::Mode::Data)
                .map(|(a, v)| (a.clone(), v.clone()))
                .collect();
            let data = if data.is_empty() {
                crate::engine::refresh::read_data_sources(
                    &loaded.stack,
                    &refreshed.values,
                    provider.as_ref(),
                )
                .await?
            } else {
                data
            };
            let mut prior = refreshed.values.clone();
            prior.extend(data.clone());
            Ok((provider, prior, data))
        })
        .await?;
        execute(
            signals, &loaded, &session, &plan, prior, data, provider, &args.run, operation,
            &printer,
        )
        .await
    }
    .await;
    session.release().await?;
    result
}

/// Run `work` (refresh, planning, the confirmation prompt) unless SIGINT/SIGTERM comes
/// first: then nothing has changed yet, so stop at once; the caller releases the lock.
async fn or_interrupted<T>(
    signals: &mut Signals,
    printer: &Printer,
    work: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    tokio::select! {
        result = work => result,
        _ = signals.recv() => {
            printer.err("Interrupt received before any change was made: stopping and releasing the lock");
            Err(Reported(130).into())
        }
    }
}

async fn confirm(run: &RunArgs, destroy: bool, printer: &Printer) -> anyhow::Result<()> {
    if run.auto_approve {
        return Ok(());
    }
    let verb = if destroy { "destroy" } else { "apply" };
    if !printer.interactive() {
        anyhow::bail!("{verb} needs confirmation and there is no terminal to ask on; rerun with --auto-approve, or save a plan with `infra plan --out FILE` and apply it");
    }
    printer.out(format!(
        "Do you want to {verb} these changes? Only 'yes' will be accepted."
    ));
    // read on a blocking thread, so that Ctrl-C at the prompt is heard (or_interrupted)
    let answer = tokio::task::spawn_blocking(|| {
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).map(|_| answer)
    })
    .await??;
    if answer.trim() != "yes" {
        printer.err(format!("{verb} cancelled"));
        return Err(Reported(1).into());
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn execute(
    signals: Signals,
    loaded: &LoadedStack,
    session: &Session,
    plan: &Plan,
    prior: BTreeMap<Address, Value>,
    data: BTreeMap<Address, Value>,
    provider: Arc<dyn Provider>,
    run: &RunArgs,
    operation: &str,
    printer: &Printer,
) -> anyhow::Result<u8> {
    let mut history = infra_state::HistoryEntry::start(session.stack.clone(), operation);
    let run_id = history.id.clone();
    let persist = Arc::new(StorePersist {
        store: session.store.clone(),
        stack: session.stack.clone(),
        run_id: run_id.clone(),
    });
    let resolver = StackResolver {
        stack: &loaded.stack,
    };
    let shutdown = Shutdown::new();
    let signals = tokio::spawn(watch_signals(signals, shutdown.clone(), *printer));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let renderer = tokio::spawn(render_events(rx, *printer));
    let mut opts = ApplyOptions::new(session.stack.clone(), run_id.clone());
    opts.parallelism = run.parallelism as usize;
    opts.default_tags = loaded.stack.default_tags();
    // Terraform's cadence on a terminal; a quieter plain line every 30 s in CI logs
    opts.waiting_interval = if printer.stdout_tty {
        std::time::Duration::from_secs(10)
    } else {
        std::time::Duration::from_secs(30)
    };
    let report: ApplyReport = infra_apply::apply(
        plan,
        prior,
        &resolver,
        provider.clone(),
        persist,
        opts,
        shutdown.clone(),
        tx,
    )
    .await;
    signals.abort();
    let _ = renderer.await;

    // data sources are kept in the state, so `infra output` works offline
    if report.success() && operation == "apply" {
        // with those read during apply (their arguments were known only then)
        let mut data = data.clone();
        data.extend(
            report
                .values
                .iter()
                .filter(|(a, _)| a.mode == infra_model::Mode::Data)
                .map(|(a, v)| (a.clone(), v.clone())),
        );
        crate::engine::persist::record_data_sources(&session.store, &session.stack, &data).await?;
    }
    // one apply-time clock for what is evaluated after apply, so that an output of
    // `timestamp()` or `uuid()` is recorded and printed with the same value
    let clock = crate::engine::clock::apply_clock();
    if operation == "destroy" && report.success() {
        forget_data_sources(session).await?;
        outputs::persist_after_destroy(
            loaded,
            &session.store,
            &session.stack,
            &report.values,
            &clock,
        )
        .await?;
    }
    // what other stacks read with `data "terraform_remote_state"`
    if report.success() && operation == "apply" {
        outputs::persist(
            loaded,
            &session.store,
            &session.stack,
            &report.values,
            &clock,
        )
        .await?;
    }
    // postconditions, output preconditions and `check` blocks, on what the cloud returned
    let conditions = if report.success() && operation == "apply" {
        infra_lang::with_clock(Some(clock.clone()), || {
            loaded.stack.check_after_apply(&report.values)
        })
    } else {
        Vec::new()
    };
    crate::engine::load::report(&conditions, &loaded.sources, printer);
    let conditions_failed = conditions.iter().any(|d| d.is_error());
    let (add, change, destroy) = plan.summary();
    use infra_state::HistoryStatus;
    let status = if report.interrupted {
        HistoryStatus::Interrupted
    } else if report.success() && !conditions_failed {
        HistoryStatus::Ok
    } else {
        HistoryStatus::Failed
    };
    let summary = serde_json::json!({
        "planned": { "add": add, "change": change, "destroy": destroy },
        "completed": report.completed.iter().map(|(s, _)| format!("{:?} {}", s.kind, s.address).to_lowercase()).collect::<Vec<_>>(),
        "failed": report.failed.iter().map(|(s, e)| serde_json::json!({"address": s.address.to_string(), "error": e})).collect::<Vec<_>>(),
        "skipped": report.skipped.iter().map(|s| s.address.to_string()).collect::<Vec<_>>(),
        "api_calls": provider.api_calls().0,
        "moved": plan.moves().iter().map(|(o, n)| format!("{o} -> {n}")).collect::<Vec<_>>(),
        "forgotten": plan.forgets().iter().map(|c| c.address.to_string()).collect::<Vec<_>>(),
    });
    history.serial = session.store.stack(&session.stack).await?.serial;
    history.finished_at = std::time::SystemTime::now().into();
    history.status = status;
    history.summary = summary;
    session.store.record_history(&history).await?;

    let calls = provider.api_calls();
    if !report.failed.is_empty() || !report.skipped.is_empty() || report.interrupted {
        printer.err("");
        for (step, err) in &report.failed {
            printer.err(format!(
                "{}: {} failed: {err}",
                printer.red("error"),
                step.address
            ));
        }
        for step in &report.skipped {
            printer.err(format!(
                "skipped {}: it depends on something that failed",
                step.address
            ));
        }
        for step in &report.not_started {
            printer.err(format!("not started {}: interrupted", step.address));
        }
        printer.err(format!(
            "{} {}: {} operations completed and recorded in the state, {} failed, {} skipped{}; rerun to continue",
            printer.red("Error:"),
            operation,
            report.completed.len(),
            report.failed.len(),
            report.skipped.len() + report.not_started.len(),
            if report.interrupted { ", interrupted" } else { "" }
        ));
        printer.out(api_calls_line(&calls));
        return Ok(if report.interrupted { 130 } else { 1 });
    }
    if conditions_failed {
        printer.err(format!(
            "{} apply: every change is recorded in the state, but a postcondition failed (above); fix what it checks and apply again",
            printer.red("Error:")
        ));
        printer.out(api_calls_line(&calls));
        return Ok(1);
    }
    let forgotten = match plan.forgets().len() {
        0 => String::new(),
        n => format!(", {n} forgotten (left in AWS)"),
    };
    let done = if operation == "destroy" {
        format!("Destroy complete! Resources: {destroy} destroyed{forgotten}.")
    } else {
        format!("Apply complete! Resources: {add} added, {change} changed, {destroy} destroyed{forgotten}.")
    };
    printer.out(format!("\n{}", printer.green(&done)));
    if operation == "apply" {
        print_outputs(loaded, &report.values, &clock, printer);
    }
    printer.out(api_calls_line(&calls));
    Ok(0)
}

/// Once a stack is destroyed, the data sources kept for `infra output` go too.
async fn forget_data_sources(session: &Session) -> anyhow::Result<()> {
    for rec in session.store.resources(&session.stack).await? {
        if rec.mode == "data" {
            session
                .store
                .remove_resource(&session.stack, &rec.address, None)
                .await?;
        }
    }
    Ok(())
}

fn print_outputs(
    loaded: &LoadedStack,
    values: &BTreeMap<Address, Value>,
    clock: &infra_lang::ApplyClock,
    printer: &Printer,
) {
    let outputs = outputs::after_apply(loaded, values, clock);
    if !outputs.is_empty() {
        printer.out(format!("\nOutputs:\n\n{}", render_outputs(&outputs)));
    }
}

/// First Ctrl-C / SIGTERM: stop starting new work and let in-flight operations finish.
/// Second: exit at once; the intents already committed let the next run adopt.
async fn watch_signals(mut signals: Signals, shutdown: Shutdown, printer: Printer) {
    let mut count = 0;
    loop {
        signals.recv().await;
        count += 1;
        if count == 1 {
            printer.err("Interrupt received: starting nothing new, waiting for operations in flight to finish (interrupt again to stop at once)");
            shutdown.trigger();
        } else {
            printer
                .err("Second interrupt: stopping now. Rerun to adopt anything created meanwhile.");
            std::process::exit(130);
        }
    }
}

/// SIGINT and SIGTERM, registered once for the whole apply: a listener made anew after
/// each signal would miss a second one that arrives while the first is being handled.
struct Signals {
    #[cfg(unix)]
    streams: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn new() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let streams = match (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) {
                (Ok(term), Ok(int)) => Some((term, int)),
                _ => None,
            };
            Signals { streams }
        }
        #[cfg(not(unix))]
        {
            Signals {}
        }
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        {
            let Some((term, int)) = self.streams.as_mut() else {
                std::future::pending::<()>().await;
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
