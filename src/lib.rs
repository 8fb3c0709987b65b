//! apiward: an API security scanner whose checks are YAML and whose runs are libtest runs.
//!
//! The pipeline is load → validate → select → expand (pure, no network) → run (reqwest on one
//! tokio runtime) → judge → result records → reporters. Use [`Scan`] to run checks from your own
//! `cargo test` target; the `apiward` binary wraps the same API.

#![warn(missing_docs)]
#![expect(
    clippy::result_large_err,
    reason = "diagnostics are built only on error paths, where their size does not matter"
)]

mod assert;
pub mod cli;
mod demo;
mod diag;
mod exec;
mod expand;
mod harness;
pub mod lab;
mod load;
mod model;
mod openapi;
mod profile;
mod redact;
pub mod report;
mod reporting;
pub mod results;
mod scan;
mod schema;
mod select;
mod template;

pub use diag::{Diagnostic, Diagnostics, SourcePos};
pub use scan::{Profile, ReportPaths, Scan, ScanError, ScanOutput, default_results_path};

/// Installs ring as the process's TLS crypto provider (reqwest is built without one). Idempotent.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The ids of the built-in checks, sorted, read from the embedded library.
pub fn builtin_check_ids() -> Vec<String> {
    let mut ids: Vec<String> = load::builtin_check_sources()
        .into_iter()
        .filter_map(|(p, _)| {
            std::path::Path::new(&p)
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_owned)
        })
        .collect();
    ids.sort();
    ids
}

/// The OpenAPI document of the built-in lab (what `GET /openapi.json` serves).
pub fn lab_openapi_document() -> serde_json::Value {
    lab::openapi::document()
}
