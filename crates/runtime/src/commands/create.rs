//! `create`: a container in state `created`, its workload loaded and waiting for `start`.
use anyhow::Result;
use wasmfaas_container::NewContainer;

use super::Globals;

/// Creates the container of `args` (detached, as containerd's shim asks).
pub fn create(args: &liboci_cli::Create, globals: &Globals) -> Result<()> {
    wasmfaas_container::build(
        &NewContainer {
            id: &args.container_id,
            bundle: &args.bundle,
            pid_file: args.pid_file.as_ref(),
            console_socket: args.console_socket.as_ref(),
            preserve_fds: args.preserve_fds,
            no_pivot: args.no_pivot,
            detach: true,
            systemd_cgroup: globals.systemd_cgroup,
        },
        &globals.root,
    )?;
    Ok(())
}
