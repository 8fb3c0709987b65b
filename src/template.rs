//! The template environment: minijinja in strict mode plus apiward's helpers.
//!
//! Templates are rendered per string field after the YAML is parsed, never on the YAML text, so a
//! value containing quotes or newlines cannot change a check's structure. Undefined variables are
//! errors. Helpers cover encoding (base64, URL), JSON, identifiers, and JWT forging and decoding for
//! authentication checks; `token()` is the only way a template reaches an identity's credential, and
//! it is resolved at run time (at plan time it yields a placeholder token of the same shape).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind, State, UndefinedBehavior};
use rand::Rng;
use sha2::Sha256;

/// Marks an error raised to skip a trial (e.g. the profile has no identity with the needed role).
pub const SKIP_MARKER: &str = "apiward-skip: ";

/// Context key holding run-time credentials (`identity name -> raw token`).
pub const CREDENTIALS_KEY: &str = "__credentials";

/// Names defined by the environment itself (functions), so static checks do not call them undefined.
pub const FUNCTIONS: &[&str] = &[
    "uuid",
    "random_string",
    "jwt_encode",
    "jwt_decode",
    "jwt_weak_secret",
    "token",
    "identity_for",
    "other_identity",
    "skip",
    "now",
    "range",
    "dict",
    "namespace",
];

/// Common HMAC secrets tried offline by `jwt_weak_secret` (no traffic is sent).
pub const WEAK_SECRETS: &[&str] = &[
    "secret",
    "Secret",
    "SECRET",
    "secret123",
    "secretkey",
    "secret-key",
    "secret_key",
    "mysecret",
    "my-secret",
    "my_secret",
    "supersecret",
    "super-secret",
    "topsecret",
    "s3cr3t",
    "password",
    "Password",
    "password123",
    "passw0rd",
    "123456",
    "12345678",
    "123456789",
    "1234567890",
    "qwerty",
    "admin",
    "administrator",
    "changeme",
    "change-me",
    "changeit",
    "default",
    "key",
    "jwt",
    "jwt-secret",
    "jwt_secret",
    "jwtsecret",
    "JWT_SECRET",
    "jwt-key",
    "jwtkey",
    "token",
    "token-secret",
    "auth",
    "authsecret",
    "auth-secret",
    "apikey",
    "api-key",
    "api_secret",
    "app-secret",
    "appsecret",
    "test",
    "testing",
    "dev",
    "development",
    "prod",
    "production",
    "your-256-bit-secret",
    "your-secret-key",
    "your_jwt_secret",
    "shhhhh",
    "shhh",
    "hello",
    "letmein",
    "welcome",
    "root",
    "toor",
    "guest",
    "demo",
    "example",
    "sample",
    "abc123",
    "1234",
    "0000",
    "private",
    "privatekey",
    "hs256",
    "HS256",
    "signing-key",
    "signingkey",
    "session-secret",
    "sessionsecret",
    "keyboard cat",
    "node",
    "express",
    "django-insecure",
    "flask-secret",
    "rails",
    "laravel",
    "spring",
    "gin",
    "fastapi",
    "none",
    "null",
];

/// Converts any serializable value into a template value.
pub fn to_value<T: serde::Serialize>(v: T) -> Value {
    Value::from(minijinja::value::Serde(v))
}

/// Builds the shared environment (strict undefined, helpers registered).
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_recursion_limit(64);
    // Raw requests end in a blank line; minijinja drops one trailing newline unless told not to.
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    // Templates are check fields; the loader hands the name back as the source, so that each
    // distinct field is compiled once per run and then served from the environment's cache.
    env.set_loader(|name| Ok(Some(name.to_owned())));
    env.add_filter("b64encode", |s: String| STANDARD.encode(s.as_bytes()));
    env.add_filter("b64url", |s: String| URL_SAFE_NO_PAD.encode(s.as_bytes()));
    env.add_filter("b64decode", b64decode);
    env.add_filter("with_tag", with_tag);
    env.add_filter("without_tag", without_tag);
    env.add_function("uuid", || uuid::Uuid::new_v4().to_string());
    env.add_function("random_string", random_string);
    env.add_function("jwt_encode", jwt_encode);
    env.add_function("jwt_decode", jwt_decode);
    env.add_function("jwt_weak_secret", jwt_weak_secret);
    env.add_function("token", token);
    env.add_function("identity_for", identity_for);
    env.add_function("other_identity", other_identity);
    env.add_function("skip", |reason: String| -> Result<Value, Error> {
        Err(skip_error(&reason))
    });
    env.add_function("now", || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    });
    env
}

/// An error that makes the trial `skipped` with `reason` instead of failing.
pub fn skip_error(reason: &str) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("{SKIP_MARKER}{reason}"),
    )
}

/// The skip reason carried by `err`, if it is (or wraps) a skip error.
pub fn skip_reason(err: &Error) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        if let Some(idx) = text.find(SKIP_MARKER) {
            let rest = &text[idx + SKIP_MARKER.len()..];
            let reason = rest.split(" (in ").next().unwrap_or(rest);
            return Some(reason.trim().to_owned());
        }
        cur = e.source();
    }
    None
}

