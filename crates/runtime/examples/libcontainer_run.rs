//! libcontainer's own cost: a `run` (create, start, wait, delete) of a bundle with libcontainer
//! 0.7 and its default executor, in a binary that links nothing else, so that its start costs
//! what a small Rust program's does and not what wasmfaas-runtime's engines make it cost.
//!
//! Its time less `container_setup_floor`'s is the work libcontainer adds to the kernel's; see
//! the runtime's README ("Start-up cost, and what bounds it"):
//!
//! ```text
//! cargo build --release --workspace --example libcontainer_run --example container_setup_floor
//! hyperfine -N 'target/release/examples/libcontainer_run ROOT BUNDLE' \
//!     'target/release/examples/container_setup_floor BUNDLE'
//! ```
//!
//! Linux only, as root; each run uses a fresh container id under ROOT.

use anyhow::{Context, Result, anyhow};
use libcontainer::container::builder::ContainerBuilder;
use libcontainer::syscall::syscall::SyscallType;
use libcontainer::workload::default::DefaultExecutor;
use nix::sys::wait::{WaitStatus, waitpid};

fn main() {
    match run() {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            eprintln!("libcontainer_run: {error:#}");
            std::process::exit(1);
        }
    }
}

fn run() -> Result<i32> {
    let mut args = std::env::args().skip(1);
    let (Some(root), Some(bundle)) = (args.next(), args.next()) else {
        return Err(anyhow!("usage: libcontainer_run ROOT BUNDLE"));
    };
    let id = format!("libcontainer-run-{}", std::process::id());
    let mut container = ContainerBuilder::new(id.clone(), SyscallType::default())
        .with_executor(DefaultExecutor {})
        .with_root_path(&root)
        .and_then(|builder| {
            builder
                .as_init(&bundle)
                .with_systemd(false)
                .with_detach(false)
                .build()
        })
        .with_context(|| format!("creating container {id} from {bundle}"))?;
    container
        .start()
        .with_context(|| format!("starting container {id}"))?;
    let pid = container
        .pid()
        .ok_or_else(|| anyhow!("container {id} has no init process"))?;
    let code = match waitpid(pid, None).context("waiting for the container")? {
        WaitStatus::Exited(_, code) => code,
        WaitStatus::Signaled(_, signal, _) => 128 + signal as i32,
        other => return Err(anyhow!("unexpected wait status {other:?}")),
    };
    container
        .delete(true)
        .with_context(|| format!("deleting container {id}"))?;
    Ok(code)
}
