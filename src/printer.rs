//! All output goes through the `Printer`: colours only on a terminal and without
//! NO_COLOR; plain lines in CI.

use std::io::{IsTerminal, Write};

use crate::env_vars;

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub color: bool,
    pub stdout_tty: bool,
    pub stdin_tty: bool,
}

impl Printer {
    pub fn new(no_color: bool) -> Printer {
        let stdout_tty = std::io::stdout().is_terminal();
        let color = !no_color && std::env::var_os(env_vars::NO_COLOR).is_none() && stdout_tty;
        Printer {
            color,
            stdout_tty,
            stdin_tty: std::io::stdin().is_terminal(),
        }
    }

    /// A line on stdout.
    pub fn out(&self, s: impl AsRef<str>) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", crate::redact::clean(s.as_ref()));
    }

    /// A line on stdout that the redactor does not touch: only for a value the user
    /// named explicitly (`infra output NAME`).
    pub fn out_unredacted(&self, s: impl AsRef<str>) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", s.as_ref());
    }

    /// A line on stderr.
    pub fn err(&self, s: impl AsRef<str>) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{}", crate::redact::clean(s.as_ref()));
    }

    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// Whether we may ask the user a question.
    pub fn interactive(&self) -> bool {
        self.stdin_tty && std::env::var_os(env_vars::CI).is_none()
    }
}
