//! The profile format: the target, what apiward may contact, how fast, as whom, and which endpoints.
//!
//! Secrets never live in the file: identity credentials are templates over `secrets`, and each secret
//! names the environment variable it is read from. A `default` exists for labs and tutorials only.

use super::{Spanned, Str};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

/// A profile file exactly as written.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    /// Base URL every `path` is appended to, e.g. `https://api.example.com`.
    #[schemars(with = "String")]
    pub base_url: Str,
    /// Hosts apiward may contact (`host` or `host:port`); default: the base URL's host and port.
    #[serde(default)]
    pub scope: Vec<String>,
    /// Request rate, concurrency, timeouts and body cap.
    #[serde(default)]
    pub limits: Limits,
    /// Verify TLS certificates (default true).
    #[serde(default = "yes")]
    pub tls_verify: bool,
    /// Enable checks tagged `intrusive` (default false; `--intrusive` also enables them).
    #[serde(default)]
    pub intrusive: bool,
    /// Enable checks tagged `destructive` (default false; `--destructive` also enables them).
    #[serde(default)]
    pub destructive: bool,
    /// Named identities. `anonymous` always exists and sends no credentials.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, Identity>")]
    pub identities: IndexMap<String, Spanned<Identity>>,
    /// Endpoints of the API, which checks iterate over.
    #[serde(default)]
    #[schemars(with = "Vec<Endpoint>")]
    pub endpoints: Vec<Spanned<Endpoint>>,
    /// Free variables available to templates as `vars.NAME`.
    #[serde(default)]
    pub vars: IndexMap<String, serde_json::Value>,
    /// Profile-wide secrets available to templates as `secrets.NAME`, read from the environment.
    #[serde(default)]
    pub secrets: IndexMap<String, SecretSource>,
}

fn yes() -> bool {
    true
}

/// Limits that keep the scanner safe to point at production.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Requests per second across the whole run; 0 means unlimited (default 50).
    #[serde(default = "default_rps")]
    pub rps: u32,
    /// Requests in flight at once (default 16).
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Timeout of each request, connect to last byte, in milliseconds (default 10000).
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    /// Largest response body read, in bytes; the rest is discarded (default 1 MiB).
    #[serde(default = "default_body")]
    pub max_body_bytes: u64,
    /// Most redirects followed when a step asks to follow them (default 5).
    #[serde(default = "default_redirects")]
    pub max_redirects: u32,
}

fn default_rps() -> u32 {
    50
}
fn default_concurrency() -> usize {
    16
}
fn default_timeout() -> u64 {
    10_000
}
fn default_body() -> u64 {
    1 << 20
}
fn default_redirects() -> u32 {
    5
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            rps: default_rps(),
            concurrency: default_concurrency(),
            timeout_ms: default_timeout(),
            max_body_bytes: default_body(),
            max_redirects: default_redirects(),
        }
    }
}

/// Where a secret comes from.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretSource {
    /// Environment variable holding the value.
    pub env: String,
    /// Value used when the variable is unset (for labs and tutorials only; still redacted).
    #[serde(default)]
    pub default: Option<String>,
}

/// A way to authenticate.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// Role, e.g. `user` or `admin`; checks look identities up by role.
    #[serde(default)]
    pub role: Option<String>,
    /// Secrets of this identity, available to its templates as `secrets.NAME`.
    #[serde(default)]
    pub secrets: IndexMap<String, SecretSource>,
    /// A login flow run once per run; its captures are available to the credential templates.
    #[serde(default)]
    #[schemars(with = "Option<LoginFlow>")]
    pub login: Option<Spanned<LoginFlow>>,
    /// The credential sent with each request.
    #[serde(default)]
    pub credential: Option<Credential>,
}

/// The credential an identity sends. Exactly one field is set; values are templates.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// `Authorization: Bearer <value>`.
    #[serde(default)]
    pub bearer: Option<String>,
    /// A custom header.
    #[serde(default)]
    pub header: Option<NameValue>,
    /// A cookie.
    #[serde(default)]
    pub cookie: Option<NameValue>,
    /// HTTP basic authentication.
    #[serde(default)]
    pub basic: Option<Basic>,
}

/// A header or cookie credential.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NameValue {
    /// Header or cookie name.
    pub name: String,
    /// Value template.
    pub value: String,
}

/// HTTP basic credentials.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Basic {
    /// Username template.
    pub username: String,
    /// Password template.
    pub password: String,
}

/// A login flow: one request and the captures that make up the credential.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginFlow {
    /// The login request (sent anonymously).
    #[schemars(with = "super::Request")]
    pub request: Spanned<super::Request>,
    /// Values to capture, e.g. `token: { jsonpath: $.token }`.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, super::Capture>")]
    pub capture: IndexMap<String, Spanned<super::Capture>>,
    /// Assertions the login response must satisfy (default: status is 2xx).
    #[serde(default)]
    #[schemars(with = "Vec<super::Assertion>")]
    pub expect: Vec<Spanned<super::Assertion>>,
}

/// An endpoint of the API under test.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// HTTP method (default GET).
    #[serde(default = "get")]
    pub method: String,
    /// Path template with `{param}` placeholders, e.g. `/api/orders/{id}`.
    pub path: String,
    /// Values for the path placeholders.
    #[serde(default)]
    pub params: IndexMap<String, serde_json::Value>,
    /// Example query parameters.
    #[serde(default)]
    pub query: IndexMap<String, serde_json::Value>,
    /// Example JSON body.
    #[serde(default)]
    pub json: Option<serde_json::Value>,
    /// Whether the endpoint requires authentication (default true).
    #[serde(default = "yes")]
    pub auth: bool,
    /// Identity that owns the object this endpoint addresses (for BOLA checks).
    #[serde(default)]
    pub owner: Option<String>,
    /// Identity to call the endpoint as when it needs auth and has no owner.
    #[serde(default)]
    pub identity: Option<String>,
    /// Free tags checks select on: `admin`, `login`, `list`, `llm`, `url-param`, `webhook`, ...
    #[serde(default)]
    pub tags: Vec<String>,
}

fn get() -> String {
    "GET".to_owned()
}

/// A loaded profile: the file plus where it came from.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The parsed file.
    pub file: ProfileFile,
    /// Display path.
    pub path: String,
    /// Source text for located messages.
    pub source: std::sync::Arc<str>,
}

impl Profile {
    /// Loads and validates a profile file.
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Profile, crate::Diagnostics> {
        crate::load::load_profile(path.as_ref())
    }

    /// Loads and validates a profile from text; `name` is used in messages.
    pub fn parse(name: &str, text: &str) -> Result<Profile, crate::Diagnostics> {
        crate::load::load_profile_str(name, text)
    }

    /// The profile of the built-in lab (`suites/profiles/lab.yaml`, embedded in the binary).
    pub fn lab() -> Profile {
        let text = crate::load::builtin_suite_file("profiles/lab.yaml")
            .expect("the lab profile is embedded");
        Profile::parse("suites/profiles/lab.yaml", text).expect("the embedded lab profile is valid")
    }

    /// Points the profile at another base URL (the default scope follows it).
    pub fn with_base_url(mut self, url: &str) -> Profile {
        self.file.base_url.value = url.to_owned();
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.file.base_url.value
    }
}