/// A one-line description of a template error (kind, detail and line within the template).
pub fn describe(err: &Error) -> String {
    let mut msg = match err.detail() {
        Some(d) => format!("{}: {d}", err.kind()),
        None => err.kind().to_string(),
    };
    if let Some(src) = std::error::Error::source(err) {
        msg.push_str(&format!(" ({src})"));
    }
    msg
}

fn b64decode(s: String) -> Result<String, Error> {
    let bytes = STANDARD
        .decode(s.trim())
        .or_else(|_| URL_SAFE_NO_PAD.decode(s.trim().trim_end_matches('=')))
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("b64decode: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn has_tag(v: &Value, tag: &str) -> bool {
    v.get_attr("tags")
        .ok()
        .and_then(|t| {
            t.try_iter()
                .ok()
                .map(|mut it| it.any(|x| x.as_str() == Some(tag)))
        })
        .unwrap_or(false)
}

fn with_tag(list: Value, tag: String) -> Result<Value, Error> {
    Ok(Value::from(
        list.try_iter()?
            .filter(|v| has_tag(v, &tag))
            .collect::<Vec<_>>(),
    ))
}

fn without_tag(list: Value, tag: String) -> Result<Value, Error> {
    Ok(Value::from(
        list.try_iter()?
            .filter(|v| !has_tag(v, &tag))
            .collect::<Vec<_>>(),
    ))
}

fn random_string(len: Option<usize>) -> String {
    let len = len.unwrap_or(12).min(4096);
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

fn to_json(v: &Value) -> Result<serde_json::Value, Error> {
    serde_json::to_value(v)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("not JSON: {e}")))
}

/// `jwt_encode(header, claims, key="")`: alg `none` (any case) gives an unsigned token with an empty
/// signature; HS256 signs with `key`; any other alg is written as given with signature `key`
/// (so checks can send deliberately broken signatures).
fn jwt_encode(header: Value, claims: Value, key: Option<String>) -> Result<String, Error> {
    let h = to_json(&header)?;
    let c = to_json(&claims)?;
    let alg = h
        .get("alg")
        .and_then(|a| a.as_str())
        .unwrap_or("HS256")
        .to_owned();
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(h.to_string()),
        URL_SAFE_NO_PAD.encode(c.to_string())
    );
    let key = key.unwrap_or_default();
    let sig = if alg.eq_ignore_ascii_case("none") {
        String::new()
    } else if alg == "HS256" {
        hs256(&signing_input, key.as_bytes())
    } else {
        key
    };
    Ok(format!("{signing_input}.{sig}"))
}

fn hs256(input: &str, key: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(input.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// `jwt_decode(token)` → `{header, payload, signature, signing_input}` without verifying anything.
fn jwt_decode(token: String) -> Result<Value, Error> {
    let parts: Vec<&str> = token.trim().split('.').collect();
    // A credential that is not a JWT (an API key, a session id) makes JWT checks not applicable.
    if parts.len() != 3 {
        return Err(skip_error("the credential is not a JWT"));
    }
    let part = |s: &str| -> Result<serde_json::Value, Error> {
        let bytes = URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .map_err(|e| {
                Error::new(
                    ErrorKind::InvalidOperation,
                    format!("jwt_decode: bad base64url: {e}"),
                )
            })?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("jwt_decode: not JSON: {e}"),
            )
        })
    };
    Ok(to_value(serde_json::json!({
        "header": part(parts[0])?,
        "payload": part(parts[1])?,
        "signature": parts[2],
        "signing_input": format!("{}.{}", parts[0], parts[1]),
    })))
}

/// `jwt_weak_secret(token)` → the secret from a built-in wordlist that verifies the token's HS256
/// signature, or `none`. Offline: no request is sent.
fn jwt_weak_secret(token: String) -> Result<Value, Error> {
    let parts: Vec<&str> = token.trim().split('.').collect();
    if parts.len() != 3 {
        return Ok(Value::from(()));
    }
    let input = format!("{}.{}", parts[0], parts[1]);
    Ok(WEAK_SECRETS
        .iter()
        .find(|k| hs256(&input, k.as_bytes()) == parts[2])
        .map(|k| Value::from(*k))
        .unwrap_or(Value::from(())))
}

/// A placeholder token with a JWT's shape, used when rendering at plan time.
pub fn placeholder_token(identity: &str) -> String {
    jwt_encode(
        to_value(serde_json::json!({"alg": "HS256", "typ": "JWT"})),
        to_value(serde_json::json!({"sub": identity, "exp": 4_102_444_800u64, "iat": 0})),
        Some("placeholder".into()),
    )
    .unwrap_or_default()
}

