//! wasmfaas-runtime: an OCI runtime with runc's command line, built on youki's libcontainer,
//! that runs WebAssembly workloads in wasmfaas's engines and everything else as normal Linux
//! containers.
//!
//! containerd's `io.containerd.runc.v2` shim drives it as it drives runc (`create`, `start`,
//! `state`, `kill`, `delete`, …). Namespaces, cgroups and the root filesystem are libcontainer's;
//! what runs inside is decided by wasmfaas-container's executor: a WebAssembly module or a
//! precompiled artifact of one of our engines runs in that engine, anything else is exec'd.
//! This crate is the command line over that library: one file per subcommand.

pub mod cli;
pub mod commands;
pub mod logging;
