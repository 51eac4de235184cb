//! The subcommands, as runc has them and containerd's runc shim calls them.
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use libcgroups::common::CgroupManager;
use libcontainer::container::builder::ContainerBuilder;
use libcontainer::container::{Container, ContainerStatus};
use libcontainer::oci_spec::runtime::Spec;
use libcontainer::signal::Signal;
use libcontainer::syscall::syscall::SyscallType;
use serde::Serialize;

use crate::executor::RuntimeExecutor;
use crate::workload::{self, Hints};

/// Where container state lives when `--root` is not given (runc's is /run/runc).
pub const DEFAULT_ROOT: &str = "/run/wasmfaas-runtime";

/// Options every subcommand shares.
#[derive(Debug, Clone)]
pub struct Globals {
    /// The folder of container state (`--root`).
    pub root: PathBuf,
    /// Whether systemd manages the containers' cgroups (`--systemd-cgroup`).
    pub systemd_cgroup: bool,
}

impl Globals {
    /// The state folder `root` (or [`DEFAULT_ROOT`]), created (mode 0700) if missing.
    pub fn new(root: Option<PathBuf>, systemd_cgroup: bool) -> Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        let root = root.unwrap_or_else(|| PathBuf::from(DEFAULT_ROOT));
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&root)
            .with_context(|| {
                format!("--root {}: cannot create the state folder", root.display())
            })?;
        let root =
            std::fs::canonicalize(&root).with_context(|| format!("--root {}", root.display()))?;
        Ok(Self {
            root,
            systemd_cgroup,
        })
    }

    fn container_dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    /// The container `id`, with its status refreshed from its init process.
    fn load(&self, id: &str) -> Result<Container> {
        let dir = self.container_dir(id);
        if !dir.join("state.json").exists() {
            bail!(
                "container {id} does not exist (no state in {})",
                self.root.display()
            );
        }
        Container::load(dir).map_err(|e| anyhow!("container {id}: cannot read its state: {e}"))
    }
}

/// Checks what can be checked before anything is created: the bundle, its config.json, the
/// root filesystem, the process, the annotations. Returns the bundle's absolute path.
fn check_bundle(bundle: &Path) -> Result<PathBuf> {
    let bundle = std::fs::canonicalize(bundle).map_err(|e| {
        anyhow!(
            "bundle {}: {e}; give --bundle the folder that holds config.json",
            bundle.display()
        )
    })?;
    let config = bundle.join("config.json");
    if !config.is_file() {
        bail!(
            "bundle {}: no config.json; a bundle is a folder with config.json and the root filesystem it names \
             (make one with `runc spec`, or unpack an image with `umoci unpack`)",
            bundle.display()
        );
    }
    let spec = Spec::load(&config)
        .map_err(|e| anyhow!("{}: not a valid OCI runtime spec: {e}", config.display()))?;
    let root = spec.root().as_ref().ok_or_else(|| {
        anyhow!(
            "{}: no `root`: the spec names no root filesystem",
            config.display()
        )
    })?;
    let rootfs = bundle.join(root.path());
    if !rootfs.is_dir() {
        bail!(
            "{}: the root filesystem {} is not a folder",
            config.display(),
            rootfs.display()
        );
    }
    let args = spec
        .process()
        .as_ref()
        .and_then(|p| p.args().as_ref())
        .filter(|args| !args.is_empty());
    if args.is_none() {
        bail!(
            "{}: process.args is empty: the spec names no program to run",
            config.display()
        );
    }
    Hints::from_annotations(spec.annotations().as_ref())
        .map_err(|e| anyhow!("{}: {e}", config.display()))?;
    Ok(bundle)
}

/// Arguments of create and run that build a container.
struct NewContainer<'a> {
    id: &'a str,
    bundle: &'a Path,
    pid_file: Option<&'a PathBuf>,
    console_socket: Option<&'a PathBuf>,
    preserve_fds: i32,
    no_pivot: bool,
    detach: bool,
}

/// Creates a container: its init process sets up namespaces, cgroups and the root filesystem,
/// then loads the workload (a WebAssembly program is compiled here) and waits for start.
fn build(new: &NewContainer, globals: &Globals) -> Result<Container> {
    let bundle = check_bundle(new.bundle)?;
    if globals.systemd_cgroup && !Path::new("/run/systemd/system").is_dir() {
        bail!(
            "--systemd-cgroup: systemd is not running on this host (no /run/systemd/system), so it cannot manage \
             the container's cgroup; run without --systemd-cgroup (in containerd: SystemdCgroup = false)"
        );
    }
    if globals.container_dir(new.id).exists() {
        bail!(
            "container {} already exists (state in {}); delete it first",
            new.id,
            globals.container_dir(new.id).display()
        );
    }
    #[cfg(feature = "wasmedge")]
    load_wasmedge_if_asked(&bundle);
    let pid_file_existed = new.pid_file.is_some_and(|p| p.exists());
    let built = ContainerBuilder::new(new.id.to_owned(), SyscallType::default())
        .with_executor(RuntimeExecutor::new())
        .with_pid_file(new.pid_file)
        .and_then(|b| b.with_root_path(&globals.root))
        .map(|b| {
            b.with_console_socket(new.console_socket)
                .with_preserved_fds(new.preserve_fds)
        })
        .and_then(|b| b.validate_id())
        .and_then(|b| {
            b.as_init(&bundle)
                .with_systemd(globals.systemd_cgroup)
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
        anyhow!("cannot create container {}: {}", new.id, explain(&e))
    })
}

