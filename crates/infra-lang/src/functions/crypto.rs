//! `rsadecrypt(ciphertext, privatekey)`: RSA PKCS#1 v1.5 decryption of base64 text, as
//! Terraform does it (an EC2 Windows instance's `password_data`). The key is PEM: PKCS#1
//! (`RSA PRIVATE KEY`, what Terraform documents) or PKCS#8 (`PRIVATE KEY`); an encrypted
//! key, an OpenSSH-format key or a key of another algorithm is an error saying so.

use infra_model::Value;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};

use super::{Args, FnResult};

pub(super) fn call(a: Args) -> FnResult {
    let ciphertext = a.string(0, "ciphertext")?;
    let pem = a.string(1, "privatekey")?;
    // Go's base64 decoder skips line breaks
    let compact: String = ciphertext
        .chars()
        .filter(|c| *c != '\n' && *c != '\r')
        .collect();
    let bytes = super::encoding::base64_decode(&compact).ok_or_else(|| {
        a.bad(
            "ciphertext",
            "the cipher text must be base64-encoded (standard alphabet, with padding)",
        )
    })?;
    let key = private_key(&pem).map_err(|e| a.bad("privatekey", e))?;
    let plain = key
        .decrypt(Pkcs1v15Encrypt, &bytes)
        .map_err(|e| format!("rsadecrypt: failed to decrypt: {e} (is the cipher text encrypted with PKCS#1 v1.5 padding for this key?)"))?;
    String::from_utf8(plain)
        .map(Value::String)
        .map_err(|_| "rsadecrypt: the decrypted text is not valid UTF-8".to_string())
}

/// The RSA key of the first PEM block in `text`.
fn private_key(text: &str) -> Result<RsaPrivateKey, String> {
    let (label, der) = pem_block(text)?;
    match label.as_str() {
        "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_der(&der)
            .map_err(|e| format!("invalid RSA PRIVATE KEY (PKCS#1): {e}")),
        "PRIVATE KEY" => RsaPrivateKey::from_pkcs8_der(&der).map_err(|e| {
            match rsa::pkcs8::PrivateKeyInfo::try_from(der.as_slice()) {
                Ok(info) if info.algorithm.oid != rsa::pkcs1::ALGORITHM_OID => format!(
                    "the PRIVATE KEY is not an RSA key (it is {}); rsadecrypt needs an RSA key",
                    algorithm(&info.algorithm.oid.to_string())
                ),
                _ => format!("invalid PRIVATE KEY (PKCS#8): {e}"),
            }
        }),
        "ENCRYPTED PRIVATE KEY" => Err(
            "the private key is passphrase protected; rsadecrypt needs it unencrypted".into(),
        ),
        "OPENSSH PRIVATE KEY" => Err("the OpenSSH private key format is not supported; write the key as PEM (`ssh-keygen -p -m PEM -f KEY`) or PKCS#8".into()),
        "EC PRIVATE KEY" | "DSA PRIVATE KEY" => Err(format!(
            "an {label} is not an RSA key; rsadecrypt needs an RSA PRIVATE KEY"
        )),
        "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" => Err(format!(
            "a {label} cannot decrypt; pass the RSA PRIVATE KEY"
        )),
        other => Err(format!(
            "a PEM block of type \"{other}\" is not a private key; expected RSA PRIVATE KEY"
        )),
    }
}

fn algorithm(oid: &str) -> String {
    match oid {
        "1.2.840.10045.2.1" => "an EC key".into(),
        "1.3.101.112" => "an Ed25519 key".into(),
        "1.3.101.113" => "an Ed448 key".into(),
        "1.2.840.10040.4.1" => "a DSA key".into(),
        other => format!("algorithm {other}"),
    }
}

/// `(label, DER)` of the first `-----BEGIN label-----` ... `-----END label-----` block
/// (text around it is ignored, as Go's `pem.Decode` does).
fn pem_block(text: &str) -> Result<(String, Vec<u8>), String> {
    const BEGIN: &str = "-----BEGIN ";
    let no_pem = || {
        "no PEM block found; expected a key starting with -----BEGIN RSA PRIVATE KEY-----"
            .to_string()
    };
    let start = text.find(BEGIN).ok_or_else(no_pem)?;
    let after = &text[start + BEGIN.len()..];
    let close = after.find("-----").ok_or_else(no_pem)?;
    let label = after[..close].to_string();
    let body_start = after[close + 5..]
        .find('\n')
        .map(|i| close + 5 + i + 1)
        .ok_or_else(no_pem)?;
    let end_marker = format!("-----END {label}-----");
    let body_len = after[body_start..]
        .find(&end_marker)
        .ok_or_else(|| format!("the {label} PEM block has no \"{end_marker}\" line"))?;
    let mut b64 = String::new();
    for line in after[body_start..body_start + body_len].lines() {
        if let Some((name, value)) = line.split_once(':') {
            // RFC 1421 headers: an encrypted key says so
            if name.trim() == "Proc-Type" && value.contains("ENCRYPTED") {
                return Err(
                    "the private key is passphrase protected; rsadecrypt needs it unencrypted"
                        .into(),
                );
            }
            continue;
        }
        b64.extend(line.chars().filter(|c| !c.is_whitespace()));
    }
    let der = super::encoding::base64_decode(&b64)
        .ok_or_else(|| format!("the {label} PEM block is not valid base64"))?;
    Ok((label, der))
}

#[cfg(test)]
mod tests {
    use infra_model::Value;

    use super::super::call;

