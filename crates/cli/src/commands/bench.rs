//! `wasmfaas bench`: cold runs of functions × environments, statistics, and the report.
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use wasmfaas_bench::environment::{self, LauncherKind};
use wasmfaas_bench::{
    BenchContext, Completion, Environment, Observer, PlanSpec, RunSet, Sample, TimeBudget, execute,
    new_meta,
};
use wasmfaas_engines::AotCache;
use wasmfaas_suite::Size;
use wasmfaas_suite::build::build_all;

use super::report::{ExportArgs, write_report};
use super::{ManifestArgs, ProjectArgs};
use crate::companions;

/// Exit code of a bench stopped by Ctrl-C (128 + SIGINT), resumable with `--resume`.
const EXIT_INTERRUPTED: u8 = 130;

/// A set of defaults for the run matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// All 13 functions × every available environment, 10 runs each at size paper (minutes).
    Quick,
    /// The paper's eight environments (containerd when available, restored before each run as
    /// the paper did; else their `process` counterparts) × 13 functions × 100 runs at size paper.
    Paper,
}

/// Arguments of `wasmfaas bench`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  wasmfaas bench                                   # the quick preset
  wasmfaas bench --functions matmul,n-body --environments 'embedded/*' --runs 30
  wasmfaas bench --preset paper
  wasmfaas bench --resume results/20261126-201500")]
pub struct Args {
    /// Defaults for the matrix; flags given explicitly override them
    #[arg(long, value_enum, default_value = "quick")]
    preset: Preset,
    /// Functions to run, comma-separated globs (e.g. matmul,n-*) [default: the paper's 13]
    #[arg(long, value_delimiter = ',')]
    functions: Vec<String>,
    /// Environments, comma-separated globs over launcher/engine-mode (e.g. 'process/*,embedded/wasmtime-aot') [default: the preset's]
    #[arg(long, value_delimiter = ',')]
    environments: Vec<String>,
    /// Workload size: small, paper or large [default: paper]
    #[arg(long)]
    size: Option<Size>,
    /// Measured runs per function × environment [default: quick 10, paper 100]
    #[arg(long)]
    runs: Option<u32>,
    /// A cell stops before --runs once it has 3 measured runs that took this long together (0: off) [default: 3s for the quick preset without --runs, else off]
    #[arg(long, value_name = "DURATION", value_parser = super::parse_duration)]
    time_budget: Option<Duration>,
    /// Unmeasured runs per function × environment before the measured ones
    #[arg(long, default_value_t = 1)]
    warmup: u32,
    /// Seed of the run order [default: from the clock; recorded in the run set]
    #[arg(long)]
    seed: Option<u64>,
    /// Shell command run before every run, outside the timing (e.g. 'sync; echo 3 > /proc/sys/vm/drop_caches')
    #[arg(long, value_name = "CMD")]
    prepare: Option<String>,
    /// A process run taking longer is killed and recorded as failed
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = super::parse_duration)]
    timeout: Duration,
    /// containerd runs use the containerd at this socket [default: a private containerd started
    /// for the bench, with its own root, state and socket in the run set, stopped at the end]
    #[arg(long, value_name = "SOCKET")]
    containerd_address: Option<PathBuf>,
    /// Restart the private containerd on its pristine state (images imported, no containers)
    /// before each containerd run, outside the timing, as the paper's scripts did [default: on
    /// for the paper preset]
    #[arg(long, conflicts_with = "no_restore_containerd")]
    restore_containerd: bool,
    /// Keep one containerd for the whole bench, also in the paper preset (faster)
    #[arg(long)]
    no_restore_containerd: bool,
    /// The run set folder to create [default: results/<date>-<time> in the project]
    #[arg(long, value_name = "DIR", conflicts_with = "resume")]
    output: Option<PathBuf>,
    /// Complete an interrupted run set (its recorded plan and seed are used)
    #[arg(long, value_name = "DIR")]
    resume: Option<PathBuf>,
    #[command(flatten)]
    export: ExportArgs,
    /// Then load `wasmfaas serve` with hey (apt-get install hey): hello, matmul, whatlang and
    /// diskio on wasmtime-aot, wasmer-aot, wasmi-interp and native, at concurrency 1, 8 and 64
    #[arg(long)]
    serving: bool,
    /// How long each serving load lasts
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = super::parse_duration)]
    serving_duration: Duration,
    /// Then start the plan's containerd/* and containerd-shim/* containers side by side, K at a
    /// time: tasks per second and the memory of the shims and containers (functions that write
    /// no output files)
    #[arg(long)]
    density: bool,
    /// The K of each density round
    #[arg(long, value_name = "K,...", value_delimiter = ',', default_value = "1,4,16", value_parser = clap::value_parser!(u16).range(1..))]
    density_concurrency: Vec<u16>,
    /// How many containers each density round starts in all
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..))]
    density_tasks: u16,
    /// Hide the progress bar
    #[arg(long)]
    no_progress: bool,
    /// Do not bring the suite up to date first (by default `bench` runs an incremental
    /// `wasmfaas build` for its size: seconds when nothing changed)
    #[arg(long)]
    no_build: bool,
    #[command(flatten)]
    manifest: ManifestArgs,
    #[command(flatten)]
    project: ProjectArgs,
}

