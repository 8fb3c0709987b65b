//! Orders and reports: object-level authorization (BOLA read and write), page sizes, the unauthenticated
//! report, the deprecated export, and the retired v1 API.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::lab::auth::{authenticate, is_admin};
use crate::lab::respond::{
    error, invalid, invalid_id, json_response, last_segment, not_found, parse_id, query_param,
    read_json,
};
use crate::lab::state::{LabState, Order, User};

/// Rows a caller can page through: their real orders, topped up with synthetic ones, so page-size limits matter.
const LISTABLE: u64 = 10_000;
/// Page size when `limit` is absent.
const DEFAULT_LIMIT: u64 = 20;
/// Largest page the hardened lab serves.
const MAX_LIMIT: u64 = 100;
/// Synthetic order ids start here, far from the real ones.
const SYNTHETIC_BASE: u64 = 100_000;

/// An order as JSON.
fn order_view(order: &Order) -> Value {
    json!({
        "id": order.id,
        "item": order.item,
        "amount": order.amount,
        "owner_id": order.owner_id,
        "shipping_address": order.shipping_address,
    })
}

/// `GET /api/v2/orders/{id}`.
pub(crate) async fn get_order(State(state): State<Arc<LabState>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let caller = match authenticate(&state, &parts) {
        Ok(user) => user,
        Err(denied) => return denied.into_response(),
    };
    let raw = last_segment(&parts.uri);
    let Some(id) = parse_id(raw) else {
        return invalid_id(&state, raw, "orders", "get_order");
    };
    let order = state.data().orders.iter().find(|o| o.id == id).cloned();
    match order {
        Some(order) if state.switches.bola_read || may_access(&caller, &order) => {
            json_response(StatusCode::OK, order_view(&order))
        }
        // Someone else's order is indistinguishable from a missing one.
        _ => not_found(),
    }
}

/// `PUT /api/v2/orders/{id}` with `{"item"?, "amount"?}`.
pub(crate) async fn put_order(State(state): State<Arc<LabState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let caller = match authenticate(&state, &parts) {
        Ok(user) => user,
        Err(denied) => return denied.into_response(),
    };
    let raw = last_segment(&parts.uri);
    let Some(id) = parse_id(raw) else {
        return invalid_id(&state, raw, "orders", "update_order");
    };
    let body = match read_json(&state, body).await {
        Ok(body @ Value::Object(_)) => body,
        Ok(_) => return invalid(&state, "item"),
        Err(response) => return response,
    };
    let item = match body.get("item") {
        None | Some(Value::Null) => None,
        Some(Value::String(item)) if item.chars().count() <= 200 => Some(item.clone()),
        Some(_) => return invalid(&state, "item"),
    };
    let amount = match body.get("amount") {
        None | Some(Value::Null) => None,
        Some(value) => match value.as_f64() {
            Some(amount) if amount.is_finite() => Some(amount),
            _ => return invalid(&state, "amount"),
        },
    };
    let mut data = state.data();
    let Some(order) = data.orders.iter_mut().find(|o| o.id == id) else {
        return not_found();
    };
    if !state.switches.bola_write && !may_access(&caller, order) {
        return not_found();
    }
    if let Some(item) = item {
        order.item = item;
    }
    if let Some(amount) = amount {
        order.amount = amount;
    }
    json_response(StatusCode::OK, order_view(order))
}

/// `GET /api/v2/orders?limit=N&offset=M`: the caller's orders (all of them for an admin).
pub(crate) async fn list_orders(State(state): State<Arc<LabState>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let caller = match authenticate(&state, &parts) {
        Ok(user) => user,
        Err(denied) => return denied.into_response(),
    };
    let number = |name: &str, default: u64| match query_param(&parts.uri, name) {
        None => Some(default),
        Some(raw) => parse_id(&raw),
    };
    let (Some(limit), Some(offset)) = (number("limit", DEFAULT_LIMIT), number("offset", 0)) else {
        return invalid(&state, "limit");
    };
    if !state.switches.unbounded_page_size && limit > MAX_LIMIT {
        return error(StatusCode::BAD_REQUEST, "limit must be <= 100");
    }
    let real: Vec<Order> = state
        .data()
        .orders
        .iter()
        .filter(|order| may_access(&caller, order))
        .cloned()
        .collect();
    let end = offset.saturating_add(limit).min(LISTABLE);
    let orders: Vec<Value> = (offset.min(end)..end)
        .map(
            |index| match usize::try_from(index).ok().and_then(|i| real.get(i)) {
                Some(order) => order_view(order),
                None => synthetic(index, caller.id),
            },
        )
        .collect();
    json_response(
        StatusCode::OK,
        json!({"orders": orders, "limit": limit, "offset": offset, "total": LISTABLE}),
    )
}

