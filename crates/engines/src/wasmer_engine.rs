//! wasmer: Cranelift JIT and AOT (serialized modules), WASI through wasmer-wasix.
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use wasmer::sys::{Cranelift, CraneliftOptLevel, EngineBuilder, NativeEngineExt};
use wasmer::{Module, Store};
use wasmer_wasix::runtime::task_manager::tokio::TokioTaskManager;
use wasmer_wasix::virtual_fs::MountFileSystem;
use wasmer_wasix::wasmer_wasix_types::wasi::ExitCode;
use wasmer_wasix::{Pipe, PluggableRuntime, WasiEnv, WasiError};

use crate::wasmer_fs::HostDirectory;
use crate::wasmer_limits::RunLimit;
use crate::wasmer_listing::HostOrderListing;
use crate::{
    EXIT_TRAP, Engine, EngineError, Invocation, Loaded, Mode, Outcome, Phases, Program,
    ProgramKind, StdinMode, StdoutMode, Stopped,
};

const NAME: &str = "wasmer";

/// The magic bytes that open every wasmer artifact (its "universal" serialization format).
pub(crate) const ARTIFACT_MAGIC: &[u8] = b"wasmer-universal";

/// The wasmer engine, embedded. Its engine and the tokio runtime wasmer-wasix needs are made
/// once per process; each run loads the module and gets a fresh store and WASI environment, and
/// a run with a memory limit gets tunables of its own (`wasmer_limits.rs`).
#[derive(Default)]
pub struct WasmerEngine {
    /// Cranelift, for JIT runs and for compiling artifacts.
    compiler: OnceLock<wasmer::Engine>,
    /// No compiler: AOT runs only deserialise artifacts, so they need not set Cranelift up.
    headless: OnceLock<wasmer::Engine>,
    runtime: OnceLock<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for WasmerEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmerEngine").finish_non_exhaustive()
    }
}

fn engine_error(e: impl std::fmt::Display) -> EngineError {
    EngineError::Engine {
        engine: NAME,
        message: e.to_string(),
    }
}

impl WasmerEngine {
    /// The engine with Cranelift at its speed-optimising level.
    pub fn new() -> Self {
        Self::default()
    }

    /// The engine of `mode`, created on first use: Cranelift for JIT (and compiling artifacts),
    /// headless for AOT.
    fn engine(&self, mode: Mode) -> &wasmer::Engine {
        match mode {
            Mode::Aot => self
                .headless
                .get_or_init(|| EngineBuilder::headless().into()),
            _ => self.compiler.get_or_init(|| {
                let mut compiler = Cranelift::new();
                compiler.opt_level(CraneliftOptLevel::Speed);
                EngineBuilder::new(compiler).into()
            }),
        }
    }

    /// The tokio runtime wasmer-wasix does its I/O on, created on first use.
    fn runtime(&self) -> Result<&tokio::runtime::Runtime, EngineError> {
        if let Some(runtime) = self.runtime.get() {
            return Ok(runtime);
        }
        // One worker is enough for a single guest thread.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(engine_error)?;
        Ok(self.runtime.get_or_init(|| runtime))
    }

