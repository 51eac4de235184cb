//! `wasmfaas-run-wasmer`: one WebAssembly program in wasmer, and nothing else linked.
use wasmfaas_engines::{Engine, WasmerEngine};

fn main() -> std::process::ExitCode {
    wasmfaas_runner::main(&wasmfaas_runner::Runner {
        engine: "wasmer",
        // wasmer cannot interrupt a guest: a time limit ends the whole process instead.
        make: |_interruptible| -> Box<dyn Engine> { Box::new(WasmerEngine::new()) },
    })
}
