//! The lab's weakness switches.
//!
//! Every deliberate weakness of the lab is one `bool` here, named exactly as the CLI and the docs name it
//! (`--switch NAME=on|off`). `true` means the weakness is present. Built-in checks are proven against both
//! settings of each switch, so the list is declared once, by a macro, and the field names, [`Switches::NAMES`]
//! and [`Switches::set`] cannot drift apart.

/// Declares the `Switches` struct and its name table from one list, so adding a switch is one line.
macro_rules! switches {
    ($($(#[doc = $doc:literal])* $name:ident,)*) => {
        /// One flag per deliberate weakness; `true` turns the weakness on.
        ///
        /// See `docs/lab.md` for the exact vulnerable and hardened behaviour of each switch.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct Switches {
            $($(#[doc = $doc])* pub $name: bool,)*
        }

        impl Switches {
            /// Every switch name, in declaration order (snake_case, as accepted by [`Switches::set`]).
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name),)*];

            /// Every weakness present: the vulnerable lab.
            pub fn all_on() -> Self {
                Self { $($name: true,)* }
            }

            /// Every weakness absent: the hardened lab.
            pub fn all_off() -> Self {
                Self { $($name: false,)* }
            }

            /// Turns the switch called `name` on or off.
            ///
            /// Errors with a message naming the closest known switch when `name` is unknown.
            pub fn set(&mut self, name: &str, on: bool) -> Result<(), String> {
                match name {
                    $(stringify!($name) => self.$name = on,)*
                    _ => return Err(unknown_switch(name)),
                }
                Ok(())
            }

            /// Reads the switch called `name`, or `None` when no such switch exists.
            pub fn get(&self, name: &str) -> Option<bool> {
                match name {
                    $(stringify!($name) => Some(self.$name),)*
                    _ => None,
                }
            }
        }
    };
}

switches! {
    /// `GET /api/v2/reports` answers without a token.
    unauthenticated_reports,
    /// JWTs with `alg: none` (any case) and no signature are accepted.
    jwt_alg_none,
    /// HS256 signatures are not verified.
    jwt_no_signature_check,
    /// Tokens are signed with the dictionary word `secret`.
    jwt_weak_secret,
    /// The `exp` claim is ignored.
    jwt_expired_accepted,
    /// Login tells unknown users apart from wrong passwords.
    login_user_enumeration,
    /// Login hands out a URL carrying the token, and `?access_token=` authenticates.
    token_in_url,
    /// 401 responses lack `WWW-Authenticate`.
    missing_www_authenticate,
    /// Any authenticated user reads any order.
    bola_read,
    /// Any authenticated user updates any order.
    bola_write,
    /// Admin routes work for any authenticated user.
    bfla_admin,
    /// `GET /api/v2/admin/export` (a forgotten export job) answers without any credentials.
    admin_export_unauthenticated,
    /// `role` / `is_admin` in register and profile bodies are stored.
    mass_assignment,
    /// User records expose password hashes, API keys and other users' emails.
    excessive_data_exposure,
    /// Bad input yields 500s with stack traces.
    verbose_errors,
    /// `/debug/vars` and `/actuator/env` are served.
    debug_endpoints,
    /// `/.env` is served.
    exposed_dotenv,
    /// `/.git/config` and `/.git/HEAD` are served.
    exposed_git,
    /// No HSTS, `X-Content-Type-Options` or `Cache-Control: no-store`.
    missing_security_headers,
    /// The session cookie lacks `Secure`, `HttpOnly` and `SameSite`.
    insecure_cookies,
    /// CORS reflects any origin, `null` included, with credentials.
    cors_reflect_any_origin,
    /// `TRACE` echoes the request.
    trace_enabled,
    /// `Server` and `X-Powered-By` disclose versions.
    version_banner,
    /// Requests marked `X-Forwarded-Proto: http` are served instead of redirected to HTTPS.
    plain_http_served,
    /// `GET /api/v2/products?name=` concatenates input into SQL.
    sql_injection,
    /// `POST /api/v2/products/search` interprets `$ne`/`$gt`/`$regex` operator objects.
    nosql_injection,
    /// Failed logins are never throttled.
    login_no_rate_limit,
    /// `GET /api/v2/status` is never throttled.
    status_no_rate_limit,
    /// `GET /api/v2/orders?limit=` accepts any page size.
    unbounded_page_size,
    /// `GET /api/v2/preview?url=` fetches any URL (simulated in-process).
    ssrf,
    /// Webhooks may use plain `http://`.
    webhook_http_accepted,
    /// Webhook verification follows redirects.
    webhook_follows_redirects,
    /// The retired `/api/v1` answers, without auth.
    legacy_v1_api,
    /// The deprecated route carries no `Deprecation`/`Sunset` headers.
    deprecated_without_sunset,
    /// `/openapi.json` is public.
    openapi_public,
    /// The assistant reveals its system prompt on request.
    llm_prompt_leak,
}

impl Default for Switches {
    /// The vulnerable lab: it exists to be found wanting.
    fn default() -> Self {
        Self::all_on()
    }
}

/// The error for an unknown switch name, with the closest known name as a hint.
fn unknown_switch(name: &str) -> String {
    let closest = Switches::NAMES
        .iter()
        .map(|known| (edit_distance(name, known), *known))
        .min();
    match closest {
        Some((distance, known)) if distance <= known.len() / 3 + 1 => {
            format!("unknown lab switch `{name}`; did you mean `{known}`?")
        }
        _ => format!(
            "unknown lab switch `{name}`; known switches: {}",
            Switches::NAMES.join(", ")
        ),
    }
}

/// Levenshtein distance, small and local so the lab needs no extra dependency for one hint.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_fields_and_set_round_trips() {
        assert_eq!(Switches::NAMES.len(), 36);
        let mut switches = Switches::all_off();
        for name in Switches::NAMES {
            assert_eq!(switches.get(name), Some(false));
            switches.set(name, true).expect("known switch");
            assert_eq!(switches.get(name), Some(true));
        }
        assert_eq!(switches, Switches::all_on());
    }

    #[test]
    fn unknown_switch_suggests_closest() {
        let error = Switches::all_on().set("bola_reed", true).unwrap_err();
        assert!(error.contains("did you mean `bola_read`"), "{error}");
        let error = Switches::all_on().set("zzzzzzzzzz", true).unwrap_err();
        assert!(error.contains("known switches"), "{error}");
    }
}
