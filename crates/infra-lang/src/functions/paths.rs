//! `abspath` and `pathexpand`, as Terraform defines them (Go's `filepath.Abs` against the
//! working directory, go-homedir's `Expand`). The working directory is the root stack
//! directory (`path.cwd`) and the home directory is the one infra-config read from `HOME`;
//! both come from the walk's [`StackEnv`](super::context::StackEnv), never from this
//! process.

use infra_model::Value;

use super::{context, Args, FnResult};

pub(super) fn call(a: Args) -> FnResult {
    let path = a.string(0, "path")?;
    match a.f {
        "abspath" => abspath(&a, &path).map(Value::String),
        "pathexpand" => pathexpand(&a, &path).map(Value::String),
        other => Err(format!("{other} is not a path function")),
    }
}

/// Go's `filepath.Abs`: an absolute path cleaned, a relative one joined to the root stack
/// directory and cleaned.
fn abspath(a: &Args, path: &str) -> Result<String, String> {
    if path.starts_with('/') {
        return Ok(clean(path));
    }
    let root = context::env(|e| e.and_then(|e| e.root_dir.clone())).ok_or_else(|| {
        a.bad(
            "path",
            format!("\"{path}\" is relative and the stack's directory is not known here"),
        )
    })?;
    Ok(clean(&format!("{root}/{path}")))
}

/// go-homedir's `Expand`: a leading `~` (alone or before `/`) is the home directory, the
/// result joined and cleaned; any other path is returned as it is.
fn pathexpand(a: &Args, path: &str) -> Result<String, String> {
    let Some(rest) = path.strip_prefix('~') else {
        return Ok(path.to_string());
    };
    if !(rest.is_empty() || rest.starts_with('/') || rest.starts_with('\\')) {
        return Err(a.bad(
            "path",
            format!("cannot expand another user's home directory in \"{path}\"; only a leading \"~\" or \"~/\" is expanded"),
        ));
    }
    let home = context::env(|e| e.and_then(|e| e.home.clone()))
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            a.bad(
                "path",
                format!(
                    "cannot expand \"{path}\": the home directory is not known (HOME is not set)"
                ),
            )
        })?;
    Ok(clean(&format!("{home}/{rest}")))
}

/// Go's `filepath.Clean` (Unix): one separator between names, no `.`, no `name/..`, no
/// `..` at the start of a rooted path, no trailing separator; `.` for an empty result.
pub(crate) fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if rooted {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use infra_model::Value;

    use super::super::call;
    use super::super::context::{with_stack_env, StackEnv};
    use super::clean;

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    fn env() -> Arc<StackEnv> {
        Arc::new(StackEnv {
            root_dir: Some("/work/stacks/prod".into()),
            home: Some("/home/ops".into()),
            plan_time: None,
        })
    }

    fn with_env(f: &str, path: &str) -> Result<Value, String> {
        with_stack_env(env(), || call(f, vec![s(path)]))
    }

    #[test]
    fn clean_is_gos_filepath_clean() {
        for (path, want) in [
            ("", "."),
            (".", "."),
            ("/", "/"),
            ("//", "/"),
            ("abc", "abc"),
            ("abc/", "abc"),
            ("abc//def", "abc/def"),
            ("./abc", "abc"),
            ("abc/./def", "abc/def"),
            ("abc/../def", "def"),
            ("abc/..", "."),
            ("abc/../..", ".."),
            ("../../abc", "../../abc"),
            ("/..", "/"),
            ("/../abc", "/abc"),
            ("/abc/../../def", "/def"),
            ("/abc/def/ghi/../jkl/./", "/abc/def/jkl"),
        ] {
            assert_eq!(clean(path), want, "Clean({path:?})");
        }
    }

    #[test]
    fn abspath_resolves_against_the_stack_directory() {
        assert_eq!(
            with_env("abspath", "files/a.txt"),
            Ok(s("/work/stacks/prod/files/a.txt"))
        );
        assert_eq!(
            with_env("abspath", "./x/../y/"),
            Ok(s("/work/stacks/prod/y"))
        );
        assert_eq!(
            with_env("abspath", "../modules/net"),
            Ok(s("/work/stacks/modules/net"))
        );
        assert_eq!(with_env("abspath", ""), Ok(s("/work/stacks/prod")));
        assert_eq!(with_env("abspath", "."), Ok(s("/work/stacks/prod")));
        // an absolute path is only cleaned
        assert_eq!(
            with_env("abspath", "/etc//ssl/./certs/"),
            Ok(s("/etc/ssl/certs"))
        );
        assert_eq!(with_env("abspath", "/../tmp"), Ok(s("/tmp")));
        // with no stack directory a relative path cannot be resolved; an absolute one can
        let err = call("abspath", vec![s("x")]).unwrap_err();
        assert_eq!(
            err,
            "abspath: invalid value for \"path\": \"x\" is relative and the stack's directory is not known here"
        );
        assert_eq!(call("abspath", vec![s("/a/b/..")]), Ok(s("/a")));
        assert_eq!(call("abspath", vec![Value::Unknown]), Ok(Value::Unknown));
        let err = call("abspath", vec![Value::Null]).unwrap_err();
        assert!(err.contains("must not be null"), "{err}");
    }

    #[test]
    fn pathexpand_expands_a_leading_tilde_only() {
        assert_eq!(
            with_env("pathexpand", "~/.ssh/id_rsa"),
            Ok(s("/home/ops/.ssh/id_rsa"))
        );
        assert_eq!(with_env("pathexpand", "~"), Ok(s("/home/ops")));
        assert_eq!(with_env("pathexpand", "~/"), Ok(s("/home/ops")));
        // joined, so cleaned, as go-homedir does
        assert_eq!(
            with_env("pathexpand", "~/a/../b//c"),
            Ok(s("/home/ops/b/c"))
        );
        // anything else is returned untouched, not cleaned
        assert_eq!(with_env("pathexpand", "/etc/../x/"), Ok(s("/etc/../x/")));
        assert_eq!(with_env("pathexpand", "a/~/b"), Ok(s("a/~/b")));
        assert_eq!(with_env("pathexpand", ""), Ok(s("")));
        let err = with_env("pathexpand", "~root/x").unwrap_err();
        assert!(err.contains("another user's home directory"), "{err}");
        // the home directory comes from the walk, never from this process
        let err = call("pathexpand", vec![s("~/x")]).unwrap_err();
        assert!(err.contains("the home directory is not known"), "{err}");
        assert_eq!(call("pathexpand", vec![s("/x")]), Ok(s("/x")));
    }
}
