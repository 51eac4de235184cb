//! WebAssembly engines, and the native process, behind one trait.
//!
//! An [`Engine`] runs a [`Program`] (a file: a wasm module, a precompiled artifact, or a native
//! executable) with an [`Invocation`] (argv, env, preopened directories, stdio) and reports an
//! [`Outcome`]: the exit code and the time of each phase. Every wasm engine gives the guest the
//! same WASI view, so that differences between engines are the engines' own.
//!
//! Engines are found through [`registry`]: adding one is adding one module and one line there.

mod aot_cache;
mod epoch;
mod error;
mod invocation;
mod limits;
mod native;
mod program;
#[cfg(feature = "wasmedge")]
mod wasmedge_engine;
#[cfg(feature = "wasmedge")]
mod wasmedge_library;
mod wasmer_engine;
mod wasmer_fs;
mod wasmer_limits;
mod wasmer_listing;
mod wasmi_engine;
mod wasmtime_engine;

use std::time::Duration;

pub use aot_cache::AotCache;
pub use error::EngineError;
pub use invocation::{Invocation, Preopen, StdinMode, StdoutMode};
pub use limits::{EXIT_MEMORY_LIMIT, EXIT_TIMEOUT, Limits, Stopped, parse_bytes};
pub use native::{NativeEngine, run_command};
pub use program::{Program, ProgramKind};
#[cfg(feature = "wasmedge")]
pub use wasmedge_engine::WasmEdgeEngine;
pub use wasmer_engine::WasmerEngine;
pub use wasmi_engine::WasmiEngine;
pub use wasmtime_engine::{Pool, Prepared, WasmtimeEngine};

/// Exit code reported when the guest traps (as the wasmtime CLI does: 128 + SIGABRT).
pub const EXIT_TRAP: i32 = 134;

/// How an engine gets machine code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// Compiled when loaded, by the optimising compiler.
    Jit,
    /// Compiled ahead of time into an artifact that is loaded, not compiled, at run time.
    Aot,
    /// Compiled when loaded by a fast, non-optimising baseline compiler (wasmtime's Winch).
    Baseline,
    /// Interpreted.
    Interp,
    /// Native code run as an OS process: the engine is the CPU.
    Native,
}

impl Mode {
    /// The name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Jit => "jit",
            Mode::Aot => "aot",
            Mode::Baseline => "baseline",
            Mode::Interp => "interp",
            Mode::Native => "native",
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Mode::Jit,
            Mode::Aot,
            Mode::Baseline,
            Mode::Interp,
            Mode::Native,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
        .ok_or_else(|| format!("unknown mode {s:?}: expected jit, aot, baseline, interp or native"))
    }
}

/// Time spent in each phase of one run. A phase an engine does not have stays zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Phases {
    /// Creating the engine and reading or mapping the program (for AOT: deserialising it).
    pub load: Duration,
    /// Compiling the module (JIT and baseline modes).
    pub compile: Duration,
    /// Linking WASI and instantiating the module (for native: spawning the process).
    pub instantiate: Duration,
    /// Running the program to its exit.
    pub execute: Duration,
}

impl Phases {
    /// The sum of all phases.
    pub fn total(&self) -> Duration {
        self.load + self.compile + self.instantiate + self.execute
    }
}

/// What one run produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The guest's exit code ([`EXIT_TRAP`] after a trap; 128 + signal for a killed process).
    pub exit_code: i32,
    /// The trap message, when the guest trapped.
    pub trap: Option<String>,
    /// Standard output, when the invocation asked to capture it.
    pub stdout: Option<Vec<u8>>,
    /// Set when wasmfaas stopped the run at one of its limits.
    pub stopped: Option<Stopped>,
    /// Time of each phase.
    pub phases: Phases,
}

/// A program an engine has loaded (read, compiled or deserialised) and not yet run.
///
/// Loading and running are separate so that a host can do the first ahead of time: an OCI
/// runtime loads at `create` and runs at `start`, so the two costs can be told apart.
pub struct Loaded {
    /// The program loaded.
    pub program: Program,
    /// The mode it was loaded for.
    pub mode: Mode,
    /// The engine's own module (`None` for engines that load nothing ahead of the run).
    pub(crate) module: Option<Box<dyn std::any::Any + Send + Sync>>,
    /// The time spent so far: `load` and `compile`.
    pub phases: Phases,
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded")
            .field("program", &self.program)
            .field("mode", &self.mode)
            .field("phases", &self.phases)
            .finish_non_exhaustive()
    }
}

