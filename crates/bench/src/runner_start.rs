//! The start of the runners that `process` runs WebAssembly with (each engine's lean runner,
//! `wasmfaas-run-<engine>`, or `wasmfaas run` for an engine without one), measured once per run
//! set: every `process` WebAssembly figure includes its runner's start, and a reader who knows it
//! can subtract it to see the engine's own cold start.
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

/// A runner's own start: its `--version`, which loads and relocates the binary and runs no
/// engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunnerStart {
    /// The engines whose `process` runs start this runner (empty in run sets from before there
    /// were lean runners, which ran every engine as `wasmfaas run`).
    #[serde(default)]
    pub engines: Vec<String>,
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
/// /dev/null), for the runs of `engines`.
pub fn measure(exe: &Path, engines: Vec<String>) -> Result<RunnerStart, BenchError> {
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
    let name = exe.file_name().map_or_else(
        || exe.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok(RunnerStart {
        engines,
        command: format!("{name} --version"),
        binary_bytes: std::fs::metadata(exe).map_or(0, |m| m.len()),
        samples_ns,
    })
}

/// Writes them into the run set `dir`.
pub fn write(dir: &Path, starts: &[RunnerStart]) -> Result<(), BenchError> {
    let path = dir.join(RUNNER_START_FILE);
    let json = serde_json::to_string_pretty(starts).expect("plain data serialises");
    std::fs::write(&path, json).map_err(|e| BenchError::io(&path, e))
}

/// Reads them from the run set `dir`: none when the bench measured none (no `process`
/// WebAssembly runs); a run set from before the lean runners holds one object, not a list.
pub fn read(dir: &Path) -> Result<Vec<RunnerStart>, BenchError> {
    let path = dir.join(RUNNER_START_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(BenchError::io(&path, e)),
    };
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Recorded {
        Each(Vec<RunnerStart>),
        One(RunnerStart),
    }
    match serde_json::from_str(&text) {
        Ok(Recorded::Each(starts)) => Ok(starts),
        Ok(Recorded::One(start)) => Ok(vec![start]),
        Err(e) => Err(BenchError::RunSet {
            path,
            problem: format!("is not a runner start record: {e}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_measured_start_is_written_read_back_and_summarised() {
        let dir = tempfile::tempdir().unwrap();
        // Any executable that takes --version serves: this machine's `true` ignores it.
        let start = measure(Path::new("/bin/true"), vec!["wasmi".into()]).unwrap();
        assert_eq!(start.samples_ns.len(), RUNS as usize);
        assert!(start.min() > 0.0 && start.min() <= start.median());
        assert_eq!(start.command, "true --version");
        write(dir.path(), std::slice::from_ref(&start)).unwrap();
        assert_eq!(read(dir.path()).unwrap(), std::slice::from_ref(&start));
        assert_eq!(read(&dir.path().join("elsewhere")).unwrap(), []);
        // A run set of the release before the lean runners: one record, of `wasmfaas run`.
        let old = r#"{"command":"wasmfaas --version","binary_bytes":1,"samples_ns":[5]}"#;
        std::fs::write(dir.path().join(RUNNER_START_FILE), old).unwrap();
        let read_back = read(dir.path()).unwrap();
        assert_eq!(read_back.len(), 1);
        assert!(read_back[0].engines.is_empty());
        std::fs::write(dir.path().join(RUNNER_START_FILE), "[1]").unwrap();
        let error = read(dir.path()).unwrap_err().to_string();
        assert!(error.contains("is not a runner start record"), "{error}");
    }
}
