//! The typed model of apiward's YAML formats: checks, profiles and suites.
//!
//! Every struct denies unknown fields and keeps the position of the values that can be wrong at run
//! time (steps, requests, assertions, templated strings), so any later error can point at its line.
//! Nothing here touches the network.

mod check;
mod profile;
mod suite;

pub use check::{Assertion, AssertionKind, Capture, Check, CheckFile, Predicate, Request, Step};
#[cfg(test)]
pub use profile::{Basic, NameValue};
pub use profile::{Credential, Identity, Profile, ProfileFile, SecretSource};
pub use suite::{Selector, Suite};

/// A value with the position where it was written in its YAML file.
pub type Spanned<T> = serde_saphyr::Spanned<T>;

/// A templated string with its position.
pub type Str = Spanned<String>;

/// 1-based line and column of a spanned value.
pub fn line_col<T>(s: &Spanned<T>) -> (usize, usize) {
    (s.referenced.line() as usize, s.referenced.column() as usize)
}
