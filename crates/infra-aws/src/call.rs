//! The one place every AWS call goes through: it counts the call (per
//! `service:Operation`), bounds how many calls are in flight, applies a token-bucket rate
//! limit to operations AWS rate-limits per account, retries throttling and transient
//! failures with exponential backoff and jitter, and logs every attempt with `tracing`.
//!
//! The SDK's own retries are switched off (one attempt per SDK call), so the counter sees
//! every request that reaches the wire.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use infra_provider::{ApiCalls, ErrorKind, ProviderError};
use rand::Rng;
use tokio::sync::Semaphore;

/// How often and how patiently retryable errors are retried.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included.
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles for each further attempt.
    pub base_delay: Duration,
    /// Cap of one backoff.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// The backoff after failed attempt number `attempt` (1-based): exponential, capped,
    /// with jitter in the upper half ("equal jitter").
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.max_delay);
        let ms = u64::try_from(exp.as_millis()).unwrap_or(u64::MAX);
        if ms == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(rand::thread_rng().gen_range(ms / 2..=ms))
    }
}

/// Operations that make something new each time they are sent. After a transient failure
/// (a 5xx, a dropped connection, an answer lost or timed out) the cloud may have carried
/// one out, so the [`Caller`] does not send it again blindly: it returns the error, and
/// `AwsProvider::create` looks for what the request made (by its `infra:*` tags or natural
/// key) before trying again. Throttling is retried here: a throttled request did nothing.
pub fn creates(op: &str) -> bool {
    matches!(
        op,
        "ec2:CreateVpc"
            | "ec2:CreateSubnet"
            | "ec2:CreateInternetGateway"
            | "ec2:AllocateAddress"
            | "ec2:CreateNatGateway"
            | "ec2:CreateRouteTable"
            | "ec2:CreateSecurityGroup"
            | "ec2:AssociateRouteTable"
            | "ec2:CreateNetworkAcl"
            | "ec2:ReplaceNetworkAclAssociation"
            | "ec2:CreateDhcpOptions"
            | "ec2:AssociateVpcCidrBlock"
            | "eks:CreateCluster"
            | "eks:CreateNodegroup"
            | "iam:CreateRole"
            | "iam:CreatePolicy"
            | "iam:CreateInstanceProfile"
            | "iam:CreateOpenIDConnectProvider"
            | "eks:CreateAccessEntry"
            | "eks:CreateAddon"
            | "route53:CreateHostedZone"
            | "route53:CreateHealthCheck"
            | "route53:AssociateVPCWithHostedZone"
            | "route53:CreateReusableDelegationSet"
            | "ec2:CreateLaunchTemplate"
            | "ec2:CreateLaunchTemplateVersion"
            | "ec2:CreateVpcEndpoint"
            | "eks:CreateFargateProfile"
            | "eks:AssociateIdentityProviderConfig"
            | "eks:CreatePodIdentityAssociation"
            | "eks:CreateCapability"
            | "logs:CreateLogGroup"
            | "ec2:CreateFlowLogs"
            | "ec2:CreateCustomerGateway"
            | "ec2:CreateVpnGateway"
            | "kms:CreateKey"
            | "kms:CreateAlias"
            | "ec2:CreateVpcBlockPublicAccessExclusion"
            | "ec2:CreateIpam"
            | "ec2:CreateIpamPool"
            | "ec2:ProvisionIpamPoolCidr"
            | "ec2:CreateVpcPeeringConnection"
            | "ec2:ImportKeyPair"
            | "ec2:RunInstances"
            | "ssm:CreateActivation"
    )
}

/// The error code given to a call whose retry was refused because an earlier attempt,
/// whose answer was lost, already did it (see [`done_codes`]).
pub const ALREADY_DONE: &str = "infra.AlreadyDone";

