//! Expansion: checks × profile → planned trials with stable, sorted names.
//!
//! Pure and synchronous: no network. Each check's `for_each` matrix is evaluated against the profile
//! (cartesian product, later keys may depend on earlier ones; or zipped), every template that does not
//! depend on run-time captures is rendered once per trial so that undefined variables, unknown
//! identities and type errors are reported at `file:line:col` before a single request is sent.

use crate::diag::{Diagnostic, Diagnostics};
use crate::model::{AssertionKind, Check, Predicate, Profile, Spanned, line_col};
use crate::profile::{self, ANONYMOUS};
use crate::template::{self, FUNCTIONS};
use minijinja::{Environment, Value};
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

/// One concrete trial: a check with its matrix values bound.
#[derive(Debug, Clone)]
pub struct PlannedTrial {
    /// `category::check-id[label]`.
    pub name: String,
    /// The check.
    pub check: Arc<Check>,
    /// The label, when the check has a matrix.
    pub label: Option<String>,
    /// The endpoint the trial is about (for reports).
    pub endpoint: Option<String>,
    /// Matrix bindings (`endpoint`, `payload`, ...).
    pub bindings: Vec<(String, Value)>,
    /// Not applicable: the trial is skipped with this reason.
    pub skip: Option<String>,
    /// Not enabled (intrusive/destructive): ignored unless enabled, with this reason.
    pub disabled: Option<String>,
}

/// Options that change what is planned.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Run checks tagged `intrusive`.
    pub intrusive: bool,
    /// Run checks tagged `destructive`.
    pub destructive: bool,
}

/// The planned run: trials sorted by name, plus the template globals they share.
pub struct Plan {
    /// Trials, sorted by name.
    pub trials: Vec<PlannedTrial>,
    /// Profile-derived template globals (`base_url`, `vars`, `endpoints`, `identities`, `secrets`).
    pub globals: Vec<(String, Value)>,
}

/// Builds the template context of a trial: globals, bindings and extra run-time values.
pub fn context(
    globals: &[(String, Value)],
    bindings: &[(String, Value)],
    extra: &[(String, Value)],
) -> Value {
    let mut map: std::collections::BTreeMap<String, Value> = std::collections::BTreeMap::new();
    for (k, v) in globals.iter().chain(bindings).chain(extra) {
        map.insert(k.clone(), v.clone());
    }
    Value::from(map)
}

/// Renders a template string; plain strings are returned as they are.
pub fn render(env: &Environment<'_>, src: &str, ctx: &Value) -> Result<String, minijinja::Error> {
    if !is_template(src) {
        return Ok(src.to_owned());
    }
    env.get_template(src)?.render(ctx)
}

/// True when `s` contains template syntax.
pub fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%")
}

/// If `s` is exactly one `{{ expression }}`, the expression.
fn sole_expression(s: &str) -> Option<&str> {
    let t = s.trim();
    let inner = t.strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}")).then(|| inner.trim())
}

/// Renders a JSON value: strings are templates; a string that is a single `{{ expr }}` keeps the
/// expression's type (number, object, list), so `id: "{{ endpoint.params.id }}"` stays a number.
pub fn render_json(
    env: &Environment<'_>,
    v: &serde_json::Value,
    ctx: &Value,
) -> Result<serde_json::Value, minijinja::Error> {
    use serde_json::Value as J;
    Ok(match v {
        J::String(s) => match sole_expression(s) {
            Some(expr) => {
                let val = env.compile_expression(expr)?.eval(ctx)?;
                serde_json::to_value(&val).map_err(|e| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("not JSON: {e}"),
                    )
                })?
            }
            None => J::String(render(env, s, ctx)?),
        },
        J::Array(items) => J::Array(
            items
                .iter()
                .map(|i| render_json(env, i, ctx))
                .collect::<Result<_, _>>()?,
        ),
        J::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, val) in map {
                out.insert(render(env, k, ctx)?, render_json(env, val, ctx)?);
            }
            J::Object(out)
        }
        other => other.clone(),
    })
}

/// The profile's template globals, including resolved profile-level secrets.
pub fn globals(p: &Profile) -> Vec<(String, Value)> {
    let mut g: Vec<(String, Value)> = profile::template_globals(p)
        .into_iter()
        .map(|(k, v)| (k, crate::template::to_value(&v)))
        .collect();
    g.push((
        "secrets".to_owned(),
        crate::template::to_value(profile::resolve_secrets(&p.file.secrets)),
    ));
    g
}

