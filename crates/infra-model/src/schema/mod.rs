//! Static schemas of the resource types and data sources `infra` supports, with the
//! Terraform AWS provider's names and semantics: which attributes are required, which
//! the cloud computes, and which force a replacement when they change.
//!
//! The language uses these to check stack files (unknown attribute, missing required
//! attribute, wrong type); the plan uses them to decide between update and replace and to
//! mark computed attributes unknown; the provider implements them.

mod autoscaling;
mod builtin;
mod compute;
mod dns;
mod ec2;
mod ec2_net;
mod eks;
mod eks_capability;
mod eks_v21;
mod iam;
mod instance;
mod ipam;
mod key_pair;
mod kms;
mod local;
mod logs;
mod lookups;
mod lt_extra;
mod network;
mod node_extra;
mod peering;
mod remote_state;
mod s3;
mod sqs_events;
mod ssm;
mod subnet_groups;
mod vpn;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::{Mode, Value};

pub use builtin::{is_builtin, BUILTIN_PROVIDERS};
pub use instance::UNSUPPORTED_INSTANCE_BLOCKS;
pub use local::file_permission;
pub use remote_state::REMOTE_STATE_BACKEND;

#[derive(Debug, Clone, PartialEq)]
pub enum AttrType {
    String,
    Number,
    Bool,
    List(Box<AttrType>),
    Set(Box<AttrType>),
    Map(Box<AttrType>),
    /// A JSON document held as a string, compared semantically (IAM policies).
    Json,
    /// Any value (Terraform's `dynamic` pseudo-type): objects whose shape the schema cannot
    /// know, such as `terraform_remote_state`'s `config`, `defaults` and `outputs`.
    Any,
}

