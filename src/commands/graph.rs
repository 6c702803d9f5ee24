//! `infra graph --format dot|mermaid`: the stack's dependency graph, to look at.

use crate::cli::{GraphArgs, GraphFormat};
use crate::engine::load_stack;
use crate::printer::Printer;

pub async fn run(args: GraphArgs, printer: Printer) -> anyhow::Result<u8> {
    let loaded = load_stack(&args.stack, &printer)?;
    let graph = loaded.stack.graph();
    printer.out(match args.format {
        GraphFormat::Dot => graph.to_dot(),
        GraphFormat::Mermaid => graph.to_mermaid(),
    });
    Ok(0)
}
