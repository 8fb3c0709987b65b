//! Stands in for your API crate. Its security checks live in `security/` and run from
//! `tests/security.rs` with `cargo test` or `cargo nextest run`.
