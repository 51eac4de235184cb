//! wasmfaas-runtime: an OCI runtime with runc's command line, built on youki's libcontainer,
//! that runs WebAssembly workloads in wasmfaas's engines and everything else as normal Linux
//! containers.
//!
//! containerd's `io.containerd.runc.v2` shim drives it as it drives runc (`create`, `start`,
//! `state`, `kill`, `delete`, …). Namespaces, cgroups and the root filesystem are libcontainer's;
//! what runs inside is decided by [`executor::RuntimeExecutor`]: a WebAssembly module or a
//! precompiled artifact of one of our engines runs in that engine (see [`workload`]), anything
//! else is exec'd.

pub mod cli;
pub mod commands;
pub mod executor;
pub mod logging;
pub mod workload;
