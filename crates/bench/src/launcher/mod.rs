//! Launchers: how one run of a cell is started and timed. One file per launcher.
mod containerd;
mod embedded;
mod oci;
mod process;
mod watchdog;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use wasmfaas_engines::{AotCache, Engine, Phases};
use wasmfaas_suite::runner::{self, PreparedRun};
use wasmfaas_suite::{Function, Layout, Size};

pub use containerd::{ContainerdLauncher, Spawned};
pub use embedded::EmbeddedLauncher;
pub use oci::OciLauncher;
pub use process::ProcessLauncher;

use crate::{BenchError, Environment, Host, LauncherKind};

/// One cell of the matrix: a function at a size in an environment.
#[derive(Debug, Clone, Copy)]
pub struct Cell<'a> {
    /// The function.
    pub function: &'static Function,
    /// The environment.
    pub environment: &'a Environment,
    /// The workload size.
    pub size: Size,
}

impl Cell<'_> {
    /// `function in environment`, for messages.
    pub fn describe(&self) -> String {
        format!("{} in {}", self.function.name, self.environment)
    }

    /// A folder name unique to the cell.
    fn slug(&self) -> String {
        format!(
            "{}--{}",
            self.function.name,
            self.environment.to_string().replace('/', "-")
        )
    }
}

/// What one run measured, before its output is checked.
#[derive(Debug)]
pub struct Measurement {
    /// Wall time of the whole run.
    pub total: Duration,
    /// Phase times, where the launcher sees them.
    pub phases: Option<Phases>,
    /// A container's create, start-to-exit and delete times, where the launcher drives them.
    pub lifecycle: Option<crate::sample::LifecycleNs>,
    /// The function's exit code.
    pub exit_code: i32,
    /// Whether the node's AOT cache held the module's code (see [`crate::Sample`]), where a
    /// launcher's runs use it (`containerd-shim` in jit mode).
    pub aot_cache_hit: Option<bool>,
    /// Its standard output.
    pub stdout: Vec<u8>,
    /// The end of its standard error (or the trap message), for failure reports.
    pub stderr_tail: String,
    /// Peak resident set size, KiB.
    pub peak_rss_kib: Option<u64>,
    /// Where it wrote its output files.
    pub output_dir: PathBuf,
    /// Where it read its inputs.
    pub inputs_dir: PathBuf,
}

/// Starts runs of cells. Preparation (finding artifacts, AOT compilation through the cache) is
/// done once per cell by [`Launcher::prepare`], outside any timing.
pub trait Launcher {
    /// Which launcher this is.
    fn kind(&self) -> LauncherKind;
    /// Checks and prepares everything a cell needs, so that a missing build fails before the
    /// first run, not after an hour.
    fn prepare(&mut self, cell: &Cell) -> Result<(), BenchError>;
    /// Runs the cell once (cold) and measures it.
    fn run(&mut self, cell: &Cell) -> Result<Measurement, BenchError>;
}

/// What the launchers share.
#[derive(Debug, Clone)]
pub struct LaunchContext {
    /// The suite on disk.
    pub layout: Layout,
    /// Scratch folder for runs' output files.
    pub work_dir: PathBuf,
    /// The `wasmfaas` executable that `process` runs WebAssembly with (`wasmfaas run`) where an
    /// engine has no lean runner (`host.runners`).
    pub wasmfaas_exe: PathBuf,
    /// The AOT cache, for modules whose built artifact is stale.
    pub cache: AotCache,
    /// A process run taking longer is killed and recorded as failed.
    pub run_timeout: Duration,
    /// The container tools of this machine.
    pub host: Host,
    /// A running containerd to use instead of starting a private one.
    pub containerd_address: Option<PathBuf>,
    /// Restart the private containerd on its pristine state before each run, as the paper's
    /// scripts restored a saved containerd state.
    pub restore_containerd: bool,
}

