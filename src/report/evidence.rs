//! Plain-text rendering of a record's evidence, shared by JUnit, Markdown and anything else that shows it.
//!
//! One renderer keeps the formats consistent: a reader who saw the exchange in a CI dashboard recognises it in
//! a merge-request comment. Everything is already redacted by the runner; this only lays it out and trims it.

use crate::results::{Exchange, TrialRecord};
use std::fmt::Write as _;

/// Cuts `text` to at most `max_chars` characters (never inside a character) and says how much was cut.
pub(crate) fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_string(),
        Some((cut, _)) => {
            let rest = text[cut..].chars().count();
            format!("{}… [{rest} more characters]", &text[..cut])
        }
    }
}

/// The first sentence of `text` (up to a period followed by a capitalised word), at most ~200 chars.
pub fn first_sentence(text: &str) -> String {
    let t = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut end = t.len();
    for (i, _) in t.match_indices(". ") {
        if t[i + 2..].chars().next().is_some_and(char::is_uppercase) {
            end = i + 1;
            break;
        }
    }
    let s = &t[..end];
    if s.chars().count() > 200 {
        format!("{}…", s.chars().take(200).collect::<String>())
    } else {
        s.to_owned()
    }
}

/// The metadata line: `severity: high | owasp: API2:2023 | cwe: CWE-306`.
pub(crate) fn classification(record: &TrialRecord) -> String {
    let mut out = format!("severity: {}", record.severity);
    if let Some(owasp) = &record.owasp {
        let _ = write!(out, " | owasp: {owasp}");
    }
    if !record.cwe.is_empty() {
        let _ = write!(out, " | cwe: {}", record.cwe.join(", "));
    }
    out
}

/// Indents every line of `text` by `pad`.
fn indented(out: &mut String, text: &str, pad: &str) {
    for line in text.lines() {
        let _ = writeln!(out, "{pad}{line}");
    }
}

/// One exchange: request line, headers, status, body excerpt and curl command.
pub(crate) fn exchange_text(exchange: &Exchange, body_limit: usize) -> String {
    let mut out = format!(
        "step {}: {} {}\n",
        exchange.step, exchange.method, exchange.url
    );
    if !exchange.request_headers.is_empty() {
        out.push_str("  request headers:\n");
        for (name, value) in &exchange.request_headers {
            let _ = writeln!(out, "    {name}: {value}");
        }
    }
    if let Some(body) = &exchange.request_body {
        out.push_str("  request body:\n");
        indented(&mut out, &truncate(body, body_limit), "    ");
    }
    match exchange.status {
        Some(status) => {
            let cut = if exchange.truncated {
                ", cut at the body limit"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  response: {status} ({} bytes{cut})",
                exchange.response_bytes
            );
        }
        None => out.push_str("  response: none\n"),
    }
    if !exchange.response_headers.is_empty() {
        out.push_str("  response headers:\n");
        for (name, value) in &exchange.response_headers {
            let _ = writeln!(out, "    {name}: {value}");
        }
    }
    if let Some(body) = &exchange.response_body {
        out.push_str("  response body:\n");
        indented(&mut out, &truncate(body, body_limit), "    ");
    }
    let _ = writeln!(out, "  curl: {}", exchange.curl);
    out
}

/// Every exchange of a record, separated by blank lines; empty when there is none.
pub(crate) fn evidence_text(record: &TrialRecord, body_limit: usize) -> String {
    record
        .evidence
        .iter()
        .map(|e| exchange_text(e, body_limit))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The full plain-text account of a finding or error: what, where, why, evidence, how to fix.
pub(crate) fn record_text(record: &TrialRecord, body_limit: usize) -> String {
    let mut out = String::new();
    if let Some(message) = &record.message {
        let _ = writeln!(out, "{message}");
    }
    let _ = writeln!(out, "check: {} ({})", record.check_id, record.check_name);
    let _ = writeln!(out, "{}", classification(record));
    if let Some(endpoint) = &record.endpoint {
        let _ = writeln!(out, "endpoint: {endpoint}");
    }
    let _ = writeln!(out, "target: {}", record.target);
    if let Some(location) = &record.location {
        let _ = writeln!(out, "--> {location}");
    }
    let evidence = evidence_text(record, body_limit);
    if !evidence.is_empty() {
        out.push('\n');
        out.push_str(&evidence);
    }
    if !record.remediation.is_empty() {
        let _ = write!(out, "\nremediation: {}\n", record.remediation);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_sentence_stops_at_a_sentence_not_at_a_dotted_name() {
        assert_eq!(
            first_sentence("Add `.env` to .gitignore. Then rotate keys."),
            "Add `.env` to .gitignore."
        );
        assert_eq!(
            first_sentence("One  sentence\nwrapped."),
            "One sentence wrapped."
        );
        assert_eq!(first_sentence(&"x".repeat(300)).chars().count(), 201);
    }

    #[test]
    fn truncate_counts_characters_not_bytes() {
        assert_eq!(truncate("héllo", 10), "héllo");
        assert_eq!(truncate("héllo", 2), "hé… [3 more characters]");
        assert_eq!(truncate("", 0), "");
    }
}
