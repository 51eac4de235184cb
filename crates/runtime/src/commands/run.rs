//! `run`: create, start, wait and delete, in the foreground.
use anyhow::{Context, Result, anyhow, bail};
use wasmfaas_container::{ContainerError, NewContainer};

use super::Globals;

/// `run`: create, start, wait for the container's exit and delete it; returns its exit code
/// (128 + the signal for a killed one). With `detach`, returns once it is started.
pub fn run(args: &liboci_cli::Run, globals: &Globals) -> Result<i32> {
    let mut container = wasmfaas_container::build(
        &NewContainer {
            id: &args.container_id,
            bundle: &args.bundle,
            pid_file: args.pid_file.as_ref(),
            console_socket: args.console_socket.as_ref(),
            preserve_fds: args.preserve_fds,
            no_pivot: args.no_pivot,
            detach: args.detach,
            systemd_cgroup: globals.systemd_cgroup,
        },
        &globals.root,
    )?;
    let id = &args.container_id;
    if let Err(e) = container.start() {
        container.delete(true).ok();
        return Err(ContainerError::libcontainer(id, "start", &e).into());
    }
    if args.detach {
        return Ok(0);
    }
    let pid = container
        .pid()
        .ok_or_else(|| anyhow!("container {id} has no init process"))?;
    let code = wait_forwarding_signals(pid);
    if !args.keep {
        container
            .delete(true)
            .map_err(|e| ContainerError::libcontainer(id, "delete", &e))?;
    }
    code
}

/// Waits for the init process (a child of this process) to exit, passing on the signals this
/// process gets, as runc does in the foreground.
fn wait_forwarding_signals(init: nix::unistd::Pid) -> Result<i32> {
    use nix::sys::signal::{SigSet, Signal as S, kill};
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    let mut signals = SigSet::empty();
    for s in [
        S::SIGCHLD,
        S::SIGINT,
        S::SIGTERM,
        S::SIGHUP,
        S::SIGQUIT,
        S::SIGUSR1,
        S::SIGUSR2,
    ] {
        signals.add(s);
    }
    signals.thread_block().context("blocking signals")?;
    loop {
        // Checked before each wait: a SIGCHLD that came before the block is lost.
        match waitpid(init, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(code),
            Ok(WaitStatus::Signaled(_, signal, _)) => return Ok(128 + signal as i32),
            Ok(_) => {}
            Err(nix::errno::Errno::ECHILD) => {
                bail!("the container's init process {init} is not a child of this process")
            }
            Err(e) => bail!("waiting for the container's init process {init}: {e}"),
        }
        match signals.wait().context("waiting for signals")? {
            S::SIGCHLD => {}
            other => {
                kill(init, other).ok();
            }
        }
    }
}
