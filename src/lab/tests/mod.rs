//! End-to-end tests of the lab over real loopback HTTP: every switch is exercised on the vulnerable lab (weakness
//! present) and on the hardened lab (weakness absent).
//!
//! The client is a few lines of raw HTTP/1.1 over `TcpStream`, so the tests need no HTTP client dependency and can
//! send bytes a polite client would refuse (invalid UTF-8, garbage JSON, odd methods).

mod access;
mod auth;
mod input;
mod inventory;
mod outbound;
mod transport;

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::lab::{LabConfig, RunningLab, start};

/// A lab under test.
pub(super) struct Lab {
    running: RunningLab,
}

/// A parsed response.
#[derive(Debug)]
pub(super) struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as JSON; `Value::Null` when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

impl Lab {
    pub async fn vulnerable() -> Self {
        Self::with(LabConfig::vulnerable()).await
    }

    pub async fn hardened() -> Self {
        Self::with(LabConfig::hardened()).await
    }

    pub async fn with(config: LabConfig) -> Self {
        let running = start("127.0.0.1:0".parse().expect("addr"), config)
            .await
            .expect("lab starts");
        Self { running }
    }

    pub fn port(&self) -> u16 {
        self.running.addr.port()
    }

    /// Sends raw request bytes and parses the answer.
    pub async fn raw(&self, request: &[u8]) -> Resp {
        let mut stream = TcpStream::connect(self.running.addr)
            .await
            .expect("connect");
        stream.write_all(request).await.expect("write");
        let mut bytes = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut bytes))
            .await
            .expect("answer in time")
            .expect("read");
        parse(&bytes)
    }

    /// Sends `method path` with extra header lines and an optional body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Resp {
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n",
            self.port()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = body {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        request.push_str(body.unwrap_or(""));
        self.raw(request.as_bytes()).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send("GET", path, &[], None).await
    }

    /// GET with a bearer token.
    pub async fn get_as(&self, path: &str, token: &str) -> Resp {
        let auth = format!("Bearer {token}");
        self.send("GET", path, &[("Authorization", &auth)], None)
            .await
    }

    /// A request with a bearer token and a JSON body.
    pub async fn call_as(&self, method: &str, path: &str, token: &str, body: &str) -> Resp {
        let auth = format!("Bearer {token}");
        self.send(method, path, &[("Authorization", &auth)], Some(body))
            .await
    }

    pub async fn post(&self, path: &str, body: &str) -> Resp {
        self.send("POST", path, &[], Some(body)).await
    }

    /// Logs in and returns the whole response.
    pub async fn login_response(&self, username: &str, password: &str) -> Resp {
        let body = serde_json::json!({"username": username, "password": password}).to_string();
        self.post("/api/v2/login", &body).await
    }

    /// Logs in as a seeded user (password `<name>-pass`) and returns the token.
    pub async fn token(&self, username: &str) -> String {
        self.token_with(username, &format!("{username}-pass")).await
    }

    /// Logs in and returns the token.
    pub async fn token_with(&self, username: &str, password: &str) -> String {
        let response = self.login_response(username, password).await;
        assert_eq!(response.status, 200, "{response:?}");
        response.json()["token"].as_str().expect("token").to_owned()
    }
}

/// Parses a raw HTTP/1.1 response, de-chunking the body when needed.
fn parse(bytes: &[u8]) -> Resp {
    let split = bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("complete head");
    let head = String::from_utf8_lossy(&bytes[..split]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let mut body = bytes[split + 4..].to_vec();
    let chunked = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("transfer-encoding") && value.contains("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = rest.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&rest[..end]).trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < end + 2 + size {
            return out;
        }
        out.extend_from_slice(&rest[end + 2..end + 2 + size]);
        rest = &rest[(end + 4 + size).min(rest.len())..];
    }
}

#[tokio::test]
async fn start_refuses_non_loopback_and_shuts_down() {
    for addr in ["0.0.0.0:0", "192.0.2.1:0", "[::]:0"] {
        let error = start(addr.parse().expect("addr"), LabConfig::vulnerable())
            .await
            .expect_err(addr);
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{addr}");
    }
    let lab = Lab::vulnerable().await;
    assert_eq!(
        lab.running.base_url(),
        format!("http://127.0.0.1:{}", lab.port())
    );
    assert_eq!(lab.get("/api/v2/health").await.status, 200);
    let addr = lab.running.addr;
    lab.running.shutdown().await;
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "still listening after shutdown"
    );
}

#[tokio::test]
async fn index_health_and_unknown_routes_are_json() {
    for lab in [Lab::vulnerable().await, Lab::hardened().await] {
        let index = lab.get("/").await;
        assert_eq!(index.status, 200);
        assert_eq!(index.json()["name"], "apiward-lab");
        let health = lab.get("/api/v2/health").await;
        assert_eq!(
            (health.status, health.json()["status"].as_str()),
            (200, Some("ok"))
        );
        assert_eq!(health.header("content-type"), Some("application/json"));
        let missing = lab.get("/nope/nothing").await;
        assert_eq!(missing.status, 404);
        assert_eq!(missing.body, r#"{"error":"not found"}"#);
        assert_eq!(missing.header("content-type"), Some("application/json"));
        let wrong_method = lab.send("DELETE", "/api/v2/health", &[], None).await;
        assert_eq!(wrong_method.status, 405);
        assert_eq!(wrong_method.json()["error"], "method not allowed");
    }
}

#[test]
fn router_builds_for_any_configuration() {
    // Route conflicts would panic here, before any request.
    let _ = crate::lab::router(LabConfig::vulnerable());
    let _ = crate::lab::router(LabConfig::hardened());
    let mut mixed = LabConfig::hardened();
    mixed.switches.set("ssrf", true).expect("known switch");
    let _ = crate::lab::router(mixed);
}
