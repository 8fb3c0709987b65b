//! Building and sending one request: rendering, scope guard, redirects, timeouts, body cap, raw mode.
//!
//! reqwest normalizes paths (`/a/../b`, `%2e%2e`) and refuses CR/LF in headers, so steps that must
//! send exact bytes use `raw`, written to a plain TCP stream. Every URL, including each redirect hop,
//! is checked against the scope before a connection is opened.

use crate::assert::Response;
use crate::expand::{render, render_json};
use crate::model::Request;
use crate::profile::in_scope;
use minijinja::{Environment, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A rendered request, ready to send.
#[derive(Debug, Clone)]
pub struct Built {
    /// Method token.
    pub method: String,
    /// Absolute URL (raw mode: the base URL's origin).
    pub url: url::Url,
    /// Headers (credential headers are added by the caller).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Option<Vec<u8>>,
    /// Follow redirects within scope.
    pub follow: bool,
    /// Per-request timeout override.
    pub timeout_ms: Option<u64>,
    /// Raw request text (raw mode).
    pub raw: Option<String>,
}

/// Renders a request's templates into a [`Built`].
pub fn build(
    env: &Environment<'_>,
    r: &Request,
    ctx: &Value,
    base: &url::Url,
) -> Result<Built, String> {
    let t = |s: &crate::model::Str| {
        render(env, &s.value, ctx).map_err(|e| crate::template::describe(&e))
    };
    if let Some(raw) = &r.raw {
        return Ok(Built {
            method: "RAW".to_owned(),
            url: base.clone(),
            headers: Vec::new(),
            body: None,
            follow: false,
            timeout_ms: r.timeout_ms,
            raw: Some(t(raw)?),
        });
    }
    let method = match &r.method {
        Some(m) => t(m)?.trim().to_ascii_uppercase(),
        None => "GET".to_owned(),
    };
    let mut url = match (&r.url, &r.path) {
        (Some(u), _) => url::Url::parse(&t(u)?).map_err(|e| format!("invalid url: {e}"))?,
        (None, Some(p)) => {
            let path = t(p)?;
            let joined = format!(
                "{}{}{}",
                base.as_str().trim_end_matches('/'),
                if path.starts_with('/') { "" } else { "/" },
                path
            );
            url::Url::parse(&joined).map_err(|e| format!("invalid path `{path}`: {e}"))?
        }
        (None, None) => return Err("request has no path or url".to_owned()),
    };
    if !r.query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in &r.query {
            pairs.append_pair(k, &t(v)?);
        }
    }
    let mut headers = Vec::new();
    for (k, v) in &r.headers {
        headers.push((k.clone(), t(v)?));
    }
    let body = match (&r.body, &r.json) {
        (Some(b), _) => Some(t(b)?.into_bytes()),
        (None, Some(j)) => {
            let v = render_json(env, &j.value, ctx).map_err(|e| crate::template::describe(&e))?;
            if !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                headers.push(("content-type".to_owned(), "application/json".to_owned()));
            }
            Some(serde_json::to_vec(&v).map_err(|e| e.to_string())?)
        }
        (None, None) => None,
    };
    Ok(Built {
        method,
        url,
        headers,
        body,
        follow: r.follow_redirects,
        timeout_ms: r.timeout_ms,
        raw: None,
    })
}

/// Limits that apply to sending.
#[derive(Debug, Clone)]
pub struct SendLimits {
    /// Hosts that may be contacted.
    pub scope: Vec<String>,
    /// Timeout of the whole exchange.
    pub timeout: Duration,
    /// Body cap in bytes.
    pub max_body: u64,
    /// Most redirects to follow.
    pub max_redirects: u32,
}

/// What went wrong before a response could be judged.
#[derive(Debug, Clone)]
pub struct SendError(pub String);

/// The URLs a request visited and the final response.
pub struct Sent {
    /// Final URL (after redirects).
    pub url: url::Url,
    /// Final response.
    pub response: Response,
}

/// Refuses a URL outside scope, naming the host.
pub fn guard(scope: &[String], url: &url::Url) -> Result<(), SendError> {
    if in_scope(scope, url) {
        Ok(())
    } else {
        let host = match (url.host_str(), url.port_or_known_default()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => url.as_str().to_owned(),
        };
        Err(SendError(format!(
            "refused to contact `{host}`: not in the profile's scope ({}); the request was not sent",
            scope.join(", ")
        )))
    }
}

