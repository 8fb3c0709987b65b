//! Tests of the SARIF writer: the snapshot, and the structural rules of SARIF 2.1.0 and GitHub code scanning.

use super::*;
use crate::report::fixtures::{fixture_records, record};
use std::collections::BTreeSet;

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("SARIF output is JSON")
}

#[test]
fn sarif_snapshot() {
    let text = sarif_json(&fixture_records(), "0.1.0");
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("sarif", text);
    });
}

/// The required fields of SARIF 2.1.0 and what GitHub code scanning additionally needs.
fn assert_structurally_valid(log: &Value) {
    assert_eq!(log["version"], "2.1.0");
    assert!(
        log["$schema"]
            .as_str()
            .is_some_and(|s| s.contains("sarif-2.1.0"))
    );
    let runs = log["runs"].as_array().expect("runs is an array");
    assert!(!runs.is_empty());
    for run in runs {
        assert!(
            run["tool"]["driver"]["name"]
                .as_str()
                .is_some_and(|s| !s.is_empty())
        );
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        let ids: Vec<&str> = rules
            .iter()
            .map(|r| r["id"].as_str().expect("rule id"))
            .collect();
        let unique: BTreeSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "rule ids are unique");
        for rule in rules {
            assert!(rule["shortDescription"]["text"].is_string());
            let sev: f64 = rule["properties"]["security-severity"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("security-severity is a numeric string");
            assert!((0.0..=10.0).contains(&sev));
        }
        for result in run["results"].as_array().expect("results") {
            let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(
                result["ruleId"], rules[index]["id"],
                "ruleIndex points at its rule"
            );
            assert!(["error", "warning", "note"].contains(&result["level"].as_str().unwrap_or("")));
            assert!(
                result["message"]["text"]
                    .as_str()
                    .is_some_and(|s| !s.is_empty())
            );
            let loc = &result["locations"][0]["physicalLocation"];
            assert!(
                loc["artifactLocation"]["uri"]
                    .as_str()
                    .is_some_and(|s| !s.is_empty())
            );
            assert!(loc["region"]["startLine"].as_u64().is_some_and(|l| l >= 1));
            assert!(result["partialFingerprints"][FINGERPRINT_KEY].is_string());
        }
    }
}

#[test]
fn fixture_log_is_structurally_valid() {
    let log = parse(&sarif_json(&fixture_records(), "0.1.0"));
    assert_structurally_valid(&log);
    let results = log["runs"][0]["results"].as_array().map_or(0, Vec::len);
    assert_eq!(
        results, 7,
        "one result per finding, none for passes, errors or skips"
    );
    assert_eq!(
        log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .map_or(0, Vec::len),
        1
    );
    assert_eq!(log["runs"][0]["properties"]["scoringVersion"], 1);
}

#[test]
fn empty_run_is_valid() {
    let log = parse(&sarif_json(&[], "0.1.0"));
    assert_structurally_valid(&log);
    assert_eq!(log["runs"][0]["properties"]["score"], Value::Null);
}

#[test]
fn locations_come_from_the_failed_assertion_or_the_check_path() {
    let mut with = record("bola::x[GET /a]", Severity::High, Outcome::Finding);
    with.location = Some("my checks/bola/x.yaml:14:9".to_string());
    let mut without = record("bola::y[GET /a]", Severity::High, Outcome::Finding);
    without.location = None;
    let log = parse(&sarif_json(&[with, without], "0.1.0"));
    let loc = |i: usize| log["runs"][0]["results"][i]["locations"][0]["physicalLocation"].clone();
    assert_eq!(loc(0)["artifactLocation"]["uri"], "my%20checks/bola/x.yaml");
    assert_eq!(
        loc(0)["region"],
        json!({ "startLine": 14, "startColumn": 9 })
    );
    assert_eq!(loc(1)["artifactLocation"]["uri"], "checks/bola/y.yaml");
    assert_eq!(loc(1)["region"], json!({ "startLine": 1 }));
}

#[test]
fn artifact_locations_are_uris() {
    assert_eq!(
        artifact_location("./checks/a b.yaml"),
        json!({ "uri": "checks/a%20b.yaml", "uriBaseId": "%SRCROOT%" })
    );
    assert_eq!(
        artifact_location("/abs/é.yaml"),
        json!({ "uri": "file:///abs/%C3%A9.yaml" })
    );
    assert_eq!(artifact_location("c\\x#1.yaml")["uri"], "c/x%231.yaml");
}

#[test]
fn location_parsing() {
    assert_eq!(split_location("a/b.yaml:3:7"), ("a/b.yaml", 3, Some(7)));
    assert_eq!(split_location("a/b.yaml:3"), ("a/b.yaml", 3, None));
    assert_eq!(split_location("a/b.yaml"), ("a/b.yaml", 1, None));
    assert_eq!(split_location("c:/x.yaml:0:0"), ("c:/x.yaml", 1, Some(1)));
}

#[test]
fn rule_names_are_pascal_case() {
    assert_eq!(pascal_case("no-token-accepted"), "NoTokenAccepted");
    assert_eq!(pascal_case("jwt_none-alg2"), "JwtNoneAlg2");
}

#[test]
fn severity_maps_to_level_and_security_severity() {
    let pairs: Vec<_> = Severity::ALL
        .iter()
        .map(|s| (sarif_level(*s), security_severity(*s)))
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("note", "0.0"),
            ("note", "3.0"),
            ("warning", "5.5"),
            ("error", "8.0"),
            ("error", "9.5")
        ]
    );
}