impl LaunchContext {
    /// How long one run of `cell` may take before it is killed and recorded as failed: the
    /// bench's limit, or a user function's own `timeout` when shorter.
    pub fn run_timeout_of(&self, cell: &Cell) -> Duration {
        match cell.function.user.and_then(|u| u.decl.timeout) {
            Some(limit) => limit.min(self.run_timeout),
            None => self.run_timeout,
        }
    }
}

/// The launchers of a bench, created when first needed.
pub struct Launchers {
    context: LaunchContext,
    launchers: HashMap<LauncherKind, Box<dyn Launcher>>,
}

impl Launchers {
    /// Launchers sharing `context`.
    pub fn new(context: LaunchContext) -> Self {
        Self {
            context,
            launchers: HashMap::new(),
        }
    }

    /// The launcher of `kind`.
    pub fn get(&mut self, kind: LauncherKind) -> Result<&mut dyn Launcher, BenchError> {
        // Both containerd integrations go through one launcher: one private containerd, its
        // images imported once.
        let kind = match kind {
            LauncherKind::ContainerdShim => LauncherKind::Containerd,
            other => other,
        };
        if !self.launchers.contains_key(&kind) {
            let launcher: Box<dyn Launcher> = match kind {
                LauncherKind::Embedded => Box::new(EmbeddedLauncher::new(self.context.clone())),
                LauncherKind::Process => Box::new(ProcessLauncher::new(self.context.clone())),
                LauncherKind::Oci => Box::new(OciLauncher::new(self.context.clone())?),
                LauncherKind::Containerd | LauncherKind::ContainerdShim => {
                    Box::new(ContainerdLauncher::new(self.context.clone())?)
                }
            };
            self.launchers.insert(kind, launcher);
        }
        Ok(self
            .launchers
            .get_mut(&kind)
            .expect("inserted above")
            .as_mut())
    }
}

/// The engine called `name` among `engines` (the launcher's, kept for the whole bench).
fn find_engine<'a>(
    engines: &'a [Box<dyn Engine>],
    name: &str,
) -> Result<&'a dyn Engine, BenchError> {
    engines
        .iter()
        .find(|e| e.name() == name)
        .map(|e| e.as_ref())
        .ok_or_else(|| BenchError::Selection(format!("no engine {name:?} in this build")))
}

/// Prepares `cell` through the suite runner (the same preparation `wasmfaas run` does), with
/// its own output folder under the work folder.
fn prepare_suite_run(
    context: &LaunchContext,
    cell: &Cell,
    engine: &dyn Engine,
) -> Result<(PreparedRun, PathBuf), BenchError> {
    let output_dir = context.work_dir.join(cell.slug());
    std::fs::create_dir_all(&output_dir).map_err(|e| BenchError::io(&output_dir, e))?;
    let mut prepared = runner::prepare(
        &context.layout,
        cell.function,
        cell.size,
        engine,
        cell.environment.mode,
        cell.environment.native_build(),
        &output_dir,
        &context.cache,
    )
    .map_err(|e| BenchError::Prepare {
        cell: cell.describe(),
        problem: e.to_string(),
    })?;
    // A user function's timeout is each run's deadline (see `run_timeout_of`), not a limit in
    // the engine: the bench measures engines as the suite's functions meet them, without
    // epoch interruption, and `process` and container runs are killed at the deadline.
    prepared.invocation.limits.timeout = None;
    Ok((prepared, output_dir))
}

/// What a container run of a cell needs: its image, arguments, mounts and files.
#[derive(Debug, Clone)]
struct ContainerCell {
    /// The OCI layout holding the image.
    layout: PathBuf,
    /// The image's tag in it.
    tag: String,
    /// The function's arguments (guest paths).
    args: Vec<String>,
    /// The output folder (writable) and the inputs (read-only) at their guest paths.
    mounts: Vec<wasmfaas_oci::BindMount>,
    /// The host folder the function writes to.
    output_dir: PathBuf,
    /// The host folder of its inputs.
    inputs_dir: PathBuf,
    /// Where a run's standard output goes.
    stdout_path: PathBuf,
    /// Where a run's standard error goes.
    stderr_path: PathBuf,
    /// For WebAssembly: the annotations that choose wasmfaas-runtime's engine and mode.
    annotations: HashMap<String, String>,
    /// For a module run in jit mode through wasmfaas's shim: where the node's AOT cache keeps
    /// its compiled code, which the shim loads when it is there.
    cached_artifact: Option<PathBuf>,
}

