//! Every environment variable `infra` reads, in one place.

/// The SQLite state file (same as `--state`).
pub const INFRA_STATE: &str = "INFRA_STATE";
/// Log filter (same as `--log`), e.g. `info` or `infra=debug`.
pub const INFRA_LOG: &str = "INFRA_LOG";
/// Disables colours when set to anything.
pub const NO_COLOR: &str = "NO_COLOR";
/// `TF_VAR_name=value` sets variable `name`, as in Terraform.
pub const TF_VAR_PREFIX: &str = "TF_VAR_";
/// Marks a CI environment: plain output, no prompts.
pub const CI: &str = "CI";
