//! A fresh container per request through containerd and wasmfaas's shim: `ctr run --rm` of the
//! function's image, the body on the container's stdin, its stdout the response. The cold
//! container is what a scale-from-zero platform pays on a cold request; here every request is
//! one. A native binary runs as a native container (statically linked: alone in its image;
//! else on the distroless/cc base), a module or an AOT artifact as a WebAssembly container in
//! the function's engine and mode. The shim, unlike runc's, gives the guest the end of its
//! stdin when ctr has sent the body.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use wasmfaas_engines::{EngineError, Invocation, Mode, Outcome, Stopped};
use wasmfaas_oci::Variant;

use super::{Executor, Running, on_blocking_thread};
use crate::functions::{Code, FunctionSpec, GUEST_OUTPUT};

/// The repository the gateway's images are imported under.
const REPOSITORY: &str = "docker.io/wasmfaas/serve";

/// Where and how the gateway runs containers.
#[derive(Debug, Clone)]
pub struct Containers {
    /// containerd's command-line client.
    pub ctr: PathBuf,
    /// containerd's socket.
    pub address: PathBuf,
    /// The containerd namespace of the gateway's images and containers.
    pub namespace: String,
    /// wasmfaas's shim (`containerd-shim-wasmfaas-v1`, its creator beside it).
    pub shim: PathBuf,
    /// The OCI layout the functions' images are written to.
    pub images: PathBuf,
}

impl Containers {
    fn ctr(&self) -> Command {
        wasmfaas_containerd::ctr_in(&self.ctr, &self.address, &self.namespace)
    }

    /// Runs `ctr <args>` to its end: its error output when it fails.
    fn ctr_tool(&self, args: &[&str]) -> Result<(), String> {
        let out = self
            .ctr()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.ctr.display()))?;
        if out.status.success() {
            return Ok(());
        }
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }

    /// Kills and removes the containers of this gateway that are still there (a request cut
    /// off by the gateway's own end): what `ctr run --rm` would have removed.
    pub fn remove_leftovers(&self) {
        let prefix = container_prefix();
        let Ok(out) = self.ctr().args(["containers", "list", "--quiet"]).output() else {
            return;
        };
        for id in String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|id| id.starts_with(&prefix))
        {
            self.remove(id);
        }
    }

    fn remove(&self, id: &str) {
        let _ = self.ctr_tool(&["task", "kill", "--signal", "SIGKILL", id]);
        let _ = self.ctr_tool(&["task", "delete", "--force", id]);
        let _ = self.ctr_tool(&["container", "delete", id]);
    }
}

/// The prefix of this gateway's container ids (its pid), so its leftovers are its own to find.
fn container_prefix() -> String {
    format!(
        "{}serve-{}-",
        wasmfaas_names::CONTAINER_PREFIX,
        std::process::id()
    )
}

/// Runs a function as a fresh container per request.
pub(super) struct ContainerExecutor {
    containers: Arc<Containers>,
    /// The image, imported into containerd.
    reference: String,
    /// The image's command line: its entrypoint, then the function's arguments.
    entrypoint: Vec<String>,
    /// For WebAssembly: the engine and mode the annotations ask the shim for.
    wasm: Option<(String, Mode)>,
    requests: AtomicU64,
}

impl ContainerExecutor {
    /// Writes `spec`'s image and imports it into containerd.
    pub(super) fn new(
        containers: Arc<Containers>,
        spec: &FunctionSpec,
    ) -> Result<Self, EngineError> {
        let failed = |message: String| EngineError::Engine {
            engine: "container",
            message: format!("function {:?}: {message}", spec.name),
        };
        let (variant, wasm) = match &spec.code {
            Code::Module(_) => (Variant::Wasm, Some((spec.engine.clone(), spec.mode))),
            Code::Artifact(_) => (
                Variant::Aot(spec.engine.clone()),
                Some((spec.engine.clone(), Mode::Aot)),
            ),
            Code::Binary(binary) => {
                let elf = std::fs::read(binary).map_err(|source| EngineError::Read {
                    path: binary.clone(),
                    source,
                })?;
                match wasmfaas_oci::interpreter(&elf) {
                    None => (Variant::NativeStatic, None),
                    Some(_) => (Variant::NativeDistroless, None),
                }
            }
        };
        let images =
            wasmfaas_oci::Images::open(&containers.images).map_err(|e| failed(e.to_string()))?;
        let built = images
            .write(&spec.name, &variant, spec.code.path())
            .map_err(|e| failed(e.to_string()))?;
        let image = wasmfaas_oci::inspect(&containers.images, &built.tag)
            .map_err(|e| failed(e.to_string()))?;
        let archive = containers.images.join(format!(".{}.serve.tar", built.tag));
        let reference = wasmfaas_oci::import_into_containerd(
            &containers.images,
            &built.tag,
            REPOSITORY,
            containers.ctr(),
            &archive,
        )
        .map_err(|e| failed(e.to_string()))?;
        Ok(Self {
            containers,
            reference,
            entrypoint: image.argv,
            wasm,
            requests: AtomicU64::new(0),
        })
    }

