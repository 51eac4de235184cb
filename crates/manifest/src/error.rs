//! A manifest that cannot be used, said with the file, the function and the field.
use std::path::PathBuf;

/// What is wrong with a manifest, where, and what to do.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {}{problem}", file.display(), place(function, field))]
pub struct ManifestError {
    /// The file.
    pub file: PathBuf,
    /// The function, when the problem is in one.
    pub function: Option<String>,
    /// The field, when the problem is in one.
    pub field: Option<&'static str>,
    /// What is wrong and what to do.
    pub problem: String,
}

fn place(function: &Option<String>, field: &Option<&'static str>) -> String {
    match (function, field) {
        (Some(function), Some(field)) => format!("function {function:?}, field `{field}`: "),
        (Some(function), None) => format!("function {function:?}: "),
        (None, Some(field)) => format!("field `{field}`: "),
        (None, None) => String::new(),
    }
}
