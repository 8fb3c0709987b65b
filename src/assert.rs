//! Assertions: a query reads a value from a response, a predicate judges it.
//!
//! Pure functions over a captured [`Response`], each kind small and tested alone. A failed
//! predicate is a [`Verdict::Fail`] with what was expected and what came back; a query that cannot be
//! evaluated (a JSONPath over a body that is not JSON, a body cut at the size cap) is an error,
//! because an unknown answer must never pass as a secure one.

use crate::model::Predicate;
use regex::Regex;
use serde_json::Value;
use std::sync::LazyLock;

/// A response as the judge sees it.
#[derive(Debug, Clone, Default)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers in order; names lowercased.
    pub headers: Vec<(String, String)>,
    /// Body bytes read (at most the cap).
    pub body: Vec<u8>,
    /// True when the body was cut at the cap.
    pub truncated: bool,
    /// Time to the last byte, in milliseconds.
    pub duration_ms: f64,
}

impl Response {
    /// Body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Values of header `name` (case-insensitive).
    pub fn header_values(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<Value, String> {
        self.guard_body()?;
        serde_json::from_slice(&self.body).map_err(|e| {
            let head: String = self.text().chars().take(60).collect();
            format!("response body is not JSON ({e}); it starts with {head:?}")
        })
    }

    fn guard_body(&self) -> Result<(), String> {
        if self.truncated {
            Err(format!(
                "response body exceeded the profile's max_body_bytes (read {} bytes); body assertions cannot be decided",
                self.body.len()
            ))
        } else {
            Ok(())
        }
    }
}

/// What a query produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Queried {
    /// Nothing there (no header, no JSONPath match).
    Missing,
    /// One value.
    One(Value),
    /// Several values (repeated header, several JSONPath matches, a list of secrets or keys).
    Many(Vec<Value>),
}

impl Queried {
    fn describe(&self) -> String {
        match self {
            Queried::Missing => "nothing".to_owned(),
            Queried::One(v) => short(v),
            Queried::Many(vs) => {
                format!("[{}]", vs.iter().map(short).collect::<Vec<_>>().join(", "))
            }
        }
    }

    fn values(&self) -> Vec<&Value> {
        match self {
            Queried::Missing => Vec::new(),
            Queried::One(v) => vec![v],
            Queried::Many(vs) => vs.iter().collect(),
        }
    }
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if s.chars().count() > 200 {
        format!("{}…", s.chars().take(200).collect::<String>())
    } else {
        s
    }
}

/// Reads the status.
pub fn query_status(r: &Response) -> Queried {
    Queried::One(Value::from(r.status))
}

/// Reads a header: missing, one value, or all values when repeated.
pub fn query_header(r: &Response, name: &str) -> Queried {
    let vals = r.header_values(name);
    match vals.len() {
        0 => Queried::Missing,
        1 => Queried::One(Value::String(vals[0].clone())),
        _ => Queried::Many(vals.into_iter().map(Value::String).collect()),
    }
}

/// Reads the body as text.
pub fn query_body(r: &Response) -> Result<Queried, String> {
    r.guard_body()?;
    Ok(Queried::One(Value::String(r.text())))
}

/// Evaluates a JSONPath over the JSON body.
pub fn query_jsonpath(r: &Response, path: &str) -> Result<Queried, String> {
    let json = r.json()?;
    jsonpath(&json, path)
}

static JSONPATH_CACHE: LazyLock<
    std::sync::RwLock<
        std::collections::HashMap<String, std::sync::Arc<jsonpath_rust::parser::model::JpQuery>>,
    >,
> = LazyLock::new(Default::default);

/// Parses a JSONPath once per run.
fn parsed_jsonpath(
    path: &str,
) -> Result<std::sync::Arc<jsonpath_rust::parser::model::JpQuery>, String> {
    if let Some(q) = JSONPATH_CACHE
        .read()
        .ok()
        .and_then(|c| c.get(path).cloned())
    {
        return Ok(q);
    }
    let q = std::sync::Arc::new(jsonpath_rust::parser::parse_json_path(path).map_err(|e| {
        format!(
            "invalid JSONPath `{path}`: {}",
            e.to_string().lines().next().unwrap_or_default()
        )
    })?);
    if let Ok(mut cache) = JSONPATH_CACHE.write() {
        if cache.len() > 4096 {
            cache.clear();
        }
        cache.insert(path.to_owned(), std::sync::Arc::clone(&q));
    }
    Ok(q)
}

