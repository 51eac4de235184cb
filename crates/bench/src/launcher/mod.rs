//! Launchers: how one run of a cell is started and timed. One file per launcher.
mod embedded;
mod process;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use wasmfaas_engines::{AotCache, Engine, Phases};
use wasmfaas_suite::runner::{self, PreparedRun};
use wasmfaas_suite::{Function, Layout, Size};

pub use embedded::EmbeddedLauncher;
pub use process::ProcessLauncher;

use crate::{BenchError, Environment, LauncherKind};

/// One cell of the matrix: a function at a size in an environment.
#[derive(Debug, Clone, Copy)]
pub struct Cell<'a> {
    /// The function.
    pub function: &'static Function,
    /// The environment.
    pub environment: &'a Environment,
    /// The workload size.
    pub size: Size,
}

impl Cell<'_> {
    /// `function in environment`, for messages.
    pub fn describe(&self) -> String {
        format!("{} in {}", self.function.name, self.environment)
    }

    /// A folder name unique to the cell.
    fn slug(&self) -> String {
        format!(
            "{}--{}",
            self.function.name,
            self.environment.to_string().replace('/', "-")
        )
    }
}

/// What one run measured, before its output is checked.
#[derive(Debug)]
pub struct Measurement {
    /// Wall time of the whole run.
    pub total: Duration,
    /// Phase times, where the launcher sees them.
    pub phases: Option<Phases>,
    /// The function's exit code.
    pub exit_code: i32,
    /// Its standard output.
    pub stdout: Vec<u8>,
    /// The end of its standard error (or the trap message), for failure reports.
    pub stderr_tail: String,
    /// Peak resident set size, KiB.
    pub peak_rss_kib: Option<u64>,
    /// Where it wrote its output files.
    pub output_dir: PathBuf,
    /// Where it read its inputs.
    pub inputs_dir: PathBuf,
}

/// Starts runs of cells. Preparation (finding artifacts, AOT compilation through the cache) is
/// done once per cell by [`Launcher::prepare`], outside any timing.
pub trait Launcher {
    /// Which launcher this is.
    fn kind(&self) -> LauncherKind;
    /// Checks and prepares everything a cell needs, so that a missing build fails before the
    /// first run, not after an hour.
    fn prepare(&mut self, cell: &Cell) -> Result<(), BenchError>;
    /// Runs the cell once (cold) and measures it.
    fn run(&mut self, cell: &Cell) -> Result<Measurement, BenchError>;
}

/// What the launchers share.
#[derive(Debug, Clone)]
pub struct LaunchContext {
    /// The suite on disk.
    pub layout: Layout,
    /// Scratch folder for runs' output files.
    pub work_dir: PathBuf,
    /// The `wasmfaas` executable that `process` runs WebAssembly with (`wasmfaas run`).
    pub wasmfaas_exe: PathBuf,
    /// The AOT cache, for modules whose built artifact is stale.
    pub cache: AotCache,
    /// A process run taking longer is killed and recorded as failed.
    pub run_timeout: Duration,
}

/// The launchers of a bench, created when first needed.
pub struct Launchers {
    context: LaunchContext,
    launchers: HashMap<LauncherKind, Box<dyn Launcher>>,
}

impl Launchers {
    /// Launchers sharing `context`.
    pub fn new(context: LaunchContext) -> Self {
        Self {
            context,
            launchers: HashMap::new(),
        }
    }

    /// The launcher of `kind`.
    pub fn get(&mut self, kind: LauncherKind) -> Result<&mut dyn Launcher, BenchError> {
        if !self.launchers.contains_key(&kind) {
            let launcher: Box<dyn Launcher> = match kind {
                LauncherKind::Embedded => Box::new(EmbeddedLauncher::new(self.context.clone())),
                LauncherKind::Process => Box::new(ProcessLauncher::new(self.context.clone())),
                other => {
                    return Err(BenchError::Selection(format!(
                        "the {} launcher is not part of this build yet",
                        other.as_str()
                    )));
                }
            };
            self.launchers.insert(kind, launcher);
        }
        Ok(self
            .launchers
            .get_mut(&kind)
            .expect("inserted above")
            .as_mut())
    }
}

/// The engine called `name` among `engines` (the launcher's, kept for the whole bench).
fn find_engine<'a>(
    engines: &'a [Box<dyn Engine>],
    name: &str,
) -> Result<&'a dyn Engine, BenchError> {
    engines
        .iter()
        .find(|e| e.name() == name)
        .map(|e| e.as_ref())
        .ok_or_else(|| BenchError::Selection(format!("no engine {name:?} in this build")))
}

/// Prepares `cell` through the suite runner (the same preparation `wasmfaas run` does), with
/// its own output folder under the work folder.
fn prepare_suite_run(
    context: &LaunchContext,
    cell: &Cell,
    engine: &dyn Engine,
) -> Result<(PreparedRun, PathBuf), BenchError> {
    let output_dir = context.work_dir.join(cell.slug());
    std::fs::create_dir_all(&output_dir).map_err(|e| BenchError::io(&output_dir, e))?;
    let prepared = runner::prepare(
        &context.layout,
        cell.function,
        cell.size,
        engine,
        cell.environment.mode,
        &output_dir,
        &context.cache,
    )
    .map_err(|e| BenchError::Prepare {
        cell: cell.describe(),
        problem: e.to_string(),
    })?;
    Ok((prepared, output_dir))
}

/// Empties a run's output folder, so each run starts from nothing and its check sees only what
/// it wrote.
fn clear_dir(dir: &Path) -> Result<(), BenchError> {
    for entry in std::fs::read_dir(dir).map_err(|e| BenchError::io(dir, e))? {
        let path = entry.map_err(|e| BenchError::io(dir, e))?.path();
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|e| BenchError::io(&path, e))?;
    }
    Ok(())
}

/// The last few lines of a process's standard error.
fn tail(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    let lines: Vec<&str> = text.lines().rev().take(3).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
}
