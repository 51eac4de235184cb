//! What this machine offers the container launchers: root, runc, containerd and ctr, and the
//! Debian base.
use std::path::{Path, PathBuf};

use wasmfaas_names::RUNTIME_BINARY;
use wasmfaas_oci::{DebianBase, find_tool};

use crate::LauncherKind;

/// The container tools found here, probed once.
#[derive(Debug, Clone)]
pub struct Host {
    /// Running as root (runc and containerd need it: rootless containers are not set up).
    pub root: bool,
    /// The runc binary.
    pub runc: Option<PathBuf>,
    /// The containerd daemon.
    pub containerd: Option<PathBuf>,
    /// containerd's command-line client.
    pub ctr: Option<PathBuf>,
    /// wasmfaas-runtime, the OCI runtime that runs WebAssembly containers, or why there is none.
    pub runtime: Result<PathBuf, String>,
    /// Whether the Debian base is cached or can be built here, or why not.
    pub debian: Result<(), String>,
}

impl Host {
    /// Probes this machine; the Debian base is looked for in `base_cache`.
    pub fn probe(base_cache: &Path) -> Host {
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        let debian = if DebianBase::cached(base_cache).is_some() {
            Ok(())
        } else if find_tool("debootstrap").is_none() {
            Err("the Debian base is not built and debootstrap is not installed (apt-get install debootstrap)".into())
        } else if !root {
            Err("the Debian base is not built and debootstrap needs root (run `wasmfaas images` once as root)".into())
        } else {
            Ok(())
        };
        Host {
            root,
            runc: find_tool("runc"),
            containerd: find_tool("containerd"),
            ctr: find_tool("ctr"),
            runtime: find_runtime(),
            debian,
        }
    }

    /// Whether `launcher` can run WebAssembly containers here (through wasmfaas-runtime), or
    /// why not.
    pub fn ready_for_wasm(&self, launcher: LauncherKind) -> Result<(), String> {
        self.ready(launcher)?;
        self.runtime.as_ref().map(|_| ()).map_err(Clone::clone)
    }

    /// Whether `launcher` can run containers here, or why not.
    pub fn ready(&self, launcher: LauncherKind) -> Result<(), String> {
        let missing = |tool: &str, package: &str| {
            Err(format!(
                "{tool} is not installed (apt-get install {package})"
            ))
        };
        match launcher {
            LauncherKind::Embedded | LauncherKind::Process => return Ok(()),
            LauncherKind::Oci | LauncherKind::Containerd if self.runc.is_none() => {
                return missing("runc", "runc");
            }
            LauncherKind::Containerd if self.containerd.is_none() || self.ctr.is_none() => {
                return missing("containerd (and its ctr)", "containerd");
            }
            _ => {}
        }
        if !self.root {
            return Err(format!(
                "the {} launcher creates containers, which needs root here (rootless containers are not set up): run the bench as root",
                launcher.as_str()
            ));
        }
        Ok(())
    }
}

/// wasmfaas-runtime beside the running executable (as cargo builds them), else on PATH.
fn find_runtime() -> Result<PathBuf, String> {
    std::env::current_exe()
        .ok()
        .map(|exe| exe.with_file_name(RUNTIME_BINARY))
        .filter(|candidate| candidate.is_file())
        .or_else(|| find_tool(RUNTIME_BINARY))
        .ok_or_else(|| {
            "wasmfaas-runtime is not built (`wasmfaas bench` builds it when it runs WebAssembly \
             containers; or: cargo build --release -p wasmfaas-runtime)"
                .into()
        })
}
