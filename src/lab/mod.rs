//! The lab: apiward's own deliberately vulnerable API.
//!
//! An axum application with users, orders, products, roles and JWT auth, where every weakness the built-in checks
//! look for is one switch ([`Switches`]). [`LabConfig::vulnerable`] turns them all on, [`LabConfig::hardened`] all
//! off; each built-in check is proven against both (a finding on the first, a pass on the second). Data lives in
//! memory per instance. The lab only binds loopback addresses and never opens an outbound connection: its SSRF and
//! webhook "fetches" are simulated in-process. `docs/lab.md` documents every route and switch.

mod auth;
mod config;
mod db;
mod fetch;
mod jwt;
mod layer;
pub(crate) mod openapi;
mod pattern;
mod respond;
mod routes_account;
mod routes_misc;
mod routes_orders;
mod routes_outbound;
mod routes_products;
mod server;
mod state;
mod switches;

#[cfg(test)]
mod tests;

pub use config::LabConfig;
pub use server::{RunningLab, router, start};
pub use switches::Switches;
