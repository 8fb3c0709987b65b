//! `GET /openapi.json`: an OpenAPI 3.0 description of every v2 route of the lab.
//!
//! apiward can import endpoints from OpenAPI, so the lab describes itself faithfully: which routes need a bearer
//! token (`security`), their parameters and bodies, and the deprecated export. The document is the same in both
//! modes; only who may read it changes (`openapi_public`).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::lab::auth::authenticate;
use crate::lab::respond::json_response;
use crate::lab::state::LabState;

/// `GET /openapi.json`.
pub(crate) async fn serve(State(state): State<Arc<LabState>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    if !state.switches.openapi_public
        && let Err(denied) = authenticate(&state, &parts)
    {
        return denied.into_response();
    }
    json_response(StatusCode::OK, document())
}

/// One operation, described compactly.
struct Op {
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    auth: bool,
    params: &'static [(&'static str, &'static str, &'static str)],
    body: Option<Value>,
    success: &'static str,
    deprecated: bool,
}

/// Shorthand for an operation without parameters or body.
const fn op(method: &'static str, path: &'static str, summary: &'static str, auth: bool) -> Op {
    Op {
        method,
        path,
        summary,
        auth,
        params: &[],
        body: None,
        success: "200",
        deprecated: false,
    }
}

/// The whole document.
pub(crate) fn document() -> Value {
    let id = &[("id", "path", "integer")][..];
    let object = |properties: Value, required: &[&str]| json!({"type": "object", "properties": properties, "required": required});
    let operations = vec![
        op("get", "/api/v2/health", "Liveness probe", false),
        op(
            "get",
            "/api/v2/status",
            "Service status (rate limited)",
            false,
        ),
        Op {
            body: Some(object(
                json!({"username": {"type": "string"}, "password": {"type": "string"},
                       "expires_in": {"type": "integer", "maximum": 3600}}),
                &["username", "password"],
            )),
            ..op(
                "post",
                "/api/v2/login",
                "Log in and obtain a bearer token",
                false,
            )
        },
        Op {
            body: Some(object(
                json!({"username": {"type": "string"}, "password": {"type": "string"},
                       "email": {"type": "string", "format": "email"}}),
                &["username", "password", "email"],
            )),
            success: "201",
            ..op("post", "/api/v2/register", "Create an account", false)
        },
        op("get", "/api/v2/me", "The caller's profile", true),
        Op {
            body: Some(object(
                json!({"email": {"type": "string", "format": "email"}}),
                &[],
            )),
            ..op("patch", "/api/v2/me", "Update the caller's profile", true)
        },
        op("get", "/api/v2/users", "List users", true),
        Op {
            params: id,
            ..op("get", "/api/v2/users/{id}", "A user's public profile", true)
        },
        op(
            "get",
            "/api/v2/admin/users",
            "List all accounts (admin)",
            true,
        ),
        Op {
            params: id,
            ..op(
                "delete",
                "/api/v2/admin/users/{id}",
                "Delete an account (admin)",
                true,
            )
        },
        Op {
            params: &[
                ("limit", "query", "integer"),
                ("offset", "query", "integer"),
            ],
            ..op("get", "/api/v2/orders", "List the caller's orders", true)
        },
        Op {
            params: id,
            ..op("get", "/api/v2/orders/{id}", "One order", true)
        },
        Op {
            params: id,
            body: Some(object(
                json!({"item": {"type": "string"}, "amount": {"type": "number"}}),
                &[],
            )),
            ..op("put", "/api/v2/orders/{id}", "Update an order", true)
        },
        op("get", "/api/v2/reports", "Sales reports", true),
        Op {
            deprecated: true,
            ..op(
                "get",
                "/api/v2/legacy-export",
                "Export orders (deprecated; use /api/v2/exports)",
                true,
            )
        },
        op("get", "/api/v2/exports", "Exports", true),
        Op {
            params: &[("name", "query", "string")],
            ..op("get", "/api/v2/products", "Find products by name", false)
        },
        Op {
            body: Some(object(
                json!({"filter": {"type": "object", "properties": {"name": {"type": "string"}}}}),
                &["filter"],
            )),
            ..op("post", "/api/v2/products/search", "Search products", false)
        },
        Op {
            params: &[("url", "query", "string")],
            ..op("get", "/api/v2/preview", "Preview a link", false)
        },
        Op {
            body: Some(object(
                json!({"url": {"type": "string", "format": "uri"}}),
                &["url"],
            )),
            success: "201",
            ..op("post", "/api/v2/webhooks", "Register a webhook", true)
        },
        Op {
            body: Some(object(json!({"message": {"type": "string"}}), &["message"])),
            ..op(
                "post",
                "/api/v2/assistant",
                "Ask the support assistant",
                true,
            )
        },
    ];

    let mut paths = Map::new();
    for operation in operations {
        let entry = paths
            .entry(operation.path)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(methods) = entry {
            methods.insert(operation.method.to_owned(), describe(&operation));
        }
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "apiward lab",
            "version": "2.0.0",
            "description": "A deliberately vulnerable API for exercising apiward. See docs/lab.md."
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
        }
    })
}

/// One operation object.
fn describe(operation: &Op) -> Value {
    let mut described = Map::new();
    described.insert("summary".into(), json!(operation.summary));
    described.insert(
        "operationId".into(),
        json!(format!("{} {}", operation.method, operation.path)),
    );
    if operation.deprecated {
        described.insert("deprecated".into(), json!(true));
    }
    let security = if operation.auth {
        json!([{"bearerAuth": []}])
    } else {
        json!([])
    };
    described.insert("security".into(), security);
    if !operation.params.is_empty() {
        let params: Vec<Value> = operation
            .params
            .iter()
            .map(|(name, location, kind)| {
                json!({"name": name, "in": location, "required": *location == "path", "schema": {"type": kind}})
            })
            .collect();
        described.insert("parameters".into(), Value::Array(params));
    }
    if let Some(schema) = &operation.body {
        described.insert(
            "requestBody".into(),
            json!({"required": true, "content": {"application/json": {"schema": schema}}}),
        );
    }
    let mut responses = Map::new();
    responses.insert(
        operation.success.to_owned(),
        json!({"description": "Success"}),
    );
    if operation.auth {
        responses.insert(
            "401".to_owned(),
            json!({"description": "Missing or invalid token"}),
        );
    }
    described.insert("responses".into(), Value::Object(responses));
    Value::Object(described)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_lists_every_v2_route_and_the_deprecation() {
        let doc = document();
        let paths = doc["paths"].as_object().expect("paths");
        assert_eq!(paths.len(), 19);
        assert!(paths.keys().all(|path| path.starts_with("/api/v2/")));
        assert_eq!(
            doc["paths"]["/api/v2/legacy-export"]["get"]["deprecated"],
            true
        );
        assert_eq!(
            doc["paths"]["/api/v2/orders/{id}"]
                .as_object()
                .map(Map::len),
            Some(2)
        );
    }
}
