//! Suites: selectors over checks (categories, tags, severities, ids) with exclusions.
//!
//! A suite never copies a list of checks; it describes which ones apply, so new checks join the
//! suites they fit without editing them.

use crate::results::Severity;
use schemars::JsonSchema;
use serde::Deserialize;

/// A suite file.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// Suite name (equals the file stem for built-in suites).
    pub name: String,
    /// What the suite is for.
    #[serde(default)]
    pub description: String,
    /// A check is selected when it matches every non-empty field here.
    #[serde(default)]
    pub include: Selector,
    /// A selected check is dropped when it matches any non-empty field here.
    #[serde(default)]
    pub exclude: Selector,
    /// Methods a suite allows; when set, a check whose requests use another method is dropped
    /// (`passive` uses `[GET]`).
    #[serde(default)]
    pub methods: Vec<String>,
}

/// Criteria over check metadata.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    /// Category names.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Tags; a check matches when it has any of them.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Severities.
    #[serde(default)]
    pub severities: Vec<Severity>,
    /// Check ids.
    #[serde(default)]
    pub ids: Vec<String>,
}

impl Selector {
    /// True when no criterion is set.
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty()
            && self.tags.is_empty()
            && self.severities.is_empty()
            && self.ids.is_empty()
    }
}
