//! String functions added for public modules: `chomp`, `strcontains`, `urlencode`,
//! `textencodebase64` / `textdecodebase64`, `csvdecode`; with Terraform's semantics.

use std::collections::BTreeMap;

use infra_model::Value;

use super::encoding::{base64_decode, base64_encode};
use super::{Args, FnResult};

pub(super) fn call(a: Args) -> FnResult {
    match a.f {
        "chomp" => {
            let s = a.string(0, "str")?;
            Ok(Value::String(s.trim_end_matches(['\n', '\r']).to_string()))
        }
        "strcontains" => {
            let s = a.string(0, "str")?;
            let sub = a.string(1, "substr")?;
            Ok(Value::Bool(s.contains(&sub)))
        }
        "urlencode" => Ok(Value::String(urlencode(&a.string(0, "str")?))),
        "textencodebase64" => {
            let s = a.string(0, "string")?;
            let enc = Encoding::named(&a.string(1, "encoding")?)
                .ok_or_else(|| a.bad("encoding", UNSUPPORTED))?;
            let bytes = enc.encode(&s).map_err(|c| {
                a.bad(
                    "string",
                    format!(
                        "the character {c:?} cannot be represented in {}",
                        enc.name()
                    ),
                )
            })?;
            Ok(Value::String(base64_encode(&bytes)))
        }
        "textdecodebase64" => {
            let s = a.string(0, "source")?;
            let enc = Encoding::named(&a.string(1, "encoding")?)
                .ok_or_else(|| a.bad("encoding", UNSUPPORTED))?;
            let bytes = base64_decode(&s).ok_or_else(|| a.bad("source", "invalid base64 data"))?;
            enc.decode(&bytes)
                .map(Value::String)
                .ok_or_else(|| a.bad("source", format!("the bytes are not valid {}", enc.name())))
        }
        "csvdecode" => csvdecode(&a),
        other => Err(format!("{other} is not a text function")),
    }
}

const UNSUPPORTED: &str =
    "supported encodings: UTF-8, UTF-16LE, UTF-16BE, UTF-16 (big-endian with a byte order mark), ISO-8859-1, US-ASCII";

/// Go's `url.QueryEscape`: unreserved characters kept, a space as `+`, the rest `%XX`.
fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[derive(Clone, Copy)]
enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Utf16Bom,
    Latin1,
    Ascii,
}

impl Encoding {
    /// By IANA name or a common alias, case-insensitively.
    fn named(name: &str) -> Option<Encoding> {
        Some(match name.to_ascii_uppercase().as_str() {
            "UTF-8" | "UTF8" => Encoding::Utf8,
            "UTF-16LE" => Encoding::Utf16Le,
            "UTF-16BE" => Encoding::Utf16Be,
            "UTF-16" => Encoding::Utf16Bom,
            "ISO-8859-1" | "ISO_8859-1" | "LATIN1" | "L1" => Encoding::Latin1,
            "US-ASCII" | "ASCII" => Encoding::Ascii,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
            Encoding::Utf16Bom => "UTF-16",
            Encoding::Latin1 => "ISO-8859-1",
            Encoding::Ascii => "US-ASCII",
        }
    }

    /// The bytes, or the first character the encoding cannot hold.
    fn encode(self, s: &str) -> Result<Vec<u8>, char> {
        Ok(match self {
            Encoding::Utf8 => s.as_bytes().to_vec(),
            Encoding::Utf16Le => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            Encoding::Utf16Be => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            Encoding::Utf16Bom => [0xFE, 0xFF]
                .into_iter()
                .chain(s.encode_utf16().flat_map(u16::to_be_bytes))
                .collect(),
            Encoding::Latin1 | Encoding::Ascii => {
                let max = if matches!(self, Encoding::Latin1) {
                    0xFF
                } else {
                    0x7F
                };
                s.chars()
                    .map(|c| {
                        if (c as u32) <= max {
                            Ok(c as u8)
                        } else {
                            Err(c)
                        }
                    })
                    .collect::<Result<_, _>>()?
            }
        })
    }

    fn decode(self, b: &[u8]) -> Option<String> {
        let units = |be: bool, b: &[u8]| -> Option<Vec<u16>> {
            if b.len() % 2 != 0 {
                return None;
            }
            Some(
                b.chunks(2)
                    .map(|c| {
                        if be {
                            u16::from_be_bytes([c[0], c[1]])
                        } else {
                            u16::from_le_bytes([c[0], c[1]])
                        }
                    })
                    .collect(),
            )
        };
        match self {
            Encoding::Utf8 => String::from_utf8(b.to_vec()).ok(),
            Encoding::Utf16Le => String::from_utf16(&units(false, b)?).ok(),
            Encoding::Utf16Be => String::from_utf16(&units(true, b)?).ok(),
            Encoding::Utf16Bom => match b {
                [0xFF, 0xFE, rest @ ..] => String::from_utf16(&units(false, rest)?).ok(),
                [0xFE, 0xFF, rest @ ..] => String::from_utf16(&units(true, rest)?).ok(),
                _ => String::from_utf16(&units(true, b)?).ok(),
            },
            Encoding::Latin1 => Some(b.iter().map(|&x| x as char).collect()),
            Encoding::Ascii => b.is_ascii().then(|| b.iter().map(|&x| x as char).collect()),
        }
    }
}

/// A header line, then one object of strings per line; every line has the header's
/// number of fields.
fn csvdecode(a: &Args) -> FnResult {
    let text = a.string(0, "str")?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = r
        .headers()
        .map_err(|e| a.bad("str", e))?
        .iter()
        .map(str::to_string)
        .collect();
    if headers.is_empty() || text.trim().is_empty() {
        return Err(a.bad("str", "missing header line"));
    }
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| a.bad("str", format!("line {}: {e}", i + 2)))?;
        let obj: BTreeMap<String, Value> = headers
            .iter()
            .cloned()
            .zip(rec.iter().map(|f| Value::String(f.to_string())))
            .collect();
        rows.push(Value::Map(obj));
    }
    Ok(Value::List(rows))
}

