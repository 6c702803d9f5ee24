//! Every environment variable `infra` reads, in one place.

/// The SQLite state file (same as `--state`).
pub const INFRA_STATE: &str = "INFRA_STATE";
/// Log filter (same as `--log`), e.g. `info` or `infra=debug`.
pub const INFRA_LOG: &str = "INFRA_LOG";
/// Disables colours when set to anything.
pub const NO_COLOR: &str = "NO_COLOR";
/// `TF_VAR_name=value` sets variable `name`, as in Terraform.
pub const TF_VAR_PREFIX: &str = "TF_VAR_";
/// How long to wait for one resource to become ready or to go (e.g. `45m`): EKS clusters
/// take 10-15 minutes on AWS. Defaults: 40 minutes for EKS, the provider's own otherwise.
pub const INFRA_WAIT_TIMEOUT: &str = "INFRA_WAIT_TIMEOUT";
/// Marks a CI environment: plain output, no prompts.
pub const CI: &str = "CI";
