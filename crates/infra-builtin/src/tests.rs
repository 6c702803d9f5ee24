//! Unit tests of the built-in provider through its `Provider` interface; the TLS tests
//! run against a local server with a chain generated here (rcgen), never the internet.

use std::sync::Arc;
use std::time::Instant;

use infra_model::{Address, Value};
use infra_provider::{CreateRequest, Provider, ReadRequest};

use super::*;

fn req(type_name: &str, config: Value) -> CreateRequest {
    CreateRequest {
        stack: "test".into(),
        address: Address::parse(&format!("{type_name}.x")).unwrap(),
        type_name: type_name.into(),
        config,
        token: "t".into(),
        known_ids: vec![],
    }
}

#[tokio::test]
async fn null_resource_ids_are_random_numbers_and_reads_keep_the_state() {
    let p = Builtin::new();
    let config = Value::map([("triggers", Value::map([("a", Value::string("1"))]))]);
    let a = p
        .create(&req("null_resource", config.clone()))
        .await
        .unwrap();
    let b = p.create(&req("null_resource", config)).await.unwrap();
    let id = a.get("id").as_str().unwrap().to_string();
    assert!(id.parse::<i64>().unwrap() >= 0, "{id}");
    assert_ne!(a.get("id"), b.get("id"));
    assert_eq!(a.get("triggers").get("a"), &Value::string("1"));
    let read = p
        .read(
            "null_resource",
            &[ReadRequest {
                id: id.clone(),
                prior: a.clone(),
            }],
        )
        .await
        .unwrap();
    assert_eq!(read.get(&id), Some(&a));
    assert!(p
        .adopt(&req("null_resource", Value::Null))
        .await
        .unwrap()
        .is_none());
    assert_eq!(p.api_calls().total(), 0);
}

#[tokio::test]
async fn terraform_data_output_follows_input_and_keeps_its_id() {
    let p = Builtin::new();
    let a = p
        .create(&req(
            "terraform_data",
            Value::map([("input", Value::string("one"))]),
        ))
        .await
        .unwrap();
    assert_eq!(a.get("output"), &Value::string("one"));
    let id = a.get("id").as_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let mut desired = match a.clone() {
        Value::Map(m) => m,
        _ => unreachable!(),
    };
    desired.insert("input".into(), Value::string("two"));
    desired.insert("output".into(), Value::Unknown);
    let b = p
        .update("terraform_data", &id, &a, &Value::Map(desired))
        .await
        .unwrap();
    assert_eq!(b.get("output"), &Value::string("two"));
    assert_eq!(b.get("id"), a.get("id"));
}

