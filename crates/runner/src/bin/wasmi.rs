//! `wasmfaas-run-wasmi`: one WebAssembly program in the wasmi interpreter, and nothing else linked.
use wasmfaas_engines::{Engine, WasmiEngine};

fn main() -> std::process::ExitCode {
    wasmfaas_runner::main(&wasmfaas_runner::Runner {
        engine: "wasmi",
        make: |interruptible| -> Box<dyn Engine> {
            Box::new(WasmiEngine::with_interruption(interruptible))
        },
    })
}
