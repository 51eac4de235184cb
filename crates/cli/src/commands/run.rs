//! `wasmfaas run`: one run of a suite or manifest function (output checked) or of any module or
//! executable.
use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use wasmfaas_engines::{AotCache, Engine, Mode};
use wasmfaas_runner::{RunOptions, check_mode_takes, finish, print_timing, process_watchdog};
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
    #[command(flatten)]
    options: RunOptions,
    #[command(flatten)]
    manifest: ManifestArgs,
    #[command(flatten)]
    project: ProjectArgs,
    /// Arguments for the guest (after --)
    #[arg(last = true)]
    guest_args: Vec<String>,
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
        args.options.timeout.is_some() || declared_timeout.is_some(),
    )?;
    let mode = args.mode.unwrap_or(engine.modes()[0]);
    check_mode_takes(mode, &args.options)?;
    engine.check_mode(mode)?;
    match catalog {
        // What the lean runners (`wasmfaas-run-<engine>`) do, from the same code.
        None => wasmfaas_runner::run_program(
            engine.as_ref(),
            mode,
            &args.target,
            &args.options,
            &args.guest_args,
        ),
        Some(catalog) => {
            let cache = args.options.cache();
            run_function(&args, &catalog, engine.as_ref(), mode, &cache)
        }
    }
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
    if !args.options.dirs.is_empty() {
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
    prepared
        .invocation
        .env
        .extend(args.options.env.iter().cloned());
    let declared = prepared.invocation.limits;
    prepared.invocation.limits = args.options.limits(engine);
    if mode != Mode::Native {
        prepared.invocation.limits.max_memory = prepared
            .invocation
            .limits
            .max_memory
            .or(declared.max_memory);
    }
    if args.options.timeout.is_none() {
        prepared.invocation.limits.timeout = declared.timeout.filter(|_| engine.can_interrupt());
        if let Some(timeout) = declared.timeout.filter(|_| !engine.can_interrupt()) {
            process_watchdog(timeout, Some(output.path().to_path_buf()));
        }
    }
    if let Some(timeout) = args.options.timeout.filter(|_| !engine.can_interrupt()) {
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
                print_timing(args.options.timing, &outcome);
                eprintln!("wasmfaas: {failure}");
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(finish(args.options.timing, &outcome))
}
