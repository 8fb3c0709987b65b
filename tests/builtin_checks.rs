//! Every built-in check, proven both ways: a finding on the vulnerable lab, a pass on the hardened lab.
//!
//! The trial list is generated from the embedded check library, so a check cannot be added without
//! both proofs. Each proof starts its own lab instance on 127.0.0.1:0, so checks never see each
//! other's state (rate-limit counters, registered users, deleted records).

use apiward::lab::{self, LabConfig};
use apiward::results::{Outcome, TrialRecord};
use apiward::{Profile, Scan};
use libtest_mimic::{Arguments, Failed, Trial};
use std::sync::{Arc, LazyLock};

static RT: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
});

fn run_against(id: &str, config: LabConfig) -> Result<Vec<TrialRecord>, Failed> {
    run_suite(Some(id), config)
}

/// Runs one check (or, with `None`, the whole library) with intrusive and destructive checks on,
/// against a fresh lab.
fn run_suite(id: Option<&str>, config: LabConfig) -> Result<Vec<TrialRecord>, Failed> {
    RT.block_on(async {
        let addr = "127.0.0.1:0".parse().expect("addr");
        let running = lab::start(addr, config)
            .await
            .map_err(|e| format!("lab: {e}"))?;
        let profile = Profile::lab().with_base_url(&running.base_url());
        let mut scan = Scan::with_profile(profile)
            .suite("owasp-api-top10")
            .everything();
        if let Some(id) = id {
            scan = scan.only([id]);
        }
        let records = scan.records().await.map_err(|e| format!("{e}"));
        running.shutdown().await;
        Ok::<_, Failed>(records?)
    })
}

fn describe(records: &[TrialRecord]) -> String {
    records
        .iter()
        .map(|r| {
            format!(
                "  {} → {}: {}",
                r.name,
                r.outcome.as_str(),
                r.message.as_deref().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn vulnerable(id: &str) -> Result<(), Failed> {
    let records = run_against(id, LabConfig::vulnerable())?;
    if records.is_empty() {
        return Err("no trials".into());
    }
    if records.iter().any(|r| r.outcome == Outcome::Finding) {
        Ok(())
    } else {
        Err(format!(
            "expected at least one finding on the vulnerable lab:\n{}",
            describe(&records)
        )
        .into())
    }
}

fn hardened(id: &str) -> Result<(), Failed> {
    let records = run_against(id, LabConfig::hardened())?;
    if records.is_empty() {
        return Err("no trials".into());
    }
    if records.iter().all(|r| r.outcome == Outcome::Pass) {
        Ok(())
    } else {
        Err(format!(
            "expected every trial to pass on the hardened lab:\n{}",
            describe(&records)
        )
        .into())
    }
}

/// The whole library, intrusive and destructive checks included, in one run against one hardened
/// lab: no finding and no error (checks must not disturb each other).
fn full_suite_hardened() -> Result<(), Failed> {
    let records = run_suite(None, LabConfig::hardened())?;
    let bad: Vec<TrialRecord> = records
        .into_iter()
        .filter(|r| matches!(r.outcome, Outcome::Finding | Outcome::Error))
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "findings or errors on the hardened lab:\n{}",
            describe(&bad)
        )
        .into())
    }
}

/// The whole library against one vulnerable lab: findings in every one of the twelve categories.
fn full_suite_vulnerable() -> Result<(), Failed> {
    let records = run_suite(None, LabConfig::vulnerable())?;
    let categories: std::collections::BTreeSet<&str> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Finding)
        .map(|r| r.category.as_str())
        .collect();
    if categories.len() == 12 {
        Ok(())
    } else {
        Err(format!("findings only in {categories:?}").into())
    }
}

/// Checks whose hardened proof could pass for another reason get a sharper one: the lab with every
/// weakness off except those that would otherwise mask the check (switch names from docs/lab.md).
/// Entries: the check, its own switch, and the masking switches turned on for both proofs.
const ISOLATED: &[(&str, &str, &[&str])] = &[
    // The hardened lab refuses `http://` webhooks before it ever fetches them; with plain http
    // allowed, the check must still pass because redirects are not followed.
    (
        "webhook-follows-redirects",
        "webhook_follows_redirects",
        &["webhook_http_accepted"],
    ),
];

fn isolated(id: &str, own: &str, on: &[&str]) -> Result<(), Failed> {
    let mut config = LabConfig::hardened();
    for name in on {
        config.switches.set(name, true)?;
    }
    let records = run_against(id, config.clone())?;
    if !records.iter().all(|r| r.outcome == Outcome::Pass) {
        return Err(format!(
            "expected a pass with only {on:?} on:\n{}",
            describe(&records)
        )
        .into());
    }
    config.switches.set(own, true)?;
    let records = run_against(id, config)?;
    if records.iter().any(|r| r.outcome == Outcome::Finding) {
        Ok(())
    } else {
        Err(format!(
            "expected a finding once the check's own weakness is on:\n{}",
            describe(&records)
        )
        .into())
    }
}

fn main() {
    let args = Arguments::from_args();
    let ids = Arc::new(apiward::builtin_check_ids());
    let mut trials = Vec::new();
    for id in ids.iter() {
        let a = id.clone();
        trials.push(Trial::test(format!("vulnerable::{id}"), move || {
            vulnerable(&a)
        }));
        let b = id.clone();
        trials.push(Trial::test(format!("hardened::{id}"), move || hardened(&b)));
    }
    for (id, own, on) in ISOLATED {
        trials.push(Trial::test(format!("isolated::{id}"), move || {
            isolated(id, own, on)
        }));
    }
    trials.push(Trial::test("suite::full-hardened", full_suite_hardened));
    trials.push(Trial::test("suite::full-vulnerable", full_suite_vulnerable));
    libtest_mimic::run(&args, trials).exit();
}
