//! Values the Terraform AWS provider treats as equal although they differ as text (its
//! `DiffSuppressFunc`s and `StateFunc`s): the planned value then keeps the prior's text, so
//! no update is planned. `aws_kms_alias.target_key_id` names one key by its id or by its
//! ARN: the cloud lists the id, a configuration often gives the ARN (`aws_kms_key.x.arn`).
//! `aws_key_pair.public_key` is stored trimmed of surrounding white space (the provider's
//! StateFunc), and `tls_private_key`'s `public_key_openssh` ends with a newline.

use infra_model::Value;

/// The key id a key id or key ARN names.
fn key_id(s: &str) -> &str {
    s.rsplit_once(":key/").map_or(s, |(_, id)| id)
}

/// Keep in `planned` the prior's text of what the provider treats as unchanged.
pub(crate) fn keep_equivalent(type_name: &str, prior: &Value, planned: &mut Value) {
    let (attribute, same): (&str, fn(&str, &str) -> bool) = match type_name {
        "aws_kms_alias" => ("target_key_id", |a, b| key_id(a) == key_id(b)),
        "aws_key_pair" => ("public_key", |a, b| a.trim() == b.trim()),
        _ => return,
    };
    let (Some(old), Some(new)) = (
        prior.get(attribute).as_str(),
        planned.get(attribute).as_str(),
    ) else {
        return;
    };
    if old != new && same(old, new) {
        let old = old.to_string();
        if let Value::Map(m) = planned {
            m.insert(attribute.into(), Value::string(old));
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

    #[test]
    fn a_public_key_equals_itself_with_a_trailing_newline() {
        let prior = Value::map([("public_key", Value::string("ssh-ed25519 AAAA"))]);
        let mut planned = Value::map([("public_key", Value::string("ssh-ed25519 AAAA\n"))]);
        keep_equivalent("aws_key_pair", &prior, &mut planned);
        assert_eq!(planned.get("public_key").as_str(), Some("ssh-ed25519 AAAA"));
        let mut other = Value::map([("public_key", Value::string("ssh-ed25519 BBBB\n"))]);
        keep_equivalent("aws_key_pair", &prior, &mut other);
        assert_eq!(other.get("public_key").as_str(), Some("ssh-ed25519 BBBB\n"));
    }
}
