//! `file`, `fileexists`, `filebase64`, `fileset` and (with the evaluator) `templatefile`. This crate
//! does no IO: the files a stack may read are a read-only map, filled by
//! `infra_config::fs` from the stack's and its modules' directories and made visible to
//! the functions for the duration of an evaluation with [`with_files`].
//!
//! Paths are resolved as Terraform resolves them from the root module's directory:
//! `path.module` is the module's directory relative to the root (`../modules/net`), so
//! `"${path.module}/user_data.tpl"` and `"templates/x.tpl"` are keys of the map after
//! lexical normalization.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use infra_model::Value;

use super::{Args, FnResult};

/// The files the stack may read, by normalized path relative to the root stack directory.
pub type Files = BTreeMap<String, Arc<[u8]>>;

thread_local! {
    static FILES: RefCell<Option<Arc<Files>>> = const { RefCell::new(None) };
}

/// Run `f` with `files` visible to the file functions (nested calls restore the outer map).
pub fn with_files<R>(files: Arc<Files>, f: impl FnOnce() -> R) -> R {
    let outer = FILES.with(|c| c.replace(Some(files)));
    let out = f();
    FILES.with(|c| *c.borrow_mut() = outer);
    out
}

/// `a/./b/../c` → `a/c`; `./x` → `x`; leading `..` kept.
pub(crate) fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// The bytes of `path`, or an error naming it and what was looked for.
pub(crate) fn read(f: &str, path: &str) -> Result<Arc<[u8]>, String> {
    let key = normalize(path);
    FILES.with(|c| {
        c.borrow()
            .as_ref()
            .and_then(|m| m.get(&key).cloned())
            .ok_or_else(|| {
                format!("{f}: no file \"{path}\" (looked for {key} relative to the root stack directory); infra reads files in the stack's and its modules' directories, up to 1 MiB each")
            })
    })
}

fn exists(path: &str) -> bool {
    let key = normalize(path);
    FILES.with(|c| c.borrow().as_ref().is_some_and(|m| m.contains_key(&key)))
}

/// A file's text, which must be UTF-8.
pub(crate) fn text(f: &str, path: &str) -> Result<String, String> {
    let bytes = read(f, path)?;
    String::from_utf8(bytes.to_vec())
        .map_err(|_| format!("{f}: \"{path}\" is not valid UTF-8; use filebase64 for binary files"))
}

pub(crate) fn call(a: Args) -> FnResult {
    let path = a.string(0, "path")?;
    match a.f {
        "file" => Ok(Value::String(text("file", &path)?)),
        "fileexists" => Ok(Value::Bool(exists(&path))),
        "filebase64" => Ok(Value::String(super::encoding::base64_encode(&read(
            "filebase64",
            &path,
        )?))),
        f @ ("filemd5" | "filesha1" | "filesha256" | "filesha512" | "filebase64sha256"
        | "filebase64sha512") => super::digest::digest(f, &read(f, &path)?)
            .map(Value::String)
            .ok_or_else(|| format!("{f} is not a hash function")),
        "fileset" => fileset(&a, &path),
        other => Err(format!("{other} is not a file function")),
    }
}

/// `fileset(path, pattern)`: the files under `path` whose path relative to it matches
/// `pattern` (`*` and `?` within a name, `**` across directories, `[...]`, `{a,b}`), as a
/// sorted set of those relative paths. Only the files the stack may read are seen (see
/// the module docs): hidden files and deeper than 4 levels are not.
fn fileset(a: &Args, path: &str) -> FnResult {
    let pattern = a.string(1, "pattern")?;
    let glob = globset::GlobBuilder::new(&pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| a.bad("pattern", e.kind().to_string()))?
        .compile_matcher();
    let dir = normalize(path);
    let prefix = if dir == "." {
        String::new()
    } else {
        format!("{dir}/")
    };
    let found: std::collections::BTreeSet<String> = FILES.with(|c| {
        c.borrow()
            .as_ref()
            .map(|m| {
                m.keys()
                    .filter_map(|k| k.strip_prefix(prefix.as_str()))
                    .filter(|rel| glob.is_match(rel))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    });
    Ok(Value::List(found.into_iter().map(Value::String).collect()))
}
