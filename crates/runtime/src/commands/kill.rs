//! `kill`: a signal to a container's init process, or to all of its processes.
use anyhow::{Result, anyhow};
use libcontainer::signal::Signal;
use wasmfaas_container::ContainerError;

use super::{Globals, status_name};

/// Sends `signal` (a name or number) to the init process, or with `all` to every process of
/// the container.
pub fn kill(id: &str, signal: &str, all: bool, globals: &Globals) -> Result<()> {
    let mut container = globals.root.load(id)?;
    let signal = Signal::try_from(signal).map_err(|_| {
        anyhow!("kill {id}: unknown signal {signal:?}; use a name (SIGTERM, KILL) or a number (15)")
    })?;
    if !container.can_kill() {
        // containerd's shim recognises these words as "already gone".
        return Err(ContainerError::WrongState {
            id: id.to_owned(),
            operation: "kill",
            why: format!(
                "container not running (it is {})",
                status_name(container.status())
            ),
        }
        .into());
    }
    container
        .kill(signal, all)
        .map_err(|e| ContainerError::libcontainer(id, "kill", &e).into())
}
