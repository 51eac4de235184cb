//! The native engine: a program run as a plain OS process.
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::{
    Engine, EngineError, Invocation, Mode, Outcome, Phases, Program, ProgramKind, StdinMode,
    StdoutMode, Stopped,
};

/// Runs native executables as child processes.
#[derive(Debug, Default, Clone, Copy)]
pub struct NativeEngine;

impl Engine for NativeEngine {
    fn name(&self) -> &'static str {
        "native"
    }

    fn version(&self) -> String {
        std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or_else(|_| "unknown".into(), |v| format!("linux {}", v.trim()))
    }

    fn modes(&self) -> &'static [Mode] {
        &[Mode::Native]
    }

    fn precompile(&self, _wasm: &[u8]) -> Result<Vec<u8>, EngineError> {
        Err(self.unsupported_mode(Mode::Aot))
    }

    fn artifact_fingerprint(&self) -> String {
        "native".into()
    }

    fn artifact_extension(&self) -> &'static str {
        ""
    }

    fn run(
        &self,
        program: &Program,
        mode: Mode,
        invocation: &Invocation,
    ) -> Result<Outcome, EngineError> {
        self.check_mode(mode)?;
        if program.kind != ProgramKind::Elf {
            return Err(EngineError::WrongKind {
                path: program.path.clone(),
                problem: format!(
                    "is {}; the native engine runs native executables (use --engine wasmtime for wasm)",
                    program.kind.describe()
                ),
            });
        }
        let mut command = Command::new(&program.path);
        command
            .arg0(&invocation.program_name)
            .args(&invocation.args)
            .env_clear()
            .envs(invocation.env.iter().map(|(k, v)| (k, v)));
        run_command(command, &program.path, invocation)
    }
}

/// Runs `command` (its program, arguments and environment set) as `invocation` says of its
/// streams and time limit, `path` naming it in errors: what the native engine does with a
/// program, and what runs a container per request through `ctr`.
pub fn run_command(
    mut command: Command,
    path: &Path,
    invocation: &Invocation,
) -> Result<Outcome, EngineError> {
    command
        .stdin(match invocation.stdin {
            StdinMode::Inherit => Stdio::inherit(),
            StdinMode::Bytes(_) => Stdio::piped(),
        })
        .stderr(Stdio::inherit())
        .stdout(match invocation.stdout {
            StdoutMode::Inherit => Stdio::inherit(),
            StdoutMode::Capture { .. } => Stdio::piped(),
        });
    let mut phases = Phases::default();
    let started = Instant::now();
    let mut child = command.spawn().map_err(|source| EngineError::Spawn {
        path: path.to_path_buf(),
        source,
    })?;
    phases.instantiate = started.elapsed();
    let started = Instant::now();
    let spawn_error = |source| EngineError::Spawn {
        path: path.to_path_buf(),
        source,
    };
    // Feed stdin on its own thread: a program that reads little must not block us; a
    // program that exits early closes the pipe, which ends the writer.
    if let (Some(mut pipe), StdinMode::Bytes(bytes)) = (child.stdin.take(), &invocation.stdin) {
        let bytes = bytes.clone();
        std::thread::spawn(move || {
            std::io::Write::write_all(&mut pipe, &bytes).ok();
        });
    }
    // Read stdout on its own thread, so a guest that never exits cannot block the deadline.
    let reader = match (child.stdout.take(), invocation.stdout) {
        (Some(pipe), StdoutMode::Capture { limit }) => Some(std::thread::spawn(move || {
            let mut buffer = Vec::new();
            pipe.take(limit as u64)
                .read_to_end(&mut buffer)
                .map(|_| buffer)
        })),
        _ => None,
    };
    let mut stopped = None;
    let status = match invocation.limits.timeout {
        None => child.wait().map_err(spawn_error)?,
        Some(timeout) => loop {
            if let Some(status) = child.try_wait().map_err(spawn_error)? {
                break status;
            }
            if started.elapsed() >= timeout {
                child.kill().map_err(spawn_error)?;
                stopped = Some(Stopped::Timeout(timeout));
                break child.wait().map_err(spawn_error)?;
            }
            std::thread::sleep(std::time::Duration::from_micros(500));
        },
    };
    phases.execute = started.elapsed();
    let stdout = match reader {
        Some(reader) => Some(
            reader
                .join()
                .map_err(|_| spawn_error(std::io::Error::other("stdout reader failed")))?
                .map_err(spawn_error)?,
        ),
        None => None,
    };
    let exit_code = match stopped {
        Some(stopped) => stopped.exit_code(),
        None => status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
    };
    Ok(Outcome {
        stopped,
        exit_code,
        trap: None,
        stdout,
        phases,
    })
}
