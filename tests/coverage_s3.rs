//! What terraform-aws-s3-bucket makes for terraform-aws-vpc's flow-log example, and the
//! flow log into it: a bucket by `bucket_prefix` with `force_destroy` and tags, its public
//! access block, a policy rendered by `aws_iam_policy_document` (chained after the access
//! block), ownership controls chained after the policy, a default encryption, a VPC flow
//! log into the bucket (parquet, partitions, a one-minute interval, a custom format); and a
//! bucket by name with versioning. Applied with the answer of the named bucket's
//! CreateBucket lost (adopted by name and tagged, not failed on), checked with
//! independent S3 and EC2 clients, re-planned clean, updated in place (tags, the policy),
//! the named bucket replaced (`object_lock_enabled`) with object versions the test put in
//! it, imported into a fresh state by bucket name, and destroyed with objects left in the
//! prefixed bucket (`force_destroy`). `path.cwd` is the stack's absolute directory (the
//! examples name their bucket prefix after it).

use std::collections::BTreeMap;

use crate::common::proxy::Match;
use crate::common::{rt, sdk_config, Workspace};
use crate::coverage_ec2_more::{actions, id_of, import_into_copy};
use crate::faults::{apply_losing_one_answer, direct};

const S3: &str = r#"provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "env" {
  type    = string
  default = "test"
}

variable "reader" {
  type    = bool
  default = false
}

