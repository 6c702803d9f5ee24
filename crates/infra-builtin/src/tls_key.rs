//! `tls_private_key` and data `tls_public_key` (terraform-provider-tls): a key pair
//! generated once at create (RustCrypto's `rsa`, `p224`/`p256`/`p384`/`p521`,
//! `ed25519-dalek`, from the operating system's CSPRNG) and kept in the state, in the
//! provider's formats:
//!
//! - `private_key_pem`: PKCS#1 `RSA PRIVATE KEY`, SEC1 `EC PRIVATE KEY` (with the curve's
//!   OID, as Go's `x509.MarshalECPrivateKey`), PKCS#8 `PRIVATE KEY` for ED25519 (version 1,
//!   no public key, as Go's `x509.MarshalPKCS8PrivateKey`);
//! - `private_key_pem_pkcs8`: PKCS#8 for every algorithm;
//! - `private_key_openssh`: `OPENSSH PRIVATE KEY` (unencrypted `openssh-key-v1`, wrapped at
//!   64 columns as Go's `pem.EncodeToMemory` does);
//! - `public_key_pem`: the SubjectPublicKeyInfo as `PUBLIC KEY`;
//! - `public_key_openssh`: `ALGORITHM BASE64\n` (with `openssh_comment` before the newline
//!   when one is set), as Go's `ssh.MarshalAuthorizedKey`;
//! - `public_key_fingerprint_md5` (`aa:bb:...`) and `_sha256` (`SHA256:` and unpadded
//!   base64) of the SSH wire encoding;
//! - `id`: the hex SHA-1 of the public key's DER with Go's `strings.TrimSpace` applied
//!   first, as the provider's `hashForState` does.
//!
//! OpenSSH has no P-224 keys: for ECDSA P224 the OpenSSH values and fingerprints are empty
//! strings, as in the provider. PEM blocks end with a newline, as Go writes them.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use ed25519_dalek::pkcs8::KeypairBytes;
use ed25519_dalek::SigningKey;
use infra_model::Value;
use infra_provider::ProviderError;
use md5::Md5;
use pem_rfc7468::LineEnding;
use pkcs8::der::asn1::ObjectIdentifier;
use pkcs8::der::Encode;
use pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rand::rngs::OsRng;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BigUint, RsaPrivateKey};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use ssh_key::private::{
    EcdsaKeypair, EcdsaPrivateKey, Ed25519Keypair, KeypairData, RsaKeypair,
    RsaPrivateKey as SshRsaPrivate,
};
use ssh_key::public::{EcdsaPublicKey, Ed25519PublicKey, KeyData, RsaPublicKey as SshRsaPublic};
use ssh_key::Mpint;

use crate::{attrs, rejected, string_arg};

/// The curves `ecdsa_curve` names, as the provider spells them.
pub const CURVES: &[&str] = &["P224", "P256", "P384", "P521"];
/// The algorithms `algorithm` names.
pub const ALGORITHMS: &[&str] = &["RSA", "ECDSA", "ED25519"];

/// RSA sizes accepted: Go refuses keys under 1024 bits; past 16384 a key takes minutes.
const RSA_BITS: std::ops::RangeInclusive<usize> = 1024..=16384;

const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_P224: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.33");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// A private key of one of the provider's algorithms.
pub enum Key {
    Rsa(Box<RsaPrivateKey>),
    P224(p224::SecretKey),
    P256(p256::SecretKey),
    P384(p384::SecretKey),
    P521(p521::SecretKey),
    Ed25519(SigningKey),
}

fn failed(what: &str, e: impl std::fmt::Display) -> ProviderError {
    rejected(format!("{what}: {e}"))
}

/// A PEM block as Go's `pem.EncodeToMemory` writes it: 64 columns, `\n`, a final newline.
fn pem(label: &str, der: &[u8]) -> Result<String, ProviderError> {
    pem_rfc7468::encode_string(label, LineEnding::LF, der).map_err(|e| failed("PEM encoding", e))
}

