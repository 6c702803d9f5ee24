//! `aws_key_pair`: an SSH public key registered with EC2 (ImportKeyPair), with the
//! Terraform AWS provider's (v6) names: `key_name` or `key_name_prefix` and `public_key`
//! force a new key pair; only tags change in place; `id` is the key name.

use super::*;

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    let mut a = vec![
        attr("key_name", s()).optional().computed().force_new(),
        attr("key_name_prefix", s())
            .optional()
            .computed()
            .force_new(),
        // the provider stores it with surrounding white space trimmed (its StateFunc):
        // `tls_private_key`'s `public_key_openssh` ends with a newline
        attr("public_key", s()).required().force_new(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn", "fingerprint", "key_pair_id", "key_type"]));
    vec![resource("aws_key_pair", Mode::Managed, a, vec![])]
}
