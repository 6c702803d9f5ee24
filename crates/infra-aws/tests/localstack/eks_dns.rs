//! IAM roles and attachments, the policy document data source, Route53 zones, records and
//! health checks (LocalStack), EKS clusters and node groups (moto).

use super::*;

#[path = "dns.rs"]
mod dns;
#[path = "eks.rs"]
mod eks;
#[path = "eks_upgrade.rs"]
mod eks_upgrade;
#[path = "iam.rs"]
mod iam;

const ASSUME_EKS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|x| s(x)).collect())
}
