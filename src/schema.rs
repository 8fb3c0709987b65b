//! JSON Schemas of the check, profile and suite formats, for editors (yaml-language-server).

/// The JSON Schema of `kind` (`check`, `profile` or `suite`), pretty-printed.
pub fn schema(kind: &str) -> String {
    let s = match kind {
        "profile" => schemars::schema_for!(crate::model::ProfileFile),
        "suite" => schemars::schema_for!(crate::model::Suite),
        _ => schemars::schema_for!(crate::model::CheckFile),
    };
    serde_json::to_string_pretty(&s).unwrap_or_default()
}
