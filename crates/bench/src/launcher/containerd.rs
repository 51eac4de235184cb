//! `containerd`: each run is a new container and task through containerd and its runc shim,
//! started with `ctr run --rm`, as the paper timed it. The time covers ctr's whole life:
//! container and snapshot creation, the shim, runc, the function, and the teardown.
//!
//! Why `ctr` and not containerd's gRPC API through the containerd-client crate: `ctr run --rm`
//! is exactly what the paper timed, so our figures compare with its figures and with
//! `hyperfine 'ctr run --rm …'`; the gRPC client would leave out ctr's own start (a few
//! milliseconds of Go runtime) and measure something the paper did not.
//!
//! Without `--containerd-address`, a private containerd is started for the bench (its own
//! root, state and sockets in the work folder) and stopped at the end.
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use super::watchdog::Watchdog;
use super::{
    Cell, ContainerCell, LaunchContext, Launcher, Measurement, clear_dir, container_cell,
    container_id, measurement, run_tool, tail,
};
use crate::{BenchError, LauncherKind};
use wasmfaas_containerd::{Containerd, Options};

/// The containerd namespace of the bench's images and containers on a user's containerd. A
/// private containerd gets `wasmfaas-<pid>`, so the cgroup folder containerd makes for the
/// namespace is the bench's alone and goes with it.
pub const NAMESPACE: &str = wasmfaas_names::CONTAINERD_NAMESPACE;
/// The repository the suite's images are imported under (`<repository>:<tag>`).
const REPOSITORY: &str = "docker.io/wasmfaas/suite";

/// A container started by [`ContainerdLauncher::spawn`]: its `ctr run --rm`, not yet waited for.
#[derive(Debug)]
pub struct Spawned {
    /// The `ctr run --rm` process.
    pub child: Child,
    /// The container's id.
    pub id: String,
    /// Where its standard output goes.
    pub stdout: PathBuf,
    /// Where its standard error goes.
    pub stderr: PathBuf,
    /// The cell's output folder (at `/output`).
    pub output_dir: PathBuf,
    /// The cell's inputs (at `/input`).
    pub inputs_dir: PathBuf,
}

/// Runs each run as a new container through containerd.
pub struct ContainerdLauncher {
    context: LaunchContext,
    ctr: PathBuf,
    address: PathBuf,
    namespace: String,
    /// The private daemon, when no address was given.
    daemon: Option<Containerd>,
    engines: Vec<Box<dyn wasmfaas_engines::Engine>>,
    /// Per cell: what to run, and the `ctr run` arguments before the container id.
    prepared: HashMap<String, (ContainerCell, Vec<String>, Vec<String>)>,
    imported: HashSet<String>,
    watchdog: Watchdog,
    containers: u64,
    /// The container of the run under way, from its start until ctr has exited: only a run
    /// interrupted there can leave its container behind (`ctr run --rm` removes it otherwise,
    /// and a timed-out or failed run is removed at once).
    in_flight: Option<String>,
}

impl ContainerdLauncher {
    /// A containerd launcher: the daemon at `--containerd-address`, or a private one.
    pub fn new(context: LaunchContext) -> Result<Self, BenchError> {
        // runc is needed by the runc shim's environments only: each cell checks its own.
        context
            .host
            .ready(LauncherKind::ContainerdShim)
            .map_err(BenchError::Selection)?;
        let ctr = context.host.ctr.clone().expect("ready checked ctr");
        let (address, daemon, namespace) = match &context.containerd_address {
            Some(address) => {
                if context.restore_containerd {
                    return Err(BenchError::Selection(
                        "--restore-containerd restarts the bench's private containerd; it cannot restore one at --containerd-address".into(),
                    ));
                }
                (address.clone(), None, NAMESPACE.to_owned())
            }
            None => {
                let binary = context
                    .host
                    .containerd
                    .clone()
                    .expect("ready checked containerd");
                // wasmfaas's shim keeps jit-mode modules' compiled code in the bench's AOT cache.
                let options = Options::new(binary, &ctr)
                    .with_env("WASMFAAS_CACHE", context.cache.root().as_os_str());
                let daemon = Containerd::start(&context.work_dir.join("containerd"), options)
                    .map_err(|e| match e {
                        wasmfaas_containerd::Error::SocketTooLong { .. } => {
                            BenchError::Selection(format!("{e} (use a shorter --output folder)"))
                        }
                        e => BenchError::Containerd(e),
                    })?;
                let namespace = format!("{NAMESPACE}-{}", std::process::id());
                (daemon.address().to_path_buf(), Some(daemon), namespace)
            }
        };
        let launcher = Self {
            engines: wasmfaas_engines::registry(),
            context,
            ctr,
            address,
            namespace,
            daemon,
            prepared: HashMap::new(),
            imported: HashSet::new(),
            watchdog: Watchdog::start(),
            containers: 0,
            in_flight: None,
        };
        launcher.ctr_tool(&["version"]).map_err(|problem| {
            BenchError::Selection(format!(
                "containerd at {} does not answer: {problem}",
                launcher.address.display()
            ))
        })?;
        Ok(launcher)
    }

