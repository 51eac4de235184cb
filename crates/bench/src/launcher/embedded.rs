//! `embedded`: the run happens inside the harness, through wasmfaas-engines, phases timed.
//!
//! Each engine is created once per harness process (as a serverless host would keep it); every
//! run loads the module or artifact again and gets a fresh store and WASI context.
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use wasmfaas_engines::Engine;
use wasmfaas_suite::runner::PreparedRun;

use super::{
    Cell, LaunchContext, Launcher, Measurement, clear_dir, find_engine, prepare_suite_run,
};
use crate::{BenchError, LauncherKind};

/// Runs cells in the harness process.
pub struct EmbeddedLauncher {
    context: LaunchContext,
    engines: Vec<Box<dyn Engine>>,
    prepared: HashMap<String, (PreparedRun, PathBuf)>,
}

impl EmbeddedLauncher {
    /// An embedded launcher with every engine of this build.
    pub fn new(context: LaunchContext) -> Self {
        Self {
            context,
            engines: wasmfaas_engines::registry(),
            prepared: HashMap::new(),
        }
    }

    fn engine(&self, name: &str) -> Result<&dyn Engine, BenchError> {
        find_engine(&self.engines, name)
    }
}

impl Launcher for EmbeddedLauncher {
    fn kind(&self) -> LauncherKind {
        LauncherKind::Embedded
    }

    fn prepare(&mut self, cell: &Cell) -> Result<(), BenchError> {
        let key = cell.slug();
        if !self.prepared.contains_key(&key) {
            let engine = self.engine(&cell.environment.engine)?;
            let prepared = prepare_suite_run(&self.context, cell, engine)?;
            self.prepared.insert(key, prepared);
        }
        Ok(())
    }

    fn run(&mut self, cell: &Cell) -> Result<Measurement, BenchError> {
        self.prepare(cell)?;
        let (prepared, output_dir) = &self.prepared[&cell.slug()];
        let engine = self.engine(&cell.environment.engine)?;
        clear_dir(output_dir)?;
        let rss = PeakRss::reset();
        let started = Instant::now();
        let outcome = engine.run(
            &prepared.program,
            cell.environment.mode,
            &prepared.invocation,
        );
        let total = started.elapsed();
        let peak_rss_kib = rss.read();
        let outcome = outcome.map_err(|e| BenchError::Run {
            cell: cell.describe(),
            problem: e.to_string(),
        })?;
        Ok(Measurement {
            total,
            phases: Some(outcome.phases),
            lifecycle: None,
            exit_code: outcome.exit_code,
            aot_cache_hit: None,
            stdout: outcome.stdout.unwrap_or_default(),
            stderr_tail: outcome.trap.unwrap_or_default(),
            peak_rss_kib,
            output_dir: output_dir.clone(),
            inputs_dir: prepared.inputs_dir.clone(),
        })
    }
}

/// The harness's peak RSS during one run: the kernel's high-water mark, reset before the run
/// (`/proc/self/clear_refs` with 5). It includes the harness itself; where the kernel does not
/// allow the reset, no figure is reported rather than a wrong one.
struct PeakRss {
    reset: bool,
}

impl PeakRss {
    fn reset() -> Self {
        Self {
            reset: std::fs::write("/proc/self/clear_refs", "5").is_ok(),
        }
    }

    fn read(&self) -> Option<u64> {
        if !self.reset {
            return None;
        }
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }
}
