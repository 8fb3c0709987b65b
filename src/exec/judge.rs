//! Judging a response: render an assertion's templated values, run its query, apply its predicate.

use crate::assert::{self, Queried, Response, Verdict};
use crate::expand::{render, render_json};
use crate::model::{AssertionKind, Predicate};
use minijinja::{Environment, Value};

/// Result of one assertion: pass, a failed predicate (a finding or failed control), or an error.
pub enum Judged {
    /// Held.
    Pass,
    /// Did not hold: what was expected and what came back.
    Fail(String),
    /// Could not be evaluated.
    Error(String),
}

fn render_pred(env: &Environment<'_>, p: &Predicate, ctx: &Value) -> Result<Predicate, String> {
    let t = |s: &str| render(env, s, ctx).map_err(|e| crate::template::describe(&e));
    let j =
        |v: &serde_json::Value| render_json(env, v, ctx).map_err(|e| crate::template::describe(&e));
    let opt = |v: &Option<serde_json::Value>| v.as_ref().map(j).transpose();
    Ok(Predicate {
        name: p.name.as_deref().map(t).transpose()?,
        path: p.path.as_deref().map(t).transpose()?,
        of: p.of.clone(),
        not: p.not,
        equals: opt(&p.equals)?,
        contains: opt(&p.contains)?,
        matches: p.matches.as_deref().map(t).transpose()?,
        exists: p.exists,
        absent: p.absent,
        one_of: p
            .one_of
            .as_ref()
            .map(|l| l.iter().map(j).collect::<Result<Vec<_>, _>>())
            .transpose()?,
        lt: opt(&p.lt)?,
        gt: opt(&p.gt)?,
        lte: opt(&p.lte)?,
        gte: opt(&p.gte)?,
        count: p.count.clone(),
    })
}

/// A short description of the query, for messages: `status`, `header x-frame-options`, `jsonpath $.id`.
pub fn describe_query(kind: &AssertionKind) -> String {
    match kind {
        AssertionKind::Status(_) => "status".to_owned(),
        AssertionKind::Header(p) => format!("header {}", p.name.as_deref().unwrap_or_default()),
        AssertionKind::Body(_) => "body".to_owned(),
        AssertionKind::Jsonpath(p) => format!("jsonpath {}", p.path.as_deref().unwrap_or_default()),
        AssertionKind::Duration(_) => "duration".to_owned(),
        AssertionKind::Size(_) => "size".to_owned(),
        AssertionKind::Secrets(_) => "secrets".to_owned(),
        AssertionKind::Keys(_) => "keys".to_owned(),
        AssertionKind::Value(p) => format!(
            "value {}",
            p.of.as_ref().map(|s| s.value.as_str()).unwrap_or_default()
        ),
        AssertionKind::Any(_) => "any".to_owned(),
    }
}

/// Evaluates one assertion against `resp` (absent for steps without a request).
pub fn judge(
    env: &Environment<'_>,
    kind: &AssertionKind,
    resp: Option<&Response>,
    ctx: &Value,
) -> Judged {
    let (p, query): (&Predicate, &str) = match kind {
        AssertionKind::Any(list) => {
            let mut fails = Vec::new();
            for inner in list {
                match judge(env, &inner.value, resp, ctx) {
                    Judged::Pass => return Judged::Pass,
                    Judged::Fail(m) => fails.push(format!("{}: {m}", describe_query(&inner.value))),
                    Judged::Error(e) => return Judged::Error(e),
                }
            }
            return Judged::Fail(format!("none held: {}", fails.join("; ")));
        }
        AssertionKind::Status(p) => (p, "status"),
        AssertionKind::Header(p) => (p, "header"),
        AssertionKind::Body(p) => (p, "body"),
        AssertionKind::Jsonpath(p) => (p, "jsonpath"),
        AssertionKind::Duration(p) => (p, "duration"),
        AssertionKind::Size(p) => (p, "size"),
        AssertionKind::Secrets(p) => (p, "secrets"),
        AssertionKind::Keys(p) => (p, "keys"),
        AssertionKind::Value(p) => (p, "value"),
    };
    let p = match render_pred(env, p, ctx) {
        Ok(p) => p,
        Err(e) => return Judged::Error(format!("template error in assertion: {e}")),
    };
    let got = match query_value(env, query, &p, resp, ctx) {
        Ok(q) => q,
        Err(e) => return Judged::Error(e),
    };
    match assert::eval_predicate(&p, &got) {
        Ok(Verdict::Pass) => Judged::Pass,
        Ok(Verdict::Fail(m)) => Judged::Fail(m),
        Err(e) => Judged::Error(e),
    }
}

fn query_value(
    env: &Environment<'_>,
    query: &str,
    p: &Predicate,
    resp: Option<&Response>,
    ctx: &Value,
) -> Result<Queried, String> {
    if query == "value" {
        let of = p.of.as_ref().ok_or("`value` needs `of`")?;
        let v = render_json(env, &serde_json::Value::String(of.value.clone()), ctx)
            .map_err(|e| crate::template::describe(&e))?;
        return Ok(match v {
            serde_json::Value::Null => Queried::Missing,
            serde_json::Value::String(s) if s.is_empty() => Queried::Missing,
            other => Queried::One(other),
        });
    }
    let r = resp.ok_or("this step sent no request")?;
    match query {
        "status" => Ok(assert::query_status(r)),
        "header" => Ok(assert::query_header(
            r,
            p.name.as_deref().unwrap_or_default(),
        )),
        "body" => assert::query_body(r),
        "jsonpath" => assert::query_jsonpath(r, p.path.as_deref().unwrap_or("$")),
        "duration" => Ok(Queried::One(serde_json::json!(r.duration_ms.round()))),
        "size" => Ok(Queried::One(serde_json::json!(r.body.len()))),
        "secrets" => assert::query_secrets(r),
        "keys" => assert::query_keys(r),
        other => Err(format!("unknown query `{other}`")),
    }
}

/// Runs a capture over a response: the captured value as JSON, or why nothing was captured.
pub fn capture(c: &crate::model::Capture, r: &Response) -> Result<serde_json::Value, String> {
    if c.status {
        return Ok(serde_json::json!(r.status));
    }
    if c.body {
        return assert::query_body(r).map(|q| match q {
            Queried::One(v) => v,
            _ => serde_json::Value::Null,
        });
    }
    if let Some(h) = &c.header {
        return r
            .header_values(h)
            .into_iter()
            .next()
            .map(serde_json::Value::String)
            .ok_or_else(|| format!("no `{h}` header in the response"));
    }
    if let Some(path) = &c.jsonpath {
        return match assert::query_jsonpath(r, path)? {
            Queried::One(v) => Ok(v),
            Queried::Many(vs) => Ok(vs.into_iter().next().unwrap_or_default()),
            Queried::Missing => Err(format!("JSONPath `{path}` matched nothing")),
        };
    }
    if let Some(re) = &c.regex {
        let rx = crate::assert::regex(re)?;
        let text = match assert::query_body(r)? {
            Queried::One(serde_json::Value::String(s)) => s,
            _ => String::new(),
        };
        let caps = rx
            .captures(&text)
            .ok_or_else(|| format!("regex /{re}/ matched nothing"))?;
        let m = caps
            .get(1)
            .or_else(|| caps.get(0))
            .map(|m| m.as_str().to_owned())
            .unwrap_or_default();
        return Ok(serde_json::Value::String(m));
    }
    Err("empty capture".to_owned())
}
