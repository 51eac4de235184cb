//! `wasmfaas run`: one run of a suite or manifest function (output checked) or of any module or
//! executable.
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use wasmfaas_engines::{
    AotCache, Engine, Invocation, Limits, Mode, Outcome, Preopen, Program, StdoutMode,
};
use wasmfaas_suite::build::NativeBuild;
use wasmfaas_suite::{Size, runner};

use super::{ManifestArgs, ProjectArgs};

/// Arguments of `wasmfaas run`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  wasmfaas run matmul --engine wasmtime --mode aot --size paper\n  wasmfaas run ./module.wasm --dir ./data:/data -- --verbose input.txt\n  wasmfaas run wordfreq --manifest examples/functions.toml --engine wasmer"
)]
pub struct Args {
    /// A suite function (e.g. matmul), a function of --manifest, or the path of a WASI module (.wasm), a wasmtime artifact (.cwasm) or a native executable
    target: String,
    /// The engine: native, wasmtime, wasmer, wasmi, or wasmedge in builds with the `wasmedge` feature
    #[arg(long, default_value = "wasmtime")]
    engine: String,
    /// How the engine gets machine code: jit, aot or baseline (wasmtime), jit or aot (wasmer), interp (wasmi), interp or aot (wasmedge), native [default: the engine's first]
    #[arg(long)]
    mode: Option<Mode>,
    /// The workload size of a suite function: small, paper or large
    #[arg(long, default_value = "paper")]
    size: Size,
    /// A host directory the guest may use, at GUEST (default: the same path); repeatable
    #[arg(long = "dir", value_name = "HOST[:GUEST]")]
    dirs: Vec<Preopen>,
    /// An environment variable for the guest; repeatable
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    env: Vec<(String, String)>,
    /// Stop the guest after this long (e.g. 1s, 500ms, 2m); exit code 124
    #[arg(long, value_name = "DURATION", value_parser = super::parse_duration)]
    timeout: Option<std::time::Duration>,
    /// Refuse to grow the guest's linear memory beyond this (e.g. 64MiB, 1GiB, 65536); exit code 137
    #[arg(long, value_name = "BYTES", value_parser = wasmfaas_engines::parse_bytes)]
    max_memory: Option<u64>,
    /// Print the time of each phase (load, compile, instantiate, execute, total) to stderr
    #[arg(long)]
    timing: bool,
    /// Where AOT artifacts of modules given by path are cached [default: $WASMFAAS_CACHE or ~/.cache/wasmfaas]
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    #[command(flatten)]
    manifest: ManifestArgs,
    #[command(flatten)]
    project: ProjectArgs,
    /// Arguments for the guest (after --)
    #[arg(last = true)]
    guest_args: Vec<String>,
}

fn parse_env(spec: &str) -> Result<(String, String), String> {
    match spec.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("bad variable {spec:?}: expected KEY=VALUE")),
    }
}

/// Runs `wasmfaas run`.
pub fn run(args: Args) -> Result<ExitCode> {
    let looks_like_path = args.target.contains('/') || std::path::Path::new(&args.target).is_file();
    let catalog = if looks_like_path {
        if args.manifest.manifest.is_some() {
            bail!(
                "--manifest names functions to run by name; {} is a path, so leave --manifest out or give a function's name",
                args.target
            );
        }
        None
    } else {
        Some(args.manifest.catalog()?)
    };
    // A manifest's timeout needs an engine that can interrupt its guest, as --timeout does.
    let declared_timeout = catalog
        .as_ref()
        .and_then(|c| c.find(&args.target).ok())
        .and_then(|f| f.user)
        .and_then(|u| u.decl.timeout);
    let engine = wasmfaas_engines::engine_with(
        &args.engine,
        args.timeout.is_some() || declared_timeout.is_some(),
    )?;
    let mode = args.mode.unwrap_or(engine.modes()[0]);
    if mode == Mode::Native && args.max_memory.is_some() {
        bail!(
            "--max-memory limits a WebAssembly guest's linear memory; it does not apply to --engine native"
        );
    }
    engine.check_mode(mode)?;
    let cache = AotCache::new(
        args.cache_dir
            .clone()
            .unwrap_or_else(AotCache::default_root),
    );
    match catalog {
        None => run_path(&args, engine.as_ref(), mode, &cache),
        Some(catalog) => run_function(&args, &catalog, engine.as_ref(), mode, &cache),
    }
}

fn run_path(args: &Args, engine: &dyn Engine, mode: Mode, cache: &AotCache) -> Result<ExitCode> {
    let mut program = Program::open(&args.target)?;
    if mode == Mode::Native {
        if let Some(p) = args
            .dirs
            .iter()
            .find(|p| p.host.as_os_str() != p.guest.as_str())
        {
            bail!(
                "--dir {}:{}: a native program sees the host's paths, so it cannot be given a directory at another path; use --dir {}",
                p.host.display(),
                p.guest,
                p.host.display()
            );
        }
    } else if mode == Mode::Aot && program.kind == wasmfaas_engines::ProgramKind::WasmModule {
        program = cache.artifact_for(engine, &program.path)?;
    }
    let program_name = std::path::Path::new(&args.target)
        .file_stem()
        .map_or_else(|| args.target.clone(), |s| s.to_string_lossy().into_owned());
    let invocation = Invocation {
        program_name,
        args: args.guest_args.clone(),
        env: args.env.clone(),
        preopens: args.dirs.clone(),
        stdin: Default::default(),
        stdout: StdoutMode::Inherit,
        limits: limits(args, engine),
    };
    if let Some(timeout) = args.timeout.filter(|_| !engine.can_interrupt()) {
        process_watchdog(timeout, None);
    }
    let outcome = engine.run(&program, mode, &invocation)?;
    finish(args, &outcome)
}

