//! The only IO of this crate: read a stack directory, the module manifest `terraform init`
//! wrote, and the directories of the modules the stack calls (recursively: local paths,
//! and remote sources through the manifest), into a [`StackInput`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use infra_lang::SourceFile;
use infra_model::Diagnostic;

use crate::registry::{self, ModuleManifest};
use crate::StackInput;

fn read(path: &Path) -> Result<SourceFile, Diagnostic> {
    read_as(path, path.display().to_string())
}

fn read_as(path: &Path, shown: String) -> Result<SourceFile, Diagnostic> {
    let bytes = std::fs::read(path).map_err(|e| {
        Diagnostic::error(format!("cannot read {shown}: {e}"))
            .with_detail("check that the file exists and is readable")
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        // point at the first invalid byte: line and column count the valid text before it
        let at = e.utf8_error().valid_up_to();
        let valid = std::str::from_utf8(&e.as_bytes()[..at]).unwrap_or_default();
        let span = infra_model::Span::from_offsets(Arc::from(shown.as_str()), valid, at, at);
        Diagnostic::error(format!(
            "{shown} is not valid UTF-8 (invalid byte at offset {at})"
        ))
        .with_detail("save the file as UTF-8")
        .with_span(Some(span))
    })?;
    Ok(SourceFile {
        path: Arc::from(shown.as_str()),
        text,
    })
}

/// Read `dir`'s `*.tf` files (sorted), `terraform.tfvars`, `*.auto.tfvars` (sorted), then
/// `var_files` in order; `--var` pairs; and `TF_VAR_*` from `env`. The stack's name is the
/// directory's name.
pub fn read_stack(
    dir: &Path,
    var_files: &[PathBuf],
    cli_vars: impl IntoIterator<Item = (String, String)>,
    env: impl Iterator<Item = (String, String)>,
) -> Result<StackInput, Diagnostic> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Diagnostic::error(format!(
            "cannot read the stack directory {}: {e}",
            dir.display()
        ))
        .with_detail("pass an existing directory with --stack DIR")
    })?;
    let mut tf = Vec::new();
    let mut auto = Vec::new();
    let mut main_vars = None;
    for entry in entries {
        let entry = entry.map_err(|e| {
            Diagnostic::error(format!(
                "cannot read the stack directory {}: {e}",
                dir.display()
            ))
        })?;
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        if name.ends_with(".tf") {
            tf.push(path);
        } else if name == "terraform.tfvars" {
            main_vars = Some(path);
        } else if name.ends_with(".auto.tfvars") {
            auto.push(path);
        }
    }
    tf.sort();
    auto.sort();
    if tf.is_empty() {
        return Err(
            Diagnostic::error(format!("no .tf files in {}", dir.display()))
                .with_detail("point --stack at a directory holding the stack's .tf files"),
        );
    }
    let files = tf.iter().map(|p| read(p)).collect::<Result<Vec<_>, _>>()?;
    let tfvars = main_vars
        .iter()
        .chain(auto.iter())
        .chain(var_files.iter())
        .map(|p| read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let env_vars = env
        .filter_map(|(k, v)| k.strip_prefix("TF_VAR_").map(|n| (n.to_string(), v)))
        .collect();
    let abs = std::fs::canonicalize(dir).ok();
    let name = abs
        .as_ref()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "default".to_string());
    let module_manifest = read_manifest(dir)?;
    let mut modules = BTreeMap::new();
    let mut reader = ModuleReader {
        root: dir,
        manifest: module_manifest.as_ref(),
        calls: BTreeMap::new(),
        out: &mut modules,
    };
    reader.calls.insert(".".into(), module_calls(&files));
    reader.walk(".", &mut Vec::new(), &mut vec![".".into()])?;
    let mut data_files = infra_lang::Files::new();
    let mut budget = MAX_DATA_TOTAL;
    for key in std::iter::once(".").chain(modules.keys().map(String::as_str)) {
        read_data_files(&dir.join(key), key, 0, &mut budget, &mut data_files);
    }
    Ok(StackInput {
        name,
        modules,
        module_manifest,
        data_files: std::sync::Arc::new(data_files),
        root_dir: abs.map(|p| p.display().to_string()),
        files,
        tfvars,
        cli_vars: cli_vars.into_iter().collect(),
        env_vars,
        unset_variables_unknown: false,
        // `pathexpand`'s `~` (go-homedir reads `HOME` first too)
        home: std::env::var("HOME").ok().filter(|h| !h.is_empty()),
        plan_time: None,
    })
}