    /// `ctr run --rm` of container `id` for `invocation`.
    fn command(&self, id: &str, invocation: &Invocation) -> Command {
        let mut command = self.containers.ctr();
        command
            .args(["run", "--rm", "--runtime"])
            .arg(&self.containers.shim);
        if let Some((engine, mode)) = &self.wasm {
            command
                .args(["--platform", wasmfaas_names::WASM_PLATFORM])
                .arg("--annotation")
                .arg(format!("{}={engine}", wasmfaas_names::annotation::HANDLER))
                .arg("--annotation")
                .arg(format!("{}={mode}", wasmfaas_names::annotation::MODE));
        }
        for (key, value) in &invocation.env {
            command.arg("--env").arg(format!("{key}={value}"));
        }
        for preopen in &invocation.preopens {
            let access = if preopen.guest == GUEST_OUTPUT {
                "rw"
            } else {
                "ro"
            };
            command.arg("--mount").arg(format!(
                "type=bind,src={},dst={},options=rbind:{access}",
                preopen.host.display(),
                preopen.guest
            ));
        }
        command
            .arg(&self.reference)
            .arg(id)
            .args(&self.entrypoint)
            .args(&invocation.args);
        command
    }
}

impl Executor for ContainerExecutor {
    fn describe(&self) -> String {
        match &self.wasm {
            Some((engine, mode)) => format!("container/{engine}-{mode}"),
            None => "container/native".into(),
        }
    }

    fn invoke(self: Arc<Self>, mut invocation: Invocation) -> Running {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("{}{n}", container_prefix());
        // The deadline kills the container, not ctr: ctr then sees its task end and removes it.
        let timeout = invocation.limits.timeout.take();
        on_blocking_thread(move || {
            let command = self.command(&id, &invocation);
            let (finished, done) = std::sync::mpsc::channel::<()>();
            let expired = Arc::new(AtomicBool::new(false));
            let watchdog = timeout.map(|timeout| {
                let containers = self.containers.clone();
                let (id, expired) = (id.clone(), expired.clone());
                std::thread::spawn(move || kill_at(timeout, &done, &containers, &id, &expired))
            });
            let outcome = wasmfaas_engines::run_command(
                command,
                Path::new(&self.containers.ctr),
                &invocation,
            );
            drop(finished);
            if let Some(watchdog) = watchdog {
                watchdog.join().ok();
            }
            let mut outcome: Outcome = outcome?;
            if let (Some(timeout), true) = (timeout, expired.load(Ordering::SeqCst)) {
                let stopped = Stopped::Timeout(timeout);
                outcome.exit_code = stopped.exit_code();
                outcome.stopped = Some(stopped);
            }
            Ok(outcome)
        })
    }
}

/// Kills container `id` once `timeout` has passed, unless `done` says the run ended first; the
/// task may not exist yet when the deadline comes, so the kill is tried until the run ends.
fn kill_at(
    timeout: Duration,
    done: &std::sync::mpsc::Receiver<()>,
    containers: &Containers,
    id: &str,
    expired: &AtomicBool,
) {
    use std::sync::mpsc::RecvTimeoutError;
    if done.recv_timeout(timeout) != Err(RecvTimeoutError::Timeout) {
        return;
    }
    expired.store(true, Ordering::SeqCst);
    loop {
        let _ = containers.ctr_tool(&["task", "kill", "--signal", "SIGKILL", id]);
        if done.recv_timeout(Duration::from_millis(50)) != Err(RecvTimeoutError::Timeout) {
            return;
        }
    }
}
