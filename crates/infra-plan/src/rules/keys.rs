//! Value rules of `tls_private_key` and `aws_key_pair` that the tls and AWS providers check
//! before generating or importing anything (their `OneOf` and length validators).

use infra_model::Value;

const ALGORITHMS: &[&str] = &["RSA", "ECDSA", "ED25519"];
const CURVES: &[&str] = &["P224", "P256", "P384", "P521"];
/// The longest key name EC2 takes, and the length of the unique suffix a prefix gets.
const MAX_KEY_NAME: usize = 255;
const SUFFIX: usize = 26;

pub(super) fn private_key(c: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(a) = c.get("algorithm").as_str() {
        if !ALGORITHMS.contains(&a) {
            out.push((
                format!("algorithm: `{a}` is not a key algorithm"),
                format!("use one of {}", ALGORITHMS.join(", ")),
            ));
        }
    }
    if let Some(curve) = c.get("ecdsa_curve").as_str() {
        if !CURVES.contains(&curve) {
            out.push((
                format!("ecdsa_curve: `{curve}` is not a supported curve"),
                format!("use one of {}", CURVES.join(", ")),
            ));
        }
    }
    if c.get("algorithm").as_str() == Some("RSA") {
        if let Some(bits) = c.get("rsa_bits").as_f64() {
            if bits.fract() != 0.0 || !(1024.0..=16384.0).contains(&bits) {
                out.push((
                    format!("rsa_bits: {bits} is not a key size infra generates"),
                    "use a whole number of bits from 1024 to 16384 (2048 by default)".into(),
                ));
            }
        }
    }
    out
}

pub(super) fn key_pair(c: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let name = c.get("key_name").as_str();
    let prefix = c.get("key_name_prefix").as_str();
    if name.is_some() && prefix.is_some() {
        out.push((
            "key_name and key_name_prefix conflict".into(),
            "set one of them: key_name_prefix makes a unique name from the prefix".into(),
        ));
    }
    if let Some(n) = name.filter(|n| n.len() > MAX_KEY_NAME) {
        out.push((
            format!("key_name is {} characters long", n.len()),
            format!("EC2 takes key names of at most {MAX_KEY_NAME} characters"),
        ));
    }
    if let Some(p) = prefix.filter(|p| p.len() > MAX_KEY_NAME - SUFFIX) {
        out.push((
            format!("key_name_prefix is {} characters long", p.len()),
            format!(
                "a prefix takes at most {} characters: a {SUFFIX}-character unique suffix follows it",
                MAX_KEY_NAME - SUFFIX
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_curves_sizes_and_names_are_checked() {
        let ok = Value::map([
            ("algorithm", Value::string("ECDSA")),
            ("ecdsa_curve", Value::string("P384")),
            ("rsa_bits", Value::Number(2048.0)),
        ]);
        assert!(private_key(&ok).is_empty());
        let bad = Value::map([
            ("algorithm", Value::string("DSA")),
            ("ecdsa_curve", Value::string("P192")),
        ]);
        assert_eq!(private_key(&bad).len(), 2, "{:?}", private_key(&bad));
        let small = Value::map([
            ("algorithm", Value::string("RSA")),
            ("rsa_bits", Value::Number(512.0)),
        ]);
        assert!(private_key(&small)[0].0.contains("rsa_bits"));
        // not known yet: not checked
        let unknown = Value::map([("algorithm", Value::Unknown)]);
        assert!(private_key(&unknown).is_empty());

        let both = Value::map([
            ("key_name", Value::string("a")),
            ("key_name_prefix", Value::string("b")),
        ]);
        assert!(key_pair(&both)[0].0.contains("conflict"));
        let long = Value::map([("key_name_prefix", Value::string("p".repeat(230)))]);
        assert!(key_pair(&long)[0].0.contains("key_name_prefix"));
        let fine = Value::map([("key_name", Value::string("deployer"))]);
        assert!(key_pair(&fine).is_empty());
    }
}
