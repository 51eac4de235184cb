//! Running a plan: preflight every cell, then each job in the plan's order, each sample
//! appended to the run set as soon as its run is checked.
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use wasmfaas_engines::Engine;
use wasmfaas_suite::build::NativeBuild;
use wasmfaas_suite::{Catalog, Function, Layout};

use crate::launcher::{Cell, LaunchContext, Launchers};
use crate::runset::{FORMAT, RunSetMeta, SuiteBuild};
use crate::{BenchError, Machine, PlanSpec, RunSet, Sample};

/// Hears what the bench is doing (the CLI shows a progress bar; the library never prints).
pub trait Observer {
    /// Preflight: preparing a cell (finding artifacts, compiling stale AOT artifacts).
    fn preparing(&mut self, _cell: &str) {}
    /// Runs start: `done` of `total` runs already have samples (from a resumed run set).
    fn started(&mut self, _total: usize, _done: usize) {}
    /// One run ended and its sample is on disk.
    fn sampled(&mut self, _sample: &Sample) {}
    /// A run of the plan is left out: its cell has spent the plan's time budget.
    fn skipped(&mut self) {}
}

/// How a bench ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// Every run of the plan has a sample.
    Finished,
    /// Stopped on request; the run set can be resumed.
    Interrupted,
}

/// The description of a new run set for `plan` on this machine.
pub fn new_meta(
    plan: PlanSpec,
    preset: Option<String>,
    command_line: Vec<String>,
    layout: &Layout,
    catalog: &Catalog,
    engines: &[Box<dyn Engine>],
) -> RunSetMeta {
    RunSetMeta {
        format: FORMAT.into(),
        wasmfaas_version: env!("CARGO_PKG_VERSION").into(),
        created_unix: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        command_line,
        preset,
        suite: suite_build(layout, catalog, &plan),
        plan,
        machine: Machine::current(),
        engines: engines
            .iter()
            .map(|e| (e.name().to_owned(), e.version()))
            .collect(),
    }
}

/// The functions' build profile and the digest of every artifact the plan runs (a user
/// function's module and binary by their paths as the manifest gives them).
fn suite_build(layout: &Layout, catalog: &Catalog, plan: &PlanSpec) -> SuiteBuild {
    let mut profile = String::new();
    for file in ["Cargo.toml", ".cargo/config.toml"] {
        if let Ok(text) = std::fs::read_to_string(layout.source.join(file)) {
            let mut keep = false;
            for line in text.lines() {
                if line.starts_with('[') {
                    keep = line.starts_with("[profile") || line.starts_with("[target");
                }
                if keep && !line.trim().is_empty() && !line.trim_start().starts_with('#') {
                    profile.push_str(line);
                    profile.push('\n');
                }
            }
        }
    }
    let mut artifacts = BTreeMap::new();
    let mut digest = |name: String, path: &Path| {
        if let Ok(bytes) = std::fs::read(path) {
            artifacts.insert(name, hex::encode(Sha256::digest(&bytes)));
        }
    };
    for function in &plan.functions {
        if let Some(user) = catalog.find(function).ok().and_then(|f| f.user) {
            for path in [user.module(), user.binary()].into_iter().flatten() {
                digest(format!("{function}/{}", path.display()), path);
            }
            continue;
        }
        let mut paths = vec![layout.wasm(function)];
        paths.extend(NativeBuild::ALL.map(|build| layout.native(function, build)));
        for environment in &plan.environments {
            if environment.mode == wasmfaas_engines::Mode::Aot
                && let Ok(engine) = wasmfaas_engines::engine(&environment.engine)
            {
                paths.push(layout.aot(&environment.engine, function, engine.artifact_extension()));
            }
        }
        for path in paths {
            let name = path
                .strip_prefix(&layout.artifacts)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            digest(name, &path);
        }
    }
    // The image sizes of the paper's Figures 1–4, when `wasmfaas images` has written them.
    let images_dir = layout.artifacts.join("images");
    let images = if images_dir.join("index.json").is_file() {
        wasmfaas_oci::sizes(&images_dir).unwrap_or_else(|e| {
            tracing::warn!("image sizes not recorded: {e}");
            BTreeMap::new()
        })
    } else {
        BTreeMap::new()
    };
    SuiteBuild {
        profile,
        artifacts,
        images,
    }
}

