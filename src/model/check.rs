//! The check format: metadata, an optional matrix, and request steps with captures and assertions.
//!
//! Assertions are written query → predicate, one line each, e.g. `- status: { in: [401, 403] }` or
//! `- jsonpath: { path: $.role, not: true, equals: admin }`. The query kind is the map key (an
//! externally tagged shape, which keeps serde's error positions); its parameters and the predicate sit
//! side by side in one struct, and [`Assertion::validate`] checks that they fit the kind.

use super::{Spanned, Str};
use crate::results::Severity;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;
use std::sync::Arc;

/// One of the twelve categories, aligned with the OWASP API Security Top 10 (2023).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// API2: broken authentication.
    Authentication,
    /// API1: broken object level authorization.
    Bola,
    /// API5: broken function level authorization.
    Bfla,
    /// API3: broken object property level authorization (mass assignment).
    PropertyAuthorization,
    /// Injection and input handling.
    InputValidation,
    /// API4: unrestricted resource consumption.
    RateLimiting,
    /// API3/API8: sensitive data and verbose errors in responses.
    DataExposure,
    /// API8: transport security and security headers.
    Encryption,
    /// API7: server-side request forgery.
    Ssrf,
    /// API9: improper inventory management.
    Inventory,
    /// API10: unsafe consumption of APIs.
    UnsafeConsumption,
    /// Prompt injection and leakage in LLM-backed endpoints.
    LlmSecurity,
}

impl Category {
    /// The kebab-case name used in files, trial names and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Authentication => "authentication",
            Category::Bola => "bola",
            Category::Bfla => "bfla",
            Category::PropertyAuthorization => "property-authorization",
            Category::InputValidation => "input-validation",
            Category::RateLimiting => "rate-limiting",
            Category::DataExposure => "data-exposure",
            Category::Encryption => "encryption",
            Category::Ssrf => "ssrf",
            Category::Inventory => "inventory",
            Category::UnsafeConsumption => "unsafe-consumption",
            Category::LlmSecurity => "llm-security",
        }
    }
}

/// A check file exactly as written.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckFile {
    /// Stable identifier; must equal the file stem (kebab-case).
    #[schemars(with = "String")]
    pub id: Str,
    /// Metadata shown in reports.
    #[schemars(with = "Info")]
    pub info: Spanned<Info>,
    /// Matrix: each key is bound, in order, to each value of a list (a YAML list, or a `{{ expr }}`
    /// string evaluating to a list). Every combination is one trial.
    #[serde(default)]
    #[schemars(with = "Option<IndexMap<String, serde_json::Value>>")]
    pub for_each: Option<Spanned<IndexMap<String, Spanned<serde_json::Value>>>>,
    /// Combine `for_each` lists element-wise (zip) instead of the cartesian product.
    #[serde(default)]
    pub zip: bool,
    /// Template for the trial label (the part in brackets of the trial name).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub label: Option<Str>,
    /// Template naming the endpoint a trial is about (`GET /users/{id}`), used in reports.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub endpoint: Option<Str>,
    /// Request steps, run in order.
    #[schemars(with = "Vec<Step>")]
    pub steps: Vec<Spanned<Step>>,
}

/// Check metadata.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Info {
    /// Human title.
    pub name: String,
    /// One of the twelve categories.
    pub category: Category,
    /// Severity of a finding.
    pub severity: Severity,
    /// OWASP API Security Top 10 id, e.g. `API2:2023`.
    #[serde(default)]
    pub owasp: Option<String>,
    /// CWE ids, e.g. `[CWE-306]`.
    #[serde(default)]
    pub cwe: Vec<String>,
    /// `safe`, `intrusive` or `destructive`, plus free tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// What the weakness is and why it matters.
    #[serde(default)]
    pub description: String,
    /// How to fix it.
    #[serde(default)]
    pub remediation: String,
    /// Reference URLs.
    #[serde(default)]
    pub references: Vec<String>,
}

/// One request (optional) with its controls, captures and assertions.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Optional name shown in messages.
    #[serde(default)]
    pub name: Option<String>,
    /// The request to send. A step without a request evaluates `value` assertions only.
    #[serde(default)]
    #[schemars(with = "Option<Request>")]
    pub request: Option<Spanned<Request>>,
    /// Send the request up to this many times, stopping as soon as every `expect` assertion holds.
    #[serde(default)]
    pub repeat: Option<u32>,
    /// Preconditions: when one fails the trial cannot decide and ends as an error, not a finding.
    #[serde(default)]
    #[schemars(with = "Vec<Assertion>")]
    pub control: Vec<Spanned<Assertion>>,
    /// Values taken from the response for later steps, by name.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, Capture>")]
    pub capture: IndexMap<String, Spanned<Capture>>,
    /// What a secure API does: when one fails, the trial is a finding.
    #[serde(default)]
    #[schemars(with = "Vec<Assertion>")]
    pub expect: Vec<Spanned<Assertion>>,
}

/// An HTTP request. Every string is a template.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// HTTP method (any token, e.g. `TRACE`); default `GET`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub method: Option<Str>,
    /// Path (and optional query string) appended to the profile's base URL.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub path: Option<Str>,
    /// Absolute URL instead of `path`; its host must be in scope.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub url: Option<Str>,
    /// Identity to authenticate as (a profile identity name); default `anonymous`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub identity: Option<Str>,
    /// Extra headers.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, String>")]
    pub headers: IndexMap<String, Str>,
    /// Query parameters, appended to the URL (URL-encoded).
    #[serde(default)]
    #[schemars(with = "IndexMap<String, String>")]
    pub query: IndexMap<String, Str>,
    /// Raw body text.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub body: Option<Str>,
    /// JSON body (strings inside are templates); sets `Content-Type: application/json`.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub json: Option<Spanned<serde_json::Value>>,
    /// Follow redirects (only within scope). Default: do not follow.
    #[serde(default)]
    pub follow_redirects: bool,
    /// Per-request timeout in milliseconds (at most the profile's limit).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Byte-exact request text sent over a plain TCP connection to the base URL's host (HTTP only).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub raw: Option<Str>,
}

