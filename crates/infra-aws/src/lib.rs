//! The AWS provider: the only crate that talks to the AWS SDK.
//!
//! [`AwsProvider`] implements [`infra_provider::Provider`] for the network layer (VPCs,
//! subnets, gateways, addresses, routes, security groups and their data sources; network
//! ACLs, DHCP options and secondary CIDR blocks through `ec2_net`), IAM
//! roles and policy attachments (`iam`), managed and inline policies (`iam_policy`),
//! instance profiles and OIDC providers (`iam_profile`), the locally rendered policy
//! document (`policy_document`), EKS clusters, node groups, access entries and add-ons
//! (`eks`, `eks_nodegroup`, `eks_access`, `eks_addon`), Route53 zones, records, health
//! checks, VPC associations and delegation sets (`route53*`), the RDS, ElastiCache and
//! Redshift subnet groups (`subnet_groups`), and the data sources that
//! look up existing objects (`lookups`: partition, VPC, subnets, hosted zone). Each resource family has its own
//! module; every AWS call goes through [`call::Caller`], which counts, bounds,
//! rate-limits, retries and logs it.
//!
//! Where an API has no filtered Describe, a refresh lists once and picks ours (ListRoles,
//! ListHostedZones, ListHealthChecks, ListClusters / ListNodegroups), and Route53 records
//! are read with one ListResourceRecordSets scan per zone.
//!
//! Reads are batched per type: one filtered, paginated Describe call covers every id of a
//! type (chunked by 200 ids, the filter limit). A filter omits ids that no longer exist,
//! where an id list would fail the whole call with `*.NotFound`.

pub mod call;
mod catalog_data;
pub mod errors;

mod autoscaling;
mod autoscaling_ops;
mod autoscaling_refresh;
mod autoscaling_types;
mod bpa;
mod clients;
mod customer_gateway;
mod data;
mod default_vpc;
mod defaults;
mod dhcp;
mod ec2_net;
mod ec2_tag;
mod egress_gateway;
mod eip_assoc;
mod eip_nat;
mod eks;
mod eks_access;
mod eks_addon;
mod eks_capability;
mod eks_fargate;
mod eks_idp;
mod eks_nodegroup;
mod eks_pod_identity;
mod eks_types;
mod eks_v21;
mod eks_v21_nodes;
mod event_rule;
mod event_target;
mod extra_types;
mod flow_log;
mod gateways;
mod holders;
mod iam;
mod iam_policy;
mod iam_profile;
mod idc_data;
pub mod import;
mod instance;
mod instance_blocks;
mod instance_data;
mod instance_launch;
mod instance_ops;
mod instance_update;
mod ipam;
mod ipam_cidr;
pub mod ipv6_count;
mod key_pair;
mod kms;
mod kms_alias;
mod kms_types;
mod launch_template;
mod launch_template_more;
mod launch_template_read;
mod log_group;
mod log_types;
mod lookups;
mod nacl;
mod nacl_batch;
mod nacl_default;
mod nacl_parts;
mod nacl_rules;
mod node_data;
mod node_lookups;
mod node_types;
mod peering;
mod peering_data;
pub mod policy_document;
mod policy_merge;
mod provider_impl;
mod recover;
mod route53;
mod route53_assoc;
mod route53_batch;
mod route53_health;
mod route53_records;
mod route_table;
mod routes;
mod s3;
mod s3_settings;
mod s3_types;
mod security_group;
mod sg_rule;
mod sg_rules;
mod sqs;
mod sqs_events_types;
mod sqs_policy;
mod ssm_activation;
mod subnet;
mod subnet_group_apis;
mod subnet_groups;
mod subnet_ipv6;
mod util;
mod vpc;
mod vpc_cidr;
mod vpc_endpoint;
mod vpc_endpoint_v6;
mod vpc_ipv6;
mod vpc_sg_rule;
mod vpn_gateway;
mod vpn_types;
mod waits;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::SdkConfig;
use infra_model::Value;
use infra_provider::{ApiCalls, CreateRequest, ErrorKind, Provider, ProviderError, ReadRequest};

pub use call::{Caller, RetryPolicy};

/// Calls in flight at once, over all operations.
pub const MAX_IN_FLIGHT: usize = 16;

