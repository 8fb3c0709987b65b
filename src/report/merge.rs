//! Merging result sets, for `apiward report RESULTS...` over split runs (shards) or reruns.
//!
//! A trial name is stable across runs, so it identifies a trial: when several files hold the same trial, the
//! last one given wins, which lets a rerun of flaky or fixed trials override the first run.

use crate::results::TrialRecord;
use std::collections::BTreeMap;

/// Merges runs in the order given: one record per trial name, the last seen kept, sorted by name.
pub fn merge(runs: Vec<Vec<TrialRecord>>) -> Vec<TrialRecord> {
    let mut by_name: BTreeMap<String, TrialRecord> = BTreeMap::new();
    for record in runs.into_iter().flatten() {
        by_name.insert(record.name.clone(), record);
    }
    by_name.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::record;
    use crate::results::{Outcome, Severity};

    #[test]
    fn later_runs_win_and_output_is_sorted() {
        let first = vec![
            record("bola::b[GET /x]", Severity::High, Outcome::Finding),
            record("authentication::a[GET /x]", Severity::High, Outcome::Error),
        ];
        let rerun = vec![record(
            "authentication::a[GET /x]",
            Severity::High,
            Outcome::Pass,
        )];
        let shard = vec![record("ssrf::c", Severity::High, Outcome::Skipped)];
        let merged = merge(vec![first, rerun, shard]);
        let got: Vec<_> = merged
            .iter()
            .map(|r| (r.name.as_str(), r.outcome))
            .collect();
        assert_eq!(
            got,
            vec![
                ("authentication::a[GET /x]", Outcome::Pass),
                ("bola::b[GET /x]", Outcome::Finding),
                ("ssrf::c", Outcome::Skipped),
            ]
        );
    }

    #[test]
    fn duplicates_within_one_run_keep_the_last() {
        let run = vec![
            record("bola::b[GET /x]", Severity::High, Outcome::Finding),
            record("bola::b[GET /x]", Severity::High, Outcome::Pass),
        ];
        let merged = merge(vec![run]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].outcome, Outcome::Pass);
    }

    #[test]
    fn nothing_in_nothing_out() {
        assert!(merge(vec![]).is_empty());
        assert!(merge(vec![vec![], vec![]]).is_empty());
    }
}
