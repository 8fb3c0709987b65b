//! The Markdown report, for `GITHUB_STEP_SUMMARY` and merge-request comments.
//!
//! A reviewer reads it top-down and stops when they know enough: the score and grade, the category table, then
//! findings most severe first with their fix, each with its evidence folded away in `<details>`. Errors come
//! last and apart, because they are about the scan, not the API. Bodies are cut and evidence blocks are
//! limited in number, because GitHub refuses step summaries over 1 MiB.

use crate::report::evidence::{evidence_text, truncate};
use crate::report::score::{CategoryScore, SCORING_VERSION, Score};
use crate::results::{Outcome, Severity, TrialRecord};
use std::fmt::Write as _;

/// Response bodies longer than this (in characters) are cut in evidence blocks.
const BODY_LIMIT: usize = 1000;
/// Findings after this many are listed without their evidence block.
const EVIDENCE_BLOCKS: usize = 100;

/// Renders the Markdown report (pass `score::compute(records)` as `score`).
pub fn markdown_report(records: &[TrialRecord], score: &Score) -> String {
    let mut out = String::new();
    headline(&mut out, score);
    category_table(&mut out, score);

    let mut findings: Vec<&TrialRecord> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Finding)
        .collect();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.name.cmp(&b.name))
    });
    if findings.is_empty() {
        out.push_str("\n### Findings\n\nNo findings.\n");
    } else {
        let _ = write!(out, "\n### Findings ({})\n", findings.len());
        let mut shown = 0;
        for severity in Severity::ALL.iter().rev() {
            let group: Vec<&&TrialRecord> = findings
                .iter()
                .filter(|r| r.severity == *severity)
                .collect();
            if group.is_empty() {
                continue;
            }
            let _ = write!(
                out,
                "\n#### {} ({})\n",
                title_case(severity.as_str()),
                group.len()
            );
            for record in group {
                finding(&mut out, record, shown < EVIDENCE_BLOCKS);
                shown += 1;
            }
        }
    }

    let mut errors: Vec<&TrialRecord> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Error)
        .collect();
    errors.sort_by(|a, b| a.name.cmp(&b.name));
    if !errors.is_empty() {
        let _ = write!(
            out,
            "\n### Errors ({})\n\nThese trials could not decide; they cost points and never count as passes.\n\n",
            errors.len()
        );
        for record in errors {
            let message = record.message.as_deref().unwrap_or("error");
            let _ = write!(out, "- {}: {}", code(&record.name), escape(message));
            if let Some(location) = &record.location {
                let _ = write!(out, " ({})", code(location));
            }
            out.push('\n');
        }
    }
    out
}

/// The score, grade, counts, caps and what was not tested.
fn headline(out: &mut String, score: &Score) {
    match (score.score, score.grade) {
        (Some(s), Some(g)) => {
            let _ = writeln!(out, "## apiward security score: {s}/100 (grade {g})\n");
        }
        _ => out.push_str("## apiward security score: not tested\n\n"),
    }
    let c = &score.counts;
    let _ = writeln!(
        out,
        "Scoring model v{SCORING_VERSION} · {}: {} passed, {}, {}, {} skipped\n",
        plural(c.trials, "trial"),
        c.passed,
        plural(c.findings, "finding"),
        plural(c.errors, "error"),
        c.skipped
    );
    if !score.caps_applied.is_empty() {
        let before = score
            .uncapped_score
            .map(|s| format!(" ({s} before caps)"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "> **Caps:** {}{before}.\n",
            score.caps_applied.join("; ")
        );
    }
    let untested: Vec<&str> = score
        .categories
        .iter()
        .filter(|c| !c.tested)
        .map(|c| c.category.as_str())
        .collect();
    if !untested.is_empty() {
        let _ = writeln!(
            out,
            "Not tested (no free points; weights renormalised over {} of 100): {}.\n",
            score.tested_weight,
            untested.join(", ")
        );
    }
}

/// The per-category table.
fn category_table(out: &mut String, score: &Score) {
    out.push_str("| Category | Weight | Score | Passed | Findings | Errors | Skipped | Worst |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---|\n");
    for c in &score.categories {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            c.category,
            c.weight,
            score_cell(c),
            c.passed,
            c.findings,
            c.errors,
            c.skipped,
            c.worst.map_or("", |s| s.as_str())
        );
    }
}

