//! A whole scan, from files to exit code: load, select, plan, run, report, gate.
//!
//! This is the library entry point shared by `apiward test` and by a user's own `cargo test` target
//! (see [`Scan`]), so both behave identically: same trials, filters, reports and exit codes.

use crate::diag::Diagnostics;
use crate::exec::{Engine, EngineOptions};
use crate::expand::{self, PlanOptions};
use crate::harness::{self, ResultsSink};
use crate::model::Check;
pub use crate::model::Profile;
use crate::results::{Severity, TrialRecord};
use libtest_mimic::Arguments;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Where reports go. Every format is produced from the same records.
#[derive(Debug, Clone, Default)]
pub struct ReportPaths {
    /// Results file (JSON lines). Default: `target/apiward/results.jsonl`.
    pub results: Option<PathBuf>,
    /// JUnit XML.
    pub junit: Option<PathBuf>,
    /// SARIF 2.1.0.
    pub sarif: Option<PathBuf>,
    /// JSON report.
    pub json: Option<PathBuf>,
    /// Markdown summary.
    pub markdown: Option<PathBuf>,
}

/// A configured scan. Build it, then call [`Scan::run`] (or [`Scan::main`] from a test harness).
///
/// ```no_run
/// // tests/security.rs in your crate, with `[[test]] name = "security"` and `harness = false`:
/// fn main() -> std::process::ExitCode {
///     apiward::Scan::new("security/profile.yaml")
///         .suite("recommended")
///         .checks_dir("security/checks")
///         .main()
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Scan {
    /// Profile file.
    pub profile: Option<PathBuf>,
    /// A profile already loaded (takes precedence over `profile`).
    pub loaded_profile: Option<Profile>,
    /// Suite name or file.
    pub suite: String,
    /// Directories of custom checks.
    pub checks_dirs: Vec<PathBuf>,
    /// Include the built-in checks.
    pub builtin: bool,
    /// Enable intrusive checks.
    pub intrusive: bool,
    /// Enable destructive checks.
    pub destructive: bool,
    /// Report outputs.
    pub reports: ReportPaths,
    /// Fail when the score is below this.
    pub fail_under: Option<u8>,
    /// Fail on findings at or above this severity (default: any finding or error fails).
    pub fail_on: Option<Severity>,
    /// Engine overrides.
    pub engine: EngineOptions,
    /// Print the score table to stderr after the run.
    pub score_table: bool,
    /// Append to the results file instead of truncating it (one process per test under nextest).
    pub append_results: bool,
    /// Only these check ids (empty: all the suite selects).
    pub only_ids: Vec<String>,
}

impl Scan {
    /// A scan of `profile` with the `recommended` suite and the built-in checks.
    pub fn new(profile: impl Into<PathBuf>) -> Self {
        Scan {
            profile: Some(profile.into()),
            loaded_profile: None,
            suite: "recommended".to_owned(),
            checks_dirs: Vec::new(),
            builtin: true,
            intrusive: false,
            destructive: false,
            reports: ReportPaths::default(),
            fail_under: None,
            fail_on: None,
            engine: EngineOptions::default(),
            score_table: true,
            append_results: false,
            only_ids: Vec::new(),
        }
    }

    /// A scan of an already loaded profile.
    pub fn with_profile(profile: Profile) -> Self {
        let mut s = Scan::new("");
        s.profile = None;
        s.loaded_profile = Some(profile);
        s
    }

    /// Restricts the scan to the given check ids.
    pub fn only(mut self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.only_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// Enables intrusive and destructive checks.
    pub fn everything(mut self) -> Self {
        self.intrusive = true;
        self.destructive = true;
        self
    }

    /// Selects a suite by built-in name or file path.
    pub fn suite(mut self, suite: impl Into<String>) -> Self {
        self.suite = suite.into();
        self
    }

    /// Adds a directory of custom checks.
    pub fn checks_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.checks_dirs.push(dir.into());
        self
    }

    /// Leaves the built-in checks out (only custom checks run).
    pub fn without_builtin(mut self) -> Self {
        self.builtin = false;
        self
    }

    /// Writes JUnit XML to `path`.
    pub fn junit(mut self, path: impl Into<PathBuf>) -> Self {
        self.reports.junit = Some(path.into());
        self
    }

    /// Runs with the process's command-line arguments as libtest arguments (for `harness = false`).
    pub fn main(self) -> ExitCode {
        let args = Arguments::from_args();
        self.run(&args)
    }

    /// Runs with the given libtest arguments; prints diagnostics and returns the exit code
    /// (0 all passed, 101 any finding or error or failed gate, 2 configuration error).
    pub fn run(&self, args: &Arguments) -> ExitCode {
        match self.execute(args) {
            Ok(out) => out.exit_code(),
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        }
    }