/// Sends `b` with `client`, following redirects within scope when asked.
pub async fn send(
    client: &reqwest::Client,
    b: &Built,
    limits: &SendLimits,
) -> Result<Sent, SendError> {
    let timeout = b
        .timeout_ms
        .map(Duration::from_millis)
        .unwrap_or(limits.timeout)
        .min(limits.timeout);
    let started = Instant::now();
    let work = async {
        if let Some(raw) = &b.raw {
            guard(&limits.scope, &b.url)?;
            let response = send_raw(&b.url, raw, limits.max_body, started).await?;
            return Ok(Sent {
                url: b.url.clone(),
                response,
            });
        }
        let mut url = b.url.clone();
        let mut method = b.method.clone();
        let mut body = b.body.clone();
        let mut hops = 0;
        loop {
            guard(&limits.scope, &url)?;
            let m = reqwest::Method::from_bytes(method.as_bytes())
                .map_err(|_| SendError(format!("invalid method `{method}`")))?;
            let mut req = client.request(m, url.clone());
            for (k, v) in &b.headers {
                req = req.header(k.as_str(), v.as_str());
            }
            if let Some(bytes) = &body {
                req = req.body(bytes.clone());
            }
            let resp = req
                .send()
                .await
                .map_err(|e| SendError(describe_reqwest(&e)))?;
            let status = resp.status().as_u16();
            let location = resp
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .map(str::to_owned);
            if b.follow
                && (300..400).contains(&status)
                && let Some(loc) = location
            {
                hops += 1;
                if hops > limits.max_redirects {
                    return Err(SendError(format!(
                        "too many redirects (more than {}); last hop to {loc}",
                        limits.max_redirects
                    )));
                }
                url = url
                    .join(&loc)
                    .map_err(|e| SendError(format!("invalid redirect location `{loc}`: {e}")))?;
                if status == 303 || ((status == 301 || status == 302) && method == "POST") {
                    method = "GET".to_owned();
                    body = None;
                }
                continue;
            }
            let response = read_response(resp, limits.max_body, started).await?;
            return Ok(Sent { url, response });
        }
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(SendError(format!(
            "timed out after {} ms",
            timeout.as_millis()
        ))),
    }
}

fn describe_reqwest(e: &reqwest::Error) -> String {
    let mut msg = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "connection failed".to_owned()
    } else if e.is_redirect() {
        "redirect error".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    msg
}

async fn read_response(
    mut resp: reqwest::Response,
    cap: u64,
    started: Instant,
) -> Result<Response, SendError> {
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    let mut truncated = false;
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let room = cap.saturating_sub(body.len() as u64) as usize;
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                return Err(SendError(format!(
                    "reading the response body failed: {}",
                    describe_reqwest(&e)
                )));
            }
        }
    }
    Ok(Response {
        status,
        headers,
        body,
        truncated,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

async fn send_raw(
    base: &url::Url,
    raw: &str,
    cap: u64,
    started: Instant,
) -> Result<Response, SendError> {
    if base.scheme() != "http" {
        return Err(SendError(
            "raw requests support http:// targets only".to_owned(),
        ));
    }
    let host = base.host_str().unwrap_or("127.0.0.1");
    let port = base.port_or_known_default().unwrap_or(80);
    let mut stream = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| SendError(format!("connection failed: {e}")))?;
    stream
        .write_all(raw.as_bytes())
        .await
        .map_err(|e| SendError(format!("write failed: {e}")))?;
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let limit = cap as usize + 64 * 1024;
    loop {
        if let Some(done) = raw_complete(&buf)
            && done
        {
            break;
        }
        if buf.len() > limit {
            break;
        }
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| SendError(format!("read failed: {e}")))?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    parse_raw(&buf, cap, started)
}

/// Whether a raw response is complete: `Some(true)` when the headers and the declared body arrived.
fn raw_complete(buf: &[u8]) -> Option<bool> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut resp = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(head) = resp.parse(buf).ok()? else {
        return Some(false);
    };
    let get = |name: &str| {
        resp.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).to_ascii_lowercase())
    };
    if let Some(len) = get("content-length").and_then(|l| l.trim().parse::<usize>().ok()) {
        return Some(buf.len() >= head + len);
    }
    if get("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        return Some(buf[head..].windows(5).any(|w| w == b"0\r\n\r\n"));
    }
    if matches!(resp.code, Some(204 | 304)) || matches!(resp.code, Some(100..=199)) {
        return Some(true);
    }
    Some(false)
}

fn parse_raw(buf: &[u8], cap: u64, started: Instant) -> Result<Response, SendError> {
    let mut headers = [httparse::EMPTY_HEADER; 128];
    let mut resp = httparse::Response::new(&mut headers);
    let head = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            return Err(SendError(
                "the connection closed before a complete response".to_owned(),
            ));
        }
        Err(e) => return Err(SendError(format!("malformed response: {e}"))),
    };
    let hs: Vec<(String, String)> = resp
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let mut body = buf[head..].to_vec();
    let truncated = body.len() as u64 > cap;
    body.truncate(cap as usize);
    Ok(Response {
        status: resp.code.unwrap_or(0),
        headers: hs,
        body,
        truncated,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// A copy-pasteable curl command for the request.
pub fn curl_line(b: &Built, extra_headers: &[(String, String)]) -> String {
    let q = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    if let Some(raw) = &b.raw {
        let host = b.url.host_str().unwrap_or("127.0.0.1");
        let port = b.url.port_or_known_default().unwrap_or(80);
        return format!("printf %s {} | nc {host} {port}", q(raw));
    }
    let mut out = format!("curl -sS -i -X {} {}", b.method, q(b.url.as_str()));
    for (k, v) in extra_headers.iter().chain(&b.headers) {
        out.push_str(&format!(" -H {}", q(&format!("{k}: {v}"))));
    }
    if let Some(body) = &b.body {
        out.push_str(&format!(
            " --data-raw {}",
            q(&String::from_utf8_lossy(body))
        ));
    }
    out
}
