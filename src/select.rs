//! Selection: which checks a suite runs.

use crate::model::{Check, Suite};

/// True when `check` matches every non-empty criterion of `s` (tags: any of them).
fn matches(sel: &crate::model::Selector, check: &Check) -> Option<bool> {
    if sel.is_empty() {
        return None;
    }
    let info = check.info();
    let ok = (sel.categories.is_empty()
        || sel.categories.iter().any(|c| c == info.category.as_str()))
        && (sel.tags.is_empty() || sel.tags.iter().any(|t| info.tags.contains(t)))
        && (sel.severities.is_empty() || sel.severities.contains(&info.severity))
        && (sel.ids.is_empty() || sel.ids.iter().any(|i| i == check.id()));
    Some(ok)
}

/// Methods a check may send, as far as they are known statically: `None` when a method is a
/// template or the check sends raw bytes (so a method-restricted suite must drop it).
pub fn static_methods(check: &Check) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for step in &check.file.steps {
        let Some(req) = &step.value.request else {
            continue;
        };
        if req.value.raw.is_some() {
            return None;
        }
        let m = req
            .value
            .method
            .as_ref()
            .map(|m| m.value.clone())
            .unwrap_or_else(|| "GET".into());
        if crate::expand::is_template(&m) {
            return None;
        }
        out.push(m.to_ascii_uppercase());
    }
    Some(out)
}

/// The checks `suite` selects, in the given order.
pub fn select<'a>(suite: &Suite, checks: &'a [Check]) -> Vec<&'a Check> {
    checks
        .iter()
        .filter(|c| matches(&suite.include, c).unwrap_or(true))
        .filter(|c| !matches(&suite.exclude, c).unwrap_or(false))
        .filter(|c| {
            suite.methods.is_empty()
                || static_methods(c).is_some_and(|ms| {
                    ms.iter()
                        .all(|m| suite.methods.iter().any(|a| a.eq_ignore_ascii_case(m)))
                })
        })
        .collect()
}
