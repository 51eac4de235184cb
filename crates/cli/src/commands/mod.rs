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

pub use wasmfaas_runner::parse_duration;

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

/// The functions of `catalog` matching any of `patterns` (globs such as `matmul` or `n-*`,
/// over the suite's and the manifest's names), in the order the patterns match them. Without
/// patterns: the manifest's functions when there is a manifest, else the paper's 13.
pub fn select_functions(
    patterns: &[String],
    catalog: &wasmfaas_suite::Catalog,
) -> anyhow::Result<Vec<String>> {
    if patterns.is_empty() {
        if catalog.manifest().is_some() {
            return Ok(catalog.user().iter().map(|f| f.name.to_owned()).collect());
        }
        return Ok(wasmfaas_suite::functions()
            .iter()
            .filter(|f| f.in_paper)
            .map(|f| f.name.to_owned())
            .collect());
    }
    let all = catalog.all();
    let mut selected = Vec::new();
    for pattern in patterns {
        let glob = glob::Pattern::new(pattern)
            .with_context(|| format!("bad function pattern {pattern:?}"))?;
        let matches: Vec<&str> = all
            .iter()
            .map(|f| f.name)
            .filter(|name| glob.matches(name))
            .collect();
        if matches.is_empty() {
            // Same message as `wasmfaas run` gives for an unknown name.
            bail!("{}", catalog.find(pattern).err().unwrap_or_default());
        }
        for name in matches {
            if !selected.iter().any(|s| s == name) {
                selected.push(name.to_owned());
            }
        }
    }
    Ok(selected)
}

/// The option of the commands that take users' functions.
#[derive(Debug, Clone, clap::Args)]
pub struct ManifestArgs {
    /// A function manifest (TOML) declaring your own functions beside the suite's; its build
    /// commands run first (see the README's "Your own functions")
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
}

impl ManifestArgs {
    /// The suite's functions and the manifest's, its build commands run.
    pub fn catalog(&self) -> anyhow::Result<wasmfaas_suite::Catalog> {
        match &self.manifest {
            Some(file) => Ok(wasmfaas_suite::Catalog::load(file)?),
            None => Ok(wasmfaas_suite::Catalog::suite()),
        }
    }
}
