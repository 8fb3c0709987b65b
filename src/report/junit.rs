//! JUnit XML for CI dashboards (Jenkins, GitLab, GitHub through third-party actions), written with quick-junit.
//!
//! One `<testsuite>` per category and one `<testcase>` per trial, so each check keeps its history run after
//! run. The output stays valid against the strict Jenkins XSD, which shapes three choices:
//! * testcase-level `<properties>` are not allowed there, so severity, OWASP and CWE go into suite-level
//!   properties (`<check-id>.severity`, …) and into the text of each `<failure>`/`<error>`;
//! * `<skipped>` is a plain string element there, so the skip reason is its text, not a `message` attribute;
//! * `<testsuites>` has no `skipped` attribute there, so the one quick-junit always writes is removed.

use crate::report::evidence::{classification, record_text};
use crate::report::score::{self, SCORING_VERSION};
use crate::results::{Outcome, TrialRecord};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::collections::BTreeMap;
use std::time::Duration;

/// Response bodies longer than this (in characters) are cut in the failure text.
const BODY_LIMIT: usize = 2000;

/// Renders records as a JUnit XML document. Suites are sorted by category, test cases by trial name, and no
/// timestamp is written, so the same records always give the same bytes.
pub fn junit_xml(records: &[TrialRecord], run_name: &str) -> String {
    let score = score::compute(records);
    let mut by_category: BTreeMap<&str, Vec<&TrialRecord>> = BTreeMap::new();
    for record in records {
        by_category
            .entry(record.category.as_str())
            .or_default()
            .push(record);
    }

    let mut report = Report::new(run_name);
    let mut total = Duration::ZERO;
    for (category, mut recs) in by_category {
        recs.sort_by(|a, b| a.name.cmp(&b.name));
        let mut suite = TestSuite::new(category);
        suite.add_properties(suite_properties(category, &recs, &score));
        let mut suite_time = Duration::ZERO;
        for record in recs {
            let case = test_case(record);
            suite_time += case.time.unwrap_or_default();
            suite.add_test_case(case);
        }
        suite.set_time(suite_time);
        total += suite_time;
        report.add_test_suite(suite);
    }
    report.set_time(total);

    // Serializing into memory cannot fail: quick-junit's only error source is the writer.
    let xml = report.to_string().unwrap_or_default();
    strip_testsuites_skipped(xml)
}

/// Suite properties: the scoring version and category score, the targets, and severity/OWASP/CWE per check.
fn suite_properties(category: &str, recs: &[&TrialRecord], score: &score::Score) -> Vec<Property> {
    let mut props = vec![Property::new(
        "apiward.scoring-version",
        SCORING_VERSION.to_string(),
    )];
    if let Some(cat) = score.categories.iter().find(|c| c.category == category) {
        let value = cat
            .score
            .map_or_else(|| "not tested".to_string(), |s| s.to_string());
        props.push(Property::new("apiward.category-score", value));
    }
    let mut targets: Vec<&str> = recs.iter().map(|r| r.target.as_str()).collect();
    targets.sort_unstable();
    targets.dedup();
    for target in targets {
        props.push(Property::new("target", target));
    }
    // The first record of each check stands for its metadata, which is the same for all its trials.
    let mut checks: BTreeMap<&str, &TrialRecord> = BTreeMap::new();
    for record in recs {
        checks.entry(record.check_id.as_str()).or_insert(record);
    }
    for (id, record) in checks {
        props.push(Property::new(
            format!("{id}.severity"),
            record.severity.as_str(),
        ));
        if let Some(owasp) = &record.owasp {
            props.push(Property::new(format!("{id}.owasp"), owasp.as_str()));
        }
        if !record.cwe.is_empty() {
            props.push(Property::new(format!("{id}.cwe"), record.cwe.join(",")));
        }
    }
    props
}

