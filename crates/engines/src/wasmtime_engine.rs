//! wasmtime: Cranelift JIT, AOT artifacts (`.cwasm`), and the Winch baseline compiler.
use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

use wasmtime::{
    Config, InstanceAllocationStrategy, InstancePre, Linker, Module, PoolingAllocationConfig,
    Store, Strategy,
};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

use crate::epoch::{self, EpochTicker};
use crate::limits::MemoryGuard;
use crate::{
    EXIT_TRAP, Engine, EngineError, Invocation, Loaded, Mode, Outcome, Phases, Program,
    ProgramKind, StdinMode, StdoutMode, Stopped,
};

/// What a store holds for one run: the guest's WASI context and its memory guard.
struct RunState {
    wasi: WasiP1Ctx,
    memory: MemoryGuard,
}

const NAME: &str = "wasmtime";

/// How much of a pooled memory or table stays mapped between instances (a Rust hello uses
/// about 1.1 MiB of memory).
const KEEP_RESIDENT: usize = 2 << 20;

/// The wasmtime engine, embedded.
///
/// Like a serverless host, it creates wasmtime's engine (compiler settings, code registry) and
/// its WASI linker once per process and strategy; every run gets a fresh module load, store and
/// instance. The run that creates them counts that time in its `load` phase.
///
/// An engine made [`WasmtimeEngine::interruptible`] compiles code that checks an epoch counter, so
/// a run can be stopped at its time limit; that costs a little speed, so only runs with
/// `--timeout` use it (its AOT artifacts differ too, and are cached apart).
///
/// An engine made [`WasmtimeEngine::serving`] is interruptible and takes its instances from a
/// pool of preallocated slots, with copy-on-write memory images: what a server that makes a
/// fresh instance per request uses, with [`WasmtimeEngine::prepare`] done once per module.
#[derive(Default)]
pub struct WasmtimeEngine {
    interruptible: bool,
    pool: Option<Pool>,
    ticker: EpochTicker,
    cranelift: OnceLock<(wasmtime::Engine, Linker<RunState>)>,
    winch: OnceLock<(wasmtime::Engine, Linker<RunState>)>,
    /// AOT runs only load artifacts: an engine without a compiler starts faster (no Cranelift
    /// set up) and cannot compile anything by mistake.
    loader: OnceLock<(wasmtime::Engine, Linker<RunState>)>,
}

/// The size of a serving engine's instance pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool {
    /// How many instances may be alive at once (a server's concurrency limit).
    pub instances: u32,
    /// The most bytes one instance's linear memory may grow to, a ceiling above any per-run
    /// [`crate::Limits::max_memory`].
    pub max_memory: u64,
}

impl Pool {
    /// The most a pooled linear memory may grow to: wasmtime's default memory reservation
    /// (4 GiB, all of a 32-bit memory), which a pool slot cannot exceed.
    pub const MAX_MEMORY: u64 = 4 << 30;
}

/// A module linked to WASI once, instantiated afresh by each [`WasmtimeEngine::run_prepared`].
pub struct Prepared {
    program: Program,
    pre: InstancePre<RunState>,
    phases: Phases,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("program", &self.program)
            .field("phases", &self.phases)
            .finish_non_exhaustive()
    }
}

impl Prepared {
    /// The program prepared.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The time its loading and preparing took.
    pub fn phases(&self) -> Phases {
        self.phases
    }
}

impl std::fmt::Debug for WasmtimeEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmtimeEngine").finish_non_exhaustive()
    }
}

impl WasmtimeEngine {
    /// The engine with wasmtime's default, optimising configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// The engine with epoch interruption compiled in, so runs can have a time limit.
    pub fn interruptible() -> Self {
        Self::with_interruption(true)
    }

    /// [`WasmtimeEngine::interruptible`] when `interruptible` is set, else [`WasmtimeEngine::new`].
    pub fn with_interruption(interruptible: bool) -> Self {
        Self {
            interruptible,
            ..Self::default()
        }
    }

    /// An interruptible engine whose instances come from a pool of `pool.instances` slots.
    pub fn serving(pool: Pool) -> Self {
        Self {
            interruptible: true,
            pool: Some(pool),
            ..Self::default()
        }
    }

