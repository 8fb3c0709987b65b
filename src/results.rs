//! Result records: one per trial, the single stream every reporter reads.
//!
//! A run appends one JSON line per finished trial to the results file as soon as the trial ends, so an
//! interrupted run keeps everything that finished. JUnit, SARIF, JSON, Markdown and the score are all
//! computed from these records alone (`apiward report` rebuilds them from files), never by re-running.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How severe a check's finding is. Ordered from least to most severe.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational: worth knowing, never penalised.
    Info,
    /// Low impact or hard to exploit.
    Low,
    /// Exploitable under some conditions.
    Medium,
    /// Directly exploitable, significant impact.
    High,
    /// Directly exploitable, full compromise of data or accounts.
    Critical,
}

impl Severity {
    /// All severities from least to most severe.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name used in YAML, JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a trial concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The API behaved securely: every assertion held.
    Pass,
    /// An assertion about secure behaviour failed: a security finding.
    Finding,
    /// The trial could not decide (connection, timeout, out-of-scope host, failed control, template error).
    Error,
    /// Not applicable or not enabled (for example: needs a second identity; intrusive and not enabled).
    Skipped,
}

impl Outcome {
    /// The lowercase name used in results and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Finding => "finding",
            Outcome::Error => "error",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One finished trial, as written to the results file (one JSON object per line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialRecord {
    /// Stable libtest name: `category::check-id[label]` (or `category::check-id` without a matrix).
    pub name: String,
    /// The check's id (equals its file stem).
    pub check_id: String,
    /// The check's human title.
    pub check_name: String,
    /// One of the twelve categories (`authentication`, `bola`, ...).
    pub category: String,
    /// The check's severity.
    pub severity: Severity,
    /// OWASP API Top 10 2023 id, e.g. `API2:2023`.
    #[serde(default)]
    pub owasp: Option<String>,
    /// CWE ids, e.g. `CWE-306`.
    #[serde(default)]
    pub cwe: Vec<String>,
    /// Tags of the check (`safe`, `intrusive`, `destructive`, free tags).
    #[serde(default)]
    pub tags: Vec<String>,
    /// The trial's label (the part in brackets), if any.
    #[serde(default)]
    pub label: Option<String>,
    /// The endpoint the trial targeted, e.g. `GET /api/v2/orders/{id}`, when the trial is about one.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The base URL of the profile the trial ran against.
    pub target: String,
    /// What the trial concluded.
    pub outcome: Outcome,
    /// For a finding: the first failed assertion (expected vs got). For an error: what went wrong.
    /// For a skip: the reason. `None` on a pass.
    #[serde(default)]
    pub message: Option<String>,
    /// Where the failed assertion (or failing step) is written: `checks/x/y.yaml:14:9`.
    #[serde(default)]
    pub location: Option<String>,
    /// Description of the weakness, from the check.
    #[serde(default)]
    pub description: String,
    /// How to fix it, from the check.
    #[serde(default)]
    pub remediation: String,
    /// Reference URLs, from the check.
    #[serde(default)]
    pub references: Vec<String>,
    /// The HTTP exchanges behind the outcome, secrets redacted.
    #[serde(default)]
    pub evidence: Vec<Exchange>,
    /// Wall time of the trial in milliseconds.
    pub duration_ms: f64,
}

/// One request and its response, as evidence. Every string is already redacted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// The step's index (0-based) within the check.
    pub step: usize,
    /// Method, e.g. `GET`.
    pub method: String,
    /// Full URL that was requested.
    pub url: String,
    /// Request headers sent (redacted).
    #[serde(default)]
    pub request_headers: Vec<(String, String)>,
    /// Request body excerpt (redacted, at most a few KiB).
    #[serde(default)]
    pub request_body: Option<String>,
    /// Response status, when a response arrived.
    #[serde(default)]
    pub status: Option<u16>,
    /// Response headers (redacted).
    #[serde(default)]
    pub response_headers: Vec<(String, String)>,
    /// Response body excerpt (redacted, at most a few KiB).
    #[serde(default)]
    pub response_body: Option<String>,
    /// Total size of the response body read, in bytes.
    #[serde(default)]
    pub response_bytes: u64,
    /// True when the body was cut at the profile's `max_body_bytes`.
    #[serde(default)]
    pub truncated: bool,
    /// A curl command reproducing the request (redacted).
    pub curl: String,
    /// Time from sending to the end of the body, in milliseconds.
    pub duration_ms: f64,
}

impl TrialRecord {
    /// Serializes the record as one JSON line (without the trailing newline).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).expect("a trial record always serializes")
    }
}

/// Reads every record of a results file (JSON lines). Blank lines are ignored; a malformed line is an
/// error naming its line number, since a silently dropped record would change the score.
pub fn read_records(text: &str, file: &str) -> Result<Vec<TrialRecord>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let rec: TrialRecord = serde_json::from_str(line)
            .map_err(|e| format!("{file}:{}: not a trial record: {e}", i + 1))?;
        out.push(rec);
    }
    Ok(out)
}
