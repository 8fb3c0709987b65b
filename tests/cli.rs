//! The other subcommands, as a user runs them: demo, checks, explain, schema, validate, report.

mod common;

use common::{apiward, text};

#[test]
fn demo_finds_the_vulnerable_lab_weak_and_the_hardened_lab_clean() {
    let dir = tempfile::tempdir().expect("tmp");
    let out_dir = dir.path().join("demo");
    let out = apiward(&["demo", "--out", &out_dir.to_string_lossy()], dir.path());
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert!(
        stdout.contains("the vulnerable lab is found weak, the hardened lab clean"),
        "{stdout}"
    );
    assert!(
        stdout.contains("100/100 (A)"),
        "the hardened lab scores 100: {stdout}"
    );
    for lab in ["vulnerable", "hardened"] {
        for f in [
            "results.jsonl",
            "junit.xml",
            "results.sarif",
            "report.json",
            "summary.md",
        ] {
            let p = out_dir.join(lab).join(f);
            let meta = std::fs::metadata(&p).unwrap_or_else(|_| panic!("missing {}", p.display()));
            assert!(meta.len() > 0, "{} is empty", p.display());
        }
    }
    // The JUnit of the vulnerable run has failures; it validates against the Jenkins schema when
    // xmllint is available (CI installs it).
    let junit = std::fs::read_to_string(out_dir.join("vulnerable/junit.xml")).expect("junit");
    assert!(junit.contains("<failure"), "{junit}");
    if let Ok(o) = std::process::Command::new("xmllint")
        .args([
            "--noout",
            "--schema",
            "src/report/testdata/jenkins-junit.xsd",
        ])
        .arg(out_dir.join("vulnerable/junit.xml"))
        .current_dir(common::root())
        .output()
    {
        assert!(o.status.success(), "{}", text(&o.stderr));
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "xmllint is required in CI"
        );
    }
}

#[test]
fn checks_lists_at_least_fifty_in_twelve_categories() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = apiward(&["checks"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let rows: Vec<&str> = stdout.lines().skip(1).collect();
    assert!(rows.len() >= 50, "{} checks", rows.len());
    let cats: std::collections::BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| r.split_whitespace().nth(1))
        .collect();
    assert_eq!(cats.len(), 12, "{cats:?}");
    let passive = text(&apiward(&["checks", "--suite", "passive"], dir.path()).stdout);
    assert!(passive.lines().count() > 10);
    assert!(!passive.contains("intrusive"), "{passive}");
}

#[test]
fn explain_schema_and_validate() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = apiward(&["explain", "bola-read"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("Remediation:"));
    let out = apiward(&["explain", "bola-raed"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("did you mean `bola-read`?"),
        "{}",
        text(&out.stderr)
    );
    for kind in ["check", "profile", "suite"] {
        let out = apiward(&["schema", kind], dir.path());
        assert_eq!(out.status.code(), Some(0));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("schema is JSON");
        assert!(v["properties"].is_object(), "{kind}: {v}");
    }
    let out = apiward(
        &["validate", "--profile", "suites/profiles/lab.yaml"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("trials planned; nothing was sent"));
}

#[test]
fn report_merges_results_files() {
    let dir = tempfile::tempdir().expect("tmp");
    let rec = |name: &str, outcome: &str| {
        format!(
            r#"{{"name":"encryption::{name}","check_id":"{name}","check_name":"n","category":"encryption","severity":"low","target":"http://t","outcome":"{outcome}","duration_ms":1.0}}"#
        )
    };
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl");
    std::fs::write(
        &a,
        format!("{}\n{}\n", rec("x", "finding"), rec("y", "pass")),
    )
    .expect("write");
    std::fs::write(&b, format!("{}\n", rec("x", "pass"))).expect("write");
    let junit = dir.path().join("merged.xml");
    let out = apiward(
        &[
            "report",
            &a.to_string_lossy(),
            &b.to_string_lossy(),
            "--junit",
            &junit.to_string_lossy(),
        ],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "the rerun's pass replaces the finding: {}",
        text(&out.stderr)
    );
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(xml.contains("tests=\"2\""), "{xml}");
    assert!(!xml.contains("<failure"), "{xml}");
    std::fs::write(&b, "not json\n").expect("write");
    let out = apiward(&["report", &b.to_string_lossy()], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("b.jsonl:1"),
        "{}",
        text(&out.stderr)
    );
}

/// The built-in library must plan against any valid profile: a bare one, and one imported from
/// an OpenAPI document (no identities, no example bodies). Checks that cannot apply are skipped.
#[test]
fn builtin_library_plans_against_sparse_profiles() {
    let dir = tempfile::tempdir().expect("tmp");
    let bare = dir.path().join("bare.yaml");
    std::fs::write(&bare, "base_url: https://api.example.com\n").expect("write");
    let out = apiward(
        &["validate", "--profile", &bare.to_string_lossy()],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let doc = dir.path().join("openapi.json");
    let lab_doc = apiward::lab_openapi_document();
    std::fs::write(&doc, lab_doc.to_string()).expect("write");
    let out = apiward(
        &[
            "import-openapi",
            &doc.to_string_lossy(),
            "--base-url",
            "http://127.0.0.1:8088",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let imported = dir.path().join("imported.yaml");
    std::fs::write(&imported, &out.stdout).expect("write");
    let out = apiward(
        &[
            "validate",
            "--profile",
            &imported.to_string_lossy(),
            "--suite",
            "owasp-api-top10",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
