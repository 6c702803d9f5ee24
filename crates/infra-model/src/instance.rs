//! What configuration evaluation hands to the planner.

use std::collections::BTreeMap;

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
    /// The `aws` provider configuration the instance uses: `""` the default one (a
    /// `provider "aws"` block without `alias`, or none), else the root module's alias it
    /// resolves to (`provider = aws.west`, through module calls' `providers` maps).
    /// Always `""` for the built-in providers' types. A resource whose own `region` (the
    /// AWS provider v6's per-resource region) differs from its configuration's has the key
    /// `ALIAS@REGION` (see [`provider_key`]): it is sent to that region with its
    /// configuration's other settings.
    pub provider: String,
}

/// The key of a provider configuration, `alias` alone or `alias@region` for a resource
/// sent to another region than its configuration's (aliases are identifiers and regions
/// have no `@`).
pub fn provider_key(alias: &str, region: Option<&str>) -> String {
    match region {
        Some(r) => format!("{alias}@{r}"),
        None => alias.to_string(),
    }
}

/// The configuration (alias) part of a provider key: `""` the default one.
pub fn provider_alias(key: &str) -> &str {
    key.split_once('@').map_or(key, |(alias, _)| alias)
}

/// The region a provider key names itself, if any (`west@eu-west-1` -> `eu-west-1`).
pub fn provider_key_region(key: &str) -> Option<&str> {
    key.split_once('@').map(|(_, region)| region)
}

/// Each `aws` provider configuration's `default_tags`, by its key (`""` the default
/// configuration, else its alias; see [`DesiredInstance::provider`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DefaultTags(pub BTreeMap<String, BTreeMap<String, String>>);

impl DefaultTags {
    /// The tags of the configuration `provider` (none when it sets none).
    /// A key with a region (`alias@region`) has its configuration's tags.
    pub fn get(&self, provider: &str) -> &BTreeMap<String, String> {
        static NONE: BTreeMap<String, String> = BTreeMap::new();
        self.0.get(provider_alias(provider)).unwrap_or(&NONE)
    }
}

/// The default configuration's tags.
impl From<BTreeMap<String, String>> for DefaultTags {
    fn from(tags: BTreeMap<String, String>) -> Self {
        DefaultTags([(String::new(), tags)].into())
    }
}

impl<const N: usize> From<[(String, String); N]> for DefaultTags {
    fn from(tags: [(String, String); N]) -> Self {
        DefaultTags::from(BTreeMap::from(tags))
    }
}
