//! One module per command. Each turns settings into engine calls and prints the result.

pub mod apply;
pub mod common;
pub mod drift;
pub mod graph;
pub mod import;
pub mod output;
pub mod plan;
pub mod state;
pub mod state_recover;
pub mod validate;
