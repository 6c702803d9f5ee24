//! What configuration evaluation hands to the planner.

use crate::{Address, Value};

/// Lifecycle settings of a resource block.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lifecycle {
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    /// Attribute paths such as `tags` or `scaling_config[0].desired_size`; `["all"]` ignores all.
    pub ignore_changes: Vec<String>,
    /// The resource's `timeouts` block: how long apply's waits may take.
    #[serde(default)]
    pub timeouts: Timeouts,
}

/// A `timeouts { create = "30m" ... }` block, in seconds; `None` keeps the provider's
/// default (`INFRA_WAIT_TIMEOUT`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Timeouts {
    pub create: Option<u64>,
    pub update: Option<u64>,
    pub delete: Option<u64>,
}

/// One resource instance as the configuration wants it, evaluated with the values known
/// so far (references to resources being created are `Unknown`).
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredInstance {
    pub address: Address,
    /// Attributes and blocks as written, with defaults not yet applied.
    pub config: Value,
    /// Every instance this one depends on (references and `depends_on`).
    pub depends_on: Vec<Address>,
    pub lifecycle: Lifecycle,
}
