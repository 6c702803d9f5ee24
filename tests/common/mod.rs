//! Shared helpers: run the binary, start the emulator, make unique stacks, and an
//! independent AWS client to check what really exists.

#![allow(dead_code)]

pub mod proxy;
pub mod report;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The environment `localstack/up` prints (endpoint, region, test credentials).
/// Starts the emulator once per test process; fails the test if it cannot start.
pub fn emulator_env() -> &'static BTreeMap<String, String> {
    static ENV: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let out = Command::new(root().join("localstack/up"))
            .output()
            .expect("running localstack/up");
        assert!(
            out.status.success(),
            "localstack/up failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut env = BTreeMap::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some(rest) = line.strip_prefix("export ") {
                if let Some((k, v)) = rest.split_once('=') {
                    env.insert(
                        k.to_string(),
                        v.trim_matches(|c| c == '"' || c == '\'').to_string(),
                    );
                }
            }
        }
        assert!(
            env.contains_key("AWS_ENDPOINT_URL"),
            "localstack/up printed no AWS_ENDPOINT_URL: {env:?}"
        );
        env
    })
}

/// A unique name for this test's stack, so tests never see each other's resources.
pub fn unique(prefix: &str) -> String {
    use rand::Rng;
    let n: u32 = rand::thread_rng().gen();
    format!("{prefix}-{}-{n:08x}", std::process::id())
}

/// A scratch workspace: a copy of a stack directory and a state file of its own.
pub struct Workspace {
    pub dir: tempfile::TempDir,
    pub stack_name: String,
    pub emulator: bool,
    /// Another workspace's state file, when this one shares it (see [`Workspace::sharing_state`]).
    pub shared_state: Option<PathBuf>,
}

impl Workspace {
    /// Copy `stacks/<name>` into a temp dir, named uniquely.
    pub fn from_stack(name: &str, emulator: bool) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let stack_dir = dir.path().join("stack");
        copy_dir(&root().join("stacks").join(name), &stack_dir);
        Workspace {
            dir,
            stack_name: unique(name),
            emulator,
            shared_state: None,
        }
    }

    /// An environment of `stacks/` (dev, staging, prod) with the shared modules beside it,
    /// so that its `../modules/...` sources resolve.
    pub fn from_environment(env: &str, emulator: bool) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&root().join("stacks").join(env), &dir.path().join("stack"));
        copy_dir(&root().join("stacks/modules"), &dir.path().join("modules"));
        let stack_name = unique(env);
        // IAM role and EKS cluster names are account-wide: name them after the test's stack
        std::fs::write(
            dir.path().join("stack/test.auto.tfvars"),
            format!("name = \"{stack_name}\"\n"),
        )
        .unwrap();
        Workspace {
            dir,
            stack_name,
            emulator,
            shared_state: None,
        }
    }

    /// A stack made of the given files.
    pub fn from_files(files: &[(&str, &str)], emulator: bool) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let stack_dir = dir.path().join("stack");
        std::fs::create_dir_all(&stack_dir).unwrap();
        for (name, text) in files {
            std::fs::write(stack_dir.join(name), text).unwrap();
        }
        Workspace {
            dir,
            stack_name: unique("t"),
            emulator,
            shared_state: None,
        }
    }

    pub fn stack_dir(&self) -> PathBuf {
        self.dir.path().join("stack")
    }

    pub fn state_path(&self) -> PathBuf {
        self.shared_state
            .clone()
            .unwrap_or_else(|| self.dir.path().join("state.db"))
    }

    /// Use `other`'s state file instead of one of its own: stacks that read each other
    /// with `data "terraform_remote_state"` live in one state database.
    pub fn sharing_state(mut self, other: &Workspace) -> Workspace {
        self.shared_state = Some(other.state_path());
        self
    }

    pub fn write(&self, file: &str, text: &str) {
        std::fs::write(self.stack_dir().join(file), text).unwrap();
    }

    pub fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.stack_dir().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} does not contain {from:?}");
        std::fs::write(path, text.replacen(from, to, 1)).unwrap();
    }

    /// The `infra` command with --stack/--stack-name/--state set (placed after the
    /// subcommand by `run`).
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_infra"));
        c.args(args);
        c.arg("--stack")
            .arg(self.stack_dir())
            .arg("--stack-name")
            .arg(&self.stack_name);
        if !matches!(args.first(), Some(&"validate") | Some(&"graph")) {
            c.arg("--state").arg(self.state_path());
        }
        c.env_remove("INFRA_STATE")
            .env("NO_COLOR", "1")
            .env("CI", "1");
        for (k, _) in std::env::vars() {
            if k.starts_with("TF_VAR_") || k.starts_with("AWS_") {
                c.env_remove(k);
            }
        }
        if self.emulator {
            for (k, v) in emulator_env() {
                c.env(k, v);
            }
        } else {
            // no cloud at all: an unreachable endpoint and dummy credentials
            c.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
                .env("AWS_ACCESS_KEY_ID", "test")
                .env("AWS_SECRET_ACCESS_KEY", "test")
                .env("AWS_REGION", "us-east-1");
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.cmd(args).output().expect("running infra");
        Run::from(out)
    }

    pub fn plan_json(&self, extra: &[&str]) -> serde_json::Value {
        let mut args = vec!["plan", "--json"];
        args.extend(extra);
        let r = self.run(&args);
        assert_eq!(r.code, 0, "plan failed:\n{}", r.all());
        serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("plan --json is not JSON ({e}):\n{}", r.stdout))
    }

    pub fn apply(&self) -> Run {
        let r = self.run(&["apply", "--auto-approve"]);
        assert_eq!(r.code, 0, "apply failed:\n{}", r.all());
        r
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!(
            "--- exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl From<Output> for Run {
    fn from(out: Output) -> Self {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// `(address, actions)` of every change that is not a no-op.
pub fn changes(plan: &serde_json::Value) -> Vec<(String, Vec<String>)> {
    plan["resource_changes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    let actions: Vec<String> = c["change"]["actions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x.as_str().unwrap().to_string())
                        .collect();
                    (c["address"].as_str().unwrap().to_string(), actions)
                })
                .filter(|(_, a)| a != &["no-op".to_string()])
                .collect()
        })
        .unwrap_or_default()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// SDK settings for the independent clients below: the emulator's endpoint, region and