/// SEC1 `ECPrivateKey` with the named curve, as Go's `x509.MarshalECPrivateKey`.
fn sec1_der(
    private: &[u8],
    curve: ObjectIdentifier,
    public: &[u8],
) -> Result<Vec<u8>, ProviderError> {
    sec1::EcPrivateKey {
        private_key: private,
        parameters: Some(sec1::EcParameters::NamedCurve(curve)),
        public_key: Some(public),
    }
    .to_der()
    .map_err(|e| failed("SEC1 encoding", e))
}

fn mpint(n: &BigUint) -> Result<Mpint, ProviderError> {
    Mpint::from_positive_bytes(&n.to_bytes_be()).map_err(|e| failed("SSH encoding", e))
}

/// Go's `strings.TrimSpace` on bytes: leading and trailing Unicode white space, decoded as
/// UTF-8 (an invalid byte is not white space).
pub fn go_trim_space(b: &[u8]) -> &[u8] {
    fn space(bytes: &[u8]) -> Option<usize> {
        (1..=bytes.len().min(4)).find_map(|k| {
            let s = std::str::from_utf8(&bytes[..k]).ok()?;
            s.chars().next().filter(|c| c.is_whitespace()).map(|_| k)
        })
    }
    fn space_back(bytes: &[u8]) -> Option<usize> {
        (1..=bytes.len().min(4)).find_map(|k| {
            let s = std::str::from_utf8(&bytes[bytes.len() - k..]).ok()?;
            s.chars().next().filter(|c| c.is_whitespace()).map(|_| k)
        })
    }
    let mut b = b;
    while let Some(k) = space(b) {
        b = &b[k..];
    }
    while let Some(k) = space_back(b) {
        b = &b[..b.len() - k];
    }
    b
}

/// The provider's `hashForState`: hex SHA-1 of the trimmed value, "" for "".
pub fn hash_for_state(value: &[u8]) -> String {
    if value.is_empty() {
        return String::new();
    }
    hex::encode(Sha1::digest(go_trim_space(value)))
}

/// `aa:bb:...`, as Go's `ssh.FingerprintLegacyMD5`.
pub fn fingerprint_md5(blob: &[u8]) -> String {
    Md5::digest(blob)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// `SHA256:` and unpadded base64, as Go's `ssh.FingerprintSHA256`.
pub fn fingerprint_sha256(blob: &[u8]) -> String {
    format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(blob)))
}

impl Key {
    /// A new key of `algorithm` (`RSA` with `rsa_bits`, `ECDSA` on `ecdsa_curve`, `ED25519`).
    pub fn generate(algorithm: &str, rsa_bits: usize, curve: &str) -> Result<Key, ProviderError> {
        let mut rng = OsRng;
        Ok(match algorithm {
            "RSA" => {
                if !RSA_BITS.contains(&rsa_bits) {
                    return Err(rejected(format!(
                        "rsa_bits must be from {} to {}, got {rsa_bits}",
                        RSA_BITS.start(),
                        RSA_BITS.end()
                    )));
                }
                Key::Rsa(Box::new(
                    RsaPrivateKey::new(&mut rng, rsa_bits)
                        .map_err(|e| failed("RSA key generation", e))?,
                ))
            }
            "ECDSA" => match curve {
                "P224" => Key::P224(p224::SecretKey::random(&mut rng)),
                "P256" => Key::P256(p256::SecretKey::random(&mut rng)),
                "P384" => Key::P384(p384::SecretKey::random(&mut rng)),
                "P521" => Key::P521(p521::SecretKey::random(&mut rng)),
                other => {
                    return Err(rejected(format!(
                        "invalid ECDSA curve \"{other}\"; supported values are: {}",
                        CURVES.join(", ")
                    )))
                }
            },
            "ED25519" => Key::Ed25519(SigningKey::generate(&mut rng)),
            other => {
                return Err(rejected(format!(
                    "invalid algorithm \"{other}\"; supported values are: {}",
                    ALGORITHMS.join(", ")
                )))
            }
        })
    }

