//! The pull-request workflow's scripts (`scripts/ci-plan`, `scripts/ci-apply`, which
//! `.github/workflows/` runs) in a scratch git repository against the emulator, with a
//! fake `gh` that records every call: the PR gets one comment, updated on the next push,
//! and a merge applies what it changed.

use std::path::Path;
use std::process::Command;

use crate::common::*;

const FAKE_GH: &str = r#"#!/usr/bin/env bash
# records its arguments; answers the comment listing with the id of the comment it posted
echo "$*" >>"$FAKE_GH_DIR/calls.log"
case " $* " in
  *" --jq "*) [ -f "$FAKE_GH_DIR/comment-id" ] && cat "$FAKE_GH_DIR/comment-id"; exit 0 ;;
esac
for a in "$@"; do
  case "$a" in body=@*) cp "${a#body=@}" "$FAKE_GH_DIR/last-body.md" ;; esac
done
case " $* " in
  *" POST "*) echo 4242 >"$FAKE_GH_DIR/comment-id"; echo '{"id": 4242}' ;;
  *" PATCH "*) echo '{"id": 4242}' ;;
  *) echo "fake gh: unexpected call: $*" >&2; exit 1 ;;
esac
"#;

fn git(repo: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(repo)
        .env("GIT_AUTHOR_NAME", "ci")
        .env("GIT_AUTHOR_EMAIL", "ci@example.com")
        .env("GIT_COMMITTER_NAME", "ci")
        .env("GIT_COMMITTER_EMAIL", "ci@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn copy(from: &Path, to: &Path) {
    let ok = Command::new("cp")
        .arg("-r")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn pull_request_plan_comment_then_apply_on_merge() {
    let ws = Workspace::from_files(&[("unused.tf", "")], true);
    let repo = ws.dir.path().join("iac");
    std::fs::create_dir_all(repo.join("stacks")).unwrap();
    std::fs::create_dir_all(repo.join("scripts")).unwrap();
    for s in ["ci-plan", "ci-apply", "ci-lib.sh"] {
        copy(&root().join("scripts").join(s), &repo.join("scripts"));
    }
    copy(&root().join("stacks/dev"), &repo.join("stacks"));
    copy(&root().join("stacks/modules"), &repo.join("stacks"));
    let name = unique("cidev");
    std::fs::write(
        repo.join("stacks/dev/ci.auto.tfvars"),
        format!("name = \"{name}\"\n"),
    )
    .unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "stacks"]);
    git(&repo, &["checkout", "-q", "-b", "pr"]);
    let main_tf = repo.join("stacks/dev/main.tf");
    let text = std::fs::read_to_string(&main_tf).unwrap();
    std::fs::write(&main_tf, format!("{text}\n# reviewed\n")).unwrap();
    git(&repo, &["commit", "-q", "-am", "touch dev"]);

    let gh_dir = ws.dir.path().join("gh");
    std::fs::create_dir_all(&gh_dir).unwrap();
    let gh = gh_dir.join("gh");
    std::fs::write(&gh, FAKE_GH).unwrap();
    Command::new("chmod").arg("+x").arg(&gh).status().unwrap();
    let state = ws.state_path();
    let script = |name: &str| {
        // the emulator's environment, as the binary's own tests get it
        let c = ws.cmd_bare(&[]);
        let mut s = Command::new(repo.join("scripts").join(name));
        for (k, v) in c.get_envs() {
            match v {
                Some(v) => s.env(k, v),
                None => s.env_remove(k),
            };
        }
        s.current_dir(&repo)
            .env("INFRA", env!("CARGO_BIN_EXE_infra"))
            .env("INFRA_STATE", &state)
            .env("GH", &gh)
            .env("FAKE_GH_DIR", &gh_dir)
            .env("PR_NUMBER", "7")
            .env("GITHUB_REPOSITORY", "acme/iac")
            .env("BASE_REF", "main");
        s
    };

    // the first push: one comment is posted
    let r = Run::from(script("ci-plan").output().unwrap());
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("Posted the plan on pull request 7"),
        "{}",
        r.all()
    );
    let body = std::fs::read_to_string(gh_dir.join("last-body.md")).unwrap();
    assert!(body.starts_with("<!-- infra-plan -->"), "{body}");
    assert!(body.contains("### `dev`: "), "{body}");
    assert!(
        body.contains(" to add, 0 to change, 0 to destroy"),
        "{body}"
    );
    assert!(body.contains("API calls:"), "{body}");
    // the next push: the same comment is updated
    let r = Run::from(script("ci-plan").output().unwrap());
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("Updated the plan comment (4242)"),
        "{}",
        r.all()
    );
    let calls = std::fs::read_to_string(gh_dir.join("calls.log")).unwrap();
    let kinds: Vec<&str> = calls
        .lines()
        .map(|l| {
            if l.contains("-X POST") {
                "post"
            } else if l.contains("-X PATCH") {
                "patch"
            } else {
                "list"
            }
        })
        .collect();
    assert_eq!(kinds, ["list", "post", "list", "patch"], "{calls}");
    assert!(
        calls.contains("repos/acme/iac/issues/7/comments"),
        "{calls}"
    );
    assert!(
        calls.contains("repos/acme/iac/issues/comments/4242"),
        "{calls}"
    );

    // a plan that fails is shown in the comment and fails the job
    let mut broken = script("ci-plan");
    broken
        .env("STACKS", "stacks/missing")
        .env("COMMENT_FILE", gh_dir.join("broken.md"));
    let r = Run::from(broken.output().unwrap());
    assert_eq!(r.code, 1, "{}", r.all());
    let body = std::fs::read_to_string(gh_dir.join("broken.md")).unwrap();
    assert!(body.contains("### `missing`: plan failed"), "{body}");

    // the merge to main applies dev
    git(&repo, &["checkout", "-q", "main"]);
    git(&repo, &["merge", "-q", "--no-ff", "-m", "merge pr", "pr"]);
    let r = Run::from(script("ci-apply").output().unwrap());
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("== stacks/dev: applied in"),
        "{}",
        r.all()
    );
    let made = rt().block_on(tagged("dev"));
    assert!(made.contains_key("module.network.aws_vpc.this"), "{made:?}");
    let mut destroy = ws.cmd_bare(&["destroy", "--auto-approve"]);
    destroy.arg("--stack").arg(repo.join("stacks/dev"));
    let r = Run::from(destroy.output().unwrap());
    assert_eq!(r.code, 0, "{}", r.all());
}
