//! The libtest argument matrix: apiward test behaves like a `cargo test` binary.

mod common;

use common::{outcomes, text};

fn run(extra: &[&str]) -> (std::process::Output, Vec<String>) {
    let mut args = vec!["--no-score"];
    args.extend_from_slice(extra);
    let (out, dir) = common::run_fixtures(&args);
    let names = outcomes(dir.path())
        .into_iter()
        .map(|(n, o, _)| format!("{n}={o}"))
        .collect();
    (out, names)
}

#[test]
fn list_prints_only_names_on_stdout() {
    let (out, ran) = run(&["--list"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("input-validation::two-identities[alice]: test"),
        "{stdout}"
    );
    assert!(ran.is_empty(), "listing runs nothing");
    let (terse, _) = run(&["--list", "--format", "terse"]);
    let lines: Vec<String> = text(&terse.stdout).lines().map(str::to_owned).collect();
    assert!(lines.iter().all(|l| l.ends_with(": test")), "{lines:?}");
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted, "names are sorted");
    let (ignored, _) = run(&["--list", "--format", "terse", "--ignored"]);
    assert_eq!(
        text(&ignored.stdout).trim(),
        "rate-limiting::intrusive-probe: test"
    );
}

#[test]
fn filter_exact_and_skip() {
    let (out, ran) = run(&["two-identities"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(
        ran,
        [
            "input-validation::two-identities[alice]=pass",
            "input-validation::two-identities[bob]=pass"
        ]
    );

    let (out, ran) = run(&["--exact", "input-validation::two-identities[bob]"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(ran, ["input-validation::two-identities[bob]=pass"]);

    let (out, ran) = run(&[
        "input-validation::fail-",
        "--skip",
        "fail-status",
        "--skip",
        "fail-any",
    ]);
    assert_eq!(out.status.code(), Some(101));
    assert_eq!(ran.len(), 10, "{ran:?}");
    assert!(ran.iter().all(|r| r.ends_with("=finding")), "{ran:?}");
}

#[test]
fn ignored_and_include_ignored_run_intrusive_checks() {
    let (out, ran) = run(&["intrusive-probe"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).contains("ignored"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(ran, ["rate-limiting::intrusive-probe=skipped"]);
    let (out, ran) = run(&["--ignored"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(ran, ["rate-limiting::intrusive-probe=pass"]);
    let (out, ran) = run(&["--include-ignored", "intrusive-probe"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(ran, ["rate-limiting::intrusive-probe=pass"]);
    let (_, ran) = run(&["--intrusive", "intrusive-probe"]);
    assert_eq!(ran, ["rate-limiting::intrusive-probe=pass"]);
}

#[test]
fn formats_threads_color_and_nocapture() {
    let (out, _) = run(&["-q", "fail-status"]);
    assert_eq!(out.status.code(), Some(101));
    assert!(
        text(&out.stdout).contains("test result: FAILED"),
        "{}",
        text(&out.stdout)
    );
    let (out, ran) = run(&["--format", "json", "captures"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(ran, ["input-validation::captures=pass"]);
    for line in text(&out.stdout).lines().filter(|l| !l.trim().is_empty()) {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not JSON: {line}: {e}"));
    }
    let (out, ran) = run(&[
        "--test-threads",
        "1",
        "--color",
        "never",
        "--nocapture",
        "two-identities",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(ran.len(), 2);
    assert!(
        !text(&out.stdout).contains('\u{1b}'),
        "no colour codes with --color never"
    );
}

#[test]
fn zero_selected_trials_is_an_error() {
    let (out, ran) = run(&["no-such-trial-anywhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no trial matched"),
        "{}",
        text(&out.stderr)
    );
    assert!(ran.is_empty());
}

#[test]
fn findings_exit_101_and_gates_apply() {
    let (out, _) = run(&["fail-status"]);
    assert_eq!(out.status.code(), Some(101));
    // fail-status is medium: a gate on high lets it through, a gate on medium does not.
    let (out, _) = run(&["--fail-on", "high", "fail-status"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (out, _) = run(&["--fail-on", "medium", "fail-status"]);
    assert_eq!(out.status.code(), Some(101));
    let (out, _) = run(&["--fail-under", "50", "fail-status"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (out, _) = run(&["--fail-under", "99", "fail-status"]);
    assert_eq!(out.status.code(), Some(101));
}

#[test]
fn listing_sends_nothing() {
    // A listener nobody accepts from: any connection attempt would wait in its backlog.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (out, _dir) = common::run_fixtures_at(&base, &["--list"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        listener.accept().is_err(),
        "--list must not contact the target (not even to log in)"
    );
}
