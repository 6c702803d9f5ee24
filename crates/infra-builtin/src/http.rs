//! `data "http"` (terraform-provider-http v3): one HTTP(S) request, its status, headers and
//! body. As the provider: a status other than 2xx is not an error (check
//! `self.status_code` in a postcondition), `id` is the URL, `response_headers` joins a
//! repeated header's values with ", ", `body` is the deprecated name of
//! `response_body`. `retry { attempts, min_delay_ms, max_delay_ms }` retries connection
//! failures and 5xx answers. `insecure` skips certificate checks; `ca_cert_pem` adds a
//! trust anchor; client certificates are not supported.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use infra_model::Value;
use infra_provider::{ErrorKind, ProviderError};

use crate::{attrs, rejected, string_arg};

/// The provider's default: no timeout of its own; ours bounds a request at 10 minutes.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// The largest body kept (the provider has no limit; a state row should).
const MAX_BODY: usize = 16 * 1024 * 1024;

fn failed(message: String) -> ProviderError {
    ProviderError::new(ErrorKind::Other, message)
}

fn millis(args: &Value, name: &str) -> Option<u64> {
    args.get(name)
        .as_f64()
        .filter(|n| *n >= 0.0)
        .map(|n| n as u64)
}

struct Answer {
    status: u16,
    headers: BTreeMap<String, Value>,
    body: Vec<u8>,
}

pub(crate) async fn read(args: &Value, extra_roots: &[Vec<u8>]) -> Result<Value, ProviderError> {
    let url = string_arg(args, "url").ok_or_else(|| rejected("`url` is required"))?;
    let parsed =
        url::Url::parse(url).map_err(|e| rejected(format!("url \"{url}\" is not a URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(rejected(format!(
            "url \"{url}\" has scheme \"{}\"; data \"http\" reads http:// and https:// URLs",
            parsed.scheme()
        )));
    }
    let method = string_arg(args, "method")
        .unwrap_or("GET")
        .to_ascii_uppercase();
    if !matches!(method.as_str(), "GET" | "HEAD" | "POST") {
        return Err(rejected(format!(
            "method \"{method}\" is not one of GET, HEAD, POST (the provider's)"
        )));
    }
    if string_arg(args, "client_cert_pem").is_some() || string_arg(args, "client_key_pem").is_some()
    {
        return Err(rejected(
            "client certificates (client_cert_pem, client_key_pem) are not supported by infra's data \"http\"",
        ));
    }
    let mut roots = extra_roots.to_vec();
    if let Some(pem) = string_arg(args, "ca_cert_pem") {
        roots.push(
            crate::tls::pem_certificate(pem).map_err(|e| rejected(format!("ca_cert_pem: {e}")))?,
        );
    }
    let insecure = args.get("insecure").as_bool().unwrap_or(false);
    let tls = crate::tls::client_config(!insecure, &roots)?;
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let client = Arc::new(client);

    let retry = args.get("retry");
    let retry = match retry {
        Value::List(l) => l.first().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    let attempts = retry.get("attempts").as_f64().unwrap_or(0.0).max(0.0) as u32;
    let min_delay = Duration::from_millis(millis(&retry, "min_delay_ms").unwrap_or(0));
    let max_delay =
        Duration::from_millis(millis(&retry, "max_delay_ms").unwrap_or(0)).max(min_delay);
    let timeout = millis(args, "request_timeout_ms")
        .filter(|n| *n > 0)
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_TIMEOUT);

    let mut delay = min_delay;
    let mut attempt = 0;
    let answer = loop {
        let outcome = tokio::time::timeout(timeout, once(&client, &method, url, args))
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {timeout:?}")));
        let retryable = match &outcome {
            Ok(a) => a.status >= 500,
            Err(_) => true,
        };
        if !retryable || attempt >= attempts {
            break outcome;
        }
        attempt += 1;
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(max_delay).max(min_delay);
    }
    .map_err(|e| failed(format!("{method} {url}: {e}")))?;

    let body = String::from_utf8_lossy(&answer.body).into_owned();
    let mut out = attrs(args);
    out.insert("id".into(), Value::string(url));
    out.insert("status_code".into(), Value::Number(answer.status as f64));
    out.insert("response_headers".into(), Value::Map(answer.headers));
    out.insert("response_body".into(), Value::string(&body));
    out.insert("body".into(), Value::string(body));
    out.insert(
        "response_body_base64".into(),
        Value::string(STANDARD.encode(&answer.body)),
    );
    Ok(Value::Map(out))
}

