//! wasmer and wasmi: the module loaded once, a fresh store and instance per request (no pool).
use wasmfaas_engines::{Engine, EngineError, Invocation, Loaded, Mode, Program};

use std::sync::Arc;

use super::{Executor, Running, on_blocking_thread};

/// Runs a function in a fresh instance of an engine without a prepare-once path of its own.
pub(super) struct LoadedExecutor {
    engine: Box<dyn Engine>,
    loaded: Loaded,
    mode: Mode,
}

impl LoadedExecutor {
    pub(super) fn new(
        engine: Box<dyn Engine>,
        program: &Program,
        mode: Mode,
    ) -> Result<Self, EngineError> {
        let loaded = engine.load(program, mode)?;
        Ok(Self {
            engine,
            loaded,
            mode,
        })
    }
}

impl Executor for LoadedExecutor {
    fn describe(&self) -> String {
        format!("{}-{}", self.engine.name(), self.mode)
    }

    fn invoke(self: Arc<Self>, mut invocation: Invocation) -> Running {
        if !self.engine.can_interrupt() {
            // The engine refuses a time limit it cannot keep; the gateway keeps it instead.
            invocation.limits.timeout = None;
        }
        on_blocking_thread(move || {
            let mut outcome = self.engine.run_loaded(&self.loaded, &invocation)?;
            // The loading was paid once, at start; the request's phases are its own.
            outcome.phases.load = Default::default();
            outcome.phases.compile = Default::default();
            Ok(outcome)
        })
    }

    fn stops_at_deadline(&self) -> bool {
        self.engine.can_interrupt()
    }
}
