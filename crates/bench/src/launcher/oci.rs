//! `oci`: an OCI runtime's own lifecycle on an unpacked bundle, as a container engine drives
//! it: `create`, `start`, wait for the container's process, `delete`. The time covers the
//! whole lifecycle. Native images run under runc; WebAssembly images under wasmfaas-runtime,
//! which compiles (or loads the AOT artifact) at `create` and runs at `start`.
//!
//! The harness makes itself a child subreaper, so the container's init process, orphaned when
//! `runc create` returns, becomes its child: it is reaped with `wait4`, which gives its exit
//! status and peak RSS exactly as containerd's shim gets them.
use std::collections::HashMap;
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use super::watchdog::{Watchdog, wait4};
use super::{
    Cell, ContainerCell, LaunchContext, Launcher, Measurement, clear_dir, container_cell,
    container_id, measurement, run_tool, tail,
};
use crate::{BenchError, LauncherKind, LifecycleNs};

/// One OCI runtime and its state folder (`--root`), private to this bench.
#[derive(Debug, Clone)]
struct Runtime {
    binary: PathBuf,
    state_root: PathBuf,
}

/// Runs each run as a new container through runc or wasmfaas-runtime.
pub struct OciLauncher {
    context: LaunchContext,
    engines: Vec<Box<dyn wasmfaas_engines::Engine>>,
    /// runc, for native images.
    runc: Option<Runtime>,
    /// wasmfaas-runtime, for WebAssembly images.
    wasm: Option<Runtime>,
    /// Unpacked bundles, removed when the launcher is dropped.
    bundles: PathBuf,
    /// The layers the bundles' roots are hard links to (one Debian base for all the Debian
    /// images, not one copy each), removed with the bundles.
    layers: wasmfaas_oci::LayerStore,
    prepared: HashMap<String, (ContainerCell, PathBuf, Runtime)>,
    watchdog: Watchdog,
    containers: u64,
}

impl OciLauncher {
    /// An OCI launcher using the runc and wasmfaas-runtime found on this machine.
    pub fn new(context: LaunchContext) -> Result<Self, BenchError> {
        context
            .host
            .ready(LauncherKind::Oci)
            .map_err(BenchError::Selection)?;
        let runtime = |binary: &Option<PathBuf>, folder: &str| {
            binary.as_ref().map(|binary| Runtime {
                binary: binary.clone(),
                state_root: context.work_dir.join(folder),
            })
        };
        let runc = runtime(&context.host.runc, "runc");
        let wasm = runtime(
            &context.host.runtime.clone().ok(),
            wasmfaas_names::RUNTIME_BINARY,
        );
        // SAFETY: prctl(PR_SET_CHILD_SUBREAPER) takes plain integers and affects only this
        // process: orphaned descendants are reparented to it instead of init.
        if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } != 0 {
            return Err(BenchError::Selection(format!(
                "cannot become a child subreaper to wait for containers: {}",
                std::io::Error::last_os_error()
            )));
        }
        let bundles = context.work_dir.join("bundles");
        let folders = [&runc, &wasm].into_iter().flatten().map(|r| &r.state_root);
        for dir in folders.chain([&bundles]) {
            std::fs::create_dir_all(dir).map_err(|e| BenchError::io(dir, e))?;
        }
        let layers = wasmfaas_oci::LayerStore::new(context.work_dir.join("layers"));
        Ok(Self {
            engines: wasmfaas_engines::registry(),
            layers,
            context,
            runc,
            wasm,
            bundles,
            prepared: HashMap::new(),
            watchdog: Watchdog::start(),
            containers: 0,
        })
    }
}

impl Runtime {
    fn command(&self) -> Command {
        let mut command = Command::new(&self.binary);
        command.arg("--root").arg(&self.state_root);
        command
    }

    fn name(&self) -> String {
        self.binary
            .file_name()
            .map_or_else(|| "runtime".into(), |n| n.to_string_lossy().into_owned())
    }

    /// Runs the runtime inside the timed lifecycle: no pipes to drain (its stderr goes to a
    /// file, read only on failure), as a shell running the same commands would.
    fn timed(&self, args: &[&str], stderr_path: &Path) -> Result<(), String> {
        let stderr = File::create(stderr_path)
            .map_err(|e| format!("cannot create {}: {e}", stderr_path.display()))?;
        let status = self
            .command()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .process_group(0)
            .status()
            .map_err(|e| format!("cannot start {}: {e}", self.binary.display()))?;
        if status.success() {
            return Ok(());
        }
        let message = std::fs::read(stderr_path).unwrap_or_default();
        Err(format!(
            "{} {} failed ({status}): {}",
            self.name(),
            args.join(" "),
            String::from_utf8_lossy(&message).trim()
        ))
    }

    /// Removes a container whatever its state (after a failure or a timeout).
    fn force_delete(&self, id: &str) {
        let _ = run_tool(self.command().args(["delete", "--force", id]));
    }
}

impl Launcher for OciLauncher {
    fn kind(&self) -> LauncherKind {
        LauncherKind::Oci
    }

