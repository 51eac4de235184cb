//! Containers whose init process runs WebAssembly in wasmfaas's engines, built on youki's
//! libcontainer: what wasmfaas-runtime (runc's command line) and a containerd shim share.
//!
//! libcontainer sets up namespaces, cgroups, mounts, rlimits and seccomp as the bundle's
//! `config.json` says; [`executor::RuntimeExecutor`] decides in the init process what runs
//! there: a WebAssembly module or a precompiled artifact of one of our engines runs in that
//! engine (see [`workload`]), anything else is exec'd as runc would.

pub mod builder;
pub mod bundle;
pub mod cgroup;
pub mod error;
pub mod executor;
pub mod precompiled;
pub mod state_root;
pub mod workload;

pub use builder::{NewContainer, Stdio, build, build_with_stdio};
pub use cgroup::{processes, statistics};
pub use error::{ContainerError, explain};
pub use precompiled::{CacheUse, Precompiled, precompile};
pub use state_root::StateRoot;
