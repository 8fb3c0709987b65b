//! Who is calling: bearer tokens (and, when `token_in_url` is on, `?access_token=`) resolved to a lab user.
//!
//! Authorization decisions use the user's *current* record (role included), so a role gained through mass
//! assignment takes effect at once, and a deleted user's tokens stop working.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::lab::jwt;
use crate::lab::respond::{forbidden, query_param, unauthorized};
use crate::lab::state::{LabState, User, now_unix};

/// Why a request may not go on. Small, so `Result<User, Denied>` stays cheap; it becomes the lab's 401 or 403.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Denied {
    /// No usable credential: 401 `{"error":"unauthorized"}`.
    Unauthorized,
    /// Authenticated, but not allowed: 403 `{"error":"forbidden"}`.
    Forbidden,
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        match self {
            Self::Unauthorized => unauthorized(),
            Self::Forbidden => forbidden(),
        }
    }
}

/// The authenticated caller.
pub(crate) fn authenticate(state: &LabState, parts: &Parts) -> Result<User, Denied> {
    let token = credential(state, &parts.headers, &parts.uri).ok_or(Denied::Unauthorized)?;
    let claims = jwt::verify(&token, &state.jwt_secret, &state.switches, now_unix())
        .map_err(|_| Denied::Unauthorized)?;
    state
        .data()
        .user(claims.user_id)
        .cloned()
        .ok_or(Denied::Unauthorized)
}

/// The token the request presents. A present `Authorization` header is authoritative, even when unusable:
/// falling back to another credential would let a bad header be masked.
fn credential(state: &LabState, headers: &HeaderMap, uri: &Uri) -> Option<String> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?.trim();
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned());
    }
    if state.switches.token_in_url {
        return query_param(uri, "access_token");
    }
    None
}

/// Whether the user may act as an administrator.
pub(crate) fn is_admin(user: &User) -> bool {
    user.role == "admin"
}

/// The key rate limits count against: the peer's IP, or one shared key for in-process requests.
pub(crate) fn client_key(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "in-process".to_owned(), |info| info.0.ip().to_string())
}
