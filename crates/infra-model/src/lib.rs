//! Shared vocabulary of `infra`: resource addresses, values that may be unknown until
//! apply, diagnostics with source spans, and the static schemas of the resource types
//! we support.
//!
//! This crate does no IO and knows nothing about HCL syntax, SQLite or the AWS SDK.

pub mod address;
pub mod diagnostic;
pub mod duration;
pub mod instance;
pub mod policy;
pub mod schema;
pub mod sensitive;
pub mod value;
mod value_json;

pub use address::{Address, AddressParseError, InstanceKey, Mode, ModuleStep};
pub use diagnostic::{Diagnostic, Diagnostics, Severity, Span};
pub use instance::{
    provider_alias, provider_key, provider_key_region, DefaultTags, DesiredInstance, Lifecycle,
    Timeouts,
};
pub use schema::{AttrSchema, AttrType, BlockSchema, Nesting, ResourceSchema};
pub use value::Value;

/// Tag keys `infra` puts on every resource it creates, so that a rerun after a crash can
/// find and adopt what a killed run created.
pub mod tags {
    pub const STACK: &str = "infra:stack";
    pub const ADDRESS: &str = "infra:address";
}
