//! The AWS provider against LocalStack. The emulator is started by `localstack/up` once per
//! test binary; if it cannot start, the tests fail (they are never skipped). Every test
//! uses its own stack name and CIDRs' tags, so tests do not see each other's resources.
//! Where useful, results are checked with a raw aws-sdk-ec2 client, independent of the
//! provider.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use infra_aws::{AwsProvider, RetryPolicy};
use infra_model::{Address, Value};
use infra_provider::conformance::{self, full_config};
use infra_provider::{id_of, CreateRequest, Provider, ReadRequest};

// ---- harness ----

static EMULATOR: OnceLock<Result<(), String>> = OnceLock::new();

/// Start (or reuse) the emulator and export its variables into this process.
fn emulator() {
    let ready = EMULATOR.get_or_init(|| {
        let up = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../localstack/up");
        let out = Command::new("bash")
            .arg(&up)
            .output()
            .map_err(|e| format!("could not run {}: {e}", up.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} failed ({}):\n{}",
                up.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut n = 0;
        for line in stdout.lines() {
            if let Some((k, v)) = line
                .strip_prefix("export ")
                .and_then(|kv| kv.split_once('='))
            {
                std::env::set_var(k, v);
                n += 1;
            }
        }
        if n == 0 {
            return Err(format!("localstack/up printed no export lines:\n{stdout}"));
        }
        Ok(())
    });
    if let Err(e) = ready {
        panic!("the LocalStack emulator is required for these tests and could not start: {e}");
    }
}

async fn provider() -> AwsProvider {
    emulator();
    AwsProvider::from_env(None)
        .await
        .expect("provider from the environment")
        .with_retry_policy(RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(1),
        })
        .with_wait_timeout(Duration::from_secs(60))
}

async fn raw_ec2() -> aws_sdk_ec2::Client {
    emulator();
    aws_sdk_ec2::Client::new(&aws_config::load_from_env().await)
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{:08x}", rand::random::<u32>())
}

fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::string(*v)))
            .collect(),
    )
}

fn s(v: &str) -> Value {
    Value::string(v)
}

fn req(stack: &str, type_name: &str, name: &str, attrs: &[(&str, Value)]) -> CreateRequest {
    CreateRequest {
        stack: stack.to_string(),
        address: Address::managed(type_name, name),
        type_name: type_name.to_string(),
        config: full_config(type_name, attrs).expect("a known type"),
        token: unique(&format!("{stack}-{name}")),
        known_ids: Vec::new(),
    }
}

async fn create(p: &AwsProvider, r: &CreateRequest) -> (String, Value) {
    let v = p
        .create(r)
        .await
        .unwrap_or_else(|e| panic!("create {}: {e}", r.address));
    let id = id_of(&v)
        .unwrap_or_else(|| panic!("create {} returned no id: {v}", r.address))
        .to_string();
    (id, v)
}

async fn read_one(p: &AwsProvider, type_name: &str, id: &str, prior: &Value) -> Option<Value> {
    let items = [ReadRequest {
        id: id.to_string(),
        prior: prior.clone(),
    }];
    p.read(type_name, &items)
        .await
        .unwrap_or_else(|e| panic!("read {type_name} {id}: {e}"))
        .remove(id)
}

/// Every attribute of the schema is present, and no `infra:*` tag shows.
fn assert_shape(type_name: &str, v: &Value) {
    let schema =
        infra_model::schema::lookup(infra_model::Mode::Managed, type_name).expect("schema");
    let m = v
        .as_map()
        .unwrap_or_else(|| panic!("{type_name}: not a map: {v}"));
    for a in &schema.attributes {
        assert!(
            m.contains_key(a.name),
            "{type_name}: attribute `{}` missing from {v}",
            a.name
        );
    }
    for b in &schema.blocks {
        assert!(
            m.get(b.name).and_then(Value::as_list).is_some(),
            "{type_name}: block `{}` is not a list in {v}",
            b.name
        );
    }
    for k in ["tags", "tags_all"] {
        if let Some(Value::Map(t)) = m.get(k) {
            assert!(
                t.keys().all(|k| !k.starts_with("infra:")),
                "{type_name}: `{k}` shows infra tags: {v}"
            );
        }
    }
    assert!(
        !m.keys()
            .any(|k| !schema.attributes.iter().any(|a| a.name == k) && schema.block(k).is_none()),
        "{type_name}: extra attributes in {v}"
    );
}

/// Change the tags of a resource, then check update and read show them.
async fn retag(p: &AwsProvider, type_name: &str, id: &str, current: &Value) -> Value {
    let mut desired = current.as_map().cloned().unwrap_or_default();
    let t = tags(&[("Name", "retagged"), ("env", "test")]);
    desired.insert("tags".into(), t.clone());
    desired.insert("tags_all".into(), t);
    let desired = Value::Map(desired);
    let updated = p
        .update(type_name, id, current, &desired)
        .await
        .unwrap_or_else(|e| panic!("update {type_name}: {e}"));
    assert_eq!(
        updated.get("tags_all").get("env").as_str(),
        Some("test"),
        "{type_name}: {updated}"
    );
    let now = read_one(p, type_name, id, &updated)
        .await
        .unwrap_or_else(|| panic!("{type_name} {id} vanished"));
    assert_eq!(
        now.get("tags_all").get("env").as_str(),
        Some("test"),
        "{type_name}: {now}"
    );
    assert_eq!(now.get("tags_all").get("Name").as_str(), Some("retagged"));
    assert!(
        now.get("tags_all").get("only_before").is_null(),
        "{type_name}: removed tag still there: {now}"
    );
    assert_shape(type_name, &now);
    now
}

async fn vpc(p: &AwsProvider, stack: &str, name: &str, cidr: &str) -> (String, Value) {
    create(
        p,
        &req(
            stack,
            "aws_vpc",
            name,
            &[
                ("cidr_block", s(cidr)),
                ("enable_dns_hostnames", Value::Bool(true)),
                ("tags", tags(&[("Name", name), ("only_before", "x")])),
            ],
        ),
    )
    .await
}

async fn subnet(
    p: &AwsProvider,
    stack: &str,
    name: &str,
    vpc_id: &str,
    cidr: &str,
) -> (String, Value) {
    create(
        p,
        &req(
            stack,
            "aws_subnet",
            name,
            &[
                ("vpc_id", s(vpc_id)),
                ("cidr_block", s(cidr)),
                ("tags", tags(&[("Name", name), ("only_before", "x")])),
            ],
        ),
    )
    .await
}

#[path = "localstack/adoption.rs"]
mod adoption;
#[path = "localstack/network.rs"]
mod network;
#[path = "localstack/rules.rs"]
mod rules;
#[path = "localstack/sqs_events.rs"]
mod sqs_events;

/// IAM, Route53 and EKS (EKS from moto's server through AWS_ENDPOINT_URL_EKS).
#[path = "localstack/eks_dns.rs"]
mod eks_dns;