impl AttrType {
    pub fn describe(&self) -> String {
        match self {
            AttrType::String => "string".into(),
            AttrType::Number => "number".into(),
            AttrType::Bool => "bool".into(),
            AttrType::List(t) => format!("list({})", t.describe()),
            AttrType::Set(t) => format!("set({})", t.describe()),
            AttrType::Map(t) => format!("map({})", t.describe()),
            AttrType::Json => "string (JSON)".into(),
            AttrType::Any => "any".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttrSchema {
    pub name: &'static str,
    pub ty: AttrType,
    /// Must be set in configuration.
    pub required: bool,
    /// May be set in configuration.
    pub optional: bool,
    /// The cloud sets it (when not configured).
    pub computed: bool,
    /// A change forces a replacement ("forces new resource").
    pub force_new: bool,
    /// Value when optional, not configured and not computed.
    pub default: Option<Value>,
    pub sensitive: bool,
    /// An empty string written for it means "not set" (the provider's SDKv2 types store an
    /// unset string as `""`, so Terraform shows no difference between the two): a module
    /// that passes a variable defaulting to `""` plans nothing.
    pub empty_is_null: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// Ordered blocks; `max_items = 1` blocks are still lists, as in Terraform (`scaling_config[0]`).
    List,
    /// Unordered blocks (security group rules, inline routes).
    Set,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BlockSchema {
    pub name: &'static str,
    pub nesting: Nesting,
    pub min_items: usize,
    pub max_items: Option<usize>,
    pub attributes: Vec<AttrSchema>,
    pub blocks: Vec<BlockSchema>,
    pub force_new: bool,
    /// When no block is configured, keep what the cloud reports instead of planning removal
    /// (Terraform's "attributes as blocks" computed mode, e.g. inline routes).
    pub computed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSchema {
    pub type_name: &'static str,
    pub mode: Mode,
    pub attributes: Vec<AttrSchema>,
    pub blocks: Vec<BlockSchema>,
}

impl ResourceSchema {
    pub fn attribute(&self, name: &str) -> Option<&AttrSchema> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn block(&self, name: &str) -> Option<&BlockSchema> {
        self.blocks.iter().find(|b| b.name == name)
    }

    /// Whether the type takes `tags` (and therefore gets `infra:*` tags at creation).
    pub fn has_tags(&self) -> bool {
        self.attribute("tags").is_some()
    }

    /// Every name a user may write in the block: attributes that are not read-only, and blocks.
    pub fn settable_names(&self) -> Vec<&'static str> {
        self.attributes
            .iter()
            .filter(|a| a.required || a.optional)
            .map(|a| a.name)
            .chain(self.blocks.iter().map(|b| b.name))
            .collect()
    }
}

impl BlockSchema {
    pub fn attribute(&self, name: &str) -> Option<&AttrSchema> {
        self.attributes.iter().find(|a| a.name == name)
    }
    pub fn block(&self, name: &str) -> Option<&BlockSchema> {
        self.blocks.iter().find(|b| b.name == name)
    }
    pub fn settable_names(&self) -> Vec<&'static str> {
        self.attributes
            .iter()
            .filter(|a| a.required || a.optional)
            .map(|a| a.name)
            .chain(self.blocks.iter().map(|b| b.name))
            .collect()
    }
}

// ---- builders, used by the per-family schema modules ----

pub(crate) fn attr(name: &'static str, ty: AttrType) -> AttrSchema {
    AttrSchema {
        name,
        ty,
        required: false,
        optional: false,
        computed: false,
        force_new: false,
        default: None,
        sensitive: false,
        empty_is_null: false,
    }
}

impl AttrSchema {
    pub(crate) fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub(crate) fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    pub(crate) fn computed(mut self) -> Self {
        self.computed = true;
        self
    }
    pub(crate) fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
    pub(crate) fn default(mut self, v: impl Into<Value>) -> Self {
        self.default = Some(v.into());
        self
    }
    pub(crate) fn empty_is_null(mut self) -> Self {
        self.empty_is_null = true;
        self
    }
    #[allow(dead_code)]
    pub(crate) fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
}

pub(crate) fn block(
    name: &'static str,
    nesting: Nesting,
    attributes: Vec<AttrSchema>,
) -> BlockSchema {
    BlockSchema {
        name,
        nesting,
        min_items: 0,
        max_items: None,
        attributes,
        blocks: Vec::new(),
        force_new: false,
        computed: false,
    }
}

impl BlockSchema {
    #[allow(dead_code)]
    pub(crate) fn max(mut self, n: usize) -> Self {
        self.max_items = Some(n);
        self
    }
    #[allow(dead_code)]
    pub(crate) fn min(mut self, n: usize) -> Self {
        self.min_items = n;
        self
    }
    #[allow(dead_code)]
    pub(crate) fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
    pub(crate) fn computed(mut self) -> Self {
        self.computed = true;
        self
    }
    #[allow(dead_code)]
    pub(crate) fn blocks(mut self, blocks: Vec<BlockSchema>) -> Self {
        self.blocks = blocks;
        self
    }
}

pub(crate) fn s() -> AttrType {
    AttrType::String
}
pub(crate) fn n() -> AttrType {
    AttrType::Number
}
pub(crate) fn b() -> AttrType {
    AttrType::Bool
}
pub(crate) fn list_s() -> AttrType {
    AttrType::List(Box::new(AttrType::String))
}
pub(crate) fn set_s() -> AttrType {
    AttrType::Set(Box::new(AttrType::String))
}
pub(crate) fn map_s() -> AttrType {
    AttrType::Map(Box::new(AttrType::String))
}

/// `tags` (configured) and `tags_all` (tags merged with the provider's `default_tags`).
pub(crate) fn tags() -> [AttrSchema; 2] {
    [
        attr("tags", map_s()).optional(),
        attr("tags_all", map_s()).computed(),
    ]
}

/// `id` and whatever else the cloud computes and the user cannot set.
pub(crate) fn computed(names: &[&'static str]) -> Vec<AttrSchema> {
    std::iter::once("id")
        .chain(names.iter().copied())
        .map(|n| attr(n, s()).computed())
        .collect()
}

pub(crate) fn resource(
    type_name: &'static str,
    mode: Mode,
    attrs: Vec<AttrSchema>,
    blocks: Vec<BlockSchema>,
) -> ResourceSchema {
    ResourceSchema {
        type_name,
        mode,
        attributes: attrs,
        blocks,
    }
}

fn registry() -> &'static BTreeMap<(Mode, &'static str), ResourceSchema> {
    static REGISTRY: OnceLock<BTreeMap<(Mode, &'static str), ResourceSchema>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut all = Vec::new();
        all.extend(builtin::schemas());
        all.extend(local::schemas());
        all.extend(network::schemas());
        all.extend(ec2::schemas());
        all.extend(ec2_net::schemas());
        all.extend(ipam::schemas());
        all.extend(peering::schemas());
        all.extend(compute::schemas());
        all.extend(iam::schemas());
        all.extend(eks::schemas());
        all.extend(dns::schemas());
        all.extend(logs::schemas());
        all.extend(lookups::schemas());
        all.extend(remote_state::schemas());
        all.extend(subnet_groups::schemas());
        all.extend(vpn::schemas());
        all.extend(key_pair::schemas());
        all.extend(instance::schemas());
        all.extend(ssm::schemas());
        all.extend(kms::schemas());
        all.extend(s3::schemas());
        all.extend(sqs_events::schemas());
        all.extend(node_extra::schemas());
        all.extend(autoscaling::schemas());
        all.extend(eks_capability::schemas());
        all.into_iter()
            .map(|s| ((s.mode, s.type_name), s))
            .collect()
    })
}

/// The schema of a resource type or data source, if we support it.
pub fn lookup(mode: Mode, type_name: &str) -> Option<&'static ResourceSchema> {
    // hashed, per mode: the walk and the planner look a schema up several times per
    // instance, and two searches of the ordered registry (string comparisons down the
    // tree) were 2% of a no-op plan
    type Index = [std::collections::HashMap<&'static str, &'static ResourceSchema>; 2];
    static INDEX: OnceLock<Index> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut index: Index = Default::default();
        for ((m, name), schema) in registry() {
            index[*m as usize].insert(*name, schema);
        }
        index
    });
    index[mode as usize].get(type_name).copied()
}

/// Every supported type name of one mode, sorted.
pub fn type_names(mode: Mode) -> Vec<&'static str> {
    registry()
        .keys()
        .filter(|(m, _)| *m == mode)
        .map(|(_, t)| *t)
        .collect()
}

/// The candidate closest to `name`, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_and_suggest() {
        let vpc = lookup(Mode::Managed, "aws_vpc").unwrap();
        assert!(vpc.attribute("cidr_block").unwrap().force_new);
        assert_eq!(
            did_you_mean("cidr_blok", vpc.settable_names()),
            Some("cidr_block")
        );
        assert_eq!(
            did_you_mean("aws_subnett", type_names(Mode::Managed)),
            Some("aws_subnet")
        );
        assert!(lookup(Mode::Data, "aws_availability_zones").is_some());
        let remote = lookup(Mode::Data, "terraform_remote_state").unwrap();
        assert!(remote.attribute("backend").unwrap().required);
        assert_eq!(remote.attribute("outputs").unwrap().ty, AttrType::Any);
    }
}
