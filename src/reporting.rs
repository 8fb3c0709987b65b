//! After a run: write the requested reports, print the score table, apply the CI gates.
//!
//! The score table goes to stderr after libtest's summary so that stdout stays exactly libtest's
//! (parsable with `--format json`, and clean for `--list`).

use crate::report::{self, Gate};
use crate::results::TrialRecord;
use crate::scan::{ReportPaths, Scan, ScanError};
use std::path::Path;

/// Writes every requested report from `records`.
pub fn write_reports(
    paths: &ReportPaths,
    records: &[TrialRecord],
    score: &report::Score,
) -> Result<(), ScanError> {
    let write = |path: &Option<std::path::PathBuf>, text: String| -> Result<(), ScanError> {
        if let Some(p) = path {
            write_file(p, &text)?;
        }
        Ok(())
    };
    let version = env!("CARGO_PKG_VERSION");
    write(&paths.junit, report::junit_xml(records, "apiward"))?;
    write(&paths.sarif, report::sarif_json(records, version))?;
    let meta = report::ReportMeta {
        apiward_version: version.to_owned(),
    };
    write(
        &paths.json,
        serde_json::to_string_pretty(&report::json_report(records, score, &meta))
            .unwrap_or_default(),
    )?;
    write(&paths.markdown, report::markdown_report(records, score))?;
    Ok(())
}

fn write_file(p: &Path, text: &str) -> Result<(), ScanError> {
    if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| ScanError::Usage(format!("cannot create {}: {e}", dir.display())))?;
    }
    std::fs::write(p, text)
        .map_err(|e| ScanError::Usage(format!("cannot write {}: {e}", p.display())))
}

/// The gate a scan applies: libtest's (any finding or error fails) unless thresholds are given.
pub fn gate_of(fail_under: Option<u8>, fail_on: Option<crate::results::Severity>) -> Gate {
    if fail_under.is_none() && fail_on.is_none() {
        return Gate::default();
    }
    Gate {
        fail_under,
        fail_on,
        fail_on_error: true,
    }
}

/// Writes reports, prints the score table to stderr, returns whether the gate failed. With
/// `whole_run` false (one process of a nextest run, which sees one trial), reports and the score
/// are left to `apiward report` over the run's results file; only the gate applies.
pub fn finish(scan: &Scan, records: &[TrialRecord], whole_run: bool) -> Result<bool, ScanError> {
    let score = report::compute(records);
    if whole_run {
        write_reports(&scan.reports, records, &score)?;
    }
    if scan.score_table && whole_run {
        use std::io::IsTerminal;
        eprintln!();
        eprint!(
            "{}",
            report::render_table(&score, std::io::stderr().is_terminal())
        );
    }
    let gate = gate_of(scan.fail_under, scan.fail_on);
    match report::meets_gate(records, &score, &gate) {
        Ok(()) => Ok(false),
        Err(failures) => {
            if scan.fail_under.is_some() || scan.fail_on.is_some() {
                for f in &failures {
                    eprintln!("gate failed: {f}");
                }
            }
            Ok(true)
        }
    }
}