/// A generated order, listed but not stored (it cannot be fetched by id).
fn synthetic(index: u64, owner_id: u64) -> Value {
    json!({
        "id": SYNTHETIC_BASE + index,
        "item": format!("Synthetic item #{index}"),
        "amount": (index * 37 % 500) as f64 + 0.99,
        "owner_id": owner_id,
        "shipping_address": format!("{} Synthetic Street, Testville", index % 997 + 1),
        "synthetic": true,
    })
}

/// Owner or admin.
fn may_access(caller: &User, order: &Order) -> bool {
    order.owner_id == caller.id || is_admin(caller)
}

/// `GET /api/v2/reports`: sales figures, public when `unauthenticated_reports` is on.
pub(crate) async fn reports(State(state): State<Arc<LabState>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    if !state.switches.unauthenticated_reports
        && let Err(denied) = authenticate(&state, &parts)
    {
        return denied.into_response();
    }
    json_response(
        StatusCode::OK,
        json!({"reports": [
            {"month": "2025-01", "region": "EMEA", "revenue": 182_340.55, "orders": 1204},
            {"month": "2025-01", "region": "AMER", "revenue": 241_902.10, "orders": 1630},
            {"month": "2025-02", "region": "EMEA", "revenue": 175_118.00, "orders": 1151},
            {"month": "2025-02", "region": "AMER", "revenue": 259_774.35, "orders": 1702},
        ]}),
    )
}

/// `GET /api/v2/legacy-export`: deprecated; announces its sunset unless `deprecated_without_sunset` is on.
pub(crate) async fn legacy_export(
    State(state): State<Arc<LabState>>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let caller = match authenticate(&state, &parts) {
        Ok(user) => user,
        Err(denied) => return denied.into_response(),
    };
    let orders: Vec<Value> = state
        .data()
        .orders
        .iter()
        .filter(|order| may_access(&caller, order))
        .map(order_view)
        .collect();
    let mut response = json_response(
        StatusCode::OK,
        json!({"format": "v1-json", "orders": orders}),
    );
    if !state.switches.deprecated_without_sunset {
        let headers = response.headers_mut();
        headers.insert(
            HeaderName::from_static("deprecation"),
            HeaderValue::from_static("true"),
        );
        headers.insert(
            HeaderName::from_static("sunset"),
            HeaderValue::from_static("Wed, 01 Jul 2026 00:00:00 GMT"),
        );
        headers.insert(
            axum::http::header::LINK,
            HeaderValue::from_static(r#"</api/v2/exports>; rel="successor-version""#),
        );
    }
    response
}

/// `GET /api/v2/exports`: the successor of the legacy export.
pub(crate) async fn exports(State(state): State<Arc<LabState>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    match authenticate(&state, &parts) {
        Ok(_) => json_response(
            StatusCode::OK,
            json!({"exports": [], "formats": ["json", "csv"]}),
        ),
        Err(denied) => denied.into_response(),
    }
}

/// Anything under `/api/v1`: retired (410), or, with `legacy_v1_api` on, the old unauthenticated reads.
pub(crate) async fn v1(State(state): State<Arc<LabState>>, request: Request) -> Response {
    if !state.switches.legacy_v1_api {
        return error(StatusCode::GONE, "API v1 has been retired; use /api/v2");
    }
    if request.method() != axum::http::Method::GET {
        return error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    }
    let path = request.uri().path().trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    // ["", "api", "v1", kind, id]
    let (Some(kind), Some(raw), 5) = (segments.get(3), segments.get(4), segments.len()) else {
        return not_found();
    };
    let Some(id) = parse_id(raw) else {
        return invalid_id(&state, raw, kind, "get_v1");
    };
    let data = state.data();
    match *kind {
        // v1 predates the field filtering: the whole record, secrets included.
        "users" => match data.user(id) {
            Some(user) => json_response(StatusCode::OK, full_user(user)),
            None => not_found(),
        },
        "orders" => match data.orders.iter().find(|o| o.id == id) {
            Some(order) => json_response(StatusCode::OK, order_view(order)),
            None => not_found(),
        },
        _ => not_found(),
    }
}

/// Every stored field of a user but the clear-text password.
fn full_user(user: &User) -> Value {
    json!({
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "email": user.email,
        "password_hash": user.password_hash,
        "api_key": user.api_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_view_is_not_full_user_when_hardened() {
        use crate::lab::routes_account::user_view;
        let state = LabState::new(crate::lab::LabConfig::hardened()).expect("state");
        let user = state.data().user(1).cloned().expect("alice");
        assert!(
            user_view(&state, &user, false)
                .get("password_hash")
                .is_none()
        );
        assert!(full_user(&user).get("password_hash").is_some());
    }
}
