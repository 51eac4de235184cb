//! `process`: a fresh OS process per run. Native code runs as the binary itself; WebAssembly as
//! the engine's lean runner, `wasmfaas-run-E --mode M <module or artifact>`, which links that
//! engine alone (`wasmfaas run --engine E` where an engine has none), as a user would.
//!
//! The run's stdout and stderr go to files, not pipes: no reader threads run beside the child,
//! so the harness adds as little as possible to what it measures (hyperfine sends output to
//! /dev/null for the same reason). The child is reaped with `wait4`, which also gives its peak
//! RSS.
use std::collections::HashMap;
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

use wasmfaas_engines::{Engine, Mode};

use super::watchdog::Watchdog;
use super::{
    Cell, LaunchContext, Launcher, Measurement, RunFiles, clear_dir, find_engine, measurement,
    prepare_suite_run,
};
use crate::{BenchError, LauncherKind};

/// A prepared command for one cell.
struct Prepared {
    program: PathBuf,
    arg0: String,
    args: Vec<String>,
    /// The child's whole environment (nothing is inherited).
    env: Vec<(String, String)>,
    /// A run taking longer is killed: the bench's limit, or a user function's own.
    timeout: std::time::Duration,
    output_dir: PathBuf,
    inputs_dir: PathBuf,
    stdout_path: PathBuf,
    stderr_path: PathBuf,
}

/// Runs each run as a fresh process.
pub struct ProcessLauncher {
    context: LaunchContext,
    engines: Vec<Box<dyn Engine>>,
    prepared: HashMap<String, Prepared>,
    watchdog: Watchdog,
}

impl ProcessLauncher {
    /// A process launcher.
    pub fn new(context: LaunchContext) -> Self {
        Self {
            context,
            engines: wasmfaas_engines::registry(),
            prepared: HashMap::new(),
            watchdog: Watchdog::start(),
        }
    }
}

impl Launcher for ProcessLauncher {
    fn kind(&self) -> LauncherKind {
        LauncherKind::Process
    }

    fn prepare(&mut self, cell: &Cell) -> Result<(), BenchError> {
        let key = cell.slug();
        if self.prepared.contains_key(&key) {
            return Ok(());
        }
        let engine = find_engine(&self.engines, &cell.environment.engine)?;
        let (run, output_dir) = prepare_suite_run(&self.context, cell, engine)?;
        let streams = self.context.work_dir.join(format!("{key}.streams"));
        std::fs::create_dir_all(&streams).map_err(|e| BenchError::io(&streams, e))?;
        let (program, arg0, args, env) = if cell.environment.mode == Mode::Native {
            (
                run.program.path.clone(),
                cell.function.name.to_owned(),
                run.invocation.args.clone(),
                run.invocation.env.clone(),
            )
        } else {
            let args = wasmfaas_runner::command_line(
                cell.environment.mode,
                &run.program.path,
                &run.invocation,
            );
            match self.context.host.runners.get(&cell.environment.engine) {
                Some(runner) => (runner.clone(), file_name(runner), args, Vec::new()),
                // No lean runner for this engine (WasmEdge, or none built): the whole wasmfaas,
                // which the report's method section then names.
                None => {
                    let mut full = vec![
                        "run".to_owned(),
                        "--engine".to_owned(),
                        cell.environment.engine.clone(),
                    ];
                    full.extend(args);
                    (
                        self.context.wasmfaas_exe.clone(),
                        "wasmfaas".to_owned(),
                        full,
                        Vec::new(),
                    )
                }
            }
        };
        if !program.is_file() {
            return Err(BenchError::Prepare {
                cell: cell.describe(),
                problem: format!("{} is missing", program.display()),
            });
        }
        self.prepared.insert(
            key,
            Prepared {
                program,
                arg0,
                args,
                env,
                timeout: self.context.run_timeout_of(cell),
                output_dir,
                inputs_dir: run.inputs_dir,
                stdout_path: streams.join("stdout"),
                stderr_path: streams.join("stderr"),
            },
        );
        Ok(())
    }

    fn run(&mut self, cell: &Cell) -> Result<Measurement, BenchError> {
        self.prepare(cell)?;
        let prepared = &self.prepared[&cell.slug()];
        clear_dir(&prepared.output_dir)?;
        let create = |path: &PathBuf| File::create(path).map_err(|e| BenchError::io(path, e));
        let stdout = create(&prepared.stdout_path)?;
        let stderr = create(&prepared.stderr_path)?;
        let mut command = Command::new(&prepared.program);
        command
            .arg0(&prepared.arg0)
            .args(&prepared.args)
            .env_clear()
            .envs(prepared.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        let run_error = |problem: String| BenchError::Run {
            cell: cell.describe(),
            problem,
        };
        let started = Instant::now();
        let child = command
            .spawn()
            .map_err(|e| run_error(format!("cannot start {}: {e}", prepared.program.display())))?;
        let reaped = self
            .watchdog
            .wait_child(child, started, started + prepared.timeout);
        let (total, timed_out) = (reaped.total, reaped.timed_out);
        let (status, rusage) = reaped
            .status
            .map_err(|e| run_error(format!("waiting for it: {e}")))?;
        let files = RunFiles {
            stdout: &prepared.stdout_path,
            stderr: &prepared.stderr_path,
            output_dir: &prepared.output_dir,
            inputs_dir: &prepared.inputs_dir,
        };
        // Linux reports ru_maxrss in KiB.
        let peak_rss_kib = Some(rusage.ru_maxrss.max(0) as u64);
        measurement(
            prepared.timeout,
            files,
            total,
            status,
            peak_rss_kib,
            timed_out,
        )
    }
}

/// The file name of `path`, the runner's argv[0].
fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}
