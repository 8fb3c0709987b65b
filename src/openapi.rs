//! Importing endpoints from an OpenAPI 3 document into a profile.
//!
//! `apiward import-openapi FILE` prints a profile skeleton whose `endpoints` come from the document:
//! methods and paths, example values for path parameters, whether an operation needs
//! authentication (its `security`, or the document's default), and tags the built-in checks select
//! on, inferred from the path and method (`object`, `read`, `write`, `admin`, `login`, `register`,
//! `url-param`, `deprecated`, ...). It is a starting point to review: owners and identities are
//! facts only you know.

use serde_json::{Value, json};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// One endpoint as a line of YAML (flow style) for a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedEndpoint {
    /// Upper-case method.
    pub method: String,
    /// Path with `{param}` placeholders.
    pub path: String,
    /// Example values for the placeholders.
    pub params: serde_json::Map<String, Value>,
    /// Example query parameters (required ones and URL-valued ones).
    pub query: serde_json::Map<String, Value>,
    /// Whether the operation requires authentication.
    pub auth: bool,
    /// Tags for the built-in checks.
    pub tags: Vec<String>,
}

impl ImportedEndpoint {
    /// The endpoint as one YAML flow mapping (JSON values are valid YAML).
    pub fn to_yaml(&self) -> String {
        let mut parts = vec![
            format!("method: {}", self.method),
            format!("path: {}", json!(self.path)),
        ];
        if !self.params.is_empty() {
            parts.push(format!("params: {}", Value::Object(self.params.clone())));
        }
        if !self.query.is_empty() {
            parts.push(format!("query: {}", Value::Object(self.query.clone())));
        }
        parts.push(format!("auth: {}", self.auth));
        if !self.tags.is_empty() {
            parts.push(format!("tags: [{}]", self.tags.join(", ")));
        }
        format!("  - {{ {} }}", parts.join(", "))
    }
}

fn example_for(param: &Value) -> Value {
    let schema = &param["schema"];
    for v in [&param["example"], &schema["example"], &schema["default"]] {
        if !v.is_null() {
            return v.clone();
        }
    }
    match schema["type"].as_str() {
        Some("integer" | "number") => json!(1),
        Some("boolean") => json!(true),
        _ => json!("1"),
    }
}

const URL_NAMES: [&str; 10] = [
    "url",
    "uri",
    "link",
    "callback",
    "webhook",
    "redirect",
    "next",
    "target",
    "image_url",
    "avatar",
];

/// Reads the endpoints of an OpenAPI 3 document.
pub fn endpoints(doc: &Value) -> Result<Vec<ImportedEndpoint>, String> {
    let paths = doc["paths"]
        .as_object()
        .ok_or("not an OpenAPI document: no `paths` object")?;
    let default_auth = doc["security"].as_array().is_some_and(|s| !s.is_empty());
    let mut out = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(method).filter(|o| o.is_object()) else {
                continue;
            };
            let auth = match op.get("security").and_then(Value::as_array) {
                Some(reqs) => {
                    !reqs.is_empty()
                        && !reqs
                            .iter()
                            .all(|r| r.as_object().is_some_and(|m| m.is_empty()))
                }
                None => default_auth,
            };
            let params: Vec<&Value> = item["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(op["parameters"].as_array().into_iter().flatten())
                .collect();
            let mut path_params = serde_json::Map::new();
            let mut query = serde_json::Map::new();
            let mut tags: Vec<String> = Vec::new();
            for p in params {
                let name = p["name"].as_str().unwrap_or_default();
                match p["in"].as_str() {
                    Some("path") => {
                        path_params.insert(name.to_owned(), example_for(p));
                    }
                    Some("query") if URL_NAMES.contains(&name.to_ascii_lowercase().as_str()) => {
                        query.insert(name.to_owned(), json!("https://example.com/"));
                        tags.push("url-param".into());
                    }
                    Some("query") if p["required"].as_bool() == Some(true) => {
                        query.insert(name.to_owned(), example_for(p));
                    }
                    _ => {}
                }
            }
            tags.extend(infer_tags(method, path, !path_params.is_empty(), op));
            tags.sort();
            tags.dedup();
            out.push(ImportedEndpoint {
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                params: path_params,
                query,
                auth,
                tags,
            });
        }
    }
    Ok(out)
}

