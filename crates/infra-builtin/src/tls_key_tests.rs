//! Key generation formats, parsed back with the crates (and, for fixed keys made by
//! ssh-keygen and openssl, compared with what those tools say).

use pkcs8::DecodePublicKey;
use rsa::pkcs1::DecodeRsaPrivateKey;

use super::*;

#[path = "tls_key_fixtures.rs"]
mod fixtures;

fn config(pairs: &[(&str, Value)]) -> Value {
    Value::map(pairs.iter().map(|(k, v)| (*k, v.clone())))
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).as_str().unwrap_or_else(|| panic!("{k} in {v:?}"))
}

/// The one PEM block of `text`: its label and DER, and the text is exactly Go's layout
/// (64 columns, `\n`, a final newline).
fn block(text: &str, label: &str) -> Vec<u8> {
    assert!(
        text.starts_with(&format!("-----BEGIN {label}-----\n")),
        "{text}"
    );
    assert!(
        text.ends_with(&format!("-----END {label}-----\n")),
        "{text}"
    );
    for line in text.lines() {
        assert!(line.len() <= 64, "{line}");
    }
    let (l, der) = pem_rfc7468::decode_vec(text.as_bytes()).unwrap();
    assert_eq!(l, label);
    der
}

/// `private_key_openssh` parsed by ssh-key (whose own parser wants OpenSSH's 70 columns:
/// the block is decoded here).
fn openssh(v: &Value) -> ssh_key::PrivateKey {
    let der = block(s(v, "private_key_openssh"), "OPENSSH PRIVATE KEY");
    ssh_key::PrivateKey::from_bytes(&der).unwrap()
}

fn check_fingerprints(v: &Value) {
    let md5 = s(v, "public_key_fingerprint_md5");
    let parts: Vec<&str> = md5.split(':').collect();
    assert_eq!(parts.len(), 16, "{md5}");
    assert!(
        parts.iter().all(|p| p.len() == 2
            && p.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())),
        "{md5}"
    );
    let sha = s(v, "public_key_fingerprint_sha256");
    let b64 = sha
        .strip_prefix("SHA256:")
        .unwrap_or_else(|| panic!("{sha}"));
    assert_eq!(b64.len(), 43, "unpadded base64 of 32 bytes: {sha}");
    assert!(!b64.contains('='), "{sha}");
    // the OpenSSH public key, parsed by ssh-key, has the same SHA-256 fingerprint
    let public = ssh_key::PublicKey::from_openssh(s(v, "public_key_openssh")).unwrap();
    assert_eq!(
        public.fingerprint(ssh_key::HashAlg::Sha256).to_string(),
        sha
    );
    assert_eq!(fingerprint_md5(&public.to_bytes().unwrap()), md5);
}

/// The id: hex SHA-1 of the public key's DER (trimmed as Go's TrimSpace).
fn check_id(v: &Value) {
    let der = block(s(v, "public_key_pem"), "PUBLIC KEY");
    let id = s(v, "id");
    assert_eq!(id.len(), 40, "{id}");
    assert_eq!(id, hex::encode(Sha1::digest(go_trim_space(&der))));
}

#[test]
fn rsa_keys_are_pkcs1_pkcs8_and_openssh_of_one_key() {
    let v = create(&config(&[
        ("algorithm", Value::string("RSA")),
        ("rsa_bits", Value::Number(2048.0)),
    ]))
    .unwrap();
    let pkcs1 = block(s(&v, "private_key_pem"), "RSA PRIVATE KEY");
    let key = RsaPrivateKey::from_pkcs1_der(&pkcs1).unwrap();
    assert_eq!(key.size() * 8, 2048);
    let pkcs8 = RsaPrivateKey::from_pkcs8_pem(s(&v, "private_key_pem_pkcs8")).unwrap();
    assert_eq!(pkcs8, key);
    let public = rsa::RsaPublicKey::from_public_key_pem(s(&v, "public_key_pem")).unwrap();
    assert_eq!(public, key.to_public_key());
    // OpenSSH: the same key, and its public half is public_key_openssh
    let ssh = openssh(&v);
    block(s(&v, "private_key_openssh"), "OPENSSH PRIVATE KEY");
    let openssh = s(&v, "public_key_openssh");
    assert!(openssh.starts_with("ssh-rsa AAAA"), "{openssh}");
    assert!(
        openssh.ends_with('\n') && !openssh.ends_with("\n\n"),
        "{openssh:?}"
    );
    assert_eq!(
        format!("{}\n", ssh.public_key().to_openssh().unwrap()),
        openssh
    );
    let rsa = ssh.key_data().rsa().unwrap();
    assert_eq!(
        rsa.public.n.as_positive_bytes().unwrap(),
        key.n().to_bytes_be()
    );
    // parsed back through the data source, every public attribute is the same
    for input in ["private_key_pem", "private_key_pem_pkcs8"] {
        let read = read_public(&config(&[("private_key_pem", v.get(input).clone())])).unwrap();
        assert_eq!(s(&read, "algorithm"), "RSA");
        for k in [
            "public_key_pem",
            "public_key_openssh",
            "public_key_fingerprint_md5",
            "public_key_fingerprint_sha256",
            "id",
        ] {
            assert_eq!(read.get(k), v.get(k), "{input} {k}");
        }
    }
    let read = read_public(&config(&[(
        "private_key_openssh",
        v.get("private_key_openssh").clone(),
    )]))
    .unwrap();
    assert_eq!(read.get("id"), v.get("id"));
    check_fingerprints(&v);
    check_id(&v);
    assert_eq!(v.get("rsa_bits").as_f64(), Some(2048.0));
}

