//! The lab's in-memory world: users, orders, webhooks, rate-limit counters and the JWT secret.
//!
//! One [`LabState`] per lab instance, shared by every handler behind an `Arc`. Nothing is persisted: two labs never
//! see each other's data, and a restart is a reset, which is what repeatable check runs need.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::lab::config::LabConfig;
use crate::lab::db::ProductDb;
use crate::lab::switches::Switches;

/// The JWT secret of the vulnerable lab: first page of every wordlist.
pub(crate) const WEAK_SECRET: &[u8] = b"secret";
/// Registrations stop here so a hostile client cannot grow the lab without bound.
const MAX_USERS: usize = 10_000;
/// Webhooks kept per instance, for the same reason.
const MAX_WEBHOOKS: usize = 1_000;
/// Failed logins tolerated per client and window before the hardened lab answers 429.
pub(crate) const LOGIN_FAILURE_LIMIT: usize = 5;
/// The login throttling window.
pub(crate) const LOGIN_WINDOW: Duration = Duration::from_secs(60);
/// Requests to `/api/v2/status` allowed per window in the hardened lab.
pub(crate) const STATUS_LIMIT: usize = 20;
/// The status throttling window.
pub(crate) const STATUS_WINDOW: Duration = Duration::from_secs(10);

/// A lab account. `password` is kept in clear because the lab is a target, not a product.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub id: u64,
    pub username: String,
    pub password: String,
    pub role: String,
    pub email: String,
    pub api_key: String,
    pub password_hash: String,
}

/// An order, the object type behind the BOLA routes.
#[derive(Clone, Debug)]
pub(crate) struct Order {
    pub id: u64,
    pub item: String,
    pub amount: f64,
    pub owner_id: u64,
    pub shipping_address: String,
}

/// A registered webhook.
#[derive(Clone, Debug)]
pub(crate) struct Webhook {
    pub id: u64,
    pub url: String,
    pub owner_id: u64,
}

/// The mutable records of one instance.
#[derive(Debug)]
pub(crate) struct Data {
    pub users: Vec<User>,
    pub orders: Vec<Order>,
    pub webhooks: Vec<Webhook>,
    next_user_id: u64,
    next_webhook_id: u64,
}

impl Data {
    /// alice, bob and admin, and one order each.
    fn seeded() -> Self {
        let users = vec![
            new_user(1, "alice", "alice-pass", "user", "alice@apiward-lab.test"),
            new_user(2, "bob", "bob-pass", "user", "bob@apiward-lab.test"),
            new_user(3, "admin", "admin-pass", "admin", "admin@apiward-lab.test"),
        ];
        let order = |id, item: &str, amount, owner_id, address: &str| Order {
            id,
            item: item.to_owned(),
            amount,
            owner_id,
            shipping_address: address.to_owned(),
        };
        let orders = vec![
            order(
                101,
                "Mechanical keyboard",
                129.99,
                1,
                "12 Rue des Lilas, 75011 Paris, FR",
            ),
            order(
                102,
                "Noise-cancelling headphones",
                249.0,
                2,
                "221B Baker Street, London NW1 6XE, UK",
            ),
            order(
                103,
                "Rack server",
                4999.5,
                3,
                "1 Infinite Loop, Cupertino, CA 95014, US",
            ),
        ];
        Self {
            users,
            orders,
            webhooks: Vec::new(),
            next_user_id: 4,
            next_webhook_id: 1,
        }
    }

    /// The user with this id, if any.
    pub fn user(&self, id: u64) -> Option<&User> {
        self.users.iter().find(|user| user.id == id)
    }

    /// The user with this username, if any.
    pub fn user_by_name(&self, username: &str) -> Option<&User> {
        self.users.iter().find(|user| user.username == username)
    }

    /// Adds a user; `Err` carries the HTTP-facing reason.
    pub fn add_user(
        &mut self,
        username: &str,
        password: &str,
        email: &str,
        role: &str,
    ) -> Result<User, AddUserError> {
        if self.user_by_name(username).is_some() {
            return Err(AddUserError::Taken);
        }
        if self.users.len() >= MAX_USERS {
            return Err(AddUserError::Full);
        }
        let user = new_user(self.next_user_id, username, password, role, email);
        self.next_user_id += 1;
        self.users.push(user.clone());
        Ok(user)
    }

    /// Stores a webhook, or `None` when the instance holds too many already.
    pub fn add_webhook(&mut self, url: &str, owner_id: u64) -> Option<Webhook> {
        if self.webhooks.len() >= MAX_WEBHOOKS {
            return None;
        }
        let hook = Webhook {
            id: self.next_webhook_id,
            url: url.to_owned(),
            owner_id,
        };
        self.next_webhook_id += 1;
        self.webhooks.push(hook.clone());
        Some(hook)
    }
}

/// Why a registration was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum AddUserError {
    /// The username exists.
    Taken,
    /// The instance reached its user cap.
    Full,
}