/// `.terraform/modules/modules.json` under the stack directory, if `terraform init` wrote one.
fn read_manifest(dir: &Path) -> Result<Option<ModuleManifest>, Diagnostic> {
    let path = dir.join(registry::MANIFEST_PATH);
    match std::fs::read_to_string(&path) {
        Ok(text) => ModuleManifest::parse(&text)
            .map(Some)
            .map_err(|e| registry::invalid(&e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(
            Diagnostic::error(format!("cannot read {}: {e}", path.display()))
                .with_detail("check that the file is readable, or run `terraform init` again"),
        ),
    }
}

/// The module calls in `files` (parsed leniently: `load` reports syntax errors), as
/// `(name, source)` with literal sources.
fn module_calls(files: &[SourceFile]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    // parsing is the expensive part of loading: skip files that cannot call a module
    for f in files.iter().filter(|f| f.text.contains("module")) {
        let Some(body) = infra_lang::parse(f).0 else {
            continue;
        };
        for b in body.blocks().filter(|b| b.ident.as_str() == "module") {
            let (Some(name), Some(a)) = (b.labels.first(), b.body.get_attribute("source")) else {
                continue;
            };
            if let Ok(infra_model::Value::String(s)) = crate::meta::literal(&a.value, f) {
                out.push((name.to_string(), s));
            }
        }
    }
    out
}

/// Reads the module tree. Directories are read once; the calls are followed once per
/// call path, since a remote call's directory depends on its path (the manifest key).
struct ModuleReader<'a> {
    root: &'a Path,
    manifest: Option<&'a ModuleManifest>,
    /// The module calls of each directory read.
    calls: BTreeMap<String, Vec<(String, String)>>,
    out: &'a mut BTreeMap<String, Vec<SourceFile>>,
}

impl ModuleReader<'_> {
    /// Read every module directory called from `dir_key` at `path`, recursively. A
    /// missing directory is left out: `load` reports it at the `source` argument.
    fn walk(
        &mut self,
        dir_key: &str,
        path: &mut Vec<String>,
        chain: &mut Vec<String>,
    ) -> Result<(), Diagnostic> {
        if path.len() > crate::modules::MAX_DEPTH {
            return Ok(());
        }
        let calls = self.calls.get(dir_key).cloned().unwrap_or_default();
        for (name, source) in calls {
            let key = if crate::modules::is_local(&source) {
                crate::modules::join(dir_key, &source)
            } else {
                let call_key = path
                    .iter()
                    .chain(std::iter::once(&name))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(".");
                match self.manifest.and_then(|m| m.records.get(&call_key)) {
                    Some(rec) => rec.dir.clone(),
                    None => continue,
                }
            };
            if chain.contains(&key) {
                continue;
            }
            if !self.calls.contains_key(&key) {
                let Some(files) = read_module_dir(self.root, &key)? else {
                    continue;
                };
                self.calls.insert(key.clone(), module_calls(&files));
                self.out.insert(key.clone(), files);
            }
            path.push(name);
            chain.push(key.clone());
            self.walk(&key, path, chain)?;
            chain.pop();
            path.pop();
        }
        Ok(())
    }
}

/// The `.tf` files of the module directory `key` (relative to `root`), sorted, named
/// relative to the root; `None` when it is missing or holds none.
fn read_module_dir(root: &Path, key: &str) -> Result<Option<Vec<SourceFile>>, Diagnostic> {
    let Ok(entries) = std::fs::read_dir(root.join(key)) else {
        return Ok(None);
    };
    let mut tf: Vec<(String, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter_map(|p| {
            let n = p.file_name()?.to_str()?.to_string();
            n.ends_with(".tf").then_some((n, p))
        })
        .collect();
    if tf.is_empty() {
        return Ok(None);
    }
    tf.sort();
    tf.iter()
        .map(|(n, p)| read_as(p, format!("{key}/{n}")))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The largest file `file()` / `templatefile()` may read, and the most read in all.
const MAX_DATA_FILE: u64 = 1 << 20;
const MAX_DATA_TOTAL: u64 = 32 << 20;
/// How deep below a module directory files are read (`templates/x/y.tpl`).
const MAX_DATA_DEPTH: usize = 4;

/// Read the files under a module directory that the file functions may read (not `.tf`
/// files, hidden entries or `node_modules`; at most 1 MiB each), keyed by their path
/// relative to the root stack directory. Unreadable entries are left out: a call of
/// `file()` on one reports it missing at the call.
fn read_data_files(
    dir: &Path,
    key: &str,
    depth: usize,
    budget: &mut u64,
    out: &mut infra_lang::Files,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let Some(name) = e.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if name.starts_with('.') || name == "node_modules" || name.ends_with(".tf") {
            continue;
        }
        let Ok(ft) = e.file_type() else { continue };
        let child = crate::modules::join(key, &name);
        if ft.is_dir() {
            if depth < MAX_DATA_DEPTH {
                read_data_files(&e.path(), &child, depth + 1, budget, out);
            }
            continue;
        }
        let size = e.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
        if !ft.is_file() || size > MAX_DATA_FILE || size > *budget || out.contains_key(&child) {
            continue;
        }
        if let Ok(bytes) = std::fs::read(e.path()) {
            *budget -= bytes.len() as u64;
            out.insert(child, std::sync::Arc::from(bytes.into_boxed_slice()));
        }
    }
}
