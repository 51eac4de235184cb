//! `containerd-shim-wasmfaas-v1`: containerd runs it for `--runtime io.containerd.wasmfaas.v1`.

fn main() {
    if let Some(code) = wasmfaas_shim::creator::run_if_asked() {
        std::process::exit(code);
    }
    containerd_shim::run::<wasmfaas_shim::WasmfaasShim>(wasmfaas_names::SHIM_RUNTIME, None);
}
