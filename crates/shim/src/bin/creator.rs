//! `wasmfaas-shim-creator`: the shim runs it to create each container (see `creator.rs`).

fn main() {
    std::process::exit(wasmfaas_shim::creator::main());
}
