//! End-to-end tests of the `infra` binary. One test binary gathers every module
//! (ripgrep's layout). Tests that need the emulator start it through `localstack/up`.

mod common;

mod bad_input;
mod cli_plan;
mod cli_signals;
mod cli_state;
mod environments;
mod network;
mod secrets;