    /// The configuration of one strategy; `None` is the compiler-less loader of AOT runs.
    fn config(&self, strategy: Option<Strategy>) -> Config {
        let mut config = Config::new();
        match strategy {
            Some(strategy) => {
                config.strategy(strategy);
            }
            // Cargo enables Cranelift for the whole workspace; this turns it off at run time.
            None => {
                config.enable_compiler(false);
            }
        }
        config.epoch_interruption(self.interruptible);
        if let Some(pool) = self.pool {
            let mut pooling = PoolingAllocationConfig::default();
            pooling
                .total_core_instances(pool.instances)
                .total_memories(pool.instances)
                .total_tables(pool.instances)
                .total_stacks(pool.instances)
                // A slot given back is zeroed by memset up to these sizes, not by madvise: a
                // small guest's next instance then takes no page faults, and the server's
                // threads no TLB shootdowns (a quarter of a loaded server's time without it).
                .linear_memory_keep_resident(KEEP_RESIDENT)
                .table_keep_resident(KEEP_RESIDENT)
                .max_memory_size(
                    usize::try_from(pool.max_memory.min(Pool::MAX_MEMORY)).unwrap_or(usize::MAX),
                );
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
        }
        config
    }

    /// The engine and WASI linker of `mode`'s strategy, created on first use: Cranelift for
    /// JIT, Winch for baseline, no compiler for AOT.
    fn engine(&self, mode: Mode) -> Result<&(wasmtime::Engine, Linker<RunState>), EngineError> {
        let (cell, strategy) = match mode {
            Mode::Jit => (&self.cranelift, Some(Strategy::Cranelift)),
            Mode::Aot => (&self.loader, None),
            Mode::Baseline => (&self.winch, Some(Strategy::Winch)),
            mode => return Err(self.unsupported_mode(mode)),
        };
        if let Some(ready) = cell.get() {
            return Ok(ready);
        }
        let engine = wasmtime::Engine::new(&self.config(strategy)).map_err(|e| engine_error(&e))?;
        let mut linker: Linker<RunState> = Linker::new(&engine);
        // A serving engine's guests run as async tasks, so its WASI is the async one.
        let linked = if self.pool.is_some() {
            p1::add_to_linker_async(&mut linker, |state: &mut RunState| &mut state.wasi)
        } else {
            p1::add_to_linker_sync(&mut linker, |state: &mut RunState| &mut state.wasi)
        };
        linked.map_err(|e| engine_error(&e))?;
        Ok(cell.get_or_init(|| (engine, linker)))
    }

    fn load_module(
        &self,
        engine: &wasmtime::Engine,
        program: &Program,
        mode: Mode,
        phases: &mut Phases,
    ) -> Result<Module, EngineError> {
        let path = &program.path;
        match (mode, program.kind) {
            (Mode::Jit | Mode::Baseline, ProgramKind::WasmModule) => {
                let started = Instant::now();
                let bytes = std::fs::read(path).map_err(|source| EngineError::Read { path: path.clone(), source })?;
                phases.load += started.elapsed();
                let started = Instant::now();
                let module = Module::from_binary(engine, &bytes)
                    .map_err(|e| EngineError::InvalidModule { path: path.clone(), reason: root_cause(&e) })?;
                phases.compile = started.elapsed();
                Ok(module)
            }
            (Mode::Aot, ProgramKind::WasmtimeArtifact) => {
                let started = Instant::now();
                // SAFETY: the file is a wasmtime artifact (checked by its bytes) that wasmtime
                // verifies against this engine's version and configuration before use; it must
                // come from a trusted source, which the AOT cache or `wasmfaas build` is.
                let module = unsafe { Module::deserialize_file(engine, path) }.map_err(|e| EngineError::IncompatibleArtifact {
                    path: path.clone(),
                    engine: NAME,
                    reason: root_cause(&e),
                })?;
                phases.load += started.elapsed();
                Ok(module)
            }
            (Mode::Aot, ProgramKind::WasmModule) => Err(EngineError::WrongKind {
                path: path.clone(),
                problem: "is a module, not a precompiled artifact: compile it first (the AOT cache does this)".into(),
            }),
            (_, ProgramKind::WasmtimeArtifact) => Err(EngineError::WrongKind {
                path: path.clone(),
                problem: format!("is a wasmtime precompiled artifact: run it with --mode aot, not --mode {mode}"),
            }),
            (_, kind) => Err(EngineError::WrongKind {
                path: path.clone(),
                problem: format!("is {}; wasmtime runs WebAssembly modules (.wasm) and its own .cwasm artifacts", kind.describe()),
            }),
        }
    }
}