    fn ctr(&self) -> Command {
        wasmfaas_containerd::ctr_in(&self.ctr, &self.address, &self.namespace)
    }

    /// `ctr run` of container `id` between a prepared cell's arguments, its streams to the
    /// files given, in its own process group (a Ctrl-C reaches only the harness).
    fn ctr_run(
        &self,
        before_id: &[String],
        id: &str,
        after_id: &[String],
        stdout: File,
        stderr: File,
    ) -> Command {
        let mut command = self.ctr();
        command
            .args(before_id)
            .arg(id)
            .args(after_id)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .process_group(0);
        command
    }

    fn ctr_tool(&self, args: &[&str]) -> Result<(), String> {
        run_tool(self.ctr().args(args))
    }

    /// Imports the image `tag` (and unpacks it for this platform), once per bench.
    fn import(&mut self, container: &ContainerCell, cell: &Cell) -> Result<String, BenchError> {
        let reference = format!("{REPOSITORY}:{}", container.tag);
        if self.imported.contains(&container.tag) {
            return Ok(reference);
        }
        let prepare_error = |problem: String| BenchError::Prepare {
            cell: cell.describe(),
            problem,
        };
        let archive = self.context.work_dir.join(format!("{}.tar", container.tag));
        wasmfaas_oci::import_into_containerd(
            &container.layout,
            &container.tag,
            REPOSITORY,
            self.ctr(),
            &archive,
        )
        .map_err(|e| prepare_error(e.to_string()))?;
        self.imported.insert(container.tag.clone());
        Ok(reference)
    }

    /// How long one run of `cell` may take (see [`LaunchContext::run_timeout_of`]).
    pub fn run_timeout_of(&self, cell: &Cell) -> std::time::Duration {
        self.context.run_timeout_of(cell)
    }

    /// The socket of the containerd the runs go to (its shims name it).
    pub fn address(&self) -> &Path {
        &self.address
    }

    /// Starts one `ctr run --rm` of the prepared `cell` with its streams in `dir`, without
    /// waiting for it: for containers started side by side (density). Its output folder is the
    /// cell's, shared by every container of the cell, so only functions that write none may
    /// run side by side.
    pub fn spawn(&mut self, cell: &Cell, dir: &Path) -> Result<Spawned, BenchError> {
        let (container, before_id, after_id) =
            self.prepared.get(&cell.slug()).cloned().ok_or_else(|| {
                BenchError::Selection(format!("{} is not prepared", cell.describe()))
            })?;
        let id = container_id(&mut self.containers);
        let stdout = dir.join(format!("{id}.stdout"));
        let stderr = dir.join(format!("{id}.stderr"));
        let create = |path: &PathBuf| File::create(path).map_err(|e| BenchError::io(path, e));
        let mut command = self.ctr_run(
            &before_id,
            &id,
            &after_id,
            create(&stdout)?,
            create(&stderr)?,
        );
        let child = command.spawn().map_err(|e| BenchError::Run {
            cell: cell.describe(),
            problem: format!("cannot start {}: {e}", self.ctr.display()),
        })?;
        Ok(Spawned {
            child,
            id,
            stdout,
            stderr,
            output_dir: container.output_dir,
            inputs_dir: container.inputs_dir,
        })
    }

    /// Removes a container left by a run that failed or timed out.
    pub fn remove(&self, id: &str) {
        let _ = self.ctr_tool(&["task", "kill", "--signal", "SIGKILL", id]);
        let _ = self.ctr_tool(&["task", "delete", "--force", id]);
        let _ = self.ctr_tool(&["container", "delete", id]);
    }
}

impl Launcher for ContainerdLauncher {
    fn kind(&self) -> LauncherKind {
        LauncherKind::Containerd
    }