fn run_function(
    args: &Args,
    catalog: &wasmfaas_suite::Catalog,
    engine: &dyn Engine,
    mode: Mode,
    cache: &AotCache,
) -> Result<ExitCode> {
    let function = catalog
        .find(&args.target)
        .map_err(|e| anyhow::anyhow!("{e}; or give the path of a module or executable"))?;
    if !args.guest_args.is_empty() {
        match function.user {
            Some(_) => bail!(
                "{} takes its arguments from its manifest (`args`); change them there",
                function.name
            ),
            None => bail!(
                "suite functions take their arguments from --size; to pass your own, run the module by path (artifacts/wasm/{}.wasm)",
                function.name
            ),
        }
    }
    if !args.dirs.is_empty() {
        bail!(
            "{} gets its input and output directories from wasmfaas (a manifest's `inputs`, `output` and `dirs`); --dir is for modules run by path",
            function.name
        );
    }
    let layout = args.project.layout();
    let output = tempfile::Builder::new()
        .prefix(&format!("wasmfaas-{}-", function.name))
        .tempdir()
        .context("creating the run's output directory")?;
    let mut prepared = runner::prepare(
        &layout,
        function,
        args.size,
        engine,
        mode,
        // The paper's native build, as `process/native` runs it.
        NativeBuild::Glibc,
        output.path(),
        cache,
    )?;
    // A user function's manifest sets its environment and limits; the command line adds to
    // and overrides them.
    prepared.invocation.env.extend(args.env.iter().cloned());
    let declared = prepared.invocation.limits;
    prepared.invocation.limits = limits(args, engine);
    if mode != Mode::Native {
        prepared.invocation.limits.max_memory = prepared
            .invocation
            .limits
            .max_memory
            .or(declared.max_memory);
    }
    if args.timeout.is_none() {
        prepared.invocation.limits.timeout = declared.timeout.filter(|_| engine.can_interrupt());
        if let Some(timeout) = declared.timeout.filter(|_| !engine.can_interrupt()) {
            process_watchdog(timeout, Some(output.path().to_path_buf()));
        }
    }
    if let Some(timeout) = args.timeout.filter(|_| !engine.can_interrupt()) {
        process_watchdog(timeout, Some(output.path().to_path_buf()));
    }
    let outcome = runner::run(&prepared, engine, mode)?;
    let stdout = outcome.stdout.as_deref().unwrap_or_default();
    std::io::stdout()
        .write_all(stdout)
        .context("writing the guest's output")?;
    std::io::stdout().flush().ok();
    if outcome.exit_code == 0 {
        match wasmfaas_suite::check(
            function,
            args.size,
            stdout,
            output.path(),
            &prepared.inputs_dir,
        ) {
            Ok(summary) => eprintln!("check passed: {summary}"),
            Err(failure) => {
                print_timing(args, &outcome);
                eprintln!("wasmfaas: {failure}");
                return Ok(ExitCode::from(1));
            }
        }
    }
    finish(args, &outcome)
}

/// The limits the engine enforces itself. An engine that cannot interrupt a guest gets no time
/// limit: a watchdog ends the whole process instead (see [`process_watchdog`]).
fn limits(args: &Args, engine: &dyn Engine) -> Limits {
    let timeout = args.timeout.filter(|_| engine.can_interrupt());
    Limits {
        timeout,
        max_memory: args.max_memory,
    }
}

/// Ends this process with exit code 124 once `timeout` has passed, removing `cleanup` first: the
/// only way to stop a guest of an engine that cannot interrupt it. Process exit releases
/// everything the guest held.
fn process_watchdog(timeout: std::time::Duration, cleanup: Option<PathBuf>) {
    std::thread::spawn(move || {
        std::thread::sleep(timeout);
        if let Some(dir) = cleanup {
            std::fs::remove_dir_all(dir).ok();
        }
        eprintln!(
            "wasmfaas: the guest was {}",
            wasmfaas_engines::Stopped::Timeout(timeout)
        );
        std::process::exit(wasmfaas_engines::EXIT_TIMEOUT);
    });
}

fn print_timing(args: &Args, outcome: &Outcome) {
    if args.timing {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        let p = &outcome.phases;
        eprintln!(
            "timing: load {:.3} ms, compile {:.3} ms, instantiate {:.3} ms, execute {:.3} ms, total {:.3} ms",
            ms(p.load),
            ms(p.compile),
            ms(p.instantiate),
            ms(p.execute),
            ms(p.total())
        );
    }
}

fn finish(args: &Args, outcome: &Outcome) -> Result<ExitCode> {
    print_timing(args, outcome);
    if let Some(stopped) = &outcome.stopped {
        eprintln!("wasmfaas: the guest was {stopped}");
    }
    if let Some(trap) = &outcome.trap {
        eprintln!("wasmfaas: the guest trapped: {trap}");
    }
    Ok(ExitCode::from(
        u8::try_from(outcome.exit_code & 0xff).unwrap_or(1),
    ))
}
