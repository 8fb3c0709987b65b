//! Loading: YAML text → typed model, with every mistake reported at `file:line:col`.
//!
//! Loading is all-or-nothing: every file is parsed and validated, all diagnostics are collected,
//! and if there is even one the caller gets the full list and nothing runs. Built-in checks and
//! suites are embedded in the binary so an installed apiward works from any directory.

use crate::diag::{Diagnostic, Diagnostics, did_you_mean};
use crate::model::{
    AssertionKind, Capture, Check, CheckFile, Predicate, Profile, ProfileFile, Request, Spanned,
    Step, Suite, line_col,
};
use include_dir::{Dir, include_dir};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

static BUILTIN_CHECKS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/checks");
static BUILTIN_SUITES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/suites");

/// Parses YAML into `T`, turning serde-saphyr's error into a located diagnostic with a hint.
pub fn parse_yaml<T: DeserializeOwned>(file: &str, src: &str) -> Result<T, Diagnostic> {
    // YAML 1.2 booleans only: `yes`, `on`, `y` stay strings (a header value `on` is not `true`).
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options::<T>(src, options).map_err(|e| {
        let (line, col) = e
            .location()
            .map(|l| (l.line() as usize, l.column() as usize))
            .unwrap_or((1, 1));
        let rendered = e.to_string();
        let first = rendered.lines().next().unwrap_or_default();
        let msg = first
            .split_once(": ")
            .map(|(_, rest)| rest)
            .filter(|_| first.starts_with("error: line"))
            .and_then(|rest| rest.split_once(": ").map(|(_, m)| m))
            .unwrap_or(first)
            .trim()
            .to_owned();
        describe_serde_error(&msg).at(file, src, line, col)
    })
}

/// Maps serde's message vocabulary to a title, fact and hint.
fn describe_serde_error(msg: &str) -> Diagnostic {
    for (prefix, title) in [
        ("unknown field", "unknown field"),
        ("unknown variant", "unknown value"),
    ] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            let found = between_ticks(rest).unwrap_or_default();
            let expected: Vec<String> = rest
                .split_once("expected")
                .map(|(_, e)| {
                    e.trim_start_matches(" one of")
                        .split([',', ' '])
                        .map(|s| s.trim().trim_matches('`').to_owned())
                        .filter(|s| !s.is_empty() && s != "or")
                        .collect()
                })
                .unwrap_or_default();
            let title = if expected.iter().any(|e| e == "jsonpath") {
                "unknown assertion"
            } else {
                title
            };
            let d = Diagnostic::new(title, format!("found `{found}`"));
            return match did_you_mean(&found, expected.iter().map(String::as_str)) {
                Some(best) => d.with_hint(format!("did you mean `{best}`?")),
                None if expected.is_empty() => d.with_hint("this field is not allowed here"),
                None => d.with_hint(format!("expected one of: {}", expected.join(", "))),
            };
        }
    }
    if let Some(rest) = msg.strip_prefix("missing field") {
        let name = between_ticks(rest).unwrap_or_default();
        return Diagnostic::new("missing field", format!("`{name}` is required here"));
    }
    if msg.starts_with("duplicate") {
        return Diagnostic::new("duplicate key", msg.to_owned())
            .with_hint("each key may appear once in a mapping");
    }
    if msg.starts_with("invalid type") || msg.starts_with("invalid ") || msg.starts_with("expected")
    {
        return Diagnostic::new("wrong type", msg.to_owned());
    }
    Diagnostic::new("invalid YAML", msg.to_owned())
}

fn between_ticks(s: &str) -> Option<String> {
    let start = s.find('`')? + 1;
    let end = s[start..].find('`')? + start;
    Some(s[start..end].to_owned())
}

/// Loads one check from its text and validates it. `path` is the display path.
pub fn load_check(path: &str, src: &str) -> Result<Check, Diagnostics> {
    let file: CheckFile = parse_yaml(path, src)?;
    let check = Check {
        file,
        path: path.to_owned(),
        source: Arc::from(src),
    };
    validate_check(&check).into_result(check)
}

