//! The example crate under `examples/cargo-test-demo`, used exactly as a user would: `cargo test`
//! and `cargo nextest run` run its YAML checks against a local API; logins happen once per run;
//! the merged nextest report matches the single-process run.

mod common;

use common::{TARGETS, root, text};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::Ordering;

fn cargo(args: &[&str], target: &Path) -> std::process::Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(root().join("examples/cargo-test-demo"))
        .env("CARGO_TARGET_DIR", target)
        .env("APIWARD_BASE_URL", format!("http://{}", TARGETS.api))
        .env("TEST_TARGET_PASSWORD", common::PASSWORD)
        .env_remove("NEXTEST_RUN_ID")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo")
}

fn records(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out: Vec<(String, String)> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("record");
            (
                v["name"].as_str().unwrap_or_default().to_owned(),
                v["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn expected() -> Vec<(String, String)> {
    [
        ("authentication::whoami-requires-auth", "pass"),
        ("bola::whoami-is-the-caller[alice]", "pass"),
        ("bola::whoami-is-the-caller[bob]", "pass"),
        ("encryption::hsts-on-api", "finding"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

fn newest_jsonl(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
}

#[test]
fn example_crate_under_cargo_test_and_nextest() {
    // The parent target dir: shares compiled dependencies with this build.
    let target = root().join("target");
    let single = target.join("apiward/results.jsonl");
    let _ = std::fs::remove_file(&single);

    let logins = TARGETS.login_hits.load(Ordering::SeqCst);
    let out = cargo(&["test", "--offline", "--test", "security"], &target);
    // libtest pads names to align the results; compare with single spaces.
    let stdout = text(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(
        out.status.code(),
        Some(101),
        "cargo test: {stdout}\n{}",
        text(&out.stderr)
    );
    assert!(
        stdout.contains("test bola::whoami-is-the-caller[alice] ... ok"),
        "{stdout}"
    );
    assert!(
        stdout.contains("test encryption::hsts-on-api ... FAILED"),
        "{stdout}"
    );
    assert_eq!(records(&single), expected());
    assert_eq!(
        TARGETS.login_hits.load(Ordering::SeqCst) - logins,
        2,
        "one login per identity"
    );

    let nextest_available = Command::new(env!("CARGO"))
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !nextest_available {
        assert!(
            std::env::var_os("CI").is_none(),
            "cargo-nextest is required in CI"
        );
        eprintln!("note: cargo-nextest is not installed; skipping the nextest half");
        return;
    }
    let runs = target.join("apiward/nextest");
    let _ = std::fs::remove_dir_all(&runs);
    let logins = TARGETS.login_hits.load(Ordering::SeqCst);
    let out = cargo(
        &[
            "nextest",
            "run",
            "--offline",
            "--test",
            "security",
            "--no-fail-fast",
        ],
        &target,
    );
    let stderr = text(&out.stderr);
    assert_ne!(
        out.status.code(),
        Some(0),
        "a finding fails the nextest run: {stderr}"
    );
    assert!(
        stderr.contains("4 tests run: 3 passed, 1 failed"),
        "{stderr}"
    );
    assert_eq!(
        TARGETS.login_hits.load(Ordering::SeqCst) - logins,
        2,
        "one login per identity for the whole nextest run"
    );
    let merged_input = newest_jsonl(&runs).expect("the nextest run's results file");
    assert_eq!(records(&merged_input), expected());

    // The merged nextest report has the same score as the single-process run.
    let report = |input: &Path| {
        let json = tempfile::NamedTempFile::new().expect("tmp");
        let out = Command::new(env!("CARGO_BIN_EXE_apiward"))
            .args([
                "report",
                &input.to_string_lossy(),
                "--json",
                &json.path().to_string_lossy(),
            ])
            .output()
            .expect("apiward report");
        assert_eq!(
            out.status.code(),
            Some(101),
            "a finding fails the default gate"
        );
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(json.path()).expect("json"))
                .expect("json");
        (v["score"].clone(), v["grade"].clone())
    };
    assert_eq!(report(&merged_input), report(&single));
}
