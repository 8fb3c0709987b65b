//! Test targets for the integration tests: a well-behaved axum API and a hostile raw TCP server,
//! both on 127.0.0.1:0, plus helpers to run the built `apiward` binary.

#![allow(dead_code)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The password the target's login accepts, and the token it returns: both secrets that must never
/// appear in any output.
pub const PASSWORD: &str = "s3cret-Pass-4711";
pub const TOKEN_PREFIX: &str = "tok-SECRETVALUE-";

pub struct Targets {
    pub api: SocketAddr,
    pub hostile: SocketAddr,
    pub outside: SocketAddr,
    pub outside_hits: Arc<AtomicU64>,
    pub login_hits: Arc<AtomicU64>,
}

static RT: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
});

pub static TARGETS: LazyLock<Targets> = LazyLock::new(|| RT.block_on(start()));

#[derive(Clone)]
struct AppState {
    outside: SocketAddr,
    login_hits: Arc<AtomicU64>,
}

async fn start() -> Targets {
    let outside_hits = Arc::new(AtomicU64::new(0));
    let hits = Arc::clone(&outside_hits);
    let outside_app = Router::new().fallback(move || {
        let hits = Arc::clone(&hits);
        async move {
            hits.fetch_add(1, Ordering::SeqCst);
            "outside"
        }
    });
    let outside = serve(outside_app).await;
    let login_hits = Arc::new(AtomicU64::new(0));
    let state = AppState {
        outside,
        login_hits: Arc::clone(&login_hits),
    };
    let app = Router::new()
        .route("/ok", get(ok))
        .route("/text", get(|| async { "hello world" }))
        .route("/login", post(login))
        .route("/whoami", get(whoami))
        .route(
            "/items",
            post(|| async {
                (
                    StatusCode::CREATED,
                    axum::Json(serde_json::json!({"id": 42})),
                )
            }),
        )
        .route("/items/{id}", get(item))
        .route("/huge", get(|| async { "x".repeat(3 << 20) }))
        .route(
            "/loop",
            get(|| async { (StatusCode::FOUND, [("location", "/loop")]) }),
        )
        .route("/redirect-out", get(redirect_out))
        .route(
            "/redirect-in",
            get(|| async { (StatusCode::FOUND, [("location", "/ok")]) }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                "late"
            }),
        )
        .fallback(echo_path)
        .with_state(state);
    let api = serve(app).await;
    let hostile = hostile().await;
    Targets {
        api,
        hostile,
        outside,
        outside_hits,
        login_hits,
    }
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

async fn ok() -> Response {
    (
        [("x-content-type-options", "nosniff")],
        axum::response::AppendHeaders([("set-cookie", "a=1; Secure"), ("set-cookie", "b=2")]),
        axum::Json(
            serde_json::json!({"id": 5, "role": "user", "items": [1, 2, 3], "card": "none"}),
        ),
    )
        .into_response()
}

async fn login(State(st): State<AppState>, body: Bytes) -> Response {
    st.login_hits.fetch_add(1, Ordering::SeqCst);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let user = v["username"].as_str().unwrap_or_default().to_owned();
    if v["password"].as_str() == Some(PASSWORD) {
        axum::Json(serde_json::json!({"token": format!("{TOKEN_PREFIX}{user}")})).into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({"error": "bad credentials"})),
        )
            .into_response()
    }
}

async fn whoami(headers: HeaderMap) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    match auth
        .strip_prefix("Bearer ")
        .and_then(|t| t.strip_prefix(TOKEN_PREFIX))
    {
        Some(user) => axum::Json(serde_json::json!({"user": user, "echo": auth})).into_response(),
        None => (StatusCode::UNAUTHORIZED, [("www-authenticate", "Bearer")]).into_response(),
    }
}

async fn item(axum::extract::Path(id): axum::extract::Path<u64>) -> Response {
    axum::Json(serde_json::json!({"id": id, "owner": "alice"})).into_response()
}

async fn redirect_out(State(st): State<AppState>) -> Response {
    (
        StatusCode::FOUND,
        [("location", format!("http://{}/stolen", st.outside))],
    )
        .into_response()
}

async fn echo_path(uri: Uri) -> String {
    format!("path={}", uri.path())
}

/// A server that answers every connection badly, by the request path: `/reset` closes at once,
/// `/garbage` writes a non-HTTP line, `/hang` never answers, `/bad-json` sends malformed JSON.
async fn hostile() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).into_owned();
                let path = req.split_whitespace().nth(1).unwrap_or("/").to_owned();
                match path.as_str() {
                    "/reset" => drop(sock),
                    "/garbage" => {
                        let _ = sock.write_all(b"THIS IS NOT HTTP\r\n\r\n").await;
                    }
                    "/hang" => tokio::time::sleep(std::time::Duration::from_secs(60)).await,
                    _ => {
                        let body = b"{\"id\": 5,,,";
                        let head = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = sock.write_all(head.as_bytes()).await;
                        let _ = sock.write_all(body).await;
                    }
                }
            });
        }
    });
    addr
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the built binary in the repository root with `args`, with a private target dir for results.
pub fn apiward(args: &[&str], results_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_apiward"))
        .args(args)
        .current_dir(root())
        .env("CARGO_TARGET_DIR", results_dir)
        .env_remove("APIWARD_PROFILE")
        .env("TEST_TARGET_PASSWORD", PASSWORD)
        .output()
        .expect("run apiward")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Reads the results file of a run: trial name → (outcome, message).
pub fn outcomes(results_dir: &Path) -> Vec<(String, String, String)> {
    let text =
        std::fs::read_to_string(results_dir.join("apiward/results.jsonl")).unwrap_or_default();
    let mut out: Vec<(String, String, String)> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("record");
            (
                v["name"].as_str().unwrap_or_default().to_owned(),
                v["outcome"].as_str().unwrap_or_default().to_owned(),
                v["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Runs `apiward test` against the well-behaved target with the engine fixtures, in a private
/// target dir (returned with the output so its results file can be read).
pub fn run_fixtures(extra: &[&str]) -> (Output, tempfile::TempDir) {
    run_fixtures_at(&format!("http://{}", TARGETS.api), extra)
}

/// Like [`run_fixtures`], against any base URL.
pub fn run_fixtures_at(base: &str, extra: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tmp");
    let mut args = vec![
        "test",
        "--profile",
        "tests/fixtures/engine/profile.yaml",
        "--base-url",
        base,
        "--no-builtin",
        "--checks",
        "tests/fixtures/engine/checks",
        "--suite",
        "owasp-api-top10",
    ];
    args.extend_from_slice(extra);
    let out = apiward(&args, dir.path());
    (out, dir)
}
