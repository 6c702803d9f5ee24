//! `infra`: the command-line front end. Turns arguments into settings, wires the crates
//! together, prints, and maps outcomes to exit codes. The engine never prints.

mod cli;
mod commands;
#[cfg(test)]
mod compat;
mod diagnostics;
mod engine;
mod env_vars;
mod printer;
mod redact;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::printer::Printer;

/// mimalloc instead of the system allocator: the engine allocates and frees millions of
/// small strings and maps per plan (docs/benchmarks.md, "Engine profile").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// An outcome that has already been reported to the user; only the exit code is left.
#[derive(Debug)]
pub struct Reported(pub u8);

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit code {}", self.0)
    }
}
impl std::error::Error for Reported {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // before anything can log or print
    redact::register_env();
    init_tracing(cli.log.as_deref());
    let printer = Printer::new(cli.no_color);
    // Debug builds keep every nested future of a provider call on the worker's stack; the
    // 2 MiB default overflowed once the create dispatch covered ~30 resource types.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(16 * 1024 * 1024)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            printer.err(format!("error: cannot start the async runtime: {e}"));
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(run(cli.command, printer));
    // Do not wait for stray background tasks (e.g. a waiter interrupted by Ctrl-C).
    runtime.shutdown_background();
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => match e.downcast_ref::<Reported>() {
            Some(Reported(code)) => ExitCode::from(*code),
            None => {
                printer.err(format!("{}: {e:#}", printer.red("error")));
                ExitCode::from(1)
            }
        },
    }
}

async fn run(command: Command, printer: Printer) -> anyhow::Result<u8> {
    match command {
        Command::Validate(args) => commands::validate::run(args, printer).await,
        Command::Plan(args) => commands::plan::run(args, printer).await,
        Command::Apply(args) => commands::apply::run(args, printer).await,
        Command::Destroy(args) => commands::apply::destroy(args, printer).await,
        Command::Output(args) => commands::output::run(args, printer).await,
        Command::Graph(args) => commands::graph::run(args, printer).await,
        Command::State(cmd) => commands::state::run(cmd, printer).await,
        Command::ForceUnlock(args) => commands::state::force_unlock(args, printer).await,
        Command::Import(args) => commands::import::run(args, printer).await,
        Command::Drift(args) => commands::drift::run(args, printer).await,
    }
}

fn init_tracing(filter: Option<&str>) {
    use tracing_subscriber::EnvFilter;
    let filter = filter
        .map(str::to_string)
        .or_else(|| std::env::var(env_vars::INFRA_LOG).ok())
        .unwrap_or_else(|| "warn".to_string());
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| redact::Stderr)
        .with_target(false)
        .try_init();
}