    /// The provider's algorithm name.
    pub fn algorithm(&self) -> &'static str {
        match self {
            Key::Rsa(_) => "RSA",
            Key::P224(_) | Key::P256(_) | Key::P384(_) | Key::P521(_) => "ECDSA",
            Key::Ed25519(_) => "ED25519",
        }
    }

    /// `private_key_pem`: PKCS#1, SEC1 or (ED25519) PKCS#8.
    pub fn private_pem(&self) -> Result<String, ProviderError> {
        use p224::elliptic_curve::sec1::ToEncodedPoint;
        let (label, der) = match self {
            Key::Rsa(k) => (
                "RSA PRIVATE KEY",
                k.to_pkcs1_der()
                    .map_err(|e| failed("PKCS#1 encoding", e))?
                    .as_bytes()
                    .to_vec(),
            ),
            Key::P224(k) => (
                "EC PRIVATE KEY",
                sec1_der(
                    &k.to_bytes(),
                    OID_P224,
                    k.public_key().to_encoded_point(false).as_bytes(),
                )?,
            ),
            Key::P256(k) => (
                "EC PRIVATE KEY",
                sec1_der(
                    &k.to_bytes(),
                    OID_P256,
                    k.public_key().to_encoded_point(false).as_bytes(),
                )?,
            ),
            Key::P384(k) => (
                "EC PRIVATE KEY",
                sec1_der(
                    &k.to_bytes(),
                    OID_P384,
                    k.public_key().to_encoded_point(false).as_bytes(),
                )?,
            ),
            Key::P521(k) => (
                "EC PRIVATE KEY",
                sec1_der(
                    &k.to_bytes(),
                    OID_P521,
                    k.public_key().to_encoded_point(false).as_bytes(),
                )?,
            ),
            Key::Ed25519(_) => return self.pkcs8_pem(),
        };
        pem(label, &der)
    }

    /// `private_key_pem_pkcs8`.
    pub fn pkcs8_pem(&self) -> Result<String, ProviderError> {
        let doc = match self {
            Key::Rsa(k) => k.to_pkcs8_der(),
            Key::P224(k) => k.to_pkcs8_der(),
            Key::P256(k) => k.to_pkcs8_der(),
            Key::P384(k) => k.to_pkcs8_der(),
            Key::P521(k) => k.to_pkcs8_der(),
            // version 1 without the public key, as Go writes it
            Key::Ed25519(k) => KeypairBytes {
                secret_key: k.to_bytes(),
                public_key: None,
            }
            .to_pkcs8_der(),
        }
        .map_err(|e| failed("PKCS#8 encoding", e))?;
        pem("PRIVATE KEY", doc.as_bytes())
    }

    /// The SubjectPublicKeyInfo DER of the public key.
    pub fn public_der(&self) -> Result<Vec<u8>, ProviderError> {
        match self {
            Key::Rsa(k) => k.to_public_key().to_public_key_der(),
            Key::P224(k) => k.public_key().to_public_key_der(),
            Key::P256(k) => k.public_key().to_public_key_der(),
            Key::P384(k) => k.public_key().to_public_key_der(),
            Key::P521(k) => k.public_key().to_public_key_der(),
            Key::Ed25519(k) => k.verifying_key().to_public_key_der(),
        }
        .map(|d| d.as_bytes().to_vec())
        .map_err(|e| failed("public key encoding", e))
    }

    fn rsa_public(k: &RsaPrivateKey) -> Result<SshRsaPublic, ProviderError> {
        Ok(SshRsaPublic {
            e: mpint(k.e())?,
            n: mpint(k.n())?,
        })
    }

    /// The OpenSSH key pair (None for P-224, which OpenSSH does not have).
    fn ssh_keypair(&self) -> Result<Option<KeypairData>, ProviderError> {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        Ok(Some(match self {
            Key::Rsa(k) => {
                let (p, q) = match k.primes() {
                    [p, q] => (p, q),
                    _ => return Err(rejected("multi-prime RSA keys have no OpenSSH encoding")),
                };
                let iqmp = match k.crt_coefficient() {
                    Some(c) => c,
                    None => return Err(rejected("the RSA key has no CRT coefficient")),
                };
                KeypairData::Rsa(RsaKeypair {
                    public: Self::rsa_public(k)?,
                    private: SshRsaPrivate {
                        d: mpint(k.d())?,
                        iqmp: mpint(&iqmp)?,
                        p: mpint(p)?,
                        q: mpint(q)?,
                    },
                })
            }
            Key::P224(_) => return Ok(None),
            Key::P256(k) => KeypairData::Ecdsa(EcdsaKeypair::NistP256 {
                public: k.public_key().to_encoded_point(false),
                private: EcdsaPrivateKey::from(k.clone()),
            }),
            Key::P384(k) => KeypairData::Ecdsa(EcdsaKeypair::NistP384 {
                public: k.public_key().to_encoded_point(false),
                private: EcdsaPrivateKey::from(k.clone()),
            }),
            Key::P521(k) => KeypairData::Ecdsa(EcdsaKeypair::NistP521 {
                public: k.public_key().to_encoded_point(false),
                private: EcdsaPrivateKey::from(k.clone()),
            }),
            Key::Ed25519(k) => KeypairData::Ed25519(Ed25519Keypair::from(k)),
        }))
    }

    /// The SSH public key (None for P-224).
    fn ssh_public(&self) -> Result<Option<KeyData>, ProviderError> {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        Ok(Some(match self {
            Key::Rsa(k) => KeyData::Rsa(Self::rsa_public(k)?),
            Key::P224(_) => return Ok(None),
            Key::P256(k) => KeyData::Ecdsa(EcdsaPublicKey::NistP256(
                k.public_key().to_encoded_point(false),
            )),
            Key::P384(k) => KeyData::Ecdsa(EcdsaPublicKey::NistP384(
                k.public_key().to_encoded_point(false),
            )),
            Key::P521(k) => KeyData::Ecdsa(EcdsaPublicKey::NistP521(
                k.public_key().to_encoded_point(false),
            )),
            Key::Ed25519(k) => KeyData::Ed25519(Ed25519PublicKey(k.verifying_key().to_bytes())),
        }))
    }

    /// `private_key_openssh` ("" for P-224).
    pub fn openssh_private(&self, comment: &str) -> Result<String, ProviderError> {
        let Some(pair) = self.ssh_keypair()? else {
            return Ok(String::new());
        };
        let key =
            ssh_key::PrivateKey::new(pair, comment).map_err(|e| failed("OpenSSH encoding", e))?;
        let bytes = key.to_bytes().map_err(|e| failed("OpenSSH encoding", e))?;
        pem("OPENSSH PRIVATE KEY", &bytes)
    }

    /// The public attributes: `public_key_pem`, `public_key_openssh` and the fingerprints
    /// (empty strings for P-224), `id`.
    pub fn public_attrs(&self, comment: &str) -> Result<Vec<(&'static str, Value)>, ProviderError> {
        let der = self.public_der()?;
        let (openssh, md5, sha256) = match self.ssh_public()? {
            Some(data) => {
                let blob = ssh_key::PublicKey::new(data.clone(), "")
                    .to_bytes()
                    .map_err(|e| failed("SSH encoding", e))?;
                let mut line = format!("{} {}", data.algorithm().as_str(), STANDARD.encode(&blob));
                if !comment.is_empty() {
                    line.push(' ');
                    line.push_str(comment);
                }
                line.push('\n');
                (line, fingerprint_md5(&blob), fingerprint_sha256(&blob))
            }
            None => Default::default(),
        };
        Ok(vec![
            ("public_key_pem", Value::string(pem("PUBLIC KEY", &der)?)),
            ("public_key_openssh", Value::string(openssh)),
            ("public_key_fingerprint_md5", Value::string(md5)),
            ("public_key_fingerprint_sha256", Value::string(sha256)),
            ("id", Value::string(hash_for_state(&der))),
        ])
    }

    /// A private key in PEM: PKCS#1 (`RSA PRIVATE KEY`), SEC1 (`EC PRIVATE KEY`) or PKCS#8
    /// (`PRIVATE KEY`), as the provider's `parsePrivateKeyPEM` takes them.
    pub fn from_pem(text: &str) -> Result<Key, ProviderError> {
        let (label, der) = decode_pem(text).map_err(|e| failed("failed to decode PEM block", e))?;
        let bad = |e: &dyn std::fmt::Display| {
            rejected(format!(
                "failed to parse private key given PEM preamble '{label}': {e}"
            ))
        };
        match label.as_str() {
            "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_der(&der)
                .map(|k| Key::Rsa(Box::new(k)))
                .map_err(|e| bad(&e)),
            "EC PRIVATE KEY" => {
                let parsed = sec1::EcPrivateKey::try_from(der.as_slice()).map_err(|e| bad(&e))?;
                let curve = parsed
                    .parameters
                    .and_then(|p| p.named_curve())
                    .ok_or_else(|| bad(&"the key names no curve"))?;
                ec_from_bytes(curve, parsed.private_key).map_err(|e| bad(&e))
            }
            "PRIVATE KEY" => {
                let info = pkcs8::PrivateKeyInfo::try_from(der.as_slice()).map_err(|e| bad(&e))?;
                match info.algorithm.oid {
                    OID_RSA => RsaPrivateKey::from_pkcs8_der(&der)
                        .map(|k| Key::Rsa(Box::new(k)))
                        .map_err(|e| bad(&e)),
                    OID_EC => {
                        let curve = info.algorithm.parameters_oid().map_err(|e| bad(&e))?;
                        let inner =
                            sec1::EcPrivateKey::try_from(info.private_key).map_err(|e| bad(&e))?;
                        ec_from_bytes(curve, inner.private_key).map_err(|e| bad(&e))
                    }
                    OID_ED25519 => SigningKey::from_pkcs8_der(&der)
                        .map(Key::Ed25519)
                        .map_err(|e| bad(&e)),
                    other => Err(bad(&format!("unsupported key algorithm {other}"))),
                }
            }
            other => Err(rejected(format!(
                "unable to determine parser for PEM preamble: {other}"
            ))),
        }
    }

    /// An unencrypted OpenSSH private key (`OPENSSH PRIVATE KEY`).
    pub fn from_openssh(text: &str) -> Result<Key, ProviderError> {
        let bad = |e: &dyn std::fmt::Display| {
            rejected(format!("failed to parse openssh private key: {e}"))
        };
        let (label, bytes) = decode_pem(text).map_err(|e| bad(&e))?;
        if label != "OPENSSH PRIVATE KEY" {
            return Err(bad(&format!("a {label} block, not OPENSSH PRIVATE KEY")));
        }
        let key = ssh_key::PrivateKey::from_bytes(&bytes).map_err(|e| bad(&e))?;
        if key.is_encrypted() {
            return Err(bad(&"the key is encrypted (a passphrase is not supported)"));
        }
        let big = |m: &Mpint| -> Result<BigUint, ProviderError> {
            m.as_positive_bytes()
                .map(BigUint::from_bytes_be)
                .ok_or_else(|| bad(&"a negative RSA component"))
        };
        match key.key_data() {
            KeypairData::Rsa(k) => RsaPrivateKey::from_components(
                big(&k.public.n)?,
                big(&k.public.e)?,
                big(&k.private.d)?,
                vec![big(&k.private.p)?, big(&k.private.q)?],
            )
            .map(|k| Key::Rsa(Box::new(k)))
            .map_err(|e| bad(&e)),
            KeypairData::Ecdsa(k) => {
                let curve = match k {
                    EcdsaKeypair::NistP256 { .. } => OID_P256,
                    EcdsaKeypair::NistP384 { .. } => OID_P384,
                    EcdsaKeypair::NistP521 { .. } => OID_P521,
                };
                ec_from_bytes(curve, k.private_key_bytes()).map_err(|e| bad(&e))
            }
            KeypairData::Ed25519(k) => {
                Ok(Key::Ed25519(SigningKey::from_bytes(&k.private.to_bytes())))
            }
            other => Err(bad(&format!(
                "unsupported key type {}",
                other
                    .algorithm()
                    .map(|a| a.as_str().to_string())
                    .unwrap_or_else(|_| "(unknown)".into())
            ))),
        }
    }
}

