//! The security score: 0–100, a grade A–F, and one score per category, computed from trial records alone.
//!
//! The model is documented in `docs/scoring.md` and versioned by [`SCORING_VERSION`]; any change to a rule,
//! weight or band must bump the version so that scores from different releases are never compared silently.
//! All arithmetic is done in integer hundredths of a point and every collection is sorted, so the same records
//! always give the same score, byte for byte, whatever order they arrive in.

use crate::results::{Outcome, Severity, TrialRecord};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Version of the scoring model. Printed in every output; bumped whenever a rule, weight or band changes.
pub const SCORING_VERSION: u32 = 1;

/// The twelve categories in their canonical order, with their default weights (they sum to 100).
///
/// Authentication and object-level authorization weigh most because a failure there exposes every user's data;
/// unsafe consumption and LLM security weigh least because few APIs expose them and their checks are narrower.
pub const CATEGORY_WEIGHTS: [(&str, u32); 12] = [
    ("authentication", 15),
    ("bola", 15),
    ("bfla", 10),
    ("property-authorization", 8),
    ("input-validation", 10),
    ("rate-limiting", 7),
    ("data-exposure", 10),
    ("encryption", 7),
    ("ssrf", 6),
    ("inventory", 5),
    ("unsafe-consumption", 3),
    ("llm-security", 4),
];

/// The highest score a run with any critical finding can get (grade D at best).
pub const CRITICAL_CAP: u8 = 69;
/// The highest score a run with any high finding can get (grade C at best).
pub const HIGH_CAP: u8 = 79;

/// Penalty points of one finding of this severity, before the repetition multiplier.
pub fn severity_points(severity: Severity) -> u32 {
    match severity {
        Severity::Critical => 40,
        Severity::High => 20,
        Severity::Medium => 8,
        Severity::Low => 3,
        Severity::Info => 0,
    }
}

/// The repetition multiplier in tenths: 1.0 for the first failing trial of a check, +0.1 for each further
/// one, at most 2.0, so a missing header on 200 endpoints costs twice one instance, not 200 times.
fn multiplier_tenths(trials: usize) -> u32 {
    let extra = u32::try_from(trials.saturating_sub(1)).unwrap_or(u32::MAX);
    10u32.saturating_add(extra).min(20)
}

/// A letter grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Grade {
    /// 90 and above.
    A,
    /// 80 to 89.
    B,
    /// 70 to 79.
    C,
    /// 60 to 69.
    D,
    /// Below 60.
    F,
}

impl Grade {
    /// The grade band a score falls in: A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, F below.
    pub fn from_score(score: u8) -> Grade {
        match score {
            90.. => Grade::A,
            80..=89 => Grade::B,
            70..=79 => Grade::C,
            60..=69 => Grade::D,
            _ => Grade::F,
        }
    }

    /// The letter.
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
            Grade::F => "F",
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a penalty comes from findings or from errors of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PenaltyKind {
    /// Failed assertions: full severity points.
    Finding,
    /// Trials that could not decide: half the severity points, since unknown is not secure.
    Error,
}

/// What one check cost its category: the audit trail behind a category score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Penalty {
    /// The check's id.
    pub check_id: String,
    /// Findings or errors.
    pub kind: PenaltyKind,
    /// The worst severity among the check's failing trials of this kind.
    pub severity: Severity,
    /// How many trials of the check ended this way.
    pub trials: usize,
    /// Points deducted (two decimals at most).
    pub points: f64,
}

/// The score of one category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryScore {
    /// The category's name.
    pub category: String,
    /// Its weight in the overall mean (0 for a category outside the twelve).
    pub weight: u32,
    /// True when at least one trial passed, found something or errored. Skips alone do not test anything.
    pub tested: bool,
    /// `max(0, 100 − penalties)`, rounded half up; `None` when not tested.
    pub score: Option<u8>,
    /// Total points deducted, before the floor at 0.
    pub penalty: f64,
    /// Trials that passed.
    pub passed: usize,
    /// Trials that found a weakness.
    pub findings: usize,
    /// Trials that could not decide.
    pub errors: usize,
    /// Trials that were skipped.
    pub skipped: usize,
    /// The worst severity among the findings, if any.
    pub worst: Option<Severity>,
    /// One entry per check that cost points, sorted by check id then kind.
    pub penalties: Vec<Penalty>,
    /// Unrounded score in hundredths, used for the overall mean so that rounding happens once.
    #[serde(skip)]
    exact_hundredths: u32,
}

impl CategoryScore {
    /// True when some trial of the category could not decide; its score is then a best case.
    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }
}

/// Trial counts over the whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// All records.
    pub trials: usize,
    /// Passed trials.
    pub passed: usize,
    /// Findings, all severities.
    pub findings: usize,
    /// Errors.
    pub errors: usize,
    /// Skipped trials.
    pub skipped: usize,
    /// Critical findings.
    pub critical: usize,
    /// High findings.
    pub high: usize,
    /// Medium findings.
    pub medium: usize,
    /// Low findings.
    pub low: usize,
    /// Informational findings.
    pub info: usize,
}

