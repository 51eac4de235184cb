//! `wasmfaas-run-wasmtime`: one WebAssembly program in wasmtime, and nothing else linked.
use wasmfaas_engines::{Engine, WasmtimeEngine};

fn main() -> std::process::ExitCode {
    wasmfaas_runner::main(&wasmfaas_runner::Runner {
        engine: "wasmtime",
        make: |interruptible| -> Box<dyn Engine> {
            Box::new(WasmtimeEngine::with_interruption(interruptible))
        },
    })
}
