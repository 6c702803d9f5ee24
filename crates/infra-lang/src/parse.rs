//! Parsing `.tf` / `.tfvars` files with hcl-edit, with a nesting guard in front of its
//! recursive parser and syntax errors turned into diagnostics.

use hcl_edit::structure::Body;
use infra_model::{Diagnostic, Span};

use crate::SourceFile;

/// Deepest nesting of brackets, braces, parentheses and template interpolations we accept.
pub(crate) const MAX_NESTING: usize = 128;

pub(crate) fn parse(file: &SourceFile) -> (Option<Body>, Vec<Diagnostic>) {
    if let Some(offset) = file.text.find('\0') {
        let span = Span::from_offsets(file.path.clone(), &file.text, offset, offset + 1);
        let diag = Diagnostic::error("the file holds a NUL byte: it is not a text file")
            .with_detail(
                "remove the NUL byte; if this is a binary file, move it out of the stack directory",
            )
            .with_span(Some(span));
        return (None, vec![diag]);
    }
    let scan = scan(&file.text);
    if let Some(offset) = scan.too_deep {
        let span = Span::from_offsets(file.path.clone(), &file.text, offset, offset + 1);
        let diag = Diagnostic::error(format!("nesting is too deep: more than {MAX_NESTING} levels of brackets, braces or parentheses"))
            .with_detail("split the expression into locals with fewer nested levels")
            .with_span(Some(span));
        return (None, vec![diag]);
    }
    match hcl_edit::parser::parse_body(&file.text) {
        Ok(body) => (Some(body), Vec::new()),
        Err(err) => {
            let loc = err.location();
            let mut offset = loc.offset().min(file.text.len());
            let mut message = friendly(err.message());
            let mut detail = format!(
                "check the syntax near line {}, column {}",
                loc.line(),
                loc.column()
            );
            if let Some(start) = scan.unterminated_string {
                offset = start;
                message = "unterminated string".to_string();
                detail = "add the closing quote (\") before the end of the line, or use a heredoc (<<EOT) for multi-line text".to_string();
            }
            if let Some((start, ident)) = &scan.unterminated_heredoc {
                if scan.unterminated_string.is_none_or(|s| s > *start) {
                    offset = *start;
                    message = format!("unterminated heredoc: no line closes `<<{ident}`");
                    detail = format!("end the heredoc with a line holding only `{ident}`");
                }
            }
            if let Some((start, end)) = scan.number_out_of_range {
                offset = start;
                message = format!(
                    "number out of range: `{}`",
                    file.text.get(start..end).unwrap_or_default()
                );
                detail = "numbers must be whole numbers up to 18446744073709551615 or decimals up to about 1.8e308".to_string();
            }
            if message.starts_with("invalid escape") {
                message = "invalid escape sequence".to_string();
                detail = "in a string, `\\` starts an escape (\\n, \\t, \\\", \\\\, \\uNNNN); write `\\\\` for a backslash".to_string();
            }
            if message.contains("redefined attribute") {
                message = "duplicate attribute".to_string();
                detail =
                    "each attribute may be set only once in a block; remove or rename one of them"
                        .to_string();
            }
            let span = Span::from_offsets(file.path.clone(), &file.text, offset, offset);
            let diag = Diagnostic::error(format!("syntax error: {message}"))
                .with_detail(detail)
                .with_span(Some(span));
            (None, vec![diag])
        }
    }
}

/// hcl-edit's message, shortened where it lists every possible token.
fn friendly(message: &str) -> String {
    if message.starts_with("invalid expression;") {
        return "expected an expression".to_string();
    }
    lowercase_first(message)
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => "unexpected token".to_string(),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    /// `(`, `[` or `{` in code, or a `${` / `%{` opened inside a string (closed by `}`).
    Open(u8),
    Str,
}

struct Scan {
    /// Where nesting first exceeds [`MAX_NESTING`].
    too_deep: Option<usize>,
    /// Where the first quoted string that runs into the end of its line starts.
    unterminated_string: Option<usize>,
    /// A heredoc (its `<<` and identifier) that no line closes.
    unterminated_heredoc: Option<(usize, String)>,
    /// The first number literal hcl-edit cannot represent (its parser then reports a
    /// confusing error elsewhere): an integer above `u64::MAX`, a decimal beyond `f64`.
    number_out_of_range: Option<(usize, usize)>,
}

