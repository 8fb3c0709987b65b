//! The libtest harness: one libtest-mimic trial per planned trial.
//!
//! libtest runs trials on `--test-threads` threads, which would make the CPU count the throughput
//! limit of an I/O-bound scanner. So every trial that libtest will run (same filter, `--exact`,
//! `--skip` and ignore rules, computed with libtest-mimic's own predicates) is started up front on
//! the shared tokio runtime, where the profile's concurrency and rate limit bound the requests in
//! flight; the libtest closure only waits for its trial's result. Each result is appended to the
//! results file the moment it finishes.

use crate::exec::Engine;
use crate::expand::{Plan, PlannedTrial};
use crate::results::{Outcome, TrialRecord};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use libtest_mimic::{Arguments, Completion, Conclusion, Failed, FormatSetting, Trial};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Appends records to a JSON-lines file as trials finish.
pub struct ResultsSink {
    file: Mutex<std::io::BufWriter<std::fs::File>>,
}

impl ResultsSink {
    /// Creates (truncates) the file, or appends when `append` (several processes of one run).
    pub fn create(path: PathBuf, append: bool) -> std::io::Result<Self> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(&path)?;
        Ok(ResultsSink {
            file: Mutex::new(std::io::BufWriter::new(file)),
        })
    }

    /// Writes one record as one line, flushed, so a crash loses nothing that finished.
    pub fn write(&self, rec: &TrialRecord) {
        let mut line = rec.to_json_line();
        line.push('\n');
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        // One write call per line keeps lines whole when several processes append.
        let _ = f.write_all(line.as_bytes());
        let _ = f.flush();
    }
}

/// What the harness returns.
pub struct RunOutput {
    /// libtest's counts.
    pub conclusion: Conclusion,
    /// Every record of this run (run, skipped and ignored trials), sorted by name.
    pub records: Vec<TrialRecord>,
}

fn show_progress(args: &Arguments) -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
        && !args.list
        && std::env::var_os("NEXTEST").is_none()
        && !matches!(
            args.format,
            Some(FormatSetting::Json) | Some(FormatSetting::Terse)
        )
        && !args.quiet
}

fn libtest_trial(t: &PlannedTrial) -> Trial {
    Trial::test(t.name.clone(), || Ok(()))
}

