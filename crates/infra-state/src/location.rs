//! Where a state lives: a SQLite file, or a PostgreSQL database given by its URL.
//!
//! A PostgreSQL URL carries a password; [`StateLocation`]'s `Display` never shows it
//! (`postgres://infra:***@db.internal:5432/infra`), so the location can be printed and
//! logged as is. [`StateLocation::secret`] returns the password, for a caller that scrubs
//! output of secrets.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::{Result, StateError};

/// A state's location: `--state PATH` or `--state postgres://...`.
#[derive(Clone, PartialEq, Eq)]
pub enum StateLocation {
    /// A SQLite file (the default, `state/infra.db`).
    File(PathBuf),
    /// A PostgreSQL database: `postgres://user:password@host:port/database?sslmode=...`.
    Postgres(PgUrl),
}

/// A PostgreSQL connection URL. Its `Display` and `Debug` hide the password.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrl {
    raw: String,
    parsed: url::Url,
}

impl StateLocation {
    /// `postgres://` or `postgresql://` names a PostgreSQL database; anything else is a path.
    pub fn parse(text: &str) -> Result<StateLocation> {
        let lower = text.trim_start().to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return PgUrl::parse(text.trim()).map(StateLocation::Postgres);
        }
        if lower.contains("://") {
            return Err(StateError::invalid(
                "state location",
                format!(
                    "`{}` is a URL of an unsupported kind; use a file path (SQLite) or postgres://user:password@host:port/database",
                    redact_any(text)
                ),
            ));
        }
        Ok(StateLocation::File(PathBuf::from(text)))
    }

    /// The SQLite file, if this is one.
    pub fn file(&self) -> Option<&Path> {
        match self {
            StateLocation::File(p) => Some(p),
            StateLocation::Postgres(_) => None,
        }
    }

    /// The password of a PostgreSQL URL (raw and percent-decoded), never to be shown.
    pub fn secret(&self) -> Vec<String> {
        match self {
            StateLocation::File(_) => Vec::new(),
            StateLocation::Postgres(url) => url.secrets(),
        }
    }

    /// A short name for messages: the path, or the URL without its password.
    pub fn describe(&self) -> String {
        self.to_string()
    }
}

impl PgUrl {
    fn parse(text: &str) -> Result<PgUrl> {
        let parsed = url::Url::parse(text).map_err(|e| {
            StateError::invalid(
                "PostgreSQL state URL",
                format!(
                    "`{}` is not a valid URL ({e}); write it as postgres://user:password@host:port/database",
                    redact_any(text)
                ),
            )
        })?;
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(StateError::invalid(
                "PostgreSQL state URL",
                format!(
                    "`{}` names no host; write it as postgres://user:password@host:port/database",
                    redact_any(text)
                ),
            ));
        }
        Ok(PgUrl {
            raw: text.to_string(),
            parsed,
        })
    }

    /// The URL as given, with its password: only for connecting.
    pub(crate) fn connect_str(&self) -> &str {
        &self.raw
    }

    fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(pw) = self.parsed.password() {
            out.push(pw.to_string());
            if let Ok(decoded) = percent_encoding::percent_decode_str(pw).decode_utf8() {
                if decoded != pw {
                    out.push(decoded.into_owned());
                }
            }
        }
        for (k, v) in self.parsed.query_pairs() {
            if k.eq_ignore_ascii_case("password") && !out.iter().any(|o| *o == v) {
                out.push(v.into_owned());
            }
        }
        out
    }
}

impl fmt::Display for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.parsed.clone();
        if shown.password().is_some() {
            // set_password only fails on URLs that cannot have one, which has a host here
            let _ = shown.set_password(Some("***"));
        }
        // a password may also come as a query parameter
        let pairs: Vec<(String, String)> = shown
            .query_pairs()
            .map(|(k, v)| {
                let v = if k.eq_ignore_ascii_case("password") {
                    "***".to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        if !pairs.is_empty() {
            shown.query_pairs_mut().clear().extend_pairs(pairs);
        }
        f.write_str(shown.as_str())
    }
}

impl fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgUrl({self})")
    }
}

impl fmt::Display for StateLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateLocation::File(p) => write!(f, "{}", p.display()),
            StateLocation::Postgres(url) => write!(f, "{url}"),
        }
    }
}

impl fmt::Debug for StateLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateLocation::File(p) => write!(f, "File({})", p.display()),
            StateLocation::Postgres(url) => write!(f, "Postgres({url})"),
        }
    }
}

/// Hide what looks like `user:password@` in a text that did not parse as a URL.
fn redact_any(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &text[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &text[..scheme + 3],
                    &userinfo[..colon],
                    &text[at..]
                ),
                None => text.to_string(),
            }
        }
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_urls() {
        assert_eq!(
            StateLocation::parse("state/infra.db").unwrap(),
            StateLocation::File("state/infra.db".into())
        );
        let pg = StateLocation::parse("postgres://team:s3cr%40t@db.internal:5432/infra").unwrap();
        assert_eq!(pg.to_string(), "postgres://team:***@db.internal:5432/infra");
        assert_eq!(
            format!("{pg:?}"),
            "Postgres(postgres://team:***@db.internal:5432/infra)"
        );
        assert_eq!(
            pg.secret(),
            vec!["s3cr%40t".to_string(), "s3cr@t".to_string()]
        );
        assert!(pg.file().is_none());
        let q =
            StateLocation::parse("postgresql://db/infra?user=a&password=hunter2hunter2").unwrap();
        assert!(!q.to_string().contains("hunter2"), "{q}");
        assert!(StateLocation::parse("postgres:///infra").is_err());
        let err = StateLocation::parse("mysql://u:topsecret@h/db").unwrap_err();
        assert!(!err.to_string().contains("topsecret"), "{err}");
        let err = StateLocation::parse("postgres://u:top secret@[bad/db").unwrap_err();
        assert!(!err.to_string().contains("top secret"), "{err}");
    }
}