/// Scan the text the way the lexer would (skipping comments, strings and heredoc bodies
/// roughly).
fn scan(text: &str) -> Scan {
    let mut out = Scan {
        too_deep: None,
        unterminated_string: None,
        unterminated_heredoc: None,
        number_out_of_range: None,
    };
    let mut string_start = 0;
    let bytes = text.as_bytes();
    let mut stack: Vec<Ctx> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let in_str = stack.last() == Some(&Ctx::Str);
        if in_str {
            match b {
                b'\\' => i += 1,
                b'"' => {
                    stack.pop();
                }
                b'\n' => {
                    stack.pop();
                    out.unterminated_string.get_or_insert(string_start);
                }
                // `$${` and `%%{` are escapes, not interpolations.
                b'$' | b'%'
                    if bytes.get(i + 1) == Some(&b'{')
                        && bytes.get(i.wrapping_sub(1)) != Some(&b) =>
                {
                    stack.push(Ctx::Open(b'{'));
                    i += 1;
                }
                _ => {}
            }
        } else {
            match b {
                b'"' => {
                    string_start = i;
                    stack.push(Ctx::Str);
                }
                b'(' | b'[' | b'{' => stack.push(Ctx::Open(b)),
                b')' | b']' | b'}' => {
                    if matches!(stack.last(), Some(Ctx::Open(_))) {
                        stack.pop();
                    }
                }
                b'#' => i = skip_line(bytes, i),
                b'/' if bytes.get(i + 1) == Some(&b'/') => i = skip_line(bytes, i),
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    i = match text[i + 2..].find("*/") {
                        Some(p) => i + 2 + p + 1,
                        None => bytes.len(),
                    };
                }
                b'<' if bytes.get(i + 1) == Some(&b'<') => {
                    let end = skip_heredoc(text, i);
                    if end >= bytes.len() && out.unterminated_heredoc.is_none() {
                        out.unterminated_heredoc = Some((i, heredoc_ident(text, i)));
                    }
                    i = end;
                }
                b'0'..=b'9' if number_starts(bytes, i) => {
                    let end = number_end(bytes, i);
                    if out.number_out_of_range.is_none() && !representable(&text[i..end]) {
                        out.number_out_of_range = Some((i, end));
                    }
                    i = end - 1;
                }
                _ => {}
            }
        }
        if stack.len() > MAX_NESTING {
            out.too_deep = Some(i.min(bytes.len().saturating_sub(1)));
            return out;
        }
        i += 1;
    }
    if stack.last() == Some(&Ctx::Str) {
        out.unterminated_string.get_or_insert(string_start);
    }
    out
}

fn skip_line(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|b| *b == b'\n')
        .map(|p| i + p)
        .unwrap_or(bytes.len())
}

/// Skip a heredoc starting at `<<` (its body may hold unbalanced quotes). Returns the index
/// of the last byte consumed.
fn skip_heredoc(text: &str, start: usize) -> usize {
    let rest = &text[start + 2..];
    let rest_trim = rest.strip_prefix('-').unwrap_or(rest);
    let ident_len = rest_trim
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
        .count();
    if ident_len == 0 {
        return start + 1;
    }
    let ident = &rest_trim[..ident_len];
    let after_ident = start + 2 + (rest.len() - rest_trim.len()) + ident_len;
    let mut pos = match text[after_ident..].find('\n') {
        Some(p) => after_ident + p + 1,
        None => return text.len(),
    };
    while pos < text.len() {
        let line_end = text[pos..]
            .find('\n')
            .map(|p| pos + p)
            .unwrap_or(text.len());
        if text[pos..line_end].trim() == ident {
            return line_end.saturating_sub(1).max(pos);
        }
        pos = line_end + 1;
    }
    text.len()
}

/// Whether a number literal starts at the digit at `i` (not inside a name such as `s3`,
/// `my-1` or an index step `.0`).
fn number_starts(bytes: &[u8], i: usize) -> bool {
    let word = |j: usize| {
        bytes
            .get(j)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    };
    match i.checked_sub(1).map(|j| bytes[j]) {
        None => true,
        Some(b'.') => false,
        Some(b'-') => i < 2 || !word(i - 2),
        Some(_) => !word(i - 1),
    }
}

/// The end of the number literal starting at `start` (digits, a fraction, an exponent).
fn number_end(bytes: &[u8], start: usize) -> usize {
    let digits = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = digits(start);
    if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i = digits(i + 1);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(i + 1), Some(b'+' | b'-')));
        if bytes.get(i + 1 + sign).is_some_and(u8::is_ascii_digit) {
            i = digits(i + 1 + sign);
        }
    }
    i
}

/// Whether hcl-edit can hold the number literal `lit` (a `u64`, or a finite `f64`).
fn representable(lit: &str) -> bool {
    if lit.bytes().all(|b| b.is_ascii_digit()) {
        lit.parse::<u64>().is_ok()
    } else {
        lit.parse::<f64>().map(f64::is_finite).unwrap_or(true)
    }
}

/// The identifier of the heredoc starting at `<<` (for messages).
fn heredoc_ident(text: &str, start: usize) -> String {
    let rest = text.get(start + 2..).unwrap_or_default();
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    rest.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(64)
        .collect()
}
