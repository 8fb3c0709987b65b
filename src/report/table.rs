//! The terminal score table, printed to stderr after libtest's summary so that stdout stays parsable.
//!
//! All twelve categories are always listed, tested or not, so a reader sees what the score does not cover.
//! Colour is optional and applied after padding, so columns line up with and without it.

use crate::report::score::{CategoryScore, Grade, SCORING_VERSION, Score};
use crate::results::Severity;
use std::fmt::Write as _;

/// Renders the score as a compact table; `color` adds ANSI colours (pass false when stderr is not a terminal).
pub fn render_table(score: &Score, color: bool) -> String {
    let width = score
        .categories
        .iter()
        .map(|c| c.category.len())
        .max()
        .unwrap_or(0)
        .max("category".len());
    let mut out = format!("\napiward security score (scoring model v{SCORING_VERSION})\n\n");
    let _ = writeln!(
        out,
        "  {:<width$}  {:>6}  {:>10}  {:>6}  {:>8}  {:>6}  {:>7}  worst",
        "category", "weight", "score", "passed", "findings", "errors", "skipped"
    );
    for c in &score.categories {
        let worst = c.worst.map_or(String::new(), |s| {
            paint(s.as_str(), severity_style(s), color)
        });
        let _ = writeln!(
            out,
            "  {:<width$}  {:>6}  {}  {:>6}  {:>8}  {:>6}  {:>7}  {worst}",
            c.category,
            c.weight,
            score_cell(c, color),
            c.passed,
            c.findings,
            c.errors,
            c.skipped,
        );
    }
    out.push('\n');
    match (score.score, score.grade) {
        (Some(s), Some(g)) => {
            let tested = score.categories.iter().filter(|c| c.tested).count();
            let verdict = paint(&format!("{s}/100, grade {g}"), grade_style(g), color);
            let _ = writeln!(
                out,
                "  overall: {verdict} ({tested} of {} categories tested, weights renormalised over {} of 100)",
                score.categories.len(),
                score.tested_weight
            );
        }
        _ => {
            let verdict = paint("not tested", "1;31", color);
            let _ = writeln!(
                out,
                "  overall: {verdict} (no category ran a trial that passed, found or errored)"
            );
        }
    }
    if !score.caps_applied.is_empty() {
        let before = score
            .uncapped_score
            .map(|s| format!(" ({s} before caps)"))
            .unwrap_or_default();
        let _ = writeln!(out, "  caps: {}{before}", score.caps_applied.join("; "));
    }
    let errored = score.categories.iter().filter(|c| c.has_errors()).count();
    if errored > 0 {
        let _ = writeln!(
            out,
            "  *: category had errors; errors cost half points and never count as passes"
        );
    }
    out
}

/// The score column, 10 wide: `87`, `87*` with errors, or `not tested`.
fn score_cell(c: &CategoryScore, color: bool) -> String {
    match c.score {
        Some(s) => {
            let text = if c.has_errors() {
                format!("{s}*")
            } else {
                s.to_string()
            };
            let style = match s {
                90.. => "32",
                70..=89 => "33",
                _ => "31",
            };
            paint(&format!("{text:>10}"), style, color)
        }
        None => paint(&format!("{:>10}", "not tested"), "2", color),
    }
}

fn severity_style(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    }
}

fn grade_style(grade: Grade) -> &'static str {
    match grade {
        Grade::A | Grade::B => "1;32",
        Grade::C => "1;33",
        Grade::D | Grade::F => "1;31",
    }
}

/// Wraps already-padded text in an ANSI style when colour is on.
fn paint(text: &str, style: &str, color: bool) -> String {
    if color {
        format!("\x1b[{style}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::fixture_records;
    use crate::report::score::compute;

    #[test]
    fn table_snapshot() {
        let table = render_table(&compute(&fixture_records()), false);
        insta::with_settings!({ prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("table", table);
        });
    }

    #[test]
    fn table_snapshot_not_tested() {
        let table = render_table(&compute(&[]), false);
        insta::with_settings!({ prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("table_not_tested", table);
        });
    }

    #[test]
    fn colour_does_not_change_the_text() {
        let score = compute(&fixture_records());
        let coloured = render_table(&score, true);
        assert!(coloured.contains("\x1b["));
        let mut plain = String::new();
        let mut in_escape = false;
        for ch in coloured.chars() {
            match (in_escape, ch) {
                (false, '\x1b') => in_escape = true,
                (true, 'm') => in_escape = false,
                (false, c) => plain.push(c),
                (true, _) => {}
            }
        }
        assert_eq!(plain, render_table(&score, false));
    }
}
