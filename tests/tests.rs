//! End-to-end tests of the `infra` binary. One test binary gathers every module
//! (ripgrep's layout). Tests that need the emulator start it through `localstack/up`.

mod common;

mod bad_input;
mod bad_input_corpus;
mod cli_plan;
mod cli_signals;
mod cli_state;
mod concurrency;
mod ec2_rules;
mod environments;
mod faults;
mod faults_dns;
mod faults_env;
mod network;
mod remote_state;
mod secrets;
mod torture;
mod torture_env;