fn engine_error(e: &wasmtime::Error) -> EngineError {
    EngineError::Engine {
        engine: NAME,
        message: format!("{e:#}"),
    }
}

/// The innermost message of an error chain, which is where wasmtime says what is wrong.
fn root_cause(e: &wasmtime::Error) -> String {
    e.chain().last().map(|c| c.to_string()).unwrap_or_default()
}

fn wasi_context(
    invocation: &Invocation,
) -> Result<(WasiP1Ctx, Option<MemoryOutputPipe>), EngineError> {
    let mut builder = WasiCtxBuilder::new();
    builder
        .args(&invocation.argv())
        .envs(&invocation.env)
        .inherit_stderr()
        // Synchronous embedding: file I/O on this thread, not handed to a blocking pool.
        .allow_blocking_current_thread(true);
    match &invocation.stdin {
        StdinMode::Inherit => {
            builder.inherit_stdin();
        }
        StdinMode::Bytes(bytes) => {
            builder.stdin(MemoryInputPipe::new(bytes.to_vec()));
        }
    }
    let captured = match invocation.stdout {
        StdoutMode::Inherit => {
            builder.inherit_stdout();
            None
        }
        StdoutMode::Capture { limit } => {
            let pipe = MemoryOutputPipe::new(limit);
            builder.stdout(pipe.clone());
            Some(pipe)
        }
    };
    for preopen in &invocation.preopens {
        builder
            .preopened_dir(&preopen.host, &preopen.guest, FsPerms::ReadWrite)
            .map_err(|e| EngineError::Preopen {
                host: preopen.host.clone(),
                reason: root_cause(&e),
            })?;
    }
    Ok((builder.build_p1(), captured))
}

/// Refuses a module that imports anything the linker does not define, naming the import.
fn check_imports(
    path: &Path,
    module: &Module,
    linker: &Linker<RunState>,
) -> Result<(), EngineError> {
    // The linker looks names up in a store; this one holds nothing and runs nothing.
    let state = RunState {
        wasi: WasiCtxBuilder::new().build_p1(),
        memory: MemoryGuard::default(),
    };
    let mut store = Store::new(module.engine(), state);
    for import in module.imports() {
        if linker
            .get(&mut store, import.module(), import.name())
            .is_err()
        {
            return Err(EngineError::UnknownImport {
                path: path.to_path_buf(),
                reason: format!(
                    "the module imports `{}::{}`, which is not provided",
                    import.module(),
                    import.name()
                ),
            });
        }
    }
    Ok(())
}

impl Engine for WasmtimeEngine {
    fn name(&self) -> &'static str {
        NAME
    }

    fn version(&self) -> String {
        env!("WASMFAAS_WASMTIME_VERSION").to_owned()
    }

    fn modes(&self) -> &'static [Mode] {
        &[Mode::Jit, Mode::Aot, Mode::Baseline]
    }

    fn precompile(&self, wasm: &[u8]) -> Result<Vec<u8>, EngineError> {
        // The artifacts AOT runs load are Cranelift's, compiled as a JIT run would.
        let (engine, _) = self.engine(Mode::Jit)?;
        engine.precompile_module(wasm).map_err(|e| engine_error(&e))
    }

    fn artifact_fingerprint(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        if let Ok((engine, _)) = self.engine(Mode::Jit) {
            engine.precompile_compatibility_hash().hash(&mut hasher);
        }
        format!("{NAME}-{}-{:016x}", self.version(), hasher.finish())
    }

    fn artifact_extension(&self) -> &'static str {
        "cwasm"
    }

    fn load(&self, program: &Program, mode: Mode) -> Result<Loaded, EngineError> {
        let mut phases = Phases::default();
        let started = Instant::now();
        let (engine, _) = self.engine(mode)?;
        phases.load = started.elapsed();
        let module = self.load_module(engine, program, mode, &mut phases)?;
        Ok(Loaded {
            program: program.clone(),
            mode,
            module: Some(Box::new(module)),
            phases,
        })
    }

    fn run_loaded(&self, loaded: &Loaded, invocation: &Invocation) -> Result<Outcome, EngineError> {
        let prepared = self.prepare(loaded)?;
        let mut outcome = self.run_prepared(&prepared, invocation)?;
        // The run's own phases, plus the loading, compiling and linking before it.
        outcome.phases.load += prepared.phases.load;
        outcome.phases.compile += prepared.phases.compile;
        outcome.phases.instantiate += prepared.phases.instantiate;
        Ok(outcome)
    }
}

