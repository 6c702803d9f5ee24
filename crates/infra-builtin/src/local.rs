//! The local provider (terraform-provider-local v2): `local_file` and
//! `local_sensitive_file` write a file, the data sources of the same names read one.
//!
//! As in the provider: the content is exactly one of `content`, `sensitive_content`
//! (`local_file` only, deprecated), `content_base64` (decoded) or `source` (a file copied);
//! a create makes the missing parent directories with `directory_permission` and writes
//! the file with `file_permission` (both before the umask; a file that already exists keeps
//! its mode, as Go's `os.WriteFile`); `id` is the hex SHA-1 of the content. A refresh that
//! finds the file missing, or its content changed (another SHA-1), reports it gone, so the
//! plan writes it again. Delete removes the file (an already missing one is fine).
//!
//! A relative `filename` or `source` is resolved as Terraform resolves it, against the
//! working directory, which in infra is the stack's directory (`path.cwd`): the engine
//! hands it to [`crate::Builtin::with_root_dir`].

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use infra_model::schema::file_permission;
use infra_model::Value;
use infra_provider::ProviderError;
use sha1::Digest;

use crate::{attrs, rejected};

pub(crate) const FILE: &str = "local_file";
pub(crate) const SENSITIVE_FILE: &str = "local_sensitive_file";

/// Whether `type_name` is one of the local provider's.
pub(crate) fn handles(type_name: &str) -> bool {
    matches!(type_name, FILE | SENSITIVE_FILE)
}

/// Where `name` points: as written when absolute, else inside `root` (the stack's
/// directory; the process's working directory without one).
pub(crate) fn resolve(root: Option<&Path>, name: &str) -> PathBuf {
    let path = Path::new(name);
    match root {
        Some(root) if path.is_relative() => root.join(path),
        _ => path.to_path_buf(),
    }
}

/// The provider's checksums of `content`, `id` (the hex SHA-1) included.
pub(crate) fn checksums(content: &[u8]) -> BTreeMap<String, Value> {
    let sha1 = hex::encode(sha1::Sha1::digest(content));
    let sha256 = sha2::Sha256::digest(content);
    let sha512 = sha2::Sha512::digest(content);
    BTreeMap::from([
        ("id".to_string(), Value::string(&sha1)),
        ("content_sha1".to_string(), Value::string(&sha1)),
        (
            "content_md5".to_string(),
            Value::string(hex::encode(md5::Md5::digest(content))),
        ),
        (
            "content_sha256".to_string(),
            Value::string(hex::encode(sha256)),
        ),
        (
            "content_base64sha256".to_string(),
            Value::string(STANDARD.encode(sha256)),
        ),
        (
            "content_sha512".to_string(),
            Value::string(hex::encode(sha512)),
        ),
        (
            "content_base64sha512".to_string(),
            Value::string(STANDARD.encode(sha512)),
        ),
    ])
}

fn text<'a>(config: &'a Value, name: &str) -> Option<&'a str> {
    config.get(name).as_str()
}

/// The bytes to write: from exactly one of the content arguments.
fn content(root: Option<&Path>, type_name: &str, config: &Value) -> Result<Vec<u8>, ProviderError> {
    let names: &[&str] = if type_name == FILE {
        &["content", "sensitive_content", "content_base64", "source"]
    } else {
        &["content", "content_base64", "source"]
    };
    let given: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !config.get(n).is_null())
        .collect();
    let [name] = given.as_slice() else {
        return Err(rejected(format!(
            "{type_name}: set exactly one of {}{}",
            names.join(", "),
            if given.is_empty() {
                String::new()
            } else {
                format!(" (found {})", given.join(", "))
            }
        )));
    };
    let value = text(config, name)
        .ok_or_else(|| rejected(format!("{type_name}: `{name}` must be a known string")))?;
    match *name {
        "content_base64" => STANDARD.decode(value).map_err(|e| {
            rejected(format!(
                "{type_name}: content_base64 is not base64 ({e}); encode the content with base64encode()"
            ))
        }),
        "source" => {
            let path = resolve(root, value);
            std::fs::read(&path).map_err(|e| {
                rejected(format!(
                    "{type_name}: could not read source {}: {e}",
                    path.display()
                ))
            })
        }
        _ => Ok(value.as_bytes().to_vec()),
    }
}

fn permission(type_name: &str, config: &Value, name: &str) -> Result<u32, ProviderError> {
    let default = if type_name == SENSITIVE_FILE {
        "0700"
    } else {
        "0777"
    };
    let given = text(config, name).unwrap_or(default);
    file_permission(given).map_err(|why| rejected(format!("{type_name}: {name}: {why}")))
}

