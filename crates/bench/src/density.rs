//! Density: containers started side by side through containerd, as a node starts a burst of
//! pods. Per container environment and concurrency K: how many tasks per second K at a time
//! get through, and what the shims and their containers hold in memory while they run.
//!
//! Memory is the proportional set size (PSS, `/proc/<pid>/smaps_rollup`: shared pages split
//! among the processes sharing them, so a sum over processes is the memory they take), of the
//! shims serving the daemon's containers and of every process under them, sampled every
//! [`SAMPLE_EVERY`]; the round keeps the sample where the two together were largest.
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use wasmfaas_suite::{Function, Size};

use crate::launcher::{Cell, ContainerdLauncher, Launcher, Spawned};
use crate::{BenchContext, BenchError, Environment, LauncherKind, RunSet};

/// The run set's file of density rounds, one JSON object a line, appended as each is measured.
pub const DENSITY_FILE: &str = "density.jsonl";
/// How often the memory of the shims and containers is read during a round.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(20);

/// What to measure: each concurrency, with this many containers in each round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DensityPlan {
    /// The K of each round: how many containers run at once.
    pub concurrencies: Vec<usize>,
    /// How many containers each round starts in all.
    pub tasks: usize,
}

/// The memory of a daemon's shims and of what runs under them, at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemorySample {
    /// Shim processes serving the daemon.
    pub shims: usize,
    /// Their PSS together, KiB.
    pub shim_pss_kib: u64,
    /// Processes under the shims: containers' init processes, runc while it creates one.
    pub container_processes: usize,
    /// Their PSS together, KiB.
    pub container_pss_kib: u64,
}

impl MemorySample {
    fn total_kib(&self) -> u64 {
        self.shim_pss_kib + self.container_pss_kib
    }
}

/// One round: `tasks` containers of a function in an environment, `concurrency` at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DensityRound {
    /// The function.
    pub function: String,
    /// The environment (`containerd/…`, `containerd-shim/…`).
    pub environment: String,
    /// How many containers ran at once.
    pub concurrency: usize,
    /// How many containers the round started, each run to its end and its output checked.
    pub tasks: usize,
    /// From the first `ctr run` started to the last one ended.
    pub seconds: f64,
    /// `tasks / seconds`.
    pub tasks_per_second: f64,
    /// The memory sample where shims and containers together held the most.
    pub peak: MemorySample,
    /// How many memory samples the round took.
    pub memory_samples: usize,
}

/// The rounds of the run set in `dir` (none when it has no density file).
pub fn read_rounds(dir: &Path) -> Result<Vec<DensityRound>, BenchError> {
    let path = dir.join(DENSITY_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(BenchError::io(&path, e)),
    };
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(number, line)| {
            serde_json::from_str(line).map_err(|e| BenchError::RunSet {
                path: path.clone(),
                problem: format!("line {} is not a density round: {e}", number + 1),
            })
        })
        .collect()
}

fn append_round(dir: &Path, round: &DensityRound) -> Result<(), BenchError> {
    let path = dir.join(DENSITY_FILE);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| BenchError::io(&path, e))?;
    let line = serde_json::to_string(round).expect("a round serialises");
    writeln!(file, "{line}").map_err(|e| BenchError::io(&path, e))
}

/// Whether a function writes output files: its containers would share one output folder, so
/// they cannot run side by side.
fn writes_output(function: &Function, size: Size) -> bool {
    match function.user {
        Some(user) => user.decl.output,
        None => function
            .arg_templates(size)
            .iter()
            .any(|a| a.contains("{output}")),
    }
}

/// The environments of `environments` that density runs: those through containerd, or an
/// error saying there are none.
pub fn containerd_environments(
    environments: &[Environment],
) -> Result<Vec<&Environment>, BenchError> {
    let through_containerd: Vec<&Environment> = environments
        .iter()
        .filter(|e| {
            matches!(
                e.launcher,
                LauncherKind::Containerd | LauncherKind::ContainerdShim
            )
        })
        .collect();
    if through_containerd.is_empty() {
        return Err(BenchError::Selection(
            "--density starts containers through containerd, and the plan has no containerd/* or containerd-shim/* environment: add one with --environments".into(),
        ));
    }
    Ok(through_containerd)
}