/// One request.
async fn once<C>(
    client: &Client<C, Full<Bytes>>,
    method: &str,
    url: &str,
    args: &Value,
) -> Result<Answer, String>
where
    C: hyper_util::client::legacy::connect::Connect + Clone + Send + Sync + 'static,
{
    let mut req = hyper::Request::builder().method(method).uri(url);
    if let Value::Map(headers) = args.get("request_headers").unmarked() {
        for (k, v) in headers {
            if let Some(v) = v.unmarked().as_str() {
                req = req.header(k.as_str(), v);
            }
        }
    }
    let body = string_arg(args, "request_body")
        .unwrap_or_default()
        .to_string();
    let req = req
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("cannot build the request: {e}"))?;
    let resp = client.request(req).await.map_err(|e| {
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            src = s.source();
        }
        msg
    })?;
    let status = resp.status().as_u16();
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in resp.headers() {
        // Go's canonical header names, as the provider shows them (Content-Type)
        headers
            .entry(canonical(k.as_str()))
            .or_default()
            .push(String::from_utf8_lossy(v.as_bytes()).into_owned());
    }
    let mut body = Vec::new();
    let mut stream = resp.into_body();
    while let Some(frame) = stream.frame().await {
        let frame = frame.map_err(|e| format!("reading the body: {e}"))?;
        if let Some(chunk) = frame.data_ref() {
            body.extend_from_slice(chunk);
            if body.len() > MAX_BODY {
                return Err(format!("the body is larger than {} MiB", MAX_BODY >> 20));
            }
        }
    }
    Ok(Answer {
        status,
        headers: headers
            .into_iter()
            .map(|(k, v)| (k, Value::string(v.join(", "))))
            .collect(),
        body,
    })
}

/// `content-type` -> `Content-Type` (Go's `textproto.CanonicalMIMEHeaderKey`).
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server on 127.0.0.1 answering each connection with the next of `answers`;
    /// returns its URL and the requests it saw.
    async fn serve(answers: Vec<&'static str>) -> (String, tokio::task::JoinHandle<Vec<String>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/path?q=1", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let mut seen = Vec::new();
            for a in answers {
                let (mut s, _) = listener.accept().await.expect("accept");
                let mut buf = vec![0u8; 8192];
                let n = s.read(&mut buf).await.unwrap_or(0);
                seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
                let _ = s.write_all(a.as_bytes()).await;
                let _ = s.shutdown().await;
            }
            seen
        });
        (url, task)
    }

    #[tokio::test]
    async fn reads_status_headers_and_body_and_sends_headers_and_body() {
        let (url, server) = serve(vec![
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nx-multi: a\r\nX-Multi: b\r\nContent-Length: 5\r\nConnection: close\r\n\r\nnope\n",
        ])
        .await;
        let args = Value::from_json(&json!({
            "url": url,
            "method": "post",
            "request_headers": {"Accept": "text/plain"},
            "request_body": "hello",
        }));
        let v = read(&args, &[]).await.expect("read");
        assert_eq!(v.get("status_code").as_f64(), Some(404.0));
        assert_eq!(v.get("response_body").as_str(), Some("nope\n"));
        assert_eq!(v.get("body").as_str(), Some("nope\n"));
        assert_eq!(v.get("response_body_base64").as_str(), Some("bm9wZQo="));
        assert_eq!(v.get("id").as_str(), Some(url.as_str()));
        let h = v.get("response_headers");
        assert_eq!(h.get("Content-Type").as_str(), Some("text/plain"));
        assert_eq!(h.get("X-Multi").as_str(), Some("a, b"));
        let seen = server.await.expect("server");
        assert!(
            seen[0].starts_with("POST /path?q=1 HTTP/1.1\r\n"),
            "{}",
            seen[0]
        );
        assert!(
            seen[0].to_ascii_lowercase().contains("accept: text/plain"),
            "{}",
            seen[0]
        );
        assert!(seen[0].ends_with("hello"), "{}", seen[0]);
    }

    #[tokio::test]
    async fn retries_server_errors_then_returns_the_last_answer() {
        let (url, server) = serve(vec![
            "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
        ])
        .await;
        let args = Value::from_json(&json!({
            "url": url,
            "retry": [{"attempts": 2, "min_delay_ms": 10, "max_delay_ms": 20}],
        }));
        let v = read(&args, &[]).await.expect("read");
        assert_eq!(v.get("status_code").as_f64(), Some(200.0));
        assert_eq!(v.get("response_body").as_str(), Some("ok"));
        assert_eq!(server.await.expect("server").len(), 2);
    }

    #[tokio::test]
    async fn bad_arguments_and_unreachable_hosts_are_clear_errors() {
        let bad = |j: serde_json::Value| async move {
            read(&Value::from_json(&j), &[])
                .await
                .expect_err("error")
                .message
        };
        assert!(bad(json!({"url": "ftp://x"}))
            .await
            .contains("has scheme \"ftp\""));
        assert!(bad(json!({"url": "http://x", "method": "PUT"}))
            .await
            .contains("not one of GET, HEAD, POST"));
        assert!(bad(json!({"url": "http://x", "client_cert_pem": "c"}))
            .await
            .contains("not supported"));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let msg = bad(json!({"url": format!("http://127.0.0.1:{port}/")})).await;
        assert!(
            msg.starts_with(&format!("GET http://127.0.0.1:{port}/: ")),
            "{msg}"
        );
    }

    #[test]
    fn header_names_are_canonical_as_go_writes_them() {
        assert_eq!(canonical("content-type"), "Content-Type");
        assert_eq!(canonical("X-AMZ-ID-2"), "X-Amz-Id-2");
    }
}
