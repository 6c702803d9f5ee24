//! SSH key pairs as terraform-aws-key-pair and EKS node examples make them: an ED25519 and
//! an RSA `tls_private_key`, their `public_key_openssh` (with its trailing newline)
//! registered as `aws_key_pair`s, one by `key_name` with tags, one from `key_name_prefix`,
//! and data `tls_public_key` reading the ED25519 key back from its OpenSSH private key.
//! Applied with the ImportKeyPair answer lost (adopted by its name and tags, not
//! duplicated), checked with an independent EC2 client (the registered keys are the tls
//! keys, the private key is never printed, `state show` masks it), re-planned clean, a tag changed in place,
//! imported into a fresh state by key name (the `tls_private_key` itself cannot be
//! imported, as in the provider), found again by `state rebuild` (by name, and by tags for
//! the prefixed one), and destroyed leaving nothing.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, KeyPairInfo};

use crate::common::proxy::Match;
use crate::common::{ec2, rt, Workspace};
use crate::coverage_ec2_more::{actions, id_of};
use crate::faults::{apply_losing_one_answer, direct};

const KEYS: &str = r#"terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0" }
    tls = { source = "hashicorp/tls", version = ">= 4.0" }
  }
}

provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "team" {
  type    = string
  default = "platform"
}

resource "tls_private_key" "ed" {
  algorithm = "ED25519"
}

resource "tls_private_key" "rsa" {
  algorithm = "RSA"
  rsa_bits  = 2048
}

resource "aws_key_pair" "main" {
  key_name   = "${var.name}-main"
  public_key = tls_private_key.ed.public_key_openssh
  tags       = { Name = "${var.name}-main", team = var.team }
}

resource "aws_key_pair" "prefixed" {
  key_name_prefix = "${var.name}-p-"
  public_key      = tls_private_key.rsa.public_key_openssh
}

data "tls_public_key" "ed" {
  private_key_openssh = tls_private_key.ed.private_key_openssh
}

output "main_fingerprint" {
  value = aws_key_pair.main.fingerprint
}

output "same_key" {
  value = data.tls_public_key.ed.public_key_fingerprint_sha256 == tls_private_key.ed.public_key_fingerprint_sha256
}

output "private_key" {
  value     = tls_private_key.ed.private_key_pem
  sensitive = true
}
"#;

/// The key pairs alone, their public keys given as variables: what a stack that adopts
/// existing key pairs writes (a `tls_private_key` cannot be imported).
const IMPORTED: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "team" {
  type = string
}

variable "main_key" {
  type = string
}

variable "prefixed_key" {
  type = string
}

resource "aws_key_pair" "main" {
  key_name   = "${var.name}-main"
  public_key = var.main_key
  tags       = { Name = "${var.name}-main", team = var.team }
}

resource "aws_key_pair" "prefixed" {
  key_name_prefix = "${var.name}-p-"
  public_key      = var.prefixed_key
}
"#;

/// An instance's attributes as the state holds them (sensitive ones included).
fn stored(ws: &Workspace, address: &str) -> serde_json::Value {
    rt().block_on(async {
        let store = ws.store().await;
        let r = store.resource(&ws.stack_name, address).await.unwrap();
        store.close().await;
        r.unwrap_or_else(|| panic!("{address} is not in the state"))
            .attributes
    })
}

fn text(v: &serde_json::Value, k: &str) -> String {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} in {v}"))
        .to_string()
}

/// An OpenSSH public key's algorithm and base64 blob (its comment left out).
fn key_of(openssh: &str) -> (String, String) {
    let mut f = openssh.split_whitespace();
    (
        f.next().unwrap_or_default().to_string(),
        f.next().unwrap_or_default().to_string(),
    )
}

/// The stack's key pairs as an independent client sees them, by `infra:address`. Tags are
/// checked here: the emulator reads filter values as globs.
async fn key_pairs(stack: &str) -> BTreeMap<String, KeyPairInfo> {
    let out = ec2()
        .await
        .describe_key_pairs()
        .filters(
            Filter::builder()
                .name("tag:infra:stack")
                .values(stack)
                .build(),
        )
        .include_public_key(true)
        .send()
        .await
        .unwrap();
    let tag = |k: &KeyPairInfo, key: &str| {
        k.tags()
            .iter()
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value())
            .map(str::to_string)
    };
    out.key_pairs()
        .iter()
        .filter(|k| tag(k, "infra:stack").as_deref() == Some(stack))
        .map(|k| (tag(k, "infra:address").unwrap_or_default(), k.clone()))
        .collect()
}