/// Runs the plan under libtest. Returns `Err` when no trial matches the filters (not for `--list`).
pub fn run(
    plan: Plan,
    engine: Arc<Engine>,
    rt: &tokio::runtime::Runtime,
    args: &Arguments,
    sink: Option<Arc<ResultsSink>>,
) -> Result<RunOutput, String> {
    let records: Arc<Mutex<Vec<TrialRecord>>> = Arc::new(Mutex::new(Vec::new()));
    let findings = Arc::new(AtomicU64::new(0));
    let mut matched = 0usize;
    let mut to_run = Vec::new();
    let mut trials = Vec::with_capacity(plan.trials.len());
    let mut ignored_records = Vec::new();
    for mut t in plan.trials {
        let probe = libtest_trial(&t).with_ignored_flag(t.disabled.is_some());
        if args.is_filtered_out(&probe) {
            trials.push(probe);
            continue;
        }
        matched += 1;
        let ignored = args.is_ignored(&probe);
        if ignored || args.list {
            if ignored && !args.list {
                let rec = rt.block_on(engine.run_trial(&t));
                ignored_records.push(rec);
            }
            trials.push(probe);
            continue;
        }
        // libtest will run it: an intrusive trial selected with --ignored/--include-ignored is enabled.
        let flagged = t.disabled.take().is_some();
        let (tx, rx) = oneshot::channel::<TrialRecord>();
        let skip = t.skip.clone();
        to_run.push((t.clone(), tx));
        let name = t.name.clone();
        let handle = rt.handle().clone();
        trials.push(
            Trial::ignorable_test(name, move || {
                if let Some(reason) = skip {
                    return Ok(Completion::ignored_with(reason));
                }
                let rec = handle
                    .block_on(rx)
                    .map_err(|_| Failed::from("error: the trial was cancelled"))?;
                conclude(&rec)
            })
            .with_ignored_flag(flagged),
        );
    }
    if matched == 0 && !args.list {
        return Err("no trial matched the filters: nothing was run (check the filter, --exact, --skip and the suite)".to_owned());
    }
    let pb = if show_progress(args) && !to_run.is_empty() {
        let pb =
            ProgressBar::with_draw_target(Some(to_run.len() as u64), ProgressDrawTarget::stderr());
        pb.set_style(
            ProgressStyle::with_template("{spinner} {pos}/{len} trials {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Some(pb)
    } else {
        None
    };
    let sink_for_ignored = sink.clone();
    let started = std::time::Instant::now();
    let (pb_done, records_done) = (pb.clone(), Arc::clone(&records));
    let finish = move |rec: TrialRecord, engine: &Engine, tx: oneshot::Sender<TrialRecord>| {
        if let Some(s) = &sink {
            s.write(&rec);
        }
        if rec.outcome == Outcome::Finding {
            findings.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(pb) = &pb_done {
            let secs = started.elapsed().as_secs_f64().max(0.001);
            pb.set_message(format!(
                "· {} findings · {:.0} req/s",
                findings.load(Ordering::Relaxed),
                engine.requests_sent() as f64 / secs
            ));
            pb.inc(1);
        }
        records_done
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(rec.clone());
        let _ = tx.send(rec);
    };
    // Nothing to run (`--list`, everything filtered or ignored): no login, no traffic.
    if !to_run.is_empty() {
        rt.spawn(drive(Arc::clone(&engine), to_run, Arc::new(finish)));
    }
    if let Some(s) = &sink_for_ignored {
        for r in &ignored_records {
            s.write(r);
        }
    }
    let conclusion = libtest_mimic::run(args, trials);
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    let mut all = std::mem::take(&mut *records.lock().unwrap_or_else(|e| e.into_inner()));
    all.extend(ignored_records);
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(RunOutput {
        conclusion,
        records: all,
    })
}

/// Number of phases a run goes through.
pub const PHASES: usize = 4;

/// Which phase a trial runs in: safe checks first, then intrusive ones, then checks tagged `burst`
/// (they can make a target throttle or lock out everything after them), then destructive ones
/// (they delete what others read).
pub fn phase(t: &PlannedTrial) -> usize {
    if t.check.is_destructive() {
        3
    } else if t.check.info().tags.iter().any(|x| x == "burst") {
        2
    } else if t.check.is_intrusive() {
        1
    } else {
        0
    }
}

type Finish = dyn Fn(TrialRecord, &Engine, oneshot::Sender<TrialRecord>) + Send + Sync;

async fn drive(
    engine: Arc<Engine>,
    trials: Vec<(PlannedTrial, oneshot::Sender<TrialRecord>)>,
    finish: Arc<Finish>,
) {
    let (planned, senders): (Vec<_>, Vec<_>) = trials.into_iter().unzip();
    let senders: Vec<Mutex<Option<oneshot::Sender<TrialRecord>>>> =
        senders.into_iter().map(|s| Mutex::new(Some(s))).collect();
    let done = move |i: usize, rec: TrialRecord, engine: &Engine| {
        if let Some(tx) = senders[i].lock().unwrap_or_else(|e| e.into_inner()).take() {
            finish(rec, engine, tx);
        }
    };
    run_phases(engine, planned, Arc::new(done)).await;
}

/// Receives each finished trial with its index in the list given to [`run_phases`].
pub type Done = dyn Fn(usize, TrialRecord, &Engine) + Send + Sync;

/// Logs every identity in, then runs the trials phase by phase. Within a phase a pool of as many
/// workers as the engine allows requests in flight takes trials in order from a queue, so memory
/// holds planned trials and finished records, never thousands of suspended tasks.
pub async fn run_phases(engine: Arc<Engine>, trials: Vec<PlannedTrial>, done: Arc<Done>) {
    // Trials that are all skipped or disabled send nothing, not even logins.
    if trials
        .iter()
        .any(|t| t.skip.is_none() && t.disabled.is_none())
    {
        engine.prelogin().await;
    }
    let mut phases: [std::collections::VecDeque<(usize, PlannedTrial)>; PHASES] =
        Default::default();
    for (i, t) in trials.into_iter().enumerate() {
        phases[phase(&t)].push_back((i, t));
    }
    for batch in phases {
        let workers = engine.concurrency().min(batch.len());
        let queue = Arc::new(Mutex::new(batch));
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..workers {
            let (engine, queue, done) =
                (Arc::clone(&engine), Arc::clone(&queue), Arc::clone(&done));
            set.spawn(async move {
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                    let Some((i, t)) = next else { break };
                    let rec = engine.run_trial(&t).await;
                    done(i, rec, &engine);
                }
            });
        }
        while set.join_next().await.is_some() {}
    }
}

/// libtest's view of a record: pass, failed (finding or error, with its message) or ignored.
fn conclude(rec: &TrialRecord) -> Result<Completion, Failed> {
    let msg = || {
        let mut m = rec.message.clone().unwrap_or_default();
        if let Some(loc) = &rec.location {
            m.push_str(&format!("\n  --> {loc}"));
        }
        m
    };
    match rec.outcome {
        Outcome::Pass => Ok(Completion::Completed),
        Outcome::Skipped => Ok(Completion::ignored_with(
            rec.message.clone().unwrap_or_default(),
        )),
        Outcome::Finding => {
            let mut m = format!("finding [{}]: {}", rec.severity, msg());
            if !rec.remediation.is_empty() {
                m.push_str(&format!(
                    "\n  = fix: {}",
                    crate::report::first_sentence(&rec.remediation)
                ));
            }
            Err(Failed::from(m))
        }
        Outcome::Error => Err(Failed::from(format!("error (could not decide): {}", msg()))),
    }
}