    fn load_module(
        &self,
        engine: &wasmer::Engine,
        program: &Program,
        mode: Mode,
        phases: &mut Phases,
    ) -> Result<Module, EngineError> {
        let path = &program.path;
        match (mode, program.kind) {
            (Mode::Jit, ProgramKind::WasmModule) => {
                let started = Instant::now();
                let bytes = std::fs::read(path).map_err(|source| EngineError::Read { path: path.clone(), source })?;
                phases.load += started.elapsed();
                let started = Instant::now();
                let module = Module::new(engine, &bytes)
                    .map_err(|e| EngineError::InvalidModule { path: program.source.clone(), reason: e.to_string() })?;
                phases.compile = started.elapsed();
                Ok(module)
            }
            (Mode::Aot, ProgramKind::WasmerArtifact) => {
                let started = Instant::now();
                // SAFETY: the file starts with wasmer's artifact header; `deserialize_from_file`
                // validates the archive and its version before use, and the artifact comes from
                // the AOT cache or `wasmfaas build`.
                let module = unsafe { Module::deserialize_from_file(engine, path) }.map_err(|e| {
                    EngineError::IncompatibleArtifact { path: path.clone(), engine: NAME, reason: e.to_string() }
                })?;
                phases.load += started.elapsed();
                Ok(module)
            }
            (Mode::Aot, ProgramKind::WasmModule) => Err(EngineError::WrongKind {
                path: program.source.clone(),
                problem: "is a module, not a precompiled artifact: compile it first (the AOT cache does this)".into(),
            }),
            (_, ProgramKind::WasmerArtifact) => Err(EngineError::WrongKind {
                path: program.source.clone(),
                problem: format!("is a wasmer precompiled artifact: run it with --mode aot, not --mode {mode}"),
            }),
            (_, kind) => Err(EngineError::WrongKind {
                path: program.source.clone(),
                problem: format!("is {}; wasmer runs WebAssembly modules (.wasm) and its own artifacts", kind.describe()),
            }),
        }
    }
}