/// One test case: a pass, a `<failure>` for a finding, an `<error>`, or a `<skipped>` with its reason.
fn test_case(record: &TrialRecord) -> TestCase {
    let status = match record.outcome {
        Outcome::Pass => TestCaseStatus::success(),
        Outcome::Finding | Outcome::Error => {
            let kind = if record.outcome == Outcome::Finding {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut status = TestCaseStatus::non_success(kind);
            let fallback = format!("{} ({})", record.outcome.as_str(), classification(record));
            status
                .set_message(record.message.clone().unwrap_or(fallback))
                .set_type(record.check_id.as_str())
                .set_description(record_text(record, BODY_LIMIT));
            status
        }
        Outcome::Skipped => {
            let mut status = TestCaseStatus::skipped();
            status.set_description(
                record
                    .message
                    .clone()
                    .unwrap_or_else(|| "skipped".to_string()),
            );
            status
        }
    };
    let mut case = TestCase::new(record.name.as_str(), status);
    case.set_classname(format!("apiward.{}", record.category));
    if record.duration_ms.is_finite() && record.duration_ms >= 0.0 {
        case.set_time(Duration::from_secs_f64(record.duration_ms / 1000.0));
    }
    case
}

/// Removes the `skipped="N"` attribute from the `<testsuites>` start tag, which the Jenkins XSD rejects. Only
/// that tag is touched: per-suite `skipped` counts are valid and kept.
fn strip_testsuites_skipped(xml: String) -> String {
    let Some(start) = xml.find("<testsuites") else {
        return xml;
    };
    let end = xml[start..].find('>').map_or(xml.len(), |e| start + e);
    let tag = &xml[start..end];
    let Some(attr) = tag.find(" skipped=\"") else {
        return xml;
    };
    let value_start = start + attr + " skipped=\"".len();
    let Some(close) = xml[value_start..].find('"') else {
        return xml;
    };
    let mut out = String::with_capacity(xml.len());
    out.push_str(&xml[..start + attr]);
    out.push_str(&xml[value_start + close + 1..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::fixture_records;
    use std::process::Command;

    #[test]
    fn junit_snapshot() {
        let xml = junit_xml(&fixture_records(), "apiward");
        insta::with_settings!({ prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("junit", xml);
        });
    }

    #[test]
    fn only_the_testsuites_skipped_attribute_is_removed() {
        let xml = junit_xml(&fixture_records(), "apiward");
        let head = xml.lines().nth(1).unwrap_or_default();
        assert!(
            head.starts_with(
                "<testsuites name=\"apiward\" tests=\"13\" failures=\"7\" errors=\"1\""
            ),
            "{head}"
        );
        assert!(xml.contains("<testsuite name=\"bfla\" tests=\"1\" skipped=\"1\""));
    }

    #[test]
    fn empty_run_is_still_a_document() {
        let xml = junit_xml(&[], "empty");
        assert!(
            xml.contains("<testsuites name=\"empty\" tests=\"0\""),
            "{xml}"
        );
    }

    /// Validates against the Jenkins XSD with xmllint. Without xmllint this skips with a note, unless `CI` is
    /// set: a CI run must not pass by validating nothing.
    #[test]
    fn valid_against_jenkins_xsd() {
        if Command::new("xmllint").arg("--version").output().is_err() {
            assert!(
                std::env::var_os("CI").is_none(),
                "xmllint is required when CI is set (apt-get install libxml2-utils)"
            );
            eprintln!("note: xmllint not found; skipping JUnit XSD validation");
            return;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let xsd = dir.path().join("jenkins-junit.xsd");
        std::fs::write(&xsd, include_str!("testdata/jenkins-junit.xsd")).expect("write xsd");
        for (name, records) in [("fixture", fixture_records()), ("empty", Vec::new())] {
            let xml = dir.path().join(format!("{name}.xml"));
            std::fs::write(&xml, junit_xml(&records, "apiward")).expect("write xml");
            let out = Command::new("xmllint")
                .arg("--noout")
                .arg("--schema")
                .arg(&xsd)
                .arg(&xml)
                .output()
                .expect("run xmllint");
            assert!(
                out.status.success(),
                "{name}: xmllint rejected the JUnit XML:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
