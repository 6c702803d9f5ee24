//! `infra validate`: check a stack without touching the state or the cloud.

use infra_model::{Diagnostic, Mode, Value};

use crate::cli::StackArgs;
use crate::engine::load::load_stack_for_validate;
use crate::engine::load::report;
use crate::engine::LoadedStack;
use crate::printer::Printer;
use crate::Reported;

pub async fn run(args: StackArgs, printer: Printer) -> anyhow::Result<u8> {
    // as Terraform's validate: variables given no value are unknown, not errors
    let loaded = load_stack_for_validate(&args, &printer)?;
    let diags = check(&loaded);
    report(&diags, &loaded.sources, &printer);
    if diags.iter().any(|d| d.is_error()) {
        return Err(Reported(1).into());
    }
    let resources = loaded
        .stack
        .resources()
        .filter(|r| r.address.mode == Mode::Managed)
        .count();
    printer.out(format!(
        "{} the stack `{}` is valid ({resources} resource blocks)",
        printer.green("Success!"),
        loaded.name
    ));
    Ok(0)
}

/// Evaluate every block (types, CIDRs, for_each, value rules), with every resource and
/// data source unknown, as nothing is read from the cloud.
pub fn check(loaded: &LoadedStack) -> Vec<Diagnostic> {
    let mut rules = Vec::new();
    let (_, diags) = loaded.stack.walk(&mut |inst| {
        rules.extend(infra_plan::check_instance(inst));
        Value::Unknown
    });
    // Without the cloud, count/for_each that depend on data sources cannot be known yet:
    // that is only an error at plan time.
    diags
        .into_iter()
        .chain(rules)
        .filter(|d| !d.summary.contains("cannot be determined until apply"))
        .collect()
}

/// Before plan and apply open the state: fail on what `validate` finds, so that a stack
/// with errors never creates, locks or touches the state file.
pub fn preflight(loaded: &LoadedStack, printer: &Printer) -> anyhow::Result<()> {
    let diags = check(loaded);
    if diags.iter().any(|d| d.is_error()) {
        report(&diags, &loaded.sources, printer);
        return Err(Reported(1).into());
    }
    Ok(())
}