/// test credentials, with nothing from the developer's own AWS configuration.
pub fn sdk_config() -> aws_config::SdkConfig {
    let env = emulator_env();
    let creds = aws_sdk_ec2::config::Credentials::new(
        &env["AWS_ACCESS_KEY_ID"],
        &env["AWS_SECRET_ACCESS_KEY"],
        None,
        None,
        "test",
    );
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(
            env.get("AWS_REGION")
                .cloned()
                .unwrap_or_else(|| "us-east-1".into()),
        ))
        .endpoint_url(&env["AWS_ENDPOINT_URL"])
        .credentials_provider(aws_sdk_ec2::config::SharedCredentialsProvider::new(creds))
        .build()
}

/// An EC2 client that does not go through `infra`, to check what really exists.
pub async fn ec2() -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&sdk_config())
}

/// Count the live resources tagged `infra:stack = stack`, by `infra:address`, per kind.
/// NAT gateways in state deleted/deleting and released addresses are not counted.
pub async fn tagged(stack: &str) -> BTreeMap<String, usize> {
    tagged_kinds(stack, true).await
}

/// [`tagged`] without NAT gateways, for stacks that have none: the emulator ignores the
/// tag filter on DescribeNatGateways and returns every gateway ever made, which is slow.
pub async fn tagged_no_nat(stack: &str) -> BTreeMap<String, usize> {
    tagged_kinds(stack, false).await
}

async fn tagged_kinds(stack: &str, nat: bool) -> BTreeMap<String, usize> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (addr, _) in tagged_objects(stack, nat).await {
        *counts.entry(addr).or_default() += 1;
    }
    counts
}

/// Every live object tagged `infra:stack = stack`, as `(infra:address, cloud id)`, sorted.
/// NAT gateways in state deleted/deleting and released addresses are left out; with
/// `nat = false` NAT gateways are not looked at (see [`tagged_no_nat`]).
pub async fn tagged_objects(stack: &str, nat: bool) -> Vec<(String, String)> {
    use aws_sdk_ec2::types::{Filter, Tag};
    let c = ec2().await;
    let f = || {
        Filter::builder()
            .name("tag:infra:stack")
            .values(stack)
            .build()
    };
    let mut out: Vec<(String, String)> = Vec::new();
    // The emulator ignores tag filters on some calls (DescribeNatGateways): check the tags here too.
    let mut add = |tags: &[Tag], id: Option<&str>| {
        let ours = tags
            .iter()
            .any(|t| t.key() == Some("infra:stack") && t.value() == Some(stack));
        if !ours {
            return;
        }
        let addr = tags
            .iter()
            .find(|t| t.key() == Some("infra:address"))
            .and_then(|t| t.value())
            .unwrap_or("?")
            .to_string();
        out.push((addr, id.unwrap_or("?").to_string()));
    };
    for v in c.describe_vpcs().filters(f()).send().await.unwrap().vpcs() {
        add(v.tags(), v.vpc_id());
    }
    for s in c
        .describe_subnets()
        .filters(f())
        .send()
        .await
        .unwrap()
        .subnets()
    {
        add(s.tags(), s.subnet_id());
    }
    for g in c
        .describe_internet_gateways()
        .filters(f())
        .send()
        .await
        .unwrap()
        .internet_gateways()
    {
        add(g.tags(), g.internet_gateway_id());
    }
    for a in c
        .describe_addresses()
        .filters(f())
        .send()
        .await
        .unwrap()
        .addresses()
    {
        add(a.tags(), a.allocation_id());
    }
    let nats = if nat {
        c.describe_nat_gateways()
            .filter(f())
            .send()
            .await
            .unwrap()
            .nat_gateways()
            .to_vec()
    } else {
        Vec::new()
    };
    for n in nats.iter() {
        let state = n
            .state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        if state != "deleted" && state != "deleting" {
            add(n.tags(), n.nat_gateway_id());
        }
    }
    for r in c
        .describe_route_tables()
        .filters(f())
        .send()
        .await
        .unwrap()
        .route_tables()
    {
        add(r.tags(), r.route_table_id());
    }
    for g in c
        .describe_security_groups()
        .filters(f())
        .send()
        .await
        .unwrap()
        .security_groups()
    {
        add(g.tags(), g.group_id());
    }
    out.sort();
    out
}

