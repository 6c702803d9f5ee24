//! Render the apply engine's events as Terraform-style progress lines, with the elapsed
//! time. The same plain lines work on a terminal and in CI logs.

use std::time::Duration;

use infra_apply::Event;
use infra_plan::StepKind;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::printer::Printer;

pub async fn render_events(mut rx: UnboundedReceiver<Event>, printer: Printer) {
    while let Some(event) = rx.recv().await {
        match event {
            Event::StepStarted { step } => {
                let verb = match step.kind {
                    StepKind::Create => "Creating...",
                    StepKind::Update => "Modifying...",
                    StepKind::Delete => "Destroying...",
                    StepKind::Read => "Reading...",
                    // the scheduler reports no barrier; nothing to print
                    StepKind::Barrier => continue,
                };
                let deposed = step
                    .deposed
                    .as_ref()
                    .map(|d| format!(" (deposed object {d})"))
                    .unwrap_or_default();
                printer.out(format!("{}{deposed}: {verb}", step.address));
            }
            Event::StepCompleted { step, elapsed, id } => {
                let what = match step.kind {
                    StepKind::Create => "Creation complete",
                    StepKind::Update => "Modifications complete",
                    StepKind::Delete => "Destruction complete",
                    StepKind::Read => "Read complete",
                    StepKind::Barrier => continue,
                };
                let id = id.map(|i| format!(" [id={i}]")).unwrap_or_default();
                printer.out(format!(
                    "{}: {what} after {}{id}",
                    step.address,
                    human(elapsed)
                ));
            }
            Event::StepFailed {
                step,
                elapsed,
                error,
            } => {
                let what = match step.kind {
                    StepKind::Create => "Creation",
                    StepKind::Update => "Modification",
                    StepKind::Delete => "Destruction",
                    StepKind::Read => "Read",
                    StepKind::Barrier => continue,
                };
                printer.err(format!(
                    "{}: {what} {} after {}: {error}",
                    step.address,
                    printer.red("failed"),
                    human(elapsed)
                ));
            }
            Event::StepSkipped { step, because } => {
                printer.err(format!(
                    "{}: skipped because {because} failed",
                    step.address
                ));
            }
            Event::Waiting {
                address,
                kind,
                elapsed,
                detail,
            } => {
                let verb = match kind {
                    StepKind::Delete => "Still destroying...",
                    StepKind::Update => "Still modifying...",
                    StepKind::Create | StepKind::Read | StepKind::Barrier => "Still creating...",
                };
                let detail = detail
                    .map(|d| format!(" (waiting: {d})"))
                    .unwrap_or_default();
                printer.out(format!(
                    "{address}: {verb} [{} elapsed]{detail}",
                    human(elapsed)
                ));
            }
            Event::Interrupted { in_flight } => {
                printer.err(format!("Interrupted: starting nothing new; waiting for {in_flight} operation(s) in flight to finish and be recorded"));
            }
        }
    }
}

/// `1m30s`, `12s`
pub fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 {
        format!("{}m{}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}
