//! Reporters and the score: everything that turns trial records into something a person or a CI reads.
//!
//! Every reporter is a pure function of `&[TrialRecord]` (plus small options) and never re-runs anything, so
//! `apiward report` can rebuild all outputs from results files. Outputs are deterministic: records are sorted
//! and no hash-map order leaks, so the same records always give the same bytes.

mod evidence;
mod gate;
mod json;
mod junit;
mod markdown;
mod merge;
mod sarif;
mod score;
mod table;

#[cfg(test)]
mod fixtures;

pub use evidence::first_sentence;
pub use gate::{Gate, GateFailure, meets_fail_on, meets_fail_under, meets_gate};
pub use json::{ReportMeta, json_report};
pub use junit::junit_xml;
pub use markdown::markdown_report;
pub use merge::merge;
pub use sarif::{sarif_json, sarif_level, security_severity};
pub use score::{
    CATEGORY_WEIGHTS, CRITICAL_CAP, CategoryScore, Counts, Grade, HIGH_CAP, Penalty, PenaltyKind,
    SCORING_VERSION, Score, compute, severity_points,
};
pub use table::render_table;