/// Loads libwasmedge in this process when the container will run in WasmEdge (by annotation, or
/// an entrypoint that is a WasmEdge artifact): the library is on the host, and the init process,
/// forked from here, runs the guest only after pivoting into the container's root filesystem.
/// Anything wrong with the bundle, or a library that cannot be loaded, is left for the init
/// process to report, in the words it uses for every other container.
#[cfg(feature = "wasmedge")]
fn load_wasmedge_if_asked(bundle: &Path) {
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

/// The message of a libcontainer error: the init process's own words when it has them, without
/// the layers of "failed to …" that wrap them.
fn explain(e: &libcontainer::error::LibcontainerError) -> String {
    let text = e.to_string();
    const FROM_INIT: &str = "error in executing process : ";
    if let Some(at) = text.find(FROM_INIT) {
        return text[at + FROM_INIT.len()..].to_owned();
    }
    let mut chain = vec![text];
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !chain.iter().any(|c| c.contains(&inner_text)) {
            chain.push(inner_text);
        }
        source = inner.source();
    }
    chain.join(": ")
}

/// `create`: a container in state `created`, its workload loaded and waiting for `start`.
pub fn create(args: &liboci_cli::Create, globals: &Globals) -> Result<()> {
    build(
        &NewContainer {
            id: &args.container_id,
            bundle: &args.bundle,
            pid_file: args.pid_file.as_ref(),
            console_socket: args.console_socket.as_ref(),
            preserve_fds: args.preserve_fds,
            no_pivot: args.no_pivot,
            detach: true,
        },
        globals,
    )?;
    Ok(())
}

/// `start`: runs the workload of a created container.
pub fn start(id: &str, globals: &Globals) -> Result<()> {
    let mut container = globals.load(id)?;
    if container.status() != ContainerStatus::Created {
        bail!(
            "cannot start container {id}: it is {}, and only a created container can start",
            status_name(container.status())
        );
    }
    container
        .start()
        .map_err(|e| anyhow!("cannot start container {id}: {}", explain(&e)))
}

fn status_name(status: ContainerStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{status:?}").to_lowercase())
}

/// The OCI state of a container, with the fields runc prints (go-runc parses these).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StateJson {
    oci_version: String,
    id: String,
    pid: i32,
    status: String,
    bundle: PathBuf,
    rootfs: PathBuf,
    created: String,
    owner: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotations: Option<HashMap<String, String>>,
}

/// `state`: prints the container's OCI state as JSON.
pub fn state(id: &str, globals: &Globals) -> Result<()> {
    let container = globals.load(id)?;
    let state = &container.state;
    let rootfs = Spec::load(state.bundle.join("config.json"))
        .ok()
        .and_then(|spec| spec.root().as_ref().map(|r| state.bundle.join(r.path())))
        .unwrap_or_default();
    let status = container.status();
    let json = StateJson {
        oci_version: state.oci_version.clone(),
        id: state.id.clone(),
        // As runc: a stopped container has no process.
        pid: match status {
            ContainerStatus::Stopped => 0,
            _ => state.pid.unwrap_or(0),
        },
        status: status_name(status),
        bundle: state.bundle.clone(),
        rootfs,
        created: state
            .created
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
            .unwrap_or_default(),
        owner: String::new(),
        annotations: state.annotations.clone(),
    };
    println!("{}", serde_json::to_string_pretty(&json)?);
    Ok(())
}

/// `kill`: sends `signal` (a name or number) to the init process, or with `all` to every
/// process of the container.
pub fn kill(id: &str, signal: &str, all: bool, globals: &Globals) -> Result<()> {
    let mut container = globals.load(id)?;
    let signal = Signal::try_from(signal).map_err(|_| {
        anyhow!("kill {id}: unknown signal {signal:?}; use a name (SIGTERM, KILL) or a number (15)")
    })?;
    if !container.can_kill() {
        // containerd's shim recognises these words as "already gone".
        bail!(
            "cannot kill container {id}: container not running (it is {})",
            status_name(container.status())
        );
    }
    container
        .kill(signal, all)
        .map_err(|e| anyhow!("cannot kill container {id}: {}", explain(&e)))
}

