//! Accounts: login, registration, the caller's profile, user records and the admin functions.
//!
//! Home of the authentication weaknesses (enumeration, token in URL, login throttling, cookie flags), mass
//! assignment, excessive data exposure and function-level authorization (BFLA).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::lab::auth::{Denied, authenticate, client_key, is_admin};
use crate::lab::jwt::{self, Claims};
use crate::lab::respond::{
    error, invalid, invalid_id, json_response, last_segment, not_found, parse_id, read_json,
};
use crate::lab::state::{AddUserError, LabState, User, now_unix};

/// Default and maximum token lifetime, in seconds.
const MAX_EXPIRES_IN: i64 = 3600;
/// Most negative lifetime accepted (a year in the past), so `iat + expires_in` cannot overflow.
const MIN_EXPIRES_IN: i64 = -31_536_000;

/// A user record as the lab shows it. `own` means the caller is looking at themself.
pub(crate) fn user_view(state: &LabState, user: &User, own: bool) -> Value {
    let mut view = Map::new();
    view.insert("id".into(), json!(user.id));
    view.insert("username".into(), json!(user.username));
    view.insert("role".into(), json!(user.role));
    if own || state.switches.excessive_data_exposure {
        view.insert("email".into(), json!(user.email));
    }
    if state.switches.excessive_data_exposure {
        view.insert("password_hash".into(), json!(user.password_hash));
        view.insert("api_key".into(), json!(user.api_key));
    }
    Value::Object(view)
}

