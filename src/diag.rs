//! Located diagnostics: every error a user can cause in a check, suite or profile file.
//!
//! A diagnostic has three parts (a short title, the precise fact, an optional hint such as a
//! did-you-mean) and a position `file:line:col` with the offending source line. One renderer serves
//! the terminal and plain-text outputs, so snapshots, JUnit and the CLI all read the same.

use std::fmt;

/// A position in a source file (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePos {
    /// Display path of the file, e.g. `checks/authentication/no-token-accepted.yaml`.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

impl fmt::Display for SourcePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// One user-facing error with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Short title, lowercase: "unknown field".
    pub title: String,
    /// The precise fact: "found `stauts`".
    pub detail: String,
    /// Optional suggestion: "did you mean `status`?".
    pub hint: Option<String>,
    /// Where it happened, when known.
    pub pos: Option<SourcePos>,
    /// The source line at `pos`, for the snippet.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// A diagnostic without position (for example: a missing file).
    pub fn new(title: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            title: title.into(),
            detail: detail.into(),
            hint: None,
            pos: None,
            source_line: None,
        }
    }

    /// Attaches a position and takes the offending line from `source`.
    pub fn at(mut self, file: &str, source: &str, line: usize, col: usize) -> Self {
        let line = line.max(1);
        self.source_line = source.lines().nth(line - 1).map(str::to_owned);
        self.pos = Some(SourcePos {
            file: file.to_owned(),
            line,
            col: col.max(1),
        });
        self
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a did-you-mean hint when a candidate is close enough to `found`.
    pub fn suggest<'a>(self, found: &str, candidates: impl IntoIterator<Item = &'a str>) -> Self {
        match did_you_mean(found, candidates) {
            Some(best) => self.with_hint(format!("did you mean `{best}`?")),
            None => self,
        }
    }
}

/// The closest candidate to `found` by Jaro-Winkler similarity, when it is plausibly a typo.
pub fn did_you_mean<'a>(
    found: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(found, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.title)?;
        match (&self.pos, &self.source_line) {
            (Some(pos), Some(src)) => {
                let num = pos.line.to_string();
                let pad = " ".repeat(num.len());
                writeln!(f, "{pad}--> {pos}")?;
                writeln!(f, "{pad} |")?;
                writeln!(f, "{num} | {src}")?;
                // Columns count characters; tabs are kept so the caret lines up under them.
                let lead: String = src
                    .chars()
                    .take(pos.col.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                writeln!(f, "{pad} | {lead}^ {}", self.detail)?;
            }
            (Some(pos), None) => {
                writeln!(f, " --> {pos}")?;
                writeln!(f, "  = {}", self.detail)?;
            }
            _ => writeln!(f, "  = {}", self.detail)?,
        }
        if let Some(hint) = &self.hint {
            writeln!(f, "  = help: {hint}")?;
        }
        Ok(())
    }
}

/// A non-empty list of diagnostics: what loading or validation returns when anything is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// True when nothing was reported.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds one diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// Moves all of `other` into `self`.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// `Ok(value)` when empty, otherwise `Err(self)`.
    pub fn into_result<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        let n = self.0.len();
        write!(
            f,
            "\n{n} error{} found; nothing was run",
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_snippet_with_caret_and_hint() {
        let src = "id: x\ninfo:\n  stauts: 1\n";
        let d = Diagnostic::new("unknown field", "found `stauts`")
            .at("checks/a/x.yaml", src, 3, 3)
            .suggest("stauts", ["status", "name"]);
        let text = d.to_string();
        assert_eq!(
            text,
            "error: unknown field\n --> checks/a/x.yaml:3:3\n  |\n3 |   stauts: 1\n  |   ^ found `stauts`\n  = help: did you mean `status`?\n"
        );
    }

    #[test]
    fn no_suggestion_for_distant_names() {
        assert_eq!(did_you_mean("zzz", ["status", "header"]), None);
        assert_eq!(
            did_you_mean("jsonpth", ["status", "jsonpath"]),
            Some("jsonpath")
        );
    }
}
