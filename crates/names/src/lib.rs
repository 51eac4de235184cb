//! The names wasmfaas shares with containerd, runtimes and images: each is written here once,
//! and the runtime, the OCI images, the bench and the tests use it from here.

/// Annotations of an image or a container's bundle.
pub mod annotation {
    /// A WebAssembly image in the compat form containerd's wasm shims know (`compat`,
    /// `compat-smart`).
    pub const VARIANT: &str = "module.wasm.image/variant";
    /// The engine of a WebAssembly container (crun's annotation; wasmfaas-runtime reads
    /// `wasmtime`, `wasmer`, `wasmi`, `wasmedge`, or `wasm` for its default).
    pub const HANDLER: &str = "run.oci.handler";
    /// The engine's mode for a WebAssembly container: `jit`, `aot`, `baseline`, `interp`.
    pub const MODE: &str = "wasmfaas.mode";
}

/// The OCI runtime binary that runs WebAssembly containers (runc's command line).
pub const RUNTIME_BINARY: &str = "wasmfaas-runtime";

/// containerd's runc shim, which the `containerd` launcher drives.
pub const RUNC_SHIM_RUNTIME: &str = "io.containerd.runc.v2";

/// The platform of a WebAssembly image (`os/architecture`).
pub const WASM_PLATFORM: &str = "wasip1/wasm";

/// The containerd namespace of the bench's images and containers on a user's containerd.
pub const CONTAINERD_NAMESPACE: &str = "wasmfaas";

/// The prefix of every container (and so runtime state and cgroup) a bench creates.
pub const CONTAINER_PREFIX: &str = "wasmfaas-";

/// The containerd runtime name of wasmfaas's shim (`ctr run --runtime`, a CRI `runtime_type`);
/// containerd runs it as [`SHIM_BINARY`].
pub const SHIM_RUNTIME: &str = "io.containerd.wasmfaas.v1";

/// The shim's binary, which containerd looks up on PATH from [`SHIM_RUNTIME`].
pub const SHIM_BINARY: &str = "containerd-shim-wasmfaas-v1";

/// The binary that creates the shim's containers and runs their WebAssembly: it links the
/// engines, so the shim, which containerd starts three times per container, need not. It is
/// installed beside [`SHIM_BINARY`].
pub const SHIM_CREATOR_BINARY: &str = "wasmfaas-shim-creator";

/// The annotation by which the CRI groups a pod's containers: one shim serves a whole pod.
pub const CRI_SANDBOX_ID: &str = "io.kubernetes.cri.sandbox-id";