    fn prepare(&mut self, cell: &Cell) -> Result<(), BenchError> {
        let key = cell.slug();
        if self.prepared.contains_key(&key) {
            return Ok(());
        }
        let container = container_cell(&self.context, &self.engines, cell)?;
        let reference = self.import(&container, cell)?;
        let mut before_id = vec!["run".to_owned(), "--rm".to_owned()];
        let unready = |reason: &String| BenchError::Prepare {
            cell: cell.describe(),
            problem: reason.clone(),
        };
        if container.is_wasm() {
            before_id.extend([
                "--platform".to_owned(),
                wasmfaas_names::WASM_PLATFORM.to_owned(),
            ]);
            if cell.environment.launcher == LauncherKind::ContainerdShim {
                // wasmfaas's shim in place of the runc shim: ctr takes its absolute path.
                let shim = self.context.host.shim.as_ref().map_err(unready)?;
                before_id.push("--runtime".into());
                before_id.push(shim.to_string_lossy().into_owned());
            } else {
                // The paper's path: containerd's runc shim, with our runtime in runc's place (as
                // the paper put crun there).
                let runtime = self.context.host.runtime.as_ref().map_err(unready)?;
                before_id.push("--runc-binary".into());
                before_id.push(runtime.to_string_lossy().into_owned());
            }
            // Either way, told the engine and mode by annotations.
            let mut annotations: Vec<_> = container.annotations.iter().collect();
            annotations.sort();
            for (key, value) in annotations {
                before_id.push("--annotation".into());
                before_id.push(format!("{key}={value}"));
            }
        }
        for mount in &container.mounts {
            before_id.push("--mount".into());
            before_id.push(format!(
                "type=bind,src={},dst={},options=rbind:{}",
                mount.host.display(),
                mount.guest,
                if mount.read_only { "ro" } else { "rw" }
            ));
        }
        before_id.push(reference);
        // ctr replaces the whole command line (entrypoint included) with what follows the id.
        let image = wasmfaas_oci::inspect(&container.layout, &container.tag).map_err(|e| {
            BenchError::Prepare {
                cell: cell.describe(),
                problem: e.to_string(),
            }
        })?;
        let mut after_id = image.argv;
        after_id.extend(container.args.iter().cloned());
        self.prepared.insert(key, (container, before_id, after_id));
        Ok(())
    }

    fn run(&mut self, cell: &Cell) -> Result<Measurement, BenchError> {
        self.prepare(cell)?;
        if self.context.restore_containerd
            && let Some(daemon) = self.daemon.as_mut()
        {
            daemon.restore_pristine()?;
        }
        let (container, before_id, after_id) = self.prepared[&cell.slug()].clone();
        clear_dir(&container.output_dir)?;
        let run_error = |problem: String| BenchError::Run {
            cell: cell.describe(),
            problem,
        };
        let create = |path: &PathBuf| File::create(path).map_err(|e| BenchError::io(path, e));
        let stdout = create(&container.stdout_path)?;
        let stderr = create(&container.stderr_path)?;
        let id = container_id(&mut self.containers);
        self.in_flight = Some(id.clone());
        let mut command = self.ctr_run(&before_id, &id, &after_id, stdout, stderr);
        // What the shim will find, looked at before the run and outside its time.
        let aot_cache_hit = container.cached_artifact.as_ref().map(|a| a.is_file());

        let started = Instant::now();
        let child = command
            .spawn()
            .map_err(|e| run_error(format!("cannot start {}: {e}", self.ctr.display())))?;
        let reaped =
            self.watchdog
                .wait_child(child, started, started + self.context.run_timeout_of(cell));
        self.in_flight = None;
        let (total, timed_out) = (reaped.total, reaped.timed_out);
        // ctr's rusage is its own, not the container's, which lives under the shim.
        let (status, _) = reaped
            .status
            .map_err(|e| run_error(format!("waiting for ctr: {e}")))?;
        if timed_out {
            self.remove(&id);
        }
        // ctr's own failures (the container was never started) are the launcher's, not the
        // function's: they say "ctr: …".
        let stderr = std::fs::read(&container.stderr_path)
            .map_err(|e| BenchError::io(&container.stderr_path, e))?;
        if !timed_out && String::from_utf8_lossy(&stderr).starts_with("ctr: ") {
            self.remove(&id);
            return Err(run_error(tail(&stderr)));
        }
        measurement(
            self.context.run_timeout_of(cell),
            container.files(),
            total,
            status,
            None,
            timed_out,
        )
        .map(|m| Measurement { aot_cache_hit, ..m })
    }
}

impl Drop for ContainerdLauncher {
    fn drop(&mut self) {
        // On a user's containerd, leave its images but none of our containers.
        if self.daemon.is_none()
            && let Some(id) = self.in_flight.take()
            && self.ctr_tool(&["container", "info", &id]).is_ok()
        {
            self.remove(&id);
        }
        // The private daemon stops (and cleans up) when dropped; then the namespace's cgroup
        // folders and the shim's runtime state folder are empty and can go.
        if self.daemon.take().is_some() {
            wasmfaas_containerd::remove_namespace_cgroups(&self.namespace);
            wasmfaas_containerd::remove_runc_shim_state(&self.namespace);
        }
    }
}
