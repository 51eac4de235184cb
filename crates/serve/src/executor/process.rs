//! A native process per request: fork/exec of the binary, the body on its stdin, as OpenFaaS's
//! classic watchdog runs a function.
use wasmfaas_engines::{Engine, EngineError, Invocation, Mode, NativeEngine, Program, ProgramKind};

use std::sync::Arc;

use super::{Executor, Running, on_blocking_thread};

/// Runs a function as a fresh native process.
pub(super) struct ProcessExecutor {
    program: Program,
}

impl ProcessExecutor {
    pub(super) fn new(program: Program) -> Result<Self, EngineError> {
        if program.kind != ProgramKind::Elf {
            return Err(EngineError::WrongKind {
                path: program.path.clone(),
                problem: format!(
                    "is {}; engine \"native\" runs native executables",
                    program.kind.describe()
                ),
            });
        }
        Ok(Self { program })
    }
}

impl Executor for ProcessExecutor {
    fn describe(&self) -> String {
        "native".into()
    }

    fn invoke(self: Arc<Self>, invocation: Invocation) -> Running {
        on_blocking_thread(move || NativeEngine.run(&self.program, Mode::Native, &invocation))
    }

    fn sees_host_paths(&self) -> bool {
        true
    }
}