fn score_cell(c: &CategoryScore) -> String {
    match c.score {
        Some(s) if c.has_errors() => format!("{s} (errors)"),
        Some(s) => s.to_string(),
        None => "not tested".to_string(),
    }
}

/// One finding: title, endpoint, message, classification, fix, and the folded evidence.
fn finding(out: &mut String, r: &TrialRecord, with_evidence: bool) {
    let _ = writeln!(out, "\n**{}** · {}\n", escape(&r.check_name), code(&r.name));
    if let Some(endpoint) = &r.endpoint {
        let _ = writeln!(
            out,
            "- Endpoint: {} on {}",
            code(endpoint),
            escape(&r.target)
        );
    }
    if let Some(message) = &r.message {
        let _ = writeln!(out, "- Result: {}", escape(message));
    }
    let mut class: Vec<String> = r.owasp.iter().map(|o| escape(o)).collect();
    class.extend(r.cwe.iter().map(|c| escape(c)));
    if let Some(location) = &r.location {
        class.push(code(location));
    }
    if !class.is_empty() {
        let _ = writeln!(out, "- Classification: {}", class.join(" · "));
    }
    if !r.remediation.is_empty() {
        let _ = writeln!(out, "- Fix: {}", escape(&r.remediation));
    }
    if r.evidence.is_empty() {
        return;
    }
    if !with_evidence {
        out.push_str("- Evidence: omitted to keep this summary small; see the JSON report.\n");
        return;
    }
    let text = evidence_text(r, BODY_LIMIT);
    let fence = "`".repeat(longest_backtick_run(&text).max(2) + 1);
    let _ = write!(
        out,
        "\n<details><summary>Evidence</summary>\n\n{fence}text\n{}{fence}\n\n</details>\n",
        text
    );
}

/// `critical` → `Critical`.
fn title_case(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// Escapes what GitHub would take for HTML, except inside code spans (`like this`), where Markdown shows text
/// as is and an entity would appear literally.
fn escape(text: &str) -> String {
    let text = truncate(text, 2000);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find('`') {
        out.push_str(&escape_html(&rest[..start]));
        let run = rest[start..].bytes().take_while(|b| *b == b'`').count();
        let after = &rest[start + run..];
        match closing_run(after, run) {
            Some(end) => {
                out.push_str(&rest[start..start + run + end + run]);
                rest = &after[end + run..];
            }
            // An unmatched run is shown literally by Markdown, so it is copied and scanning goes on.
            None => {
                out.push_str(&rest[start..start + run]);
                rest = after;
            }
        }
    }
    out.push_str(&escape_html(rest));
    out
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The byte offset of the first run of exactly `len` backticks in `text`: the end of a code span.
fn closing_run(text: &str, len: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let run = bytes[i..].iter().take_while(|b| **b == b'`').count();
            if run == len {
                return Some(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

/// `1 error`, `2 errors`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Inline code that survives backticks inside the text.
fn code(text: &str) -> String {
    let ticks = "`".repeat(longest_backtick_run(text) + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::fixture_records;
    use crate::report::score::compute;

    #[test]
    fn markdown_snapshot() {
        let recs = fixture_records();
        let md = markdown_report(&recs, &compute(&recs));
        insta::with_settings!({ prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("markdown", md);
        });
    }

    #[test]
    fn empty_run_says_not_tested() {
        let md = markdown_report(&[], &compute(&[]));
        assert!(md.starts_with("## apiward security score: not tested"));
        assert!(md.contains("No findings."));
    }

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(
            escape("a|<b> & `<c>` ``d`<`` `e"),
            "a|&lt;b&gt; &amp; `<c>` ``d`<`` `e"
        );
        assert_eq!(escape("<`x`>"), "&lt;`x`&gt;");
    }
}