#[test]
fn ecdsa_keys_on_every_curve_are_sec1_with_the_curve_and_pkcs8() {
    for (curve, oid, ssh_name, len) in [
        ("P224", OID_P224, "", 28),
        ("P256", OID_P256, "ecdsa-sha2-nistp256", 32),
        ("P384", OID_P384, "ecdsa-sha2-nistp384", 48),
        ("P521", OID_P521, "ecdsa-sha2-nistp521", 66),
    ] {
        let v = create(&config(&[
            ("algorithm", Value::string("ECDSA")),
            ("ecdsa_curve", Value::string(curve)),
        ]))
        .unwrap();
        // SEC1 names its curve, as Go's MarshalECPrivateKey (and OpenSSL) write it
        let der = block(s(&v, "private_key_pem"), "EC PRIVATE KEY");
        let sec1 = sec1::EcPrivateKey::try_from(der.as_slice()).unwrap();
        assert_eq!(
            sec1.parameters.and_then(|p| p.named_curve()),
            Some(oid),
            "{curve}"
        );
        assert_eq!(sec1.private_key.len(), len, "{curve}");
        assert!(sec1.public_key.is_some(), "{curve}");
        // PKCS#8: the curve in the algorithm, the same private scalar
        let p8 = block(s(&v, "private_key_pem_pkcs8"), "PRIVATE KEY");
        let info = pkcs8::PrivateKeyInfo::try_from(p8.as_slice()).unwrap();
        assert_eq!(info.algorithm.oid, OID_EC);
        assert_eq!(info.algorithm.parameters_oid().unwrap(), oid);
        let inner = sec1::EcPrivateKey::try_from(info.private_key).unwrap();
        assert_eq!(inner.private_key, sec1.private_key);
        // each crate reads its own curve back
        let public_der = block(s(&v, "public_key_pem"), "PUBLIC KEY");
        match curve {
            "P224" => {
                let k = p224::SecretKey::from_sec1_der(&der).unwrap();
                assert_eq!(
                    p224::PublicKey::from_public_key_der(&public_der).unwrap(),
                    k.public_key()
                );
            }
            "P256" => {
                let k = p256::SecretKey::from_sec1_der(&der).unwrap();
                assert_eq!(p256::SecretKey::from_pkcs8_der(&p8).unwrap(), k);
                assert_eq!(
                    p256::PublicKey::from_public_key_der(&public_der).unwrap(),
                    k.public_key()
                );
            }
            "P384" => {
                let k = p384::SecretKey::from_sec1_der(&der).unwrap();
                assert_eq!(p384::SecretKey::from_pkcs8_der(&p8).unwrap(), k);
            }
            _ => {
                let k = p521::SecretKey::from_sec1_der(&der).unwrap();
                assert_eq!(p521::SecretKey::from_pkcs8_der(&p8).unwrap(), k);
            }
        }
        if curve == "P224" {
            // OpenSSH has no P-224 keys: empty, as in the provider
            for k in [
                "private_key_openssh",
                "public_key_openssh",
                "public_key_fingerprint_md5",
                "public_key_fingerprint_sha256",
            ] {
                assert_eq!(s(&v, k), "", "{k}");
            }
        } else {
            let ssh = openssh(&v);
            assert_eq!(ssh.algorithm().as_str(), ssh_name);
            assert_eq!(
                ssh.key_data().ecdsa().unwrap().private_key_bytes(),
                sec1.private_key
            );
            assert!(s(&v, "public_key_openssh").starts_with(&format!("{ssh_name} ")));
            check_fingerprints(&v);
        }
        let read = read_public(&config(&[(
            "private_key_pem",
            v.get("private_key_pem").clone(),
        )]))
        .unwrap();
        assert_eq!(s(&read, "algorithm"), "ECDSA");
        assert_eq!(read.get("id"), v.get("id"), "{curve}");
        assert_eq!(
            read.get("public_key_openssh"),
            v.get("public_key_openssh"),
            "{curve}"
        );
        let read = read_public(&config(&[(
            "private_key_pem",
            v.get("private_key_pem_pkcs8").clone(),
        )]))
        .unwrap();
        assert_eq!(
            read.get("public_key_pem"),
            v.get("public_key_pem"),
            "{curve}"
        );
        check_id(&v);
    }
}

