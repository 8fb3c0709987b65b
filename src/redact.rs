//! Redaction: secrets never appear in any output.
//!
//! Every identity secret, login capture and rendered credential is registered here as soon as it is
//! known, together with its base64 (standard and URL-safe) and URL-encoded forms. Every string that
//! leaves the engine (messages, evidence, curl lines) goes through [`Redactor::redact`].

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use regex::Regex;
use std::sync::{LazyLock, RwLock};

/// What a secret is replaced with.
pub const MASK: &str = "[REDACTED]";

static JWT_SIGNATURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.)[A-Za-z0-9_-]{8,}")
        .expect("jwt pattern")
});

static SESSION_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b((?:session|sess|sid|connect\.sid|access_token|refresh_token|id_token|api_key|apikey)[A-Za-z0-9_.-]*=)[^;&\s\x22']{8,}")
        .expect("session pattern")
});

/// Shortest value treated as a secret: shorter ones would mask ordinary text.
const MIN_LEN: usize = 4;

/// A set of secret values and their encoded forms.
#[derive(Debug, Default)]
pub struct Redactor {
    needles: RwLock<Vec<String>>,
}

impl Redactor {
    /// Registers a secret value (and its encodings).
    pub fn add(&self, secret: &str) {
        if secret.len() < MIN_LEN {
            return;
        }
        let mut forms = vec![
            secret.to_owned(),
            STANDARD.encode(secret),
            STANDARD_NO_PAD.encode(secret),
            URL_SAFE.encode(secret),
            URL_SAFE_NO_PAD.encode(secret),
            urlencode(secret),
        ];
        forms.dedup();
        let mut needles = self.needles.write().unwrap_or_else(|e| e.into_inner());
        for f in forms {
            if f.len() >= MIN_LEN && !needles.contains(&f) {
                needles.push(f);
            }
        }
        // Longest first, so a secret is masked whole before any shorter secret inside it.
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    }

    /// Masks every registered secret in `text`, then credential-shaped values apiward did not
    /// register (tokens of throw-away accounts a check created, session cookies the target set):
    /// a JWT keeps its header and claims but loses its signature; a session-like cookie or
    /// `access_token` parameter loses its value.
    pub fn redact(&self, text: &str) -> String {
        let needles = self.needles.read().unwrap_or_else(|e| e.into_inner());
        let mut out = text.to_owned();
        for n in needles.iter() {
            if out.contains(n.as_str()) {
                out = out.replace(n.as_str(), MASK);
            }
        }
        if out.contains("eyJ") {
            out = JWT_SIGNATURE
                .replace_all(&out, "${1}[REDACTED]")
                .into_owned();
        }
        SESSION_VALUE
            .replace_all(&out, "${1}[REDACTED]")
            .into_owned()
    }

    /// True when no secret is registered.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.needles.read().map(|n| n.is_empty()).unwrap_or(true)
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_plain_and_encoded_forms() {
        let r = Redactor::default();
        r.add("s3cr3t/pa ss");
        let b64 = STANDARD.encode("s3cr3t/pa ss");
        let text = format!("a s3cr3t/pa ss b {b64} c s3cr3t%2Fpa%20ss");
        assert_eq!(r.redact(&text), "a [REDACTED] b [REDACTED] c [REDACTED]");
    }

    #[test]
    fn masks_unregistered_credentials() {
        let r = Redactor::default();
        let text = "set-cookie: session=abcdef0123456789; Path=/ and /me?access_token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2lnbmF0dXJl";
        let out = r.redact(text);
        assert_eq!(
            out,
            "set-cookie: session=[REDACTED]; Path=/ and /me?access_token=[REDACTED]"
        );
        let jwt = r.redact("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2lnbmF0dXJl");
        assert_eq!(
            jwt,
            "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.[REDACTED]"
        );
        assert_eq!(r.redact("id=12345678901234"), "id=12345678901234");
    }

    #[test]
    fn ignores_tiny_values() {
        let r = Redactor::default();
        r.add("ab");
        assert_eq!(r.redact("ab cd"), "ab cd");
        assert!(r.is_empty());
    }
}