/// What a bench needs besides its run set.
#[derive(Debug, Clone)]
pub struct BenchContext {
    /// The suite on disk.
    pub layout: Layout,
    /// The functions the plan names: the suite's and its manifest's.
    pub catalog: std::sync::Arc<Catalog>,
    /// The `wasmfaas` executable `process` runs WebAssembly with where an engine has no lean
    /// runner (`host.runners`).
    pub wasmfaas_exe: std::path::PathBuf,
    /// Where AOT artifacts of stale builds are compiled to.
    pub cache: wasmfaas_engines::AotCache,
    /// A process run taking longer is killed and recorded as failed.
    pub run_timeout: std::time::Duration,
    /// The container tools of this machine.
    pub host: crate::Host,
    /// A running containerd to use instead of starting a private one.
    pub containerd_address: Option<std::path::PathBuf>,
}

impl BenchContext {
    /// What the launchers of a bench on `runset` share: its work folder, its plan's choice of
    /// restoring containerd.
    pub(crate) fn launch_context(&self, runset: &RunSet) -> LaunchContext {
        LaunchContext {
            layout: self.layout.clone(),
            work_dir: runset.work_dir(),
            wasmfaas_exe: self.wasmfaas_exe.clone(),
            cache: self.cache.clone(),
            run_timeout: self.run_timeout,
            host: self.host.clone(),
            containerd_address: self.containerd_address.clone(),
            restore_containerd: runset.meta.plan.restore_containerd,
        }
    }
}

