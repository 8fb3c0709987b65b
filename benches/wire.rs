//! The wire limit: the W1 requests from a bare reqwest loop, for `benches/run.sh`.
//!
//! `cargo bench --bench wire -- [CONCURRENCY] [N]` sends `GET /api/users/{i}` for i in 1..=N to the
//! neutral nginx target (127.0.0.1:18080, or `BENCH_BASE_URL`) with CONCURRENCY requests in flight,
//! and checks the same three things per response as the W1 check: status 200, a JSON
//! `Content-Type`, and `$.id == i`. Same client settings as apiward's engine (no redirects, no proxy,
//! one idle connection per slot) and the same 2-worker tokio runtime, so the difference to W1 is
//! apiward's own overhead. Prints one line: `wire concurrency=C n=N ok=OK loop_ms=MS rps=R`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn main() {
    // `cargo bench` passes `--bench`; keep only the positional numbers.
    let nums: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .filter_map(|a| a.parse().ok())
        .collect();
    let concurrency = nums.first().copied().unwrap_or(16).max(1);
    let n = nums.get(1).copied().unwrap_or(1000);
    let base = std::env::var("BENCH_BASE_URL").unwrap_or_else(|_| "http://127.0.0.1:18080".into());
    let host = url_host(&base);
    assert!(
        host == "127.0.0.1" || host == "localhost" || host == "[::1]",
        "the wire bench only talks to loopback, not {base}"
    );
    apiward::install_crypto_provider();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (ok, elapsed) = rt.block_on(run(base, concurrency, n));
    let secs = elapsed.as_secs_f64();
    println!(
        "wire concurrency={concurrency} n={n} ok={ok} loop_ms={:.1} rps={:.0}",
        secs * 1000.0,
        n as f64 / secs.max(1e-9)
    );
    if ok != n {
        eprintln!("wire: {} of {n} responses failed the assertions", n - ok);
        std::process::exit(1);
    }
}

fn url_host(base: &str) -> &str {
    let rest = base.split("://").nth(1).unwrap_or(base);
    let authority = rest.split('/').next().unwrap_or(rest);
    match authority.rfind(':') {
        Some(i) if !authority.ends_with(']') => &authority[..i],
        _ => authority,
    }
}

async fn run(base: String, concurrency: usize, n: usize) -> (usize, Duration) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let next = Arc::new(AtomicUsize::new(1));
    let ok = Arc::new(AtomicUsize::new(0));
    let base = Arc::new(base);
    let started = Instant::now();
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (client, next, ok, base) = (client.clone(), next.clone(), ok.clone(), base.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i > n {
                    break;
                }
                if fetch_and_check(&client, &base, i).await {
                    ok.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for w in workers {
        w.await.expect("worker");
    }
    (ok.load(Ordering::Relaxed), started.elapsed())
}

/// The three assertions of W1: status 200, JSON `Content-Type`, `$.id == i`.
async fn fetch_and_check(client: &reqwest::Client, base: &str, i: usize) -> bool {
    let Ok(resp) = client.get(format!("{base}/api/users/{i}")).send().await else {
        return false;
    };
    let status_ok = resp.status().as_u16() == 200;
    let json_ct = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let Ok(body) = resp.bytes().await else {
        return false;
    };
    let id_ok = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("id").and_then(serde_json::Value::as_u64))
        == Some(i as u64);
    status_ok && json_ct && id_ok
}