impl Counts {
    /// The number of findings of one severity.
    pub fn of(&self, severity: Severity) -> usize {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    /// The number of findings at or above a severity.
    pub fn at_or_above(&self, severity: Severity) -> usize {
        Severity::ALL
            .iter()
            .filter(|s| **s >= severity)
            .map(|s| self.of(*s))
            .sum()
    }

    fn add(&mut self, record: &TrialRecord) {
        self.trials += 1;
        match record.outcome {
            Outcome::Pass => self.passed += 1,
            Outcome::Error => self.errors += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Finding => {
                self.findings += 1;
                match record.severity {
                    Severity::Critical => self.critical += 1,
                    Severity::High => self.high += 1,
                    Severity::Medium => self.medium += 1,
                    Severity::Low => self.low += 1,
                    Severity::Info => self.info += 1,
                }
            }
        }
    }
}

/// The whole score of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// [`SCORING_VERSION`] of the model that computed it.
    pub version: u32,
    /// The overall score after caps; `None` when no category was tested.
    pub score: Option<u8>,
    /// The grade of [`Score::score`].
    pub grade: Option<Grade>,
    /// The weighted mean before caps, to show what a cap took away.
    pub uncapped_score: Option<u8>,
    /// Sum of the weights of the tested categories: the mean is renormalised over it.
    pub tested_weight: u32,
    /// The twelve categories in canonical order, then any other category met in the records, sorted.
    pub categories: Vec<CategoryScore>,
    /// Counts over all records.
    pub counts: Counts,
    /// One sentence per cap that applies, e.g. `2 critical findings cap the score at 69`.
    pub caps_applied: Vec<String>,
}

/// Computes the score of a set of records. Pure and deterministic: the order of the records does not matter.
pub fn compute(records: &[TrialRecord]) -> Score {
    let mut by_category: BTreeMap<&str, Vec<&TrialRecord>> = BTreeMap::new();
    let mut counts = Counts::default();
    for record in records {
        by_category
            .entry(record.category.as_str())
            .or_default()
            .push(record);
        counts.add(record);
    }

    let mut categories = Vec::new();
    for (name, weight) in CATEGORY_WEIGHTS {
        let recs = by_category.remove(name).unwrap_or_default();
        categories.push(score_category(name, weight, &recs));
    }
    // Categories outside the twelve are shown (their findings are real) but weigh nothing.
    for (name, recs) in by_category {
        categories.push(score_category(name, 0, &recs));
    }

    let tested_weight: u32 = categories
        .iter()
        .filter(|c| c.tested)
        .map(|c| c.weight)
        .sum();
    let uncapped_score = if tested_weight == 0 {
        None
    } else {
        let weighted: u64 = categories
            .iter()
            .filter(|c| c.tested)
            .map(|c| u64::from(c.weight) * u64::from(c.exact_hundredths))
            .sum();
        let den = 100 * u64::from(tested_weight);
        let rounded = (weighted + den / 2) / den;
        Some(u8::try_from(rounded.min(100)).unwrap_or(100))
    };

    let mut caps_applied = Vec::new();
    let mut score = uncapped_score;
    for (severity, cap) in [
        (Severity::Critical, CRITICAL_CAP),
        (Severity::High, HIGH_CAP),
    ] {
        let n = counts.of(severity);
        if n == 0 {
            continue;
        }
        let plural = if n == 1 {
            "finding caps"
        } else {
            "findings cap"
        };
        caps_applied.push(format!("{n} {severity} {plural} the score at {cap}"));
        score = score.map(|s| s.min(cap));
    }

    Score {
        version: SCORING_VERSION,
        score,
        grade: score.map(Grade::from_score),
        uncapped_score,
        tested_weight,
        categories,
        counts,
        caps_applied,
    }
}

/// Scores one category from its records.
fn score_category(name: &str, weight: u32, records: &[&TrialRecord]) -> CategoryScore {
    let mut passed = 0;
    let mut findings = 0;
    let mut errors = 0;
    let mut skipped = 0;
    let mut worst: Option<Severity> = None;
    // (check id, kind) → (worst severity, trials); a BTreeMap so penalties come out sorted.
    let mut groups: BTreeMap<(&str, PenaltyKind), (Severity, usize)> = BTreeMap::new();
    for record in records {
        let kind = match record.outcome {
            Outcome::Pass => {
                passed += 1;
                continue;
            }
            Outcome::Skipped => {
                skipped += 1;
                continue;
            }
            Outcome::Finding => {
                findings += 1;
                worst = worst.max(Some(record.severity));
                PenaltyKind::Finding
            }
            Outcome::Error => {
                errors += 1;
                PenaltyKind::Error
            }
        };
        let entry = groups
            .entry((record.check_id.as_str(), kind))
            .or_insert((record.severity, 0));
        entry.0 = entry.0.max(record.severity);
        entry.1 += 1;
    }

    let mut total_hundredths: u32 = 0;
    let mut penalties = Vec::new();
    for ((check_id, kind), (severity, trials)) in groups {
        // Points × multiplier (tenths) × 10 gives hundredths; errors cost half of that.
        let per_tenth = match kind {
            PenaltyKind::Finding => 10,
            PenaltyKind::Error => 5,
        };
        let hundredths = severity_points(severity) * multiplier_tenths(trials) * per_tenth;
        total_hundredths = total_hundredths.saturating_add(hundredths);
        if hundredths > 0 {
            penalties.push(Penalty {
                check_id: check_id.to_string(),
                kind,
                severity,
                trials,
                points: f64::from(hundredths) / 100.0,
            });
        }
    }

    let tested = passed + findings + errors > 0;
    let exact_hundredths = 10_000u32.saturating_sub(total_hundredths);
    // Half up: 87.50 shows as 88.
    let rounded = u8::try_from((exact_hundredths + 50) / 100).unwrap_or(100);
    CategoryScore {
        category: name.to_string(),
        weight,
        tested,
        score: tested.then_some(rounded),
        penalty: f64::from(total_hundredths) / 100.0,
        passed,
        findings,
        errors,
        skipped,
        worst,
        penalties,
        exact_hundredths,
    }
}

#[cfg(test)]
#[path = "score_tests.rs"]
mod tests;
