//! `delete`: removes a container's processes, cgroup and state.
use anyhow::Result;
use libcontainer::container::ContainerStatus;
use wasmfaas_container::ContainerError;

use super::{Globals, status_name};

/// Removes a stopped or created (or, with `force`, any) container; with `force`, a container
/// that is already gone is not an error.
pub fn delete(id: &str, force: bool, globals: &Globals) -> Result<()> {
    if force && !globals.root.container_dir(id).exists() {
        return Ok(());
    }
    let mut container = globals.root.load(id)?;
    if !force
        && !matches!(
            container.status(),
            ContainerStatus::Stopped | ContainerStatus::Created
        )
    {
        return Err(ContainerError::WrongState {
            id: id.to_owned(),
            operation: "delete",
            why: format!(
                "it is {}; stop it first (kill) or use delete --force",
                status_name(container.status())
            ),
        }
        .into());
    }
    container
        .delete(force)
        .map_err(|e| ContainerError::libcontainer(id, "delete", &e).into())
}
