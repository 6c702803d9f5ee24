//! Defence in depth for secrets: a process-wide list of known secret texts (sensitive
//! variable values, the AWS credentials in use) that the `Printer` and the log writer
//! replace with `(sensitive value)` before anything is written. Sensitivity marks
//! (`infra_model::sensitive`) are the primary mechanism; this catches what a mark
//! cannot reach (an SDK's request log, an error text from outside the evaluator).

use std::borrow::Cow;
use std::io::Write;
use std::sync::RwLock;

use infra_model::sensitive::{scrub, MIN_SCRUB_LEN};
use infra_model::Value;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// The environment variables whose values are credentials.
pub const CREDENTIAL_VARS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
];

/// Remember `text` as a secret, with the forms it takes inside a JSON string and a
/// URL-encoded request body (texts shorter than 4 characters are ignored: they would
/// match everywhere).
pub fn register(text: &str) {
    if text.len() < MIN_SCRUB_LEN {
        return;
    }
    let json = serde_json::to_string(text).unwrap_or_default();
    let json = json.trim_matches('"').to_string();
    let forms = [text.to_string(), json, percent_encode(text)];
    if let Ok(mut s) = SECRETS.write() {
        for form in forms {
            if !s.contains(&form) {
                s.push(form);
            }
        }
    }
}

/// Every byte but RFC 3986's unreserved characters as `%XX` (as the SDK's query bodies).
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// AWS access key ids are at least 16 characters (IAM's AccessKeyId), secret keys 40:
/// anything shorter is an emulator's placeholder such as `test`, which is no secret and
/// would scrub every `test` in the output.
pub const MIN_CREDENTIAL_LEN: usize = 16;

/// Remember a credential (see [`MIN_CREDENTIAL_LEN`]).
pub fn register_credential(text: &str) {
    if text.len() >= MIN_CREDENTIAL_LEN {
        register(text);
    }
}

/// Remember the credentials in the environment. Called first thing in `main`.
pub fn register_env() {
    for var in CREDENTIAL_VARS {
        if let Ok(v) = std::env::var(var) {
            register_credential(&v);
        }
    }
}

/// Remember every marked text in `value` (a loaded stack's variables).
pub fn register_marked(value: &Value) {
    for s in value.secret_strings() {
        register(&s);
    }
}

/// `text` with every known secret replaced by `(sensitive value)`.
pub fn clean(text: &str) -> Cow<'_, str> {
    let Ok(secrets) = SECRETS.read() else {
        return Cow::Borrowed(text);
    };
    if secrets.iter().any(|s| text.contains(s.as_str())) {
        Cow::Owned(scrub(text, &secrets))
    } else {
        Cow::Borrowed(text)
    }
}

/// The log writer: stderr, scrubbed. tracing's fmt layer writes each event in one
/// `write` call, so a secret is never split across two writes.
pub struct Stderr;

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr()
            .lock()
            .write_all(clean(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_scrubbed() {
        register("infraTESTsecretXYZ123");
        register("ab");
        register_marked(&Value::map([("pw", Value::from("hunter2-unit").mark())]));
        assert_eq!(
            clean("key=infraTESTsecretXYZ123 pw=hunter2-unit ab"),
            "key=(sensitive value) pw=(sensitive value) ab"
        );
        assert!(matches!(clean("nothing here"), Cow::Borrowed(_)));
        // an emulator's placeholder credentials are not secrets
        register_credential("test");
        register_credential("infraTESTaccessKEY0099");
        assert_eq!(
            clean("Name=test-vpc id=infraTESTaccessKEY0099"),
            "Name=test-vpc id=(sensitive value)"
        );
        register("{\"pw\":\"x y\"}");
        assert_eq!(
            clean("Value=%7B%22pw%22%3A%22x%20y%22%7D json=\"{\\\"pw\\\":\\\"x y\\\"}\""),
            "Value=(sensitive value) json=\"(sensitive value)\""
        );
    }
}