/// Expands `checks` against `profile`. All diagnostics of all checks are returned together.
pub fn plan(
    env: &Environment<'_>,
    checks: &[Arc<Check>],
    p: &Profile,
    opts: &PlanOptions,
) -> Result<Plan, Diagnostics> {
    let globals = globals(p);
    let identity_names: Vec<String> = std::iter::once(ANONYMOUS.to_owned())
        .chain(p.file.identities.keys().cloned())
        .collect();
    let mut diags = Diagnostics::default();
    let mut trials = Vec::new();
    for check in checks {
        let mut planner = CheckPlanner {
            env,
            check,
            globals: &globals,
            identities: &identity_names,
            diags: Diagnostics::default(),
            seen: HashSet::new(),
            undeclared: std::collections::HashMap::new(),
        };
        let mut planned = planner.plan_check(opts);
        diags.extend(planner.diags);
        trials.append(&mut planned);
    }
    trials.sort_by(|a, b| a.name.cmp(&b.name));
    diags.into_result(Plan { trials, globals })
}

struct CheckPlanner<'a> {
    env: &'a Environment<'a>,
    check: &'a Arc<Check>,
    globals: &'a [(String, Value)],
    identities: &'a [String],
    diags: Diagnostics,
    seen: HashSet<(usize, usize, String)>,
    undeclared: std::collections::HashMap<String, Arc<HashSet<String>>>,
}