impl ContainerCell {
    /// Whether the image holds WebAssembly (run by wasmfaas-runtime).
    fn is_wasm(&self) -> bool {
        !self.annotations.is_empty()
    }

    /// Where a run of it leaves its streams and files.
    fn files(&self) -> RunFiles<'_> {
        RunFiles {
            stdout: &self.stdout_path,
            stderr: &self.stderr_path,
            output_dir: &self.output_dir,
            inputs_dir: &self.inputs_dir,
        }
    }
}

use wasmfaas_names::annotation::{HANDLER as HANDLER_ANNOTATION, MODE as MODE_ANNOTATION};

/// Writes the image of a cell into the project's layout (`artifacts/images`, where
/// `wasmfaas images` writes the same deterministic image) and works out its arguments, mounts
/// and (for WebAssembly) annotations. A native cell's image is its base's; a WebAssembly cell's
/// is the module's compat image, or the engine's AOT image in `aot` mode.
fn container_cell(
    context: &LaunchContext,
    engines: &[Box<dyn Engine>],
    cell: &Cell,
) -> Result<ContainerCell, BenchError> {
    use wasmfaas_engines::Mode;
    use wasmfaas_oci::Variant;
    let prepare_error = |problem: String| BenchError::Prepare {
        cell: cell.describe(),
        problem,
    };
    let environment = cell.environment;
    let name = cell.function.name;
    let user = cell.function.user;
    let mut annotations = HashMap::new();
    let (variant, program) = match (environment.mode, environment.base) {
        (Mode::Native, Some(base)) => (
            base.variant(),
            match user {
                Some(user) => user.binary().map_err(prepare_error)?.to_path_buf(),
                None => context.layout.native(name, base.native_build()),
            },
        ),
        (Mode::Native, None) => {
            return Err(prepare_error(
                "native code in a container needs a base (native-static, native-distroless, native-debian)".into(),
            ));
        }
        (mode, _) => {
            let engine = find_engine(engines, &environment.engine)?;
            annotations.insert(HANDLER_ANNOTATION.to_owned(), engine.name().to_owned());
            annotations.insert(MODE_ANNOTATION.to_owned(), mode.to_string());
            if let Some(user) = user {
                let module = user.module().map_err(prepare_error)?;
                if mode == Mode::Aot {
                    let artifact = context
                        .cache
                        .artifact_for(engine, module)
                        .map_err(|e| prepare_error(e.to_string()))?;
                    (Variant::Aot(engine.name().to_owned()), artifact.path)
                } else {
                    (Variant::Wasm, module.to_path_buf())
                }
            } else if mode == Mode::Aot {
                let artifact = context
                    .layout
                    .aot(engine.name(), name, engine.artifact_extension());
                if !wasmfaas_suite::build::aot_is_current(
                    &artifact,
                    &context.layout.wasm(name),
                    engine,
                ) {
                    return Err(prepare_error(format!(
                        "the AOT artifact {} is missing or stale: bring the suite up to date with `wasmfaas build`",
                        artifact.display()
                    )));
                }
                (Variant::Aot(engine.name().to_owned()), artifact)
            } else {
                (Variant::Wasm, context.layout.wasm(name))
            }
        }
    };
    let cached_artifact = match (&variant, environment.launcher, environment.mode) {
        (Variant::Wasm, LauncherKind::ContainerdShim, Mode::Jit) => {
            let engine = find_engine(engines, &environment.engine)?;
            if engine.modes().contains(&Mode::Aot) {
                let artifact = context
                    .cache
                    .artifact_path_of(engine, &program)
                    .map_err(|e| prepare_error(e.to_string()))?;
                Some(artifact)
            } else {
                None
            }
        }
        _ => None,
    };
    let layout = context.layout.artifacts.join("images");
    let images = wasmfaas_oci::Images::open(&layout).map_err(|e| prepare_error(e.to_string()))?;
    let built = images
        .write(name, &variant, &program)
        .map_err(|e| prepare_error(e.to_string()))?;
    let output_dir = context.work_dir.join(cell.slug());
    std::fs::create_dir_all(&output_dir).map_err(|e| BenchError::io(&output_dir, e))?;
    let guest = runner::guest_view(&context.layout, cell.function, cell.size, &output_dir)
        .map_err(|e| prepare_error(e.to_string()))?;
    let mounts = guest
        .preopens
        .iter()
        .map(|p| wasmfaas_oci::BindMount {
            host: p.host.clone(),
            guest: p.guest.clone(),
            read_only: p.host != output_dir,
        })
        .collect();
    let streams = context.work_dir.join(format!("{}.streams", cell.slug()));
    std::fs::create_dir_all(&streams).map_err(|e| BenchError::io(&streams, e))?;
    Ok(ContainerCell {
        layout,
        tag: built.tag,
        args: guest.args,
        mounts,
        output_dir,
        inputs_dir: guest.inputs_dir,
        stdout_path: streams.join("stdout"),
        stderr_path: streams.join("stderr"),
        annotations,
        cached_artifact,
    })
}

