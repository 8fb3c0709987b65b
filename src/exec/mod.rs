//! Execution: HTTP on one tokio runtime, bounded by the profile's limits and scope.
//!
//! This is the only part of apiward that talks to the network. The [`Engine`] owns the client, the
//! rate limiter, the in-flight cap, the identities (logged in once per run) and the redactor; it
//! turns a planned trial into a [`crate::results::TrialRecord`].

mod engine;
mod http;
mod identity;
mod judge;
mod token_cache;

pub use engine::{Engine, EngineOptions};
