//! The subcommands, as runc has them and containerd's runc shim calls them: one file each.
use std::path::PathBuf;

use anyhow::{Result, anyhow};
use libcontainer::container::ContainerStatus;
use wasmfaas_container::StateRoot;

mod create;
mod delete;
mod features;
mod kill;
mod ps;
mod run;
mod start;
mod state;

pub use create::create;
pub use delete::delete;
pub use features::features;
pub use kill::kill;
pub use ps::ps;
pub use run::run;
pub use start::start;
pub use state::state;

/// Where container state lives when `--root` is not given (runc's is /run/runc).
pub const DEFAULT_ROOT: &str = "/run/wasmfaas-runtime";

/// Options every subcommand shares.
#[derive(Debug, Clone)]
pub struct Globals {
    /// The folder of container state (`--root`).
    pub root: StateRoot,
    /// Whether systemd manages the containers' cgroups (`--systemd-cgroup`).
    pub systemd_cgroup: bool,
}

impl Globals {
    /// The state folder `root` (or [`DEFAULT_ROOT`]), created (mode 0700) if missing.
    pub fn new(root: Option<PathBuf>, systemd_cgroup: bool) -> Result<Self> {
        let root = root.unwrap_or_else(|| PathBuf::from(DEFAULT_ROOT));
        let root = StateRoot::open(&root).map_err(|e| anyhow!("--root {e}"))?;
        Ok(Self {
            root,
            systemd_cgroup,
        })
    }
}

/// A container status as runc names it (`created`, `running`, `stopped`).
fn status_name(status: ContainerStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{status:?}").to_lowercase())
}