impl Engine for WasmerEngine {
    fn name(&self) -> &'static str {
        NAME
    }

    fn version(&self) -> String {
        env!("WASMFAAS_WASMER_VERSION").to_owned()
    }

    fn modes(&self) -> &'static [Mode] {
        &[Mode::Jit, Mode::Aot]
    }

    fn precompile(&self, wasm: &[u8]) -> Result<Vec<u8>, EngineError> {
        let engine = self.engine(Mode::Jit);
        let module = Module::new(engine, wasm).map_err(engine_error)?;
        Ok(module.serialize().map_err(engine_error)?.to_vec())
    }

    fn artifact_fingerprint(&self) -> String {
        format!("{NAME}-{}-cranelift-speed", self.version())
    }

    fn artifact_extension(&self) -> &'static str {
        "wasmer"
    }

    fn can_interrupt(&self) -> bool {
        // wasmer 7.4 has no epoch interruption, and its metering cannot be resumed to check a
        // clock, so a running guest cannot be stopped from inside the process.
        false
    }

    fn load(&self, program: &Program, mode: Mode) -> Result<Loaded, EngineError> {
        self.check_mode(mode)?;
        let mut phases = Phases::default();
        let started = Instant::now();
        // Not the tokio runtime: loading starts no thread, so a process may load and then fork
        // (a container's creator loads from the AOT cache before libcontainer forks its init).
        // The run starts the runtime, and counts it in its instantiate phase.
        let engine = self.engine(mode);
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
        if invocation.limits.timeout.is_some() {
            return Err(engine_error(
                "wasmer cannot interrupt a running guest: enforce the time limit outside the engine",
            ));
        }
        let (program, mut phases) = (&loaded.program, loaded.phases);
        let module: &Module = loaded.module(NAME)?;
        // The store's engine must be the one the module was loaded with.
        let started = Instant::now();
        let (engine, runtime) = (self.engine(loaded.mode), self.runtime()?);
        // Tunables are the engine's, and the engine is shared by every run, so a limited run
        // instantiates through its own handle on it (same compiled code, its own tunables). A
        // run without a limit uses wasmer's tunables, so its memories are wasmer's own.
        let memory_limit = invocation.limits.max_memory.map(RunLimit::new);
        let mut engine = engine.clone();
        if let Some(limit) = &memory_limit {
            engine.set_tunables(limit.tunables());
        }
        EngineError::check_wasi_imports(
            &program.source,
            module
                .imports()
                .map(|import| (import.module().to_owned(), import.name().to_owned())),
        )?;
        // wasmer-wasix reaches tokio through the current runtime handle.
        let _entered = runtime.enter();
        // Each preopen is its own host filesystem, confined to its directory, mounted at the
        // guest path; wasmer's own root holds nothing else.
        let root = MountFileSystem::new();
        for preopen in &invocation.preopens {
            let preopen_error = |reason: String| EngineError::Preopen {
                host: preopen.host.clone(),
                reason,
            };
            let fs = HostDirectory::new(runtime.handle().clone(), &preopen.host)
                .map_err(|e| preopen_error(e.to_string()))?;
            root.mount(&preopen.guest, Arc::new(fs))
                .map_err(|e| preopen_error(e.to_string()))?;
        }
        // wasmer's own runtime for the run, as the builder would make it, with the hook that
        // lists directories in the host's order.
        let mut wasi_runtime =
            PluggableRuntime::new(Arc::new(TokioTaskManager::new(runtime.handle().clone())));
        wasi_runtime
            .set_engine(engine.clone())
            .with_instantiation_hook(HostOrderListing::new(&invocation.preopens));
        let mut builder = WasiEnv::builder(invocation.program_name.as_str())
            .args(&invocation.args)
            .envs(invocation.env.iter().map(|(k, v)| (k, v)))
            .engine(engine.clone())
            .runtime(Arc::new(wasi_runtime))
            .mount_fs(root);
        for preopen in &invocation.preopens {
            builder = builder
                .map_dir(&preopen.guest, &preopen.guest)
                .map_err(|e| EngineError::Preopen {
                    host: preopen.host.clone(),
                    reason: e.to_string(),
                })?;
        }
        if let StdinMode::Bytes(bytes) = &invocation.stdin {
            // The pipe buffers what is written; dropping the writer is the guest's end of file.
            let (mut writer, reader) = Pipe::channel();
            std::io::Write::write_all(&mut writer, bytes).map_err(|e| {
                engine_error(format!("cannot give the guest its standard input: {e}"))
            })?;
            drop(writer);
            builder = builder.stdin(Box::new(reader));
        }
        let mut captured = None;
        if let StdoutMode::Capture { .. } = invocation.stdout {
            let (writer, reader) = Pipe::channel();
            builder = builder.stdout(Box::new(writer));
            captured = Some(reader);
        }
        let mut store = Store::new(engine);
        let (instance, wasi_env) = builder
            .instantiate(module.clone(), &mut store)
            .map_err(|e| match memory_limit.as_ref().and_then(RunLimit::stopped) {
                // wasmer's message buries the refusal under three layers of its own: say it plainly.
                Some(Stopped::MemoryLimit {
                    limit,
                    requested: Some(requested),
                }) => engine_error(format!(
                    "cannot instantiate {}: it asks for {} MiB of memory, over the limit of {} MiB (--max-memory); raise the limit",
                    program.source.display(),
                    requested >> 20,
                    limit >> 20
                )),
                _ => engine_error(e),
            })?;
        let start = instance
            .exports
            .get_function("_start")
            .map_err(|_| EngineError::no_start(&program.source))?;
        phases.instantiate = started.elapsed();

        let started = Instant::now();
        let result = start.call(&mut store, &[]);
        phases.execute = started.elapsed();
        let (mut exit_code, trap) = match result {
            Ok(_) => (0, None),
            Err(e) => match e.downcast_ref::<WasiError>() {
                Some(WasiError::Exit(code)) => (code.raw(), None),
                _ => (EXIT_TRAP, Some(e.display(&mut store).to_string())),
            },
        };
        wasi_env.on_exit(&mut store, Some(ExitCode::from(exit_code as u16)));
        drop(store);
        // A guest whose growth was refused traps or exits non-zero, depending on how it handles
        // the failure; one that copes and exits 0 was not stopped.
        let stopped = memory_limit
            .and_then(|limit| limit.stopped())
            .filter(|_| exit_code != 0);
        if let Some(stopped) = stopped {
            exit_code = stopped.exit_code();
        }
        let stdout = captured.map(|mut reader| {
            let (mut out, mut chunk) = (Vec::new(), vec![0u8; 1 << 16]);
            while let Some(n @ 1..) = reader.try_read(&mut chunk) {
                out.extend_from_slice(&chunk[..n]);
            }
            out
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