/// The first PEM block of `text`: its label and bytes. Lenient as Go's `pem.Decode`: text
/// before the block, any line width (Go writes 64 columns, OpenSSH 70), header lines
/// (`Name: value`) and `\r\n` are accepted.
pub fn decode_pem(text: &str) -> Result<(String, Vec<u8>), String> {
    let start = text
        .find("-----BEGIN ")
        .ok_or("no PEM block found (no -----BEGIN line)")?;
    let rest = &text[start + "-----BEGIN ".len()..];
    let label_end = rest
        .find("-----")
        .ok_or("a -----BEGIN line without its closing dashes")?;
    let label = &rest[..label_end];
    let body_start = label_end + 5;
    let end_marker = format!("-----END {label}-----");
    let body_end = rest[body_start..]
        .find(&end_marker)
        .ok_or_else(|| format!("no {end_marker} line"))?;
    let body: String = rest[body_start..body_start + body_end]
        .lines()
        .map(str::trim)
        .filter(|l| !l.contains(':'))
        .collect();
    let bytes = STANDARD
        .decode(body.as_bytes())
        .map_err(|e| format!("the {label} block is not base64: {e}"))?;
    Ok((label.to_string(), bytes))
}

fn ec_from_bytes(curve: ObjectIdentifier, private: &[u8]) -> Result<Key, String> {
    let bad = |e: p256::elliptic_curve::Error| e.to_string();
    Ok(match curve {
        OID_P224 => Key::P224(p224::SecretKey::from_slice(private).map_err(bad)?),
        OID_P256 => Key::P256(p256::SecretKey::from_slice(private).map_err(bad)?),
        OID_P384 => Key::P384(p384::SecretKey::from_slice(private).map_err(bad)?),
        OID_P521 => Key::P521(p521::SecretKey::from_slice(private).map_err(bad)?),
        other => return Err(format!("unsupported elliptic curve {other}")),
    })
}

