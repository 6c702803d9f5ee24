//! `infra validate`: check a stack without touching the state or the cloud.

use infra_model::{Mode, Value};

use crate::cli::StackArgs;
use crate::engine::load::report;
use crate::engine::load_stack;
use crate::printer::Printer;
use crate::Reported;

pub async fn run(args: StackArgs, printer: Printer) -> anyhow::Result<u8> {
    let loaded = load_stack(&args, &printer)?;
    // Evaluate every block too (types, CIDRs, for_each), with every resource and data
    // source unknown, as nothing is read from the cloud.
    let mut rules = Vec::new();
    let (_, diags) = loaded.stack.walk(&mut |inst| {
        rules.extend(infra_plan::check_instance(inst));
        Value::Unknown
    });
    let diags: Vec<_> = diags.into_iter().chain(rules).collect();
    // Without the cloud, count/for_each that depend on data sources cannot be known yet:
    // that is only an error at plan time.
    let diags: Vec<_> = diags
        .into_iter()
        .filter(|d| !d.summary.contains("cannot be determined until apply"))
        .collect();
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
