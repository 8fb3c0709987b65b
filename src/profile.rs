//! Profile validation and the values a profile contributes to templates.
//!
//! Validation runs at load time so a typo in an identity name or a missing environment variable stops
//! the run before any request. The template view of a profile (`endpoints`, `identities`, `vars`,
//! `base_url`) never contains credentials; those are reached at run time only, through `token()`.

use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::load::validate_request;
use crate::model::{Profile, SecretSource, line_col};
use indexmap::IndexMap;
use serde_json::{Value, json};

/// Name of the identity that sends no credentials; it always exists.
pub const ANONYMOUS: &str = "anonymous";

/// Checks a loaded profile: URL, scope, identities, endpoints, secrets.
pub fn validate(p: &Profile) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let src = &*p.source;
    let at = |d: Diagnostic, (l, c): (usize, usize)| d.at(&p.path, src, l, c);
    let f = &p.file;
    match url::Url::parse(&f.base_url.value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
        Ok(u) => diags.push(at(
            Diagnostic::new(
                "invalid base URL",
                format!("`{}` has scheme `{}`", f.base_url.value, u.scheme()),
            )
            .with_hint("use an http:// or https:// URL"),
            line_col(&f.base_url),
        )),
        Err(e) => diags.push(at(
            Diagnostic::new("invalid base URL", format!("`{}`: {e}", f.base_url.value))
                .with_hint("write a full URL such as `https://api.example.com`"),
            line_col(&f.base_url),
        )),
    }
    if f.limits.concurrency == 0 {
        diags.push(
            Diagnostic::new("invalid limit", "`limits.concurrency` must be at least 1")
                .at(&p.path, src, 1, 1),
        );
    }
    let names: Vec<&str> = std::iter::once(ANONYMOUS)
        .chain(f.identities.keys().map(String::as_str))
        .collect();
    for (name, ident) in &f.identities {
        if name == ANONYMOUS {
            diags.push(at(
                Diagnostic::new(
                    "reserved identity name",
                    "`anonymous` is built in and sends no credentials",
                )
                .with_hint("choose another name"),
                line_col(ident),
            ));
        }
        let i = &ident.value;
        for (sname, s) in &i.secrets {
            if let Err(d) = resolve_secret(sname, s) {
                diags.push(at(d, line_col(ident)));
            }
        }
        if let Some(c) = &i.credential {
            let n = [
                c.bearer.is_some(),
                c.header.is_some(),
                c.cookie.is_some(),
                c.basic.is_some(),
            ]
            .iter()
            .filter(|b| **b)
            .count();
            if n != 1 {
                diags.push(at(
                    Diagnostic::new("invalid credential", format!("identity `{name}` must set exactly one of `bearer`, `header`, `cookie`, `basic`")),
                    line_col(ident),
                ));
            }
        } else {
            diags.push(at(
                Diagnostic::new(
                    "identity without credential",
                    format!("identity `{name}` has no `credential`"),
                )
                .with_hint("add e.g. `credential: { bearer: \"{{ secrets.token }}\" }`"),
                line_col(ident),
            ));
        }
        if let Some(login) = &i.login {
            validate_request(&login.value.request, &mut diags, &|d, pos| at(d, pos));
        }
    }
    for (sname, s) in &f.secrets {
        if let Err(d) = resolve_secret(sname, s) {
            diags.push(at(d, line_col(&f.base_url)));
        }
    }
    for ep in &f.endpoints {
        for who in ep.value.owner.iter().chain(ep.value.identity.iter()) {
            if !names.contains(&who.as_str()) {
                let d = Diagnostic::new(
                    "unknown identity",
                    format!("endpoint `{}` names identity `{who}`", ep.value.path),
                );
                let d = match did_you_mean(who, names.iter().copied()) {
                    Some(b) => d.with_hint(format!("did you mean `{b}`?")),
                    None => d.with_hint(format!("identities: {}", names.join(", "))),
                };
                diags.push(at(d, line_col(ep)));
            }
        }
        for param in placeholders(&ep.value.path) {
            if !ep.value.params.contains_key(&param) {
                diags.push(at(
                    Diagnostic::new(
                        "missing path parameter",
                        format!("`{{{param}}}` in `{}` has no value", ep.value.path),
                    )
                    .with_hint(format!("add `params: {{ {param}: ... }}`")),
                    line_col(ep),
                ));
            }
        }
    }
    diags
}

/// Reads a secret from the environment (or its default).
pub fn resolve_secret(name: &str, s: &SecretSource) -> Result<String, Diagnostic> {
    match std::env::var(&s.env) {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => s.default.clone().ok_or_else(|| {
            Diagnostic::new(
                "missing secret",
                format!(
                    "secret `{name}` reads environment variable `{}`, which is not set",
                    s.env
                ),
            )
            .with_hint(format!("export {}=... before running", s.env))
        }),
    }
}