/// Runs `wasmfaas bench`.
pub fn run(args: Args) -> Result<ExitCode> {
    let layout = args.project.layout();
    let engines = wasmfaas_engines::registry();
    let mut host = wasmfaas_bench::Host::probe(&layout.artifacts.join("bases"));
    let (mut runset, catalog) = match &args.resume {
        Some(dir) => {
            if !args.functions.is_empty()
                || !args.environments.is_empty()
                || args.size.is_some()
                || args.runs.is_some()
                || args.time_budget.is_some()
                || args.seed.is_some()
                || args.restore_containerd
                || args.no_restore_containerd
                || args.manifest.manifest.is_some()
            {
                bail!(
                    "--resume continues the plan recorded in {}; leave out --functions, --environments, --size, --runs, --time-budget, --seed, --manifest and --(no-)restore-containerd",
                    dir.display()
                );
            }
            let runset = RunSet::open(dir)?;
            let catalog = ManifestArgs {
                manifest: runset.meta.plan.manifest.clone(),
            }
            .catalog()?;
            if !args.no_build {
                let wanted = companions::of(&runset.meta.plan.environments);
                companions::bring(&layout, &wanted, &mut host);
            }
            ensure_built(&args, &layout, runset.meta.plan.size)?;
            let here = wasmfaas_bench::Machine::current();
            if here.cpu_model != runset.meta.machine.cpu_model {
                eprintln!(
                    "wasmfaas: warning: resuming on another machine ({}) than the run set was started on ({})",
                    here.describe(),
                    runset.meta.machine.describe()
                );
            }
            (runset, catalog)
        }
        None => {
            let catalog = args.manifest.catalog()?;
            let plan = plan(&args, &layout, &catalog, &engines, &mut host)?;
            if args.density {
                // Said before the cold runs, not after them.
                wasmfaas_bench::density::containerd_environments(&plan.environments)?;
            }
            ensure_built(&args, &layout, plan.size)?;
            let dir = args
                .output
                .clone()
                .unwrap_or_else(|| default_output(&layout.artifacts));
            let command_line: Vec<String> = std::env::args().collect();
            let preset = Some(format!("{:?}", args.preset).to_lowercase());
            let meta = new_meta(plan, preset, command_line, &layout, &catalog, &engines);
            (RunSet::create(&dir, meta)?, catalog)
        }
    };
    let context = BenchContext {
        catalog: Arc::new(catalog),
        host,
        containerd_address: args.containerd_address.clone(),
        layout,
        wasmfaas_exe: std::env::current_exe().context("cannot find the wasmfaas executable")?,
        cache: AotCache::new(AotCache::default_root()),
        run_timeout: args.timeout,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let handler_stop = stop.clone();
    ctrlc::set_handler(move || {
        if handler_stop.swap(true, Ordering::SeqCst) {
            // A second Ctrl-C: the user wants out now; every sample so far is on disk.
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    })
    .context("cannot install the Ctrl-C handler")?;
    let plan = &runset.meta.plan;
    eprintln!(
        "wasmfaas bench: {} functions × {} environments × {} runs{} (+{} warmup) at size {}, seed {}\nrun set: {}",
        plan.functions.len(),
        plan.environments.len(),
        plan.runs,
        plan.time_budget
            .map_or_else(String::new, |b| format!(" ({})", b.describe())),
        plan.warmup,
        plan.size,
        plan.seed,
        runset.dir.display()
    );
    let mut progress = Progress::new(args.no_progress);
    let completion = execute(&mut runset, &context, &mut progress, &stop)?;
    progress.finish();
    if completion == Completion::Interrupted {
        eprintln!(
            "wasmfaas bench: interrupted after {} samples; they are in {}.\nresume with: wasmfaas bench --resume {}",
            runset.samples.len(),
            runset.dir.display(),
            runset.dir.display()
        );
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    if args.density {
        let plan = wasmfaas_bench::density::DensityPlan {
            concurrencies: args.density_concurrency.iter().map(|&k| k.into()).collect(),
            tasks: args.density_tasks.into(),
        };
        eprintln!(
            "wasmfaas bench: density: {} containers a round at K = {:?}",
            plan.tasks, plan.concurrencies
        );
        wasmfaas_bench::density::run(&runset, &context, &plan, |line| {
            eprintln!("wasmfaas bench: {line}")
        })?;
    }
    if args.serving {
        // A container per request too, where containers run here (the gateway brings the shim).
        let containers = context
            .host
            .ready(wasmfaas_bench::LauncherKind::ContainerdShim);
        if let Err(why) = &containers {
            eprintln!("wasmfaas bench: serving: no container per request: {why}");
        }
        let serving = wasmfaas_bench::serving::ServingPlan::standard(
            runset.meta.plan.size.as_str(),
            args.serving_duration,
            containers.is_ok(),
        );
        eprintln!(
            "wasmfaas bench: the serving benchmark: {} functions × {} executors × concurrency {:?}, {:?} each",
            serving.functions.len(),
            serving.executors.len(),
            serving.concurrencies,
            serving.duration
        );
        wasmfaas_bench::serving::run(
            &serving,
            &context.wasmfaas_exe,
            context
                .layout
                .source
                .parent()
                .unwrap_or(std::path::Path::new(".")),
            &runset.dir,
            |line| eprintln!("wasmfaas bench: {line}"),
        )?;
    }
    let failed = write_report(&runset, &args.export)?;
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Brings the suite up to date for `size` (an incremental `wasmfaas build`), unless told not to.
fn ensure_built(args: &Args, layout: &wasmfaas_suite::Layout, size: Size) -> Result<()> {
    if args.no_build {
        return Ok(());
    }
    eprintln!("wasmfaas bench: bringing the suite up to date (wasmfaas build --size {size})");
    build_all(
        layout,
        &wasmfaas_engines::aot_engines(),
        &[size],
        &mut super::notice,
    )?;
    Ok(())
}

/// The environment patterns of the flags or the preset, with the preset's notes through `say`.
fn patterns(args: &Args, available: &[Environment], say: &mut dyn FnMut(String)) -> Vec<String> {
    if !args.environments.is_empty() {
        return args.environments.clone();
    }
    match args.preset {
        Preset::Quick => vec!["*".to_owned()],
        Preset::Paper => paper_environments(available, say),
    }
}

/// The quick preset's measured time per cell: a slow cell (an interpreter at size paper takes
/// up to 4 s a run) gets [`MIN_RUNS`] runs, the rest their 10.
const QUICK_TIME_BUDGET: Duration = Duration::from_secs(3);

/// The runs a cell gets under a time budget however slow it is: enough for a rank test to
/// separate two cells (Mann–Whitney's smallest p with 3 against 10 runs is 0.007).
const MIN_RUNS: u32 = 3;

/// The plan from the preset and the flags. When it would run WebAssembly containers,
/// wasmfaas-runtime and the shim are built first; what it leaves out is said on stderr, with the reason.
fn plan(
    args: &Args,
    layout: &wasmfaas_suite::Layout,
    catalog: &wasmfaas_suite::Catalog,
    engines: &[Box<dyn wasmfaas_engines::Engine>],
    host: &mut wasmfaas_bench::Host,
) -> Result<PlanSpec> {
    if !args.no_build {
        // Would the selection run WebAssembly containers if the runtime and shim were there?
        let assumed = wasmfaas_bench::Host {
            runtime: Ok(PathBuf::from(wasmfaas_names::RUNTIME_BINARY)),
            shim: Ok(PathBuf::from(wasmfaas_names::SHIM_BINARY)),
            ..host.clone()
        };
        let available = environment::available(engines, &assumed);
        let unavailable = environment::unavailable(engines, &assumed);
        let patterns = patterns(args, &available, &mut |_| {});
        let wanted = environment::select(&available, &unavailable, &patterns)
            .map(|selected| companions::of(&selected))
            .unwrap_or_default();
        companions::bring(layout, &wanted, host);
    }
    let available = environment::available(engines, host);
    let unavailable = environment::unavailable(engines, host);
    let patterns = patterns(args, &available, &mut |note| eprintln!("{note}"));
    let left_out = environment::left_out(&unavailable, &patterns);
    if !left_out.is_empty() {
        eprintln!(
            "wasmfaas bench: not available here, so left out (`wasmfaas environments` lists them):"
        );
        for (names, reason) in &left_out {
            eprintln!("  {}: {reason}", names.join(", "));
        }
    }
    let environments = environment::select(&available, &unavailable, &patterns)?;
    let functions = super::select_functions(&args.functions, catalog)?;
    let manifest = match catalog.manifest() {
        Some(manifest) => Some(std::path::absolute(&manifest.file).with_context(|| {
            format!("cannot make {} an absolute path", manifest.file.display())
        })?),
        None => None,
    };
    let runs = args.runs.unwrap_or(match args.preset {
        Preset::Quick => 10,
        Preset::Paper => 100,
    });
    if runs == 0 {
        bail!("--runs must be at least 1");
    }
    let time_budget = match (args.time_budget, args.preset, args.runs) {
        (Some(budget), _, _) if budget.is_zero() => None,
        (Some(budget), _, _) => Some(budget),
        (None, Preset::Quick, None) => Some(QUICK_TIME_BUDGET),
        (None, _, _) => None,
    }
    .map(|budget| TimeBudget {
        per_cell_ms: budget.as_millis() as u64,
        min_runs: MIN_RUNS.min(runs),
    });
    Ok(PlanSpec {
        functions,
        manifest,
        environments,
        size: args.size.unwrap_or(Size::Paper),
        runs,
        warmup: args.warmup,
        seed: args.seed.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        }),
        prepare: args.prepare.clone(),
        restore_containerd: args.restore_containerd
            || (args.preset == Preset::Paper && !args.no_restore_containerd),
        time_budget,
    })
}

/// The paper's eight environments under containerd, as the paper ran them, where this machine
/// can (root, runc, containerd); else their `process` counterparts. WasmEdge's interpreter is
/// stood in for by wasmi's; what has no counterpart is left out. Both are said on stderr.
fn paper_environments(available: &[Environment], say: &mut dyn FnMut(String)) -> Vec<String> {
    let has = |name: &str| available.iter().any(|e| e.to_string() == name);
    let launcher = if has("containerd/wasmtime-aot") && has("containerd/native-distroless") {
        LauncherKind::Containerd
    } else {
        say(
            "wasmfaas: note: containerd cannot run here (see `wasmfaas environments`); the paper preset runs the `process` counterparts, a native process standing in for the containers".to_owned()
        );
        LauncherKind::Process
    };
    let mut names: Vec<String> = Vec::new();
    let mut stand_ins = Vec::new();
    let mut missing = Vec::new();
    for key in wasmfaas_bench::paper::PAPER_KEYS {
        let name = format!("{}/{key}", launcher.as_str());
        let stand_in = match key {
            "wasmedge-interp" => Some(format!("{}/wasmi-interp", launcher.as_str())),
            k if k.starts_with("native-") && launcher == LauncherKind::Process => {
                Some("process/native".to_owned())
            }
            _ => None,
        };
        if has(&name) {
            names.push(name);
        } else if let Some(stand_in) = stand_in.filter(|s| has(s)) {
            if !names.contains(&stand_in) {
                stand_ins.push(format!("{stand_in} for {key}"));
                names.push(stand_in);
            }
        } else {
            missing.push(key);
        }
    }
    // Beside the paper's integration, its WebAssembly environments through wasmfaas's shim,
    // against the same native containers.
    if launcher == LauncherKind::Containerd {
        let shim = LauncherKind::ContainerdShim.as_str();
        let through_shim: Vec<String> = names
            .iter()
            .filter_map(|name| name.strip_prefix("containerd/"))
            .filter(|key| !key.starts_with("native"))
            .map(|key| format!("{shim}/{key}"))
            .filter(|name| has(name))
            .collect();
        names.extend(through_shim);
    }
    if !stand_ins.is_empty() || !missing.is_empty() {
        say(format!(
            "wasmfaas: note: the paper preset runs {}{}",
            if stand_ins.is_empty() {
                String::new()
            } else {
                format!("stand-ins ({})", stand_ins.join(", "))
            },
            if missing.is_empty() {
                String::new()
            } else {
                format!(
                    "{}without {} (not available here)",
                    if stand_ins.is_empty() { "" } else { "; " },
                    missing.join(", ")
                )
            }
        ));
    }
    names
}

/// `results/<UTC date>-<time>` beside the artifacts folder.
fn default_output(artifacts: &Path) -> PathBuf {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    let root = artifacts.parent().unwrap_or(Path::new("."));
    root.join("results").join(format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    ))
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The progress bar: position, ETA, the last cell run.
struct Progress {
    bar: ProgressBar,
    failed: usize,
}

impl Progress {
    fn new(hidden: bool) -> Self {
        let bar = if hidden {
            ProgressBar::hidden()
        } else {
            ProgressBar::new_spinner()
        };
        bar.enable_steady_tick(Duration::from_millis(200));
        Self { bar, failed: 0 }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Observer for Progress {
    fn preparing(&mut self, cell: &str) {
        self.bar.set_message(format!("preparing {cell}"));
    }

    fn started(&mut self, total: usize, done: usize) {
        self.bar.set_length(total as u64);
        self.bar.set_position(done as u64);
        self.bar.set_style(
            ProgressStyle::with_template(
                "{elapsed_precise} [{wide_bar}] {pos}/{len} ETA {eta} {msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        self.bar.reset_eta();
    }

    fn skipped(&mut self) {
        let length = self.bar.length().unwrap_or(1);
        self.bar.set_length(length.saturating_sub(1));
    }

    fn sampled(&mut self, sample: &Sample) {
        self.bar.inc(1);
        if !sample.ok {
            self.failed += 1;
            let line = format!(
                "failed: {} in {}: {}",
                sample.function,
                sample.environment,
                sample.error.as_deref().unwrap_or("")
            );
            // A hidden bar (--no-progress) prints nothing, and a failure must still be said.
            if self.bar.is_hidden() {
                eprintln!("{line}");
            } else {
                self.bar.println(line);
            }
        }
        self.bar.set_message(format!(
            "{} {} {:.2} ms{}",
            sample.function,
            sample.environment,
            sample.total_ns as f64 / 1e6,
            if self.failed > 0 {
                format!(" ({} failed)", self.failed)
            } else {
                String::new()
            }
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_418), (2025, 11, 26));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
