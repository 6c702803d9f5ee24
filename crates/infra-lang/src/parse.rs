//! Parsing `.tf` / `.tfvars` files with hcl-edit, with a nesting guard in front of its
//! recursive parser and syntax errors turned into diagnostics.

use hcl_edit::structure::Body;
use infra_model::{Diagnostic, Span};

use crate::SourceFile;

/// Deepest nesting of brackets, braces, parentheses and template interpolations we accept.
pub(crate) const MAX_NESTING: usize = 128;

pub(crate) fn parse(file: &SourceFile) -> (Option<Body>, Vec<Diagnostic>) {
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
}

/// Scan the text the way the lexer would (skipping comments, strings and heredoc bodies
/// roughly).
fn scan(text: &str) -> Scan {
    let mut out = Scan {
        too_deep: None,
        unterminated_string: None,
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
                b'<' if bytes.get(i + 1) == Some(&b'<') => i = skip_heredoc(text, i),
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