/// Resolves a map of secrets (already validated) into values.
pub fn resolve_secrets(map: &IndexMap<String, SecretSource>) -> IndexMap<String, String> {
    map.iter()
        .filter_map(|(k, s)| resolve_secret(k, s).ok().map(|v| (k.clone(), v)))
        .collect()
}

fn placeholders(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        out.push(rest[start + 1..start + end].to_owned());
        rest = &rest[start + end + 1..];
    }
    out
}

/// The path with `{param}` placeholders replaced by the endpoint's values.
pub fn fill_path(path: &str, params: &IndexMap<String, Value>) -> String {
    let mut out = path.to_owned();
    for (k, v) in params {
        let text = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out = out.replace(&format!("{{{k}}}"), &text);
    }
    out
}

/// The template view of the profile: `base_url`, `vars`, `endpoints`, `identities`.
pub fn template_globals(p: &Profile) -> IndexMap<String, Value> {
    let f = &p.file;
    let endpoints: Vec<Value> = f
        .endpoints
        .iter()
        .map(|e| {
            let e = &e.value;
            let filled = fill_path(&e.path, &e.params);
            let caller = e
                .owner
                .clone()
                .or_else(|| e.identity.clone())
                .unwrap_or_else(|| {
                    if e.auth {
                        first_identity(p).unwrap_or(ANONYMOUS).to_owned()
                    } else {
                        ANONYMOUS.to_owned()
                    }
                });
            json!({
                "method": e.method.to_uppercase(),
                "path": filled,
                "template": e.path,
                "label": format!("{} {}", e.method.to_uppercase(), e.path),
                "params": e.params,
                "query": e.query,
                "json": e.json,
                "auth": e.auth,
                "owner": e.owner,
                "identity": caller,
                "tags": e.tags,
            })
        })
        .collect();
    let identities: Vec<Value> = std::iter::once(json!({"name": ANONYMOUS, "role": "anonymous", "anonymous": true}))
        .chain(f.identities.iter().map(|(n, i)| {
            json!({"name": n, "role": i.value.role.clone().unwrap_or_else(|| "user".to_owned()), "anonymous": false})
        }))
        .collect();
    let base = url::Url::parse(&f.base_url.value).ok();
    let mut g = IndexMap::new();
    g.insert(
        "base_url".to_owned(),
        json!(f.base_url.value.trim_end_matches('/')),
    );
    g.insert(
        "host".to_owned(),
        json!(base.as_ref().map(|u| match u.port() {
            Some(port) => format!("{}:{port}", u.host_str().unwrap_or_default()),
            None => u.host_str().unwrap_or_default().to_owned(),
        })),
    );
    g.insert("vars".to_owned(), json!(f.vars));
    g.insert("endpoints".to_owned(), Value::Array(endpoints));
    g.insert("identities".to_owned(), Value::Array(identities));
    g
}

fn first_identity(p: &Profile) -> Option<&str> {
    p.file.identities.keys().next().map(String::as_str)
}

/// Hosts (`host:port`) apiward may contact: the explicit scope, or the base URL's host.
pub fn scope_hosts(p: &Profile) -> Vec<String> {
    let mut hosts: Vec<String> = p
        .file
        .scope
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    if hosts.is_empty()
        && let Ok(u) = url::Url::parse(&p.file.base_url.value)
        && let (Some(h), Some(port)) = (u.host_str(), u.port_or_known_default())
    {
        hosts.push(format!("{}:{port}", h.to_ascii_lowercase()));
    }
    hosts
}

/// True when `url` is in scope: its `host:port` or bare host is listed.
pub fn in_scope(scope: &[String], url: &url::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.to_ascii_lowercase();
    let with_port = url.port_or_known_default().map(|p| format!("{host}:{p}"));
    scope
        .iter()
        .any(|s| *s == host || Some(s) == with_port.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_path_params() {
        let mut p = IndexMap::new();
        p.insert("id".to_owned(), json!(101));
        assert_eq!(fill_path("/orders/{id}", &p), "/orders/101");
        assert_eq!(placeholders("/a/{x}/b/{y}"), vec!["x", "y"]);
    }

    #[test]
    fn scope_matches_host_and_port() {
        let scope = vec!["127.0.0.1:8080".to_owned(), "api.example.com".to_owned()];
        assert!(in_scope(
            &scope,
            &url::Url::parse("http://127.0.0.1:8080/x").unwrap()
        ));
        assert!(!in_scope(
            &scope,
            &url::Url::parse("http://127.0.0.1:9090/x").unwrap()
        ));
        assert!(in_scope(
            &scope,
            &url::Url::parse("https://API.example.com/x").unwrap()
        ));
        assert!(!in_scope(
            &scope,
            &url::Url::parse("https://evil.example/x").unwrap()
        ));
    }
}
