//! `data "cloudinit_config"` (terraform-provider-cloudinit): parts rendered into a MIME
//! multi-part document byte for byte as the provider renders it with Go's
//! `mime/multipart` (CRLF line ends, part headers sorted by their canonical name, the
//! first header line ending in a bare LF as the provider writes it), then optionally
//! gzipped and base64-encoded. The id is the CRC-32 of the rendered text, as the
//! provider's `hashcode.String`.
//!
//! One difference: gzip output is a valid gzip stream with Go's header (no name, mtime 0,
//! OS 255) but another deflate implementation, so its bytes differ from Terraform's while
//! decompressing to the same document.

use std::io::Write;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use infra_model::Value;
use infra_provider::ProviderError;

use crate::{attrs, rejected, string_arg};

/// The provider's default boundary.
pub const DEFAULT_BOUNDARY: &str = "MIMEBOUNDARY";

/// One `part` block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Part {
    pub content_type: Option<String>,
    pub content: String,
    pub filename: Option<String>,
    pub merge_type: Option<String>,
}

/// Go's `multipart.Writer.SetBoundary` rules: 1 to 70 characters from RFC 2046's set, a
/// space not last.
fn check_boundary(b: &str) -> Result<(), String> {
    if b.is_empty() || b.len() > 70 {
        return Err(format!("boundary \"{b}\" must be 1 to 70 characters long"));
    }
    let last = b.len() - 1;
    for (i, c) in b.char_indices() {
        let ok = c.is_ascii_alphanumeric() || "'()+_,-./:=?".contains(c) || (c == ' ' && i != last);
        if !ok {
            return Err(format!(
                "boundary \"{b}\" has the character {c:?}, which a MIME boundary cannot hold; use letters, digits and '()+_,-./:=?"
            ));
        }
    }
    Ok(())
}

/// The MIME document, before gzip and base64.
pub fn render_mime(boundary: &str, parts: &[Part]) -> Result<String, String> {
    check_boundary(boundary)?;
    let mut out = String::new();
    out.push_str(&format!(
        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\n"
    ));
    out.push_str("MIME-Version: 1.0\r\n\r\n");
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            out.push_str(&format!("--{boundary}\r\n"));
        } else {
            out.push_str(&format!("\r\n--{boundary}\r\n"));
        }
        // textproto canonical names, written in sorted order as Go's CreatePart does
        let mut headers: Vec<(&str, String)> = vec![
            (
                "Content-Type",
                p.content_type
                    .clone()
                    .filter(|c| !c.is_empty())
                    .unwrap_or_else(|| "text/plain".into()),
            ),
            ("Mime-Version", "1.0".into()),
            ("Content-Transfer-Encoding", "7bit".into()),
        ];
        if let Some(f) = p.filename.as_deref().filter(|f| !f.is_empty()) {
            headers.push((
                "Content-Disposition",
                format!("attachment; filename=\"{f}\""),
            ));
        }
        if let Some(m) = p.merge_type.as_deref().filter(|m| !m.is_empty()) {
            headers.push(("X-Merge-Type", m.to_string()));
        }
        headers.sort_by(|a, b| a.0.cmp(b.0));
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        out.push_str(&p.content);
    }
    if parts.is_empty() {
        out.push_str(&format!("--{boundary}--\r\n"));
    } else {
        out.push_str(&format!("\r\n--{boundary}--\r\n"));
    }
    Ok(out)
}

/// `rendered` from the arguments: MIME, gzip when asked, base64 when asked.
pub fn render(
    gzip: bool,
    base64_encode: bool,
    boundary: &str,
    parts: &[Part],
) -> Result<String, String> {
    if gzip && !base64_encode {
        return Err("gzip = true needs base64_encode = true (gzip output is binary)".into());
    }
    let mime = render_mime(boundary, parts)?;
    let bytes = if gzip {
        let mut enc = flate2::GzBuilder::new()
            .operating_system(255)
            .write(Vec::new(), flate2::Compression::default());
        enc.write_all(mime.as_bytes())
            .and_then(|_| enc.finish())
            .map_err(|e| format!("gzip: {e}"))?
    } else {
        mime.into_bytes()
    };
    Ok(if base64_encode {
        STANDARD.encode(&bytes)
    } else {
        String::from_utf8(bytes).map_err(|e| e.to_string())?
    })
}

