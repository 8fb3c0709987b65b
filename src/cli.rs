//! The command line: raw arguments become one validated configuration, then one library call.

use crate::exec::EngineOptions;
use crate::results::Severity;
use crate::scan::{ReportPaths, Scan, ScanError};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// apiward: API security checks as YAML, run like `cargo test`.
#[derive(Debug, Parser)]
#[command(name = "apiward", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run checks against a target profile, as libtest tests.
    #[command(
        help_template = "{about}\n\nUsage: apiward test [OPTIONS] [FILTER]\n\n{all-args}\n\n{after-help}",
        after_help = "Requests in flight are bounded by the profile's limits (--concurrency, --rps), not by\n\
            --test-threads; --test-threads 1 sends one request at a time.\n\
            Exit codes: 0 all passed, 101 a finding, an error or a failed gate, 2 a usage or configuration error."
    )]
    Test(Box<TestArgs>),
    /// Load and expand checks (and a profile) without sending anything; exit 2 on any error.
    Validate(ValidateArgs),
    /// List the available checks: id, category, severity, name.
    Checks(ChecksArgs),
    /// Show a check's metadata, remediation and source.
    Explain(ExplainArgs),
    /// Print the JSON Schema of the check, profile or suite format (for yaml-language-server).
    Schema(SchemaArgs),
    /// Rebuild reports and the score from one or more results files.
    Report(ReportArgs),
    /// Print a profile skeleton whose endpoints come from an OpenAPI 3 document (JSON or YAML).
    ImportOpenapi(ImportArgs),
    /// Serve the built-in vulnerable lab API.
    Lab(LabArgs),
    /// Scan the built-in lab twice (vulnerable and hardened) and compare the results.
    Demo(DemoArgs),
}

/// Options of `apiward test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Target profile (YAML).
    #[arg(long, short = 'p', env = "APIWARD_PROFILE")]
    profile: Option<PathBuf>,
    /// Override the profile's base URL (the default scope follows it).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Suite: a built-in name (recommended, owasp-api-top10, heroku, passive) or a file.
    #[arg(long, default_value = "recommended")]
    suite: String,
    /// Directory (or file) of custom checks; repeatable.
    #[arg(long = "checks", value_name = "DIR")]
    checks: Vec<PathBuf>,
    /// Run only custom checks, not the built-in library.
    #[arg(long)]
    no_builtin: bool,
    /// Enable checks tagged `intrusive` (bursts, injection payloads).
    #[arg(long)]
    intrusive: bool,
    /// Enable checks tagged `destructive` (they modify or delete data).
    #[arg(long)]
    destructive: bool,
    #[command(flatten)]
    reports: ReportFlags,
    #[command(flatten)]
    gate: GateFlags,
    /// Override the profile's concurrency (requests in flight).
    #[arg(long)]
    concurrency: Option<usize>,
    /// Override the profile's rate limit (requests per second; 0 = unlimited).
    #[arg(long)]
    rps: Option<u32>,
    /// Do not print the score table.
    #[arg(long)]
    no_score: bool,
    /// Append to the results file instead of replacing it.
    #[arg(long)]
    append_results: bool,
    #[command(flatten)]
    libtest: libtest_mimic::Arguments,
}

#[derive(Debug, Args, Clone, Default)]
struct ReportFlags {
    /// Results file, JSON lines [default: target/apiward/results.jsonl].
    #[arg(long, value_name = "FILE")]
    results: Option<PathBuf>,
    /// Write JUnit XML.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write SARIF 2.1.0.
    #[arg(long, value_name = "FILE")]
    sarif: Option<PathBuf>,
    /// Write the JSON report.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write the Markdown summary.
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
}

impl ReportFlags {
    fn paths(&self) -> ReportPaths {
        ReportPaths {
            results: self.results.clone(),
            junit: self.junit.clone(),
            sarif: self.sarif.clone(),
            json: self.json.clone(),
            markdown: self.markdown.clone(),
        }
    }
}

