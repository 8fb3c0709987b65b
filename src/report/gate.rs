//! The CI gate: `--fail-under SCORE` and `--fail-on SEVERITY`, decided from records and their score.
//!
//! Kept apart from the score so that the policy (what fails a build) can change without touching the model
//! (what a run is worth). The default gate mirrors libtest: any finding and any error fails.

use crate::report::score::Score;
use crate::results::{Outcome, Severity, TrialRecord};
use std::fmt;

/// What fails a build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    /// `--fail-under SCORE`: fail when the overall score is below this, or when nothing was tested.
    pub fail_under: Option<u8>,
    /// `--fail-on SEVERITY`: fail on any finding at or above this severity; `None` never fails on findings.
    pub fail_on: Option<Severity>,
    /// Fail when any trial errored. On by default, as in libtest: an undecided check is not a pass.
    pub fail_on_error: bool,
}

impl Default for Gate {
    /// The libtest behaviour: any finding (info included) or error fails; no score threshold.
    fn default() -> Self {
        Gate {
            fail_under: None,
            fail_on: Some(Severity::Info),
            fail_on_error: true,
        }
    }
}

/// One reason the gate failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateFailure {
    /// The score is below the threshold (`None` when nothing was tested).
    ScoreBelow {
        /// The overall score, if any category was tested.
        score: Option<u8>,
        /// The `--fail-under` threshold.
        threshold: u8,
    },
    /// Findings at or above the `--fail-on` severity.
    FindingsAtOrAbove {
        /// The `--fail-on` severity.
        severity: Severity,
        /// How many findings reach it.
        count: usize,
    },
    /// Trials that could not decide.
    Errors {
        /// How many.
        count: usize,
    },
}

impl fmt::Display for GateFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GateFailure::ScoreBelow {
                score: Some(score),
                threshold,
            } => write!(f, "score {score} is below --fail-under {threshold}"),
            GateFailure::ScoreBelow {
                score: None,
                threshold,
            } => write!(
                f,
                "no category was tested, so the score cannot reach --fail-under {threshold}"
            ),
            GateFailure::FindingsAtOrAbove { severity, count } => {
                write!(f, "{count} finding(s) at or above --fail-on {severity}")
            }
            GateFailure::Errors { count } => {
                write!(
                    f,
                    "{count} trial(s) could not decide (errors fail the gate by default)"
                )
            }
        }
    }
}

/// True when the score reaches `threshold`. A run with nothing tested never does: no free passes.
pub fn meets_fail_under(score: &Score, threshold: u8) -> bool {
    score.score.is_some_and(|s| s >= threshold)
}

/// True when no finding is at or above `severity` and, if `fail_on_error`, no trial errored.
pub fn meets_fail_on(records: &[TrialRecord], severity: Severity, fail_on_error: bool) -> bool {
    !records.iter().any(|r| {
        (r.outcome == Outcome::Finding && r.severity >= severity)
            || (fail_on_error && r.outcome == Outcome::Error)
    })
}

/// Applies every rule of the gate and returns all the reasons it fails, in a fixed order (score, findings,
/// errors), so a CI log explains everything at once.
pub fn meets_gate(
    records: &[TrialRecord],
    score: &Score,
    gate: &Gate,
) -> Result<(), Vec<GateFailure>> {
    let mut failures = Vec::new();
    if let Some(threshold) = gate.fail_under
        && !meets_fail_under(score, threshold)
    {
        failures.push(GateFailure::ScoreBelow {
            score: score.score,
            threshold,
        });
    }
    if let Some(severity) = gate.fail_on {
        let count = records
            .iter()
            .filter(|r| r.outcome == Outcome::Finding && r.severity >= severity)
            .count();
        if count > 0 {
            failures.push(GateFailure::FindingsAtOrAbove { severity, count });
        }
    }
    if gate.fail_on_error {
        let count = records
            .iter()
            .filter(|r| r.outcome == Outcome::Error)
            .count();
        if count > 0 {
            failures.push(GateFailure::Errors { count });
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{fixture_records, record};
    use crate::report::score::compute;

    #[test]
    fn default_gate_fails_on_any_finding_and_error() {
        let recs = fixture_records();
        let err = meets_gate(&recs, &compute(&recs), &Gate::default()).unwrap_err();
        assert!(matches!(
            err[0],
            GateFailure::FindingsAtOrAbove {
                severity: Severity::Info,
                ..
            }
        ));
        assert!(matches!(err[1], GateFailure::Errors { count: 1 }));
    }

    #[test]
    fn fail_on_counts_findings_at_or_above() {
        let recs = vec![
            record("encryption::hsts[GET /a]", Severity::Low, Outcome::Finding),
            record("authentication::x[GET /a]", Severity::High, Outcome::Pass),
        ];
        assert!(meets_fail_on(&recs, Severity::Medium, true));
        assert!(!meets_fail_on(&recs, Severity::Low, true));
        let gate = Gate {
            fail_under: None,
            fail_on: Some(Severity::Low),
            fail_on_error: false,
        };
        let err = meets_gate(&recs, &compute(&recs), &gate).unwrap_err();
        assert_eq!(
            err,
            vec![GateFailure::FindingsAtOrAbove {
                severity: Severity::Low,
                count: 1
            }]
        );
    }

    #[test]
    fn errors_fail_unless_disabled() {
        let recs = vec![record("ssrf::meta[GET /a]", Severity::High, Outcome::Error)];
        assert!(!meets_fail_on(&recs, Severity::Critical, true));
        assert!(meets_fail_on(&recs, Severity::Critical, false));
    }

    #[test]
    fn fail_under_compares_and_refuses_untested_runs() {
        let recs = vec![record(
            "bola::x[GET /a]",
            Severity::Medium,
            Outcome::Finding,
        )];
        let score = compute(&recs);
        assert_eq!(score.score, Some(92));
        assert!(meets_fail_under(&score, 92));
        assert!(!meets_fail_under(&score, 93));
        let empty = compute(&[]);
        assert!(!meets_fail_under(&empty, 0));
        let gate = Gate {
            fail_under: Some(50),
            fail_on: None,
            fail_on_error: true,
        };
        assert_eq!(
            meets_gate(&[], &empty, &gate).unwrap_err()[0].to_string(),
            "no category was tested, so the score cannot reach --fail-under 50"
        );
        assert_eq!(meets_gate(&recs, &score, &gate), Ok(()));
    }
}
