//! SARIF 2.1.0 for GitHub code scanning and other static-analysis dashboards, written with serde_json.
//!
//! One rule per check, one result per finding. Code scanning needs a physical location in the repository, and
//! an HTTP endpoint is not a file, so a result points at the check's YAML file: the `location` of the failed
//! assertion (`checks/x/y.yaml:14:9`) when the record has one, else the conventional path
//! `checks/<category>/<check-id>.yaml` at line 1. For custom checks kept in the scanned repository that opens
//! the very assertion that failed; the endpoint goes into the message and the result's properties.
//! `partialFingerprints` carry the trial name, so an alert stays the same alert from run to run.
//! Errors are not results (nothing was found); they become tool execution notifications.

use crate::report::score::{self, SCORING_VERSION};
use crate::results::{Outcome, Severity, TrialRecord};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The schema URL GitHub and the SARIF multitool recognise for 2.1.0.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The fingerprint key; bump its `/v1` if the fingerprint value ever changes meaning.
const FINGERPRINT_KEY: &str = "apiwardTrial/v1";

/// GitHub's `security-severity` (CVSS-like, 0.0–10.0) for a severity.
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// SARIF `level`: `error` for critical and high, `warning` for medium, `note` for low and info.
pub fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// Renders records as a pretty-printed SARIF 2.1.0 log with one run. Rules are sorted by check id, results by
/// trial name; the run's properties carry the scoring version, score and grade.
pub fn sarif_json(records: &[TrialRecord], tool_version: &str) -> String {
    let mut sorted: Vec<&TrialRecord> = records.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));

    // The first record of each check (by trial name) stands for the check's metadata.
    let mut checks: BTreeMap<&str, &TrialRecord> = BTreeMap::new();
    for record in &sorted {
        checks.entry(record.check_id.as_str()).or_insert(record);
    }
    let index: BTreeMap<&str, usize> = checks.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let rules: Vec<Value> = checks.values().map(|r| rule(r)).collect();

    let rule_ref = |r: &TrialRecord| index.get(r.check_id.as_str()).copied().unwrap_or_default();
    let results: Vec<Value> = sorted
        .iter()
        .filter(|r| r.outcome == Outcome::Finding)
        .map(|r| result(r, rule_ref(r)))
        .collect();
    let notifications: Vec<Value> = sorted
        .iter()
        .filter(|r| r.outcome == Outcome::Error)
        .map(|r| {
            json!({
                "level": "error",
                "message": { "text": format!("{}: {}", r.name, r.message.as_deref().unwrap_or("error")) },
                "associatedRule": { "id": r.check_id, "index": rule_ref(r) },
            })
        })
        .collect();

    let score = score::compute(records);
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "apiward",
                    "version": tool_version,
                    "semanticVersion": tool_version,
                    "rules": rules,
                }
            },
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "properties": {
                "scoringVersion": SCORING_VERSION,
                "score": score.score,
                "grade": score.grade.map(|g| g.as_str()),
            },
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default()
}

/// `no-token-accepted` → `NoTokenAccepted`: SARIF rule names are identifiers, not sentences.
fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The reporting descriptor of one check.
fn rule(r: &TrialRecord) -> Value {
    let mut tags = vec!["security".to_string(), r.category.clone()];
    tags.extend(r.owasp.iter().cloned());
    tags.extend(r.cwe.iter().cloned());
    let full = if r.description.is_empty() {
        &r.check_name
    } else {
        &r.description
    };
    let mut markdown = r.remediation.clone();
    if !r.references.is_empty() {
        markdown.push_str("\n\nReferences:\n");
        for reference in &r.references {
            markdown.push_str(&format!("- <{reference}>\n"));
        }
    }
    let mut rule = json!({
        "id": r.check_id,
        "name": pascal_case(&r.check_id),
        "shortDescription": { "text": r.check_name },
        "fullDescription": { "text": full },
        "help": { "text": r.remediation, "markdown": markdown },
        "defaultConfiguration": { "level": sarif_level(r.severity) },
        "properties": {
            "tags": tags,
            "security-severity": security_severity(r.severity),
            // The check library requires two independent signals before a finding (status and content).
            "precision": "high",
        },
    });
    if let (Some(uri), Some(obj)) = (r.references.first(), rule.as_object_mut()) {
        obj.insert("helpUri".to_string(), json!(uri));
    }
    rule
}

/// Splits `path:line:col` (or `path:line`) into its parts; anything else is a bare path at line 1.
fn split_location(location: &str) -> (&str, u64, Option<u64>) {
    let mut parts = location.rsplitn(3, ':');
    let last = parts.next().and_then(|s| s.parse::<u64>().ok());
    let middle = parts.next();
    match (
        last,
        middle.and_then(|s| s.parse::<u64>().ok()),
        parts.next(),
    ) {
        (Some(col), Some(line), Some(path)) => (path, line.max(1), Some(col.max(1))),
        (Some(line), _, _) => match location.rsplit_once(':') {
            Some((path, _)) => (path, line.max(1), None),
            None => (location, 1, None),
        },
        _ => (location, 1, None),
    }
}

/// A file path as a SARIF artifact location: relative paths are relative to the repository root
/// (`%SRCROOT%`), absolute ones become `file://` URIs; either way reserved characters are percent-encoded.
fn artifact_location(path: &str) -> Value {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    if encoded.starts_with('/') {
        json!({ "uri": format!("file://{encoded}") })
    } else {
        json!({ "uri": encoded, "uriBaseId": "%SRCROOT%" })
    }
}

/// One result: a finding, located at the check's file, fingerprinted by the trial name.
fn result(r: &TrialRecord, rule_index: usize) -> Value {
    let fallback = format!("checks/{}/{}.yaml", r.category, r.check_id);
    let (path, line, column) = split_location(r.location.as_deref().unwrap_or(&fallback));
    let artifact = artifact_location(path);
    let mut region = json!({ "startLine": line });
    if let (Some(col), Some(obj)) = (column, region.as_object_mut()) {
        obj.insert("startColumn".to_string(), json!(col));
    }
    let what = r.message.as_deref().unwrap_or(&r.check_name);
    let text = match &r.endpoint {
        Some(endpoint) => format!("{what} (on {endpoint})"),
        None => what.to_string(),
    };
    json!({
        "ruleId": r.check_id,
        "ruleIndex": rule_index,
        "level": sarif_level(r.severity),
        "kind": "fail",
        "message": { "text": text },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": artifact,
                "region": region,
            }
        }],
        "partialFingerprints": { FINGERPRINT_KEY: r.name },
        "properties": {
            "trial": r.name,
            "endpoint": r.endpoint,
            "target": r.target,
            "category": r.category,
            "severity": r.severity,
        },
    })
}

#[cfg(test)]
#[path = "sarif_tests.rs"]
mod tests;
