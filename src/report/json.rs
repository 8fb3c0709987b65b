//! The JSON report: score, categories and every finding with its evidence, for scripts and dashboards.
//!
//! Unlike the results file (one line per trial, in run order), this is one document shaped for readers: the
//! verdict first, then findings most severe first, then errors. Keys keep their insertion order
//! (serde_json's `preserve_order`), so the document reads top-down.

use crate::report::score::{SCORING_VERSION, Score};
use crate::results::{Outcome, TrialRecord};
use serde_json::{Value, json};

/// Facts about the run that records do not carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportMeta {
    /// apiward's version, e.g. `env!("CARGO_PKG_VERSION")`.
    pub apiward_version: String,
}

/// Builds the JSON report from records and their score (pass the result of `score::compute(records)`).
pub fn json_report(records: &[TrialRecord], score: &Score, meta: &ReportMeta) -> Value {
    let mut targets: Vec<&str> = records.iter().map(|r| r.target.as_str()).collect();
    targets.sort_unstable();
    targets.dedup();

    let mut findings: Vec<&TrialRecord> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Finding)
        .collect();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.name.cmp(&b.name))
    });
    let mut errors: Vec<&TrialRecord> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Error)
        .collect();
    errors.sort_by(|a, b| a.name.cmp(&b.name));
    let mut skipped: Vec<&TrialRecord> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Skipped)
        .collect();
    skipped.sort_by(|a, b| a.name.cmp(&b.name));

    json!({
        "scoring_version": SCORING_VERSION,
        "apiward_version": meta.apiward_version,
        "targets": targets,
        "score": score.score,
        "grade": score.grade,
        "uncapped_score": score.uncapped_score,
        "tested_weight": score.tested_weight,
        "caps_applied": score.caps_applied,
        "counts": score.counts,
        "categories": score.categories,
        "findings": findings.iter().map(|r| entry(r)).collect::<Vec<_>>(),
        "errors": errors.iter().map(|r| entry(r)).collect::<Vec<_>>(),
        "skipped": skipped
            .iter()
            .map(|r| json!({ "name": r.name, "check_id": r.check_id, "category": r.category, "reason": r.message }))
            .collect::<Vec<_>>(),
    })
}

/// One finding or error, with everything needed to reproduce and fix it.
fn entry(r: &TrialRecord) -> Value {
    json!({
        "name": r.name,
        "check_id": r.check_id,
        "check_name": r.check_name,
        "category": r.category,
        "severity": r.severity,
        "owasp": r.owasp,
        "cwe": r.cwe,
        "endpoint": r.endpoint,
        "target": r.target,
        "message": r.message,
        "location": r.location,
        "remediation": r.remediation,
        "references": r.references,
        "evidence": r.evidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::fixture_records;
    use crate::report::score::compute;

    fn meta() -> ReportMeta {
        ReportMeta {
            apiward_version: "0.1.0".to_string(),
        }
    }

    #[test]
    fn json_snapshot() {
        let recs = fixture_records();
        let report = json_report(&recs, &compute(&recs), &meta());
        insta::with_settings!({ prepend_module_to_snapshot => false }, {
            insta::assert_json_snapshot!("json", report);
        });
    }

    #[test]
    fn findings_are_most_severe_first() {
        let recs = fixture_records();
        let report = json_report(&recs, &compute(&recs), &meta());
        let severities: Vec<&str> = report["findings"]
            .as_array()
            .map(|f| f.iter().filter_map(|x| x["severity"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            severities,
            ["critical", "high", "medium", "low", "low", "low", "info"]
        );
        assert_eq!(report["errors"].as_array().map_or(0, Vec::len), 1);
        assert_eq!(report["scoring_version"], 1);
    }
}