impl CheckPlanner<'_> {
    fn error<T>(&mut self, title: &str, detail: String, s: &Spanned<T>) {
        let (l, c) = line_col(s);
        if self.seen.insert((l, c, detail.clone())) {
            let d = Diagnostic::new(title, detail).at(&self.check.path, &self.check.source, l, c);
            let d = match title {
                "undefined variable" => d.with_hint(
                    "available: base_url, host, vars, secrets, endpoints, identities, the for_each keys and earlier captures",
                ),
                _ => d,
            };
            self.diags.push(d);
        }
    }

    fn plan_check(&mut self, opts: &PlanOptions) -> Vec<PlannedTrial> {
        let check = self.check;
        let cat = check.info().category.as_str();
        let base_name = format!("{cat}::{}", check.id());
        let disabled = if check.is_destructive() && !opts.destructive {
            Some("destructive check: enable with --destructive (or `destructive: true` in the profile)".to_owned())
        } else if check.is_intrusive() && !opts.intrusive {
            Some(
                "intrusive check: enable with --intrusive (or `intrusive: true` in the profile)"
                    .to_owned(),
            )
        } else {
            None
        };
        let combos = match self.matrix() {
            Some(c) => c,
            None => return Vec::new(),
        };
        let make = |name: String, label, endpoint, bindings, skip| PlannedTrial {
            name,
            check: Arc::clone(check),
            label,
            endpoint,
            bindings,
            skip,
            disabled: disabled.clone(),
        };
        if combos.is_empty() {
            let keys: Vec<String> = check
                .file
                .for_each
                .as_ref()
                .map(|m| m.value.keys().cloned().collect())
                .unwrap_or_default();
            let reason = format!(
                "not applicable: for_each `{}` is empty for this profile (nothing to test)",
                keys.join("`, `")
            );
            return vec![make(base_name, None, None, Vec::new(), Some(reason))];
        }
        let has_matrix = check.file.for_each.is_some();
        let mut names: HashSet<String> = HashSet::new();
        let mut out = Vec::with_capacity(combos.len());
        for bindings in combos {
            let ctx = context(self.globals, &bindings, &[]);
            let mut skip = None;
            let label = if has_matrix {
                match &check.file.label {
                    Some(l) => self.render_field(l, &ctx, &mut skip, &HashSet::new()),
                    None => Some(default_label(&bindings)),
                }
            } else {
                None
            };
            let endpoint = match &check.file.endpoint {
                Some(e) => self.render_field(e, &ctx, &mut skip, &HashSet::new()),
                None => bindings
                    .iter()
                    .find(|(k, _)| k == "endpoint")
                    .and_then(|(_, v)| v.get_attr("label").ok())
                    .and_then(|v| v.as_str().map(str::to_owned)),
            };
            self.validate_steps(&ctx, &mut skip);
            let label = label.map(|l| l.replace(['\n', '\r'], " "));
            let mut name = match &label {
                Some(l) => format!("{base_name}[{l}]"),
                None => base_name.clone(),
            };
            let mut n = 2;
            while !names.insert(name.clone()) {
                name = format!("{base_name}[{}#{n}]", label.as_deref().unwrap_or(""));
                n += 1;
            }
            out.push(make(name, label, endpoint, bindings, skip));
        }
        out
    }

    /// Evaluates `for_each` into a list of binding sets. `None` when it failed (diagnostics pushed).
    fn matrix(&mut self) -> Option<Vec<Vec<(String, Value)>>> {
        let Some(fe) = &self.check.file.for_each else {
            return Some(vec![Vec::new()]);
        };
        if self.check.file.zip {
            let mut lists = Vec::new();
            for (key, src) in &fe.value {
                let ctx = context(self.globals, &[], &[]);
                lists.push((key.clone(), self.eval_list(key, src, &ctx)?));
            }
            let len = lists.first().map(|(_, l)| l.len()).unwrap_or(0);
            if lists.iter().any(|(_, l)| l.len() != len) {
                let lens: Vec<String> = lists
                    .iter()
                    .map(|(k, l)| format!("{k}: {}", l.len()))
                    .collect();
                self.error(
                    "zip of unequal lists",
                    format!(
                        "`zip: true` needs lists of equal length ({})",
                        lens.join(", ")
                    ),
                    fe,
                );
                return None;
            }
            return Some(
                (0..len)
                    .map(|i| {
                        lists
                            .iter()
                            .map(|(k, l)| (k.clone(), l[i].clone()))
                            .collect()
                    })
                    .collect(),
            );
        }
        let mut combos: Vec<Vec<(String, Value)>> = vec![Vec::new()];
        for (key, src) in &fe.value {
            let mut next = Vec::new();
            for partial in &combos {
                let ctx = context(self.globals, partial, &[]);
                for v in self.eval_list(key, src, &ctx)? {
                    let mut b = partial.clone();
                    b.push((key.clone(), v));
                    next.push(b);
                }
            }
            combos = next;
        }
        Some(combos)
    }

    fn eval_list(
        &mut self,
        key: &str,
        src: &Spanned<serde_json::Value>,
        ctx: &Value,
    ) -> Option<Vec<Value>> {
        match &src.value {
            serde_json::Value::Array(items) => {
                Some(items.iter().map(crate::template::to_value).collect())
            }
            serde_json::Value::String(s) => {
                let Some(expr) = sole_expression(s) else {
                    self.error(
                        "invalid for_each",
                        format!("`{key}` must be a list or a single `{{{{ expression }}}}`"),
                        src,
                    );
                    return None;
                };
                let value = self.env.compile_expression(expr).and_then(|e| e.eval(ctx));
                match value {
                    Ok(v)
                        if v.kind() == minijinja::value::ValueKind::Seq
                            || v.kind() == minijinja::value::ValueKind::Iterable =>
                    {
                        Some(v.try_iter().map(|it| it.collect()).unwrap_or_default())
                    }
                    Ok(v) => {
                        self.error(
                            "invalid for_each",
                            format!("`{key}` must evaluate to a list, got {}", v.kind()),
                            src,
                        );
                        None
                    }
                    Err(e) => {
                        let title = title_for(&e);
                        self.error(title, template::describe(&e), src);
                        None
                    }
                }
            }
            other => {
                self.error(
                    "invalid for_each",
                    format!("`{key}` must be a list, got `{other}`"),
                    src,
                );
                None
            }
        }
    }

    /// Renders a field at plan time. Templates that depend on captures (`runtime`) are only checked
    /// for undefined names; the rest are rendered, with skips and errors recorded.
    fn render_field(
        &mut self,
        s: &Spanned<String>,
        ctx: &Value,
        skip: &mut Option<String>,
        runtime: &HashSet<String>,
    ) -> Option<String> {
        self.check_template(&s.value, s, ctx, skip, runtime)
    }

    fn check_template<T>(
        &mut self,
        src: &str,
        at: &Spanned<T>,
        ctx: &Value,
        skip: &mut Option<String>,
        runtime: &HashSet<String>,
    ) -> Option<String> {
        if !is_template(src) {
            return Some(src.to_owned());
        }
        let tmpl = match self.env.get_template(src) {
            Ok(t) => t,
            Err(e) => {
                self.error("template syntax error", template::describe(&e), at);
                return None;
            }
        };
        let used = Arc::clone(
            self.undeclared
                .entry(src.to_owned())
                .or_insert_with(|| Arc::new(tmpl.undeclared_variables(false))),
        );
        if used.iter().any(|u| runtime.contains(u)) {
            let unknown: BTreeSet<&String> = used
                .iter()
                .filter(|u| {
                    !runtime.contains(*u)
                        && ctx.get_attr(u).map(|v| v.is_undefined()).unwrap_or(true)
                        && !FUNCTIONS.contains(&u.as_str())
                })
                .collect();
            for u in unknown {
                self.error("undefined variable", format!("`{u}` is not defined"), at);
            }
            return None;
        }
        match tmpl.render(ctx) {
            Ok(out) => Some(out),
            Err(e) => {
                if let Some(reason) = template::skip_reason(&e) {
                    skip.get_or_insert(reason);
                } else {
                    self.error(title_for(&e), template::describe(&e), at);
                }
                None
            }
        }
    }

    fn validate_steps(&mut self, ctx: &Value, skip: &mut Option<String>) {
        let check = Arc::clone(self.check);
        let mut runtime: HashSet<String> = HashSet::new();
        for step in &check.file.steps {
            let s = &step.value;
            if let Some(req) = &s.request {
                let r = &req.value;
                for f in [&r.method, &r.path, &r.url, &r.body, &r.raw]
                    .into_iter()
                    .flatten()
                {
                    self.render_field(f, ctx, skip, &runtime);
                }
                for v in r.headers.values().chain(r.query.values()) {
                    self.render_field(v, ctx, skip, &runtime);
                }
                if let Some(j) = &r.json {
                    self.check_json(&j.value, j, ctx, skip, &runtime);
                }
                if let Some(id) = &r.identity
                    && let Some(name) = self.render_field(id, ctx, skip, &runtime)
                    && !self.identities.contains(&name)
                {
                    let (l, c) = line_col(id);
                    let d = Diagnostic::new(
                        "unknown identity",
                        format!("`{name}` is not an identity of the profile"),
                    )
                    .at(&check.path, &check.source, l, c);
                    let d = d.suggest(&name, self.identities.iter().map(String::as_str));
                    let d = if d.hint.is_none() {
                        d.with_hint(format!("identities: {}", self.identities.join(", ")))
                    } else {
                        d
                    };
                    if self.seen.insert((l, c, name.clone())) {
                        self.diags.push(d);
                    }
                }
            }
            // Order inside a step: request, control, capture, expect.
            for a in &s.control {
                self.check_assertion(a, ctx, skip, &runtime);
            }
            runtime.extend(s.capture.keys().cloned());
            for a in &s.expect {
                self.check_assertion(a, ctx, skip, &runtime);
            }
        }
    }

    fn check_json(
        &mut self,
        v: &serde_json::Value,
        at: &Spanned<serde_json::Value>,
        ctx: &Value,
        skip: &mut Option<String>,
        runtime: &HashSet<String>,
    ) {
        match v {
            serde_json::Value::String(s) => {
                self.check_template(s, at, ctx, skip, runtime);
            }
            serde_json::Value::Array(items) => items
                .iter()
                .for_each(|i| self.check_json(i, at, ctx, skip, runtime)),
            serde_json::Value::Object(m) => m
                .values()
                .for_each(|i| self.check_json(i, at, ctx, skip, runtime)),
            _ => {}
        }
    }

    fn check_assertion(
        &mut self,
        a: &Spanned<AssertionKind>,
        ctx: &Value,
        skip: &mut Option<String>,
        runtime: &HashSet<String>,
    ) {
        let p: &Predicate = match &a.value {
            AssertionKind::Any(list) => {
                for inner in list {
                    self.check_assertion(inner, ctx, skip, runtime);
                }
                return;
            }
            AssertionKind::Status(p)
            | AssertionKind::Header(p)
            | AssertionKind::Body(p)
            | AssertionKind::Jsonpath(p)
            | AssertionKind::Duration(p)
            | AssertionKind::Size(p)
            | AssertionKind::Secrets(p)
            | AssertionKind::Keys(p)
            | AssertionKind::Value(p) => p,
        };
        if let Some(of) = &p.of {
            self.check_template(&of.value, of, ctx, skip, runtime);
        }
        for text in [p.path.as_deref(), p.name.as_deref()].into_iter().flatten() {
            self.check_template(text, a, ctx, skip, runtime);
        }
        // Literal patterns were compiled at load time; templated ones are checked once rendered.
        if let Some(m) = p.matches.as_ref().filter(|m| is_template(m))
            && let Some(rendered) = self.check_template(m, a, ctx, skip, runtime)
            && let Err(e) = crate::assert::regex(&rendered)
        {
            self.error(
                "invalid regex",
                e.to_string().lines().last().unwrap_or_default().to_owned(),
                a,
            );
        }
        let values = [&p.equals, &p.contains, &p.lt, &p.gt, &p.lte, &p.gte];
        for v in values
            .into_iter()
            .flatten()
            .chain(p.one_of.iter().flatten())
        {
            if let serde_json::Value::String(s) = v {
                self.check_template(s, a, ctx, skip, runtime);
            }
        }
    }
}

