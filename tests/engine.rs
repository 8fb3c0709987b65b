//! End-to-end tests of the engine through the built binary, against local targets on 127.0.0.1:0:
//! every assertion kind both ways, captures, identities and login, hostile targets, scope, redaction.

mod common;

use common::{TARGETS, apiward, outcomes, text};
use std::sync::atomic::Ordering;

#[test]
fn outcomes_of_every_fixture() {
    let before_login = TARGETS.login_hits.load(Ordering::SeqCst);
    let before_outside = TARGETS.outside_hits.load(Ordering::SeqCst);
    let junit = tempfile::NamedTempFile::new().expect("tmp");
    let junit_path = junit.path().to_string_lossy().into_owned();
    let (out, dir) = common::run_fixtures(&["--junit", &junit_path]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(101),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    let results = outcomes(dir.path());
    let table: String = results
        .iter()
        .map(|(n, o, m)| format!("{n} | {o} | {m}\n"))
        .collect();
    insta::with_settings!({filters => vec![(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT"), (r"after \d+ ms", "after N ms"), (r"duration expected less than 0, got \d+", "duration expected less than 0, got N")]}, {
        insta::assert_snapshot!("engine_outcomes", table);
    });
    // Each identity logged in exactly once for the whole run.
    assert_eq!(TARGETS.login_hits.load(Ordering::SeqCst) - before_login, 2);
    // The redirect to a host outside the scope was never followed.
    assert_eq!(TARGETS.outside_hits.load(Ordering::SeqCst), before_outside);
    // Redaction: the password and the tokens appear nowhere.
    let files = [
        std::fs::read_to_string(dir.path().join("apiward/results.jsonl")).unwrap_or_default(),
        std::fs::read_to_string(junit.path()).unwrap_or_default(),
        stdout,
        text(&out.stderr),
    ];
    for secret in [
        common::PASSWORD.to_owned(),
        format!("{}alice", common::TOKEN_PREFIX),
        format!("{}bob", common::TOKEN_PREFIX),
    ] {
        use base64::Engine as _;
        let forms = [
            secret.clone(),
            base64::engine::general_purpose::STANDARD.encode(&secret),
        ];
        for f in &files {
            for form in &forms {
                assert!(!f.contains(form.as_str()), "secret form {form:?} leaked");
            }
        }
    }
    assert!(
        files[0].contains("[REDACTED]"),
        "the echoed token must appear redacted in the evidence"
    );
}

#[test]
fn hostile_targets_are_errors_never_passes() {
    let dir = tempfile::tempdir().expect("tmp");
    let base = format!("http://{}", TARGETS.hostile);
    let started = std::time::Instant::now();
    let out = apiward(
        &[
            "test",
            "--profile",
            "tests/fixtures/engine/hostile-profile.yaml",
            "--base-url",
            &base,
            "--no-builtin",
            "--checks",
            "tests/fixtures/engine/hostile",
            "--suite",
            "owasp-api-top10",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(101), "{}", text(&out.stderr));
    assert!(
        started.elapsed().as_secs() < 20,
        "a hanging target must time out"
    );
    let results = outcomes(dir.path());
    assert_eq!(results.len(), 4);
    for (name, outcome, msg) in &results {
        assert_eq!(outcome, "error", "{name}: {msg}");
    }
}

#[test]
fn misspelled_key_is_located_with_a_suggestion() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = apiward(
        &[
            "validate",
            "--no-builtin",
            "tests/fixtures/bad/unknown-key.yaml",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("tests/fixtures/bad/unknown-key.yaml:8:5"),
        "{err}"
    );
    assert!(err.contains("did you mean `request`?"), "{err}");
    assert!(err.contains("  - reqest: { path: /x }"), "{err}");
}

/// One snapshot per class of bad input.
#[test]
fn located_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let cases: &[(&str, &[&str])] = &[
        (
            "yaml_syntax",
            &[
                "validate",
                "--no-builtin",
                "tests/fixtures/bad/yaml-syntax.yaml",
            ],
        ),
        (
            "unknown_field",
            &[
                "validate",
                "--no-builtin",
                "tests/fixtures/bad/unknown-key.yaml",
            ],
        ),
        (
            "unknown_assertion",
            &[
                "validate",
                "--no-builtin",
                "tests/fixtures/bad/unknown-field.yaml",
            ],
        ),
        (
            "unknown_category",
            &[
                "validate",
                "--no-builtin",
                "tests/fixtures/bad/bad-category.yaml",
            ],
        ),
        (
            "wrong_type",
            &[
                "validate",
                "--no-builtin",
                "tests/fixtures/bad/wrong-type.yaml",
            ],
        ),
        (
            "bad_regex",
            &[
                "validate",
                "--no-builtin",
                "tests/fixtures/bad/bad-regex.yaml",
            ],
        ),
        (
            "bad_jsonpath",
            &[
                "validate",
                "--no-builtin",
                "tests/fixtures/bad/bad-jsonpath.yaml",
            ],
        ),
        (
            "no_predicate",
            &[
                "validate",
                "--no-builtin",
                "tests/fixtures/bad/no-predicate.yaml",
            ],
        ),
        (
            "cannot_fail",
            &[
                "validate",
                "--no-builtin",
                "tests/fixtures/bad/cannot-fail.yaml",
            ],
        ),
        (
            "id_mismatch",
            &[
                "validate",
                "--no-builtin",
                "tests/fixtures/bad/id-mismatch.yaml",
            ],
        ),
        (
            "duplicate_id",
            &["validate", "--no-builtin", "tests/fixtures/bad/duplicate"],
        ),
        (
            "undefined_variable",
            &[
                "validate",
                "--no-builtin",
                "--profile",
                "tests/fixtures/engine/profile.yaml",
                "tests/fixtures/bad/undefined-variable.yaml",
            ],
        ),
        (
            "unknown_identity",
            &[
                "validate",
                "--no-builtin",
                "--profile",
                "tests/fixtures/engine/profile.yaml",
                "tests/fixtures/bad/unknown-identity.yaml",
            ],
        ),
        (
            "profile_unknown_field",
            &[
                "validate",
                "--no-builtin",
                "--profile",
                "tests/fixtures/bad/profiles/typo-profile.yaml",
            ],
        ),
        (
            "profile_unknown_owner",
            &[
                "validate",
                "--no-builtin",
                "--profile",
                "tests/fixtures/bad/profiles/bad-owner.yaml",
            ],
        ),
    ];
    for (name, args) in cases {
        let out = apiward(args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{name}: {}", text(&out.stderr));
        insta::assert_snapshot!(format!("error_{name}"), text(&out.stderr));
    }
}
