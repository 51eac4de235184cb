//! `containerd-shim-wasmfaas-v1`: containerd runs it for `--runtime io.containerd.wasmfaas.v1`.
//! It creates containers with `wasmfaas-shim-creator` and links no engine itself.

fn main() {
    containerd_shim::run::<wasmfaas_shim::WasmfaasShim>(wasmfaas_names::SHIM_RUNTIME, None);
}
