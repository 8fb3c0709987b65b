//! Building the lab's router and serving it on a loopback address.
//!
//! The routes live in an inner router; the outer router is nothing but a catch-all around it with the lab layer
//! on top, so the layer sees every request (any path, any method) and can hand handlers a dispatcher into the
//! whole inner router for the simulated outbound fetches.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{any, get, post, put};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::lab::config::LabConfig;
use crate::lab::layer::lab_layer;
use crate::lab::respond::{error, not_found};
use crate::lab::state::LabState;
use crate::lab::{
    openapi, routes_account, routes_misc, routes_orders, routes_outbound, routes_products,
};

/// How long [`RunningLab::shutdown`] waits for open connections before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// A lab serving in the background; [`RunningLab::shutdown`] stops it.
#[derive(Debug)]
pub struct RunningLab {
    /// The bound address (the real port when started on port 0).
    pub addr: SocketAddr,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl RunningLab {
    /// `http://IP:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, lets in-flight requests finish briefly, then ends the server task.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(());
        let mut task = self.task;
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

/// Binds `addr` (must be a loopback address; refuse others with an error) and serves in a spawned tokio task.
///
/// The lab is deliberately vulnerable: it must never be reachable from another machine, so any address that
/// is not loopback (`0.0.0.0` included) is refused with [`std::io::ErrorKind::InvalidInput`].
pub async fn start(addr: SocketAddr, config: LabConfig) -> std::io::Result<RunningLab> {
    if !addr.ip().to_canonical().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("the lab only listens on loopback addresses (127.0.0.1, ::1), not {addr}"),
        ));
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let state = Arc::new(LabState::new(config)?);
    // Known before the first request, so the SSRF simulation recognises the lab's own address.
    let _ = state.self_port.set(addr.port());
    let app = build(state).into_make_service_with_connect_info::<SocketAddr>();
    let (shutdown, signal) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = signal.await;
            })
            .await;
    });
    Ok(RunningLab {
        addr,
        shutdown,
        task,
    })
}

/// The lab as a router, for in-process tests. Panics only if SQLite cannot open an in-memory database.
pub fn router(config: LabConfig) -> Router {
    let state = LabState::new(config)
        .unwrap_or_else(|e| panic!("cannot create the lab's in-memory database: {e}"));
    build(Arc::new(state))
}

/// The outer router: a catch-all around the routes, under the lab layer.
fn build(state: Arc<LabState>) -> Router {
    Router::new()
        .fallback_service(routes(Arc::clone(&state)))
        .layer(from_fn_with_state(state, lab_layer))
}

/// Every route of the lab.
fn routes(state: Arc<LabState>) -> Router {
    Router::new()
        .route("/", get(routes_misc::index))
        .route("/api/v2/health", get(routes_misc::health))
        .route("/api/v2/status", get(routes_misc::status))
        .route("/api/v2/login", post(routes_account::login))
        .route("/api/v2/register", post(routes_account::register))
        .route(
            "/api/v2/me",
            get(routes_account::me).patch(routes_account::patch_me),
        )
        .route("/api/v2/users", get(routes_account::list_users))
        .route("/api/v2/users/{id}", get(routes_account::get_user))
        .route("/api/v2/admin/users", get(routes_account::admin_list))
        .route("/api/v2/admin/export", get(routes_account::admin_export))
        .route(
            "/api/v2/admin/users/{id}",
            axum::routing::delete(routes_account::admin_delete),
        )
        .route("/api/v2/orders", get(routes_orders::list_orders))
        .route(
            "/api/v2/orders/{id}",
            get(routes_orders::get_order).merge(put(routes_orders::put_order)),
        )
        .route("/api/v2/reports", get(routes_orders::reports))
        .route("/api/v2/legacy-export", get(routes_orders::legacy_export))
        .route("/api/v2/exports", get(routes_orders::exports))
        .route("/api/v2/products", get(routes_products::find))
        .route("/api/v2/products/search", post(routes_products::search))
        .route("/api/v2/preview", get(routes_outbound::preview))
        .route("/api/v2/webhooks", post(routes_outbound::register_webhook))
        .route("/api/v2/assistant", post(routes_misc::assistant))
        .route("/api/v1", any(routes_orders::v1))
        .route("/api/v1/", any(routes_orders::v1))
        .route("/api/v1/{*rest}", any(routes_orders::v1))
        .route("/openapi.json", get(openapi::serve))
        .route("/redirect", get(routes_outbound::redirect))
        .route("/internal/admin", get(routes_outbound::internal_admin))
        .route("/debug/vars", get(routes_misc::debug_vars))
        .route("/actuator/env", get(routes_misc::actuator_env))
        .route("/.env", get(routes_misc::dotenv))
        .route("/.git/config", get(routes_misc::git_config))
        .route("/.git/HEAD", get(routes_misc::git_head))
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

async fn unknown_route() -> Response {
    not_found()
}

async fn method_not_allowed() -> Response {
    error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
}