/// A severity on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Self {
        match s {
            SeverityArg::Info => Severity::Info,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

#[derive(Debug, Args)]
struct ValidateArgs {
    /// Check files or directories to validate (default: the built-in library only).
    paths: Vec<PathBuf>,
    /// Also expand the checks against this profile.
    #[arg(long, short = 'p')]
    profile: Option<PathBuf>,
    /// Suite to expand (with --profile).
    #[arg(long, default_value = "owasp-api-top10")]
    suite: String,
    /// Validate only the given paths, not the built-in library.
    #[arg(long)]
    no_builtin: bool,
}

#[derive(Debug, Args)]
struct ChecksArgs {
    /// Also load custom checks from DIR.
    #[arg(long = "checks", value_name = "DIR")]
    checks: Vec<PathBuf>,
    /// Only checks a suite selects.
    #[arg(long)]
    suite: Option<String>,
}

#[derive(Debug, Args)]
struct ExplainArgs {
    /// Check id.
    id: String,
    /// Also load custom checks from DIR.
    #[arg(long = "checks", value_name = "DIR")]
    checks: Vec<PathBuf>,
}

#[derive(Debug, Args)]
struct SchemaArgs {
    /// Which format.
    #[arg(value_enum, default_value = "check")]
    format: SchemaKind,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SchemaKind {
    Check,
    Profile,
    Suite,
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// Results files (JSON lines) to merge; later files win for the same trial.
    #[arg(required = true, value_name = "RESULTS")]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    reports: ReportFlags,
    #[command(flatten)]
    gate: GateFlags,
}

/// CI gates shared by `test` and `report`.
#[derive(Debug, Args, Clone, Default)]
struct GateFlags {
    /// Fail (exit 101) when the score is below SCORE.
    #[arg(long, value_name = "SCORE")]
    fail_under: Option<u8>,
    /// Fail on findings at or above SEVERITY (errors always fail). Default: any finding fails.
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<SeverityArg>,
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// The OpenAPI document.
    file: PathBuf,
    /// Base URL for the profile (default: the document's first server).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
}

/// Options of `apiward lab`.
#[derive(Debug, Args)]
pub struct LabArgs {
    /// Loopback address to bind.
    #[arg(long, default_value = "127.0.0.1:8088")]
    pub addr: std::net::SocketAddr,
    /// Turn every weakness off.
    #[arg(long)]
    pub hardened: bool,
    /// Set one weakness: NAME=on|off (repeatable).
    #[arg(long = "switch", value_name = "NAME=on|off")]
    pub switches: Vec<String>,
}

/// Options of `apiward demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where reports are written.
    #[arg(long, default_value = "target/apiward/demo")]
    pub out: PathBuf,
    /// Suite to run against both labs.
    #[arg(long, default_value = "owasp-api-top10")]
    pub suite: String,
    /// Run only safe checks (by default the demo also runs the intrusive and destructive checks,
    /// which is fine against its own throw-away labs and must be opted into against real targets).
    #[arg(long)]
    pub safe_only: bool,
}

/// Parses the process arguments and runs; returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, ScanError> {
    match cli.command {
        Command::Test(a) => Ok(test(*a)),
        Command::Validate(a) => validate(a),
        Command::Checks(a) => checks(a),
        Command::Explain(a) => explain(a),
        Command::Schema(a) => {
            println!(
                "{}",
                crate::schema::schema(match a.format {
                    SchemaKind::Check => "check",
                    SchemaKind::Profile => "profile",
                    SchemaKind::Suite => "suite",
                })
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Report(a) => report(a),
        Command::ImportOpenapi(a) => {
            let text = std::fs::read_to_string(&a.file)
                .map_err(|e| ScanError::Usage(format!("cannot read {}: {e}", a.file.display())))?;
            let profile = crate::openapi::profile_skeleton(&text, a.base_url.as_deref())
                .map_err(|e| ScanError::Usage(format!("{}: {e}", a.file.display())))?;
            print!("{profile}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Lab(a) => crate::demo::serve_lab(a).map_err(ScanError::Usage),
        Command::Demo(a) => crate::demo::run_demo(a).map_err(ScanError::Usage),
    }
}

fn test(a: TestArgs) -> ExitCode {
    let loaded_profile = match (&a.base_url, &a.profile) {
        (Some(url), Some(path)) => match crate::load::load_profile(path) {
            Ok(p) => Some(p.with_base_url(url)),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        },
        _ => None,
    };
    let scan = Scan {
        profile: a.profile,
        loaded_profile,
        suite: a.suite,
        checks_dirs: a.checks,
        builtin: !a.no_builtin,
        intrusive: a.intrusive,
        destructive: a.destructive,
        reports: a.reports.paths(),
        fail_under: a.gate.fail_under,
        fail_on: a.gate.fail_on.map(Into::into),
        engine: EngineOptions {
            concurrency: a.concurrency,
            rps: a.rps,
        },
        score_table: !a.no_score,
        append_results: a.append_results,
        only_ids: Vec::new(),
    };
    scan.run(&a.libtest)
}

fn validate(a: ValidateArgs) -> Result<ExitCode, ScanError> {
    let checks = crate::load::load_all_checks(&a.paths, !a.no_builtin)?;
    let mut trials = 0;
    if let Some(p) = &a.profile {
        let profile = crate::load::load_profile(p)?;
        let suite = crate::load::load_suite(&a.suite)?;
        let selected: Vec<_> = crate::select::select(&suite, &checks)
            .into_iter()
            .cloned()
            .map(std::sync::Arc::new)
            .collect();
        let env = crate::template::environment();
        let opts = crate::expand::PlanOptions {
            intrusive: true,
            destructive: true,
        };
        trials = crate::expand::plan(&env, &selected, &profile, &opts)?
            .trials
            .len();
    }
    if a.profile.is_some() {
        eprintln!(
            "ok: {} checks valid, {trials} trials planned; nothing was sent",
            checks.len()
        );
    } else {
        eprintln!("ok: {} checks valid", checks.len());
    }
    Ok(ExitCode::SUCCESS)
}

fn checks(a: ChecksArgs) -> Result<ExitCode, ScanError> {
    let all = crate::load::load_all_checks(&a.checks, true)?;
    let list: Vec<&crate::model::Check> = match &a.suite {
        Some(s) => {
            let suite = crate::load::load_suite(s)?;
            eprintln!("suite {}: {}", suite.name, suite.description.trim());
            crate::select::select(&suite, &all)
        }
        None => all.iter().collect(),
    };
    let mut rows: Vec<&crate::model::Check> = list;
    rows.sort_by(|x, y| (x.info().category, x.id()).cmp(&(y.info().category, y.id())));
    let w = rows.iter().map(|c| c.id().len()).max().unwrap_or(2).max(2);
    println!(
        "{:<w$}  {:<22}  {:<8}  {:<10}  NAME",
        "ID", "CATEGORY", "SEVERITY", "TAGS"
    );
    for c in &rows {
        let i = c.info();
        let kind = if c.is_destructive() {
            "destructive"
        } else if c.is_intrusive() {
            "intrusive"
        } else {
            "safe"
        };
        println!(
            "{:<w$}  {:<22}  {:<8}  {:<10}  {}",
            c.id(),
            i.category.as_str(),
            i.severity.as_str(),
            kind,
            i.name
        );
    }
    let cats: std::collections::BTreeSet<_> = rows.iter().map(|c| c.info().category).collect();
    eprintln!("{} checks in {} categories", rows.len(), cats.len());
    Ok(ExitCode::SUCCESS)
}

fn explain(a: ExplainArgs) -> Result<ExitCode, ScanError> {
    let all = crate::load::load_all_checks(&a.checks, true)?;
    let Some(c) = all.iter().find(|c| c.id() == a.id) else {
        let d =
            crate::diag::Diagnostic::new("unknown check", format!("no check has id `{}`", a.id))
                .suggest(&a.id, all.iter().map(|c| c.id()));
        return Err(crate::diag::Diagnostics::from(d).into());
    };
    let i = c.info();
    println!("{} ({})", i.name, c.id());
    println!(
        "category: {}   severity: {}   owasp: {}   cwe: {}",
        i.category.as_str(),
        i.severity,
        i.owasp.as_deref().unwrap_or("-"),
        i.cwe.join(", ")
    );
    println!("tags: {}", i.tags.join(", "));
    println!("file: {}\n", c.path);
    println!("{}\n", i.description.trim());
    println!("Remediation:\n{}\n", i.remediation.trim());
    for r in &i.references {
        println!("  - {r}");
    }
    println!("\n--- {} ---\n{}", c.path, c.source.trim_end());
    Ok(ExitCode::SUCCESS)
}

fn report(a: ReportArgs) -> Result<ExitCode, ScanError> {
    let mut runs = Vec::new();
    for p in &a.inputs {
        let text = std::fs::read_to_string(p)
            .map_err(|e| ScanError::Usage(format!("cannot read {}: {e}", p.display())))?;
        runs.push(
            crate::results::read_records(&text, &p.display().to_string())
                .map_err(ScanError::Usage)?,
        );
    }
    let records = crate::report::merge(runs);
    let score = crate::report::compute(&records);
    let mut paths = a.reports.paths();
    paths.results = None;
    crate::reporting::write_reports(&paths, &records, &score)?;
    if let Some(out) = &a.reports.results {
        let text: String = records.iter().map(|r| r.to_json_line() + "\n").collect();
        std::fs::write(out, text)
            .map_err(|e| ScanError::Usage(format!("cannot write {}: {e}", out.display())))?;
    }
    print!("{}", crate::report::render_table(&score, false));
    let gate = crate::reporting::gate_of(a.gate.fail_under, a.gate.fail_on.map(Into::into));
    Ok(match crate::report::meets_gate(&records, &score, &gate) {
        Ok(()) => ExitCode::SUCCESS,
        Err(fails) => {
            for f in fails {
                eprintln!("gate failed: {f}");
            }
            ExitCode::from(101)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
