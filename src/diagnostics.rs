//! Render diagnostics like cargo does: `error: summary`, then `--> file:line:col` and the
//! source snippet with the offending span underlined, then what to do.

use std::collections::HashMap;

use annotate_snippets::{Level, Renderer, Snippet};
use infra_model::{Diagnostic, Severity};

/// Source texts by the path shown to the user, for snippets.
#[derive(Debug, Default, Clone)]
pub struct Sources(pub HashMap<String, String>);

impl Sources {
    pub fn add(&mut self, path: &str, text: &str) {
        self.0.insert(path.to_string(), text.to_string());
    }
}

pub fn render(d: &Diagnostic, sources: &Sources, color: bool) -> String {
    let level = match d.severity {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
    };
    let title = match &d.address {
        Some(a) => format!("{} ({a})", d.summary),
        None => d.summary.clone(),
    };
    let mut message = level.title(&title);
    let mut snippets = Vec::new();
    if let Some(span) = &d.span {
        if let Some(src) = sources.0.get(&*span.file) {
            let mut snippet = Snippet::source(src)
                .line_start(1)
                .origin(&span.file)
                .fold(true);
            let end = if span.end > span.start {
                span.end
            } else {
                next_char_boundary(src, span.start)
            };
            snippet = snippet.annotation(level.span(span.start..end));
            for (rel, note) in &d.related {
                if rel.file == span.file {
                    let rend = if rel.end > rel.start {
                        rel.end
                    } else {
                        next_char_boundary(src, rel.start)
                    };
                    snippet = snippet.annotation(Level::Note.span(rel.start..rend).label(note));
                }
            }
            snippets.push(snippet);
        }
    }
    // related spans in other files get their own snippet
    for (rel, note) in &d.related {
        if d.span.as_ref().map(|s| s.file == rel.file).unwrap_or(false) {
            continue;
        }
        if let Some(src) = sources.0.get(&*rel.file) {
            let end = if rel.end > rel.start {
                rel.end
            } else {
                next_char_boundary(src, rel.start)
            };
            snippets.push(
                Snippet::source(src)
                    .line_start(1)
                    .origin(&rel.file)
                    .fold(true)
                    .annotation(Level::Note.span(rel.start..end).label(note)),
            );
        }
    }
    for s in snippets {
        message = message.snippet(s);
    }
    let location_footer;
    if let Some(span) = &d.span {
        if !sources.0.contains_key(&*span.file) {
            location_footer = format!("at {span}");
            message = message.footer(Level::Note.title(&location_footer));
        }
    }
    let related_footers: Vec<String> = d
        .related
        .iter()
        .filter(|(rel, _)| !sources.0.contains_key(&*rel.file))
        .map(|(rel, note)| format!("{rel}: {note}"))
        .collect();
    for f in &related_footers {
        message = message.footer(Level::Note.title(f));
    }
    if let Some(detail) = &d.detail {
        message = message.footer(Level::Help.title(detail));
    }
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let out = renderer.render(message).to_string();
    out
}

fn next_char_boundary(src: &str, at: usize) -> usize {
    let mut end = (at + 1).min(src.len());
    while end < src.len() && !src.is_char_boundary(end) {
        end += 1;
    }
    end.max(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use infra_model::Span;

    #[test]
    fn snippet_names_file_line_and_column() {
        let src = "resource \"aws_vpc\" \"main\" {\n  cidr_blok = \"10.0.0.0/16\"\n}\n";
        let mut sources = Sources::default();
        sources.add("main.tf", src);
        let start = src.find("cidr_blok").unwrap();
        let d = Diagnostic::error("unsupported argument `cidr_blok`")
            .with_span(Some(Span::from_offsets(
                "main.tf".into(),
                src,
                start,
                start + 9,
            )))
            .with_detail("did you mean `cidr_block`?");
        let out = render(&d, &sources, false);
        assert!(
            out.contains("error: unsupported argument `cidr_blok`"),
            "{out}"
        );
        assert!(out.contains("main.tf:2:3"), "{out}");
        assert!(out.contains("did you mean `cidr_block`?"), "{out}");
    }
}
