//! What this machine offers the launchers: root, runc, containerd and ctr, the Debian base, and
//! the project's own binaries (the runtime, the shim, the lean runners).
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wasmfaas_names::{RUNTIME_BINARY, SHIM_BINARY, SHIM_CREATOR_BINARY};
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
    /// containerd-shim-wasmfaas-v1, wasmfaas's containerd shim, or why there is none.
    pub shim: Result<PathBuf, String>,
    /// Whether the Debian base is cached or can be built here, or why not.
    pub debian: Result<(), String>,
    /// The lean runner of each engine that has one built (`wasmfaas-run-wasmtime`, …), which
    /// `process` runs WebAssembly with; an engine without one runs as `wasmfaas run`.
    pub runners: BTreeMap<String, PathBuf>,
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
            runtime: find_companion(RUNTIME_BINARY),
            shim: find_companion(SHIM_BINARY).and_then(|shim| with_its_creator(&shim)),
            debian,
            runners: wasmfaas_runner::RUNNERS
                .iter()
                .filter_map(|(engine, binary)| {
                    find_companion(binary)
                        .ok()
                        .map(|path| (engine.to_string(), path))
                })
                .collect(),
        }
    }

    /// Whether `launcher` can run WebAssembly containers here (through wasmfaas-runtime, or
    /// wasmfaas's shim for `containerd-shim`), or why not.
    pub fn ready_for_wasm(&self, launcher: LauncherKind) -> Result<(), String> {
        self.ready(launcher)?;
        let companion = match launcher {
            LauncherKind::ContainerdShim => &self.shim,
            _ => &self.runtime,
        };
        companion.as_ref().map(|_| ()).map_err(Clone::clone)
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
            LauncherKind::Containerd | LauncherKind::ContainerdShim
                if self.containerd.is_none() || self.ctr.is_none() =>
            {
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

/// The shim at `shim` if its creator is beside it, as the shim looks for it.
fn with_its_creator(shim: &Path) -> Result<PathBuf, String> {
    let creator = shim.with_file_name(SHIM_CREATOR_BINARY);
    if creator.is_file() {
        return Ok(shim.to_path_buf());
    }
    Err(format!(
        "{} is not beside {}, and the shim creates containers with it (cargo build --release --workspace --bin {SHIM_BINARY} --bin {SHIM_CREATOR_BINARY})",
        creator.display(),
        shim.display()
    ))
}

/// A binary of the project's (`wasmfaas-runtime`, the shim, a runner) beside the running
/// executable (as cargo builds them), else on PATH.
fn find_companion(binary: &str) -> Result<PathBuf, String> {
    std::env::current_exe()
        .ok()
        .map(|exe| exe.with_file_name(binary))
        .filter(|candidate| candidate.is_file())
        .or_else(|| find_tool(binary))
        .ok_or_else(|| {
            format!(
                "{binary} is not built (`wasmfaas bench` builds it when it runs WebAssembly \
                 containers; or: cargo build --release --workspace --bin {binary})"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shim_without_its_creator_beside_it_is_not_ready_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let shim = dir.path().join(SHIM_BINARY);
        std::fs::write(&shim, "").unwrap();
        let reason = with_its_creator(&shim).unwrap_err();
        assert!(
            reason.contains(SHIM_CREATOR_BINARY) && reason.contains("--bin"),
            "{reason}"
        );
        std::fs::write(dir.path().join(SHIM_CREATOR_BINARY), "").unwrap();
        assert_eq!(with_its_creator(&shim), Ok(shim));
    }
}
