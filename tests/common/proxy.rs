//! A fault-injecting HTTP/1.1 proxy between the `infra` binary and the emulator.
//!
//! It forwards every request to the emulator (EKS, RDS, ElastiCache and Redshift requests,
//! recognised by the SigV4 credential scope, to moto's server) and injects faults by rules that match a request
//! (an EC2 `Action=`, a path prefix, a substring of the form body) and/or at a seeded
//! random rate. Faults are shaped as each protocol's real answer:
//! - throttling: EC2 `RequestLimitExceeded` (503, `<Response><Errors>...`), Route53/IAM/STS
//!   `Throttling` (400, `<ErrorResponse><Error><Type>Sender</Type>...`), EKS
//!   `ThrottlingException` (429, JSON);
//! - 500 `InternalError` and 503 `Unavailable`;
//! - a dropped connection: the socket is closed without an answer, before forwarding;
//! - a slow answer: forwarded after a delay;
//! - a lost answer: forwarded (the cloud acts), then the socket is closed instead of
//!   answering.
//!
//! It counts requests seen and faults injected per kind.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// The protocol's throttling error.
    Throttle,
    /// HTTP 500 `InternalError`.
    Error500,
    /// HTTP 503 `Unavailable`.
    Error503,
    /// A non-retryable 400 (`InvalidParameterValue` / `InvalidInput`).
    Reject400,
    /// Close the socket without answering, before forwarding.
    Drop,
    /// Forward after a delay.
    Slow,
    /// Forward, then close the socket instead of answering.
    LoseResponse,
    /// Answer 400 `DependencyViolation` without forwarding (AWS refusing a delete while
    /// something still uses the object, where the emulator would not refuse).
    DependencyViolation,
    /// Answer success (EC2: `<ActionResponse><return>true</return>`) without forwarding:
    /// a call the client takes as done although the cloud never carried it out.
    FakeSuccess,
}

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Fault::Throttle => "throttle",
            Fault::Error500 => "http_500",
            Fault::Error503 => "http_503",
            Fault::Reject400 => "http_400",
            Fault::Drop => "dropped_connection",
            Fault::Slow => "slow_response",
            Fault::LoseResponse => "lost_response",
            Fault::DependencyViolation => "dependency_violation",
            Fault::FakeSuccess => "fake_success",
        }
    }

    /// The mix injected at random: every transient kind (never a non-retryable 400).
    pub const RANDOM_MIX: [Fault; 6] = [
        Fault::Throttle,
        Fault::Error500,
        Fault::Error503,
        Fault::Drop,
        Fault::Slow,
        Fault::LoseResponse,
    ];
}

/// What a rule matches; every field that is set must match.
#[derive(Debug, Clone, Default)]
pub struct Match {
    /// The EC2/IAM/STS query action (`Action=CreateSecurityGroup` in the form body).
    pub action: Option<String>,
    /// A prefix of the request path (Route53: `/2013-04-01/hostedzone`).
    pub path_prefix: Option<String>,
    /// A substring of the url-decoded body (e.g. an `infra:address` tag value).
    pub body_contains: Option<String>,
}

/// Inject `fault` into requests matching `when`, at most `times` times (None: always).
#[derive(Debug, Clone)]
pub struct Rule {
    pub when: Match,
    pub fault: Fault,
    pub times: Option<usize>,
}

impl Rule {
    pub fn action(action: &str, fault: Fault, times: Option<usize>) -> Rule {
        Rule {
            when: Match {
                action: Some(action.into()),
                ..Match::default()
            },
            fault,
            times,
        }
    }
}

/// How the proxy misbehaves.
#[derive(Debug, Clone, Default)]
pub struct FaultConfig {
    /// Seed of the random faults.
    pub seed: u64,
    /// Probability of a random fault per request (0: none).
    pub rate: f64,
    /// Rules, checked before the random faults.
    pub rules: Vec<Rule>,
}

/// What the proxy saw and did.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub requests: usize,
    /// Faults injected, by [`Fault::name`].
    pub injected: BTreeMap<String, usize>,
    /// Requests seen, by operation (`ec2:CreateVpc`, `route53:POST /2013-04-01/...`).
    pub by_operation: BTreeMap<String, usize>,
    /// Faults injected, by `operation kind`.
    pub injected_by_operation: BTreeMap<String, usize>,
}

impl Stats {
    pub fn total_injected(&self) -> usize {
        self.injected.values().sum()
    }
}

