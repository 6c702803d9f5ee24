//! `terraform_remote_state`: another stack's outputs, read from a state file. It is not an
//! AWS data source: the engine answers it from the state store.

use super::*;
use crate::Mode::Data;

/// The one backend we read: an `infra` SQLite state file.
pub const REMOTE_STATE_BACKEND: &str = "infra";

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    vec![resource(
        "terraform_remote_state",
        Data,
        vec![
            attr("backend", s()).required(),
            // `{ stack = "dev" }`, optionally `path = "other.db"`
            attr("config", AttrType::Any).required(),
            // used for outputs the other stack does not have
            attr("defaults", AttrType::Any).optional(),
            attr("workspace", s()).optional(),
            attr("outputs", AttrType::Any).computed(),
            attr("id", s()).computed(),
        ],
        vec![],
    )]
}
