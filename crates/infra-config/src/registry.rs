//! Remote module sources (registry, git, ...) resolved the way Terraform does after
//! `terraform init`: through the manifest `.terraform/modules/modules.json`, which maps
//! each module call path (`eks.kms`) to the directory `init` downloaded it into.
//! [`crate::fs`] reads the manifest and those directories; this module only interprets.

use std::collections::BTreeMap;

use infra_model::Diagnostic;

use crate::version_constraint::{Constraints, Version};

/// Where the manifest lives, relative to the root stack directory.
pub const MANIFEST_PATH: &str = ".terraform/modules/modules.json";

/// `.terraform/modules/modules.json` (Terraform's `modsdir.Manifest`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModuleManifest {
    /// Records by key: the dotted module call path (`vpc`, `eks.kms`); `""` is the root.
    pub records: BTreeMap<String, ManifestRecord>,
}

/// One installed module.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestRecord {
    /// The source address as `init` recorded it (`registry.terraform.io/ns/name/system`).
    pub source: String,
    /// The exact version installed (registry modules only).
    pub version: Option<String>,
    /// The module directory relative to the root stack directory, normalized
    /// (`.terraform/modules/vpc`).
    pub dir: String,
}

impl ModuleManifest {
    /// Parse the manifest's JSON (`{"Modules":[{"Key","Source","Version","Dir"}]}`).
    pub fn parse(text: &str) -> Result<ModuleManifest, String> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let list = v
            .get("Modules")
            .and_then(|m| m.as_array())
            .ok_or("no \"Modules\" list")?;
        let mut records = BTreeMap::new();
        for (i, r) in list.iter().enumerate() {
            let field = |k: &str| r.get(k).and_then(|x| x.as_str()).map(str::to_string);
            let key = field("Key").ok_or(format!("module record {i} has no \"Key\""))?;
            let dir = field("Dir").ok_or(format!("module record \"{key}\" has no \"Dir\""))?;
            records.insert(
                key,
                ManifestRecord {
                    source: field("Source").unwrap_or_default(),
                    version: field("Version").filter(|v| !v.is_empty()),
                    dir: {
                        let dir = dir.replace('\\', "/");
                        // an absolute directory (a manifest written elsewhere) stays absolute
                        let base = if dir.starts_with('/') { "/" } else { "." };
                        crate::modules::join(base, &dir)
                    },
                },
            );
        }
        Ok(ModuleManifest { records })
    }
}

/// A registry address: `[host/]namespace/name/system[//subdir]`. GitHub and Bitbucket
/// shorthands (`github.com/org/repo`) are git sources, as in Terraform.
pub(crate) fn is_registry(source: &str) -> bool {
    let pkg = source.split("//").next().unwrap_or(source);
    if source.contains("::") || source.contains("://") || source.contains('?') {
        return false;
    }
    let parts: Vec<&str> = pkg.split('/').collect();
    let word = |p: &&str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    match parts.len() {
        3 => parts.iter().all(word),
        4 => {
            let host = parts[0].to_ascii_lowercase();
            host.contains('.')
                && host != "github.com"
                && host != "bitbucket.org"
                && parts[1..].iter().all(word)
        }
        _ => false,
    }
}

/// A source in one spelling for comparison: registry addresses with their host
/// (`registry.terraform.io/...`, lower case); other remote addresses without the `git::`
/// forcing, the `https://` scheme and a `.git` suffix, so `github.com/org/repo` matches
/// what `init` records for it (`git::https://github.com/org/repo.git`).
pub(crate) fn normalize(source: &str) -> String {
    let s = source.trim();
    if is_registry(s) {
        let lower = s.to_ascii_lowercase();
        let pkg_parts = lower.split("//").next().unwrap_or("").split('/').count();
        return if pkg_parts == 3 {
            format!("registry.terraform.io/{lower}")
        } else {
            lower
        };
    }
    let s = s.strip_prefix("git::").unwrap_or(s);
    let s = s.strip_prefix("https://").unwrap_or(s);
    s.replace(".git//", "//")
        .replace(".git?", "?")
        .trim_end_matches(".git")
        .to_string()
}

/// Why a remote module call does not resolve.
#[derive(Debug)]
pub(crate) struct Unresolved {
    pub summary: String,
    /// What to do about it.
    pub detail: String,
    /// The `version` argument is at fault (point at it rather than at `source`).
    pub about_version: bool,
}

fn unresolved(summary: String, detail: String, about_version: bool) -> Unresolved {
    Unresolved {
        summary,
        detail,
        about_version,
    }
}

