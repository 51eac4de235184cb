//! One run of a program given by path (a WebAssembly module, an AOT artifact, or for the native
//! engine an executable) in one engine, stdio inherited: what `wasmfaas run PATH` does, and what
//! the lean runners `wasmfaas-run-<engine>` do.
//!
//! The `process` environments start a fresh OS process per run. Started as `wasmfaas`, that
//! process loads a binary that links every engine, the bench, the gateway and the OCI code before
//! any engine runs; a runner links one engine and this crate, so what a `process` run measures is
//! the engine's own cold start. Both take the same options, give the guest the same WASI view and
//! exit with the same codes.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{CommandFactory, FromArgMatches};
use wasmfaas_engines::{
    AotCache, Engine, Invocation, Limits, Mode, Outcome, Preopen, Program, ProgramKind, StdoutMode,
};

/// Exit code when the runner itself fails (bad input, missing files), as wasmfaas, runc and
/// docker use it.
pub const EXIT_ERROR: u8 = 125;

/// The lean runners: each engine's binary.
pub const RUNNERS: [(&str, &str); 3] = [
    ("wasmtime", "wasmfaas-run-wasmtime"),
    ("wasmer", "wasmfaas-run-wasmer"),
    ("wasmi", "wasmfaas-run-wasmi"),
];

/// The binary of `engine`'s lean runner, if it has one (WasmEdge, a build feature, has none).
pub fn runner_binary(engine: &str) -> Option<&'static str> {
    RUNNERS
        .iter()
        .find(|(name, _)| *name == engine)
        .map(|(_, binary)| *binary)
}

/// The engine whose lean runner `binary` is, if it is one.
pub fn runner_engine(binary: &str) -> Option<&'static str> {
    RUNNERS
        .iter()
        .find(|(_, name)| *name == binary)
        .map(|(engine, _)| *engine)
}

/// How a program runs: everything `wasmfaas run` and the runners take besides the engine, the
/// mode, the program and its arguments.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunOptions {
    /// A host directory the guest may use, at GUEST (default: the same path); repeatable
    #[arg(long = "dir", value_name = "HOST[:GUEST]")]
    pub dirs: Vec<Preopen>,
    /// An environment variable for the guest; repeatable
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    pub env: Vec<(String, String)>,
    /// Stop the guest after this long (e.g. 1s, 500ms, 2m); exit code 124
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,
    /// Refuse to grow the guest's linear memory beyond this (e.g. 64MiB, 1GiB, 65536); exit code 137
    #[arg(long, value_name = "BYTES", value_parser = wasmfaas_engines::parse_bytes)]
    pub max_memory: Option<u64>,
    /// Print the time of each phase (load, compile, instantiate, execute, total) to stderr
    #[arg(long)]
    pub timing: bool,
    /// Where AOT artifacts of modules given by path are cached [default: $WASMFAAS_CACHE or ~/.cache/wasmfaas]
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

impl RunOptions {
    /// The limits the engine enforces itself. An engine that cannot interrupt a guest gets no
    /// time limit: a watchdog ends the whole process instead (see [`process_watchdog`]).
    pub fn limits(&self, engine: &dyn Engine) -> Limits {
        Limits {
            timeout: self.timeout.filter(|_| engine.can_interrupt()),
            max_memory: self.max_memory,
        }
    }

    /// The AOT cache these options name.
    pub fn cache(&self) -> AotCache {
        AotCache::new(
            self.cache_dir
                .clone()
                .unwrap_or_else(AotCache::default_root),
        )
    }
}

/// Parses a duration argument (`30s`, `500ms`, `10m`).
pub fn parse_duration(spec: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(spec)
        .map_err(|e| format!("bad duration {spec:?}: {e}; e.g. 30s, 500ms, 10m"))
}

/// Parses `KEY=VALUE`.
pub fn parse_env(spec: &str) -> Result<(String, String), String> {
    match spec.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("bad variable {spec:?}: expected KEY=VALUE")),
    }
}

/// Refuses a `--max-memory` for native code, which has no linear memory to limit.
pub fn check_mode_takes(mode: Mode, options: &RunOptions) -> Result<()> {
    if mode == Mode::Native && options.max_memory.is_some() {
        bail!(
            "--max-memory limits a WebAssembly guest's linear memory; it does not apply to --engine native"
        );
    }
    Ok(())
}

/// Runs the program at `target` once in `engine` (made interruptible if `options` has a time
/// limit), stdio inherited; returns the code to exit with: the guest's, or 124, 134, 137 when it
/// was stopped, trapped or refused memory.
pub fn run_program(
    engine: &dyn Engine,
    mode: Mode,
    target: &str,
    options: &RunOptions,
    guest_args: &[String],
) -> Result<ExitCode> {
    let mut program = Program::open(target)?;
    if mode == Mode::Native {
        if let Some(p) = options
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
    } else if mode == Mode::Aot && program.kind == ProgramKind::WasmModule {
        program = options.cache().artifact_for(engine, &program.path)?;
    }
    let program_name = Path::new(target)
        .file_stem()
        .map_or_else(|| target.to_owned(), |s| s.to_string_lossy().into_owned());
    let invocation = Invocation {
        program_name,
        args: guest_args.to_vec(),
        env: options.env.clone(),
        preopens: options.dirs.clone(),
        stdin: Default::default(),
        stdout: StdoutMode::Inherit,
        limits: options.limits(engine),
    };
    if let Some(timeout) = options.timeout.filter(|_| !engine.can_interrupt()) {
        process_watchdog(timeout, None);
    }
    let outcome = engine.run(&program, mode, &invocation)?;
    Ok(finish(options.timing, &outcome))
}