/// Write the file of a create; the state is the configuration with the checksums.
pub(crate) fn create(
    root: Option<&Path>,
    type_name: &str,
    config: &Value,
) -> Result<Value, ProviderError> {
    let filename = text(config, "filename")
        .filter(|f| !f.is_empty())
        .ok_or_else(|| rejected(format!("{type_name}: `filename` must be set")))?;
    let file_mode = permission(type_name, config, "file_permission")?;
    let dir_mode = permission(type_name, config, "directory_permission")?;
    let bytes = content(root, type_name, config)?;
    let path = resolve(root, filename);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, dir_mode);
            builder.create(dir).map_err(|e| {
                rejected(format!(
                    "{type_name}: could not create the directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
    }
    #[cfg(not(unix))]
    let _ = dir_mode;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, file_mode);
    #[cfg(not(unix))]
    let _ = file_mode;
    options
        .open(&path)
        .and_then(|mut f| f.write_all(&bytes))
        .map_err(|e| {
            rejected(format!(
                "{type_name}: could not write {}: {e}",
                path.display()
            ))
        })?;
    let mut out = attrs(config);
    for name in ["file_permission", "directory_permission"] {
        if out.get(name).is_none_or(Value::is_null) {
            let default = if type_name == SENSITIVE_FILE {
                "0700"
            } else {
                "0777"
            };
            out.insert(name.to_string(), Value::string(default));
        }
    }
    out.extend(checksums(&bytes));
    Ok(Value::Map(out))
}

/// The state's file as it is now: `None` when it is missing or holds other content (the
/// plan then writes it again), else the prior.
pub(crate) fn read(root: Option<&Path>, prior: &Value) -> Result<Option<Value>, ProviderError> {
    let Some(filename) = text(prior, "filename") else {
        return Ok(None);
    };
    let path = resolve(root, filename);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(rejected(format!("could not read {}: {e}", path.display()))),
    };
    let sha1 = hex::encode(sha1::Sha1::digest(&bytes));
    Ok((prior.get("id").as_str() == Some(sha1.as_str())).then(|| prior.clone()))
}

