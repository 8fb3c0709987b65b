//! Test fixtures: a builder for trial records and one fixed set that every report snapshot is taken from.
//!
//! Durations are fixed and every string is literal, so snapshots only change when a reporter does.

use crate::results::{Exchange, Outcome, Severity, TrialRecord};

/// A record named `category::check-id[label]`, with the category, check id, label and endpoint taken from
/// the name and plausible metadata filled in.
pub(crate) fn record(name: &str, severity: Severity, outcome: Outcome) -> TrialRecord {
    let (category, rest) = name.split_once("::").unwrap_or(("authentication", name));
    let (check_id, label) = match rest.split_once('[') {
        Some((id, label)) => (id, Some(label.trim_end_matches(']').to_string())),
        None => (rest, None),
    };
    let message = match outcome {
        Outcome::Pass => None,
        Outcome::Finding => Some("expected status in [401, 403], got 200".to_string()),
        Outcome::Error => Some("request timed out after 10s".to_string()),
        Outcome::Skipped => Some("needs a second identity".to_string()),
    };
    TrialRecord {
        name: name.to_string(),
        check_id: check_id.to_string(),
        check_name: format!("Check {check_id}"),
        category: category.to_string(),
        severity,
        owasp: Some("API2:2023".to_string()),
        cwe: vec!["CWE-306".to_string()],
        tags: vec!["safe".to_string()],
        endpoint: label.clone(),
        label,
        target: "http://127.0.0.1:8080".to_string(),
        outcome,
        message,
        location: (outcome != Outcome::Pass)
            .then(|| format!("checks/{category}/{check_id}.yaml:12:9")),
        description: format!("Description of {check_id}."),
        remediation: format!("Fix {check_id}."),
        references: vec![
            "https://owasp.org/API-Security/editions/2023/en/0xa2-broken-authentication/"
                .to_string(),
        ],
        evidence: Vec::new(),
        duration_ms: 12.0,
    }
}

/// One exchange with a multi-line JSON body and a secret already redacted.
fn exchange(step: usize, method: &str, url: &str, status: u16, body: &str) -> Exchange {
    Exchange {
        step,
        method: method.to_string(),
        url: url.to_string(),
        request_headers: vec![
            ("accept".to_string(), "application/json".to_string()),
            ("authorization".to_string(), "Bearer [REDACTED]".to_string()),
        ],
        request_body: None,
        status: Some(status),
        response_headers: vec![("content-type".to_string(), "application/json".to_string())],
        response_body: Some(body.to_string()),
        response_bytes: body.len() as u64,
        truncated: false,
        curl: format!("curl -sS -X {method} '{url}' -H 'authorization: Bearer [REDACTED]'"),
        duration_ms: 4.5,
    }
}