fn validate_check(check: &Check) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let src = &*check.source;
    let at = |d: Diagnostic, (l, c): (usize, usize)| d.at(&check.path, src, l, c);
    let id = &check.file.id;
    let stem = Path::new(&check.path)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if id.value != stem {
        diags.push(at(
            Diagnostic::new(
                "check id does not match its file name",
                format!("id is `{}`, file stem is `{stem}`", id.value),
            )
            .with_hint(format!(
                "rename the file to `{}.yaml` or set `id: {stem}`",
                id.value
            )),
            line_col(id),
        ));
    }
    if !is_kebab(&id.value) {
        diags.push(at(
            Diagnostic::new(
                "invalid check id",
                format!("`{}` is not kebab-case", id.value),
            )
            .with_hint("use lowercase letters, digits and single dashes, e.g. `no-token-accepted`"),
            line_col(id),
        ));
    }
    if check.file.steps.is_empty() {
        diags.push(at(
            Diagnostic::new("check has no steps", "`steps` is empty")
                .with_hint("add at least one step with a request and `expect`"),
            line_col(id),
        ));
    }
    let mut any_expect = false;
    for step in &check.file.steps {
        any_expect |= !step.value.expect.is_empty();
        validate_step(step, &mut diags, &|d, s| at(d, s));
    }
    if !check.file.steps.is_empty() && !any_expect {
        diags.push(at(
            Diagnostic::new("check cannot fail", "no step has an `expect` assertion")
                .with_hint("a check describes what a secure API does: add `expect` assertions"),
            line_col(id),
        ));
    }
    diags
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

type At<'a> = dyn Fn(Diagnostic, (usize, usize)) -> Diagnostic + 'a;

fn validate_step(step: &Spanned<Step>, diags: &mut Diagnostics, at: &At<'_>) {
    let s = &step.value;
    if let Some(req) = &s.request {
        validate_request(req, diags, at);
    } else if !s.capture.is_empty() {
        diags.push(at(
            Diagnostic::new(
                "capture without a request",
                "this step sends no request, so there is nothing to capture from",
            ),
            line_col(step),
        ));
    }
    if s.repeat == Some(0) {
        diags.push(at(
            Diagnostic::new("invalid repeat", "`repeat` must be at least 1"),
            line_col(step),
        ));
    }
    for a in s.control.iter().chain(&s.expect) {
        validate_assertion(a, s.request.is_some(), diags, at);
    }
    for (name, cap) in &s.capture {
        validate_capture(name, cap, diags, at);
    }
}

/// Validates a request's shape (shared with login flows).
pub(crate) fn validate_request(req: &Spanned<Request>, diags: &mut Diagnostics, at: &At<'_>) {
    let r = &req.value;
    if r.raw.is_some() {
        let others = [
            ("method", r.method.is_some()),
            ("path", r.path.is_some()),
            ("url", r.url.is_some()),
            ("headers", !r.headers.is_empty()),
            ("query", !r.query.is_empty()),
            ("body", r.body.is_some()),
            ("json", r.json.is_some()),
        ];
        if let Some((name, _)) = others.iter().find(|(_, set)| *set) {
            diags.push(at(
                Diagnostic::new("conflicting request fields", format!("`raw` sends the request bytes as written, so `{name}` cannot be used with it"))
                    .with_hint("write the method, path, headers and body inside `raw`"),
                line_col(req),
            ));
        }
        return;
    }
    match (&r.path, &r.url) {
        (None, None) => diags.push(at(
            Diagnostic::new(
                "request has no target",
                "set `path` (relative to the base URL) or `url`",
            ),
            line_col(req),
        )),
        (Some(_), Some(u)) => diags.push(at(
            Diagnostic::new(
                "conflicting request fields",
                "`path` and `url` are both set",
            )
            .with_hint("keep one of them"),
            line_col(u),
        )),
        _ => {}
    }
    if r.body.is_some() && r.json.is_some() {
        diags.push(at(
            Diagnostic::new(
                "conflicting request fields",
                "`body` and `json` are both set",
            )
            .with_hint("keep one of them"),
            line_col(req),
        ));
    }
}

