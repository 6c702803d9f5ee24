//! `data "tls_certificate"` (terraform-provider-tls): the certificates a TLS server
//! presents (`url` = `https://host[:port]` or `tls://host:port`), or one PEM certificate
//! (`content`), described as the provider describes them with Go's `crypto/x509`.
//!
//! Order: the provider reverses the peer certificates as the server sent them, so the
//! list is root-most first and the server's own certificate last ("the root of the chain
//! first"); `certificates[0].sha1_fingerprint` is what EKS's OIDC provider takes as its
//! thumbprint. `verify_chain` (default true) checks the chain against the system's trust
//! store (`SSL_CERT_FILE` / `SSL_CERT_DIR` honoured, as Go does).
//!
//! One difference: the id is the SHA-1 of the fingerprints in order, where the provider
//! hashes Go's `%v` rendering of its structs; nothing reads it.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use infra_model::Value;
use infra_provider::{ErrorKind, ProviderError};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha1::{Digest, Sha1};
use x509_parser::prelude::*;

use crate::random::decimal;
use crate::time_types::rfc3339;
use crate::{attrs, rejected, string_arg};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

fn failed(message: String) -> ProviderError {
    ProviderError::new(ErrorKind::Other, message)
}

pub(crate) async fn read(args: &Value, extra_roots: &[Vec<u8>]) -> Result<Value, ProviderError> {
    let url = string_arg(args, "url");
    let content = string_arg(args, "content");
    let verify = args.get("verify_chain").as_bool().unwrap_or(true);
    let ders: Vec<Vec<u8>> = match (url, content) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(rejected(
                "set exactly one of `url` (https://host or tls://host:port) and `content` (a PEM certificate)",
            ))
        }
        (None, Some(pem)) => vec![pem_certificate(pem).map_err(rejected)?],
        (Some(url), None) => {
            let mut peer = fetch(url, verify, extra_roots).await?;
            // as the provider: the server's order reversed, root-most first
            peer.reverse();
            peer
        }
    };
    let mut certs = Vec::with_capacity(ders.len());
    let mut fingerprints = String::new();
    for der in &ders {
        let c = describe(der).map_err(|e| failed(format!("cannot parse a certificate: {e}")))?;
        fingerprints.push_str(c.get("sha1_fingerprint").as_str().unwrap_or_default());
        certs.push(c);
    }
    let mut out = attrs(args);
    out.insert("verify_chain".into(), Value::Bool(verify));
    out.insert("certificates".into(), Value::List(certs));
    out.insert(
        "id".into(),
        Value::string(hex::encode(Sha1::digest(fingerprints.as_bytes()))),
    );
    Ok(Value::Map(out))
}

/// The DER bytes of the first `CERTIFICATE` block of a PEM text.
pub fn pem_certificate(pem: &str) -> Result<Vec<u8>, String> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let start = pem
        .find(BEGIN)
        .ok_or("content is not a PEM certificate (no \"-----BEGIN CERTIFICATE-----\")")?;
    let body = &pem[start + BEGIN.len()..];
    let end = body
        .find(END)
        .ok_or("content's PEM certificate has no \"-----END CERTIFICATE-----\"")?;
    let b64: String = body[..end].split_whitespace().collect();
    STANDARD
        .decode(b64)
        .map_err(|e| format!("content's PEM certificate is not valid base64: {e}"))
}

