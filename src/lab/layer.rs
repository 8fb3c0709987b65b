//! The layer around every lab response: transport-level weaknesses that do not belong to any one route.
//!
//! HTTPS redirection, `TRACE`, CORS (preflights included), security headers, version banners and
//! `WWW-Authenticate` are decided here once, so they hold for every route, unknown routes and errors included.
//! The layer also hands handlers a [`Dispatcher`] into the lab's own router for the simulated outbound fetches.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::lab::respond::{error, text};
use crate::lab::state::LabState;

/// The only origin the hardened lab's CORS policy allows.
pub(crate) const TRUSTED_ORIGIN: &str = "https://app.apiward-lab.test";
/// Methods the lab announces in `Allow` and preflight answers.
const METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";

/// A handle on the lab's own router, for in-process "outbound" requests (SSRF and webhook simulation).
#[derive(Clone, Debug)]
pub(crate) struct Dispatcher {
    next: Next,
    /// How many internal hops led here; bounded so a URL pointing at the preview route cannot recurse for ever.
    depth: u8,
}

/// Marks a request that came through a [`Dispatcher`], i.e. from the lab to itself.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Internal;

impl Dispatcher {
    /// Most nested internal requests.
    const MAX_DEPTH: u8 = 4;

    /// Sends `request` through the lab's routes, or `None` when the hop limit is reached.
    pub async fn send(&self, mut request: Request) -> Option<Response> {
        if self.depth >= Self::MAX_DEPTH {
            return None;
        }
        let deeper = Self {
            next: self.next.clone(),
            depth: self.depth + 1,
        };
        request.extensions_mut().insert(Internal);
        request.extensions_mut().insert(deeper);
        Some(self.next.clone().run(request).await)
    }
}

/// The outer middleware: short-circuits the transport-level cases, runs the routes, then decorates the answer.
pub(crate) async fn lab_layer(
    State(state): State<Arc<LabState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let credentialed = carries_credentials(request.headers());
    let preflight = request.method() == Method::OPTIONS;

    let mut response = if let Some(redirect) = https_redirect(&state, &request) {
        redirect
    } else if request.method() == Method::TRACE {
        trace(&state, &request)
    } else if preflight {
        // Every OPTIONS is answered here, so preflights work on every path.
        let mut response = empty(StatusCode::NO_CONTENT);
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(METHODS));
        response
    } else {
        let dispatcher = Dispatcher {
            next: next.clone(),
            depth: 0,
        };
        request.extensions_mut().insert(dispatcher);
        next.run(request).await
    };

    let status = response.status();
    let headers = response.headers_mut();
    www_authenticate(&state, status, headers);
    security_headers(&state, credentialed, headers);
    banner(&state, headers);
    cors(&state, origin.as_ref(), preflight, headers);
    response
}

/// Authorization header or session cookie: the requests whose answers must not be cached.
fn carries_credentials(headers: &HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION)
        || headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .any(|pair| pair.trim_start().starts_with("session="))
}

/// The hardened lab behaves like an app behind a TLS-terminating proxy that upgrades plain HTTP.
fn https_redirect(state: &LabState, request: &Request) -> Option<Response> {
    if state.switches.plain_http_served {
        return None;
    }
    let proto = request.headers().get("x-forwarded-proto")?.to_str().ok()?;
    let first = proto.split(',').next().unwrap_or("").trim();
    if !first.eq_ignore_ascii_case("http") {
        return None;
    }
    let host = request
        .headers()
        .get(header::HOST)
        .map(|value| value.as_bytes().to_vec())
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(|a| a.as_str().as_bytes().to_vec())
        })
        .unwrap_or_else(|| b"localhost".to_vec());
    let path = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let mut location = b"https://".to_vec();
    location.extend_from_slice(&host);
    location.extend_from_slice(path.as_bytes());
    let Ok(location) = HeaderValue::from_bytes(&location) else {
        return Some(error(StatusCode::BAD_REQUEST, "invalid request"));
    };
    let mut response = empty(StatusCode::PERMANENT_REDIRECT);
    response.headers_mut().insert(header::LOCATION, location);
    Some(response)
}

/// `TRACE`: echo the request (the cross-site tracing weakness) or refuse it.
fn trace(state: &LabState, request: &Request) -> Response {
    if !state.switches.trace_enabled {
        let mut response = error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(METHODS));
        return response;
    }
    let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let mut echo = format!("TRACE {target} {:?}\r\n", request.version());
    for (name, value) in request.headers() {
        echo.push_str(&format!(
            "{name}: {}\r\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    text(StatusCode::OK, "message/http", echo)
}

/// Every 401 gets the same challenge, or none when the weakness is on.
fn www_authenticate(state: &LabState, status: StatusCode, headers: &mut HeaderMap) {
    if status != StatusCode::UNAUTHORIZED || state.switches.missing_www_authenticate {
        headers.remove(header::WWW_AUTHENTICATE);
        return;
    }
    headers.insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(r#"Bearer realm="apiward-lab""#),
    );
}

/// HSTS and nosniff on everything, `no-store` on credentialed answers; or none of them.
fn security_headers(state: &LabState, credentialed: bool, headers: &mut HeaderMap) {
    if state.switches.missing_security_headers {
        headers.remove(header::STRICT_TRANSPORT_SECURITY);
        headers.remove(header::X_CONTENT_TYPE_OPTIONS);
        headers.remove(header::CACHE_CONTROL);
        return;
    }
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000; includeSubDomains"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if credentialed {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Version-disclosing `Server` and `X-Powered-By`, or neither.
fn banner(state: &LabState, headers: &mut HeaderMap) {
    let powered_by = HeaderName::from_static("x-powered-by");
    if state.switches.version_banner {
        headers.insert(
            header::SERVER,
            HeaderValue::from_static("apiward-lab/1.4.2 (Ubuntu)"),
        );
        headers.insert(powered_by, HeaderValue::from_static("Express/4.17.1"));
    } else {
        headers.remove(header::SERVER);
        headers.remove(powered_by);
    }
}

/// Reflects the request's origin with credentials: any origin when the weakness is on, the trusted one otherwise.
fn cors(state: &LabState, origin: Option<&HeaderValue>, preflight: bool, headers: &mut HeaderMap) {
    let Some(origin) = origin else { return };
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    let allowed =
        state.switches.cors_reflect_any_origin || origin.as_bytes() == TRUSTED_ORIGIN.as_bytes();
    if !allowed {
        return;
    }
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    if preflight {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(METHODS),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Authorization, Content-Type"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
}

/// A response with no body.
fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}