    const PKCS1: &str = include_str!("testdata/test_rsa_pkcs1.pem");
    const PKCS8: &str = include_str!("testdata/test_rsa_pkcs8.pem");
    const ENCRYPTED: &str = include_str!("testdata/test_rsa_encrypted.pem");
    const EC: &str = include_str!("testdata/test_ec.pem");
    const ED25519: &str = include_str!("testdata/test_ed25519.pem");
    /// "Hunter2 says hi", encrypted for the test key with `openssl pkeyutl -encrypt
    /// -pkeyopt rsa_padding_mode:pkcs1`
    const CIPHERTEXT: &str = "lGVn/82Y0hhgEpIJspaLYXKBFbIqYtmQl05+d8GGUsXD1R5PrFiJNbC04/qiuSD9Erp5PJ9T/AJ0CDHAzIAQXRum/EM1jfjEr5/fEu9OfZLsyQn7cUp5Liq0YCYiIZyzv8QReXYcx/6gvWHLiZt9UZmSqxU7Ib6cBdMUt5ru/RQ=";
    /// the same text with OAEP padding
    const OAEP: &str = "fmItrpXo3aJNk1WDCD02rsjspewS0a6/15Q8jlpDCld1Q3V75vcvLKkzT76DXvY/LHMgfOw5bTV4WkFmiOYboj0KilNlnNQgz6xYnXPIZF04lvBzuRlDcNunXd63BSAScOFjB3VKu17C6KeeMJGrHGCYaEbf2IgfzuzcaD/Ur6A=";
    /// the bytes ff fe (not UTF-8), PKCS#1 v1.5
    const NOT_UTF8: &str = "tLr5P+rwRcFQMePsb6iTs1R4gShMQC48verdyG4jduvbPYcXuWUiNOJmHCIOEy9vh9bV2RBysAVlhAtkGvi7h1g1rJjvvoXbFE7/0KgKTzEII2OpcMwGW4JJKxRB0vTSgVSgYwVkgW6n+Y6nN6yfi+5D1l6R0fsMXOKAynYWYyM=";

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    fn decrypt(ct: &str, key: &str) -> Result<Value, String> {
        call("rsadecrypt", vec![s(ct), s(key)])
    }

    #[test]
    fn rsadecrypt_with_a_pkcs1_or_pkcs8_key() {
        assert_eq!(decrypt(CIPHERTEXT, PKCS1), Ok(s("Hunter2 says hi")));
        assert_eq!(decrypt(CIPHERTEXT, PKCS8), Ok(s("Hunter2 says hi")));
        // text around the PEM block, an indented heredoc and line breaks in the base64
        let wrapped = format!("key:\n{}\ntrailing", PKCS1.replace('\n', "\n  "));
        let broken = format!("{}\n{}\r\n", &CIPHERTEXT[..64], &CIPHERTEXT[64..]);
        assert_eq!(decrypt(&broken, &wrapped), Ok(s("Hunter2 says hi")));
        // a sensitive key gives a sensitive result
        let marked = call("rsadecrypt", vec![s(CIPHERTEXT), s(PKCS1).mark()]).unwrap();
        assert!(marked.has_marks());
        assert_eq!(
            call("rsadecrypt", vec![Value::Unknown, s(PKCS1)]),
            Ok(Value::Unknown)
        );
    }

    #[test]
    fn rsadecrypt_errors_say_what_is_wrong() {
        let err = decrypt("not base64!", PKCS1).unwrap_err();
        assert!(
            err.starts_with("rsadecrypt: invalid value for \"ciphertext\": the cipher text must be base64-encoded"),
            "{err}"
        );
        let err = decrypt(CIPHERTEXT, "hello").unwrap_err();
        assert!(
            err.starts_with("rsadecrypt: invalid value for \"privatekey\": no PEM block found"),
            "{err}"
        );
        let err = decrypt(CIPHERTEXT, ENCRYPTED).unwrap_err();
        assert!(err.contains("passphrase protected"), "{err}");
        let err = decrypt(CIPHERTEXT, EC).unwrap_err();
        assert!(err.contains("an EC PRIVATE KEY is not an RSA key"), "{err}");
        let err = decrypt(CIPHERTEXT, ED25519).unwrap_err();
        assert!(
            err.contains("not an RSA key (it is an Ed25519 key)"),
            "{err}"
        );
        let truncated = PKCS1.replace("-----END RSA PRIVATE KEY-----", "");
        let err = decrypt(CIPHERTEXT, &truncated).unwrap_err();
        assert!(
            err.contains("has no \"-----END RSA PRIVATE KEY-----\" line"),
            "{err}"
        );
        let damaged = PKCS1.replacen("MIICXAIBAAKBgQDL", "MIICXAIBAAKBgQDM", 1);
        let damaged = damaged.replacen("AoGAd7JI3TTUbX+0", "AoGA", 1);
        let err = decrypt(CIPHERTEXT, &damaged).unwrap_err();
        assert!(err.contains("invalid RSA PRIVATE KEY"), "{err}");
        let openssh =
            "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
        let err = decrypt(CIPHERTEXT, openssh).unwrap_err();
        assert!(
            err.contains("OpenSSH private key format is not supported"),
            "{err}"
        );
        let err = decrypt(OAEP, PKCS1).unwrap_err();
        assert!(err.starts_with("rsadecrypt: failed to decrypt"), "{err}");
        let err = decrypt("AAAA", PKCS1).unwrap_err();
        assert!(err.starts_with("rsadecrypt: failed to decrypt"), "{err}");
        let err = decrypt(NOT_UTF8, PKCS1).unwrap_err();
        assert_eq!(err, "rsadecrypt: the decrypted text is not valid UTF-8");
        // the key's text never appears in an error when it is sensitive
        let err = call("rsadecrypt", vec![s("!"), s("secret-key").mark()]).unwrap_err();
        assert!(!err.contains("secret-key"), "{err}");
    }
}