struct Inner {
    upstream: String,
    upstream_eks: String,
    config: Mutex<(FaultConfig, StdRng)>,
    stats: Mutex<Stats>,
    /// Whether faults are injected at all (they can be switched off mid-test).
    enabled: std::sync::atomic::AtomicBool,
}

/// A running proxy; stops when dropped.
pub struct Proxy {
    pub url: String,
    inner: Arc<Inner>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Proxy {
    /// Start a proxy on 127.0.0.1 (a free port) in front of `upstream` (and `upstream_eks`
    /// for EKS requests).
    pub fn start(upstream: &str, upstream_eks: &str, config: FaultConfig) -> Proxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let rng = StdRng::seed_from_u64(config.seed);
        let inner = Arc::new(Inner {
            upstream: host_port(upstream),
            upstream_eks: host_port(upstream_eks),
            config: Mutex::new((config, rng)),
            stats: Mutex::new(Stats::default()),
            enabled: std::sync::atomic::AtomicBool::new(true),
        });
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let serving = inner.clone();
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let inner = serving.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let inner = inner.clone();
                        async move { handle(inner, req).await }
                    });
                    // a service error closes the connection without an answer
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Proxy {
            url: format!("http://{addr}"),
            inner,
            runtime: Some(runtime),
        }
    }

    pub fn stats(&self) -> Stats {
        self.inner.stats.lock().unwrap().clone()
    }

    /// Stop (or resume) injecting faults; requests are still forwarded and counted.
    pub fn set_enabled(&self, on: bool) {
        self.inner
            .enabled
            .store(on, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn host_port(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

/// Why a connection was closed without an answer.
#[derive(Debug)]
struct Closed(&'static str);

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Closed {}

/// The request as the rules see it.
struct Seen {
    /// `ec2`, `route53`, `iam`, `sts`, `eks` (from the SigV4 scope).
    service: String,
    action: Option<String>,
    path: String,
    body: String,
}

impl Seen {
    fn operation(&self, method: &str) -> String {
        match &self.action {
            Some(a) => format!("{}:{a}", self.service),
            None => format!("{}:{method} {}", self.service, self.path),
        }
    }
}

fn matches(m: &Match, seen: &Seen) -> bool {
    m.action
        .as_ref()
        .is_none_or(|a| seen.action.as_deref() == Some(a))
        && m.path_prefix
            .as_ref()
            .is_none_or(|p| seen.path.starts_with(p.as_str()))
        && m.body_contains
            .as_ref()
            .is_none_or(|s| seen.body.contains(s.as_str()))
}

/// The service of a SigV4-signed request: `Credential=AKID/date/region/<service>/aws4_request`.
fn service_of(req: &Request<Incoming>) -> String {
    req.headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("unknown")
        .to_string()
}

fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn choose(inner: &Inner, seen: &Seen) -> Option<Fault> {
    if !inner.enabled.load(std::sync::atomic::Ordering::SeqCst) {
        return None;
    }
    let mut guard = inner.config.lock().unwrap();
    let (config, rng) = &mut *guard;
    for rule in config.rules.iter_mut() {
        if rule.times == Some(0) || !matches(&rule.when, seen) {
            continue;
        }
        if let Some(n) = rule.times.as_mut() {
            *n -= 1;
        }
        return Some(rule.fault);
    }
    if config.rate > 0.0 && rng.gen_bool(config.rate.min(1.0)) {
        let i = rng.gen_range(0..Fault::RANDOM_MIX.len());
        return Some(Fault::RANDOM_MIX[i]);
    }
    None
}

type Answer = Result<Response<Full<Bytes>>, Closed>;

async fn handle(inner: Arc<Inner>, req: Request<Incoming>) -> Answer {
    let service = service_of(&req);
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|_| Closed("could not read the request"))?
        .to_bytes();
    let decoded = url_decode(&String::from_utf8_lossy(&body));
    let action = decoded
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .map(str::to_string);
    let seen = Seen {
        service,
        action,
        path: parts.uri.path().to_string(),
        body: decoded,
    };
    let op = seen.operation(parts.method.as_str());
    let fault = choose(&inner, &seen);
    {
        let mut stats = inner.stats.lock().unwrap();
        stats.requests += 1;
        *stats.by_operation.entry(op.clone()).or_default() += 1;
        if let Some(f) = fault {
            *stats.injected.entry(f.name().into()).or_default() += 1;
            *stats
                .injected_by_operation
                .entry(format!("{op} {}", f.name()))
                .or_default() += 1;
        }
    }
    match fault {
        Some(Fault::Throttle) => return Ok(throttle(&seen)),
        Some(Fault::Error500) => return Ok(error(&seen, 500, "InternalError", "Receiver")),
        Some(Fault::Error503) => return Ok(error(&seen, 503, "Unavailable", "Receiver")),
        Some(Fault::Reject400) => {
            let code = if seen.service == "ec2" {
                "InvalidParameterValue"
            } else {
                "InvalidInput"
            };
            return Ok(error(&seen, 400, code, "Sender"));
        }
        Some(Fault::DependencyViolation) => {
            return Ok(error(&seen, 400, "DependencyViolation", "Sender"))
        }
        Some(Fault::FakeSuccess) => return Ok(fake_success(&seen)),
        Some(Fault::Drop) => return Err(Closed("dropped before forwarding")),
        Some(Fault::Slow) => {
            let ms = rand::thread_rng().gen_range(1000..3000);
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        Some(Fault::LoseResponse) | None => {}
    }
    // moto's server serves EKS and the RDS / ElastiCache / Redshift subnet groups
    let upstream = if matches!(
        seen.service.as_str(),
        "eks" | "rds" | "elasticache" | "redshift"
    ) {
        &inner.upstream_eks
    } else {
        &inner.upstream
    };
    let answer = forward(upstream, parts, body).await?;
    if fault == Some(Fault::LoseResponse) {
        return Err(Closed("response lost after the cloud acted"));
    }
    Ok(answer)
}

async fn forward(
    upstream: &str,
    parts: hyper::http::request::Parts,
    body: Bytes,
) -> Result<Response<Full<Bytes>>, Closed> {
    let stream = tokio::net::TcpStream::connect(upstream)
        .await
        .map_err(|_| Closed("upstream unreachable"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|_| Closed("upstream handshake"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut req = Request::from_parts(parts, Full::new(body));
    req.headers_mut().remove(hyper::header::CONNECTION);
    let resp = sender
        .send_request(req)
        .await
        .map_err(|_| Closed("upstream request failed"))?;
    let (mut parts, body) = resp.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|_| Closed("upstream body"))?
        .to_bytes();
    parts.headers.remove(hyper::header::TRANSFER_ENCODING);
    parts.headers.remove(hyper::header::CONTENT_LENGTH);
    parts.headers.remove(hyper::header::CONNECTION);
    Ok(Response::from_parts(parts, Full::new(body)))
}

fn request_id() -> String {
    let n: u128 = rand::thread_rng().gen();
    let h = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn xml(status: u16, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "text/xml")
        .header("x-amzn-requestid", request_id())
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

/// An EC2 success answer to `seen`'s action that says nothing but `true`.
fn fake_success(seen: &Seen) -> Response<Full<Bytes>> {
    let action = seen.action.as_deref().unwrap_or("Unknown");
    xml(
        200,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>{}</requestId><return>true</return></{action}Response>",
            request_id()
        ),
    )
}

/// The protocol's throttling answer.
fn throttle(seen: &Seen) -> Response<Full<Bytes>> {
    match seen.service.as_str() {
        "ec2" => error(seen, 503, "RequestLimitExceeded", "Sender"),
        "eks" => error(seen, 429, "ThrottlingException", "Sender"),
        // Route53 (REST-XML), IAM and STS (query, ErrorResponse)
        _ => error(seen, 400, "Throttling", "Sender"),
    }
}

/// An error answer in the protocol's shape.
fn error(seen: &Seen, status: u16, code: &str, kind: &str) -> Response<Full<Bytes>> {
    let message = format!("injected by the fault proxy: {code}");
    let id = request_id();
    match seen.service.as_str() {
        "ec2" => xml(
            status,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>{id}</RequestID></Response>"
            ),
        ),
        "eks" => Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .header("x-amzn-errortype", code)
            .header("x-amzn-requestid", id)
            .body(Full::new(Bytes::from(format!(
                "{{\"message\":\"{message}\"}}"
            ))))
            .unwrap(),
        _ => xml(
            status,
            format!(
                "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{id}</RequestId></ErrorResponse>"
            ),
        ),
    }
}

/// Every endpoint variable of the infra process pointed at the proxy.
pub fn point_at(cmd: &mut std::process::Command, proxy: &Proxy) {
    cmd.env("AWS_ENDPOINT_URL", &proxy.url)
        .env("AWS_ENDPOINT_URL_EKS", &proxy.url)
        .env("AWS_ENDPOINT_URL_RDS", &proxy.url)
        .env("AWS_ENDPOINT_URL_ELASTICACHE", &proxy.url)
        .env("AWS_ENDPOINT_URL_REDSHIFT", &proxy.url);
}