/// `POST /api/v2/login`.
pub(crate) async fn login(State(state): State<Arc<LabState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let client = client_key(&parts);
    if !state.switches.login_no_rate_limit && state.login_blocked(&client) {
        let mut response = error(StatusCode::TOO_MANY_REQUESTS, "too many requests");
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return response;
    }
    let body = match read_json(&state, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let (Some(username), Some(password)) =
        (str_field(&body, "username"), str_field(&body, "password"))
    else {
        return invalid(&state, "username");
    };
    let expires_in = match body.get("expires_in") {
        None | Some(Value::Null) => MAX_EXPIRES_IN,
        // Integral or not, any finite number is taken (`as` saturates); only non-numbers are refused.
        Some(value) => match value
            .as_i64()
            .or_else(|| value.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
        {
            Some(seconds) => seconds.clamp(MIN_EXPIRES_IN, MAX_EXPIRES_IN),
            None => return invalid(&state, "expires_in"),
        },
    };

    let found = state.data().user_by_name(username).cloned();
    let user = match found {
        Some(user) if user.password == password => user,
        found => {
            state.record_login_failure(&client);
            return if !state.switches.login_user_enumeration {
                error(StatusCode::UNAUTHORIZED, "invalid credentials")
            } else if found.is_none() {
                error(StatusCode::NOT_FOUND, "no such user")
            } else {
                error(StatusCode::UNAUTHORIZED, "wrong password")
            };
        }
    };

    let now = now_unix();
    let claims = Claims {
        user_id: user.id,
        username: user.username.clone(),
        role: user.role.clone(),
        iat: now,
        exp: now + expires_in,
    };
    let token = jwt::sign(&claims, &state.jwt_secret);
    let mut answer = json!({"token": token, "token_type": "Bearer", "expires_in": expires_in});
    if state.switches.token_in_url {
        answer["links"] = json!({"profile": format!("/api/v2/me?access_token={token}")});
    }
    let mut response = json_response(StatusCode::OK, answer);
    let flags = if state.switches.insecure_cookies {
        "Path=/"
    } else {
        "Path=/; Secure; HttpOnly; SameSite=Strict"
    };
    let cookie = format!("session={}; {flags}", uuid::Uuid::new_v4().simple());
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// `POST /api/v2/register`.
pub(crate) async fn register(State(state): State<Arc<LabState>>, request: Request) -> Response {
    let body = match read_json(&state, request.into_body()).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let (Some(username), Some(password), Some(email)) = (
        str_field(&body, "username"),
        str_field(&body, "password"),
        str_field(&body, "email"),
    ) else {
        return invalid(&state, "username");
    };
    if !plausible(username, 64) || !plausible(password, 128) || !plausible(email, 254) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid username, password or email",
        );
    }
    let role = assigned_role(&state, &body).unwrap_or_else(|| "user".to_owned());
    let added = state.data().add_user(username, password, email, &role);
    match added {
        Ok(user) => json_response(StatusCode::CREATED, user_view(&state, &user, true)),
        Err(AddUserError::Taken) => error(StatusCode::CONFLICT, "username taken"),
        Err(AddUserError::Full) => error(StatusCode::SERVICE_UNAVAILABLE, "user limit reached"),
    }
}

/// `GET /api/v2/me`.
pub(crate) async fn me(State(state): State<Arc<LabState>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    match authenticate(&state, &parts) {
        Ok(user) => json_response(StatusCode::OK, user_view(&state, &user, true)),
        Err(denied) => denied.into_response(),
    }
}

/// `PATCH /api/v2/me`: `email`, and `role`/`is_admin` only when mass assignment is on.
pub(crate) async fn patch_me(State(state): State<Arc<LabState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let caller = match authenticate(&state, &parts) {
        Ok(user) => user,
        Err(denied) => return denied.into_response(),
    };
    let body = match read_json(&state, body).await {
        Ok(body @ Value::Object(_)) => body,
        Ok(_) => return invalid(&state, "email"),
        Err(response) => return response,
    };
    let email = match body.get("email") {
        None | Some(Value::Null) => None,
        Some(Value::String(email)) if plausible(email, 254) => Some(email.clone()),
        Some(_) => return invalid(&state, "email"),
    };
    let role = assigned_role(&state, &body);
    let mut data = state.data();
    let Some(user) = data.users.iter_mut().find(|user| user.id == caller.id) else {
        return not_found();
    };
    if let Some(email) = email {
        user.email = email;
    }
    if let Some(role) = role {
        user.role = role;
    }
    let user = user.clone();
    drop(data);
    json_response(StatusCode::OK, user_view(&state, &user, true))
}

/// `GET /api/v2/users`.
pub(crate) async fn list_users(State(state): State<Arc<LabState>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let caller = match authenticate(&state, &parts) {
        Ok(user) => user,
        Err(denied) => return denied.into_response(),
    };
    let users: Vec<Value> = state
        .data()
        .users
        .iter()
        .map(|user| user_view(&state, user, user.id == caller.id))
        .collect();
    json_response(StatusCode::OK, json!({ "users": users }))
}

/// `GET /api/v2/users/{id}`: public profile of any user (what it includes is the exposure question).
pub(crate) async fn get_user(State(state): State<Arc<LabState>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let caller = match authenticate(&state, &parts) {
        Ok(user) => user,
        Err(denied) => return denied.into_response(),
    };
    let raw = last_segment(&parts.uri);
    let Some(id) = parse_id(raw) else {
        return invalid_id(&state, raw, "users", "get_user");
    };
    let user = state.data().user(id).cloned();
    match user {
        Some(user) => json_response(
            StatusCode::OK,
            user_view(&state, &user, user.id == caller.id),
        ),
        None => not_found(),
    }
}

/// `GET /api/v2/admin/users`.
pub(crate) async fn admin_list(State(state): State<Arc<LabState>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    if let Err(denied) = admin_caller(&state, &parts) {
        return denied.into_response();
    }
    let users: Vec<Value> = state
        .data()
        .users
        .iter()
        // Administrators legitimately see emails; secrets only leak with excessive data exposure.
        .map(|user| user_view(&state, user, true))
        .collect();
    json_response(StatusCode::OK, json!({ "users": users }))
}

/// `GET /api/v2/admin/export`: every user's id, username, role and email, for an offline job.
/// With `admin_export_unauthenticated` it skips authentication entirely, as forgotten export and
/// batch endpoints often do; otherwise it is an admin function like the others.
pub(crate) async fn admin_export(State(state): State<Arc<LabState>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    if !state.switches.admin_export_unauthenticated
        && let Err(denied) = admin_caller(&state, &parts)
    {
        return denied.into_response();
    }
    let rows: Vec<Value> = state
        .data()
        .users
        .iter()
        .map(|u| json!({"id": u.id, "username": u.username, "role": u.role, "email": u.email}))
        .collect();
    json_response(StatusCode::OK, json!({ "export": rows }))
}

/// `DELETE /api/v2/admin/users/{id}`.
pub(crate) async fn admin_delete(State(state): State<Arc<LabState>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    if let Err(denied) = admin_caller(&state, &parts) {
        return denied.into_response();
    }
    let raw = last_segment(&parts.uri);
    let Some(id) = parse_id(raw) else {
        return invalid_id(&state, raw, "users", "delete_user");
    };
    let mut data = state.data();
    let before = data.users.len();
    data.users.retain(|user| user.id != id);
    if data.users.len() == before {
        return not_found();
    }
    json_response(StatusCode::OK, json!({ "deleted": id }))
}

/// The caller, if allowed to use admin functions: admins always, anyone authenticated when `bfla_admin` is on.
fn admin_caller(state: &LabState, parts: &axum::http::request::Parts) -> Result<User, Denied> {
    let caller = authenticate(state, parts)?;
    if state.switches.bfla_admin || is_admin(&caller) {
        Ok(caller)
    } else {
        Err(Denied::Forbidden)
    }
}

/// The role a body asks for, honoured only when mass assignment is on. `is_admin: true` wins over `role`.
fn assigned_role(state: &LabState, body: &Value) -> Option<String> {
    if !state.switches.mass_assignment {
        return None;
    }
    if body.get("is_admin") == Some(&Value::Bool(true)) {
        return Some("admin".to_owned());
    }
    body.get("role")
        .and_then(Value::as_str)
        .filter(|role| plausible(role, 32))
        .map(str::to_owned)
}

/// A string field of a JSON object.
fn str_field<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

/// Non-blank, at most `max` characters, no control characters.
fn plausible(value: &str, max: usize) -> bool {
    !value.trim().is_empty() && value.chars().count() <= max && !value.chars().any(char::is_control)
}