/// Evaluates a JSONPath over a JSON value.
pub fn jsonpath(json: &Value, path: &str) -> Result<Queried, String> {
    let query = parsed_jsonpath(path)?;
    let found: Vec<&Value> = jsonpath_rust::query::js_path_process(&query, json)
        .map(|refs| refs.into_iter().map(|r| r.val).collect())
        .map_err(|e| {
            format!(
                "invalid JSONPath `{path}`: {}",
                e.to_string().lines().next().unwrap_or_default()
            )
        })?;
    Ok(match found.len() {
        0 => Queried::Missing,
        1 => Queried::One(found[0].clone()),
        _ => Queried::Many(found.into_iter().cloned().collect()),
    })
}

/// Lists every object key in the JSON body, recursively, lowercased. A non-JSON body has no keys.
pub fn query_keys(r: &Response) -> Result<Queried, String> {
    r.guard_body()?;
    let Ok(json) = serde_json::from_slice::<Value>(&r.body) else {
        return Ok(Queried::Many(Vec::new()));
    };
    let mut keys = Vec::new();
    collect_keys(&json, &mut keys);
    keys.sort();
    keys.dedup();
    Ok(Queried::Many(keys.into_iter().map(Value::String).collect()))
}

fn collect_keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, val) in m {
                out.push(k.to_ascii_lowercase());
                collect_keys(val, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_keys(i, out)),
        _ => {}
    }
}

struct SecretPattern {
    kind: &'static str,
    re: Regex,
}

