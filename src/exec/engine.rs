//! The engine: one per run, shared by every trial.

use super::http::{self, Built, SendLimits};
use super::identity::{Cred, render_credential};
use super::judge::{self, Judged, describe_query};
use crate::assert::Response;
use crate::expand::{PlannedTrial, context};
use crate::model::{Profile, Spanned};
use crate::profile::{ANONYMOUS, resolve_secrets, scope_hosts};
use crate::redact::Redactor;
use crate::results::{Exchange, Outcome, TrialRecord};
use crate::template::CREDENTIALS_KEY;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use indexmap::IndexMap;
use minijinja::{Environment, Value};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{OnceCell, Semaphore};

/// One exchange as it happened, turned into redacted [`Exchange`] evidence only when the trial
/// does not pass.
struct RawExchange {
    step: usize,
    built: Built,
    url: Option<url::Url>,
    response: Option<Response>,
}

/// Largest body excerpt kept as evidence.
const EXCERPT: usize = 4096;

/// Run-wide options that override the profile.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// Override `limits.concurrency`.
    pub concurrency: Option<usize>,
    /// Override `limits.rps` (0 = unlimited).
    pub rps: Option<u32>,
}

/// Shared state of a run: client, limits, identities, redaction.
pub struct Engine {
    env: Environment<'static>,
    profile: Profile,
    globals: Vec<(String, Value)>,
    client: reqwest::Client,
    base: url::Url,
    limits: SendLimits,
    limiter: Option<DefaultDirectRateLimiter>,
    inflight: Semaphore,
    concurrency: usize,
    logins: HashMap<String, OnceCell<Result<Cred, String>>>,
    /// Secrets to mask in every output.
    pub redactor: Redactor,
    requests: AtomicU64,
    token_cache: Option<super::token_cache::TokenCache>,
}

