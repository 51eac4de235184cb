//! What runs one request: a fresh WebAssembly instance, or a fresh native process.
//!
//! Every executor is made once per function when the gateway starts (the module read and
//! compiled, the artifact deserialised, the WASI linking done where the engine allows it), so a
//! request pays only for its own instance or process.
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use wasmfaas_engines::{AotCache, EngineError, Invocation, Mode, Outcome, Pool, Program};

use crate::functions::{Code, FunctionSpec};

mod container;
mod loaded;
mod process;
mod wasmtime;

pub use container::Containers;

/// A run of one request, as a task of the gateway's runtime.
pub type Running = Pin<Box<dyn Future<Output = Result<Outcome, EngineError>> + Send>>;

/// Runs requests of one function, each in a fresh instance or process.
pub trait Executor: Send + Sync {
    /// What it is, as the log and the metrics name it: `wasmtime-aot`, `native`, …
    fn describe(&self) -> String;
    /// Runs one request to its end: a wasmtime guest as an async task that yields at every
    /// epoch tick; other engines and processes on a blocking thread.
    fn invoke(self: Arc<Self>, invocation: Invocation) -> Running;
    /// Whether a run stops by itself at its time limit. For one that cannot (wasmer), the gateway
    /// answers at the deadline and the run keeps its slot until it ends.
    fn stops_at_deadline(&self) -> bool {
        true
    }
    /// Whether what runs sees the host's paths (a native process), so its folders are given as
    /// host paths; a WebAssembly guest or a container sees them at fixed guest paths.
    fn sees_host_paths(&self) -> bool {
        false
    }
}

/// The engines the gateway's executors share: one wasmtime engine, so all functions draw their
/// instances from one pool of `pool.instances` slots.
pub struct Engines {
    wasmtime: Arc<wasmfaas_engines::WasmtimeEngine>,
    cache: AotCache,
    containers: Option<Arc<Containers>>,
}

impl Engines {
    /// The engines for a gateway that runs at most `pool.instances` requests at once, compiling
    /// AOT artifacts of modules through `cache`.
    pub fn new(pool: Pool, cache: AotCache) -> Self {
        Self {
            wasmtime: Arc::new(wasmfaas_engines::WasmtimeEngine::serving(pool)),
            cache,
            containers: None,
        }
    }

    /// Runs every function in a fresh container per request, through `containers`.
    pub fn in_containers(mut self, containers: Containers) -> Self {
        self.containers = Some(Arc::new(containers));
        self
    }

    /// Removes what the gateway's containers left (requests cut off at its end).
    pub fn remove_leftover_containers(&self) {
        if let Some(containers) = &self.containers {
            containers.remove_leftovers();
        }
    }

    /// The executor of `spec`, with its module compiled and linked now.
    pub fn executor(&self, spec: &FunctionSpec) -> Result<Box<dyn Executor>, EngineError> {
        if let Some(containers) = &self.containers {
            let mut spec = spec.clone();
            if let (Code::Module(wasm), Mode::Aot) = (&spec.code, spec.mode) {
                // The container gets the engine's artifact, compiled once through the cache.
                let engine = wasmfaas_engines::engine(&spec.engine)?;
                spec.code = Code::Artifact(self.cache.artifact_for(engine.as_ref(), wasm)?.path);
            }
            return Ok(Box::new(container::ContainerExecutor::new(
                containers.clone(),
                &spec,
            )?));
        }
        match spec.engine.as_str() {
            "native" => Ok(Box::new(process::ProcessExecutor::new(program_of(
                spec,
                None,
                &self.cache,
            )?)?)),
            "wasmtime" => {
                let program = program_of(spec, Some(self.wasmtime.as_ref()), &self.cache)?;
                Ok(Box::new(wasmtime::WasmtimeExecutor::new(
                    self.wasmtime.clone(),
                    &program,
                    spec.mode,
                )?))
            }
            other => {
                let engine = wasmfaas_engines::engine_with(other, true)?;
                let program = program_of(spec, Some(engine.as_ref()), &self.cache)?;
                Ok(Box::new(loaded::LoadedExecutor::new(
                    engine, &program, spec.mode,
                )?))
            }
        }
    }
}

/// The program `spec` runs on `engine`: for AOT from a module, the engine's artifact of it,
/// compiled once through the cache.
fn program_of(
    spec: &FunctionSpec,
    engine: Option<&dyn wasmfaas_engines::Engine>,
    cache: &AotCache,
) -> Result<Program, EngineError> {
    match (&spec.code, spec.mode, engine) {
        (Code::Module(wasm), Mode::Aot, Some(engine)) => cache.artifact_for(engine, wasm),
        (code, _, _) => Program::open(code.path()),
    }
}

/// Runs `run` on a blocking thread: for engines whose guests cannot yield to other tasks.
fn on_blocking_thread(
    run: impl FnOnce() -> Result<Outcome, EngineError> + Send + 'static,
) -> Running {
    Box::pin(async move {
        tokio::task::spawn_blocking(run).await.unwrap_or_else(|e| {
            Err(EngineError::Engine {
                engine: "serve",
                message: format!("the run ended abnormally: {e}"),
            })
        })
    })
}
