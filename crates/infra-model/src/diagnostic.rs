//! Diagnostics: errors and warnings a user can act on, pointing at a file, line and
//! column, or at a resource address. The binary renders them with a source snippet.

use std::fmt;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// A range in a source file. `start`/`end` are byte offsets; `line`/`col` are 1-based and
/// describe `start`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Span {
    pub file: Arc<str>,
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub col: usize,
}

impl Span {
    /// Build a span from byte offsets into `source`, computing line and column.
    pub fn from_offsets(file: Arc<str>, source: &str, start: usize, end: usize) -> Span {
        let start = start.min(source.len());
        let end = end.clamp(start, source.len());
        let before = &source.as_bytes()[..start];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|b| *b == b'\n')
            .map(|p| p + 1)
            .unwrap_or(0);
        let col = source
            .get(line_start..start)
            .map(|s| s.chars().count())
            .unwrap_or(start - line_start)
            + 1;
        Span {
            file,
            start,
            end,
            line,
            col,
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// One lowercase line saying what is wrong.
    pub summary: String,
    /// What to do about it, or more context.
    pub detail: Option<String>,
    pub span: Option<Span>,
    /// Other places that matter (e.g. every reference in a cycle).
    pub related: Vec<(Span, String)>,
    /// The resource the problem is about, when there is one.
    pub address: Option<String>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: None,
            span: None,
            related: Vec::new(),
            address: None,
        }
    }

    pub fn warning(summary: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(summary)
        }
    }

    pub fn with_span(mut self, span: Option<Span>) -> Self {
        if self.span.is_none() {
            self.span = span;
        }
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_address(mut self, address: impl ToString) -> Self {
        self.address = Some(address.to_string());
        self
    }

    pub fn with_related(mut self, span: Span, note: impl Into<String>) -> Self {
        self.related.push((span, note.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// Plain one-paragraph rendering, without a source snippet.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if let Some(span) = &self.span {
            write!(f, "{span}: ")?;
        }
        write!(f, "{level}: {}", self.summary)?;
        if let Some(a) = &self.address {
            write!(f, " ({a})")?;
        }
        if let Some(d) = &self.detail {
            write!(f, "\n  {d}")?;
        }
        for (span, note) in &self.related {
            write!(f, "\n  {span}: {note}")?;
        }
        Ok(())
    }
}

/// A list of diagnostics, gathered so that the user sees every error at once.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Diagnostics(Vec::new())
    }
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(ds);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column() {
        let src = "a\nbc = 1\n";
        let s = Span::from_offsets("main.tf".into(), src, 5, 6);
        assert_eq!((s.line, s.col), (2, 4));
        assert_eq!(s.to_string(), "main.tf:2:4");
    }
}
