//! Unit tests of the scoring model, one per rule of `docs/scoring.md`.

use super::*;
use crate::report::fixtures::{fixture_records, record};
use crate::results::Outcome::{Error, Finding, Pass, Skipped};
use crate::results::Severity::{Critical, High, Info, Low, Medium};

fn category<'a>(score: &'a Score, name: &str) -> &'a CategoryScore {
    score
        .categories
        .iter()
        .find(|c| c.category == name)
        .unwrap_or_else(|| panic!("no category {name}"))
}

#[test]
fn weights_sum_to_100_in_canonical_order() {
    assert_eq!(CATEGORY_WEIGHTS.iter().map(|(_, w)| w).sum::<u32>(), 100);
    let names: Vec<_> = compute(&[])
        .categories
        .into_iter()
        .map(|c| c.category)
        .collect();
    assert_eq!(names, CATEGORY_WEIGHTS.map(|(n, _)| n.to_string()));
}

#[test]
fn one_finding_costs_its_severity_points() {
    for (severity, expected) in [
        (Critical, 60),
        (High, 80),
        (Medium, 92),
        (Low, 97),
        (Info, 100),
    ] {
        let s = compute(&[record("bola::x[GET /a]", severity, Finding)]);
        assert_eq!(category(&s, "bola").score, Some(expected), "{severity}");
        assert_eq!(category(&s, "bola").worst, Some(severity));
    }
}

#[test]
fn repeated_check_adds_ten_percent_per_extra_trial_capped_at_double() {
    let recs: Vec<_> = (0..3)
        .map(|i| record(&format!("encryption::hsts[GET /{i}]"), Low, Finding))
        .collect();
    let s = compute(&recs);
    let c = category(&s, "encryption");
    assert_eq!(c.penalty, 3.6);
    assert_eq!(c.score, Some(96));
    assert_eq!(c.penalties.len(), 1);
    assert_eq!(c.penalties[0].trials, 3);

    // One missing header on 200 endpoints costs twice one instance, not 200 times.
    let recs: Vec<_> = (0..200)
        .map(|i| record(&format!("encryption::hsts[GET /{i}]"), Medium, Finding))
        .collect();
    let s = compute(&recs);
    assert_eq!(category(&s, "encryption").penalty, 16.0);
    assert_eq!(category(&s, "encryption").score, Some(84));
}

#[test]
fn distinct_checks_add_up_and_the_category_floors_at_zero() {
    let recs = vec![
        record("bola::a[GET /a]", Critical, Finding),
        record("bola::b[GET /a]", Critical, Finding),
        record("bola::c[GET /a]", Critical, Finding),
    ];
    let s = compute(&recs);
    assert_eq!(category(&s, "bola").penalty, 120.0);
    assert_eq!(category(&s, "bola").score, Some(0));
}

#[test]
fn an_error_costs_half_points_and_marks_the_category() {
    let s = compute(&[record("ssrf::meta[GET /a]", High, Error)]);
    let c = category(&s, "ssrf");
    assert!(c.tested);
    assert!(c.has_errors());
    assert_eq!(c.score, Some(90));
    assert_eq!(c.penalties[0].kind, PenaltyKind::Error);
    assert_eq!(c.worst, None, "errors are not findings");
    assert!(s.caps_applied.is_empty(), "errors never trigger caps");

    // A low error costs 1.5: hundredths keep it exact.
    let s = compute(&[record("ssrf::meta[GET /a]", Low, Error)]);
    assert_eq!(category(&s, "ssrf").penalty, 1.5);
    assert_eq!(category(&s, "ssrf").score, Some(99), "98.5 rounds half up");
}

#[test]
fn an_info_error_costs_nothing_but_is_still_an_error() {
    let s = compute(&[record("inventory::banner", Info, Error)]);
    let c = category(&s, "inventory");
    assert_eq!((c.score, c.errors, c.has_errors()), (Some(100), 1, true));
    assert!(c.penalties.is_empty());
}

#[test]
fn skipped_only_category_is_not_tested_and_excluded() {
    let recs = vec![
        record("ssrf::meta[GET /a]", High, Skipped),
        record("bola::x[GET /a]", Medium, Finding),
    ];
    let s = compute(&recs);
    let ssrf = category(&s, "ssrf");
    assert_eq!((ssrf.tested, ssrf.score, ssrf.skipped), (false, None, 1));
    // Only bola (92) is tested: the mean is bola's score, not lifted by free points.
    assert_eq!(s.tested_weight, 15);
    assert_eq!(s.score, Some(92));
    assert_eq!(s.grade, Some(Grade::A));
}

#[test]
fn nothing_tested_means_no_score() {
    for recs in [vec![], vec![record("ssrf::meta[GET /a]", High, Skipped)]] {
        let s = compute(&recs);
        assert_eq!(
            (s.score, s.grade, s.uncapped_score, s.tested_weight),
            (None, None, None, 0)
        );
        assert!(s.categories.iter().all(|c| !c.tested && c.score.is_none()));
    }
}

#[test]
fn weights_are_renormalised_over_tested_categories() {
    // bola (15) scores 80, encryption (7) scores 100: (15*80 + 7*100) / 22 = 86.36 -> 86.
    let recs = vec![
        record("bola::x[GET /a]", High, Finding),
        record("encryption::hsts[GET /a]", Low, Pass),
    ];
    let s = compute(&recs);
    assert_eq!(s.tested_weight, 22);
    assert_eq!(s.uncapped_score, Some(86));
    assert_eq!(s.score, Some(79), "a high finding caps at 79");
    assert_eq!(s.grade, Some(Grade::C));
}

