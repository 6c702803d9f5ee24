//! Checks of `data "terraform_remote_state"` arguments that the schema cannot express:
//! the only backend is `infra`, and `config` names a stack (and optionally a state file).

use infra_model::schema::REMOTE_STATE_BACKEND;
use infra_model::{Diagnostic, Value};

pub(crate) const TYPE_NAME: &str = "terraform_remote_state";

const CONFIG_KEYS: [&str; 2] = ["stack", "path"];

/// `Err` with a diagnostic (without a span; the caller adds it) when a known argument is
/// invalid. Unknown values are checked when they become known, by the engine.
pub(crate) fn check(name: &str, v: &Value) -> Result<(), Diagnostic> {
    match (name, v) {
        ("backend", Value::String(b)) if b != REMOTE_STATE_BACKEND => Err(Diagnostic::error(
            format!("unsupported backend \"{b}\" for terraform_remote_state"),
        )
        .with_detail(format!(
            "infra reads other stacks from its own state: write backend = \"{REMOTE_STATE_BACKEND}\" and config = {{ stack = \"<stack name>\" }} (optionally path = \"<state file>\"; by default the state file of this run)"
        ))),
        ("config", Value::Map(m)) => {
            if let Some(k) = m.keys().find(|k| !CONFIG_KEYS.contains(&k.as_str())) {
                return Err(Diagnostic::error(format!(
                    "unsupported key `{k}` in terraform_remote_state's config"
                ))
                .with_detail("the infra backend takes `stack` (required) and `path` (optional)"));
            }
            match m.get("stack") {
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(()),
                Some(Value::Unknown) => Ok(()),
                _ => Err(Diagnostic::error(
                    "terraform_remote_state's config has no `stack`",
                )
                .with_detail("name the stack to read: config = { stack = \"dev\" }")),
            }
        }
        ("config", Value::Unknown) | ("defaults", Value::Unknown) => Ok(()),
        ("config", _) => Err(Diagnostic::error("terraform_remote_state's config is not an object")
            .with_detail("write config = { stack = \"<stack name>\" }")),
        ("workspace", Value::String(w)) if w != "default" => Err(Diagnostic::error(format!(
            "terraform_remote_state's workspace \"{w}\" does not exist"
        ))
        .with_detail("infra has no workspaces: each environment is its own stack; name it in config = { stack = \"...\" } and remove `workspace`")),
        ("defaults", Value::Map(_) | Value::Null) => Ok(()),
        ("defaults", _) => Err(Diagnostic::error(
            "terraform_remote_state's defaults is not an object",
        )
        .with_detail("write defaults = { output_name = value, ... }")),
        _ => Ok(()),
    }
}