/// Error codes that, on a retry after an attempt whose answer was lost, mean that the lost
/// attempt was carried out (a rule, route or attachment that now exists).
pub fn done_codes(op: &str) -> &'static [&'static str] {
    match op {
        "ec2:AuthorizeSecurityGroupIngress" | "ec2:AuthorizeSecurityGroupEgress" => {
            &["InvalidPermission.Duplicate"]
        }
        "ec2:CreateRoute" => &["RouteAlreadyExists"],
        "ec2:CreateNetworkAclEntry" => &["NetworkAclEntryAlreadyExists"],
        "ec2:AttachInternetGateway" => &["Resource.AlreadyAssociated"],
        // "there is an existing association for instance ..." (update disassociates first)
        "ec2:AssociateIamInstanceProfile" => &["IncorrectState"],
        // a resent batch whose CREATEs already exist and whose DELETEs are already gone
        // (see [`done_after_lost_answer`]: only those two messages)
        "route53:ChangeResourceRecordSets" => &["InvalidChangeBatch"],
        _ => &[],
    }
}

/// Whether `e`, the answer to a retry of `op` after an attempt whose answer was lost, says
/// that the lost attempt was carried out. Route53 gives one code (`InvalidChangeBatch`) to
/// every refused batch; only "already exists" (a CREATE) and "not found" (a DELETE) say
/// that the identical lost batch did it (a batch is atomic).
pub fn done_after_lost_answer(op: &str, e: &ProviderError) -> bool {
    if !e
        .code
        .as_deref()
        .is_some_and(|c| done_codes(op).contains(&c))
    {
        return false;
    }
    match op {
        "route53:ChangeResourceRecordSets" => {
            e.message.contains("already exists") || e.message.contains("not found")
        }
        _ => true,
    }
}

/// Burst and refill rate (per second) of operations AWS rate-limits with a token bucket.
pub fn rate_limit_for(op: &str) -> Option<(f64, f64)> {
    match op {
        "ec2:CreateNatGateway" => Some((10.0, 1.0)),
        _ => None,
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    burst: f64,
    per_sec: f64,
    last: Instant,
}

impl Bucket {
    /// Take a token, or say how long until one is available.
    fn take(&mut self, now: Instant) -> Option<Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            None
        } else {
            Some(Duration::from_secs_f64((1.0 - self.tokens) / self.per_sec))
        }
    }
}

/// Counting, concurrency bound, rate limits and retries for every AWS call.
#[derive(Debug)]
pub struct Caller {
    calls: Mutex<ApiCalls>,
    permits: Semaphore,
    buckets: Mutex<HashMap<&'static str, Bucket>>,
    policy: RetryPolicy,
}