#[test]
fn ed25519_keys_are_pkcs8_version_1_and_openssh() {
    let v = create(&config(&[
        ("algorithm", Value::string("ED25519")),
        ("openssh_comment", Value::string("deploy@ci")),
    ]))
    .unwrap();
    assert_eq!(v.get("private_key_pem"), v.get("private_key_pem_pkcs8"));
    let der = block(s(&v, "private_key_pem"), "PRIVATE KEY");
    // Go's MarshalPKCS8PrivateKey: version 1, the 32-byte seed, no public key
    assert_eq!(der.len(), 48);
    assert_eq!(hex::encode(&der[..16]), "302e020100300506032b657004220420");
    let key = SigningKey::from_pkcs8_der(&der).unwrap();
    let public = ed25519_dalek::VerifyingKey::from_public_key_pem(s(&v, "public_key_pem")).unwrap();
    assert_eq!(public, key.verifying_key());
    let ssh = openssh(&v);
    assert_eq!(ssh.comment(), "deploy@ci");
    assert_eq!(
        ssh.key_data().ed25519().unwrap().private.to_bytes(),
        key.to_bytes()
    );
    let openssh = s(&v, "public_key_openssh");
    assert!(
        openssh.starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"),
        "{openssh}"
    );
    assert!(openssh.ends_with(" deploy@ci\n"), "{openssh:?}");
    check_fingerprints(&v);
    check_id(&v);
    // the schema's defaults are recorded as the provider records them
    assert_eq!(v.get("rsa_bits").as_f64(), Some(2048.0));
    assert_eq!(s(&v, "ecdsa_curve"), "P224");
}

#[test]
fn every_key_is_new() {
    let c = config(&[("algorithm", Value::string("ED25519"))]);
    let a = create(&c).unwrap();
    let b = create(&c).unwrap();
    assert_ne!(a.get("private_key_pem"), b.get("private_key_pem"));
    assert_ne!(a.get("id"), b.get("id"));
}

#[test]
fn bad_arguments_are_refused_with_the_choices() {
    let e = create(&config(&[("algorithm", Value::string("DSA"))])).unwrap_err();
    assert!(e.message.contains("RSA, ECDSA, ED25519"), "{e}");
    let e = create(&config(&[
        ("algorithm", Value::string("ECDSA")),
        ("ecdsa_curve", Value::string("P192")),
    ]))
    .unwrap_err();
    assert!(e.message.contains("P224, P256, P384, P521"), "{e}");
    let e = create(&config(&[
        ("algorithm", Value::string("RSA")),
        ("rsa_bits", Value::Number(512.0)),
    ]))
    .unwrap_err();
    assert!(e.message.contains("rsa_bits"), "{e}");
    let e = read_public(&config(&[])).unwrap_err();
    assert!(e.message.contains("exactly one"), "{e}");
    let e = read_public(&config(&[(
        "private_key_pem",
        Value::string("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
    )]))
    .unwrap_err();
    assert!(e.message.contains("CERTIFICATE"), "{e}");
}

#[test]
fn keys_made_by_ssh_keygen_and_openssl_read_as_those_tools_say() {
    for f in fixtures::FIXTURES {
        let arg = if f.openssh {
            "private_key_openssh"
        } else {
            "private_key_pem"
        };
        let v = read_public(&config(&[(arg, Value::string(f.private))]))
            .unwrap_or_else(|e| panic!("{}: {e}", f.name));
        assert_eq!(s(&v, "algorithm"), f.algorithm, "{}", f.name);
        assert_eq!(s(&v, "public_key_pem"), f.public_pem, "{}", f.name);
        assert_eq!(s(&v, "public_key_openssh"), f.public_openssh, "{}", f.name);
        assert_eq!(s(&v, "public_key_fingerprint_md5"), f.md5, "{}", f.name);
        assert_eq!(
            s(&v, "public_key_fingerprint_sha256"),
            f.sha256,
            "{}",
            f.name
        );
        assert_eq!(s(&v, "id"), f.id, "{}", f.name);
        // text before the block and CRLF line ends, as Go's pem.Decode takes them
        let crlf = format!("key:\r\n{}", f.private.replace('\n', "\r\n"));
        let again = read_public(&config(&[(arg, Value::string(crlf))]))
            .unwrap_or_else(|e| panic!("{} with CRLF: {e}", f.name));
        assert_eq!(again.get("id"), v.get("id"), "{}", f.name);
    }
}

#[test]
fn go_trim_space_trims_unicode_white_space_only() {
    assert_eq!(go_trim_space(b" \t\nabc\r\x0b\x0c "), b"abc");
    // NEL and NBSP as UTF-8 are white space; a lone 0x85 or 0xA0 byte is not
    assert_eq!(go_trim_space(b"\xc2\x85x\xc2\xa0"), b"x");
    assert_eq!(go_trim_space(b"\x85x\xa0"), b"\x85x\xa0");
    assert_eq!(go_trim_space(b"\xe3\x80\x80x\xe2\x80\xa8"), b"x");
    assert_eq!(go_trim_space(b"   "), b"");
    assert_eq!(hash_for_state(b""), "");
    assert_eq!(
        hash_for_state(b"abc\n"),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
}