#[test]
fn critical_caps_at_69_and_high_at_79() {
    let mut recs: Vec<_> = CATEGORY_WEIGHTS
        .iter()
        .map(|(c, _)| record(&format!("{c}::ok[GET /a]"), Medium, Pass))
        .collect();
    assert_eq!(compute(&recs).score, Some(100));

    recs.push(record("authentication::weak[GET /a]", High, Finding));
    let s = compute(&recs);
    assert_eq!(
        (s.uncapped_score, s.score, s.grade),
        (Some(97), Some(79), Some(Grade::C))
    );
    assert_eq!(s.caps_applied, vec!["1 high finding caps the score at 79"]);

    recs.push(record("bola::foreign[GET /a]", Critical, Finding));
    recs.push(record("bola::foreign[GET /b]", Critical, Finding));
    let s = compute(&recs);
    assert_eq!((s.score, s.grade), (Some(69), Some(Grade::D)));
    assert_eq!(
        s.caps_applied,
        vec![
            "2 critical findings cap the score at 69",
            "1 high finding caps the score at 79"
        ]
    );
}

#[test]
fn caps_never_raise_a_low_score() {
    let recs = vec![
        record("bola::a[GET /a]", Critical, Finding),
        record("bola::b[GET /a]", Critical, Finding),
    ];
    let s = compute(&recs);
    assert_eq!((s.score, s.grade), (Some(20), Some(Grade::F)));
}

#[test]
fn grade_bands() {
    let cases = [
        (100, Grade::A),
        (90, Grade::A),
        (89, Grade::B),
        (80, Grade::B),
        (79, Grade::C),
    ];
    for (score, grade) in cases.into_iter().chain([
        (70, Grade::C),
        (69, Grade::D),
        (60, Grade::D),
        (59, Grade::F),
        (0, Grade::F),
    ]) {
        assert_eq!(Grade::from_score(score), grade, "{score}");
    }
}

#[test]
fn score_is_independent_of_record_order() {
    let recs = fixture_records();
    let mut reversed = recs.clone();
    reversed.reverse();
    let mut rotated = recs.clone();
    rotated.rotate_left(5);
    let a = compute(&recs);
    assert_eq!(a, compute(&reversed));
    assert_eq!(a, compute(&rotated));
    let json = |s: &Score| serde_json::to_string(s).unwrap_or_default();
    assert_eq!(json(&a), json(&compute(&reversed)));
}

#[test]
fn unknown_categories_are_shown_with_weight_zero() {
    let recs = vec![
        record("zz-custom::x[GET /a]", High, Finding),
        record("aa-custom::y[GET /a]", Low, Pass),
        record("bola::x[GET /a]", Low, Pass),
    ];
    let s = compute(&recs);
    let tail: Vec<_> = s.categories[12..]
        .iter()
        .map(|c| (c.category.as_str(), c.weight))
        .collect();
    assert_eq!(tail, vec![("aa-custom", 0), ("zz-custom", 0)]);
    assert_eq!(s.tested_weight, 15);
    assert_eq!(s.uncapped_score, Some(100));
    assert_eq!(s.score, Some(79), "the high finding still caps");
}

/// The worked example of `docs/scoring.md`: keep the two in step.
#[test]
fn worked_example_from_the_docs() {
    let mut recs = vec![
        record(
            "authentication::no-token-accepted[GET /users/{id}]",
            High,
            Finding,
        ),
        record(
            "authentication::no-token-accepted[GET /orders/{id}]",
            High,
            Finding,
        ),
        record("authentication::no-token-accepted[GET /orders]", High, Pass),
        record("authentication::jwt-none-alg[GET /me]", Critical, Pass),
        record("authentication::expired-token[GET /me]", High, Pass),
        record(
            "rate-limiting::no-login-throttle[POST /login]",
            Medium,
            Error,
        ),
        record("bola::read-foreign-order[GET /orders/{id}]", Critical, Pass),
        record("bola::read-foreign-user[GET /users/{id}]", Critical, Pass),
        record("ssrf::url-param-metadata", High, Skipped),
    ];
    for i in 0..12 {
        recs.push(record(
            &format!("encryption::missing-hsts[GET /e{i:02}]"),
            Low,
            Finding,
        ));
    }
    let s = compute(&recs);
    let row = |n: &str| {
        let c = category(&s, n);
        (c.score, c.penalty)
    };
    assert_eq!(row("authentication"), (Some(78), 22.0));
    assert_eq!(row("bola"), (Some(100), 0.0));
    assert_eq!(row("rate-limiting"), (Some(96), 4.0));
    assert_eq!(row("encryption"), (Some(94), 6.0));
    assert!(!category(&s, "ssrf").tested);
    assert_eq!(s.tested_weight, 44);
    // (15*78 + 15*100 + 7*96 + 7*94) / 44 = 4000 / 44 = 90.91 -> 91, then the high cap.
    assert_eq!(s.uncapped_score, Some(91));
    assert_eq!((s.score, s.grade), (Some(79), Some(Grade::C)));
    assert_eq!(s.caps_applied, vec!["2 high findings cap the score at 79"]);
}