fn validate_capture(name: &str, cap: &Spanned<Capture>, diags: &mut Diagnostics, at: &At<'_>) {
    let c = &cap.value;
    let set = [
        c.jsonpath.is_some(),
        c.header.is_some(),
        c.regex.is_some(),
        c.body,
        c.status,
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if set != 1 {
        diags.push(at(
            Diagnostic::new("invalid capture", format!("capture `{name}` must set exactly one of `jsonpath`, `header`, `regex`, `body`, `status`")),
            line_col(cap),
        ));
    }
    if let Some(p) = &c.jsonpath
        && let Err(e) = check_jsonpath(p)
    {
        diags.push(at(Diagnostic::new("invalid JSONPath", e), line_col(cap)));
    }
    if let Some(r) = &c.regex
        && let Err(e) = check_regex(r)
    {
        diags.push(at(
            Diagnostic::new("invalid regex", first_line(&e.to_string())),
            line_col(cap),
        ));
    }
}

/// Parses a JSONPath, returning a one-line reason when it is invalid. Templated paths are checked
/// after rendering instead.
pub(crate) fn check_jsonpath(p: &str) -> Result<(), String> {
    if p.contains("{{") {
        return Ok(());
    }
    jsonpath_rust::parser::parse_json_path(p)
        .map(|_| ())
        .map_err(|e| {
            let text = e.to_string();
            // pest renders a multi-line picture; keep its position and its expectation.
            let pos = text
                .split("-->")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .unwrap_or("");
            let expected = text
                .lines()
                .find_map(|l| {
                    l.trim()
                        .trim_start_matches('=')
                        .trim()
                        .strip_prefix("expected ")
                })
                .unwrap_or("");
            match (pos.split_once(':'), expected.is_empty()) {
                (Some((_, col)), false) => {
                    format!("`{p}`: parse error at character {col}: expected {expected}")
                }
                _ => format!("`{p}`: {}", first_line(&text)),
            }
        })
}

/// Checks a pattern's syntax without compiling it (compiling is several times slower, and
/// happens once per run when the pattern is first used).
fn check_regex(re: &str) -> Result<(), regex_syntax::Error> {
    regex_syntax::Parser::new().parse(re).map(|_| ())
}

fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn validate_assertion(
    a: &Spanned<AssertionKind>,
    has_request: bool,
    diags: &mut Diagnostics,
    at: &At<'_>,
) {
    let pos = line_col(a);
    let (kind, p) = match &a.value {
        AssertionKind::Any(list) => {
            if list.is_empty() {
                diags.push(at(
                    Diagnostic::new("empty `any`", "`any` needs at least one assertion"),
                    pos,
                ));
            }
            for inner in list {
                validate_assertion(inner, has_request, diags, at);
            }
            return;
        }
        AssertionKind::Status(p) => ("status", p),
        AssertionKind::Header(p) => ("header", p),
        AssertionKind::Body(p) => ("body", p),
        AssertionKind::Jsonpath(p) => ("jsonpath", p),
        AssertionKind::Duration(p) => ("duration", p),
        AssertionKind::Size(p) => ("size", p),
        AssertionKind::Secrets(p) => ("secrets", p),
        AssertionKind::Keys(p) => ("keys", p),
        AssertionKind::Value(p) => ("value", p),
    };
    if kind != "value" && !has_request {
        diags.push(at(
            Diagnostic::new(
                "assertion needs a response",
                format!("`{kind}` reads a response, but this step sends no request"),
            )
            .with_hint("add a `request` to the step, or use `value` assertions"),
            pos,
        ));
    }
    let params = [
        ("name", p.name.is_some(), "header"),
        ("path", p.path.is_some(), "jsonpath"),
        ("of", p.of.is_some(), "value"),
    ];
    for (param, set, owner) in params {
        if set && kind != owner {
            diags.push(at(
                Diagnostic::new(
                    "parameter does not apply",
                    format!("`{param}` is not a parameter of `{kind}`"),
                )
                .with_hint(format!("`{param}` belongs to `{owner}` assertions")),
                pos,
            ));
        }
        if !set && kind == owner {
            diags.push(at(
                Diagnostic::new("missing parameter", format!("`{kind}` needs `{param}`")),
                pos,
            ));
        }
    }
    if let Some(path) = &p.path
        && let Err(e) = check_jsonpath(path)
    {
        diags.push(at(Diagnostic::new("invalid JSONPath", e), pos));
    }
    validate_predicate(kind, p, pos, diags, at);
}

fn validate_predicate(
    kind: &str,
    p: &Predicate,
    pos: (usize, usize),
    diags: &mut Diagnostics,
    at: &At<'_>,
) {
    let preds = p.predicate_fields();
    match preds.len() {
        0 => diags.push(at(
            Diagnostic::new("missing predicate", format!("`{kind}` has no predicate"))
                .with_hint("add one of: equals, contains, matches, exists, absent, in, lt, gt, lte, gte, count"),
            pos,
        )),
        1 => {}
        _ => diags.push(at(
            Diagnostic::new("several predicates", format!("`{kind}` sets {}", preds.join(", ")))
                .with_hint("write one assertion per predicate"),
            pos,
        )),
    }
    if p.exists == Some(false) || p.absent == Some(false) {
        diags.push(at(
            Diagnostic::new("invalid predicate", "`exists` and `absent` take `true`")
                .with_hint("use `absent: true` instead of `exists: false`"),
            pos,
        ));
    }
    if let Some(re) = &p.matches
        && !re.contains("{{")
        && let Err(e) = check_regex(re)
    {
        diags.push(at(
            Diagnostic::new("invalid regex", first_line(&e.to_string())),
            pos,
        ));
    }
    if let Some(inner) = &p.count {
        if inner.name.is_some()
            || inner.path.is_some()
            || inner.of.is_some()
            || inner.count.is_some()
            || inner.not
        {
            diags.push(at(
                Diagnostic::new(
                    "invalid count",
                    "`count` takes a plain predicate such as `{ lt: 100 }`",
                ),
                pos,
            ));
        }
        validate_predicate("count", inner, pos, diags, at);
    }
}

/// Every built-in check file: (display path, source).
pub(crate) fn builtin_check_sources() -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    collect_embedded(&BUILTIN_CHECKS, &mut out);
    out.sort();
    out.into_iter()
        .map(|(p, s)| (format!("checks/{p}"), s))
        .collect()
}