/// A value taken from a response. Exactly one field is set.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Capture {
    /// JSONPath into the JSON body; the first match.
    #[serde(default)]
    pub jsonpath: Option<String>,
    /// A response header's value.
    #[serde(default)]
    pub header: Option<String>,
    /// A regex over the body; capture group 1 (or the whole match).
    #[serde(default)]
    pub regex: Option<String>,
    /// The whole body as text.
    #[serde(default)]
    pub body: bool,
    /// The status code.
    #[serde(default)]
    pub status: bool,
}

/// The kinds of assertion, keyed by the query they read.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssertionKind {
    /// The status code.
    Status(Predicate),
    /// A header's value (`name` required); a list when repeated.
    Header(Predicate),
    /// The body as text.
    Body(Predicate),
    /// JSONPath matches in the JSON body (`path` required).
    Jsonpath(Predicate),
    /// Response time in milliseconds.
    Duration(Predicate),
    /// Body size in bytes.
    Size(Predicate),
    /// Secret-shaped values found in the body (cloud keys, private keys, JWTs, Luhn-valid card numbers).
    Secrets(Predicate),
    /// Names of all keys in the JSON body, recursively, lowercased.
    Keys(Predicate),
    /// A template expression's value (`of` required), e.g. a decoded token.
    Value(Predicate),
    /// Passes when at least one of the nested assertions passes.
    Any(#[schemars(with = "Vec<AssertionKind>")] Vec<Spanned<AssertionKind>>),
}

/// One assertion as written (the kind with its predicate).
pub type Assertion = AssertionKind;

/// Query parameters plus the predicate. Exactly one predicate field is set.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Predicate {
    /// Header name (for `header`).
    #[serde(default)]
    pub name: Option<String>,
    /// JSONPath (for `jsonpath`).
    #[serde(default)]
    pub path: Option<String>,
    /// Template whose value is judged (for `value`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub of: Option<Str>,
    /// Negates the predicate.
    #[serde(default)]
    pub not: bool,
    /// Equal to this value (strings are templates; numbers compare numerically).
    #[serde(default)]
    pub equals: Option<serde_json::Value>,
    /// Text contains this substring (case-sensitive), or a list contains this element.
    #[serde(default)]
    pub contains: Option<serde_json::Value>,
    /// Text (or any list element) matches this regular expression.
    #[serde(default)]
    pub matches: Option<String>,
    /// The value is present (`true`).
    #[serde(default)]
    pub exists: Option<bool>,
    /// The value is missing (`true`).
    #[serde(default)]
    pub absent: Option<bool>,
    /// The value is one of these.
    #[serde(default, rename = "in")]
    pub one_of: Option<Vec<serde_json::Value>>,
    /// Numerically less than.
    #[serde(default)]
    pub lt: Option<serde_json::Value>,
    /// Numerically greater than.
    #[serde(default)]
    pub gt: Option<serde_json::Value>,
    /// Numerically less than or equal.
    #[serde(default)]
    pub lte: Option<serde_json::Value>,
    /// Numerically greater than or equal.
    #[serde(default)]
    pub gte: Option<serde_json::Value>,
    /// The number of values (JSONPath matches, header values, list items) satisfies this predicate.
    #[serde(default)]
    #[schemars(with = "Option<Predicate>")]
    pub count: Option<Box<Predicate>>,
}

impl Predicate {
    /// Names of the predicate fields that are set (exactly one is valid).
    pub fn predicate_fields(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let pairs: [(&'static str, bool); 11] = [
            ("equals", self.equals.is_some()),
            ("contains", self.contains.is_some()),
            ("matches", self.matches.is_some()),
            ("exists", self.exists.is_some()),
            ("absent", self.absent.is_some()),
            ("in", self.one_of.is_some()),
            ("lt", self.lt.is_some()),
            ("gt", self.gt.is_some()),
            ("lte", self.lte.is_some()),
            ("gte", self.gte.is_some()),
            ("count", self.count.is_some()),
        ];
        for (name, set) in pairs {
            if set {
                out.push(name);
            }
        }
        out
    }
}

/// A loaded, validated check: the file's content plus where it came from.
#[derive(Debug, Clone)]
pub struct Check {
    /// The parsed file.
    pub file: CheckFile,
    /// Display path (`checks/authentication/x.yaml`, or the path given for custom checks).
    pub path: String,
    /// Full source text, kept for located runtime messages.
    pub source: Arc<str>,
}

impl Check {
    /// The check id.
    pub fn id(&self) -> &str {
        &self.file.id.value
    }

    /// The check's metadata.
    pub fn info(&self) -> &Info {
        &self.file.info.value
    }

    /// `safe` unless tagged `intrusive` or `destructive`.
    pub fn is_intrusive(&self) -> bool {
        self.info().tags.iter().any(|t| t == "intrusive")
    }

    /// True when tagged `destructive`.
    pub fn is_destructive(&self) -> bool {
        self.info().tags.iter().any(|t| t == "destructive")
    }

    /// `file:line:col` of a spanned value in this check.
    pub fn loc<T>(&self, s: &Spanned<T>) -> String {
        let (l, c) = super::line_col(s);
        format!("{}:{l}:{c}", self.path)
    }
}