impl Caller {
    pub fn new(max_in_flight: usize, policy: RetryPolicy) -> Self {
        Caller {
            calls: Mutex::new(ApiCalls::default()),
            permits: Semaphore::new(max_in_flight.max(1)),
            buckets: Mutex::new(HashMap::new()),
            policy,
        }
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Every call made so far (each retry attempt counts), by `service:Operation`.
    pub fn api_calls(&self) -> ApiCalls {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn count(&self, op: &str) {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).add(op);
    }

    async fn take_token(&self, op: &'static str) {
        let Some((burst, per_sec)) = rate_limit_for(op) else {
            return;
        };
        loop {
            let wait = {
                let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
                let bucket = buckets.entry(op).or_insert_with(|| Bucket {
                    tokens: burst,
                    burst,
                    per_sec,
                    last: Instant::now(),
                });
                bucket.take(Instant::now())
            };
            match wait {
                None => return,
                Some(d) => {
                    tracing::debug!(
                        op,
                        wait_ms = d.as_millis() as u64,
                        "rate limit: waiting for a token"
                    );
                    tokio::time::sleep(d).await;
                }
            }
        }
    }

    /// Run `f` (one attempt of operation `op`) until it succeeds, fails with an error that
    /// is not retryable, or the attempts run out.
    pub async fn run<T, F, Fut>(&self, op: &'static str, mut f: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let mut attempt = 0u32;
        // whether an earlier attempt may have been carried out without us hearing of it
        let mut maybe_done = false;
        loop {
            attempt += 1;
            self.take_token(op).await;
            let result = {
                let _permit = self.permits.acquire().await.map_err(|_| {
                    ProviderError::new(ErrorKind::Cancelled, "the provider is shutting down")
                        .with_operation(op)
                })?;
                self.count(op);
                let started = Instant::now();
                let r = f().await;
                tracing::debug!(
                    op,
                    attempt,
                    ok = r.is_ok(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "aws call"
                );
                r
            };
            match result {
                Ok(v) => return Ok(v),
                Err(mut e) if e.kind == ErrorKind::Transient && creates(op) => {
                    if e.operation.is_none() {
                        e.operation = Some(op.to_string());
                    }
                    e.message = format!("{} (it may have been carried out)", e.message);
                    tracing::warn!(op, attempt, error = %e, "aws create call failed; not resent blindly");
                    return Err(e);
                }
                Err(e) if maybe_done && done_after_lost_answer(op, &e) => {
                    tracing::info!(op, attempt, error = %e, "an earlier attempt whose answer was lost did it");
                    return Err(ProviderError {
                        kind: ErrorKind::Other,
                        code: Some(ALREADY_DONE.to_string()),
                        message: format!("an earlier attempt did it ({})", e.message),
                        operation: Some(op.to_string()),
                    });
                }
                Err(e) if e.is_retryable() && attempt < self.policy.max_attempts => {
                    maybe_done |= e.kind == ErrorKind::Transient;
                    let delay = self.policy.backoff(attempt);
                    tracing::warn!(op, attempt, delay_ms = delay.as_millis() as u64, error = %e, "aws call failed; retrying");
                    tokio::time::sleep(delay).await;
                }
                Err(mut e) => {
                    if e.operation.is_none() {
                        e.operation = Some(op.to_string());
                    }
                    if e.is_retryable() {
                        e.message = format!(
                            "{} (gave up after {attempt} attempts; try again later)",
                            e.message
                        );
                    }
                    // NotFound is an answer, not a failure: reads and delete waits expect it
                    if e.kind == ErrorKind::NotFound {
                        tracing::debug!(op, attempt, error = %e, "aws call: not found");
                    } else {
                        tracing::warn!(op, attempt, error = %e, "aws call failed");
                    }
                    return Err(e);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Operations whose names say "create" but that make nothing twice when a request
    /// whose answer was lost is sent again, with why; every other create-like operation
    /// the provider calls must be in [`creates`].
    const REPEATABLE: &[(&str, &str)] = &[
        ("ec2:CreateTags", "sets tags"),
        (
            "ec2:AssociateIamInstanceProfile",
            "an instance has one profile association: a resend after a lost answer is refused (IncorrectState, done_codes) and makes no second one",
        ),
        (
            "ec2:AssociateAddress",
            "an address has one association: a resend associates the same address with the same target again",
        ),
        (
            "ec2:CreateRoute",
            "one route per destination: RouteAlreadyExists (done_codes)",
        ),
        (
            "ec2:CreateNetworkAclEntry",
            "one entry per rule number (done_codes)",
        ),
        ("ec2:CreateEgressOnlyInternetGateway", "sends a ClientToken"),
        ("ec2:CreateDefaultVpc", "one default VPC per region"),
        ("ec2:AssociateSubnetCidrBlock", "one IPv6 block per subnet"),
        ("ec2:AssociateDhcpOptions", "sets the VPC's options"),
        (
            "s3:CreateBucket",
            "the name is the key: BucketAlreadyOwnedByYou",
        ),
        ("rds:CreateDBSubnetGroup", "the name is the key"),
        ("elasticache:CreateCacheSubnetGroup", "the name is the key"),
        ("redshift:CreateClusterSubnetGroup", "the name is the key"),
        ("redshift:CreateTags", "sets tags"),
        ("autoscaling:CreateAutoScalingGroup", "the name is the key"),
        ("autoscaling:CreateOrUpdateTags", "sets tags"),
        (
            "iam:CreatePolicyVersion",
            "one more version of the same document, made default; old ones are pruned first",
        ),
        ("eks:AssociateAccessPolicy", "sets the entry's policy"),
        ("logs:AssociateKmsKey", "sets the group's key"),
        (
            "sqs:CreateQueue",
            "the name is the key: the same name and attributes answer the same queue",
        ),
        (
            "ec2:AllocateIpamPoolCidr",
            "called with PreviewNextCidr only: reserves nothing",
        ),
    ];

    /// A type whose create operation is missing from [`creates`] is duplicated after a lost
    /// answer (the caller resends it blindly): VPC Block Public Access exclusions were,
    /// until `tests/coverage_bpa.rs` caught it. Every operation the provider calls
    /// (`call("service:Op", ...)` in this crate) whose name makes something must be in
    /// [`creates`] or in [`REPEATABLE`].
    #[test]
    fn every_create_operation_called_is_either_guarded_or_repeatable() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut missing = Vec::new();
        let mut seen = 0;
        for entry in std::fs::read_dir(&src).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, _) in text.match_indices("call(\"") {
                let rest = &text[i + "call(\"".len()..];
                let Some(end) = rest.find('"') else { continue };
                let op = &rest[..end];
                let Some((_, name)) = op.split_once(':') else {
                    continue;
                };
                let makes = ["Create", "Allocate", "Associate", "Request", "Run"]
                    .iter()
                    .any(|p| name.starts_with(p));
                if !makes {
                    continue;
                }
                seen += 1;
                if !creates(op) && !REPEATABLE.iter().any(|(r, _)| *r == op) {
                    missing.push(format!("{op} ({})", path.display()));
                }
            }
        }
        assert!(seen > 40, "the scan found only {seen} create calls");
        assert!(
            missing.is_empty(),
            "add these to `creates` (or to REPEATABLE with why a resend makes nothing twice): {missing:?}"
        );
    }

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
        }
    }

    fn err(kind: ErrorKind, code: &str) -> ProviderError {
        ProviderError::new(kind, "injected").with_code(code)
    }

    /// Feed `seq` of results to the caller, one per attempt.
    async fn replay(
        caller: &Caller,
        seq: Vec<Result<u32, ProviderError>>,
    ) -> (Result<u32, ProviderError>, u32) {
        let n = AtomicU32::new(0);
        let seq = Mutex::new(seq.into_iter());
        let r = caller
            .run("ec2:DescribeVpcs", || {
                n.fetch_add(1, Ordering::SeqCst);
                let next = seq.lock().unwrap().next().unwrap_or(Ok(99));
                async move { next }
            })
            .await;
        (r, n.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn throttling_and_5xx_are_retried_until_success() {
        let caller = Caller::new(4, fast());
        let seq = vec![
            Err(err(ErrorKind::Throttled, "RequestLimitExceeded")),
            Err(err(ErrorKind::Throttled, "Throttling")),
            Err(err(ErrorKind::Transient, "InternalError")),
            Ok(7),
        ];
        let (r, attempts) = replay(&caller, seq).await;
        assert_eq!(r, Ok(7));
        assert_eq!(attempts, 4);
        assert_eq!(caller.api_calls().get("ec2:DescribeVpcs"), 4);
    }

    #[tokio::test]
    async fn a_create_is_not_resent_after_a_transient_failure_but_after_throttling() {
        let caller = Caller::new(4, fast());
        let n = AtomicU32::new(0);
        let r: Result<u32, _> = caller
            .run("ec2:CreateVpc", || {
                let i = n.fetch_add(1, Ordering::SeqCst);
                async move {
                    match i {
                        0 => Err(err(ErrorKind::Throttled, "RequestLimitExceeded")),
                        _ => Err(err(ErrorKind::Transient, "InternalError")),
                    }
                }
            })
            .await;
        let e = r.unwrap_err();
        assert_eq!(n.load(Ordering::SeqCst), 2, "throttling retried, 5xx not");
        assert_eq!(e.kind, ErrorKind::Transient);
        assert!(e.message.contains("may have been carried out"), "{e}");
    }

    #[tokio::test]
    async fn a_duplicate_after_a_lost_answer_means_the_lost_attempt_did_it() {
        let caller = Caller::new(4, fast());
        let seq = Mutex::new(
            vec![
                Err(err(ErrorKind::Transient, "")),
                Err(err(ErrorKind::Rejected, "InvalidPermission.Duplicate")),
            ]
            .into_iter(),
        );
        let r: Result<u32, _> = caller
            .run("ec2:AuthorizeSecurityGroupIngress", || {
                let next = seq.lock().unwrap().next().unwrap_or(Ok(1));
                async move { next }
            })
            .await;
        assert_eq!(r.unwrap_err().code.as_deref(), Some(ALREADY_DONE));
        // without a lost answer before it, a duplicate is the API's rejection
        let caller = Caller::new(4, fast());
        let r: Result<u32, _> = caller
            .run("ec2:AuthorizeSecurityGroupIngress", || async {
                Err(err(ErrorKind::Rejected, "InvalidPermission.Duplicate"))
            })
            .await;
        assert_eq!(
            r.unwrap_err().code.as_deref(),
            Some("InvalidPermission.Duplicate")
        );
    }

    #[tokio::test]
    async fn a_record_batch_resent_after_a_lost_answer_is_done_only_if_route53_says_so() {
        let run = |second: ProviderError| async move {
            let caller = Caller::new(4, fast());
            let seq = Mutex::new(vec![Err(err(ErrorKind::Transient, "")), Err(second)].into_iter());
            caller
                .run("route53:ChangeResourceRecordSets", || {
                    let next = seq.lock().unwrap().next().unwrap_or(Ok(1u32));
                    async move { next }
                })
                .await
        };
        let exists = ProviderError::new(
            ErrorKind::Rejected,
            "Tried to create resource record set [name='a.', type='A'] but it already exists",
        )
        .with_code("InvalidChangeBatch");
        assert_eq!(
            run(exists).await.unwrap_err().code.as_deref(),
            Some(ALREADY_DONE)
        );
        let bad = ProviderError::new(ErrorKind::Rejected, "RRSet of type CNAME at the apex")
            .with_code("InvalidChangeBatch");
        assert_eq!(
            run(bad).await.unwrap_err().code.as_deref(),
            Some("InvalidChangeBatch")
        );
    }

    #[tokio::test]
    async fn gives_up_after_max_attempts() {
        let caller = Caller::new(4, fast());
        let seq = (0..20)
            .map(|_| Err(err(ErrorKind::Throttled, "RequestLimitExceeded")))
            .collect();
        let (r, attempts) = replay(&caller, seq).await;
        let e = r.unwrap_err();
        assert_eq!(attempts, 8);
        assert_eq!(e.kind, ErrorKind::Throttled);
        assert_eq!(e.operation.as_deref(), Some("ec2:DescribeVpcs"));
        assert!(e.message.contains("gave up after 8 attempts"), "{e}");
    }

    #[tokio::test]
    async fn rejected_and_not_found_are_not_retried() {
        for kind in [
            ErrorKind::Rejected,
            ErrorKind::NotFound,
            ErrorKind::Credentials,
        ] {
            let caller = Caller::new(4, fast());
            let (r, attempts) = replay(&caller, vec![Err(err(kind, "X")), Ok(1)]).await;
            assert_eq!(r.unwrap_err().kind, kind);
            assert_eq!(attempts, 1);
        }
    }

    #[tokio::test]
    async fn in_flight_calls_are_bounded() {
        let caller = std::sync::Arc::new(Caller::new(2, fast()));
        let now = std::sync::Arc::new(AtomicU32::new(0));
        let max = std::sync::Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (caller, now, max) = (caller.clone(), now.clone(), max.clone());
            tasks.push(tokio::spawn(async move {
                caller
                    .run("ec2:DescribeSubnets", || {
                        let (now, max) = (now.clone(), max.clone());
                        async move {
                            let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                            max.fetch_max(n, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            now.fetch_sub(1, Ordering::SeqCst);
                            Ok::<_, ProviderError>(())
                        }
                    })
                    .await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(max.load(Ordering::SeqCst), 2);
        assert_eq!(caller.api_calls().get("ec2:DescribeSubnets"), 8);
    }

    #[test]
    fn token_bucket_allows_burst_then_one_per_second() {
        let t0 = Instant::now();
        let mut b = Bucket {
            tokens: 10.0,
            burst: 10.0,
            per_sec: 1.0,
            last: t0,
        };
        for _ in 0..10 {
            assert_eq!(b.take(t0), None);
        }
        let wait = b.take(t0).expect("the 11th call waits");
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        assert_eq!(b.take(t0 + Duration::from_secs(1)), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        let d1 = p.backoff(1);
        assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
        let d3 = p.backoff(3);
        assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400));
        assert!(p.backoff(12) <= Duration::from_secs(1));
    }
}
