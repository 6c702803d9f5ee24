//! `null_resource` (terraform-provider-null) and Terraform's built-in `terraform_data`.

use infra_model::Value;
use rand::Rng;

use crate::attrs;

/// A `null_resource`: its id is a random non-negative 63-bit number in decimal, as the
/// null provider's (`rand.Int()`); `triggers` force a replacement (schema).
pub(crate) fn null_resource(config: &Value) -> Value {
    let mut out = attrs(config);
    let id: i64 = rand::thread_rng().gen_range(0..=i64::MAX);
    out.insert("id".into(), Value::string(id.to_string()));
    Value::Map(out)
}

/// A `terraform_data`: `output` is `input`; the id is a random UUID, kept on update.
pub(crate) fn terraform_data(config: &Value, prior: Option<&Value>) -> Value {
    let mut out = attrs(config);
    let input = config.get("input").clone();
    out.insert("output".into(), input);
    let id = prior
        .and_then(|p| p.get("id").as_str().map(str::to_string))
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    out.insert("id".into(), Value::string(id));
    Value::Map(out)
}
