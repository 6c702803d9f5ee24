//! What configuration evaluation hands to the planner.

use crate::{Address, Value};

/// Lifecycle settings of a resource block.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lifecycle {
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    /// Attribute paths such as `tags` or `scaling_config[0].desired_size`; `["all"]` ignores all.
    pub ignore_changes: Vec<String>,
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
