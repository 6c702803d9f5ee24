//! `infra validate`: check a stack without touching the state or the cloud.

use crate::cli::StackArgs;
use crate::engine::load_stack;
use crate::printer::Printer;

pub async fn run(args: StackArgs, printer: Printer) -> anyhow::Result<u8> {
    let loaded = load_stack(&args, &printer)?;
    let resources = loaded.stack.resources().count();
    printer.out(format!("{} the stack `{}` is valid ({resources} resource blocks)", printer.green("Success!"), loaded.name));
    Ok(0)
}