/// `delete`: removes a stopped (or, with `force`, any) container: its processes, cgroup and state.
pub fn delete(id: &str, force: bool, globals: &Globals) -> Result<()> {
    if force && !globals.container_dir(id).exists() {
        return Ok(());
    }
    let mut container = globals.load(id)?;
    if !force
        && !matches!(
            container.status(),
            ContainerStatus::Stopped | ContainerStatus::Created
        )
    {
        bail!(
            "cannot delete container {id}: it is {}; stop it first (kill) or use delete --force",
            status_name(container.status())
        );
    }
    container
        .delete(force)
        .map_err(|e| anyhow!("cannot delete container {id}: {}", explain(&e)))
}

/// `run`: create, start, wait for the container's exit and delete it; returns its exit code
/// (128 + the signal for a killed one). With `detach`, returns once it is started.
pub fn run(args: &liboci_cli::Run, globals: &Globals) -> Result<i32> {
    let mut container = build(
        &NewContainer {
            id: &args.container_id,
            bundle: &args.bundle,
            pid_file: args.pid_file.as_ref(),
            console_socket: args.console_socket.as_ref(),
            preserve_fds: args.preserve_fds,
            no_pivot: args.no_pivot,
            detach: args.detach,
        },
        globals,
    )?;
    let id = &args.container_id;
    if let Err(e) = container.start() {
        container.delete(true).ok();
        bail!("cannot start container {id}: {}", explain(&e));
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
            .map_err(|e| anyhow!("cannot delete container {id}: {}", explain(&e)))?;
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

/// `ps`: the container's processes, as a JSON array of pids or as `ps` prints them.
pub fn ps(args: &liboci_cli::Ps, globals: &Globals) -> Result<()> {
    let container = globals.load(&args.container_id)?;
    let config = container
        .spec()
        .map_err(|e| anyhow!("container {}: {e}", args.container_id))?;
    let manager = libcgroups::common::create_cgroup_manager(libcgroups::common::CgroupConfig {
        cgroup_path: config.cgroup_path,
        systemd_cgroup: container.systemd(),
        container_name: container.id().to_owned(),
    })
    .map_err(|e| anyhow!("container {}: its cgroup: {e}", args.container_id))?;
    let pids: Vec<i32> = manager
        .get_all_pids()
        .map_err(|e| {
            anyhow!(
                "container {}: listing its processes: {e}",
                args.container_id
            )
        })?
        .iter()
        .map(|p| p.as_raw())
        .collect();
    match args.format.as_str() {
        "json" => println!("{}", serde_json::to_string(&pids)?),
        "table" => {
            let options = if args.ps_options.is_empty() {
                vec!["-ef".to_owned()]
            } else {
                args.ps_options.clone()
            };
            let output = std::process::Command::new("ps")
                .args(&options)
                .output()
                .context("running ps")?;
            let text = String::from_utf8_lossy(&output.stdout);
            let mut lines = text.lines();
            let header = lines.next().unwrap_or_default();
            let column = header
                .split_whitespace()
                .position(|c| c == "PID")
                .ok_or_else(|| anyhow!("ps {}: its output has no PID column", options.join(" ")))?;
            println!("{header}");
            for line in lines {
                let pid = line
                    .split_whitespace()
                    .nth(column)
                    .and_then(|p| p.parse::<i32>().ok());
                if pid.is_some_and(|p| pids.contains(&p)) {
                    println!("{line}");
                }
            }
        }
        other => bail!("ps --format {other:?}: use table or json"),
    }
    Ok(())
}

/// `features`: what this runtime supports, in the OCI features format runc prints.
pub fn features() -> Result<()> {
    use libcontainer::oci_spec::runtime::VERSION;
    let engines: Vec<String> = wasmfaas_engines::registry()
        .iter()
        .filter(|e| workload::ENGINES.contains(&e.name()))
        .map(|e| format!("{} {}", e.name(), e.version()))
        .collect();
    let annotations = [
        workload::ANNOTATION_VARIANT,
        workload::ANNOTATION_HANDLER,
        workload::ANNOTATION_MODE,
    ]
    .join(", ");
    let features = serde_json::json!({
        "ociVersionMin": "1.0.0",
        "ociVersionMax": VERSION,
        "hooks": ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"],
        "mountOptions": libcontainer::syscall::linux::MountOption::known_options(),
        "linux": {
            "namespaces": ["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"],
            "cgroup": { "v1": true, "v2": true, "systemd": true, "systemdUser": true },
            "seccomp": { "enabled": true },
        },
        "annotations": {
            "org.wasmfaas.runtime.engines": engines.join(", "),
            "org.wasmfaas.runtime.annotations": annotations,
        },
    });
    println!("{}", serde_json::to_string_pretty(&features)?);
    Ok(())
}