#[tokio::test]
async fn random_values_have_the_requested_shape() {
    let p = Builtin::new();
    let id = p
        .create(&req(
            "random_id",
            Value::map([
                ("byte_length", Value::Number(4.0)),
                ("prefix", Value::string("p-")),
            ]),
        ))
        .await
        .unwrap();
    let hex = id.get("hex").as_str().unwrap();
    assert!(hex.starts_with("p-") && hex.len() == 10, "{hex}");
    let bytes = ::hex::decode(&hex[2..]).unwrap();
    let n = u32::from_be_bytes(bytes.clone().try_into().unwrap());
    assert_eq!(id.get("dec"), &Value::string(format!("p-{n}")));
    assert_eq!(id.get("id").as_str().unwrap().len(), 6, "4 bytes, unpadded");
    assert!(!id.get("id").as_str().unwrap().starts_with("p-"));
    // import gives the same attributes back
    let imported = p
        .import(
            "random_id",
            &format!("p-,{}", id.get("id").as_str().unwrap()),
            &Value::Null,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(imported.get("dec"), id.get("dec"));

    let s = p
        .create(&req(
            "random_string",
            Value::map([
                ("length", Value::Number(24.0)),
                ("special", Value::Bool(false)),
                ("upper", Value::Bool(false)),
                ("min_numeric", Value::Number(5.0)),
            ]),
        ))
        .await
        .unwrap();
    let r = s.get("result").as_str().unwrap();
    assert_eq!(r.len(), 24);
    assert!(
        r.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
        "{r}"
    );
    assert!(r.chars().filter(|c| c.is_ascii_digit()).count() >= 5, "{r}");
    assert_eq!(s.get("id"), s.get("result"));

    let pw = p
        .create(&req(
            "random_password",
            Value::map([
                ("length", Value::Number(16.0)),
                ("override_special", Value::string("_")),
            ]),
        ))
        .await
        .unwrap();
    let r = pw.get("result").as_str().unwrap();
    assert!(
        r.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "{r}"
    );
    assert_eq!(pw.get("id"), &Value::string("none"));

    let err = p
        .create(&req(
            "random_string",
            Value::map([
                ("length", Value::Number(2.0)),
                ("min_lower", Value::Number(3.0)),
            ]),
        ))
        .await
        .unwrap_err();
    assert!(err.message.contains("min_*"), "{err}");
}

#[test]
fn decimal_of_big_numbers() {
    assert_eq!(random::decimal(&[]), "0");
    assert_eq!(random::decimal(&[0, 0, 1, 0]), "256");
    assert_eq!(
        random::decimal(&[0xff; 16]),
        "340282366920938463463374607431768211455"
    );
}

#[tokio::test]
async fn time_sleep_sleeps_in_wait_ready_and_on_destroy() {
    let p = Builtin::new();
    let config = Value::map([
        ("create_duration", Value::string("1s")),
        ("destroy_duration", Value::string("300ms")),
    ]);
    let start = Instant::now();
    let created = p.create(&req("time_sleep", config)).await.unwrap();
    assert!(start.elapsed().as_millis() < 500, "create returns at once");
    let id = created.get("id").as_str().unwrap().to_string();
    assert!(
        id.ends_with('Z') && id.len() == 20,
        "RFC 3339 create time: {id}"
    );
    assert!(remaining_sleep(&created).unwrap().as_millis() > 0);
    p.wait_ready("time_sleep", &id, &created).await.unwrap();
    assert!(start.elapsed().as_millis() >= 1000);
    let start = Instant::now();
    p.delete("time_sleep", &id, &created).await.unwrap();
    assert!(start.elapsed().as_millis() >= 300);
    assert!(p.waiting_for("time_sleep", &id).is_some());
    let err = p
        .create(&req(
            "time_sleep",
            Value::map([("create_duration", Value::string("30"))]),
        ))
        .await
        .unwrap_err();
    assert!(err.message.contains("create_duration"), "{err}");
}

#[tokio::test]
async fn time_static_parts() {
    let v = Builtin::new()
        .create(&req(
            "time_static",
            Value::map([("rfc3339", Value::string("2024-02-03T04:05:06Z"))]),
        ))
        .await
        .unwrap();
    assert_eq!(v.get("year"), &Value::Number(2024.0));
    assert_eq!(v.get("month"), &Value::Number(2.0));
    assert_eq!(v.get("second"), &Value::Number(6.0));
    assert_eq!(v.get("unix"), &Value::Number(1706933106.0));
    assert_eq!(v.get("id"), &Value::string("2024-02-03T04:05:06Z"));
}

// ---- tls_certificate against a local server ----

struct Chain {
    root: rcgen::Certificate,
    intermediate: rcgen::Certificate,
    leaf: rcgen::Certificate,
    leaf_key: rcgen::KeyPair,
}

fn chain() -> Chain {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
    let ca = |cn: &str| {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name
            .push(DnType::OrganizationName, "infra, tests");
        p.distinguished_name.push(DnType::CommonName, cn);
        p
    };
    let root_key = KeyPair::generate().unwrap();
    let root = ca("infra test root").self_signed(&root_key).unwrap();
    let int_key = KeyPair::generate().unwrap();
    let intermediate = ca("infra test intermediate")
        .signed_by(&int_key, &root, &root_key)
        .unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let mut lp = CertificateParams::new(Vec::<String>::new()).unwrap();
    lp.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    lp.subject_alt_names = vec![SanType::IpAddress("127.0.0.1".parse().unwrap())];
    let leaf = lp.signed_by(&leaf_key, &intermediate, &int_key).unwrap();
    Chain {
        root,
        intermediate,
        leaf,
        leaf_key,
    }
}

/// A TLS server on 127.0.0.1 presenting leaf + intermediate; its port.
async fn serve(c: &Chain) -> u16 {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let certs = vec![c.leaf.der().clone(), c.intermediate.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(c.leaf_key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut s) = acceptor.accept(tcp).await {
                    let _ = tokio::io::AsyncReadExt::read(&mut s, &mut [0u8; 16]).await;
                }
            });
        }
    });
    port
}

