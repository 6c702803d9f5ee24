//! Hashes as Terraform spells them: `md5`, `sha1`, `sha512` (hex of the UTF-8 bytes),
//! `base64sha256`, `base64sha512` (base64 of the raw digest), their `file*` forms (over a
//! file's bytes), and `uuidv5`.

use infra_model::Value;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::encoding::base64_encode;
use super::{Args, FnResult};

/// The hex or base64 digest `f` (a hash function's name, with or without `file`) of `bytes`.
pub(crate) fn digest(f: &str, bytes: &[u8]) -> Option<String> {
    Some(match f.trim_start_matches("file") {
        "md5" => hex::encode(Md5::digest(bytes)),
        "sha1" => hex::encode(Sha1::digest(bytes)),
        "sha256" => hex::encode(Sha256::digest(bytes)),
        "sha512" => hex::encode(Sha512::digest(bytes)),
        "base64sha256" => base64_encode(&Sha256::digest(bytes)),
        "base64sha512" => base64_encode(&Sha512::digest(bytes)),
        _ => return None,
    })
}

pub(super) fn call(a: Args) -> FnResult {
    if a.f == "uuidv5" {
        return uuidv5(&a);
    }
    let text = a.string(0, "str")?;
    digest(a.f, text.as_bytes())
        .map(Value::String)
        .ok_or_else(|| format!("{} is not a hash function", a.f))
}

fn uuidv5(a: &Args) -> FnResult {
    let ns = a.string(0, "namespace")?;
    let name = a.string(1, "name")?;
    let namespace = match ns.as_str() {
        "dns" => uuid::Uuid::NAMESPACE_DNS,
        "url" => uuid::Uuid::NAMESPACE_URL,
        "oid" => uuid::Uuid::NAMESPACE_OID,
        "x500" => uuid::Uuid::NAMESPACE_X500,
        other => uuid::Uuid::parse_str(other).map_err(|_| {
            a.bad(
                "namespace",
                "must be \"dns\", \"url\", \"oid\", \"x500\" or a UUID",
            )
        })?,
    };
    Ok(Value::String(
        uuid::Uuid::new_v5(&namespace, name.as_bytes()).to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::call;
    use infra_model::Value;

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    #[test]
    fn hashes_match_terraform() {
        // the values of Terraform's documentation
        assert_eq!(
            call("md5", vec![s("hello world")]).unwrap(),
            s("5eb63bbbe01eeed093cb22bb8f5acdc3")
        );
        assert_eq!(
            call("sha1", vec![s("hello world")]).unwrap(),
            s("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed")
        );
        assert_eq!(
            call("sha512", vec![s("hello world")]).unwrap(),
            s("309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f")
        );
        assert_eq!(
            call("base64sha256", vec![s("hello world")]).unwrap(),
            s("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=")
        );
        assert_eq!(
            call("base64sha512", vec![s("hello world")]).unwrap(),
            s("MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw==")
        );
    }

    #[test]
    fn uuidv5_takes_named_and_literal_namespaces() {
        assert_eq!(
            call("uuidv5", vec![s("dns"), s("www.terraform.io")]).unwrap(),
            s("a5008fae-b28c-5ba5-96cd-82b4c53552d6")
        );
        assert_eq!(
            call("uuidv5", vec![s("url"), s("https://www.terraform.io/")]).unwrap(),
            s("9db6f67c-dd95-5ea0-aa5b-e70e5c5f7cf5")
        );
        assert_eq!(
            call(
                "uuidv5",
                vec![
                    s("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
                    s("www.terraform.io")
                ]
            )
            .unwrap(),
            s("a5008fae-b28c-5ba5-96cd-82b4c53552d6")
        );
        let err = call("uuidv5", vec![s("nope"), s("x")]).unwrap_err();
        assert!(err.contains("namespace"), "{err}");
    }

    #[test]
    fn file_hashes_read_the_stack_files() {
        use std::sync::Arc;
        let mut files = super::super::files::Files::new();
        files.insert("data/hello.txt".into(), Arc::from(&b"hello world"[..]));
        let files = Arc::new(files);
        super::super::files::with_files(files, || {
            assert_eq!(
                call("filemd5", vec![s("./data/hello.txt")]).unwrap(),
                s("5eb63bbbe01eeed093cb22bb8f5acdc3")
            );
            assert_eq!(
                call("filebase64sha256", vec![s("data/hello.txt")]).unwrap(),
                s("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=")
            );
            assert_eq!(
                call("filesha256", vec![s("data/hello.txt")]).unwrap(),
                s("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9")
            );
            let err = call("filesha1", vec![s("data/nope.txt")]).unwrap_err();
            assert!(err.contains("no file"), "{err}");
        });
    }

    #[test]
    fn issensitive_sees_marks_and_ephemeralasnull_is_the_value() {
        assert_eq!(
            call("issensitive", vec![s("x").mark()]).unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            call("issensitive", vec![s("x")]).unwrap(),
            Value::Bool(false)
        );
        assert_eq!(call("ephemeralasnull", vec![s("x")]).unwrap(), s("x"));
    }
}