/// PEM as Go's `pem.EncodeToMemory` writes it: 64-character lines, final newline.
pub fn to_pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// Connect and return the certificates the server presented, in its order (leaf first).
async fn fetch(
    url: &str,
    verify: bool,
    extra_roots: &[Vec<u8>],
) -> Result<Vec<Vec<u8>>, ProviderError> {
    let parsed = url::Url::parse(url).map_err(|e| {
        rejected(format!(
            "url \"{url}\" is not a URL ({e}); write https://host or tls://host:port"
        ))
    })?;
    let port = match parsed.scheme() {
        "https" => parsed.port().unwrap_or(443),
        "tls" => parsed.port().ok_or_else(|| {
            rejected(format!(
                "url \"{url}\" has no port; tls:// URLs need one, e.g. tls://example.com:443"
            ))
        })?,
        other => {
            return Err(rejected(format!(
            "url \"{url}\" has scheme \"{other}\"; tls_certificate reads https:// and tls:// URLs"
        )))
        }
    };
    let host = parsed
        .host_str()
        .ok_or_else(|| rejected(format!("url \"{url}\" has no host")))?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let name = ServerName::try_from(host.clone())
        .map_err(|e| rejected(format!("url \"{url}\": invalid host name: {e}")))?;
    let config = client_config(verify, extra_roots)?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let connect = async {
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        let tls = connector.connect(name, tcp).await.map_err(|e| {
            let hint = if verify {
                "; if the chain is not meant to be trusted here, set verify_chain = false"
            } else {
                ""
            };
            format!("TLS handshake with {host}:{port} failed: {e}{hint}")
        })?;
        let (_, session) = tls.get_ref();
        Ok::<_, String>(
            session
                .peer_certificates()
                .unwrap_or_default()
                .iter()
                .map(|c| c.as_ref().to_vec())
                .collect::<Vec<_>>(),
        )
    };
    let peer = tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| {
            failed(format!(
                "no TLS answer from {url} within {CONNECT_TIMEOUT:?}"
            ))
        })?
        .map_err(|e| failed(format!("reading certificates from {url}: {e}")))?;
    if peer.is_empty() {
        return Err(failed(format!("{url} presented no certificate")));
    }
    Ok(peer)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

pub(crate) fn client_config(
    verify: bool,
    extra_roots: &[Vec<u8>],
) -> Result<rustls::ClientConfig, ProviderError> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| failed(format!("TLS setup: {e}")))?;
    if !verify {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyChain(provider())))
            .with_no_client_auth());
    }
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    for der in extra_roots {
        let _ = roots.add(CertificateDer::from(der.clone()));
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// `verify_chain = false`: any chain is accepted (the handshake's signatures are still
/// checked), as Go's `InsecureSkipVerify`.
#[derive(Debug)]
struct AnyChain(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyChain {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// One certificate as the provider's `certificates` element.
pub fn describe(der: &[u8]) -> Result<Value, String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| e.to_string())?;
    let time = |t: &ASN1Time| {
        ::time::OffsetDateTime::from_unix_timestamp(t.timestamp())
            .map(rfc3339)
            .unwrap_or_default()
    };
    let validity = cert.validity();
    Ok(Value::map([
        (
            "signature_algorithm",
            Value::string(signature_algorithm(&cert.signature_algorithm)),
        ),
        (
            "public_key_algorithm",
            Value::string(public_key_algorithm(
                &cert.public_key().algorithm.algorithm.to_id_string(),
            )),
        ),
        (
            "serial_number",
            Value::string(decimal(cert.tbs_certificate.raw_serial())),
        ),
        ("is_ca", Value::Bool(cert.is_ca())),
        ("version", Value::Number(cert.version().0 as f64 + 1.0)),
        ("issuer", Value::string(go_name(cert.issuer()))),
        ("subject", Value::string(go_name(cert.subject()))),
        ("not_before", Value::string(time(&validity.not_before))),
        ("not_after", Value::string(time(&validity.not_after))),
        (
            "sha1_fingerprint",
            Value::string(hex::encode(Sha1::digest(der))),
        ),
        ("cert_pem", Value::string(to_pem(der))),
    ]))
}

/// Go's `x509.SignatureAlgorithm.String()`.
fn signature_algorithm(alg: &AlgorithmIdentifier<'_>) -> String {
    let oid = alg.algorithm.to_id_string();
    let name = match oid.as_str() {
        "1.2.840.113549.1.1.2" => "MD2-RSA",
        "1.2.840.113549.1.1.4" => "MD5-RSA",
        "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => "SHA1-RSA",
        "1.2.840.113549.1.1.11" => "SHA256-RSA",
        "1.2.840.113549.1.1.12" => "SHA384-RSA",
        "1.2.840.113549.1.1.13" => "SHA512-RSA",
        "1.2.840.113549.1.1.10" => {
            // RSASSA-PSS: the hash is in the parameters
            let params = alg.parameters.as_ref().map(|p| p.data).unwrap_or_default();
            let has = |last: u8| {
                params
                    .windows(9)
                    .any(|w| w == [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, last])
            };
            if has(3) {
                "SHA512-RSAPSS"
            } else if has(2) {
                "SHA384-RSAPSS"
            } else {
                "SHA256-RSAPSS"
            }
        }
        "1.2.840.10040.4.3" => "DSA-SHA1",
        "2.16.840.1.101.3.4.3.2" => "DSA-SHA256",
        "1.2.840.10045.4.1" => "ECDSA-SHA1",
        "1.2.840.10045.4.3.2" => "ECDSA-SHA256",
        "1.2.840.10045.4.3.3" => "ECDSA-SHA384",
        "1.2.840.10045.4.3.4" => "ECDSA-SHA512",
        "1.3.101.112" => "Ed25519",
        _ => "0",
    };
    name.to_string()
}

/// Go's `x509.PublicKeyAlgorithm.String()`.
fn public_key_algorithm(oid: &str) -> &'static str {
    match oid {
        "1.2.840.113549.1.1.1" => "RSA",
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.10045.2.1" => "ECDSA",
        "1.3.101.112" => "Ed25519",
        _ => "0",
    }
}