/// Every key pair whose name starts with `prefix`, tagged or not.
async fn named(prefix: &str) -> Vec<String> {
    let out = ec2().await.describe_key_pairs().send().await.unwrap();
    out.key_pairs()
        .iter()
        .filter_map(|k| k.key_name())
        .filter(|n| n.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

fn tag_of(k: &KeyPairInfo, key: &str) -> Option<String> {
    k.tags()
        .iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
        .map(str::to_string)
}

#[test]
fn tls_keys_registered_as_key_pairs_tags_import_and_destroy() {
    let ws = Workspace::from_files(&[("main.tf", KEYS)], true);
    let name = ws.stack_name.clone();
    let vars = format!("name = \"{name}\"\n");
    ws.write("test.auto.tfvars", &vars);
    let applied = apply_losing_one_answer(
        &ws,
        Match {
            action: Some("ImportKeyPair".into()),
            ..Match::default()
        },
    );

    let ed = stored(&ws, "tls_private_key.ed");
    let rsa = stored(&ws, "tls_private_key.rsa");
    let ed_openssh = text(&ed, "public_key_openssh");
    assert!(ed_openssh.starts_with("ssh-ed25519 ") && ed_openssh.ends_with('\n'));
    // the private key is in the state, never in what apply printed
    let private = text(&ed, "private_key_pem");
    assert!(
        private.starts_with("-----BEGIN PRIVATE KEY-----\n"),
        "{private}"
    );
    let body = private.lines().nth(1).unwrap().to_string();
    assert!(
        !applied.all().contains(&body),
        "the private key is never printed:\n{}",
        applied.all()
    );
    let shown = ws.run(&["state", "show", "tls_private_key.ed"]);
    assert_eq!(shown.code, 0, "{}", shown.all());
    assert!(!shown.all().contains(&body), "{}", shown.all());
    assert!(
        shown
            .stdout
            .lines()
            .any(|l| l.contains("private_key_openssh") && l.ends_with("= (sensitive value)")),
        "{}",
        shown.stdout
    );

    // one key pair per address, holding the tls keys, seen by another client
    let seen = rt().block_on(key_pairs(&name));
    assert_eq!(
        seen.keys().collect::<Vec<_>>(),
        ["aws_key_pair.main", "aws_key_pair.prefixed"],
        "one key pair per address: {seen:?}"
    );
    let main = &seen["aws_key_pair.main"];
    assert_eq!(main.key_name(), Some(format!("{name}-main").as_str()));
    assert_eq!(main.key_type().map(|t| t.as_str()), Some("ed25519"));
    assert_eq!(tag_of(main, "team").as_deref(), Some("platform"));
    assert_eq!(
        key_of(main.public_key().unwrap_or_default()),
        key_of(&ed_openssh),
        "the registered key is the tls key"
    );
    let prefixed = &seen["aws_key_pair.prefixed"];
    let prefixed_name = prefixed.key_name().unwrap().to_string();
    assert!(
        prefixed_name.starts_with(&format!("{name}-p-"))
            && prefixed_name.len() == name.len() + 3 + 26,
        "{prefixed_name}"
    );
    assert_eq!(prefixed.key_type().map(|t| t.as_str()), Some("rsa"));
    assert_eq!(
        key_of(prefixed.public_key().unwrap_or_default()),
        key_of(&text(&rsa, "public_key_openssh"))
    );
    assert_eq!(
        rt().block_on(named(&format!("{name}-"))).len(),
        2,
        "the lost ImportKeyPair made no second key"
    );

    // the state: Terraform's id (the name), the cloud's computed values, the key trimmed
    let kp = stored(&ws, "aws_key_pair.main");
    assert_eq!(id_of(&ws, "aws_key_pair.main"), format!("{name}-main"));
    assert_eq!(text(&kp, "key_pair_id"), main.key_pair_id().unwrap());
    assert_eq!(text(&kp, "fingerprint"), main.key_fingerprint().unwrap());
    assert_eq!(text(&kp, "key_type"), "ed25519");
    assert_eq!(
        text(&kp, "arn"),
        format!("arn:aws:ec2:us-east-1:000000000000:key-pair/{name}-main")
    );
    assert_eq!(text(&kp, "public_key"), ed_openssh.trim());
    let kp = stored(&ws, "aws_key_pair.prefixed");
    assert_eq!(text(&kp, "key_name"), prefixed_name);
    assert_eq!(text(&kp, "key_name_prefix"), format!("{name}-p-"));

    let out = ws.run(&["output", "--json"]);
    let out: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(out["same_key"]["value"], true, "{out}");
    assert_eq!(
        out["main_fingerprint"]["value"].as_str(),
        main.key_fingerprint()
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // a tag changes in place; the keys stay
    let vars = format!("{vars}team = \"edge\"\n");
    ws.write("test.auto.tfvars", &vars);
    let changed = actions(&ws);
    assert_eq!(
        changed,
        BTreeMap::from([("aws_key_pair.main".to_string(), vec!["update".to_string()])]),
        "{changed:?}"
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let seen = rt().block_on(key_pairs(&name));
    assert_eq!(
        tag_of(&seen["aws_key_pair.main"], "team").as_deref(),
        Some("edge")
    );
    assert_eq!(
        seen["aws_key_pair.main"].key_pair_id(),
        main.key_pair_id(),
        "the same key pair"
    );
    assert_eq!(
        stored(&ws, "tls_private_key.ed")["private_key_pem"],
        private.as_str()
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // import into a fresh state by key name; the public keys as the tls keys give them
    // (with their newline), and the plan is clean
    // (under the original's stack name, so that the rebuild below may adopt what its
    // `infra:*` tags say is this stack's)
    let mut copy = Workspace::from_files(&[("main.tf", IMPORTED)], true);
    copy.stack_name = name.clone();
    let hcl = |s: &str| s.replace('\n', "\\n");
    copy.write(
        "test.auto.tfvars",
        &format!(
            "{vars}main_key = \"{}\"\nprefixed_key = \"{}\"\n",
            hcl(&ed_openssh),
            hcl(&text(&rsa, "public_key_openssh"))
        ),
    );
    for (addr, id) in [
        ("aws_key_pair.main", format!("{name}-main")),
        ("aws_key_pair.prefixed", prefixed_name.clone()),
    ] {
        let r = copy.run(&["import", addr, &id]);
        assert_eq!(r.code, 0, "import {addr} {id}:\n{}", r.all());
    }
    let plan = copy.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after import:\n{}", plan.all());
    let imported = stored(&copy, "aws_key_pair.main");
    assert_eq!(imported["key_pair_id"], main.key_pair_id().unwrap());
    assert_eq!(imported["tags"]["team"], "edge");
    // the copy's state lost: a rebuild finds the key pairs again, by name and (the one
    // made from a prefix, with no token to make its name again) by the stack's tags
    copy.remove_state();
    let rebuild = copy.run(&["state", "rebuild"]);
    assert_eq!(rebuild.code, 0, "{}", rebuild.all());
    assert_eq!(id_of(&copy, "aws_key_pair.main"), format!("{name}-main"));
    assert_eq!(id_of(&copy, "aws_key_pair.prefixed"), prefixed_name);
    let plan = copy.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean after the rebuild:\n{}", plan.all());
    // a tls_private_key has nothing outside the state to import
    let full = Workspace::from_files(&[("main.tf", KEYS)], true);
    full.write("test.auto.tfvars", &vars);
    let r = full.run(&["import", "tls_private_key.ed", "anything"]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("cannot be imported"), "{}", r.all());

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert!(rt().block_on(key_pairs(&name)).is_empty());
    assert!(rt().block_on(named(&format!("{name}-"))).is_empty());
    let left = rt().block_on(crate::common::tagged_no_nat(&name));
    assert!(left.is_empty(), "nothing of the stack is left: {left:?}");
}