/// The AWS provider. Cheap to share behind an `Arc`; every method takes `&self`.
#[derive(Debug)]
pub struct AwsProvider {
    ec2: aws_sdk_ec2::Client,
    iam: aws_sdk_iam::Client,
    eks: aws_sdk_eks::Client,
    route53: aws_sdk_route53::Client,
    records: route53_batch::Batcher,
    sts: aws_sdk_sts::Client,
    rds: aws_sdk_rds::Client,
    elasticache: aws_sdk_elasticache::Client,
    redshift: aws_sdk_redshift::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    kms: aws_sdk_kms::Client,
    ssm: aws_sdk_ssm::Client,
    autoscaling: aws_sdk_autoscaling::Client,
    s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
    events: aws_sdk_eventbridge::Client,
    /// IAM Identity Center and ECR Public (`idc_data`)
    idc: clients::IdcClients,
    /// The caller's account, asked once when an ARN needs it (`flow_log::account_id`).
    account: std::sync::OnceLock<String>,
    region: String,
    caller: Caller,
    /// How long waiters (NAT gateway available / deleted, dependency retries) wait at most.
    wait_timeout: Duration,
    /// How long EKS waiters (cluster / node group active, updates, deletion) wait at most:
    /// a cluster takes 10–15 minutes to create on AWS.
    eks_wait_timeout: Duration,
    /// The resolved credentials' key id, secret and session token, for the binary's
    /// redactor (never logged or stored here).
    credential_texts: Vec<String>,
    /// What each delete in progress waits for (see `waits`).
    waits: waits::Waits,
    /// Concurrent network-ACL reads, sent as one (see `nacl_batch`).
    acl_reads: nacl_batch::AclReads,
    /// The credentials the clients sign with, for what is signed here (EKS tokens).
    credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
}