impl Engine {
    /// Builds the engine for a validated profile.
    /// Builds the HTTP client for a profile: no redirects (steps follow them within scope), no
    /// system proxy, the profile's timeouts, TLS verification unless the profile turns it off.
    /// Loading the root certificates takes a few milliseconds, so callers may build it on another
    /// thread while checks load.
    pub fn client(profile: &Profile, opts: &EngineOptions) -> Result<reqwest::Client, String> {
        crate::install_crypto_provider();
        let f = &profile.file;
        let concurrency = opts.concurrency.unwrap_or(f.limits.concurrency).max(1);
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_millis(f.limits.timeout_ms))
            .pool_max_idle_per_host(concurrency)
            .tls_danger_accept_invalid_certs(!f.tls_verify)
            .user_agent(concat!("apiward/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))
    }

    /// Builds the engine for a validated profile with a client from [`Engine::client`].
    pub fn new(
        env: Environment<'static>,
        profile: Profile,
        globals: Vec<(String, Value)>,
        opts: &EngineOptions,
        client: reqwest::Client,
    ) -> Result<Self, String> {
        let f = &profile.file;
        let base =
            url::Url::parse(&f.base_url.value).map_err(|e| format!("invalid base URL: {e}"))?;
        let concurrency = opts.concurrency.unwrap_or(f.limits.concurrency).max(1);
        let rps = opts.rps.unwrap_or(f.limits.rps);
        let limiter = NonZeroU32::new(rps).map(|r| {
            RateLimiter::direct(
                Quota::per_second(r).allow_burst(r.min(NonZeroU32::new(16).expect("16 > 0"))),
            )
        });
        let redactor = Redactor::default();
        for v in resolve_secrets(&f.secrets).values() {
            redactor.add(v);
        }
        for ident in f.identities.values() {
            for v in resolve_secrets(&ident.value.secrets).values() {
                redactor.add(v);
            }
        }
        let logins = f
            .identities
            .keys()
            .map(|k| (k.clone(), OnceCell::new()))
            .collect();
        Ok(Engine {
            env,
            limits: SendLimits {
                scope: scope_hosts(&profile),
                timeout: Duration::from_millis(f.limits.timeout_ms),
                max_body: f.limits.max_body_bytes,
                max_redirects: f.limits.max_redirects,
            },
            profile,
            globals,
            client,
            base,
            limiter,
            inflight: Semaphore::new(concurrency),
            concurrency,
            logins,
            redactor,
            requests: AtomicU64::new(0),
            token_cache: super::token_cache::TokenCache::from_env(),
        })
    }

    /// Requests in flight at most.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Requests sent so far (trials and logins).
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The profile's base URL.
    pub fn target(&self) -> &str {
        &self.profile.file.base_url.value
    }

    async fn send(&self, b: &Built) -> Result<http::Sent, http::SendError> {
        // The scope guard runs before waiting for a slot, so an out-of-scope request costs nothing.
        if b.raw.is_some() || !b.follow {
            http::guard(&self.limits.scope, &b.url)?;
        }
        let _permit = self
            .inflight
            .acquire()
            .await
            .map_err(|_| http::SendError("engine closed".into()))?;
        if let Some(l) = &self.limiter {
            l.until_ready().await;
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        http::send(&self.client, b, &self.limits).await
    }

    /// Logs every identity in before the first trial, so that a check that makes the target
    /// throttle (a login burst) cannot lock identities out. Failures are kept and reported by the
    /// trials that use the identity.
    pub async fn prelogin(&self) {
        let names: Vec<String> = self.logins.keys().cloned().collect();
        for name in names {
            let _ = self.credential(&name).await;
        }
    }

    /// The credential of `name`, logging in once per run when the identity has a login flow.
    async fn credential(&self, name: &str) -> Result<Cred, String> {
        if name == ANONYMOUS {
            return Ok(Cred::default());
        }
        let cell = self
            .logins
            .get(name)
            .ok_or_else(|| format!("unknown identity `{name}`"))?;
        cell.get_or_init(|| self.login_once_per_run(name))
            .await
            .clone()
    }

    /// Under cargo-nextest, shares the login between the run's processes through the token cache.
    async fn login_once_per_run(&self, name: &str) -> Result<Cred, String> {
        let Some(cache) = &self.token_cache else {
            return self.login(name).await;
        };
        let target = self.target().to_owned();
        let (c, t, n) = (cache.clone(), target.clone(), name.to_owned());
        let locked = tokio::task::spawn_blocking(move || c.lock(&t, &n))
            .await
            .ok()
            .and_then(Result::ok);
        let Some(mut file) = locked else {
            return self.login(name).await;
        };
        if let Some(cred) = cache.read(&mut file, &target) {
            self.redactor.add(&cred.raw);
            if let Some((_, v)) = &cred.header {
                self.redactor.add(v);
            }
            return Ok(cred);
        }
        let cred = self.login(name).await?;
        let _ = cache.write(&mut file, &target, &cred);
        Ok(cred)
    }

    async fn login(&self, name: &str) -> Result<Cred, String> {
        let ident = &self.profile.file.identities[name].value;
        let secrets = resolve_secrets(&ident.secrets);
        let mut extra: Vec<(String, Value)> =
            vec![("secrets".into(), crate::template::to_value(&secrets))];
        if let Some(login) = &ident.login {
            let flow = &login.value;
            let ctx = context(&self.globals, &[], &extra);
            let built = http::build(&self.env, &flow.request.value, &ctx, &self.base)
                .map_err(|e| format!("login of `{name}`: {e}"))?;
            let sent = self
                .send(&built)
                .await
                .map_err(|e| format!("login of `{name}` failed: {}", e.0))?;
            let r = &sent.response;
            if flow.expect.is_empty() && !(200..300).contains(&r.status) {
                return Err(format!(
                    "login of `{name}` failed: {} {} answered {}",
                    built.method,
                    built.url.path(),
                    r.status
                ));
            }
            for a in &flow.expect {
                match judge::judge(&self.env, &a.value, Some(r), &ctx) {
                    Judged::Pass => {}
                    Judged::Fail(m) | Judged::Error(m) => {
                        return Err(format!(
                            "login of `{name}` failed: {} {m}",
                            describe_query(&a.value)
                        ));
                    }
                }
            }
            for (cname, cap) in &flow.capture {
                let v = judge::capture(&cap.value, r)
                    .map_err(|e| format!("login of `{name}`: capture `{cname}`: {e}"))?;
                if let serde_json::Value::String(s) = &v {
                    self.redactor.add(s);
                }
                extra.push((cname.clone(), crate::template::to_value(&v)));
            }
        }
        let ctx = context(&self.globals, &[], &extra);
        let cred = render_credential(&self.env, ident, &ctx)
            .map_err(|e| format!("credential of `{name}`: {e}"))?;
        self.redactor.add(&cred.raw);
        if let Some((_, v)) = &cred.header {
            self.redactor.add(v);
        }
        Ok(cred)
    }

    /// Runs one planned trial to its record.
    pub async fn run_trial(&self, t: &PlannedTrial) -> TrialRecord {
        let started = Instant::now();
        let mut rec = self.record(t);
        if let Some(reason) = t.skip.as_ref().or(t.disabled.as_ref()) {
            rec.outcome = Outcome::Skipped;
            rec.message = Some(reason.clone());
            return rec;
        }
        let mut raw = Vec::new();
        let (mut outcome, mut message, location) = self.execute(t, &mut raw).await;
        // A helper that found the trial not applicable at run time (`skip()`, a credential that is
        // not a JWT) makes it skipped, with the helper's reason.
        if let Some(reason) = message
            .as_deref()
            .and_then(|m| m.split_once(crate::template::SKIP_MARKER))
        {
            let reason = reason
                .1
                .split(" (in ")
                .next()
                .unwrap_or(reason.1)
                .trim()
                .to_owned();
            outcome = Outcome::Skipped;
            message = Some(format!("not applicable: {reason}"));
            raw.clear();
        }
        // Evidence explains findings and errors; for passes, building and redacting it would only
        // cost time and memory.
        if outcome != Outcome::Pass {
            rec.evidence = raw
                .iter()
                .map(|x| self.exchange(x.step, &x.built, x.url.as_ref(), x.response.as_ref()))
                .collect();
        }
        rec.outcome = outcome;
        rec.message = message.map(|m| self.redactor.redact(&m));
        rec.location = location;
        rec.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        rec
    }

    fn record(&self, t: &PlannedTrial) -> TrialRecord {
        let info = t.check.info();
        TrialRecord {
            name: t.name.clone(),
            check_id: t.check.id().to_owned(),
            check_name: info.name.clone(),
            category: info.category.as_str().to_owned(),
            severity: info.severity,
            owasp: info.owasp.clone(),
            cwe: info.cwe.clone(),
            tags: info.tags.clone(),
            label: t.label.clone(),
            endpoint: t.endpoint.clone(),
            target: self.target().to_owned(),
            outcome: Outcome::Pass,
            message: None,
            location: None,
            description: info.description.clone(),
            remediation: info.remediation.clone(),
            references: info.references.clone(),
            evidence: Vec::new(),
            duration_ms: 0.0,
        }
    }

    async fn execute(
        &self,
        t: &PlannedTrial,
        evidence: &mut Vec<RawExchange>,
    ) -> (Outcome, Option<String>, Option<String>) {
        let check = &t.check;
        let mut extra: Vec<(String, Value)> = Vec::new();
        if check.source.contains("token(") {
            // Identities whose login failed carry the reason instead of a token: `token()` reports
            // it only if the check actually asks for that identity.
            let mut creds = IndexMap::new();
            for name in self.profile.file.identities.keys() {
                let value = match self.credential(name).await {
                    Ok(c) => serde_json::json!({ "token": c.raw }),
                    Err(e) => serde_json::json!({ "error": e }),
                };
                creds.insert(name.clone(), value);
            }
            extra.push((
                CREDENTIALS_KEY.to_owned(),
                crate::template::to_value(&creds),
            ));
        }
        for (i, step) in check.file.steps.iter().enumerate() {
            let s = &step.value;
            let ctx = context(&self.globals, &t.bindings, &extra);
            let where_ = |sp: &Spanned<crate::model::AssertionKind>| check.loc(sp);
            let step_name = s.name.clone().unwrap_or_else(|| format!("step {}", i + 1));
            let mut responded = false;
            let mut line = String::new();
            if let Some(req) = &s.request {
                let identity = match &req.value.identity {
                    Some(id) => match crate::expand::render(&self.env, &id.value, &ctx) {
                        Ok(v) => v,
                        Err(e) => {
                            return (
                                Outcome::Error,
                                Some(format!("{step_name}: {}", crate::template::describe(&e))),
                                Some(check.loc(id)),
                            );
                        }
                    },
                    None => ANONYMOUS.to_owned(),
                };
                let cred = match self.credential(&identity).await {
                    Ok(c) => c,
                    Err(e) => return (Outcome::Error, Some(e), Some(check.loc(req))),
                };
                let mut built = match http::build(&self.env, &req.value, &ctx, &self.base) {
                    Ok(b) => b,
                    Err(e) => {
                        return (
                            Outcome::Error,
                            Some(format!("{step_name}: {e}")),
                            Some(check.loc(req)),
                        );
                    }
                };
                if let Some(h) = &cred.header
                    && !built
                        .headers
                        .iter()
                        .any(|(k, _)| k.eq_ignore_ascii_case(&h.0))
                {
                    built.headers.push(h.clone());
                }
                let repeat = s.repeat.unwrap_or(1).max(1);
                for attempt in 1..=repeat {
                    let sent = match self.send(&built).await {
                        Ok(sent) => sent,
                        Err(e) => {
                            evidence.push(RawExchange {
                                step: i,
                                built: built.clone(),
                                url: None,
                                response: None,
                            });
                            return (
                                Outcome::Error,
                                Some(format!(
                                    "{step_name}: {} {}: {}",
                                    built.method, built.url, e.0
                                )),
                                Some(check.loc(req)),
                            );
                        }
                    };
                    line = format!("{} {} → {}", built.method, sent.url, sent.response.status);
                    let last = attempt == repeat;
                    let holds = !last
                        && s.expect.iter().all(|a| {
                            matches!(
                                judge::judge(&self.env, &a.value, Some(&sent.response), &ctx),
                                Judged::Pass
                            )
                        });
                    if last || holds {
                        evidence.push(RawExchange {
                            step: i,
                            built: built.clone(),
                            url: Some(sent.url),
                            response: Some(sent.response),
                        });
                        responded = true;
                        break;
                    }
                }
            }
            let r = if responded {
                evidence.last().and_then(|x| x.response.as_ref())
            } else {
                None
            };
            // Messages start with the exchange they judge (`GET url → 200: `), when there is one.
            let prefix = if line.is_empty() {
                String::new()
            } else {
                format!("{line}: ")
            };
            for a in &s.control {
                match judge::judge(&self.env, &a.value, r, &ctx) {
                    Judged::Pass => {}
                    Judged::Fail(m) => {
                        return (
                            Outcome::Error,
                            Some(format!(
                                "control failed, cannot decide: {prefix}{} {m}",
                                describe_query(&a.value)
                            )),
                            Some(where_(a)),
                        );
                    }
                    Judged::Error(e) => {
                        return (
                            Outcome::Error,
                            Some(format!("{prefix}{e}")),
                            Some(where_(a)),
                        );
                    }
                }
            }
            if let Some(r) = r {
                for (name, cap) in &s.capture {
                    match judge::capture(&cap.value, r) {
                        Ok(v) => {
                            if let serde_json::Value::String(text) = &v
                                && sensitive_name(name)
                            {
                                self.redactor.add(text);
                            }
                            extra.push((name.clone(), crate::template::to_value(&v)))
                        }
                        Err(e) => {
                            return (
                                Outcome::Error,
                                Some(format!("{prefix}capture `{name}`: {e}")),
                                Some(check.loc(cap)),
                            );
                        }
                    }
                }
            }
            let ctx = context(&self.globals, &t.bindings, &extra);
            for a in &s.expect {
                match judge::judge(&self.env, &a.value, r, &ctx) {
                    Judged::Pass => {}
                    Judged::Fail(m) => {
                        return (
                            Outcome::Finding,
                            Some(format!("{prefix}{} {m}", describe_query(&a.value))),
                            Some(where_(a)),
                        );
                    }
                    Judged::Error(e) => {
                        return (
                            Outcome::Error,
                            Some(format!("{prefix}{e}")),
                            Some(where_(a)),
                        );
                    }
                }
            }
        }
        (Outcome::Pass, None, None)
    }

    fn exchange(
        &self,
        step: usize,
        b: &Built,
        final_url: Option<&url::Url>,
        r: Option<&Response>,
    ) -> Exchange {
        let red = |s: &str| self.redactor.redact(s);
        let excerpt = |bytes: &[u8]| {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(EXCERPT)]).into_owned();
            red(&text)
        };
        let (method, req_body) = match &b.raw {
            Some(raw) => ("RAW".to_owned(), Some(excerpt(raw.as_bytes()))),
            None => (b.method.clone(), b.body.as_deref().map(excerpt)),
        };
        Exchange {
            step,
            method,
            url: red(final_url.unwrap_or(&b.url).as_str()),
            request_headers: b.headers.iter().map(|(k, v)| (k.clone(), red(v))).collect(),
            request_body: req_body,
            status: r.map(|r| r.status),
            response_headers: r
                .map(|r| r.headers.iter().map(|(k, v)| (k.clone(), red(v))).collect())
                .unwrap_or_default(),
            response_body: r.filter(|r| !r.body.is_empty()).map(|r| excerpt(&r.body)),
            response_bytes: r.map(|r| r.body.len() as u64).unwrap_or(0),
            truncated: r.is_some_and(|r| r.truncated),
            curl: red(&http::curl_line(b, &[])),
            duration_ms: r.map(|r| r.duration_ms).unwrap_or(0.0),
        }
    }
}

/// Captures whose names say they hold a credential are redacted like identity secrets.
fn sensitive_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "token",
        "secret",
        "password",
        "passwd",
        "session",
        "cookie",
        "credential",
        "apikey",
        "api_key",
        "auth",
        "jwt",
    ]
    .iter()
    .any(|k| n.contains(k))
}
