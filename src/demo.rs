//! `apiward lab` and `apiward demo`: the built-in target and a newcomer's first minute.
//!
//! The demo starts the lab twice on free loopback ports (vulnerable and hardened), scans each with
//! the built-in lab profile and the whole library (intrusive and destructive checks included: the
//! labs are throw-away), shows libtest's output for both, then a side-by-side summary. It exits 0
//! only when the scanner behaved as it should: findings on the vulnerable lab,
//! none (and no errors) on the hardened one.

use crate::cli::{DemoArgs, LabArgs};
use crate::lab::{self, LabConfig};
use crate::report::{self, Score};
use crate::results::{Outcome, TrialRecord};
use crate::scan::{ReportPaths, Scan};
use std::process::ExitCode;

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

/// Serves the lab until Ctrl-C.
pub fn serve_lab(a: LabArgs) -> Result<ExitCode, String> {
    let mut config = if a.hardened {
        LabConfig::hardened()
    } else {
        LabConfig::vulnerable()
    };
    for s in &a.switches {
        let (name, value) = s
            .split_once('=')
            .ok_or_else(|| format!("--switch takes NAME=on|off, got `{s}`"))?;
        let on = match value {
            "on" | "true" | "1" => true,
            "off" | "false" | "0" => false,
            other => {
                return Err(format!(
                    "--switch {name}: expected on or off, got `{other}`"
                ));
            }
        };
        config.switches.set(name, on)?;
    }
    let rt = runtime()?;
    rt.block_on(async {
        let running = lab::start(a.addr, config).await.map_err(|e| format!("cannot start the lab on {}: {e}", a.addr))?;
        eprintln!(
            "apiward lab ({}) listening on {}\n  try: apiward test --profile suites/profiles/lab.yaml --base-url {}\n  stop with Ctrl-C",
            if a.hardened { "hardened" } else { "vulnerable" },
            running.base_url(),
            running.base_url()
        );
        let _ = tokio::signal::ctrl_c().await;
        running.shutdown().await;
        Ok::<_, String>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

struct LabRun {
    records: Vec<TrialRecord>,
    score: Score,
}

/// Runs the demo.
pub fn run_demo(a: DemoArgs) -> Result<ExitCode, String> {
    let rt = runtime()?;
    let addr: std::net::SocketAddr = "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?;
    let (vuln, hard) = rt
        .block_on(async {
            let v = lab::start(addr, LabConfig::vulnerable()).await?;
            let h = lab::start(addr, LabConfig::hardened()).await?;
            Ok::<_, std::io::Error>((v, h))
        })
        .map_err(|e| format!("cannot start the lab: {e}"))?;
    let mut runs = Vec::new();
    for (name, base) in [
        ("vulnerable", vuln.base_url()),
        ("hardened", hard.base_url()),
    ] {
        println!("\n=== apiward test against the {name} lab ({base}) ===");
        let dir = a.out.join(name);
        let mut scan =
            Scan::with_profile(crate::Profile::lab().with_base_url(&base)).suite(a.suite.clone());
        // The labs are apiward's own throw-away APIs, so the demo runs the checks that must be
        // opted into against real targets (bursts, payloads, writes) unless asked not to.
        scan.intrusive = !a.safe_only;
        scan.destructive = !a.safe_only;
        scan.score_table = false;
        scan.reports = ReportPaths {
            results: Some(dir.join("results.jsonl")),
            junit: Some(dir.join("junit.xml")),
            sarif: Some(dir.join("results.sarif")),
            json: Some(dir.join("report.json")),
            markdown: Some(dir.join("summary.md")),
        };
        let args = libtest_mimic::Arguments {
            quiet: true,
            ..Default::default()
        };
        let out = scan.execute(&args).map_err(|e| e.to_string())?;
        let score = report::compute(&out.records);
        runs.push((
            name,
            LabRun {
                records: out.records,
                score,
            },
        ));
    }
    rt.block_on(async {
        vuln.shutdown().await;
        hard.shutdown().await;
    });
    let (v, h) = (&runs[0].1, &runs[1].1);
    print_summary(v, h, &a.out);
    let v_findings = count(&v.records, Outcome::Finding);
    let h_bad = count(&h.records, Outcome::Finding) + count(&h.records, Outcome::Error);
    if v_findings > 0 && h_bad == 0 {
        println!(
            "\nThe scan behaved as it should: the vulnerable lab is found weak, the hardened lab clean."
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "\nUnexpected: {v_findings} findings on the vulnerable lab, {h_bad} findings or errors on the hardened lab."
        );
        Ok(ExitCode::from(1))
    }
}

fn count(records: &[TrialRecord], o: Outcome) -> usize {
    records.iter().filter(|r| r.outcome == o).count()
}

fn fmt_score(s: &Score) -> String {
    match (s.score, s.grade) {
        (Some(n), Some(g)) => format!("{n}/100 ({g})"),
        _ => "not tested".to_owned(),
    }
}

fn print_summary(v: &LabRun, h: &LabRun, out: &std::path::Path) {
    println!("\n=== summary ===\n");
    println!(
        "  {:<24} {:>16} {:>16}",
        "", "vulnerable lab", "hardened lab"
    );
    println!(
        "  {:<24} {:>16} {:>16}",
        "score",
        fmt_score(&v.score),
        fmt_score(&h.score)
    );
    println!(
        "  {:<24} {:>16} {:>16}",
        "errors (undecided)",
        count(&v.records, Outcome::Error),
        count(&h.records, Outcome::Error)
    );
    println!(
        "  {:<24} {:>16} {:>16}",
        "findings / trials",
        format!(
            "{} / {}",
            count(&v.records, Outcome::Finding),
            v.records.len()
        ),
        format!(
            "{} / {}",
            count(&h.records, Outcome::Finding),
            h.records.len()
        )
    );
    println!();
    println!("  {:<24} {:>16} {:>16}", "category", "findings", "findings");
    for (vc, hc) in v.score.categories.iter().zip(&h.score.categories) {
        let cell = |c: &report::CategoryScore| {
            if c.tested {
                format!(
                    "{} ({})",
                    c.findings,
                    c.score.map(|s| s.to_string()).unwrap_or_default()
                )
            } else {
                "not tested".to_owned()
            }
        };
        println!("  {:<24} {:>16} {:>16}", vc.category, cell(vc), cell(hc));
    }
    let mut top: Vec<&TrialRecord> = v
        .records
        .iter()
        .filter(|r| r.outcome == Outcome::Finding)
        .collect();
    top.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.name.cmp(&b.name)));
    let mut seen = std::collections::HashSet::new();
    top.retain(|r| seen.insert(r.check_id.clone()));
    println!("\nTop findings on the vulnerable lab:");
    for r in top.iter().take(8) {
        println!(
            "  [{}] {} — {}",
            r.severity,
            r.check_name,
            r.endpoint.as_deref().unwrap_or(&r.category)
        );
        println!(
            "      fix: {}",
            crate::report::first_sentence(&r.remediation)
        );
    }
    println!(
        "\nReports (JUnit, SARIF, JSON, Markdown, results) under {}/{{vulnerable,hardened}}/",
        out.display()
    );
}