#[cfg(test)]
mod tests {
    use super::super::call;
    use infra_model::Value;

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    #[test]
    fn chomp_strcontains_urlencode() {
        assert_eq!(call("chomp", vec![s("hello\n")]).unwrap(), s("hello"));
        assert_eq!(call("chomp", vec![s("hello\r\n\n")]).unwrap(), s("hello"));
        assert_eq!(call("chomp", vec![s("a\nb")]).unwrap(), s("a\nb"));
        assert_eq!(
            call("strcontains", vec![s("hello world"), s("wor")]).unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            call("strcontains", vec![s("hello world"), s("cat")]).unwrap(),
            Value::Bool(false)
        );
        assert_eq!(
            call("urlencode", vec![s("Hello World!")]).unwrap(),
            s("Hello+World%21")
        );
        assert_eq!(call("urlencode", vec![s("☃")]).unwrap(), s("%E2%98%83"));
        assert_eq!(
            call("urlencode", vec![s("foo:bar@localhost?foo=bar&bar=baz")]).unwrap(),
            s("foo%3Abar%40localhost%3Ffoo%3Dbar%26bar%3Dbaz")
        );
    }

    #[test]
    fn text_encodings_round_trip() {
        // Terraform's documented example
        assert_eq!(
            call("textencodebase64", vec![s("Hello World"), s("UTF-16LE")]).unwrap(),
            s("SABlAGwAbABvACAAVwBvAHIAbABkAA==")
        );
        assert_eq!(
            call(
                "textdecodebase64",
                vec![s("SABlAGwAbABvACAAVwBvAHIAbABkAA=="), s("UTF-16LE")]
            )
            .unwrap(),
            s("Hello World")
        );
        let latin = call("textencodebase64", vec![s("é"), s("ISO-8859-1")]).unwrap();
        assert_eq!(latin, s("6Q=="));
        assert_eq!(
            call("textdecodebase64", vec![latin, s("latin1")]).unwrap(),
            s("é")
        );
        let err = call("textencodebase64", vec![s("☃"), s("ISO-8859-1")]).unwrap_err();
        assert!(err.contains("cannot be represented"), "{err}");
        let err = call("textencodebase64", vec![s("x"), s("EBCDIC")]).unwrap_err();
        assert!(err.contains("supported encodings"), "{err}");
    }

    #[test]
    fn csvdecode_as_terraform() {
        let v = call("csvdecode", vec![s("a,b,c\n1,2,3\n4,5,6\n")]).unwrap();
        assert_eq!(
            v.to_json(),
            serde_json::json!([{"a": "1", "b": "2", "c": "3"}, {"a": "4", "b": "5", "c": "6"}])
        );
        let v = call(
            "csvdecode",
            vec![s("name,note\n\"x, y\",\"say \"\"hi\"\"\"\n")],
        )
        .unwrap();
        assert_eq!(
            v.to_json(),
            serde_json::json!([{"name": "x, y", "note": "say \"hi\""}])
        );
        assert_eq!(
            call("csvdecode", vec![s("a,b\n")]).unwrap(),
            Value::List(vec![])
        );
        let err = call("csvdecode", vec![s("a,b\n1,2,3\n")]).unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(call("csvdecode", vec![s("")]).is_err());
    }
}
