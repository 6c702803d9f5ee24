//! Fast spans: `Span::from_offsets` scans the file from its start on every call, which is
//! quadratic when a large file has many references. We keep the line starts of the most
//! recently used file per thread.

use std::cell::RefCell;
use std::sync::Arc;

use infra_model::Span;

use crate::SourceFile;

struct LineIndex {
    path: Arc<str>,
    text: String,
    line_starts: Vec<usize>,
}

thread_local! {
    static CACHE: RefCell<Option<LineIndex>> = const { RefCell::new(None) };
}

/// Files smaller than this use `Span::from_offsets` directly.
const SMALL: usize = 4096;

pub(crate) fn span(file: &SourceFile, start: usize, end: usize) -> Span {
    if file.text.len() < SMALL {
        return Span::from_offsets(file.path.clone(), &file.text, start, end);
    }
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let fresh = matches!(&*cache, Some(ix) if Arc::ptr_eq(&ix.path, &file.path) && ix.text == file.text);
        if !fresh {
            let mut line_starts = vec![0];
            line_starts.extend(file.text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
            *cache = Some(LineIndex { path: file.path.clone(), text: file.text.clone(), line_starts });
        }
        let ix = cache.as_ref().map(|ix| &ix.line_starts);
        let text = &file.text;
        let start = start.min(text.len());
        let end = end.clamp(start, text.len());
        let line = ix.map(|ls| ls.partition_point(|s| *s <= start)).unwrap_or(1);
        let line_start = ix.and_then(|ls| ls.get(line - 1)).copied().unwrap_or(0);
        let col = text.get(line_start..start).map(|s| s.chars().count()).unwrap_or(start - line_start) + 1;
        Span { file: file.path.clone(), start, end, line, col }
    })
}
