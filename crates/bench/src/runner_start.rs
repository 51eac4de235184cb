//! The start of the runner that `process` runs WebAssembly with (`wasmfaas run`), measured once
//! per run set: every `process` WebAssembly figure includes it, and a reader who knows it can
//! subtract it to see the engine's own cold start.
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::BenchError;

/// The file in a run set that holds it.
pub const RUNNER_START_FILE: &str = "runner-start.json";

/// Unmeasured starts first: the binary's pages come into the page cache.
const WARMUP: u32 = 3;
/// Measured starts.
const RUNS: u32 = 20;

/// The runner's own start: `wasmfaas --version`, which loads and relocates the whole binary and
/// runs no engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunnerStart {
    /// The command timed.
    pub command: String,
    /// The runner's size in bytes.
    pub binary_bytes: u64,
    /// Each measured start, in nanoseconds.
    pub samples_ns: Vec<u64>,
}

impl RunnerStart {
    /// The median start, in seconds.
    pub fn median(&self) -> f64 {
        let seconds: Vec<f64> = self.samples_ns.iter().map(|&ns| ns as f64 / 1e9).collect();
        wasmfaas_stats::summarize(&seconds).map_or(0.0, |s| s.median)
    }

    /// The fastest start, in seconds.
    pub fn min(&self) -> f64 {
        self.samples_ns.iter().copied().min().unwrap_or(0) as f64 / 1e9
    }
}

/// Times `exe --version`, as the `process` launcher starts it (environment cleared, output to
/// /dev/null).
pub fn measure(exe: &Path) -> Result<RunnerStart, BenchError> {
    let fail = |problem: String| BenchError::Run {
        cell: format!("{} --version", exe.display()),
        problem,
    };
    let mut samples_ns = Vec::new();
    for run in 0..WARMUP + RUNS {
        let started = Instant::now();
        let status = Command::new(exe)
            .arg("--version")
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| fail(format!("cannot start it: {e}")))?;
        let elapsed = started.elapsed();
        if !status.success() {
            return Err(fail(format!("it exited with {status}")));
        }
        if run >= WARMUP {
            samples_ns.push(elapsed.as_nanos() as u64);
        }
    }
    Ok(RunnerStart {
        command: "wasmfaas --version".into(),
        binary_bytes: std::fs::metadata(exe).map_or(0, |m| m.len()),
        samples_ns,
    })
}

/// Writes it into the run set `dir`.
pub fn write(dir: &Path, start: &RunnerStart) -> Result<(), BenchError> {
    let path = dir.join(RUNNER_START_FILE);
    let json = serde_json::to_string_pretty(start).expect("plain data serialises");
    std::fs::write(&path, json).map_err(|e| BenchError::io(&path, e))
}

/// Reads it from the run set `dir`, when the bench measured it.
pub fn read(dir: &Path) -> Result<Option<RunnerStart>, BenchError> {
    let path = dir.join(RUNNER_START_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(BenchError::io(&path, e)),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| BenchError::RunSet {
            path,
            problem: format!("is not a runner start record: {e}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_measured_start_is_written_read_back_and_summarised() {
        let dir = tempfile::tempdir().unwrap();
        // Any executable that takes --version serves: this machine's `true` ignores it.
        let start = measure(Path::new("/bin/true")).unwrap();
        assert_eq!(start.samples_ns.len(), RUNS as usize);
        assert!(start.min() > 0.0 && start.min() <= start.median());
        write(dir.path(), &start).unwrap();
        assert_eq!(read(dir.path()).unwrap(), Some(start));
        assert_eq!(read(&dir.path().join("elsewhere")).unwrap(), None);
    }
}