impl Loaded {
    /// The engine's module of type `T`, or an error if `engine` did not load this program.
    pub(crate) fn module<T: 'static>(&self, engine: &'static str) -> Result<&T, EngineError> {
        self.module
            .as_ref()
            .and_then(|m| m.downcast_ref::<T>())
            .ok_or_else(|| EngineError::Engine {
                engine,
                message: format!(
                    "{} was loaded by another engine; load it with {engine}",
                    self.program.source.display()
                ),
            })
    }
}

/// One way of executing programs: a WebAssembly engine, or the native process launcher.
pub trait Engine: Send + Sync {
    /// The engine's name on the command line and in reports (`wasmtime`, `native`, …).
    fn name(&self) -> &'static str;
    /// The version of the engine (the crate version for embedded engines).
    fn version(&self) -> String;
    /// The modes this engine supports, the default first.
    fn modes(&self) -> &'static [Mode];
    /// Compiles a wasm module ahead of time into this engine's artifact for `mode`.
    fn precompile(&self, wasm: &[u8]) -> Result<Vec<u8>, EngineError>;
    /// A fingerprint of everything an AOT artifact depends on: engine version and configuration.
    /// Artifacts are cached under it, so a new version or configuration never reuses an old one.
    fn artifact_fingerprint(&self) -> String;
    /// The file extension of this engine's AOT artifacts, without the dot.
    fn artifact_extension(&self) -> &'static str;
    /// Whether this engine can stop a running guest at its time limit by itself. For one that
    /// cannot, the caller must enforce `--timeout` (the CLI ends the whole process).
    fn can_interrupt(&self) -> bool {
        true
    }
    /// The error for a mode this engine does not have, naming the ones it has.
    fn unsupported_mode(&self, mode: Mode) -> EngineError {
        EngineError::UnsupportedMode {
            engine: self.name(),
            mode,
            supported: self
                .modes()
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
    /// Refuses a mode this engine does not have.
    fn check_mode(&self, mode: Mode) -> Result<(), EngineError> {
        if self.modes().contains(&mode) {
            Ok(())
        } else {
            Err(self.unsupported_mode(mode))
        }
    }
    /// Runs `program` in `mode` to its exit: [`Engine::load`], then [`Engine::run_loaded`]. An
    /// engine implements either this or those two (the defaults call each other).
    fn run(
        &self,
        program: &Program,
        mode: Mode,
        invocation: &Invocation,
    ) -> Result<Outcome, EngineError> {
        let loaded = self.load(program, mode)?;
        self.run_loaded(&loaded, invocation)
    }
    /// Loads `program` for `mode` without running it: reads it and compiles it (JIT, baseline,
    /// interp) or deserialises it (AOT), so that errors in the program show here and
    /// [`Engine::run_loaded`] only instantiates and executes. An engine that cannot load ahead
    /// of the run keeps the program and loads it in `run_loaded`. Deserialising an artifact
    /// starts no thread, so a process may load one and then fork (the shim's creator does);
    /// compiling may (Cranelift compiles in parallel).
    fn load(&self, program: &Program, mode: Mode) -> Result<Loaded, EngineError> {
        Ok(Loaded {
            program: program.clone(),
            mode,
            module: None,
            phases: Phases::default(),
        })
    }
    /// Runs a program [`Engine::load`] loaded; the outcome's phases include the loading's.
    fn run_loaded(&self, loaded: &Loaded, invocation: &Invocation) -> Result<Outcome, EngineError> {
        self.run(&loaded.program, loaded.mode, invocation)
    }
}

/// Every engine compiled into this build, by name.
pub fn registry() -> Vec<Box<dyn Engine>> {
    registry_with(false)
}

/// Every engine, made interruptible (so runs can have a time limit) when `interruptible` is set.
/// Interruptible engines generate slower code, so benchmarks use the plain ones.
pub fn registry_with(interruptible: bool) -> Vec<Box<dyn Engine>> {
    #[allow(unused_mut)]
    let mut engines: Vec<Box<dyn Engine>> = vec![
        Box::new(NativeEngine),
        Box::new(WasmtimeEngine::with_interruption(interruptible)),
        Box::new(WasmiEngine::with_interruption(interruptible)),
        Box::new(WasmerEngine::new()),
    ];
    // Only in builds with the `wasmedge` feature (it loads a WasmEdge built from source). It
    // cannot interrupt a guest either way, like wasmer.
    #[cfg(feature = "wasmedge")]
    engines.push(Box::new(WasmEdgeEngine::new()));
    engines
}

/// The engines of this build that compile ahead of time, in registry order: those whose
/// artifacts `wasmfaas build` precompiles and images carry (wasmtime and wasmer, and WasmEdge in
/// builds with the `wasmedge` feature).
pub fn aot_engines() -> Vec<Box<dyn Engine>> {
    registry()
        .into_iter()
        .filter(|e| e.modes().contains(&Mode::Aot))
        .collect()
}

/// The engine called `name`, or an error listing the engines there are.
pub fn engine(name: &str) -> Result<Box<dyn Engine>, EngineError> {
    engine_with(name, false)
}

/// The engine called `name`, interruptible if asked (see [`registry_with`]).
pub fn engine_with(name: &str, interruptible: bool) -> Result<Box<dyn Engine>, EngineError> {
    let mut engines = registry_with(interruptible);
    match engines.iter().position(|e| e.name() == name) {
        Some(i) => Ok(engines.swap_remove(i)),
        None => Err(EngineError::UnknownEngine {
            name: name.to_owned(),
            known: engines
                .iter()
                .map(|e| e.name())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_engine_refuses_a_mode_it_lacks_and_names_the_ones_it_has() {
        let all = [
            Mode::Jit,
            Mode::Aot,
            Mode::Baseline,
            Mode::Interp,
            Mode::Native,
        ];
        for engine in registry() {
            for mode in all.iter().filter(|m| !engine.modes().contains(m)) {
                let message = engine.check_mode(*mode).unwrap_err().to_string();
                let modes: Vec<_> = engine.modes().iter().map(|m| m.as_str()).collect();
                assert_eq!(
                    message,
                    format!(
                        "engine {} has no mode {mode}: use one of {}",
                        engine.name(),
                        modes.join(", ")
                    )
                );
            }
            for mode in engine.modes() {
                assert!(engine.check_mode(*mode).is_ok(), "{}", engine.name());
            }
        }
    }

    #[test]
    fn a_run_reports_the_phases_it_went_through() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        let wasm =
            wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "_start")))"#)
                .unwrap();
        let module = dir.join("empty.wasm");
        std::fs::write(&module, &wasm).unwrap();
        let cache = AotCache::new(dir.join("cache"));
        for engine in registry().iter().filter(|e| e.name() != "native") {
            for &mode in engine.modes() {
                let program = match mode {
                    Mode::Aot => cache.artifact_for(engine.as_ref(), &module).unwrap(),
                    _ => Program::open(&module).unwrap(),
                };
                let outcome = engine.run(&program, mode, &Invocation::default()).unwrap();
                let phases = outcome.phases;
                let what = format!("{}-{mode}: {phases:?}", engine.name());
                assert_eq!(outcome.exit_code, 0, "{what}");
                // A phase the run went through took some time; one it has not stays zero.
                assert!(phases.load > Duration::ZERO, "{what}");
                assert!(phases.instantiate > Duration::ZERO, "{what}");
                assert!(phases.execute > Duration::ZERO, "{what}");
                match mode {
                    Mode::Jit | Mode::Baseline => {
                        assert!(phases.compile > Duration::ZERO, "{what}")
                    }
                    Mode::Aot => assert_eq!(phases.compile, Duration::ZERO, "{what}"),
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn running_in_a_mode_the_engine_lacks_fails_before_reading_the_program() {
        let missing = Program {
            path: "/nonexistent/module.wasm".into(),
            source: "/nonexistent/module.wasm".into(),
            kind: ProgramKind::WasmModule,
        };
        for (name, mode) in [("wasmi", Mode::Jit), ("wasmer", Mode::Interp)] {
            let engine = engine(name).unwrap();
            let error = engine
                .run(&missing, mode, &Invocation::default())
                .unwrap_err();
            assert!(
                matches!(error, EngineError::UnsupportedMode { .. }),
                "{name}: {error}"
            );
        }
    }
}