fn collect_embedded(dir: &'static Dir<'static>, out: &mut Vec<(String, &'static str)>) {
    for f in dir.files() {
        let p = f.path().to_string_lossy().into_owned();
        if (p.ends_with(".yaml") || p.ends_with(".yml"))
            && let Some(text) = f.contents_utf8()
        {
            out.push((p, text));
        }
    }
    for d in dir.dirs() {
        collect_embedded(d, out);
    }
}

/// Reads every `.yaml`/`.yml` file under `dir`, sorted by path.
pub fn read_check_dir(dir: &Path) -> Result<Vec<(String, String)>, Diagnostics> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    if !dir.exists() {
        return Err(Diagnostic::new(
            "check directory not found",
            format!("`{}` does not exist", dir.display()),
        )
        .into());
    }
    if dir.is_file() {
        let text = read(dir)?;
        return Ok(vec![(dir.display().to_string(), text)]);
    }
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| {
            Diagnostic::new("cannot read directory", format!("`{}`: {e}", d.display()))
        })?;
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
                out.push((p.display().to_string(), read(&p)?));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn read(p: &Path) -> Result<String, Diagnostic> {
    std::fs::read_to_string(p)
        .map_err(|e| Diagnostic::new("cannot read file", format!("`{}`: {e}", p.display())))
}