/// The fixed set: passes, findings of every severity across several categories, one error, one skip, and
/// evidence with a multi-line body. Deliberately out of order, since reporters must sort.
pub(crate) fn fixture_records() -> Vec<TrialRecord> {
    let mut out = Vec::new();

    let mut r = record(
        "bola::read-foreign-order[GET /orders/{id}]",
        Severity::Critical,
        Outcome::Finding,
    );
    r.check_name = "Orders of another user are readable".to_string();
    r.owasp = Some("API1:2023".to_string());
    r.cwe = vec!["CWE-639".to_string()];
    r.message = Some("expected status in [403, 404], got 200".to_string());
    r.remediation = "Check that the order belongs to the caller before returning it.".to_string();
    r.references = vec![
        "https://owasp.org/API-Security/editions/2023/en/0xa1-broken-object-level-authorization/"
            .to_string(),
    ];
    r.evidence = vec![
        exchange(
            0,
            "POST",
            "http://127.0.0.1:8080/orders",
            201,
            "{\"id\": 7}",
        ),
        exchange(
            1,
            "GET",
            "http://127.0.0.1:8080/orders/7",
            200,
            "{\n  \"id\": 7,\n  \"owner\": \"alice\",\n  \"card\": \"4111 **** **** 1111\",\n  \"note\": \"<b>&</b>\"\n}",
        ),
    ];
    out.push(r);

    out.push(record(
        "authentication::no-token-accepted[GET /orders]",
        Severity::High,
        Outcome::Pass,
    ));
    let mut r = record(
        "authentication::no-token-accepted[GET /users/{id}]",
        Severity::High,
        Outcome::Finding,
    );
    r.check_name = "Protected endpoint answers without credentials".to_string();
    r.evidence = vec![exchange(
        0,
        "GET",
        "http://127.0.0.1:8080/users/1",
        200,
        "{\"id\": 1, \"email\": \"a@example.test\"}",
    )];
    out.push(r);

    let mut r = record(
        "data-exposure::verbose-errors[POST /login]",
        Severity::Medium,
        Outcome::Finding,
    );
    r.owasp = Some("API8:2023".to_string());
    r.cwe = vec!["CWE-209".to_string(), "CWE-497".to_string()];
    r.message =
        Some("expected body not to match `Traceback|at [a-z.]+\\(`, got a stack trace".to_string());
    let long_body = format!(
        "Traceback (most recent call last):\n{}",
        "  File \"app.py\", line 1\n".repeat(120)
    );
    r.evidence = vec![exchange(
        0,
        "POST",
        "http://127.0.0.1:8080/login",
        500,
        &long_body,
    )];
    out.push(r);
    out.push(record(
        "data-exposure::verbose-errors[GET /users/{id}]",
        Severity::Medium,
        Outcome::Pass,
    ));

    for path in ["/orders", "/users/{id}", "/login"] {
        let mut r = record(
            &format!("encryption::missing-hsts[GET {path}]"),
            Severity::Low,
            Outcome::Finding,
        );
        r.owasp = Some("API8:2023".to_string());
        r.cwe = vec!["CWE-319".to_string()];
        r.message =
            Some("expected header `strict-transport-security` to exist, got none".to_string());
        out.push(r);
    }

    let mut r = record("inventory::server-banner", Severity::Info, Outcome::Finding);
    r.owasp = Some("API9:2023".to_string());
    r.cwe = vec![];
    r.message = Some("expected header `server` to be absent, got `lab/1.0`".to_string());
    out.push(r);

    let mut r = record(
        "rate-limiting::no-login-throttle[POST /login]",
        Severity::High,
        Outcome::Error,
    );
    r.owasp = Some("API4:2023".to_string());
    r.cwe = vec!["CWE-770".to_string()];
    r.location = Some("checks/rate-limiting/no-login-throttle.yaml:20:5".to_string());
    out.push(r);

    let mut r = record(
        "bfla::admin-route-as-user[DELETE /admin/users/{id}]",
        Severity::High,
        Outcome::Skipped,
    );
    r.message = Some("needs identity with role `user`; the profile defines none".to_string());
    out.push(r);

    out.push(record(
        "input-validation::oversized-payload[POST /orders]",
        Severity::Medium,
        Outcome::Pass,
    ));
    out.push(record(
        "bola::read-foreign-order[GET /invoices/{id}]",
        Severity::Critical,
        Outcome::Pass,
    ));
    same_metadata_per_check(&mut out);
    out
}

/// Gives every trial of a check the metadata of its first trial above, as the runner would: metadata belongs
/// to the check, not to the trial.
fn same_metadata_per_check(records: &mut [TrialRecord]) {
    let firsts: Vec<TrialRecord> = records.to_vec();
    for record in records.iter_mut() {
        if let Some(first) = firsts.iter().find(|f| f.check_id == record.check_id) {
            record.check_name.clone_from(&first.check_name);
            record.owasp.clone_from(&first.owasp);
            record.cwe.clone_from(&first.cwe);
            record.description.clone_from(&first.description);
            record.remediation.clone_from(&first.remediation);
            record.references.clone_from(&first.references);
        }
    }
}