pub(crate) fn delete(root: Option<&Path>, prior: &Value) -> Result<(), ProviderError> {
    let Some(filename) = text(prior, "filename") else {
        return Ok(());
    };
    let path = resolve(root, filename);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(rejected(format!(
            "could not remove {}: {e}",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// Data `local_file` / `local_sensitive_file`: the file's content (as text, and base64) and
/// checksums.
pub(crate) fn read_data(
    root: Option<&Path>,
    type_name: &str,
    args: &Value,
) -> Result<Value, ProviderError> {
    let filename = text(args, "filename")
        .ok_or_else(|| rejected(format!("data \"{type_name}\" needs `filename`")))?;
    let path = resolve(root, filename);
    let bytes = std::fs::read(&path).map_err(|e| {
        rejected(format!(
            "data \"{type_name}\": could not read {}: {e}",
            path.display()
        ))
    })?;
    let mut out = checksums(&bytes);
    out.insert("filename".into(), Value::string(filename));
    out.insert(
        "content".into(),
        Value::string(String::from_utf8_lossy(&bytes)),
    );
    out.insert(
        "content_base64".into(),
        Value::string(STANDARD.encode(&bytes)),
    );
    Ok(Value::Map(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::string(*v)))
                .collect(),
        )
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "infra-local-{name}-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn checksums_are_the_providers() {
        let c = checksums(b"foo!");
        // sha1sum / md5sum / sha256sum of the bytes `foo!`
        assert_eq!(
            c["id"].as_str(),
            Some("4bf3e335199107182c6f7638efaad377acc7f452")
        );
        assert_eq!(c["content_sha1"], c["id"]);
        assert_eq!(
            c["content_md5"].as_str(),
            Some("35af8b7a9490467f75f19c1e5459f7e7")
        );
        assert_eq!(
            c["content_sha256"].as_str(),
            Some("c0e0aaaea050bcf3be26c0c23d58fa890c0dfb79c8a23016b4a86cd28ca6ea71")
        );
        assert_eq!(
            c["content_base64sha256"].as_str(),
            Some("wOCqrqBQvPO+JsDCPVj6iQwN+3nIojAWtKhs0oym6nE=")
        );
        assert_eq!(c["content_sha512"].as_str().unwrap().len(), 128);
        assert_eq!(
            STANDARD
                .decode(c["content_base64sha256"].as_str().unwrap())
                .unwrap(),
            hex::decode(c["content_sha256"].as_str().unwrap()).unwrap()
        );
    }

    #[cfg(unix)]
    #[test]
    fn create_writes_the_file_with_its_modes_and_read_sees_changes() {
        use std::os::unix::fs::PermissionsExt;
        let root = scratch("create");
        let c = config(&[
            ("filename", "keys/key.pem"),
            ("content", "secret\n"),
            ("file_permission", "0600"),
            ("directory_permission", "0700"),
        ]);
        let v = create(Some(&root), FILE, &c).unwrap();
        let path = root.join("keys/key.pem");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "secret\n");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&root.join("keys")), 0o700);
        assert_eq!(v.get("id"), &checksums(b"secret\n")["id"]);
        assert_eq!(v.get("filename").as_str(), Some("keys/key.pem"));
        // unchanged: the prior
        assert_eq!(read(Some(&root), &v).unwrap(), Some(v.clone()));
        // edited outside: gone, so the plan writes it again
        std::fs::write(&path, "edited").unwrap();
        assert_eq!(read(Some(&root), &v).unwrap(), None);
        // deleted outside: gone too
        std::fs::remove_file(&path).unwrap();
        assert_eq!(read(Some(&root), &v).unwrap(), None);
        delete(Some(&root), &v).unwrap();
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn content_comes_from_exactly_one_argument() {
        let root = scratch("content");
        std::fs::write(root.join("src.txt"), b"from source").unwrap();
        let one = |pairs: &[(&str, &str)]| {
            let mut all = vec![("filename", "out.txt")];
            all.extend_from_slice(pairs);
            create(Some(&root), FILE, &config(&all))
        };
        let v = one(&[("content_base64", "aGVsbG8=")]).unwrap();
        assert_eq!(std::fs::read(root.join("out.txt")).unwrap(), b"hello");
        assert_eq!(v.get("id"), &checksums(b"hello")["id"]);
        delete(Some(&root), &v).unwrap();
        assert!(!root.join("out.txt").exists());
        // deleting what is already gone is fine
        delete(Some(&root), &v).unwrap();
        one(&[("source", "src.txt")]).unwrap();
        assert_eq!(std::fs::read(root.join("out.txt")).unwrap(), b"from source");
        one(&[("sensitive_content", "s")]).unwrap();
        let err = one(&[]).unwrap_err().message;
        assert!(err.contains("exactly one of"), "{err}");
        let err = one(&[("content", "a"), ("source", "src.txt")])
            .unwrap_err()
            .message;
        assert!(err.contains("found content, source"), "{err}");
        let err = one(&[("content_base64", "%%%")]).unwrap_err().message;
        assert!(err.contains("not base64"), "{err}");
        // local_sensitive_file has no sensitive_content
        let err = create(
            Some(&root),
            SENSITIVE_FILE,
            &config(&[("filename", "s.txt"), ("sensitive_content", "x")]),
        )
        .unwrap_err()
        .message;
        assert!(
            err.contains("exactly one of content, content_base64, source"),
            "{err}"
        );
        let err = one(&[("content", "a"), ("file_permission", "999")])
            .unwrap_err()
            .message;
        assert!(err.contains("file_permission"), "{err}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_sensitive_file_defaults_to_0700_and_data_reads_files() {
        use std::os::unix::fs::PermissionsExt;
        let root = scratch("sensitive");
        let v = create(
            Some(&root),
            SENSITIVE_FILE,
            &config(&[("filename", "s.txt"), ("content", "top secret")]),
        )
        .unwrap();
        assert_eq!(v.get("file_permission").as_str(), Some("0700"));
        let mode = std::fs::metadata(root.join("s.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "no group or other bits: {mode:o}");
        let d = read_data(Some(&root), FILE, &config(&[("filename", "s.txt")])).unwrap();
        assert_eq!(d.get("content").as_str(), Some("top secret"));
        assert_eq!(d.get("content_base64").as_str(), Some("dG9wIHNlY3JldA=="));
        assert_eq!(d.get("id"), v.get("id"));
        // an absolute name ignores the root
        let abs = root.join("s.txt").display().to_string();
        let d = read_data(None, FILE, &config(&[("filename", &abs)])).unwrap();
        assert_eq!(d.get("content_sha1"), v.get("id"));
        let err = read_data(Some(&root), FILE, &config(&[("filename", "nope")]))
            .unwrap_err()
            .message;
        assert!(err.contains("could not read"), "{err}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