fn identity_names(state: &State) -> Vec<(String, String)> {
    state
        .lookup("identities")
        .and_then(|v| v.try_iter().ok().map(|it| it.collect::<Vec<_>>()))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| {
            let name = i.get_attr("name").ok()?.as_str()?.to_owned();
            let role = i.get_attr("role").ok()?.as_str()?.to_owned();
            Some((name, role))
        })
        .collect()
}

/// `token(name)`: the raw credential of identity `name` (run time), or a placeholder (plan time).
fn token(state: &State, name: String) -> Result<String, Error> {
    if !identity_names(state).iter().any(|(n, _)| *n == name) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("token(): unknown identity `{name}`"),
        ));
    }
    if name == crate::profile::ANONYMOUS {
        return Err(skip_error(
            "needs an identity with a credential (the profile has none for this endpoint)",
        ));
    }
    match state.lookup(CREDENTIALS_KEY) {
        Some(creds) if !creds.is_undefined() => {
            let entry = creds.get_attr(&name).unwrap_or_default();
            if let Ok(t) = entry.get_attr("token")
                && let Some(t) = t.as_str()
            {
                return Ok(t.to_owned());
            }
            let why = entry
                .get_attr("error")
                .ok()
                .filter(|e| !e.is_undefined())
                .map(|e| e.to_string());
            Err(Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "token(): identity `{name}` has no credential: {}",
                    why.unwrap_or_else(|| "unknown".into())
                ),
            ))
        }
        _ => Ok(placeholder_token(&name)),
    }
}

/// `identity_for(role)`: the first identity with `role`, or skip the trial.
fn identity_for(state: &State, role: String) -> Result<String, Error> {
    identity_names(state)
        .into_iter()
        .find(|(_, r)| *r == role)
        .map(|(n, _)| n)
        .ok_or_else(|| skip_error(&format!("the profile has no identity with role `{role}`")))
}

/// `other_identity(name, role=...)`: a non-anonymous identity other than `name` (optionally with the
/// given role), or skip the trial: object-level checks need a second identity.
fn other_identity(state: &State, name: String, kwargs: Kwargs) -> Result<String, Error> {
    let role: Option<String> = kwargs.get("role")?;
    kwargs.assert_all_used()?;
    identity_names(state)
        .into_iter()
        .find(|(n, r)| {
            *n != name
                && n != crate::profile::ANONYMOUS
                && role.as_ref().is_none_or(|want| want == r)
        })
        .map(|(n, _)| n)
        .ok_or_else(|| skip_error("needs a second identity besides the owner"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    #[test]
    fn strict_undefined_is_an_error() {
        let env = environment();
        assert!(env.render_str("{{ nope }}", context! {}).is_err());
        assert_eq!(
            env.render_str("{{ x | default('d') }}", context! {})
                .unwrap(),
            "d"
        );
    }

    #[test]
    fn jwt_none_and_hs256_roundtrip() {
        let env = environment();
        let t = env
            .render_str(
                "{{ jwt_encode({'alg': 'none'}, {'sub': '1'}) }}",
                context! {},
            )
            .unwrap();
        assert!(t.ends_with('.'), "{t}");
        let signed = env
            .render_str(
                "{{ jwt_encode({'alg': 'HS256', 'typ': 'JWT'}, {'sub': '1'}, 'secret') }}",
                context! {},
            )
            .unwrap();
        let cracked = env
            .render_str("{{ jwt_weak_secret(t) }}", context! { t => signed.clone() })
            .unwrap();
        assert_eq!(cracked, "secret");
        let strong = env
            .render_str("{{ jwt_encode({'alg': 'HS256'}, {'sub': '1'}, 'Zq8!vL2#long-random-unguessable') }}", context! {})
            .unwrap();
        assert_eq!(
            env.render_str("{{ jwt_weak_secret(t) is none }}", context! { t => strong })
                .unwrap(),
            "True"
        );
        let sub = env
            .render_str("{{ jwt_decode(t).payload.sub }}", context! { t => signed })
            .unwrap();
        assert_eq!(sub, "1");
    }

    #[test]
    fn skip_errors_are_recognised() {
        let env = environment();
        let err = env
            .render_str(
                "{{ identity_for('admin') }}",
                context! { identities => vec![context!{name => "a", role => "user"}] },
            )
            .unwrap_err();
        assert_eq!(
            skip_reason(&err).as_deref(),
            Some("the profile has no identity with role `admin`")
        );
    }

    #[test]
    fn encoders() {
        let env = environment();
        assert_eq!(
            env.render_str("{{ 'a:b' | b64encode }}", context! {})
                .unwrap(),
            "YTpi"
        );
        assert_eq!(
            env.render_str("{{ 'YTpi' | b64decode }}", context! {})
                .unwrap(),
            "a:b"
        );
        assert_eq!(
            env.render_str("{{ 'a b&c' | urlencode }}", context! {})
                .unwrap(),
            "a%20b%26c"
        );
        assert_eq!(
            env.render_str("{{ random_string(5) | length }}", context! {})
                .unwrap(),
            "5"
        );
    }
}
