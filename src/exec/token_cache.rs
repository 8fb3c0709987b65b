//! A token cache shared by the processes of one run.
//!
//! cargo-nextest runs every test in its own process, so without help each process would log every
//! identity in again. Under nextest (`NEXTEST_RUN_ID` set), credentials are cached in
//! `<target>/apiward/tokens/`, one file per identity and target, valid only for the same run id and
//! for at most [`TTL`]. A file lock serialises the first login, so the login endpoint sees one request
//! per identity per run. Files are created with mode 0600; their values are redacted like any
//! credential.

use super::identity::Cred;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Longest time a cached credential is reused.
pub const TTL: Duration = Duration::from_secs(15 * 60);

/// Where and for which run credentials are cached.
#[derive(Debug, Clone)]
pub struct TokenCache {
    dir: PathBuf,
    run_id: String,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    run_id: String,
    target: String,
    expires_at: u64,
    header: Option<(String, String)>,
    raw: String,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// FNV-1a, enough to give each target its own file name.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl TokenCache {
    /// The cache for this process: `Some` under cargo-nextest, `None` otherwise.
    pub fn from_env() -> Option<TokenCache> {
        let run_id = std::env::var("NEXTEST_RUN_ID")
            .ok()
            .filter(|s| !s.is_empty())?;
        let dir = crate::scan::target_dir().join("apiward").join("tokens");
        Some(TokenCache { dir, run_id })
    }

    fn path(&self, target: &str, identity: &str) -> PathBuf {
        let safe: String = identity
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!("{safe}-{:016x}.json", fnv(target)))
    }

    /// Opens and exclusively locks the identity's cache file (blocking).
    pub fn lock(&self, target: &str, identity: &str) -> std::io::Result<File> {
        std::fs::create_dir_all(&self.dir)?;
        let mut opts = std::fs::OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(self.path(target, identity))?;
        file.lock()?;
        Ok(file)
    }

    /// The cached credential in a locked file, when it belongs to this run and has not expired.
    pub fn read(&self, file: &mut File, target: &str) -> Option<Cred> {
        let mut text = String::new();
        file.seek(SeekFrom::Start(0)).ok()?;
        file.read_to_string(&mut text).ok()?;
        let e: Entry = serde_json::from_str(&text).ok()?;
        (e.run_id == self.run_id && e.target == target && e.expires_at > now()).then_some(Cred {
            header: e.header,
            raw: e.raw,
        })
    }

    /// Stores a credential in a locked file.
    pub fn write(&self, file: &mut File, target: &str, cred: &Cred) -> std::io::Result<()> {
        let e = Entry {
            run_id: self.run_id.clone(),
            target: target.to_owned(),
            expires_at: now() + TTL.as_secs(),
            header: cred.header.clone(),
            raw: cred.raw.clone(),
        };
        let text = serde_json::to_string(&e).map_err(std::io::Error::other)?;
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(text.as_bytes())?;
        file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_per_run_and_target() {
        let dir = tempfile::tempdir().expect("tmp");
        let cache = TokenCache {
            dir: dir.path().to_path_buf(),
            run_id: "run-1".into(),
        };
        let cred = Cred {
            header: Some(("authorization".into(), "Bearer abc".into())),
            raw: "abc".into(),
        };
        let mut f = cache.lock("http://t", "alice").expect("lock");
        assert!(cache.read(&mut f, "http://t").is_none());
        cache.write(&mut f, "http://t", &cred).expect("write");
        assert_eq!(
            cache.read(&mut f, "http://t").map(|c| c.raw),
            Some("abc".to_owned())
        );
        assert!(cache.read(&mut f, "http://other").is_none());
        drop(f);
        let other_run = TokenCache {
            dir: dir.path().to_path_buf(),
            run_id: "run-2".into(),
        };
        let mut f = other_run.lock("http://t", "alice").expect("lock");
        assert!(other_run.read(&mut f, "http://t").is_none());
    }
}