/// Everything one lab instance shares between requests.
#[derive(Debug)]
pub(crate) struct LabState {
    pub switches: Switches,
    /// The HS256 key in use: `secret` when `jwt_weak_secret` is on, otherwise random per instance.
    pub jwt_secret: Vec<u8>,
    pub data: Mutex<Data>,
    pub products: ProductDb,
    /// Failed login times per client address.
    login_failures: Mutex<HashMap<String, VecDeque<Instant>>>,
    /// Times of recent `/api/v2/status` requests (the limit is per instance).
    status_hits: Mutex<VecDeque<Instant>>,
    /// The port the lab listens on, once known; SSRF simulation treats loopback on this port as "the lab itself".
    pub self_port: OnceLock<u16>,
}

impl LabState {
    /// A fresh instance with seeded data.
    pub fn new(config: LabConfig) -> std::io::Result<Self> {
        let jwt_secret = if config.switches.jwt_weak_secret {
            WEAK_SECRET.to_vec()
        } else {
            // 256 random bits, hex-encoded: nothing a wordlist or brute force reaches.
            let bytes: [u8; 32] = rand::random();
            hex(&bytes).into_bytes()
        };
        Ok(Self {
            switches: config.switches,
            jwt_secret,
            data: Mutex::new(Data::seeded()),
            products: ProductDb::open().map_err(std::io::Error::other)?,
            login_failures: Mutex::new(HashMap::new()),
            status_hits: Mutex::new(VecDeque::new()),
            self_port: OnceLock::new(),
        })
    }

    /// Locks the records; a panicked holder cannot wedge the lab, the data is plain values.
    pub fn data(&self) -> MutexGuard<'_, Data> {
        lock(&self.data)
    }

    /// Whether `client` already spent its failed logins for the current window.
    pub fn login_blocked(&self, client: &str) -> bool {
        let mut failures = lock(&self.login_failures);
        let now = Instant::now();
        match failures.get_mut(client) {
            Some(times) => {
                prune(times, now, LOGIN_WINDOW);
                times.len() >= LOGIN_FAILURE_LIMIT
            }
            None => false,
        }
    }

    /// Records a failed login by `client`.
    pub fn record_login_failure(&self, client: &str) {
        let mut failures = lock(&self.login_failures);
        let now = Instant::now();
        // Forget idle clients so spoofed addresses cannot grow the map for ever.
        failures.retain(|_, times| {
            prune(times, now, LOGIN_WINDOW);
            !times.is_empty()
        });
        failures
            .entry(client.to_owned())
            .or_default()
            .push_back(now);
    }

    /// Counts one `/api/v2/status` request: `Ok(remaining)` when allowed, `Err(retry_after_secs)` when throttled.
    pub fn status_hit(&self) -> Result<usize, u64> {
        let mut hits = lock(&self.status_hits);
        let now = Instant::now();
        prune(&mut hits, now, STATUS_WINDOW);
        if hits.len() >= STATUS_LIMIT {
            let oldest = hits.front().copied().unwrap_or(now);
            let wait = STATUS_WINDOW.saturating_sub(now.duration_since(oldest));
            // Whole seconds, rounded up, never 0: `Retry-After: 0` would invite a busy loop.
            return Err((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1));
        }
        hits.push_back(now);
        Ok(STATUS_LIMIT - hits.len())
    }
}

/// Drops the times older than `window`.
fn prune(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        times.pop_front();
    }
}

/// Locks a mutex, recovering from poisoning: lab data stays consistent value by value.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Seconds since the Unix epoch.
pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A user with derived, realistic-looking secrets (deterministic, so snapshots of the lab stay stable).
fn new_user(id: u64, username: &str, password: &str, role: &str, email: &str) -> User {
    User {
        id,
        username: username.to_owned(),
        password: password.to_owned(),
        role: role.to_owned(),
        email: email.to_owned(),
        api_key: fake_aws_key(username),
        password_hash: fake_bcrypt(username, password),
    }
}

/// An `AKIA[0-9A-Z]{16}` value, the shape secret scanners look for.
fn fake_aws_key(username: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let digest = Sha256::digest(format!("aws:{username}").as_bytes());
    let tail: String = digest
        .iter()
        .take(16)
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    format!("AKIA{tail}")
}

/// A `$2b$12$` + 53 characters string in bcrypt's alphabet: looks like a bcrypt hash, is not one.
fn fake_bcrypt(username: &str, password: &str) -> String {
    const ALPHABET: &[u8] = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut digest = Sha256::digest(format!("bcrypt:{username}:{password}").as_bytes()).to_vec();
    digest.extend_from_slice(&Sha256::digest(&digest));
    let body: String = digest
        .iter()
        .take(53)
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    format!("$2b$12${body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_secrets_have_scanner_shapes() {
        let key = fake_aws_key("alice");
        assert_eq!(key.len(), 20);
        assert!(key.starts_with("AKIA"));
        assert!(
            key[4..]
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        );
        let hash = fake_bcrypt("alice", "alice-pass");
        assert_eq!(hash.len(), 60);
        assert!(hash.starts_with("$2b$12$"));
    }

    #[test]
    fn status_limit_counts_down_then_throttles() {
        let state = LabState::new(LabConfig::hardened()).expect("state");
        for expected in (0..STATUS_LIMIT).rev() {
            assert_eq!(state.status_hit(), Ok(expected));
        }
        let retry = state.status_hit().expect_err("throttled");
        assert!((1..=10).contains(&retry), "{retry}");
    }
}