/// Runs `plan` on the run set's functions in its containerd environments, appending each
/// round to the run set as it is measured; `progress` hears one line per round and what is
/// left out.
pub fn run(
    runset: &RunSet,
    context: &BenchContext,
    plan: &DensityPlan,
    mut progress: impl FnMut(&str),
) -> Result<Vec<DensityRound>, BenchError> {
    let spec = &runset.meta.plan;
    let environments = containerd_environments(&spec.environments)?;
    let mut functions = Vec::new();
    for name in &spec.functions {
        let function = context.catalog.find(name).map_err(BenchError::Selection)?;
        if writes_output(function, spec.size) {
            progress(&format!(
                "density leaves out {name}: it writes output files, which containers side by side would share"
            ));
        } else {
            functions.push(function);
        }
    }
    let mut launcher = ContainerdLauncher::new(context.launch_context(runset))?;
    let streams = runset.work_dir().join("density");
    std::fs::create_dir_all(&streams).map_err(|e| BenchError::io(&streams, e))?;
    let mut rounds = Vec::new();
    for function in functions {
        for environment in &environments {
            let cell = Cell {
                function,
                environment,
                size: spec.size,
            };
            launcher.prepare(&cell)?;
            for &concurrency in &plan.concurrencies {
                let round = measure(&mut launcher, &cell, concurrency, plan, &streams)?;
                append_round(&runset.dir, &round)?;
                progress(&format!(
                    "density {} in {} at K={concurrency}: {:.1} tasks/s; at the peak {} shims {:.1} MiB, {} processes under them {:.1} MiB",
                    round.function,
                    round.environment,
                    round.tasks_per_second,
                    round.peak.shims,
                    mib(round.peak.shim_pss_kib),
                    round.peak.container_processes,
                    mib(round.peak.container_pss_kib),
                ));
                rounds.push(round);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&streams);
    Ok(rounds)
}

/// KiB as MiB.
pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// One round: `plan.tasks` containers of `cell`, `concurrency` at a time, every one checked.
fn measure(
    launcher: &mut ContainerdLauncher,
    cell: &Cell,
    concurrency: usize,
    plan: &DensityPlan,
    streams: &Path,
) -> Result<DensityRound, BenchError> {
    // Each container's deadline is a cold run's: the bench's, or a user function's own.
    let timeout = launcher.run_timeout_of(cell);
    let sampler = Sampler::start(launcher.address().to_path_buf());
    let mut running: Vec<(Spawned, Instant)> = Vec::new();
    let mut finished: Vec<(Spawned, std::process::ExitStatus)> = Vec::new();
    let started = Instant::now();
    let mut failure = None;
    while failure.is_none() && (finished.len() + running.len() < plan.tasks || !running.is_empty())
    {
        while running.len() < concurrency.max(1) && finished.len() + running.len() < plan.tasks {
            match launcher.spawn(cell, streams) {
                Ok(spawned) => running.push((spawned, Instant::now())),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        let mut index = 0;
        while index < running.len() {
            match running[index].0.child.try_wait() {
                Ok(Some(status)) => finished.push((running.swap_remove(index).0, status)),
                Ok(None) if running[index].1.elapsed() > timeout => {
                    failure = Some(BenchError::Run {
                        cell: cell.describe(),
                        problem: format!(
                            "container {} of a density round took over {timeout:?}",
                            running[index].0.id
                        ),
                    });
                    break;
                }
                Ok(None) => index += 1,
                Err(e) => {
                    failure = Some(BenchError::Run {
                        cell: cell.describe(),
                        problem: format!("waiting for ctr: {e}"),
                    });
                    break;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let elapsed = started.elapsed();
    let (peak, memory_samples) = sampler.stop();
    for (mut spawned, _) in running {
        // SAFETY: sending a signal has no memory-safety preconditions; the group is ctr's own.
        unsafe { libc::kill(-(spawned.child.id() as libc::pid_t), libc::SIGKILL) };
        let _ = spawned.child.wait();
        launcher.remove(&spawned.id);
    }
    if let Some(failure) = failure {
        return Err(failure);
    }
    for (spawned, status) in &finished {
        let read = |path: &PathBuf| std::fs::read(path).map_err(|e| BenchError::io(path, e));
        let (stdout, stderr) = (read(&spawned.stdout)?, read(&spawned.stderr)?);
        let failed = |problem: String| BenchError::Run {
            cell: cell.describe(),
            problem: format!(
                "container {} of a density round {problem}: {}",
                spawned.id,
                String::from_utf8_lossy(&stderr).trim()
            ),
        };
        if !status.success() {
            return Err(failed(format!("ended with {status}")));
        }
        wasmfaas_suite::check(
            cell.function,
            cell.size,
            &stdout,
            &spawned.output_dir,
            &spawned.inputs_dir,
        )
        .map_err(|e| failed(format!("failed its check ({e})")))?;
        let _ = std::fs::remove_file(&spawned.stdout);
        let _ = std::fs::remove_file(&spawned.stderr);
    }
    let seconds = elapsed.as_secs_f64();
    Ok(DensityRound {
        function: cell.function.name.to_owned(),
        environment: cell.environment.to_string(),
        concurrency,
        tasks: finished.len(),
        seconds,
        tasks_per_second: finished.len() as f64 / seconds,
        peak,
        memory_samples,
    })
}

/// Reads the memory of a daemon's shims and their processes every [`SAMPLE_EVERY`] on a
/// thread of its own, keeping the largest sample.
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<(MemorySample, usize)>,
}

impl Sampler {
    fn start(address: PathBuf) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let (mut peak, mut samples) = (MemorySample::default(), 0);
            loop {
                let sample = memory_under_shims(&address);
                samples += 1;
                if sample.total_kib() > peak.total_kib() {
                    peak = sample;
                }
                if stopped.load(Ordering::Relaxed) {
                    return (peak, samples);
                }
                std::thread::sleep(SAMPLE_EVERY);
            }
        });
        Sampler { stop, thread }
    }

    /// Stops sampling: the largest sample and how many were taken.
    fn stop(self) -> (MemorySample, usize) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// The memory of the shims serving the daemon at `address` and of every process under them.
/// One walk of `/proc`, every [`SAMPLE_EVERY`]: what it costs is taken from what is measured.
fn memory_under_shims(address: &Path) -> MemorySample {
    let mut shims = Vec::new();
    let mut children: HashMap<libc::pid_t, Vec<libc::pid_t>> = HashMap::new();
    for process in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = process.file_name().to_string_lossy().parse::<libc::pid_t>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(process.path().join("stat")) else {
            continue;
        };
        let Some((name, parent)) = name_and_parent_in_stat(&stat) else {
            continue;
        };
        children.entry(parent).or_default().push(pid);
        if name == wasmfaas_containerd::SHIM_COMMAND_NAME
            && wasmfaas_containerd::shim_of(pid, address).is_some()
        {
            shims.push(pid);
        }
    }
    let mut under = Vec::new();
    let mut frontier = shims.clone();
    while let Some(pid) = frontier.pop() {
        // A shim under a shim (the serving shim before `shim start` exits) is counted once, as
        // a shim.
        for &child in children.get(&pid).into_iter().flatten() {
            if !shims.contains(&child) {
                under.push(child);
                frontier.push(child);
            }
        }
    }
    let pss = |pids: &[libc::pid_t]| -> u64 {
        pids.iter()
            .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok())
            .filter_map(|rollup| pss_kib(&rollup))
            .sum()
    };
    MemorySample {
        shims: shims.len(),
        shim_pss_kib: pss(&shims),
        container_processes: under.len(),
        container_pss_kib: pss(&under),
    }
}

/// The command name and the parent pid in a `/proc/<pid>/stat` line. The name, in
/// parentheses, may itself hold spaces and parentheses: it ends at the last `)`.
fn name_and_parent_in_stat(stat: &str) -> Option<(&str, libc::pid_t)> {
    let (before, after) = stat.rsplit_once(')')?;
    let (_, name) = before.split_once('(')?;
    Some((name, after.split_whitespace().nth(1)?.parse().ok()?))
}

/// The `Pss:` line of a `/proc/<pid>/smaps_rollup`, in KiB.
fn pss_kib(rollup: &str) -> Option<u64> {
    rollup
        .lines()
        .find_map(|line| line.strip_prefix("Pss:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_and_parent_are_read_past_a_command_name_with_spaces_and_parentheses() {
        assert_eq!(
            name_and_parent_in_stat("4242 (ctr) S 17 4242 17 0 -1"),
            Some(("ctr", 17))
        );
        assert_eq!(
            name_and_parent_in_stat("99 (containerd-shim (x) y) S 1 99 99 0 -1"),
            Some(("containerd-shim (x) y", 1))
        );
        assert_eq!(name_and_parent_in_stat("garbage"), None);
        assert_eq!(name_and_parent_in_stat("7 (x) S"), None);
    }

    #[test]
    fn pss_is_read_from_smaps_rollup() {
        let rollup = "55d0c0000000-7ffd5e5fe000 ---p 00000000 00:00 0 [rollup]\nRss:               12345 kB\nPss:                6789 kB\nPss_Dirty:          1000 kB\n";
        assert_eq!(pss_kib(rollup), Some(6789));
        assert_eq!(pss_kib("Rss: 1 kB\n"), None);
    }

    #[test]
    fn functions_that_write_files_are_told_apart() {
        let find = |name: &str| wasmfaas_suite::find(name).unwrap();
        assert!(!writes_output(find("hello"), Size::Paper));
        assert!(!writes_output(find("matmul"), Size::Paper));
        assert!(writes_output(find("imageprocessing"), Size::Paper));
        assert!(writes_output(find("diskio"), Size::Paper));
    }

    #[test]
    fn rounds_are_appended_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_rounds(dir.path()).unwrap(), Vec::new());
        let round = DensityRound {
            function: "hello".into(),
            environment: "containerd-shim/wasmtime-aot".into(),
            concurrency: 4,
            tasks: 32,
            seconds: 1.5,
            tasks_per_second: 21.3,
            peak: MemorySample {
                shims: 4,
                shim_pss_kib: 20_000,
                container_processes: 4,
                container_pss_kib: 8_000,
            },
            memory_samples: 70,
        };
        append_round(dir.path(), &round).unwrap();
        append_round(dir.path(), &round).unwrap();
        assert_eq!(read_rounds(dir.path()).unwrap(), vec![round.clone(), round]);
        std::fs::write(dir.path().join(DENSITY_FILE), "{not json\n").unwrap();
        let error = read_rounds(dir.path()).unwrap_err().to_string();
        assert!(error.contains("line 1 is not a density round"), "{error}");
    }
}
