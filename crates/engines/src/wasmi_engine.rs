//! wasmi: an interpreter (it translates wasm into its own register bytecode, then interprets it).
//! It stands in for the paper's WasmEdge interpreter mode.
use std::sync::OnceLock;
use std::time::Instant;

use wasmi::{Linker, Module, Store, TypedResumableCall};
use wasmi_wasi::WasiCtx;
use wasmi_wasi::wasi_common::pipe::{ReadPipe, WritePipe};

use crate::limits::MemoryGuard;
use crate::{
    EXIT_TRAP, Engine, EngineError, Invocation, Loaded, Mode, Outcome, Phases, Program,
    ProgramKind, StdinMode, StdoutMode, Stopped,
};

/// A guest's standard output kept in memory.
type CapturedStdout = WritePipe<std::io::Cursor<Vec<u8>>>;

/// Fuel given to a time-limited guest at a time; between slices the deadline is checked.
const FUEL_SLICE: u64 = 50_000_000;

/// What a store holds for one run: the guest's WASI context and its memory guard.
struct RunState {
    wasi: WasiCtx,
    memory: MemoryGuard,
}

const NAME: &str = "wasmi";

/// The wasmi interpreter, embedded. Like [`crate::WasmtimeEngine`], its engine and WASI linker
/// are made once per process; each run translates the module and gets a fresh store.
///
/// An engine made [`WasmiEngine::interruptible`] meters fuel, so a run can be stopped at its time
/// limit (checked every [`FUEL_SLICE`] units); metering costs speed, so only runs with
/// `--timeout` use it.
#[derive(Default)]
pub struct WasmiEngine {
    interruptible: bool,
    ready: OnceLock<(wasmi::Engine, Linker<RunState>)>,
}

impl std::fmt::Debug for WasmiEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmiEngine").finish_non_exhaustive()
    }
}

fn engine_error(e: impl std::fmt::Display) -> EngineError {
    EngineError::Engine {
        engine: NAME,
        message: e.to_string(),
    }
}

impl WasmiEngine {
    /// The interpreter with wasmi's default configuration (SIMD enabled).
    pub fn new() -> Self {
        Self::default()
    }

    /// The interpreter with fuel metering, so runs can have a time limit.
    pub fn interruptible() -> Self {
        Self::with_interruption(true)
    }

    /// [`WasmiEngine::interruptible`] when `interruptible` is set, else [`WasmiEngine::new`].
    pub fn with_interruption(interruptible: bool) -> Self {
        Self {
            interruptible,
            ..Self::default()
        }
    }

    fn engine(&self) -> Result<&(wasmi::Engine, Linker<RunState>), EngineError> {
        if let Some(ready) = self.ready.get() {
            return Ok(ready);
        }
        let mut config = wasmi::Config::default();
        config.consume_fuel(self.interruptible);
        let engine = wasmi::Engine::new(&config);
        let mut linker = Linker::new(&engine);
        wasmi_wasi::add_to_linker(&mut linker, |state: &mut RunState| &mut state.wasi)
            .map_err(engine_error)?;
        Ok(self.ready.get_or_init(|| (engine, linker)))
    }
}

/// The WASI context of one run, and the pipe that captures its stdout when asked to.
fn wasi_context(invocation: &Invocation) -> Result<(WasiCtx, Option<CapturedStdout>), EngineError> {
    let mut builder = wasmi_wasi::WasiCtxBuilder::new();
    builder.args(&invocation.argv()).map_err(engine_error)?;
    builder.envs(&invocation.env).map_err(engine_error)?;
    builder.inherit_stderr();
    match &invocation.stdin {
        StdinMode::Inherit => {
            builder.inherit_stdin();
        }
        StdinMode::Bytes(bytes) => {
            builder.stdin(Box::new(ReadPipe::from(bytes.to_vec())));
        }
    }
    let captured = match invocation.stdout {
        StdoutMode::Inherit => {
            builder.inherit_stdout();
            None
        }
        StdoutMode::Capture { .. } => {
            let pipe = WritePipe::new_in_memory();
            builder.stdout(Box::new(pipe.clone()));
            Some(pipe)
        }
    };
    for preopen in &invocation.preopens {
        let dir = wasmi_wasi::Dir::open_ambient_dir(&preopen.host, wasmi_wasi::ambient_authority())
            .map_err(|e| EngineError::Preopen {
                host: preopen.host.clone(),
                reason: e.to_string(),
            })?;
        builder
            .preopened_dir(dir, &preopen.guest)
            .map_err(|e| EngineError::Preopen {
                host: preopen.host.clone(),
                reason: e.to_string(),
            })?;
    }
    Ok((builder.build(), captured))
}