/// Loads a set of check sources, all or nothing: every diagnostic of every file, plus duplicate ids.
pub fn load_checks(sources: &[(String, String)]) -> Result<Vec<Check>, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut checks = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    // Parsing is independent per file: split it across threads (start-up time with the embedded
    // library), then check ids in the original order so messages stay deterministic.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    let chunk = sources.len().div_ceil(threads).max(1);
    let parsed: Vec<Result<Check, Diagnostics>> = std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(p, s)| load_check(p, s))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    for ((path, src), result) in sources.iter().zip(parsed) {
        match result {
            Ok(c) => {
                if let Some(first) = seen.get(c.id()) {
                    let (l, col) = line_col(&c.file.id);
                    diags.push(
                        Diagnostic::new(
                            "duplicate check id",
                            format!("`{}` is already defined in {first}", c.id()),
                        )
                        .at(path, src, l, col)
                        .with_hint("check ids must be unique across built-in and custom checks"),
                    );
                } else {
                    seen.insert(c.id().to_owned(), path.clone());
                    checks.push(c);
                }
            }
            Err(d) => diags.extend(d),
        }
    }
    diags.into_result(checks)
}

/// Built-in checks plus the checks found in `dirs`.
pub fn load_all_checks(
    dirs: &[std::path::PathBuf],
    builtin: bool,
) -> Result<Vec<Check>, Diagnostics> {
    let mut sources: Vec<(String, String)> = Vec::new();
    if builtin {
        sources.extend(
            builtin_check_sources()
                .into_iter()
                .map(|(p, s)| (p, s.to_owned())),
        );
    }
    let mut diags = Diagnostics::default();
    for d in dirs {
        match read_check_dir(d) {
            Ok(files) => {
                // A custom file at a built-in's path (validating `checks/` itself) replaces it.
                sources.retain(|(p, _)| !files.iter().any(|(q, _)| q == p));
                sources.extend(files)
            }
            Err(e) => diags.extend(e),
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    load_checks(&sources)
}

/// Loads a profile file.
pub fn load_profile(path: &Path) -> Result<Profile, Diagnostics> {
    let src = read(path)?;
    load_profile_str(&path.display().to_string(), &src)
}

/// Loads a profile from text; `path` is the display path.
pub fn load_profile_str(path: &str, src: &str) -> Result<Profile, Diagnostics> {
    let file: ProfileFile = parse_yaml(path, src)?;
    let profile = Profile {
        file,
        path: path.to_owned(),
        source: Arc::from(src),
    };
    crate::profile::validate(&profile).into_result(profile)
}

/// Names of the built-in suites.
pub fn builtin_suite_names() -> Vec<String> {
    let mut names: Vec<String> = BUILTIN_SUITES
        .files()
        .filter_map(|f| {
            f.path()
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

/// Loads a suite by built-in name or by file path.
pub fn load_suite(name_or_path: &str) -> Result<Suite, Diagnostics> {
    let (path, src) = if let Some(f) = BUILTIN_SUITES.get_file(format!("{name_or_path}.yaml")) {
        (
            format!("suites/{name_or_path}.yaml"),
            f.contents_utf8().unwrap_or_default().to_owned(),
        )
    } else if Path::new(name_or_path).is_file() {
        (name_or_path.to_owned(), read(Path::new(name_or_path))?)
    } else {
        let names = builtin_suite_names();
        let d = Diagnostic::new(
            "unknown suite",
            format!("`{name_or_path}` is neither a built-in suite nor a file"),
        );
        let d = match did_you_mean(name_or_path, names.iter().map(String::as_str)) {
            Some(b) => d.with_hint(format!("did you mean `{b}`?")),
            None => d.with_hint(format!("built-in suites: {}", names.join(", "))),
        };
        return Err(d.into());
    };
    Ok(parse_yaml(&path, &src)?)
}

/// The text of a built-in profile or suite file, by its path relative to `suites/`.
pub fn builtin_suite_file(rel: &str) -> Option<&'static str> {
    BUILTIN_SUITES.get_file(rel).and_then(|f| f.contents_utf8())
}