static SECRET_PATTERNS: LazyLock<Vec<SecretPattern>> = LazyLock::new(|| {
    let p = |kind, re: &str| SecretPattern {
        kind,
        re: Regex::new(re).expect("built-in secret pattern"),
    };
    vec![
        p("aws-access-key-id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
        p(
            "private-key",
            r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----",
        ),
        p(
            "jwt",
            r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        ),
        p("github-token", r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
        p("slack-token", r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
        p("stripe-secret-key", r"\bsk_live_[A-Za-z0-9]{16,}"),
        p("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
        p(
            "password-hash",
            r"\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}|\$argon2(?:id|i|d)\$[^\s\x22]+",
        ),
    ]
});

static CARD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:\d[ -]?){13,19}\b").expect("card pattern"));

/// Passes the Luhn checksum (card numbers).
pub fn luhn(digits: &str) -> bool {
    let ds: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    if ds.len() < 13 || ds.len() > 19 {
        return false;
    }
    let sum: u32 = ds
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                *d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Finds secret-shaped values in `text`; returns `kind: redacted-prefix` strings.
pub fn find_secrets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for p in SECRET_PATTERNS.iter() {
        for m in p.re.find_iter(text) {
            out.push(format!(
                "{}: {}…",
                p.kind,
                m.as_str().chars().take(6).collect::<String>()
            ));
        }
    }
    for m in CARD.find_iter(text) {
        let digits: String = m.as_str().chars().filter(char::is_ascii_digit).collect();
        // Card numbers start with 2-6; long runs of one digit are ids or padding, not cards.
        let plausible = matches!(digits.chars().next(), Some('2'..='6'))
            && digits
                .chars()
                .collect::<std::collections::HashSet<_>>()
                .len()
                > 1;
        if plausible && luhn(&digits) {
            out.push(format!("card-number: {}…", &digits[..4]));
        }
    }
    out
}

/// Secret-shaped values in the body.
pub fn query_secrets(r: &Response) -> Result<Queried, String> {
    r.guard_body()?;
    Ok(Queried::Many(
        find_secrets(&r.text())
            .into_iter()
            .map(Value::String)
            .collect(),
    ))
}

static REGEX_CACHE: LazyLock<
    std::sync::RwLock<std::collections::HashMap<String, std::sync::Arc<Regex>>>,
> = LazyLock::new(Default::default);

/// Compiles `pattern` once per run: assertions are evaluated per trial, often thousands of times.
pub fn regex(pattern: &str) -> Result<std::sync::Arc<Regex>, String> {
    if let Some(rx) = REGEX_CACHE
        .read()
        .ok()
        .and_then(|c| c.get(pattern).cloned())
    {
        return Ok(rx);
    }
    let rx = std::sync::Arc::new(Regex::new(pattern).map_err(|e| {
        format!(
            "invalid regex: {}",
            e.to_string().lines().last().unwrap_or_default()
        )
    })?);
    if let Ok(mut cache) = REGEX_CACHE.write() {
        // Patterns come from check files; the bound only guards against templated ones.
        if cache.len() > 4096 {
            cache.clear();
        }
        cache.insert(pattern.to_owned(), std::sync::Arc::clone(&rx));
    }
    Ok(rx)
}

/// Outcome of judging one value.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The predicate held.
    Pass,
    /// It did not: `expected ..., got ...`.
    Fail(String),
}

/// The predicate with its template values already rendered (strings in `equals`, `matches`, ...).
pub fn eval_predicate(p: &Predicate, got: &Queried) -> Result<Verdict, String> {
    let (holds, expected) = eval_positive(p, got)?;
    let holds = holds != p.not;
    let expected = if p.not {
        format!("not {expected}")
    } else {
        expected
    };
    Ok(if holds {
        Verdict::Pass
    } else {
        Verdict::Fail(format!("expected {expected}, got {}", got.describe()))
    })
}

fn eval_positive(p: &Predicate, got: &Queried) -> Result<(bool, String), String> {
    let vals = got.values();
    if let Some(want) = &p.equals {
        let ok = match got {
            Queried::Many(vs) => {
                matches!(want, Value::Array(w) if w.len() == vs.len() && w.iter().zip(vs).all(|(a, b)| loose_eq(a, b)))
            }
            _ => vals.first().is_some_and(|v| loose_eq(want, v)),
        };
        return Ok((ok, format!("equal to {}", short(want))));
    }
    if let Some(want) = &p.contains {
        let needle = text_of(want);
        let ok = vals.iter().any(|v| match v {
            Value::Array(items) => items.iter().any(|i| loose_eq(want, i)),
            Value::String(s) => s.contains(&needle),
            other => other.to_string().contains(&needle),
        }) || (matches!(got, Queried::Many(_)) && vals.iter().any(|v| loose_eq(want, v)));
        return Ok((ok, format!("to contain {}", short(want))));
    }
    if let Some(re) = &p.matches {
        let rx = regex(re)?;
        let ok = vals.iter().any(|v| rx.is_match(&text_of(v)));
        return Ok((ok, format!("to match /{re}/")));
    }
    if p.exists == Some(true) {
        return Ok((!vals.is_empty(), "to exist".to_owned()));
    }
    if p.absent == Some(true) {
        return Ok((vals.is_empty(), "to be absent".to_owned()));
    }
    if let Some(list) = &p.one_of {
        let ok = vals
            .first()
            .is_some_and(|v| list.iter().any(|w| loose_eq(w, v)));
        let shown: Vec<String> = list.iter().map(short).collect();
        return Ok((ok, format!("one of [{}]", shown.join(", "))));
    }
    for (bound, name, cmp) in [
        (
            &p.lt,
            "less than",
            (|a: f64, b: f64| a < b) as fn(f64, f64) -> bool,
        ),
        (&p.gt, "greater than", |a, b| a > b),
        (&p.lte, "at most", |a, b| a <= b),
        (&p.gte, "at least", |a, b| a >= b),
    ] {
        if let Some(b) = bound {
            let limit = number(b).ok_or_else(|| format!("`{}` is not a number", short(b)))?;
            let ok = vals
                .first()
                .and_then(|v| number(v))
                .is_some_and(|x| cmp(x, limit));
            return Ok((ok, format!("{name} {}", short(b))));
        }
    }
    if let Some(inner) = &p.count {
        let n = match got {
            Queried::Missing => 0,
            Queried::One(Value::Array(items)) => items.len(),
            Queried::One(_) => 1,
            Queried::Many(vs) => vs.len(),
        };
        let verdict = eval_predicate(inner, &Queried::One(Value::from(n)))?;
        let (_, expected) = eval_positive(inner, &Queried::One(Value::from(n)))?;
        return Ok((
            verdict == Verdict::Pass,
            format!("a count {expected} (count is {n})"),
        ));
    }
    Err("assertion has no predicate".to_owned())
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Equality that treats `5` and `"5"` alike (templates render to strings) and compares numbers
/// numerically; everything else compares structurally.
pub fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => {
            s.trim().parse::<f64>().ok() == n.as_f64()
        }
        (Value::String(s), Value::Bool(b)) | (Value::Bool(b), Value::String(s)) => {
            s == &b.to_string()
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
            truncated: false,
            duration_ms: 12.0,
        }
    }

    fn pred(f: impl FnOnce(&mut Predicate)) -> Predicate {
        let mut p = Predicate::default();
        f(&mut p);
        p
    }

    #[test]
    fn status_in_and_not() {
        let r = resp(200, &[], "");
        let p = pred(|p| p.one_of = Some(vec![json!(401), json!(403)]));
        assert_eq!(
            eval_predicate(&p, &query_status(&r)).unwrap(),
            Verdict::Fail("expected one of [401, 403], got 200".into())
        );
        let p = pred(|p| {
            p.equals = Some(json!(200));
            p.not = true;
        });
        assert!(
            matches!(eval_predicate(&p, &query_status(&r)).unwrap(), Verdict::Fail(m) if m.contains("not equal to 200"))
        );
        assert_eq!(
            eval_predicate(&pred(|p| p.lt = Some(json!(300))), &query_status(&r)).unwrap(),
            Verdict::Pass
        );
        assert_eq!(
            eval_predicate(&pred(|p| p.gte = Some(json!("200"))), &query_status(&r)).unwrap(),
            Verdict::Pass
        );
    }

    #[test]
    fn header_queries() {
        let r = resp(
            200,
            &[
                ("x-content-type-options", "nosniff"),
                ("set-cookie", "a=1"),
                ("set-cookie", "b=2; Secure"),
            ],
            "",
        );
        assert_eq!(
            eval_predicate(
                &pred(|p| p.equals = Some(json!("nosniff"))),
                &query_header(&r, "X-Content-Type-Options")
            )
            .unwrap(),
            Verdict::Pass
        );
        assert_eq!(
            eval_predicate(
                &pred(|p| p.absent = Some(true)),
                &query_header(&r, "server")
            )
            .unwrap(),
            Verdict::Pass
        );
        assert!(matches!(
            eval_predicate(
                &pred(|p| p.exists = Some(true)),
                &query_header(&r, "server")
            )
            .unwrap(),
            Verdict::Fail(_)
        ));
        assert_eq!(
            eval_predicate(
                &pred(|p| p.matches = Some("Secure".into())),
                &query_header(&r, "set-cookie")
            )
            .unwrap(),
            Verdict::Pass
        );
        assert_eq!(
            eval_predicate(
                &pred(|p| p.count = Some(Box::new(pred(|c| c.equals = Some(json!(2)))))),
                &query_header(&r, "set-cookie")
            )
            .unwrap(),
            Verdict::Pass
        );
    }

    #[test]
    fn jsonpath_and_body() {
        let r = resp(
            200,
            &[],
            r#"{"id": 5, "items": [{"n": 1}, {"n": 2}], "role": "user"}"#,
        );
        assert_eq!(
            eval_predicate(
                &pred(|p| p.equals = Some(json!("5"))),
                &query_jsonpath(&r, "$.id").unwrap()
            )
            .unwrap(),
            Verdict::Pass
        );
        assert_eq!(
            eval_predicate(
                &pred(|p| p.count = Some(Box::new(pred(|c| c.lt = Some(json!(3)))))),
                &query_jsonpath(&r, "$.items[*]").unwrap()
            )
            .unwrap(),
            Verdict::Pass
        );
        assert_eq!(
            eval_predicate(
                &pred(|p| p.absent = Some(true)),
                &query_jsonpath(&r, "$..password").unwrap()
            )
            .unwrap(),
            Verdict::Pass
        );
        assert_eq!(
            eval_predicate(
                &pred(|p| p.contains = Some(json!("role"))),
                &query_body(&r).unwrap()
            )
            .unwrap(),
            Verdict::Pass
        );
        assert_eq!(
            eval_predicate(
                &pred(|p| p.contains = Some(json!("role"))),
                &query_keys(&r).unwrap()
            )
            .unwrap(),
            Verdict::Pass
        );
        let bad = resp(200, &[], "<html>");
        assert!(
            query_jsonpath(&bad, "$.id")
                .unwrap_err()
                .contains("not JSON")
        );
    }

    #[test]
    fn truncated_bodies_cannot_pass() {
        let mut r = resp(200, &[], "{}");
        r.truncated = true;
        assert!(query_body(&r).is_err());
        assert!(query_jsonpath(&r, "$.a").is_err());
        assert!(query_secrets(&r).is_err());
    }

    #[test]
    fn secrets_and_luhn() {
        assert!(luhn("4111111111111111"));
        assert!(!luhn("4111111111111112"));
        let found =
            find_secrets("key AKIAABCDEFGHIJKLMNOP card 4111 1111 1111 1111 id 1000000000000000");
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(find_secrets(r#"{"id": 123, "name": "x"}"#).is_empty());
    }
}