fn infer_tags(method: &str, path: &str, has_param: bool, op: &Value) -> Vec<String> {
    let p = path.to_ascii_lowercase();
    let mut tags = Vec::new();
    let mut tag = |t: &str| tags.push(t.to_owned());
    if has_param {
        tag("object");
        tag(if method == "get" { "read" } else { "write" });
    }
    if method == "delete" {
        tag("destructive");
    }
    if p.contains("/admin") || p.contains("/internal") || p.contains("/manage") {
        tag("admin");
    }
    if p.ends_with("/login")
        || p.ends_with("/signin")
        || p.ends_with("/token")
        || p.ends_with("/sessions")
    {
        tag("login");
    }
    if p.ends_with("/register") || p.ends_with("/signup") {
        tag("register");
    }
    if p.ends_with("/me") && method == "get" {
        tag("self");
    }
    if p.contains("webhook") || p.contains("callback") {
        tag("webhook");
    }
    if op["deprecated"].as_bool() == Some(true) {
        tag("deprecated");
    }
    let collection = (p.ends_with('s') && !p.ends_with("status")) || p.contains("list");
    if method == "get" && !has_param && collection {
        tag("list");
    }
    tags
}

/// Parses a document (JSON or YAML) and renders a profile skeleton.
pub fn profile_skeleton(text: &str, base_url: Option<&str>) -> Result<String, String> {
    let doc: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => crate::load::parse_yaml("openapi", text).map_err(|d| d.to_string())?,
    };
    let eps = endpoints(&doc)?;
    // A relative server URL (`/` or `/api`) is kept as a path under a placeholder origin.
    let server = doc["servers"][0]["url"].as_str().unwrap_or("");
    let base = match base_url {
        Some(b) => b.to_owned(),
        None if server.starts_with("http://") || server.starts_with("https://") => {
            server.to_owned()
        }
        None => format!("http://127.0.0.1:8080{}", server.trim_end_matches('/')),
    };
    let title = doc["info"]["title"].as_str().unwrap_or("the API");
    let mut out = format!(
        "# Profile of {title}, generated by `apiward import-openapi`: review it before use.\n\
         # Add identities (secrets come from environment variables) and set `owner` on endpoints that\n\
         # address one user's objects, so that object-level (BOLA) checks can run.\n\
         base_url: {}\nlimits: {{ rps: 20, concurrency: 8 }}\nidentities: {{}}\nendpoints:\n",
        json!(base)
    );
    for e in &eps {
        out.push_str(&e.to_yaml());
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_the_labs_own_document() {
        let doc = crate::lab::openapi::document();
        let eps = endpoints(&doc).expect("endpoints");
        let order = eps
            .iter()
            .find(|e| e.method == "GET" && e.path == "/api/v2/orders/{id}")
            .expect("orders");
        assert!(order.auth);
        assert!(
            order.tags.contains(&"object".to_owned()) && order.tags.contains(&"read".to_owned()),
            "{order:?}"
        );
        assert_eq!(order.params.len(), 1);
        let login = eps
            .iter()
            .find(|e| e.path.ends_with("/login"))
            .expect("login");
        assert!(!login.auth);
        assert!(login.tags.contains(&"login".to_owned()));
        let preview = eps
            .iter()
            .find(|e| e.path.ends_with("/preview"))
            .expect("preview");
        assert!(
            preview.tags.contains(&"url-param".to_owned()),
            "{preview:?}"
        );
        assert!(
            eps.iter()
                .any(|e| e.tags.contains(&"deprecated".to_owned()))
        );
        // The skeleton is a valid profile.
        let text =
            profile_skeleton(&doc.to_string(), Some("http://127.0.0.1:8088")).expect("skeleton");
        crate::load::load_profile_str("generated.yaml", &text)
            .unwrap_or_else(|d| panic!("{d}\n{text}"));
    }

    #[test]
    fn rejects_documents_without_paths() {
        assert!(endpoints(&json!({"openapi": "3.0.0"})).is_err());
    }
}