impl Engine for WasmiEngine {
    fn name(&self) -> &'static str {
        NAME
    }

    fn version(&self) -> String {
        env!("WASMFAAS_WASMI_VERSION").to_owned()
    }

    fn modes(&self) -> &'static [Mode] {
        &[Mode::Interp]
    }

    fn precompile(&self, _wasm: &[u8]) -> Result<Vec<u8>, EngineError> {
        Err(self.unsupported_mode(Mode::Aot))
    }

    fn artifact_fingerprint(&self) -> String {
        format!("{NAME}-{}", self.version())
    }

    fn artifact_extension(&self) -> &'static str {
        ""
    }

    fn load(&self, program: &Program, mode: Mode) -> Result<Loaded, EngineError> {
        self.check_mode(mode)?;
        if program.kind != ProgramKind::WasmModule {
            return Err(EngineError::WrongKind {
                path: program.source.clone(),
                problem: format!(
                    "is {}; wasmi interprets WebAssembly modules (.wasm)",
                    program.kind.describe()
                ),
            });
        }
        let mut phases = Phases::default();
        let started = Instant::now();
        let (engine, _) = self.engine()?;
        let bytes = std::fs::read(&program.path).map_err(|source| EngineError::Read {
            path: program.path.clone(),
            source,
        })?;
        phases.load = started.elapsed();

        let started = Instant::now();
        let module = Module::new(engine, &bytes).map_err(|e| EngineError::InvalidModule {
            path: program.source.clone(),
            reason: e.to_string(),
        })?;
        phases.compile = started.elapsed();

        Ok(Loaded {
            program: program.clone(),
            mode,
            module: Some(Box::new(module)),
            phases,
        })
    }

    fn run_loaded(&self, loaded: &Loaded, invocation: &Invocation) -> Result<Outcome, EngineError> {
        let (program, mut phases) = (&loaded.program, loaded.phases);
        let module: &Module = loaded.module(NAME)?;
        let (engine, linker) = self.engine()?;
        let started = Instant::now();
        let (wasi, captured) = wasi_context(invocation)?;
        let limits = invocation.limits;
        let memory = MemoryGuard::new(limits.max_memory);
        let mut store = Store::new(engine, RunState { wasi, memory });
        store.limiter(|state| &mut state.memory);
        if self.interruptible {
            let fuel = if limits.timeout.is_some() {
                FUEL_SLICE
            } else {
                u64::MAX
            };
            store.set_fuel(fuel).map_err(engine_error)?;
        } else if limits.timeout.is_some() {
            return Err(engine_error(
                "a time limit needs an interruptible engine (WasmiEngine::interruptible)",
            ));
        }
        EngineError::check_wasi_imports(
            &program.source,
            module
                .imports()
                .map(|import| (import.module().to_owned(), import.name().to_owned())),
        )?;
        let instance = linker
            .instantiate_and_start(&mut store, module)
            .map_err(|e| match e.kind() {
                wasmi::errors::ErrorKind::Linker(_) => EngineError::UnknownImport {
                    path: program.source.clone(),
                    reason: e.to_string(),
                },
                _ => engine_error(e),
            })?;
        let start = instance
            .get_typed_func::<(), ()>(&store, "_start")
            .map_err(|_| EngineError::no_start(&program.source))?;
        phases.instantiate = started.elapsed();

        let started = Instant::now();
        let deadline = limits.timeout.map(|timeout| started + timeout);
        let mut timed_out = false;
        let mut call = start.call_resumable(&mut store, ());
        let exit = |e: &wasmi::Error| match e.i32_exit_status() {
            Some(code) => (code, None),
            None => (EXIT_TRAP, Some(e.to_string())),
        };
        let (mut exit_code, trap) = loop {
            match call {
                Err(e) => break exit(&e),
                Ok(TypedResumableCall::Finished(())) => break (0, None),
                Ok(TypedResumableCall::HostTrap(trap)) => break exit(trap.host_error()),
                Ok(TypedResumableCall::OutOfFuel(more)) => {
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        timed_out = true;
                        break (EXIT_TRAP, None);
                    }
                    store.set_fuel(FUEL_SLICE).map_err(engine_error)?;
                    call = more.resume(&mut store);
                }
            }
        };
        phases.execute = started.elapsed();
        let mut stopped = if timed_out {
            limits.timeout.map(Stopped::Timeout)
        } else {
            None
        };
        if stopped.is_none() && exit_code != 0 {
            stopped = store.data().memory.stopped();
        }
        if let Some(stopped) = stopped {
            exit_code = stopped.exit_code();
        }
        let trap = if stopped.is_some() { None } else { trap };
        drop(store);
        let stdout = captured.map(|pipe| {
            pipe.try_into_inner()
                .map(|cursor| cursor.into_inner())
                .unwrap_or_default()
        });
        Ok(Outcome {
            exit_code,
            trap,
            stdout,
            phases,
            stopped,
        })
    }
}