variable "lock" {
  type    = bool
  default = false
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

resource "aws_s3_bucket" "logs" {
  bucket_prefix       = "${var.name}-p-"
  force_destroy       = true
  object_lock_enabled = false
  tags = {
    Name = var.name
    Env  = var.env
  }
}

resource "aws_s3_bucket" "named" {
  bucket              = "${var.name}-named"
  force_destroy       = true
  object_lock_enabled = var.lock
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

data "aws_iam_policy_document" "logs" {
  statement {
    sid       = "FlowLogsWrite"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/AWSLogs/${data.aws_caller_identity.current.id}/*"]
    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:logs:*:${data.aws_caller_identity.current.id}:*"]
    }
  }

  statement {
    sid       = "FlowLogsAclCheck"
    actions   = ["s3:GetBucketAcl"]
    resources = [aws_s3_bucket.logs.arn]
    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = var.reader ? [1] : []
    content {
      sid       = "Reader"
      actions   = ["s3:GetObject"]
      resources = ["${aws_s3_bucket.logs.arn}/*"]
      principals {
        type        = "AWS"
        identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = data.aws_iam_policy_document.logs.json

  depends_on = [aws_s3_bucket_public_access_block.logs]
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  bucket = aws_s3_bucket_policy.logs.id

  rule {
    object_ownership = "BucketOwnerPreferred"
  }

  depends_on = [aws_s3_bucket_policy.logs, aws_s3_bucket_public_access_block.logs]
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "named" {
  bucket = aws_s3_bucket.named.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_vpc" "this" {
  cidr_block = "10.42.0.0/16"
  tags = {
    Name = var.name
  }
}

resource "aws_flow_log" "s3" {
  vpc_id                   = aws_vpc.this.id
  traffic_type             = "ALL"
  log_destination_type     = "s3"
  log_destination          = aws_s3_bucket.logs.arn
  log_format               = "$${version} $${account-id} $${interface-id} $${action}"
  max_aggregation_interval = 60

  destination_options {
    file_format                = "parquet"
    hive_compatible_partitions = true
    per_hour_partition         = true
  }

  tags = {
    Name = var.name
  }
}

output "bucket" {
  value = aws_s3_bucket.logs.id
}

output "regional_domain_name" {
  value = aws_s3_bucket.logs.bucket_regional_domain_name
}

# terraform-aws-vpc's examples name everything `ex-${basename(path.cwd)}`
output "cwd_name" {
  value = "ex-${basename(path.cwd)}"
}
"#;

fn s3() -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk_config())
            .force_path_style(true)
            .build(),
    )
}

/// A bucket as an independent S3 client sees it.
#[derive(Debug, Clone, Default)]
struct Bucket {
    tags: BTreeMap<String, String>,
    policy_sids: Vec<String>,
    /// block_public_acls, block_public_policy, ignore_public_acls, restrict_public_buckets
    access_block: Option<[bool; 4]>,
    ownership: Option<String>,
    sse: Option<String>,
    versioning: Option<String>,
    object_lock: bool,
}

/// The buckets whose names start with `stack`, by name.
async fn buckets(stack: &str) -> BTreeMap<String, Bucket> {
    let c = s3();
    let list = c.list_buckets().send().await.unwrap();
    let mut out = BTreeMap::new();
    for b in list.buckets() {
        let name = b.name().unwrap();
        if !name.starts_with(stack) {
            continue;
        }
        let mut seen = Bucket::default();
        if let Ok(t) = c.get_bucket_tagging().bucket(name).send().await {
            seen.tags = t
                .tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
        }
        if let Ok(p) = c.get_bucket_policy().bucket(name).send().await {
            let doc: serde_json::Value = serde_json::from_str(p.policy().unwrap()).unwrap();
            seen.policy_sids = doc["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|s| s["Sid"].as_str().map(str::to_string))
                .collect();
        }
        if let Ok(a) = c.get_public_access_block().bucket(name).send().await {
            let a = a.public_access_block_configuration().unwrap();
            seen.access_block = Some([
                a.block_public_acls() == Some(true),
                a.block_public_policy() == Some(true),
                a.ignore_public_acls() == Some(true),
                a.restrict_public_buckets() == Some(true),
            ]);
        }
        if let Ok(o) = c.get_bucket_ownership_controls().bucket(name).send().await {
            seen.ownership = o
                .ownership_controls()
                .and_then(|c| c.rules().first())
                .map(|r| r.object_ownership().as_str().to_string());
        }
        if let Ok(e) = c.get_bucket_encryption().bucket(name).send().await {
            seen.sse = e
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|r| r.apply_server_side_encryption_by_default())
                .map(|d| d.sse_algorithm().as_str().to_string());
        }
        let v = c.get_bucket_versioning().bucket(name).send().await.unwrap();
        seen.versioning = v.status().map(|s| s.as_str().to_string());
        seen.object_lock = c
            .get_object_lock_configuration()
            .bucket(name)
            .send()
            .await
            .ok()
            .and_then(|o| o.object_lock_configuration().cloned())
            .and_then(|o| o.object_lock_enabled().cloned())
            .is_some_and(|e| e.as_str() == "Enabled");
        out.insert(name.to_string(), seen);
    }
    out
}

/// The number of object versions and delete markers in `bucket`.
async fn versions(bucket: &str) -> usize {
    let v = s3()
        .list_object_versions()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    v.versions().len() + v.delete_markers().len()
}

async fn put_objects(bucket: &str, keys: &[&str]) {
    let c = s3();
    for k in keys {
        c.put_object()
            .bucket(bucket)
            .key(*k)
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"flow"))
            .send()
            .await
            .unwrap();
    }
}

/// The VPC's flow logs: (destination type, destination, interval, format, file format).
async fn flow_logs(vpc: &str) -> Vec<(String, String, i32, String, String)> {
    let ec2 = crate::common::ec2().await;
    let out = ec2
        .describe_flow_logs()
        .filter(
            aws_sdk_ec2::types::Filter::builder()
                .name("resource-id")
                .values(vpc)
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.flow_logs()
        .iter()
        .filter(|f| f.resource_id() == Some(vpc))
        .map(|f| {
            (
                f.log_destination_type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                f.log_destination().unwrap_or_default().to_string(),
                f.max_aggregation_interval().unwrap_or_default(),
                f.log_format().unwrap_or_default().to_string(),
                f.destination_options()
                    .and_then(|o| o.file_format())
                    .map(|x| x.as_str().to_string())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn s3_buckets_their_settings_and_a_flow_log_into_one() {
    let ws = Workspace::from_files(&[("main.tf", S3)], true);
    let name = ws.stack_name.clone();
    let vars = format!("name = \"{name}\"\n");
    ws.write("test.auto.tfvars", &vars);
    let named = format!("{name}-named");

    // the first request on the named bucket is its CreateBucket: its answer is lost
    apply_losing_one_answer(
        &ws,
        Match {
            path_prefix: Some(format!("/{named}")),
            ..Match::default()
        },
    );
    let seen = rt().block_on(buckets(&name));
    assert_eq!(seen.len(), 2, "{seen:?}");
    let logs = id_of(&ws, "aws_s3_bucket.logs");
    assert!(logs.starts_with(&format!("{name}-p-")), "{logs}");
    assert_eq!(logs.len(), format!("{name}-p-").len() + 26, "{logs}");
    let b = &seen[&logs];
    assert_eq!(b.tags["Name"], name);
    assert_eq!(b.tags["Env"], "test");
    assert_eq!(b.tags["infra:stack"], name);
    assert_eq!(b.tags["infra:address"], "aws_s3_bucket.logs");
    assert_eq!(b.policy_sids, ["FlowLogsWrite", "FlowLogsAclCheck"]);
    assert_eq!(b.access_block, Some([true; 4]));
    assert_eq!(b.ownership.as_deref(), Some("BucketOwnerPreferred"));
    assert_eq!(b.sse.as_deref(), Some("AES256"));
    assert!(!b.object_lock);
    // the adopted bucket was tagged as its create would have
    let n = &seen[&named];
    assert_eq!(n.tags["infra:address"], "aws_s3_bucket.named", "{n:?}");
    assert_eq!(n.versioning.as_deref(), Some("Enabled"));
    let vpc = id_of(&ws, "aws_vpc.this");
    let flows = rt().block_on(flow_logs(&vpc));
    assert_eq!(
        flows,
        vec![(
            "s3".to_string(),
            format!("arn:aws:s3:::{logs}"),
            60,
            "${version} ${account-id} ${interface-id} ${action}".to_string(),
            "parquet".to_string()
        )]
    );
    let out = ws.run(&["output", "--json"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let outputs: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        outputs["regional_domain_name"]["value"],
        format!("{logs}.s3.us-east-1.amazonaws.com")
    );
    // path.cwd is the stack's directory, absolute (Terraform's working directory)
    assert_eq!(outputs["cwd_name"]["value"], "ex-stack");
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // objects and versions the buckets must be emptied of
    rt().block_on(async {
        put_objects(&logs, &["AWSLogs/a.parquet", "AWSLogs/b.parquet"]).await;
        put_objects(&named, &["k", "k"]).await;
        s3().delete_object()
            .bucket(&named)
            .key("k")
            .send()
            .await
            .unwrap();
        assert_eq!(versions(&named).await, 3);
    });

    // tags and the policy change in place
    let vars = format!("{vars}env = \"prod\"\nreader = true\n");
    ws.write("test.auto.tfvars", &vars);
    let changed = actions(&ws);
    let update = vec!["update".to_string()];
    assert_eq!(
        changed.get("aws_s3_bucket.logs"),
        Some(&update),
        "{changed:?}"
    );
    assert_eq!(
        changed.get("aws_s3_bucket_policy.logs"),
        Some(&update),
        "{changed:?}"
    );
    assert_eq!(changed.len(), 2, "{changed:?}");
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let seen = rt().block_on(buckets(&name));
    let b = &seen[&logs];
    assert_eq!(b.tags["Env"], "prod");
    assert_eq!(b.tags["infra:address"], "aws_s3_bucket.logs");
    assert_eq!(
        b.policy_sids,
        ["FlowLogsWrite", "FlowLogsAclCheck", "Reader"]
    );
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    // object lock forces a new bucket of the same name: the old one is emptied first
    let vars = format!("{vars}lock = true\n");
    ws.write("test.auto.tfvars", &vars);
    let changed = actions(&ws);
    let replace = vec!["delete".to_string(), "create".to_string()];
    assert_eq!(
        changed.get("aws_s3_bucket.named"),
        Some(&replace),
        "{changed:?}"
    );
    // the versioning follows the bucket whose id is known only after apply, as in Terraform
    assert!(
        changed.iter().all(|(a, c)| a == "aws_s3_bucket.named"
            || (a == "aws_s3_bucket_versioning.named" && *c == replace)),
        "{changed:?}"
    );
    let apply = direct(&ws, &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let seen = rt().block_on(buckets(&name));
    let n = &seen[&named];
    assert!(n.object_lock, "{n:?}");
    assert_eq!(n.tags["infra:address"], "aws_s3_bucket.named");
    assert_eq!(rt().block_on(versions(&named)), 0);
    let plan = direct(&ws, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "clean:\n{}", plan.all());

    import_into_copy(&ws, S3, &vars);

    let destroy = direct(&ws, &["destroy", "--auto-approve"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    let seen = rt().block_on(buckets(&name));
    assert!(seen.is_empty(), "every bucket is gone: {seen:?}");
    assert!(rt().block_on(flow_logs(&vpc)).is_empty());
}
