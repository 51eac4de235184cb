//! One module per subcommand.
pub mod bench;
pub mod build;
pub mod environments;
pub mod images;
pub mod report;
pub mod run;
pub mod serve;

use std::path::PathBuf;

use anyhow::{Context, bail};
use wasmfaas_suite::Layout;

/// Parses a duration argument (`30s`, `500ms`, `10m`).
pub fn parse_duration(spec: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(spec)
        .map_err(|e| format!("bad duration {spec:?}: {e}; e.g. 30s, 500ms, 10m"))
}

/// Options every suite command shares: where the project is.
#[derive(Debug, clap::Args)]
pub struct ProjectArgs {
    /// The wasmfaas checkout (holds functions/ and artifacts/) [default: the one this binary was built from]
    #[arg(long, env = "WASMFAAS_HOME", global = true)]
    pub project: Option<PathBuf>,
}

impl ProjectArgs {
    /// The suite layout of the project.
    pub fn layout(&self) -> Layout {
        Layout::in_project(
            self.project
                .clone()
                .unwrap_or_else(Layout::default_project_root),
        )
    }
}

/// Says one line of what a command is doing (e.g. adding a Rust target) on stderr.
pub fn notice(line: &str) {
    eprintln!("wasmfaas: {line}");
}

/// The suite functions matching any of `patterns` (globs such as `matmul` or `n-*`), in the
/// order the patterns match them; the paper's 13 when there are none.
pub fn select_functions(patterns: &[String]) -> anyhow::Result<Vec<String>> {
    let suite = wasmfaas_suite::functions();
    if patterns.is_empty() {
        return Ok(suite
            .iter()
            .filter(|f| f.in_paper)
            .map(|f| f.name.to_owned())
            .collect());
    }
    let mut selected = Vec::new();
    for pattern in patterns {
        let glob = glob::Pattern::new(pattern)
            .with_context(|| format!("bad function pattern {pattern:?}"))?;
        let matches: Vec<&str> = suite
            .iter()
            .map(|f| f.name)
            .filter(|name| glob.matches(name))
            .collect();
        if matches.is_empty() {
            // Same message as `wasmfaas run` gives for an unknown name.
            bail!(
                "{}",
                wasmfaas_suite::find(pattern).err().unwrap_or_default()
            );
        }
        for name in matches {
            if !selected.iter().any(|s| s == name) {
                selected.push(name.to_owned());
            }
        }
    }
    Ok(selected)
}
