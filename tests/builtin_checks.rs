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
    RT.block_on(async {
        let addr = "127.0.0.1:0".parse().expect("addr");
        let running = lab::start(addr, config)
            .await
            .map_err(|e| format!("lab: {e}"))?;
        let profile = Profile::lab().with_base_url(&running.base_url());
        let scan = Scan::with_profile(profile)
            .suite("owasp-api-top10")
            .only([id])
            .everything();
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
    libtest_mimic::run(&args, trials).exit();
}
