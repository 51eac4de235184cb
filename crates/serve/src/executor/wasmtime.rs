//! wasmtime: the module linked once (`InstancePre`), a fresh store and pooled instance per request.
use std::sync::Arc;

use wasmfaas_engines::{Engine, EngineError, Invocation, Mode, Prepared, Program, WasmtimeEngine};

use super::{Executor, Running};

/// Runs a function in a fresh wasmtime instance from the shared pool.
pub(super) struct WasmtimeExecutor {
    engine: Arc<WasmtimeEngine>,
    prepared: Prepared,
    mode: Mode,
}

impl WasmtimeExecutor {
    pub(super) fn new(
        engine: Arc<WasmtimeEngine>,
        program: &Program,
        mode: Mode,
    ) -> Result<Self, EngineError> {
        let loaded = engine.load(program, mode)?;
        let prepared = engine.prepare(&loaded)?;
        Ok(Self {
            engine,
            prepared,
            mode,
        })
    }
}

impl Executor for WasmtimeExecutor {
    fn describe(&self) -> String {
        format!("wasmtime-{}", self.mode)
    }

    fn invoke(self: Arc<Self>, invocation: Invocation) -> Running {
        Box::pin(async move {
            self.engine
                .run_prepared_async(&self.prepared, &invocation)
                .await
        })
    }
}