/// What a remote module call resolves to, or why it does not.
pub(crate) fn resolve<'m>(
    manifest: Option<&'m ModuleManifest>,
    key: &str,
    source: &str,
    version: Option<&str>,
) -> Result<&'m ManifestRecord, Unresolved> {
    let Some(manifest) = manifest else {
        return Err(unresolved(
            format!("source \"{source}\" is not a local path, and there is no {MANIFEST_PATH}"),
            "run `terraform init` (infra reads the modules it downloads) or use a local path starting with ./ or ../".into(),
            false,
        ));
    };
    let Some(rec) = manifest.records.get(key) else {
        return Err(unresolved(
            format!("source \"{source}\": the module key \"{key}\" is not in {MANIFEST_PATH}"),
            format!("`terraform init` has not installed module \"{key}\" from \"{source}\" yet; run `terraform init` again"),
            false,
        ));
    };
    if normalize(&rec.source) != normalize(source) {
        return Err(unresolved(
            format!(
                "source \"{source}\" differs from \"{}\", which {MANIFEST_PATH} records for module \"{key}\"",
                rec.source
            ),
            "the source changed since `terraform init`; run `terraform init` again".into(),
            false,
        ));
    }
    if let Some(constraint) = version {
        if !is_registry(source) {
            return Err(unresolved(
                format!("`version` applies only to registry modules, and \"{source}\" is not one"),
                "pin a git source with `?ref=<tag>` in the source instead, and remove `version`"
                    .into(),
                true,
            ));
        }
        let c = Constraints::parse(constraint).map_err(|e| {
            unresolved(
                format!("invalid `version`: {e}"),
                "write a constraint such as \"~> 6.0\" or \">= 5.1, < 7\"".to_string(),
                true,
            )
        })?;
        let installed = rec.version.as_deref().unwrap_or("");
        match Version::parse(installed) {
            Some(v) if c.allows(&v) => {}
            _ => {
                return Err(unresolved(
                    format!(
                        "module \"{key}\" (\"{source}\") is installed at version \"{installed}\" in {}, which does not satisfy `version = \"{constraint}\"`",
                        rec.dir
                    ),
                    "run `terraform init -upgrade` to install a matching version, or change the constraint".into(),
                    true,
                ))
            }
        }
    }
    Ok(rec)
}

/// The manifest file could not be used.
pub(crate) fn invalid(e: &str) -> Diagnostic {
    Diagnostic::error(format!("{MANIFEST_PATH} is not a module manifest: {e}"))
        .with_detail("run `terraform init` again to rewrite it, or delete .terraform/modules")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_addresses_and_their_normal_form() {
        assert!(is_registry("terraform-aws-modules/vpc/aws"));
        assert!(is_registry(
            "terraform-aws-modules/iam/aws//modules/iam-role"
        ));
        assert!(is_registry("app.terraform.io/acme/vpc/aws"));
        assert!(!is_registry("github.com/acme/vpc/aws"));
        assert!(!is_registry("github.com/acme/vpc"));
        assert!(!is_registry("git::https://example.com/vpc.git"));
        assert!(!is_registry("./vpc"));
        assert_eq!(
            normalize("terraform-aws-modules/VPC/aws"),
            "registry.terraform.io/terraform-aws-modules/vpc/aws"
        );
        assert_eq!(
            normalize("registry.terraform.io/terraform-aws-modules/vpc/aws"),
            normalize("terraform-aws-modules/vpc/aws")
        );
        assert_eq!(
            normalize("github.com/acme/net"),
            normalize("git::https://github.com/acme/net.git")
        );
        assert_eq!(
            normalize("git::https://example.com/net.git//modules/a?ref=v1"),
            "example.com/net//modules/a?ref=v1"
        );
        assert_ne!(normalize("acme/net/aws"), normalize("acme/vpc/aws"));
    }

    #[test]
    fn manifest_parses_and_rejects_what_is_not_one() {
        let m = ModuleManifest::parse(
            r#"{"Modules":[{"Key":"","Source":"","Dir":"."},
               {"Key":"vpc","Source":"registry.terraform.io/a/vpc/aws","Version":"6.6.0","Dir":".terraform/modules/vpc"},
               {"Key":"net","Source":"git::https://example.com/net.git","Dir":".terraform\\modules\\net"}]}"#,
        )
        .unwrap();
        assert_eq!(m.records["vpc"].version.as_deref(), Some("6.6.0"));
        assert_eq!(m.records["net"].dir, ".terraform/modules/net");
        assert_eq!(m.records[""].dir, ".");
        let abs = ModuleManifest::parse(
            r#"{"Modules":[{"Key":"a","Source":"x/y/z","Dir":"/srv/m/./a"}]}"#,
        );
        assert_eq!(abs.unwrap().records["a"].dir, "/srv/m/a");
        assert!(ModuleManifest::parse("{").is_err());
        assert!(ModuleManifest::parse(r#"{"Modules":[{"Key":"x"}]}"#).is_err());
        assert!(ModuleManifest::parse("[]").is_err());
    }
}
