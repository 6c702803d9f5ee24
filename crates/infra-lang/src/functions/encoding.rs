//! JSON, YAML (encoding), base64 and hashing.

use infra_model::Value;
use sha2::{Digest, Sha256};

use super::{Args, FnResult};

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(super) fn call(a: Args) -> FnResult {
    match a.f {
        "jsonencode" => {
            let json =
                serde_json::to_string(&a.args[0].to_json()).map_err(|e| format!("{}: {e}", a.f))?;
            // Terraform (Go's encoding/json) escapes HTML-sensitive characters.
            let json = json
                .replace('<', "\\u003c")
                .replace('>', "\\u003e")
                .replace('&', "\\u0026")
                .replace('\u{2028}', "\\u2028")
                .replace('\u{2029}', "\\u2029");
            Ok(Value::String(json))
        }
        "jsondecode" => {
            let text = a.string(0, "str")?;
            let json: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| a.bad("str", format!("invalid JSON: {e}")))?;
            Ok(Value::from_json(&json))
        }
        "base64encode" => Ok(Value::String(base64_encode(a.string(0, "str")?.as_bytes()))),
        "base64decode" => {
            let text = a.string(0, "str")?;
            let bytes = base64_decode(&text).ok_or_else(|| a.bad("str", "invalid base64 data"))?;
            String::from_utf8(bytes)
                .map(Value::String)
                .map_err(|_| a.bad("str", "the decoded bytes are not valid UTF-8"))
        }
        "sha256" => Ok(Value::String(hex::encode(Sha256::digest(
            a.string(0, "str")?.as_bytes(),
        )))),
        "yamlencode" => {
            let mut out = String::new();
            yaml(&a.args[0].to_json(), 0, &mut out);
            Ok(Value::String(out))
        }
        "yamldecode" => super::yaml::decode(&a),
        // gzip as Go's compress/gzip writes it (no name, no time, OS "unknown"); the
        // deflate stream comes from another implementation, so the bytes may differ from
        // Terraform's while decompressing to the same text
        "base64gzip" => {
            use std::io::Write;
            let text = a.string(0, "str")?;
            let mut gz = flate2::GzBuilder::new()
                .operating_system(255)
                .write(Vec::new(), flate2::Compression::default());
            gz.write_all(text.as_bytes())
                .and_then(|_| gz.finish())
                .map(|bytes| Value::String(base64_encode(&bytes)))
                .map_err(|e| format!("{}: {e}", a.f))
        }
        "sensitive" | "nonsensitive" => Ok(a.args[0].clone()),
        other => Err(format!("{other}: not implemented")),
    }
}

/// YAML as Terraform's `yamlencode` writes it: block style, keys sorted, every string
/// (keys too) double-quoted, `{}` / `[]` for empty collections, one value per line.
fn yaml(v: &serde_json::Value, indent: usize, out: &mut String) {
    use serde_json::Value as J;
    let pad = " ".repeat(indent);
    let scalar = |v: &J| match v {
        J::String(s) => serde_json::to_string(s).unwrap_or_default(),
        J::Null => "null".to_string(),
        J::Object(m) if m.is_empty() => "{}".to_string(),
        J::Array(a) if a.is_empty() => "[]".to_string(),
        other => other.to_string(),
    };
    let nested = |v: &J| {
        matches!(v, J::Object(m) if !m.is_empty()) || matches!(v, J::Array(a) if !a.is_empty())
    };
    match v {
        J::Object(m) if !m.is_empty() => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                let item = &m[k];
                // the first key of a map in a list item follows the "- " on its line
                if i > 0 || !out.ends_with("- ") {
                    out.push_str(&pad);
                }
                out.push_str(&serde_json::to_string(k).unwrap_or_default());
                out.push(':');
                match item {
                    J::Object(_) if nested(item) => {
                        out.push('\n');
                        yaml(item, indent + 2, out);
                    }
                    // Terraform does not indent a list under its key
                    J::Array(_) if nested(item) => {
                        out.push('\n');
                        yaml(item, indent, out);
                    }
                    _ => {
                        out.push(' ');
                        out.push_str(&scalar(item));
                        out.push('\n');
                    }
                }
            }
        }
        J::Array(a) if !a.is_empty() => {
            for item in a {
                out.push_str(&pad);
                out.push_str("- ");
                if nested(item) {
                    yaml(item, indent + 2, out);
                } else {
                    out.push_str(&scalar(item));
                    out.push('\n');
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (ci, chunk) in bytes.chunks(4).enumerate() {
        let last = ci == bytes.len() / 4 - 1;
        let mut n: u32 = 0;
        let mut pad = 0;
        for (i, c) in chunk.iter().enumerate() {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                b'=' if last && i >= 2 => {
                    pad += 1;
                    0
                }
                _ => return None,
            };
            if pad > 0 && *c != b'=' {
                return None;
            }
            n = (n << 6) | u32::from(v);
        }
        let b = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&b[..3 - pad]);
    }
    Some(out)
}