impl Workspace {
    /// The `infra` command with only the environment (and `--state`) set: for tests that
    /// pass their own `--stack` / `--stack-name`.
    pub fn cmd_bare(&self, args: &[&str]) -> Command {
        let mut c = self.cmd_env();
        c.args(args).arg("--state").arg(self.state_path());
        c
    }

    fn cmd_env(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_infra"));
        c.env_remove("INFRA_STATE")
            .env("NO_COLOR", "1")
            .env("CI", "1");
        for (k, _) in std::env::vars() {
            if k.starts_with("TF_VAR_") || k.starts_with("AWS_") {
                c.env_remove(k);
            }
        }
        for (k, v) in emulator_env() {
            c.env(k, v);
        }
        c
    }

    /// Open this workspace's state file with the store API (for locks and checks).
    pub async fn store(&self) -> infra_state::Store {
        infra_state::Store::open(&self.state_path()).await.unwrap()
    }

    /// Open the state file only once it exists, tolerating a run that is creating it
    /// right now (for polling while `infra` runs): `None` means "not yet".
    pub async fn store_if_ready(&self) -> Option<infra_state::Store> {
        if !self.state_path().exists() {
            return None;
        }
        infra_state::Store::open(&self.state_path()).await.ok()
    }
}

/// A current-thread runtime for the async helpers.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Run a command with stdin closed, failing the test if it runs longer than `limit`.
pub fn run_with_deadline(mut c: Command, limit: std::time::Duration) -> Run {
    use std::process::Stdio;
    let child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running infra");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => Run::from(out.expect("waiting for infra")),
        Err(_) => {
            // never leave it running
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("infra did not finish within {limit:?} (it must never hang)");
        }
    }
}

/// The `(address, actions)` changes of a plan as a sorted list of `address actions` strings.
pub fn change_list(plan: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = changes(plan)
        .into_iter()
        .map(|(a, acts)| format!("{a} {}", acts.join(",")))
        .collect();
    v.sort();
    v
}

/// A small stack for CLI tests: a VPC, a subnet and a security group in it, and an
/// independent EIP; a plain and a sensitive output.
pub const SMALL_STACK: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "cidr" {
  type    = string
  default = "10.60.0.0/16"
}

resource "aws_vpc" "main" {
  cidr_block = var.cidr
  tags = {
    Name = "small"
  }
}

resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet(var.cidr, 8, 1)
}

resource "aws_security_group" "database" {
  name        = "database"
  description = "database"
  vpc_id      = aws_vpc.main.id
}

resource "aws_eip" "ip" {
  domain = "vpc"
}

output "vpc_id" {
  value = aws_vpc.main.id
}

output "secret" {
  value     = "hunter2-${aws_vpc.main.cidr_block}"
  sensitive = true
}
"#;

pub fn small() -> Workspace {
    Workspace::from_files(&[("main.tf", SMALL_STACK)], true)
}

/// An EKS client that does not go through `infra` (moto's server, `AWS_ENDPOINT_URL_EKS`).
pub async fn eks() -> aws_sdk_eks::Client {
    let env = emulator_env();
    let endpoint = env
        .get("AWS_ENDPOINT_URL_EKS")
        .unwrap_or(&env["AWS_ENDPOINT_URL"]);
    let conf = aws_sdk_eks::config::Builder::from(&sdk_config())
        .endpoint_url(endpoint)
        .build();
    aws_sdk_eks::Client::from_conf(conf)
}

/// What of an environment named `name` still exists outside EC2: its EKS cluster, its IAM
/// roles (`<name>-eks-*`), and hosted zones called `domain` created by the stack.
pub async fn leftovers(name: &str, zone_ids: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    if eks()
        .await
        .describe_cluster()
        .name(name)
        .send()
        .await
        .is_ok()
    {
        out.push(format!("eks cluster {name}"));
    }
    let iam = aws_sdk_iam::Client::new(&sdk_config());
    for role in [format!("{name}-eks-cluster"), format!("{name}-eks-node")] {
        if iam.get_role().role_name(&role).send().await.is_ok() {
            out.push(format!("iam role {role}"));
        }
    }
    let r53 = aws_sdk_route53::Client::new(&sdk_config());
    for id in zone_ids {
        if r53.get_hosted_zone().id(id).send().await.is_ok() {
            out.push(format!("hosted zone {id}"));
        }
    }
    out
}

impl Workspace {
    /// Delete the state file (and SQLite's WAL and shared-memory files): the state is lost.
    pub fn remove_state(&self) {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", self.state_path().display()));
        }
        assert!(!self.state_path().exists());
    }
}