/// Create a `tls_private_key`: the configuration (with the schema's defaults) and every
/// encoding of a new key.
pub(crate) fn create(config: &Value) -> Result<Value, ProviderError> {
    let algorithm = string_arg(config, "algorithm").ok_or_else(|| {
        rejected(format!(
            "algorithm is required: one of {}",
            ALGORITHMS.join(", ")
        ))
    })?;
    let bits = match config.get("rsa_bits").as_f64() {
        None => 2048,
        Some(n) if n.fract() == 0.0 && n > 0.0 => n as usize,
        Some(n) => {
            return Err(rejected(format!(
                "rsa_bits must be a whole number, got {n}"
            )))
        }
    };
    let curve = string_arg(config, "ecdsa_curve").unwrap_or("P224");
    let comment = string_arg(config, "openssh_comment").unwrap_or("");
    let key = Key::generate(algorithm, bits, curve)?;
    let mut out = attrs(config);
    out.insert("rsa_bits".into(), Value::Number(bits as f64));
    out.insert("ecdsa_curve".into(), Value::string(curve));
    out.insert("private_key_pem".into(), Value::string(key.private_pem()?));
    out.insert(
        "private_key_pem_pkcs8".into(),
        Value::string(key.pkcs8_pem()?),
    );
    out.insert(
        "private_key_openssh".into(),
        Value::string(key.openssh_private(comment)?),
    );
    for (k, v) in key.public_attrs(comment)? {
        out.insert(k.into(), v);
    }
    Ok(Value::Map(out))
}

/// Read `data "tls_public_key"`: the public half of `private_key_pem` or
/// `private_key_openssh` (exactly one).
pub(crate) fn read_public(args: &Value) -> Result<Value, ProviderError> {
    let key = match (
        string_arg(args, "private_key_pem"),
        string_arg(args, "private_key_openssh"),
    ) {
        (Some(pem), None) => Key::from_pem(pem)?,
        (None, Some(ssh)) => Key::from_openssh(ssh)?,
        _ => {
            return Err(rejected(
                "set exactly one of `private_key_pem` and `private_key_openssh`",
            ))
        }
    };
    let mut out = attrs(args);
    out.insert("algorithm".into(), Value::string(key.algorithm()));
    for (k, v) in key.public_attrs("")? {
        out.insert(k.into(), v);
    }
    Ok(Value::Map(out))
}

#[cfg(test)]
#[path = "tls_key_tests.rs"]
mod tests;