/// The provider's `hashcode.String`: CRC-32 (IEEE) of the text, in decimal.
pub fn hashcode(s: &str) -> String {
    crc32fast::hash(s.as_bytes()).to_string()
}

fn parts_of(args: &Value) -> Vec<Part> {
    let opt = |v: &Value, k: &str| string_arg(v, k).map(str::to_string);
    args.get("part")
        .as_list()
        .unwrap_or_default()
        .iter()
        .map(|p| Part {
            content_type: opt(p, "content_type"),
            content: p.get("content").as_str().unwrap_or_default().to_string(),
            filename: opt(p, "filename"),
            merge_type: opt(p, "merge_type"),
        })
        .collect()
}

pub(crate) fn read(args: &Value) -> Result<Value, ProviderError> {
    let gzip = args.get("gzip").as_bool().unwrap_or(true);
    let b64 = args.get("base64_encode").as_bool().unwrap_or(true);
    let boundary = args
        .get("boundary")
        .as_str()
        .unwrap_or(DEFAULT_BOUNDARY)
        .to_string();
    let parts = parts_of(args);
    let rendered = render(gzip, b64, &boundary, &parts).map_err(rejected)?;
    let mut out = attrs(args);
    out.insert("gzip".into(), Value::Bool(gzip));
    out.insert("base64_encode".into(), Value::Bool(b64));
    out.insert("boundary".into(), Value::string(&boundary));
    out.insert("id".into(), Value::string(hashcode(&rendered)));
    out.insert("rendered".into(), Value::string(rendered));
    Ok(Value::Map(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(ct: Option<&str>, content: &str) -> Part {
        Part {
            content_type: ct.map(str::to_string),
            content: content.into(),
            ..Part::default()
        }
    }

    #[test]
    fn one_part_as_the_provider_renders_it() {
        // the provider's own acceptance test: one text/x-shellscript part, no gzip, no base64
        let got = render(
            false,
            false,
            "MIMEBOUNDARY",
            &[part(Some("text/x-shellscript"), "baz")],
        )
        .unwrap();
        assert_eq!(
            got,
            "Content-Type: multipart/mixed; boundary=\"MIMEBOUNDARY\"\nMIME-Version: 1.0\r\n\r\n--MIMEBOUNDARY\r\nContent-Transfer-Encoding: 7bit\r\nContent-Type: text/x-shellscript\r\nMime-Version: 1.0\r\n\r\nbaz\r\n--MIMEBOUNDARY--\r\n"
        );
    }

    #[test]
    fn base64_matches_the_providers_published_output() {
        let got = render(
            false,
            true,
            DEFAULT_BOUNDARY,
            &[part(Some("text/x-shellscript"), "heythere")],
        )
        .unwrap();
        assert_eq!(
            got,
            "Q29udGVudC1UeXBlOiBtdWx0aXBhcnQvbWl4ZWQ7IGJvdW5kYXJ5PSJNSU1FQk9VTkRBUlkiCk1JTUUtVmVyc2lvbjogMS4wDQoNCi0tTUlNRUJPVU5EQVJZDQpDb250ZW50LVRyYW5zZmVyLUVuY29kaW5nOiA3Yml0DQpDb250ZW50LVR5cGU6IHRleHQveC1zaGVsbHNjcmlwdA0KTWltZS1WZXJzaW9uOiAxLjANCg0KaGV5dGhlcmUNCi0tTUlNRUJPVU5EQVJZLS0NCg=="
        );
        // an empty part between two others keeps its blank body
        let three = render_mime(
            DEFAULT_BOUNDARY,
            &[
                part(Some("text/cloud-config"), "abc"),
                part(None, ""),
                part(Some("text/cloud-config"), ""),
            ],
        )
        .unwrap();
        assert!(three.contains(
            "Content-Type: text/plain\r\nMime-Version: 1.0\r\n\r\n\r\n--MIMEBOUNDARY\r\n"
        ));
        assert!(three.ends_with("Mime-Version: 1.0\r\n\r\n\r\n--MIMEBOUNDARY--\r\n"));
    }

    #[test]
    fn two_parts_with_filename_merge_type_and_default_content_type() {
        let parts = [
            Part {
                content_type: None,
                content: "#!/bin/sh\necho hi\n".into(),
                filename: Some("hello.sh".into()),
                merge_type: Some("list(append)+dict(recurse_array)+str()".into()),
            },
            part(
                Some("application/node.eks.aws"),
                "apiVersion: node.eks.aws/v1alpha1\n",
            ),
        ];
        let got = render(false, false, "//", &parts).unwrap();
        assert_eq!(
            got,
            concat!(
                "Content-Type: multipart/mixed; boundary=\"//\"\n",
                "MIME-Version: 1.0\r\n\r\n",
                "--//\r\n",
                "Content-Disposition: attachment; filename=\"hello.sh\"\r\n",
                "Content-Transfer-Encoding: 7bit\r\n",
                "Content-Type: text/plain\r\n",
                "Mime-Version: 1.0\r\n",
                "X-Merge-Type: list(append)+dict(recurse_array)+str()\r\n",
                "\r\n",
                "#!/bin/sh\necho hi\n",
                "\r\n--//\r\n",
                "Content-Transfer-Encoding: 7bit\r\n",
                "Content-Type: application/node.eks.aws\r\n",
                "Mime-Version: 1.0\r\n",
                "\r\n",
                "apiVersion: node.eks.aws/v1alpha1\n",
                "\r\n--//--\r\n",
            )
        );
        // base64 of exactly those bytes, as the EKS module asks (gzip = false)
        let b64 = render(false, true, "//", &parts).unwrap();
        assert_eq!(STANDARD.decode(&b64).unwrap(), got.as_bytes());
    }

    #[test]
    fn gzip_round_trips_and_has_gos_header() {
        let parts = [part(Some("text/cloud-config"), "#cloud-config\n")];
        let b64 = render(true, true, "MIMEBOUNDARY", &parts).unwrap();
        let gz = STANDARD.decode(b64).unwrap();
        assert_eq!(&gz[..4], &[0x1f, 0x8b, 8, 0]);
        assert_eq!(&gz[4..8], &[0, 0, 0, 0], "mtime 0");
        assert_eq!(gz[9], 255, "OS unknown, as Go writes it");
        let mut d = flate2::read::GzDecoder::new(&gz[..]);
        let mut s = String::new();
        std::io::Read::read_to_string(&mut d, &mut s).unwrap();
        assert_eq!(s, render_mime("MIMEBOUNDARY", &parts).unwrap());
        assert!(render(true, false, "B", &parts).is_err());
    }

    #[test]
    fn boundaries_are_checked_as_go_does() {
        for ok in ["MIMEBOUNDARY", "//", "a b", "'()+_,-./:=?"] {
            assert!(check_boundary(ok).is_ok(), "{ok}");
        }
        for bad in ["", "trailing ", "semi;colon", &"x".repeat(71)] {
            assert!(check_boundary(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn read_fills_defaults_and_the_id() {
        let args = Value::map([(
            "part",
            Value::List(vec![Value::map([("content", Value::string("baz"))])]),
        )]);
        let v = read(&args).unwrap();
        assert_eq!(v.get("boundary"), &Value::string("MIMEBOUNDARY"));
        assert_eq!(v.get("gzip"), &Value::Bool(true));
        let rendered = v.get("rendered").as_str().unwrap();
        assert_eq!(v.get("id"), &Value::string(hashcode(rendered)));
        // Go's crc32.ChecksumIEEE("hello") = 907060870
        assert_eq!(hashcode("hello"), "907060870");
    }
}
