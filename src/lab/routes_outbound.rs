//! Routes that make the lab "fetch" a URL: link preview (SSRF) and webhooks (unsafe consumption), plus the two
//! helper routes those weaknesses are observed through: `/redirect` and `/internal/admin`.
//!
//! Every fetch goes through [`crate::lab::fetch`], which never opens a connection.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use url::{Host, Url};

use crate::lab::auth::authenticate;
use crate::lab::fetch::{self, Fetched, REFUSED};
use crate::lab::layer::{Dispatcher, Internal};
use crate::lab::respond::{error, invalid, json_response, not_found, query_param, read_json};
use crate::lab::state::LabState;

/// The one host the hardened preview may fetch from.
pub(crate) const PREVIEW_ALLOWED_HOST: &str = "images.apiward-lab.test";

/// `GET /api/v2/preview?url=U`: public link preview.
pub(crate) async fn preview(State(state): State<Arc<LabState>>, request: Request) -> Response {
    let dispatcher = request.extensions().get::<Dispatcher>().cloned();
    let Some(raw) = query_param(request.uri(), "url") else {
        return error(StatusCode::BAD_REQUEST, "url parameter required");
    };
    let Ok(url) = Url::parse(&raw) else {
        return error(StatusCode::BAD_REQUEST, "invalid url");
    };
    let (final_url, fetched) = if state.switches.ssrf {
        // The vulnerable fetcher: any scheme, any host, redirects followed.
        fetch::fetch_following(&state, dispatcher.as_ref(), &url).await
    } else {
        if !preview_allowed(&url) {
            return error(StatusCode::BAD_REQUEST, "url not allowed");
        }
        // Allowed, but redirects are not followed: a redirect could lead anywhere.
        (
            url.clone(),
            fetch::fetch_once(&state, dispatcher.as_ref(), &url).await,
        )
    };
    match fetched {
        Fetched::Answer { status, body, .. } => json_response(
            StatusCode::OK,
            json!({"url": raw, "final_url": final_url.as_str(), "status": status, "body": body}),
        ),
        Fetched::Refused => error(StatusCode::BAD_GATEWAY, &format!("fetch failed: {REFUSED}")),
    }
}

/// The hardened policy: `https://` to the allowlisted host, never an internal address, no credentials in the URL.
fn preview_allowed(url: &Url) -> bool {
    let Some(host) = url.host() else {
        return false;
    };
    url.scheme() == "https"
        && url.username().is_empty()
        && url.password().is_none()
        && !fetch::is_internal(&host)
        && matches!(host, Host::Domain(name) if name.eq_ignore_ascii_case(PREVIEW_ALLOWED_HOST))
}

/// `POST /api/v2/webhooks` with `{"url": U}`: registers and verifies a callback URL.
pub(crate) async fn register_webhook(
    State(state): State<Arc<LabState>>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let caller = match authenticate(&state, &parts) {
        Ok(user) => user,
        Err(denied) => return denied.into_response(),
    };
    let dispatcher = parts.extensions.get::<Dispatcher>().cloned();
    let body = match read_json(&state, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let Some(raw) = body.get("url").and_then(Value::as_str) else {
        return invalid(&state, "url");
    };
    let Ok(url) = Url::parse(raw) else {
        return error(StatusCode::BAD_REQUEST, "invalid webhook url");
    };
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => state.switches.webhook_http_accepted,
        _ => false,
    };
    if !scheme_ok {
        return error(StatusCode::BAD_REQUEST, "webhook url must use https");
    }

    // Verification: one simulated GET, and redirects only if the weakness is on.
    let first = fetch::fetch_once(&state, dispatcher.as_ref(), &url).await;
    let (final_url, fetched) = match first.redirect_target(&url) {
        Some(_) if !state.switches.webhook_follows_redirects => {
            return error(StatusCode::BAD_REQUEST, "webhook url redirects");
        }
        Some(_) => fetch::fetch_following(&state, dispatcher.as_ref(), &url).await,
        None => (url.clone(), first),
    };
    let status = match fetched {
        Fetched::Answer { status, .. } => Value::from(status),
        Fetched::Refused => Value::Null,
    };
    let Some(hook) = state.data().add_webhook(raw, caller.id) else {
        return error(StatusCode::SERVICE_UNAVAILABLE, "webhook limit reached");
    };
    json_response(
        StatusCode::CREATED,
        json!({
            "id": hook.id,
            "url": hook.url,
            "owner_id": hook.owner_id,
            "verified": {"final_url": final_url.as_str(), "status": status},
        }),
    )
}

/// `GET /redirect?to=URL`: a 302 to anywhere, the building block of redirect-based checks.
pub(crate) async fn redirect(request: Request) -> Response {
    let Some(to) = query_param(request.uri(), "to") else {
        return error(StatusCode::BAD_REQUEST, "to parameter required");
    };
    let Ok(location) = HeaderValue::from_str(&to) else {
        return error(StatusCode::BAD_REQUEST, "invalid request");
    };
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::FOUND;
    response.headers_mut().insert(header::LOCATION, location);
    response
}

/// `GET /internal/admin`: answers only requests the lab sends itself, so reading it proves SSRF.
pub(crate) async fn internal_admin(request: Request) -> Response {
    if request.extensions().get::<Internal>().is_some() {
        json_response(StatusCode::OK, json!({"secret": "internal-only-data"}))
    } else {
        not_found()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hardened_preview_policy() {
        for allowed in [
            "https://images.apiward-lab.test/a.png",
            "https://IMAGES.apiward-lab.test:8443/a.png",
        ] {
            assert!(
                preview_allowed(&Url::parse(allowed).expect("url")),
                "{allowed}"
            );
        }
        for refused in [
            "http://images.apiward-lab.test/a.png",
            "https://user:pw@images.apiward-lab.test/",
            "https://127.0.0.1/",
            "https://localhost/",
            "https://169.254.169.254/",
            "https://10.0.0.1/",
            "https://images.apiward-lab.test.evil.test/",
            "file:///etc/passwd",
            "gopher://127.0.0.1:6379/_INFO",
            "dict://127.0.0.1:11211/stat",
        ] {
            assert!(
                !preview_allowed(&Url::parse(refused).expect("url")),
                "{refused}"
            );
        }
    }
}