/// The attribute types Go's `pkix.Name` keeps as fields, in the order `ToRDNSequence`
/// writes them, with the names `String()` gives them.
const GO_NAME_FIELDS: &[(&str, &str)] = &[
    ("2.5.4.6", "C"),
    ("2.5.4.8", "ST"),
    ("2.5.4.7", "L"),
    ("2.5.4.9", "STREET"),
    ("2.5.4.17", "POSTALCODE"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.3", "CN"),
    ("2.5.4.5", "SERIALNUMBER"),
];

fn escape(v: &str) -> String {
    let n = v.chars().count();
    let mut out = String::with_capacity(v.len());
    for (i, c) in v.chars().enumerate() {
        let esc = match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => true,
            ' ' => i == 0 || i + 1 == n,
            '#' => i == 0,
            _ => false,
        };
        if esc {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// DER of a Go string as `asn1.Marshal` writes it: PrintableString when it can be,
/// UTF8String otherwise.
fn go_marshal_string(s: &str) -> Vec<u8> {
    let printable = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " '()+,-./:=?".contains(c));
    let mut out = vec![if printable { 0x13 } else { 0x0c }];
    let len = s.len();
    if len < 128 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend(s.as_bytes());
    out
}

/// Go's `pkix.Name.String()`: the name parsed into Go's fields (C, ST, L, STREET,
/// POSTALCODE, O, OU, the last CN, SERIALNUMBER), written in reverse order with values of
/// one type in one RDN joined by `+`, other attributes last as `oid=#hex`.
pub fn go_name(name: &X509Name<'_>) -> String {
    let mut fields: Vec<Vec<String>> = vec![Vec::new(); GO_NAME_FIELDS.len()];
    let mut extra: Vec<String> = Vec::new();
    for atv in name.iter_attributes() {
        let oid = atv.attr_type().to_id_string();
        let value = atv
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|_| String::from_utf8_lossy(atv.as_slice()).into_owned());
        match GO_NAME_FIELDS.iter().position(|(o, _)| *o == oid) {
            // Go keeps only the last common name and serial number
            Some(i) if matches!(GO_NAME_FIELDS[i].1, "CN" | "SERIALNUMBER") => {
                fields[i] = vec![value]
            }
            Some(i) => fields[i].push(value),
            None => extra.push(format!("{oid}=#{}", hex::encode(go_marshal_string(&value)))),
        }
    }
    // Go puts the other attributes first in the sequence, so they come last in the text
    let mut rdns: Vec<String> = extra;
    rdns.extend(
        GO_NAME_FIELDS
            .iter()
            .zip(&fields)
            .filter(|(_, vals)| !vals.is_empty())
            .map(|((_, short), vals)| {
                vals.iter()
                    .map(|v| format!("{short}={}", escape(v)))
                    .collect::<Vec<_>>()
                    .join("+")
            }),
    );
    rdns.reverse();
    rdns.join(",")
}