fn title_for(e: &minijinja::Error) -> &'static str {
    match e.kind() {
        minijinja::ErrorKind::UndefinedError => "undefined variable",
        minijinja::ErrorKind::SyntaxError => "template syntax error",
        minijinja::ErrorKind::UnknownFilter
        | minijinja::ErrorKind::UnknownFunction
        | minijinja::ErrorKind::UnknownTest => "unknown template helper",
        _ => "template error",
    }
}

fn default_label(bindings: &[(String, Value)]) -> String {
    bindings
        .iter()
        .map(|(_, v)| match v.get_attr("label") {
            Ok(l) if !l.is_undefined() && !l.is_none() => l.to_string(),
            _ => match v.as_str() {
                Some(s) => s.to_owned(),
                None => v.to_string(),
            },
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{load_check, load_profile_str};

    fn plan_one(check: &str) -> Result<Vec<PlannedTrial>, Diagnostics> {
        let profile = load_profile_str(
            "p.yaml",
            "base_url: http://127.0.0.1:9\nendpoints:\n  - { path: /a, tags: [x] }\n  - { path: \"/b/{id}\", params: { id: 7 }, tags: [x] }\n  - { path: /c }\n",
        )
        .expect("profile");
        let c = Arc::new(load_check("checks/inventory/m.yaml", check).expect("check"));
        let env = crate::template::environment();
        plan(&env, &[c], &profile, &PlanOptions::default()).map(|p| p.trials)
    }

    const HEAD: &str =
        "id: m\ninfo: { name: m, category: inventory, severity: low, tags: [safe] }\n";

    #[test]
    fn product_zip_and_dependent_keys() {
        let names = |ts: Vec<PlannedTrial>| ts.into_iter().map(|t| t.name).collect::<Vec<_>>();
        let steps =
            "steps:\n  - request: { path: /x }\n    expect: [ { status: { equals: 200 } } ]\n";
        let product = format!("{HEAD}for_each:\n  a: [1, 2]\n  b: [p, q]\n{steps}");
        assert_eq!(
            names(plan_one(&product).expect("plan")),
            [
                "inventory::m[1, p]",
                "inventory::m[1, q]",
                "inventory::m[2, p]",
                "inventory::m[2, q]"
            ]
        );
        let zip = format!("{HEAD}for_each:\n  a: [1, 2]\n  b: [p, q]\nzip: true\n{steps}");
        assert_eq!(
            names(plan_one(&zip).expect("plan")),
            ["inventory::m[1, p]", "inventory::m[2, q]"]
        );
        let dependent = format!(
            "{HEAD}for_each:\n  endpoint: \"{{{{ endpoints | with_tag('x') }}}}\"\n  p: \"{{{{ endpoint.params | list }}}}\"\nlabel: \"{{{{ endpoint.label }}}} {{{{ p }}}}\"\n{steps}"
        );
        assert_eq!(
            names(plan_one(&dependent).expect("plan")),
            ["inventory::m[GET /b/{id} id]"]
        );
        let unequal = format!("{HEAD}for_each:\n  a: [1, 2]\n  b: [x]\nzip: true\n{steps}");
        let err = plan_one(&unequal)
            .expect_err("unequal zip is an error")
            .to_string();
        assert!(err.contains("zip of unequal lists"), "{err}");
    }

    #[test]
    fn undefined_variables_are_found_at_plan_time_and_captures_are_known() {
        let bad = format!(
            "{HEAD}steps:\n  - request: {{ path: \"/x/{{{{ nope }}}}\" }}\n    expect: [ {{ status: {{ equals: 200 }} }} ]\n"
        );
        let err = plan_one(&bad).expect_err("error").to_string();
        assert!(err.contains("checks/inventory/m.yaml:4:22"), "{err}");
        assert!(err.contains("`nope` is undefined"), "{err}");
        let ok = format!(
            "{HEAD}steps:\n  - request: {{ path: /x }}\n    capture: {{ id: {{ jsonpath: $.id }} }}\n    expect: [ {{ jsonpath: {{ path: $.id, equals: \"{{{{ id }}}}\" }} }} ]\n  - request: {{ path: \"/y/{{{{ id }}}}\" }}\n    expect: [ {{ status: {{ equals: 200 }} }} ]\n"
        );
        assert_eq!(
            plan_one(&ok)
                .expect("captures are defined for later use")
                .len(),
            1
        );
    }
}
