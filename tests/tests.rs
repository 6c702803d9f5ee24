//! End-to-end tests of the `infra` binary. One test binary gathers every module
//! (ripgrep's layout). Tests that need the emulator start it through `localstack/up`.

mod common;

mod bad_input;
mod bad_input_corpus;
mod ci_scripts;
mod cli_plan;
mod cli_signals;
mod cli_state;
mod concurrency;
mod coverage_data;
mod coverage_dns;
mod coverage_ec2_more;
mod coverage_eks;
mod coverage_eks_lookups;
mod coverage_eks_nodes;
mod coverage_iam;
mod coverage_import;
mod coverage_logs;
mod coverage_subnet_groups;
mod coverage_vpn;
mod disaster_recovery;
mod ec2_network;
mod ec2_network_vpc;
mod ec2_rules;
mod environments;
mod faults;
mod faults_destroy;
mod faults_dns;
mod faults_env;
mod holders;
mod ignore_changes;
mod import;
mod ipv6_only;
mod language;
mod network;
mod postgres_state;
mod public_constructs;
mod recovery;
mod registry_modules;
mod remote_state;
mod secrets;
mod torture;
mod torture_env;
mod torture_nat;
mod validate;