    fn prepare(&mut self, cell: &Cell) -> Result<(), BenchError> {
        let key = cell.slug();
        if self.prepared.contains_key(&key) {
            return Ok(());
        }
        let container = container_cell(&self.context, &self.engines, cell)?;
        let bundle_dir = self.bundles.join(&key);
        let prepare_error = |problem: String| BenchError::Prepare {
            cell: cell.describe(),
            problem,
        };
        let runtime = if container.is_wasm() {
            self.wasm.clone().ok_or_else(|| {
                prepare_error(self.context.host.runtime.clone().err().unwrap_or_default())
            })?
        } else {
            self.runc.clone().ok_or_else(|| {
                prepare_error("runc is not installed (apt-get install runc)".into())
            })?
        };
        let bundle = self
            .layers
            .unpack(&container.layout, &container.tag, &bundle_dir)
            .map_err(|e| prepare_error(e.to_string()))?;
        bundle
            .write_config(&container.args, &container.mounts, &container.annotations)
            .map_err(|e| prepare_error(e.to_string()))?;
        self.prepared.insert(key, (container, bundle_dir, runtime));
        Ok(())
    }

    fn run(&mut self, cell: &Cell) -> Result<Measurement, BenchError> {
        self.prepare(cell)?;
        let (container, bundle, runtime) = self.prepared[&cell.slug()].clone();
        clear_dir(&container.output_dir)?;
        let run_error = |problem: String| BenchError::Run {
            cell: cell.describe(),
            problem,
        };
        let create = |path: &PathBuf| File::create(path).map_err(|e| BenchError::io(path, e));
        let stdout = create(&container.stdout_path)?;
        let stderr = create(&container.stderr_path)?;
        let id = container_id(&mut self.containers);
        let pid_file = runtime.state_root.join(format!("{id}.pid"));

        let started = Instant::now();
        // The container's stdio is runc create's: the run's files.
        let created = runtime
            .command()
            .arg("create")
            .arg("--bundle")
            .arg(&bundle)
            .arg("--pid-file")
            .arg(&pid_file)
            .arg(&id)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .process_group(0)
            .status()
            .map_err(|e| run_error(format!("cannot start {}: {e}", runtime.binary.display())))?;
        if !created.success() {
            runtime.force_delete(&id);
            let stderr = std::fs::read(&container.stderr_path).unwrap_or_default();
            return Err(run_error(format!(
                "{} create failed ({created}): {}",
                runtime.name(),
                tail(&stderr)
            )));
        }
        let pid = read_pid(&pid_file).map_err(|e| {
            runtime.force_delete(&id);
            run_error(e)
        })?;
        let created = Instant::now();
        self.watchdog
            .arm(pid, started + self.context.run_timeout_of(cell));
        let runc_stderr = container.stderr_path.with_file_name("runtime-stderr");
        if let Err(problem) = runtime.timed(&["start", &id], &runc_stderr) {
            self.watchdog.disarm();
            runtime.force_delete(&id);
            let _ = wait4(pid);
            return Err(run_error(problem));
        }
        let reaped = wait4(pid);
        let exited = Instant::now();
        let timed_out = self.watchdog.disarm();
        let deleted = runtime.timed(&["delete", &id], &runc_stderr);
        let total = started.elapsed();
        let ns = |d: std::time::Duration| d.as_nanos() as u64;
        let lifecycle = LifecycleNs {
            create: ns(created - started),
            start_to_exit: ns(exited - created),
            delete: ns(started + total - exited),
        };

        let _ = std::fs::remove_file(&pid_file);
        if let Err(problem) = deleted {
            runtime.force_delete(&id);
            return Err(run_error(problem));
        }
        let (status, rusage) = reaped.map_err(|e| {
            run_error(format!(
                "cannot wait for the container's process {pid}: {e}"
            ))
        })?;
        let peak_rss_kib = Some(rusage.ru_maxrss.max(0) as u64);
        measurement(
            self.context.run_timeout_of(cell),
            container.files(),
            total,
            status,
            peak_rss_kib,
            timed_out,
        )
        .map(|m| Measurement {
            lifecycle: Some(lifecycle),
            ..m
        })
    }
}

impl Drop for OciLauncher {
    fn drop(&mut self) {
        // Every run deletes its container; a run interrupted between create and delete leaves
        // one, which goes here with its state and cgroup.
        for runtime in [&self.runc, &self.wasm].into_iter().flatten() {
            if let Ok(entries) = std::fs::read_dir(&runtime.state_root) {
                for entry in entries.flatten() {
                    if entry.path().is_dir() {
                        runtime.force_delete(&entry.file_name().to_string_lossy());
                    }
                }
            }
            let _ = std::fs::remove_dir_all(&runtime.state_root);
        }
        // Unpacked layers are large (the Debian base is 130 MB) and rebuilt from the images.
        let _ = std::fs::remove_dir_all(&self.bundles);
        let _ = std::fs::remove_dir_all(self.layers.dir());
    }
}

fn read_pid(path: &Path) -> Result<libc::pid_t, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("runc wrote no pid file {}: {e}", path.display()))?;
    text.trim()
        .parse()
        .map_err(|_| format!("runc's pid file {} holds {text:?}", path.display()))
}
