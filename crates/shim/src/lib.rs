//! A containerd shim (task API v2, containerd 1.6 and 1.7) whose containers' init processes run
//! WebAssembly in wasmfaas's engines, and native entrypoints as runc would: the same containers
//! as `wasmfaas-runtime` (the `wasmfaas-container` crate), without runc's chain of a Go shim
//! that execs the runtime binary for each step.
//!
//! One shim process serves a container, or a whole pod when the CRI groups containers by
//! sandbox. Its parts: [`WasmfaasShim`] (how containerd starts and cleans up the shim),
//! [`task::TaskService`] (the task API), [`creator`] (the one step that forks, in a process
//! of its own), [`rootfs`] (the snapshot's mounts), [`events`] (what containerd is told).
//! Why containers are created in a separate, single-threaded process: see the crate's README.

pub mod creator;
pub mod events;
pub mod instance;
pub mod rootfs;
pub mod shim;
pub mod stats;
pub mod task;

pub use shim::WasmfaasShim;

use std::path::PathBuf;

/// Where the shim keeps libcontainer's state of containerd namespace `namespace`: beside runc
/// shim's `/run/containerd/runc/<namespace>`, short enough for the unix sockets inside.
pub fn state_root_of(namespace: &str) -> PathBuf {
    PathBuf::from("/run/containerd/wasmfaas").join(namespace)
}
