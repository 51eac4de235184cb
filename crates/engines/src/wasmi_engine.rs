//! wasmi: an interpreter (it translates wasm into its own register bytecode, then interprets it).
//! It stands in for the paper's WasmEdge interpreter mode.
use std::sync::OnceLock;
use std::time::Instant;

use wasmi::{Linker, Module, Store};
use wasmi_wasi::WasiCtx;
use wasmi_wasi::wasi_common::pipe::WritePipe;

use crate::{
    EXIT_TRAP, Engine, EngineError, Invocation, Mode, Outcome, Phases, Program, ProgramKind,
    StdoutMode,
};

const NAME: &str = "wasmi";

/// The wasmi interpreter, embedded. Like [`crate::WasmtimeEngine`], its engine and WASI linker
/// are made once per process; each run translates the module and gets a fresh store.
#[derive(Default)]
pub struct WasmiEngine {
    ready: OnceLock<(wasmi::Engine, Linker<WasiCtx>)>,
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

    fn engine(&self) -> Result<&(wasmi::Engine, Linker<WasiCtx>), EngineError> {
        if let Some(ready) = self.ready.get() {
            return Ok(ready);
        }
        let engine = wasmi::Engine::default();
        let mut linker = Linker::new(&engine);
        wasmi_wasi::add_to_linker(&mut linker, |cx| cx).map_err(engine_error)?;
        Ok(self.ready.get_or_init(|| (engine, linker)))
    }
}

/// The WASI context of one run, and the pipe that captures its stdout when asked to.
fn wasi_context(
    invocation: &Invocation,
) -> Result<(WasiCtx, Option<WritePipe<std::io::Cursor<Vec<u8>>>>), EngineError> {
    let mut builder = wasmi_wasi::WasiCtxBuilder::new();
    builder.args(&invocation.argv()).map_err(engine_error)?;
    builder.envs(&invocation.env).map_err(engine_error)?;
    builder.inherit_stdin().inherit_stderr();
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
        Err(EngineError::UnsupportedMode {
            engine: NAME,
            mode: Mode::Aot,
            supported: "interp".into(),
        })
    }

    fn artifact_fingerprint(&self) -> String {
        format!("{NAME}-{}", self.version())
    }

    fn artifact_extension(&self) -> &'static str {
        ""
    }

    fn run(
        &self,
        program: &Program,
        mode: Mode,
        invocation: &Invocation,
    ) -> Result<Outcome, EngineError> {
        if mode != Mode::Interp {
            return Err(EngineError::UnsupportedMode {
                engine: NAME,
                mode,
                supported: "interp".into(),
            });
        }
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
        let (engine, linker) = self.engine()?;
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

        let started = Instant::now();
        let (context, captured) = wasi_context(invocation)?;
        let mut store = Store::new(engine, context);
        for import in module.imports() {
            if !import.module().starts_with("wasi_snapshot_preview1") {
                return Err(EngineError::UnknownImport {
                    path: program.source.clone(),
                    reason: format!(
                        "the module imports `{}::{}`, which is not provided",
                        import.module(),
                        import.name()
                    ),
                });
            }
        }
        let instance = linker
            .instantiate_and_start(&mut store, &module)
            .map_err(|e| match e.kind() {
                wasmi::errors::ErrorKind::Linker(_) => EngineError::UnknownImport {
                    path: program.source.clone(),
                    reason: e.to_string(),
                },
                _ => engine_error(e),
            })?;
        let start = instance
            .get_typed_func::<(), ()>(&store, "_start")
            .map_err(|_| EngineError::WrongKind {
                path: program.source.clone(),
                problem: "exports no `_start` function: it is not a WASI command module".into(),
            })?;
        phases.instantiate = started.elapsed();

        let started = Instant::now();
        let result = start.call(&mut store, ());
        phases.execute = started.elapsed();
        let (exit_code, trap) = match result {
            Ok(()) => (0, None),
            Err(e) => match e.i32_exit_status() {
                Some(code) => (code, None),
                None => (EXIT_TRAP, Some(e.to_string())),
            },
        };
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
        })
    }
}