impl AwsProvider {
    /// A provider from the standard credential chain (environment, profiles, SSO, ...) and
    /// the SDK's own `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` variables. `region`
    /// (the provider block's) wins over `AWS_REGION` and the profile's region.
    pub async fn from_env(region: Option<String>) -> Result<Self, ProviderError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            // one attempt per SDK call: our Caller retries, so it counts every request
            .retry_config(RetryConfig::standard().with_max_attempts(1))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            );
        if let Some(r) = region.filter(|r| !r.is_empty()) {
            loader = loader.region(Region::new(r));
        }
        let config = loader.load().await;
        let texts = Self::check_credentials(&config).await?;
        let mut p = Self::from_config(&config)?;
        p.credential_texts = texts;
        Ok(p)
    }

    /// The texts of the credentials in use (access key id, secret key, session token)
    /// when they came from [`AwsProvider::from_env`], so that the caller can keep them out
    /// of everything it prints.
    pub fn credential_texts(&self) -> &[String] {
        &self.credential_texts
    }

    async fn check_credentials(config: &SdkConfig) -> Result<Vec<String>, ProviderError> {
        use aws_credential_types::provider::ProvideCredentials;
        let hint = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (for LocalStack: eval \"$(localstack/up)\")";
        let Some(provider) = config.credentials_provider() else {
            return Err(ProviderError::new(
                ErrorKind::Credentials,
                format!("no AWS credentials provider is configured; {hint}"),
            ));
        };
        provider
            .provide_credentials()
            .await
            .map(|c| {
                let mut texts = vec![
                    c.access_key_id().to_string(),
                    c.secret_access_key().to_string(),
                ];
                texts.extend(c.session_token().map(str::to_string));
                texts
            })
            .map_err(|e| {
                ProviderError::new(
                    ErrorKind::Credentials,
                    format!("no AWS credentials found ({e}); {hint}"),
                )
            })
    }

    /// A provider from an already loaded SDK configuration (tests, embedding). The
    /// configuration's retry setting should be a single attempt.
    pub fn from_config(config: &SdkConfig) -> Result<Self, ProviderError> {
        let region = config.region().map(|r| r.as_ref().to_string()).ok_or_else(|| {
            ProviderError::new(ErrorKind::Credentials, "no AWS region is configured; set `region` in the provider \"aws\" block, or AWS_REGION (for LocalStack: eval \"$(localstack/up)\")")
        })?;
        Ok(AwsProvider {
            ec2: aws_sdk_ec2::Client::from_conf(
                aws_sdk_ec2::config::Builder::from(config)
                    .interceptor(ipv6_count::AvailableIpCount)
                    .build(),
            ),
            iam: aws_sdk_iam::Client::new(config),
            eks: aws_sdk_eks::Client::new(config),
            route53: aws_sdk_route53::Client::new(config),
            records: route53_batch::Batcher::default(),
            sts: aws_sdk_sts::Client::new(config),
            rds: aws_sdk_rds::Client::new(config),
            elasticache: aws_sdk_elasticache::Client::new(config),
            redshift: aws_sdk_redshift::Client::new(config),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
            kms: aws_sdk_kms::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
            autoscaling: aws_sdk_autoscaling::Client::new(config),
            // an emulator's endpoint (an address, not a domain) takes the bucket in the path
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(config)
                    .force_path_style(
                        config.endpoint_url().is_some()
                            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some(),
                    )
                    .build(),
            ),
            sqs: aws_sdk_sqs::Client::new(config),
            events: aws_sdk_eventbridge::Client::new(config),
            idc: clients::IdcClients::new(config),
            account: std::sync::OnceLock::new(),
            region,
            caller: Caller::new(MAX_IN_FLIGHT, RetryPolicy::default()),
            wait_timeout: Duration::from_secs(15 * 60),
            eks_wait_timeout: Duration::from_secs(40 * 60),
            credential_texts: Vec::new(),
            waits: waits::Waits::default(),
            acl_reads: nacl_batch::AclReads::default(),
            credentials: config.credentials_provider(),
        })
    }

    /// Replace the retry policy (tests use short backoffs).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.caller = Caller::new(MAX_IN_FLIGHT, policy);
        self
    }

    /// Replace how long waiters wait at most.
    pub fn with_wait_timeout(mut self, timeout: Duration) -> Self {
        self.wait_timeout = timeout;
        self
    }

    /// Replace how long EKS waiters wait at most.
    pub fn with_eks_wait_timeout(mut self, timeout: Duration) -> Self {
        self.eks_wait_timeout = timeout;
        self
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// Make one AWS call through the [`Caller`]: `f` builds and sends the request; it is
    /// called again for each retry.
    /// Every item of a paginated call: `send(token)` sends one page request (one counted
    /// call per page through [`AwsProvider::call`]); `items` and `next` read a page.
    pub(crate) async fn paginate<T, P, E, F, Fut>(
        &self,
        op: &'static str,
        send: F,
        items: impl Fn(&P) -> &[T],
        next: impl Fn(&P) -> Option<&str>,
    ) -> Result<Vec<T>, ProviderError>
    where
        T: Clone,
        F: Fn(Option<String>) -> Fut,
        Fut: Future<Output = Result<P, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self.call(op, || send(token.clone())).await?;
            out.extend(items(&page).iter().cloned());
            match next(&page) {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(out),
            }
        }
    }

    pub(crate) async fn call<T, E, F, Fut>(
        &self,
        op: &'static str,
        f: F,
    ) -> Result<T, ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        self.caller
            .run(op, || {
                let fut = f();
                async move { fut.await.map_err(|e| errors::from_sdk(op, e)) }
            })
            .await
    }

    /// Poll `check` until it returns `Some`, with a growing interval, up to the wait timeout.
    pub(crate) async fn poll<T, F, Fut>(&self, what: &str, check: F) -> Result<T, ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Option<T>, ProviderError>>,
    {
        let timeout = infra_provider::step_timeout().unwrap_or(self.wait_timeout);
        self.poll_until(what, timeout, Duration::from_secs(10), check)
            .await
    }

    /// [`AwsProvider::poll`] with the EKS wait timeout and a 30 s cap between polls.
    pub(crate) async fn poll_eks<T, F, Fut>(&self, what: &str, check: F) -> Result<T, ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Option<T>, ProviderError>>,
    {
        let timeout = infra_provider::step_timeout().unwrap_or(self.eks_wait_timeout);
        self.poll_until(what, timeout, Duration::from_secs(30), check)
            .await
    }

    /// Poll `check` until it returns `Some`, backing off up to `max_delay`, for at most
    /// `timeout`; logs the elapsed time at most every 30 s.
    async fn poll_until<T, F, Fut>(
        &self,
        what: &str,
        timeout: Duration,
        max_delay: Duration,
        check: F,
    ) -> Result<T, ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Option<T>, ProviderError>>,
    {
        let started = std::time::Instant::now();
        let mut delay = Duration::from_millis(500);
        let mut last_report = started;
        loop {
            if let Some(v) = check().await? {
                return Ok(v);
            }
            if started.elapsed() + delay > timeout {
                return Err(ProviderError::new(
                    ErrorKind::Timeout,
                    format!("gave up waiting for {what} after {}s; check it in the AWS console and run again (it resumes waiting)", timeout.as_secs()),
                ));
            }
            if last_report.elapsed() >= Duration::from_secs(30) {
                last_report = std::time::Instant::now();
                tracing::info!(
                    what,
                    elapsed_s = started.elapsed().as_secs(),
                    "still waiting"
                );
            }
            tracing::debug!(what, delay_ms = delay.as_millis() as u64, "waiting");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(max_delay);
        }
    }

    /// Read one resource just written, waiting out eventual consistency (a new id may not
    /// be visible to Describe at once on AWS).
    pub(crate) async fn read_back(
        &self,
        type_name: &str,
        id: &str,
        prior: &Value,
    ) -> Result<Value, ProviderError> {
        let item = [ReadRequest {
            id: id.to_string(),
            prior: prior.clone(),
        }];
        for attempt in 0..8u32 {
            if let Some(v) = self.read(type_name, &item).await?.remove(id) {
                return Ok(v);
            }
            tokio::time::sleep(Duration::from_millis(250 * 2u64.pow(attempt.min(4)))).await;
        }
        Err(ProviderError::not_found(format!(
            "{type_name} {id} was written but cannot be read back; run again to refresh it"
        )))
    }
}

#[cfg(test)]
#[path = "lib_tests.rs"]
mod tests;
