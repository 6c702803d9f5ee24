//! Values the Terraform AWS provider treats as equal although they differ as text (its
//! `DiffSuppressFunc`s): the planned value then keeps the prior's text, so no update is
//! planned. `aws_kms_alias.target_key_id` names one key by its id or by its ARN: the cloud
//! lists the id, a configuration often gives the ARN (`aws_kms_key.x.arn`).

use infra_model::Value;

/// The key id a key id or key ARN names.
fn key_id(s: &str) -> &str {
    s.rsplit_once(":key/").map_or(s, |(_, id)| id)
}

/// Keep in `planned` the prior's text of what the provider treats as unchanged.
pub(crate) fn keep_equivalent(type_name: &str, prior: &Value, planned: &mut Value) {
    if type_name != "aws_kms_alias" {
        return;
    }
    let (Some(old), Some(new)) = (
        prior.get("target_key_id").as_str(),
        planned.get("target_key_id").as_str(),
    ) else {
        return;
    };
    if old != new && key_id(old) == key_id(new) {
        let old = old.to_string();
        if let Value::Map(m) = planned {
            m.insert("target_key_id".into(), Value::string(old));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_id_equals_its_arn() {
        let arn = "arn:aws:kms:us-east-1:1:key/abc";
        let prior = Value::map([("target_key_id", Value::string("abc"))]);
        let mut planned = Value::map([("target_key_id", Value::string(arn))]);
        keep_equivalent("aws_kms_alias", &prior, &mut planned);
        assert_eq!(planned.get("target_key_id").as_str(), Some("abc"));
        let mut other = Value::map([("target_key_id", Value::string("def"))]);
        keep_equivalent("aws_kms_alias", &prior, &mut other);
        assert_eq!(other.get("target_key_id").as_str(), Some("def"));
        let mut unknown = Value::map([("target_key_id", Value::Unknown)]);
        keep_equivalent("aws_kms_alias", &prior, &mut unknown);
        assert!(unknown.get("target_key_id").is_unknown());
    }
}