impl WasmtimeEngine {
    /// Links a loaded module to WASI, once: each [`WasmtimeEngine::run_prepared`] (or, for a
    /// serving engine, [`WasmtimeEngine::run_prepared_async`]) then only makes a store and an
    /// instance. The linking counts in the `instantiate` phase of [`Prepared::phases`].
    pub fn prepare(&self, loaded: &Loaded) -> Result<Prepared, EngineError> {
        let (program, mut phases) = (&loaded.program, loaded.phases);
        let module: &Module = loaded.module(NAME)?;
        let (_, linker) = self.engine(loaded.mode)?;
        let started = Instant::now();
        // Only a module that does not link is checked import by import, for the clear message:
        // the check needs a store of its own, which a run that links need not pay for.
        let pre = linker.instantiate_pre(module).map_err(|e| {
            check_imports(&program.source, module, linker)
                .err()
                .unwrap_or_else(|| engine_error(&e))
        })?;
        phases.instantiate = started.elapsed();
        Ok(Prepared {
            program: program.clone(),
            pre,
            phases,
        })
    }

    /// Runs a prepared module in a fresh store and instance on this thread; the outcome's phases
    /// are this run's alone (not the loading and linking of [`Prepared::phases`]).
    pub fn run_prepared(
        &self,
        prepared: &Prepared,
        invocation: &Invocation,
    ) -> Result<Outcome, EngineError> {
        if self.pool.is_some() {
            return Err(engine_error(&wasmtime::Error::msg(
                "a serving engine runs its guests with run_prepared_async",
            )));
        }
        let started = Instant::now();
        let mut run = self.new_run(prepared, invocation)?;
        let limits = invocation.limits;
        if self.interruptible {
            let deadline = match limits.timeout {
                Some(timeout) => {
                    self.ticker.ensure_running(run.store.engine());
                    EpochTicker::ticks(timeout)
                }
                None => epoch::NEVER,
            };
            run.store.set_epoch_deadline(deadline);
            run.store.epoch_deadline_trap();
        } else if limits.timeout.is_some() {
            return Err(engine_error(&wasmtime::Error::msg(
                "a time limit needs an interruptible engine (WasmtimeEngine::interruptible)",
            )));
        }
        let instance = prepared
            .pre
            .instantiate(&mut run.store)
            .map_err(|e| instantiate_error(&e, &prepared.program, limits))?;
        let start = start_of(&mut run.store, instance, &prepared.program)?;
        run.phases.instantiate = started.elapsed();
        let started = Instant::now();
        let result = start.call(&mut run.store, ());
        run.phases.execute = started.elapsed();
        Ok(run.outcome(result, limits))
    }