/// Runs every job of the run set's plan that has no sample yet. Returns when all have one, or
/// when `stop` is set (the run in flight when it was set is discarded: a signal may have
/// disturbed it).
pub fn execute(
    runset: &mut RunSet,
    context: &BenchContext,
    observer: &mut dyn Observer,
    stop: &AtomicBool,
) -> Result<Completion, BenchError> {
    let plan = runset.meta.plan.clone();
    let functions: Vec<&'static Function> = plan
        .functions
        .iter()
        .map(|name| context.catalog.find(name).map_err(BenchError::Selection))
        .collect::<Result<_, _>>()?;
    let mut launchers = Launchers::new(context.launch_context(runset));
    let cell = |job_function: usize, job_environment: usize| Cell {
        function: functions[job_function],
        environment: &plan.environments[job_environment],
        size: plan.size,
    };
    for f in 0..functions.len() {
        for e in 0..plan.environments.len() {
            let cell = cell(f, e);
            observer.preparing(&cell.describe());
            launchers.get(cell.environment.launcher)?.prepare(&cell)?;
        }
    }
    // Every `process` WebAssembly run starts a runner before its engine: each runner's own start
    // is measured once, before the runs, for the report to state beside those figures.
    if crate::runner_start::read(&runset.dir)?.is_empty() {
        let mut runners: Vec<(std::path::PathBuf, Vec<String>)> = Vec::new();
        for environment in plan.environments.iter().filter(|e| {
            e.launcher == crate::LauncherKind::Process && e.mode != wasmfaas_engines::Mode::Native
        }) {
            let exe = context
                .host
                .runners
                .get(&environment.engine)
                .unwrap_or(&context.wasmfaas_exe);
            match runners.iter_mut().find(|(path, _)| path == exe) {
                Some((_, engines)) if engines.contains(&environment.engine) => {}
                Some((_, engines)) => engines.push(environment.engine.clone()),
                None => runners.push((exe.clone(), vec![environment.engine.clone()])),
            }
        }
        let starts = runners
            .into_iter()
            .map(|(exe, engines)| crate::runner_start::measure(&exe, engines))
            .collect::<Result<Vec<_>, _>>()?;
        if !starts.is_empty() {
            crate::runner_start::write(&runset.dir, &starts)?;
        }
    }
    let jobs = plan.jobs();
    let done = runset.done();
    observer.started(jobs.len(), done.len());
    // Measured runs and their time per cell, from the samples already taken (a resumed run set
    // skips the same runs it would have skipped).
    let mut spent = Spent::default();
    runset.samples.iter().for_each(|s| spent.add(s));
    for job in jobs.iter().filter(|j| !done.contains(&j.seq)) {
        if stop.load(Ordering::SeqCst) {
            return Ok(Completion::Interrupted);
        }
        let cell = cell(job.function, job.environment);
        if let Some(budget) = plan.time_budget
            && !job.warmup
        {
            let (runs, measured_ns) = spent.of(cell.function.name, &cell.environment.to_string());
            if budget.spent(runs, measured_ns) {
                observer.skipped();
                continue;
            }
        }
        if let Some(prepare) = &plan.prepare {
            run_prepare(prepare)?;
        }
        let started_unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let measured = launchers.get(cell.environment.launcher)?.run(&cell);
        if stop.load(Ordering::SeqCst) {
            return Ok(Completion::Interrupted);
        }
        let mut sample = Sample {
            seq: job.seq,
            function: cell.function.name.to_owned(),
            environment: cell.environment.to_string(),
            round: job.round,
            warmup: job.warmup,
            started_unix_ms,
            total_ns: 0,
            phases: None,
            lifecycle: None,
            exit_code: None,
            peak_rss_kib: None,
            ok: false,
            error: None,
            unchecked: cell.function.user.is_some_and(|u| !u.is_checked()),
            aot_cache_hit: None,
        };
        match measured {
            Ok(m) => {
                sample.total_ns = m.total.as_nanos() as u64;
                sample.phases = m.phases.map(Into::into);
                sample.lifecycle = m.lifecycle;
                sample.exit_code = Some(m.exit_code);
                sample.peak_rss_kib = m.peak_rss_kib;
                sample.aot_cache_hit = m.aot_cache_hit;
                sample.error = if m.exit_code != 0 {
                    Some(format!("exited with {}: {}", m.exit_code, m.stderr_tail))
                } else {
                    wasmfaas_suite::check(
                        cell.function,
                        cell.size,
                        &m.stdout,
                        &m.output_dir,
                        &m.inputs_dir,
                    )
                    .err()
                    .map(|e| e.to_string())
                };
                sample.ok = sample.error.is_none();
            }
            Err(e) => sample.error = Some(e.to_string()),
        }
        runset.append(sample)?;
        let sample = runset.samples.last().expect("just appended");
        spent.add(sample);
        observer.sampled(sample);
    }
    let work = runset.work_dir();
    if work.exists() {
        std::fs::remove_dir_all(&work).map_err(|e| BenchError::io(&work, e))?;
    }
    Ok(Completion::Finished)
}

/// Measured runs and their time, per cell (function, environment).
#[derive(Default)]
struct Spent(HashMap<(String, String), (u32, u64)>);

impl Spent {
    fn add(&mut self, sample: &Sample) {
        if !sample.warmup {
            let cell = self
                .0
                .entry((sample.function.clone(), sample.environment.clone()))
                .or_default();
            cell.0 += 1;
            cell.1 = cell.1.saturating_add(sample.total_ns);
        }
    }

    fn of(&self, function: &str, environment: &str) -> (u32, u64) {
        self.0
            .get(&(function.to_owned(), environment.to_owned()))
            .copied()
            .unwrap_or_default()
    }
}

fn run_prepare(command: &str) -> Result<(), BenchError> {
    let status = Command::new("sh")
        .arg("-c")
        .arg(command)
        .status()
        .map_err(|e| BenchError::Prepare {
            cell: "--prepare".into(),
            problem: format!("cannot run `sh -c {command:?}`: {e}"),
        })?;
    if !status.success() {
        return Err(BenchError::Prepare {
            cell: "--prepare".into(),
            problem: format!("`{command}` failed with {status}; fix it or leave --prepare out"),
        });
    }
    Ok(())
}

/// Whether `path` holds a run set.
pub fn is_runset(path: &Path) -> bool {
    path.join(crate::runset::META_FILE).is_file()
}
