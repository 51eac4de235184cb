//! wasmer and wasmi: the module loaded once, a fresh store and instance per request (no pool).
use wasmfaas_engines::{Engine, EngineError, Invocation, Loaded, Mode, Outcome, Program};

use super::Executor;

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

    fn invoke(&self, invocation: &Invocation) -> Result<Outcome, EngineError> {
        let mut outcome = if self.engine.can_interrupt() {
            self.engine.run_loaded(&self.loaded, invocation)?
        } else {
            // The engine refuses a time limit it cannot keep; the gateway keeps it instead.
            let mut unlimited = invocation.clone();
            unlimited.limits.timeout = None;
            self.engine.run_loaded(&self.loaded, &unlimited)?
        };
        // The loading was paid once, at start; the request's phases are its own.
        outcome.phases.load = Default::default();
        outcome.phases.compile = Default::default();
        Ok(outcome)
    }

    fn stops_at_deadline(&self) -> bool {
        self.engine.can_interrupt()
    }
}