    /// Runs a prepared module of a [`WasmtimeEngine::serving`] engine in a fresh pooled instance,
    /// as a task of the caller's async runtime: the guest yields to other tasks at every epoch
    /// tick, and stops at its time limit.
    pub async fn run_prepared_async(
        &self,
        prepared: &Prepared,
        invocation: &Invocation,
    ) -> Result<Outcome, EngineError> {
        if self.pool.is_none() {
            return Err(engine_error(&wasmtime::Error::msg(
                "only a serving engine (WasmtimeEngine::serving) runs guests asynchronously",
            )));
        }
        let started = Instant::now();
        let mut run = self.new_run(prepared, invocation)?;
        let limits = invocation.limits;
        // Every tick, the guest yields; past its deadline, it is interrupted.
        self.ticker.ensure_running(run.store.engine());
        let deadline = limits.timeout.map(|timeout| started + timeout);
        run.store.set_epoch_deadline(1);
        run.store.epoch_deadline_callback(move |_| {
            Ok(match deadline {
                Some(deadline) if Instant::now() >= deadline => wasmtime::UpdateDeadline::Interrupt,
                _ => wasmtime::UpdateDeadline::Yield(1),
            })
        });
        let instance = prepared
            .pre
            .instantiate_async(&mut run.store)
            .await
            .map_err(|e| instantiate_error(&e, &prepared.program, limits))?;
        let start = start_of(&mut run.store, instance, &prepared.program)?;
        run.phases.instantiate = started.elapsed();
        let started = Instant::now();
        let result = start.call_async(&mut run.store, ()).await;
        run.phases.execute = started.elapsed();
        Ok(run.outcome(result, limits))
    }

    fn new_run(&self, prepared: &Prepared, invocation: &Invocation) -> Result<Run, EngineError> {
        let (wasi, captured) = wasi_context(invocation)?;
        let memory = MemoryGuard::new(invocation.limits.max_memory);
        let mut store = Store::new(prepared.pre.module().engine(), RunState { wasi, memory });
        store.limiter(|state| &mut state.memory);
        Ok(Run {
            store,
            captured,
            phases: Phases::default(),
        })
    }
}

/// One run's store, captured stdout and phases, until its outcome.
struct Run {
    store: Store<RunState>,
    captured: Option<MemoryOutputPipe>,
    phases: Phases,
}

impl Run {
    /// The outcome of the guest's `_start` returning `result`.
    fn outcome(self, result: wasmtime::Result<()>, limits: crate::Limits) -> Outcome {
        let mut stopped = self.store.data().memory.stopped();
        let (mut exit_code, trap) = match result {
            Ok(()) => (0, None),
            Err(e) => match e.downcast_ref::<I32Exit>() {
                Some(exit) => (exit.0, None),
                // Only an epoch deadline interrupts, and only runs with a time limit have one.
                None if e.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt) => {
                    stopped = limits.timeout.map(Stopped::Timeout);
                    (EXIT_TRAP, None)
                }
                None => (EXIT_TRAP, Some(format!("{e:#}"))),
            },
        };
        if let Some(stopped) = stopped.filter(|_| exit_code != 0) {
            exit_code = stopped.exit_code();
        } else {
            stopped = None;
        }
        drop(self.store);
        Outcome {
            exit_code,
            trap,
            stdout: self.captured.map(|pipe| pipe.contents().to_vec()),
            phases: self.phases,
            stopped,
        }
    }
}

/// The guest's `_start`, or the error that it has none.
fn start_of(
    store: &mut Store<RunState>,
    instance: wasmtime::Instance,
    program: &Program,
) -> Result<wasmtime::TypedFunc<(), ()>, EngineError> {
    instance
        .get_typed_func::<(), ()>(store, "_start")
        .map_err(|_| EngineError::no_start(&program.source))
}

/// The error of an instantiation that failed: a memory the limit cannot hold, or a pool with no
/// free slot, said as such.
fn instantiate_error(e: &wasmtime::Error, program: &Program, limits: crate::Limits) -> EngineError {
    let message = format!("{e:#}");
    if message.contains("maximum concurrent") || message.contains("pooling allocator") {
        return EngineError::Engine {
            engine: NAME,
            message: format!(
                "cannot instantiate {}: no free slot in the instance pool ({message})",
                program.source.display()
            ),
        };
    }
    match limits.max_memory {
        Some(limit) if message.contains("memory") => EngineError::Engine {
            engine: NAME,
            message: format!(
                "cannot instantiate {}: its initial memory does not fit the limit of {} MiB ({message})",
                program.source.display(),
                limit >> 20
            ),
        },
        _ => engine_error(e),
    }
}
