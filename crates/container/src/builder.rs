//! Creating a container: its init process sets up namespaces, cgroups and the root filesystem,
//! then loads the workload (a WebAssembly program is compiled there) and waits for start.
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use libcontainer::container::Container;
use libcontainer::container::builder::ContainerBuilder;
use libcontainer::syscall::syscall::SyscallType;

use crate::executor::RuntimeExecutor;
use crate::precompiled::Precompiled;
use crate::{ContainerError, StateRoot, bundle};

/// What a new container is made of (runc's `create` and `run` options).
#[derive(Debug, Clone, Copy)]
pub struct NewContainer<'a> {
    /// Its id.
    pub id: &'a str,
    /// The bundle folder.
    pub bundle: &'a Path,
    /// Where to write the init process's pid.
    pub pid_file: Option<&'a PathBuf>,
    /// The socket to send the console's pty to.
    pub console_socket: Option<&'a PathBuf>,
    /// File descriptors past stdio passed on to the container.
    pub preserve_fds: i32,
    /// Use chroot instead of pivot_root.
    pub no_pivot: bool,
    /// Return once the container is created (its init process is not our child to wait for).
    pub detach: bool,
    /// Let systemd manage the container's cgroup.
    pub systemd_cgroup: bool,
}

/// The container's standard streams; a stream left `None` is this process's own (runc's way: a
/// runtime's caller hands them over as its stdio), a shim passes containerd's fifos.
#[derive(Debug, Default)]
pub struct Stdio {
    /// The guest's standard input.
    pub stdin: Option<OwnedFd>,
    /// The guest's standard output.
    pub stdout: Option<OwnedFd>,
    /// The guest's standard error.
    pub stderr: Option<OwnedFd>,
}

/// Creates the container `new` describes, its state in `root`, with this process's stdio; a
/// WebAssembly workload is loaded (compiled, or its artifact deserialised) before this returns.
pub fn build(new: &NewContainer, root: &StateRoot) -> Result<Container, ContainerError> {
    build_with_stdio(new, root, Stdio::default(), None)
}

/// [`build`], the container's streams given by `stdio`, and a module's code already loaded from
/// the AOT cache (`precompiled.rs`) run instead of compiled.
pub fn build_with_stdio(
    new: &NewContainer,
    root: &StateRoot,
    stdio: Stdio,
    precompiled: Option<Precompiled>,
) -> Result<Container, ContainerError> {
    let bundle = bundle::check(new.bundle)?;
    if new.systemd_cgroup && !Path::new("/run/systemd/system").is_dir() {
        return Err(ContainerError::Unsupported {
            problem: "--systemd-cgroup: systemd is not running on this host (no /run/systemd/system), so it cannot manage \
                      the container's cgroup; run without --systemd-cgroup (in containerd: SystemdCgroup = false)"
                .into(),
        });
    }
    if root.container_dir(new.id).exists() {
        return Err(ContainerError::AlreadyExists {
            id: new.id.to_owned(),
            dir: root.container_dir(new.id),
        });
    }
    #[cfg(feature = "wasmedge")]
    load_wasmedge_if_asked(&bundle);
    let pid_file_existed = new.pid_file.is_some_and(|p| p.exists());
    let mut builder = ContainerBuilder::new(new.id.to_owned(), SyscallType::default())
        .with_executor(RuntimeExecutor::with_precompiled(precompiled));
    if let Some(fd) = stdio.stdin {
        builder = builder.with_stdin(fd);
    }
    if let Some(fd) = stdio.stdout {
        builder = builder.with_stdout(fd);
    }
    if let Some(fd) = stdio.stderr {
        builder = builder.with_stderr(fd);
    }
    let built = builder
        .with_pid_file(new.pid_file)
        .and_then(|b| b.with_root_path(root.path()))
        .map(|b| {
            b.with_console_socket(new.console_socket)
                .with_preserved_fds(new.preserve_fds)
        })
        .and_then(|b| b.validate_id())
        .and_then(|b| {
            b.as_init(&bundle)
                .with_systemd(new.systemd_cgroup)
                .with_detach(new.detach)
                .with_no_pivot(new.no_pivot)
                .build()
        });
    built.map_err(|e| {
        // libcontainer writes the pid file before the init process is ready; a container that
        // was not created has no pid.
        if let Some(pid_file) = new.pid_file.filter(|_| !pid_file_existed) {
            std::fs::remove_file(pid_file).ok();
        }
        ContainerError::libcontainer(new.id, "create", &e)
    })
}
/// Loads libwasmedge in this process when the container will run in WasmEdge (by annotation, or
/// an entrypoint that is a WasmEdge artifact): the library is on the host, and the init process,
/// forked from here, runs the guest only after pivoting into the container's root filesystem.
/// Anything wrong with the bundle, or a library that cannot be loaded, is left for the init
/// process to report, in the words it uses for every other container.
#[cfg(feature = "wasmedge")]
fn load_wasmedge_if_asked(bundle: &Path) {
    use crate::workload::Hints;
    use libcontainer::oci_spec::runtime::Spec;
    let Ok(spec) = Spec::load(bundle.join("config.json")) else {
        return;
    };
    let by_annotation = Hints::from_annotations(spec.annotations().as_ref())
        .is_ok_and(|hints| hints.engine == Some("wasmedge"));
    let by_bytes = || {
        let rootfs = spec.root().as_ref().map(|r| bundle.join(r.path()));
        let entrypoint = spec
            .process()
            .as_ref()
            .and_then(|p| p.args().as_ref())
            .and_then(|args| args.first())
            .filter(|arg0| arg0.starts_with('/'));
        // The first bytes tell a WasmEdge artifact (Program::open would read a whole ELF file,
        // and this runs for every container, native ones too).
        match (rootfs, entrypoint) {
            (Some(rootfs), Some(arg0)) => {
                wasmfaas_engines::ProgramKind::from_head(&rootfs.join(arg0.trim_start_matches('/')))
                    .is_ok_and(|kind| kind == wasmfaas_engines::ProgramKind::WasmEdgeArtifact)
            }
            _ => false,
        }
    };
    if by_annotation || by_bytes() {
        wasmfaas_engines::WasmEdgeEngine::load_library().ok();
    }
}