/// A unique container name: the harness's pid and a counter, so that leftovers are ours to find.
fn container_id(counter: &mut u64) -> String {
    *counter += 1;
    format!("{CONTAINER_PREFIX}{}-{counter}", std::process::id())
}

pub use wasmfaas_names::CONTAINER_PREFIX;

/// A wait status as a shell would give it: the exit code, or 128 + the signal.
fn exit_code(status: libc::c_int) -> i32 {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    }
}

/// Runs a container tool (runc, ctr) to completion outside any timing, in its own process
/// group so a Ctrl-C at the terminal reaches only the harness; gives its stderr on failure.
fn run_tool(command: &mut std::process::Command) -> Result<(), String> {
    use std::os::unix::process::CommandExt;
    let output = command
        .stdin(std::process::Stdio::null())
        .process_group(0)
        .output()
        .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} {} failed ({}): {}",
            command.get_program().to_string_lossy(),
            command
                .get_args()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Where a finished run left its streams and files.
struct RunFiles<'a> {
    stdout: &'a Path,
    stderr: &'a Path,
    output_dir: &'a Path,
    inputs_dir: &'a Path,
}

/// The measurement of a finished run: its streams read back, and a timeout said in front of
/// the end of its stderr.
fn measurement(
    run_timeout: Duration,
    files: RunFiles,
    total: Duration,
    status: libc::c_int,
    peak_rss_kib: Option<u64>,
    timed_out: bool,
) -> Result<Measurement, BenchError> {
    let read = |path: &Path| std::fs::read(path).map_err(|e| BenchError::io(path, e));
    let mut stderr_tail = tail(&read(files.stderr)?);
    if timed_out {
        stderr_tail = format!("killed after the run timeout of {run_timeout:?}. {stderr_tail}");
    }
    Ok(Measurement {
        total,
        phases: None,
        lifecycle: None,
        exit_code: exit_code(status),
        aot_cache_hit: None,
        stdout: read(files.stdout)?,
        stderr_tail,
        peak_rss_kib,
        output_dir: files.output_dir.to_path_buf(),
        inputs_dir: files.inputs_dir.to_path_buf(),
    })
}

/// Empties a run's output folder, so each run starts from nothing and its check sees only what
/// it wrote.
fn clear_dir(dir: &Path) -> Result<(), BenchError> {
    for entry in std::fs::read_dir(dir).map_err(|e| BenchError::io(dir, e))? {
        let path = entry.map_err(|e| BenchError::io(dir, e))?.path();
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|e| BenchError::io(&path, e))?;
    }
    Ok(())
}

/// The last few lines of a process's standard error.
fn tail(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    let lines: Vec<&str> = text.lines().rev().take(3).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
}
