//! Steps shared by plan, apply and destroy.

use std::collections::BTreeMap;
use std::sync::Arc;

use infra_model::{Address, Value};
use infra_plan::Plan;
use infra_provider::{ApiCalls, Provider};

use crate::cli::PlanningArgs;
use crate::engine::load::report;
use crate::engine::planning::{make_plan, parse_addresses, PlanRequest};
use crate::engine::refresh::{self, Refreshed};
use crate::engine::{session, LoadedStack, Session};
use crate::printer::Printer;
use crate::Reported;

/// Whether the command only looks (plan) or goes on to change things (apply, destroy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Plan,
    Apply,
}

pub struct Prepared {
    pub plan: Plan,
    pub refreshed: Refreshed,
    pub data: BTreeMap<Address, Value>,
    pub provider: Arc<dyn Provider>,
}

/// Whether planning reads the state's values after the refresh: to evaluate the root
/// outputs as they were, to read data sources, or to import.
fn reads_state_values(stack: &infra_config::Stack) -> bool {
    stack.output_names().next().is_some()
        || !stack.import_blocks().is_empty()
        || stack
            .resources()
            .any(|r| r.address.mode == infra_model::Mode::Data)
}

/// Reconcile intents, refresh, read data sources and plan.
pub async fn prepare(
    loaded: &LoadedStack,
    session: &Session,
    planning: &PlanningArgs,
    destroy: bool,
    mode: Mode,
    snapshot: Option<infra_state::Snapshot>,
    printer: &Printer,
) -> anyhow::Result<Prepared> {
    let timer = crate::engine::clock::Phases::start();
    // the providers are made (TLS set up per region) while the state is read on a thread
    // of its own: the rows first, 10,000 take ~0.03 s to read and decode, again only
    // when an interrupted run's objects were adopted or finished waiting, which rewrites
    // rows
    let reading = {
        let (store, stack) = (session.store.clone(), session.stack.clone());
        // the rows `plan` read while it validated, if no one wrote since (nor migrated the
        // file when it was opened)
        let snapshot = snapshot.filter(|_| store.migration_backup().is_none());
        tokio::spawn(async move {
            if let Some(snapshot) = snapshot {
                if store.stack_version(&stack).await? == Some(snapshot.version) {
                    return Ok(snapshot.records);
                }
                tracing::debug!(
                    "the state changed while the stack was validated: reading it again"
                );
            }
            store.resources_decoded(&stack).await
        })
    };
    let routed = session::routed(&loaded.stack, session).await;
    let records = match reading.await {
        Ok(read) => read,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(anyhow::anyhow!("reading the state was cancelled: {e}"))?,
    };
    let session::Routed { provider, regions } = routed?;
    let mut records = records?;
    timer.lap("make the providers and read the state");
    let req = PlanRequest {
        destroy,
        targets: parse_addresses(&planning.targets)?,
        replace: parse_addresses(&planning.replace)?,
        regions,
    };
    refresh::check_provider_configs(&loaded.stack, &records)?;
    refresh::register_prior_secrets(&loaded.stack, &records);
    let mut rewritten =
        refresh::reconcile_intents(&session.store, &session.stack, provider.as_ref(), printer)
            .await?;
    if mode == Mode::Apply {
        rewritten += refresh::resume_waits(
            &session.store,
            &session.stack,
            provider.as_ref(),
            printer,
            destroy,
        )
        .await?;
    }
    if rewritten > 0 {
        records = session.store.resources_decoded(&session.stack).await?;
    }
    let mut refreshed = refresh::refresh_records_keeping(
        records,
        planning.refresh.then_some(provider.as_ref()),
        mode == Mode::Apply || reads_state_values(&loaded.stack),
    )
    .await?;
    timer.lap("refresh");
    let (moved, diags) = crate::engine::moved::apply_moves(&loaded.stack, &mut refreshed);
    if diags.iter().any(|d| d.is_error()) {
        report(&diags, &loaded.sources, printer);
        return Err(Reported(1).into());
    }
    refreshed.moved = moved;
    let (data, data_args) =
        refresh::read_data_sources_with_args(&loaded.stack, &refreshed.values, provider.as_ref())
            .await?;
    if !destroy {
        refresh::import_blocks(&loaded.stack, &mut refreshed, &data, provider.as_ref()).await?;
    }
    // the planner owns the prior instances (nothing reads them after planning)
    let prior = std::mem::take(&mut refreshed.prior);
    let mut before = crate::engine::planning::outputs_before(loaded, &refreshed);
    // an output only apply knows (`timestamp()`, `uuid()`) was what the last apply
    // recorded: the plan shows it changing to `(known after apply)`, as Terraform does
    if before.values().any(|o| !o.value.is_wholly_known()) {
        if let Some(recorded) = session.store.outputs(&session.stack).await? {
            for (name, o) in before.iter_mut() {
                if let Some(r) = recorded.get(name).filter(|_| !o.value.is_wholly_known()) {
                    o.value = Value::from_json(&r.value).mark_if(o.sensitive);
                }
            }
        }
    }
    if mode == Mode::Plan {
        // nothing reads the state's values after this in a plan: one copy of every
        // object fewer while the walk makes the planned ones (a fifth of the peak memory
        // at 10,000 resources)
        drop(std::mem::take(&mut refreshed.values));
    }
    timer.lap("data sources, imports, outputs before");
    let (plan, diags) = make_plan(loaded, prior, before, &refreshed, &data, &data_args, &req);
    timer.lap("plan");
    report(&diags, &loaded.sources, printer);
    if diags.iter().any(|d| d.is_error()) {
        return Err(Reported(1).into());
    }
    Ok(Prepared {
        plan,
        refreshed,
        data,
        provider,
    })
}

/// `API calls: 12 (ec2:DescribeSubnets 1, ...)`
pub fn api_calls_line(calls: &ApiCalls) -> String {
    let detail: Vec<String> = calls.0.iter().map(|(op, n)| format!("{op} {n}")).collect();
    if detail.is_empty() {
        "API calls: 0".to_string()
    } else {
        format!("API calls: {} ({})", calls.total(), detail.join(", "))
    }
}

/// Render outputs the way Terraform prints them after an apply.
pub fn render_outputs(outputs: &BTreeMap<String, infra_config::OutputValue>) -> String {
    let mut s = String::new();
    let width = outputs.keys().map(|k| k.len()).max().unwrap_or(0);
    for (name, out) in outputs {
        let v = if out.sensitive {
            "(sensitive value)".to_string()
        } else {
            out.value.to_string()
        };
        s.push_str(&format!("{name:width$} = {v}\n"));
    }
    s
}

/// `# aws_vpc.main will be imported (vpc-0abc)` for each `import` block that plan or apply
/// brings in, and the count, before the plan itself.
pub fn imports_text(refreshed: &Refreshed) -> Option<String> {
    if refreshed.imported.is_empty() {
        return None;
    }
    let mut s = String::new();
    for r in &refreshed.imported {
        s.push_str(&format!(
            "  # {} will be imported (id {})\n",
            r.address, r.cloud_id
        ));
    }
    s.push_str(&format!(
        "Import: {} to import.\n",
        refreshed.imported.len()
    ));
    Some(s)
}