/// Ends this process with exit code 124 once `timeout` has passed, removing `cleanup` first: the
/// only way to stop a guest of an engine that cannot interrupt it. Process exit releases
/// everything the guest held.
pub fn process_watchdog(timeout: std::time::Duration, cleanup: Option<PathBuf>) {
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

/// Prints each phase's time to stderr, when `timing` is asked for.
pub fn print_timing(timing: bool, outcome: &Outcome) {
    if timing {
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

/// Says how the run ended (timing, a limit, a trap) and returns the code to exit with.
pub fn finish(timing: bool, outcome: &Outcome) -> ExitCode {
    print_timing(timing, outcome);
    if let Some(stopped) = &outcome.stopped {
        eprintln!("wasmfaas: the guest was {stopped}");
    }
    if let Some(trap) = &outcome.trap {
        eprintln!("wasmfaas: the guest trapped: {trap}");
    }
    ExitCode::from(u8::try_from(outcome.exit_code & 0xff).unwrap_or(1))
}

/// The arguments that run `program` in `mode` as `invocation` says, for a runner or after
/// `wasmfaas run --engine E`: what the bench's `process` launcher starts, spelled as a user
/// would. The guest's environment goes on the command line, so the runner's own is empty.
pub fn command_line(mode: Mode, program: &Path, invocation: &Invocation) -> Vec<String> {
    let mut args: Vec<String> = vec!["--mode".into(), mode.to_string()];
    for preopen in &invocation.preopens {
        args.push("--dir".into());
        args.push(format!("{}:{}", preopen.host.display(), preopen.guest));
    }
    for (key, value) in &invocation.env {
        args.push("--env".into());
        args.push(format!("{key}={value}"));
    }
    if let Some(max_memory) = invocation.limits.max_memory {
        args.push("--max-memory".into());
        args.push(max_memory.to_string());
    }
    args.push(program.to_string_lossy().into_owned());
    args.push("--".into());
    args.extend(invocation.args.iter().cloned());
    args
}

/// A lean runner: its engine, and how to make it (interruptible when a time limit is given).
pub struct Runner {
    /// The engine's name, as `wasmfaas run --engine` takes it.
    pub engine: &'static str,
    /// The engine, made interruptible when the argument is true.
    pub make: fn(bool) -> Box<dyn Engine>,
}

/// The command line of a runner.
#[derive(Debug, clap::Parser)]
struct RunnerArgs {
    /// How the engine gets machine code [default: the engine's first]
    #[arg(long)]
    mode: Option<Mode>,
    #[command(flatten)]
    options: RunOptions,
    /// The WebAssembly module (.wasm) or the engine's AOT artifact to run
    program: String,
    /// Arguments for the guest (after --)
    #[arg(last = true)]
    guest_args: Vec<String>,
}

/// A runner's `main`: parses its command line, runs the program, exits as `wasmfaas run` would.
pub fn main(runner: &Runner) -> ExitCode {
    let binary = runner_binary(runner.engine).unwrap_or(runner.engine);
    let plain = (runner.make)(false);
    // clap keeps these for the process's life: leaking them once is what that takes.
    let version = format!(
        "{} ({} {})",
        env!("CARGO_PKG_VERSION"),
        plain.name(),
        plain.version()
    );
    let command = RunnerArgs::command()
        .name(binary)
        .bin_name(binary)
        .version(&*Box::leak(version.into_boxed_str()))
        .about(&*Box::leak(format!(
            "Runs one WebAssembly program in {}, as `wasmfaas run --engine {}` does, with nothing else linked: the runner of wasmfaas's `process/{}-*` environments.",
            runner.engine, runner.engine, runner.engine
        ).into_boxed_str()));
    let args = match RunnerArgs::from_arg_matches(&command.get_matches()) {
        Ok(args) => args,
        Err(error) => error.exit(),
    };
    match run(runner, plain, args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{binary}: error: {error:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(runner: &Runner, plain: Box<dyn Engine>, args: RunnerArgs) -> Result<ExitCode> {
    let engine = match args.options.timeout {
        Some(_) => (runner.make)(true),
        None => plain,
    };
    let mode = args.mode.unwrap_or(engine.modes()[0]);
    check_mode_takes(mode, &args.options)?;
    engine.check_mode(mode)?;
    run_program(
        engine.as_ref(),
        mode,
        &args.program,
        &args.options,
        &args.guest_args,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runner_is_named_for_its_engine() {
        for (engine, binary) in RUNNERS {
            assert_eq!(runner_binary(engine), Some(binary));
            assert_eq!(runner_engine(binary), Some(engine));
            assert_eq!(binary, format!("wasmfaas-run-{engine}"));
        }
        assert_eq!(runner_binary("wasmedge"), None);
        assert_eq!(runner_engine("wasmfaas-runtime"), None);
    }

    #[test]
    fn the_command_line_says_what_the_invocation_holds() {
        // A preopen names a folder that exists.
        let data = std::env::temp_dir();
        let invocation = Invocation {
            program_name: "f".into(),
            args: vec!["--size".into(), "3".into()],
            env: vec![("K".into(), "v=1".into())],
            preopens: vec![format!("{}:/input", data.display()).parse().unwrap()],
            limits: Limits {
                timeout: None,
                max_memory: Some(65536),
            },
            ..Default::default()
        };
        assert_eq!(
            command_line(Mode::Aot, Path::new("/a/f.cwasm"), &invocation),
            [
                "--mode",
                "aot",
                "--dir",
                &format!("{}:/input", data.display()),
                "--env",
                "K=v=1",
                "--max-memory",
                "65536",
                "/a/f.cwasm",
                "--",
                "--size",
                "3"
            ]
        );
    }
}