fn tls_args(url: &str, verify: bool) -> Value {
    Value::map([
        ("url", Value::string(url)),
        ("verify_chain", Value::Bool(verify)),
    ])
}

#[tokio::test]
async fn tls_certificate_reads_the_chain_root_most_first() {
    use sha1::{Digest, Sha1};
    let c = chain();
    let port = serve(&c).await;
    let p = Builtin::new();
    for url in [
        format!("https://127.0.0.1:{port}/.well-known/openid-configuration"),
        format!("tls://127.0.0.1:{port}"),
    ] {
        let v = p
            .read_data("tls_certificate", &tls_args(&url, false))
            .await
            .unwrap();
        let certs = v.get("certificates").as_list().unwrap();
        assert_eq!(certs.len(), 2, "what the server sent");
        let (first, last) = (&certs[0], &certs[1]);
        assert_eq!(
            first.get("sha1_fingerprint"),
            &Value::string(::hex::encode(Sha1::digest(c.intermediate.der())))
        );
        assert_eq!(
            last.get("sha1_fingerprint"),
            &Value::string(::hex::encode(Sha1::digest(c.leaf.der())))
        );
        assert_eq!(
            first.get("subject"),
            &Value::string("CN=infra test intermediate,O=infra\\, tests")
        );
        assert_eq!(
            first.get("issuer"),
            &Value::string("CN=infra test root,O=infra\\, tests")
        );
        assert_eq!(last.get("subject"), &Value::string("CN=127.0.0.1"));
        assert_eq!(first.get("is_ca"), &Value::Bool(true));
        assert_eq!(last.get("is_ca"), &Value::Bool(false));
        assert_eq!(last.get("version"), &Value::Number(3.0));
        assert_eq!(
            last.get("signature_algorithm"),
            &Value::string("ECDSA-SHA256")
        );
        assert_eq!(last.get("public_key_algorithm"), &Value::string("ECDSA"));
        assert_eq!(
            last.get("cert_pem").as_str().unwrap(),
            c.leaf.pem().replace('\r', "")
        );
        let nb = last.get("not_before").as_str().unwrap();
        assert!(nb.len() == 20 && nb.ends_with('Z'), "{nb}");
        assert!(last
            .get("serial_number")
            .as_str()
            .unwrap()
            .chars()
            .all(|ch| ch.is_ascii_digit()));
    }
    // verify_chain = true: refused against the system's roots, accepted with the root
    let url = format!("https://127.0.0.1:{port}");
    let err = p
        .read_data("tls_certificate", &tls_args(&url, true))
        .await
        .unwrap_err();
    assert!(err.message.contains("verify_chain = false"), "{err}");
    let trusting = Builtin::new().with_extra_roots(vec![c.root.der().to_vec()]);
    let v = trusting
        .read_data("tls_certificate", &tls_args(&url, true))
        .await
        .unwrap();
    assert_eq!(v.get("certificates").as_list().unwrap().len(), 2);
    // content: one certificate from PEM
    let v = p
        .read_data(
            "tls_certificate",
            &Value::map([("content", Value::string(c.root.pem()))]),
        )
        .await
        .unwrap();
    let certs = v.get("certificates").as_list().unwrap();
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0].get("subject"), certs[0].get("issuer"));
    // errors name what to do
    let err = p
        .read_data("tls_certificate", &tls_args("http://127.0.0.1:1", false))
        .await
        .unwrap_err();
    assert!(err.message.contains("https:// and tls://"), "{err}");
    let err = p
        .read_data("tls_certificate", &tls_args("tls://127.0.0.1", false))
        .await
        .unwrap_err();
    assert!(err.message.contains("has no port"), "{err}");
}