    /// Loads, plans and runs; returns the records and the verdict without exiting.
    pub fn execute(&self, args: &Arguments) -> Result<ScanOutput, ScanError> {
        let (plan, engine) = self.prepare(args.test_threads == Some(1))?;
        let sink = if args.list {
            None
        } else {
            let path = self
                .reports
                .results
                .clone()
                .unwrap_or_else(default_results_path);
            // Under nextest every process of the run appends its records to the run's file.
            let append = self.append_results || nextest_run_id().is_some();
            Some(Arc::new(
                ResultsSink::create(path.clone(), append).map_err(|e| {
                    ScanError::Usage(format!("cannot write results file {}: {e}", path.display()))
                })?,
            ))
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| ScanError::Usage(format!("cannot start the runtime: {e}")))?;
        let out =
            harness::run(plan, Arc::clone(&engine), &rt, args, sink).map_err(ScanError::Usage)?;
        // The gate decides the exit code (by default: any finding or error). A trial that libtest
        // saw fail without leaving a record (its task died) fails the run whatever the gate says.
        let gate_failed =
            !args.list && crate::reporting::finish(self, &out.records, nextest_run_id().is_none())?;
        let lost = out.conclusion.has_failed()
            && out
                .records
                .iter()
                .filter(|r| {
                    matches!(
                        r.outcome,
                        crate::results::Outcome::Finding | crate::results::Outcome::Error
                    )
                })
                .count()
                < out.conclusion.num_failed as usize;
        Ok(ScanOutput {
            records: out.records,
            gate_failed: gate_failed || lost,
        })
    }

    /// Runs every planned trial on the current tokio runtime, without libtest and without writing
    /// anything; returns the records sorted by name. For tests and embedding.
    pub async fn records(&self) -> Result<Vec<TrialRecord>, ScanError> {
        let (plan, engine) = self.prepare(false)?;
        let out = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = Arc::clone(&out);
        let done = move |_: usize, rec: TrialRecord, _: &Engine| {
            sink.lock().unwrap_or_else(|e| e.into_inner()).push(rec);
        };
        harness::run_phases(engine, plan.trials, Arc::new(done)).await;
        let mut out = std::mem::take(&mut *out.lock().unwrap_or_else(|e| e.into_inner()));
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn prepare(&self, serial: bool) -> Result<(expand::Plan, Arc<Engine>), ScanError> {
        let mut profile = match (&self.loaded_profile, &self.profile) {
            (Some(p), _) => p.clone(),
            (None, Some(path)) => crate::load::load_profile(path)?,
            (None, None) => return Err(ScanError::Usage("no profile: pass --profile FILE (see docs/profile-format.md), or try `apiward demo`".into())),
        };
        if let Some(url) = std::env::var("APIWARD_BASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            profile = profile.with_base_url(&url);
        }
        let mut engine_opts = self.engine.clone();
        if serial {
            // --test-threads=1 means one at a time, as with cargo test.
            engine_opts.concurrency = Some(1);
        }
        let client = {
            let (p, o) = (profile.clone(), engine_opts.clone());
            std::thread::spawn(move || Engine::client(&p, &o))
        };
        let checks = crate::load::load_all_checks(&self.checks_dirs, self.builtin)?;
        let suite = crate::load::load_suite(&self.suite)?;
        let selected: Vec<Arc<Check>> = crate::select::select(&suite, &checks)
            .into_iter()
            .filter(|c| self.only_ids.is_empty() || self.only_ids.iter().any(|i| i == c.id()))
            .cloned()
            .map(Arc::new)
            .collect();
        let env = crate::template::environment();
        let opts = PlanOptions {
            intrusive: self.intrusive || profile.file.intrusive,
            destructive: self.destructive || profile.file.destructive,
        };
        let plan = expand::plan(&env, &selected, &profile, &opts)?;
        if plan.trials.is_empty() {
            return Err(ScanError::Usage(format!(
                "suite `{}` selected no checks: nothing to run",
                suite.name
            )));
        }
        let client = client
            .join()
            .map_err(|_| ScanError::Usage("building the HTTP client panicked".into()))?
            .map_err(ScanError::Usage)?;
        let engine = Arc::new(
            Engine::new(env, profile, plan.globals.clone(), &engine_opts, client)
                .map_err(ScanError::Usage)?,
        );
        Ok((plan, engine))
    }
}

/// The cargo target directory: `CARGO_TARGET_DIR`; else, for a test binary that cargo built
/// (`<target>/<profile>/deps/<name>`), that `<target>` (the workspace's, not the member's); else
/// `target` under the current directory.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        let deps = exe.parent()?;
        (deps.file_name()? == "deps")
            .then(|| deps.parent()?.parent().map(PathBuf::from))
            .flatten()
    });
    from_exe.unwrap_or_else(|| PathBuf::from("target"))
}

/// The id of the cargo-nextest run this process belongs to, if any.
pub fn nextest_run_id() -> Option<String> {
    std::env::var("NEXTEST_RUN_ID")
        .ok()
        .filter(|s| !s.is_empty())
}

/// `target/apiward/results.jsonl`; under cargo-nextest, `target/apiward/nextest/<run-id>.jsonl`,
/// which every test process of the run appends to (`apiward report` merges it).
pub fn default_results_path() -> PathBuf {
    let base = target_dir().join("apiward");
    match nextest_run_id() {
        Some(id) => base.join("nextest").join(format!("{id}.jsonl")),
        None => base.join("results.jsonl"),
    }
}

/// The outcome of a scan.
#[derive(Debug)]
pub struct ScanOutput {
    /// Every record, sorted by trial name.
    pub records: Vec<TrialRecord>,
    /// The gate failed: by default any finding or error; with `--fail-under`/`--fail-on`, those.
    pub gate_failed: bool,
}

impl ScanOutput {
    /// 0 when passed, 101 when failed.
    pub fn exit_code(&self) -> ExitCode {
        if self.gate_failed {
            ExitCode::from(101)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// Why a scan could not run.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// Invalid checks, suite or profile, with located diagnostics.
    #[error("{0}")]
    Config(#[from] Diagnostics),
    /// A usage error.
    #[error("error: {0}")]
    Usage(String),
}
