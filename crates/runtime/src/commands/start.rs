//! `start`: runs the workload of a created container.
use anyhow::Result;
use libcontainer::container::ContainerStatus;
use wasmfaas_container::ContainerError;

use super::{Globals, status_name};

/// Starts container `id`, which must be `created`.
pub fn start(id: &str, globals: &Globals) -> Result<()> {
    let mut container = globals.root.load(id)?;
    if container.status() != ContainerStatus::Created {
        return Err(ContainerError::WrongState {
            id: id.to_owned(),
            operation: "start",
            why: format!(
                "it is {}, and only a created container can start",
                status_name(container.status())
            ),
        }
        .into());
    }
    container
        .start()
        .map_err(|e| ContainerError::libcontainer(id, "start", &e).into())
}
