//! The runtime as a Kubernetes node runs it: containerd started with `deploy/`'s config snippet
//! appended to a node config, and pods run through its CRI API with the runtime handler
//! `wasmfaas`, the calls the kubelet makes (RunPodSandbox, CreateContainer, StartContainer,
//! ContainerStatus, then RemoveContainer, StopPodSandbox, RemovePodSandbox). The pods' sandbox
//! is the suite's `pause` program and their containers the suite's matmul as a wasmtime AOT
//! image (pushed to a registry on loopback and pulled by the CRI's PullImage) and as a native
//! image (imported), each output checked; and, through the shim's handler, a pod of a
//! WebAssembly container with a native sidecar beside it, one shim serving the pod. A pod naming
//! an unknown engine must fail with the runtime's own message, and nothing may be left behind.
//!
//! Needs root, containerd, skopeo, docker-registry and the built suite; without them the test
//! says why it skips (and fails under CI=true, so a CI run never passes without running it).
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use tonic::transport::{Channel, Endpoint};
use wasmfaas_containerd::{Containerd, Options};
use wasmfaas_cri_api::v1::image_service_client::ImageServiceClient;
use wasmfaas_cri_api::v1::runtime_service_client::RuntimeServiceClient;
use wasmfaas_cri_api::v1::{
    ContainerConfig, ContainerMetadata, ContainerState, ContainerStatusRequest,
    CreateContainerRequest, ImageSpec, ImageStatusRequest, LinuxContainerConfig,
    LinuxContainerSecurityContext, LinuxPodSandboxConfig, LinuxSandboxSecurityContext, Mount,
    NamespaceMode, NamespaceOption, PodSandboxConfig, PodSandboxMetadata, PullImageRequest,
    RemoveContainerRequest, RemovePodSandboxRequest, RunPodSandboxRequest, StartContainerRequest,
    StopPodSandboxRequest, VersionRequest,
};
use wasmfaas_oci::{Images, Variant};
use wasmfaas_suite::Size;

mod common;
use common::project_root;
#[path = "../../oci/tests/registry/mod.rs"]
mod registry;
use registry::Registry;

/// The runtime handler the runtime's snippet registers.
const HANDLER: &str = "wasmfaas";
/// The runtime handler the shim's snippet registers.
const SHIM_HANDLER: &str = "wasmfaas-shim";

/// The shim, built beside the runtime by `cargo test --workspace`.
fn shim_binary() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_wasmfaas-runtime")).with_file_name(wasmfaas_names::SHIM_BINARY)
}
/// The repository the test's images are imported under, in containerd's `k8s.io` namespace.
const REPOSITORY: &str = "docker.io/wasmfaas/suite";
/// The longest a pod may take to run before the test fails (never hangs).
const LIMIT: Duration = Duration::from_secs(60);

/// Whether the test can run here: root, containerd and ctr, and the built suite. Under CI it
/// must.
fn can_run() -> bool {
    let root = project_root().join("artifacts");
    // SAFETY: geteuid has no preconditions.
    let missing = if unsafe { libc::geteuid() } != 0 {
        Some("root (containerd, namespaces, cgroups)".to_owned())
    } else if let Some((tool, package)) = [
        ("containerd", "containerd"),
        ("ctr", "containerd"),
        ("skopeo", "skopeo"),
        ("docker-registry", "docker-registry"),
    ]
    .into_iter()
    .find(|(t, _)| Command::new(t).arg("--version").output().is_err())
    {
        Some(format!("{tool} (apt-get install {package})"))
    } else if !shim_binary().is_file() {
        Some(format!(
            "{} (cargo build --release --workspace --bin {})",
            shim_binary().display(),
            wasmfaas_names::SHIM_BINARY
        ))
    } else {
        [
            "native-static/pause",
            "native/matmul",
            "aot/wasmtime/matmul.cwasm",
        ]
        .into_iter()
        .find(|a| !root.join(a).is_file())
        .map(|a| format!("artifacts/{a} (build the suite: cargo run --release -- build)"))
    };
    common::runs_here("the CRI tests", missing)
}

/// A private containerd configured as a node would be: its own config with the runc runtime,
/// the CRI plugin on, and the deploy snippet appended as the snippet's comment says.
struct Node {
    dir: tempfile::TempDir,
    containerd: Option<Containerd>,
}

impl Node {
    fn containerd(&self) -> &Containerd {
        self.containerd.as_ref().expect("running until dropped")
    }

    fn socket(&self) -> PathBuf {
        self.containerd().address().to_path_buf()
    }

    fn start() -> Node {
        let dir = tempfile::tempdir().unwrap();
        let snippet =
            std::fs::read_to_string(project_root().join("deploy/containerd/wasmfaas-runtime.toml"))
                .unwrap();
        // The snippet names where a node installs the binary; here it is the one just built,
        // as an operator would edit the path to their install.
        let installed = "/usr/local/bin/wasmfaas-runtime";
        assert!(
            snippet.contains(installed),
            "the snippet's BinaryName moved: {snippet}"
        );
        let snippet = snippet.replace(installed, env!("CARGO_BIN_EXE_wasmfaas-runtime"));
        // The shim's runtime state goes under the test's folder rather than the node-wide
        // /run/containerd/runc, so the test can see that nothing is left in it.
        let options = "SystemdCgroup = false";
        assert!(
            snippet.contains(options),
            "the snippet's options moved: {snippet}"
        );
        let snippet = snippet.replace(
            options,
            &format!(
                "{options}\n    Root = \"{}\"",
                dir.path().join("runtime").display()
            ),
        );
        let node_config = format!(
            r#"[plugins."io.containerd.grpc.v1.cri"]
  # The sandbox image is the suite's pause program: no registry is reached.
  sandbox_image = "{REPOSITORY}:pause-native-static"
  # The kubelet's sandboxes ask for oom_score_adj -998, which needs CAP_SYS_RESOURCE; the
  # machines this test runs on (CI's too) withhold it from root, as a rootless node does.
  # runc fails the same way without this.
  restrict_oom_score_adj = true
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
# Where a node says how to reach each registry (`<host>/hosts.toml`); the test's registry is
# plain HTTP on loopback.
[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "{hosts}"
"#,
            hosts = dir.path().join("certs.d").display(),
        );
        let shim_snippet =
            std::fs::read_to_string(project_root().join("deploy/containerd/wasmfaas-shim.toml"))
                .unwrap();
        let options = Options::from_path()
            .expect("can_run checked containerd and ctr")
            .with_cri()
            .with_config(&(node_config + &snippet + "\n" + &shim_snippet))
            // containerd finds io.containerd.wasmfaas.v1 on its PATH, where a node installs it.
            .with_path_first(shim_binary().parent().unwrap());
        let containerd = Containerd::start(&dir.path().join("containerd"), options)
            .unwrap_or_else(|e| panic!("containerd did not start with the snippet: {e}"));
        Node {
            dir,
            containerd: Some(containerd),
        }
    }

    fn ctr(&self, args: &[&str]) -> Output {
        self.containerd().ctr().args(args).output().unwrap()
    }

    fn log(&self) -> String {
        self.containerd().log()
    }

    /// Writes `function`'s image of `variant` into the node's layout; gives the layout and
    /// what was written.
    fn write_image(
        &self,
        function: &str,
        variant: &Variant,
        program: &Path,
    ) -> (PathBuf, wasmfaas_oci::Built) {
        let layout = self.dir.path().join("images");
        let built = Images::open(&layout)
            .unwrap()
            .write(function, variant, program)
            .unwrap();
        (layout, built)
    }

    /// Writes `function`'s image of `variant` and imports it where the CRI plugin finds images
    /// (namespace `k8s.io`), as `ctr -n k8s.io image import` loads images on a node.
    fn import(&self, function: &str, variant: &Variant, program: &Path) -> String {
        let (layout, built) = self.write_image(function, variant, program);
        let archive = self.dir.path().join(format!("{}.tar", built.tag));
        wasmfaas_oci::export_archive(&layout, &built.tag, &archive).unwrap();
        let out = self.ctr(&[
            "--namespace",
            "k8s.io",
            "image",
            "import",
            "--all-platforms",
            "--base-name",
            REPOSITORY,
            archive.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "import of {}: {}",
            built.tag,
            String::from_utf8_lossy(&out.stderr)
        );
        format!("{REPOSITORY}:{}", built.tag)
    }

    /// Writes `function`'s image of `variant`, pushes it to `registry` and tells the CRI
    /// plugin to reach that registry over plain HTTP, as a node's `certs.d` does; gives the
    /// reference a pod names (the image is not on the node until the CRI pulls it).
    fn publish(
        &self,
        registry: &Registry,
        function: &str,
        variant: &Variant,
        program: &Path,
    ) -> String {
        let (layout, built) = self.write_image(function, variant, program);
        let hosts = self.dir.path().join("certs.d").join(&registry.address);
        std::fs::create_dir_all(&hosts).unwrap();
        let server = format!("http://{}", registry.address);
        std::fs::write(
            hosts.join("hosts.toml"),
            format!("server = \"{server}\"\n[host.\"{server}\"]\n  capabilities = [\"pull\", \"resolve\"]\n"),
        )
        .unwrap();
        registry.push(
            &layout,
            &built.tag,
            &format!("wasmfaas/{function}:{variant}"),
        )
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // Stopped first: it kills the shims it left and unmounts what is under its folder.
        self.containerd.take();
        // The runtime makes the CRI's cgroup parent (`/k8s.io`) in every hierarchy and, like
        // runc, leaves it; rmdir removes it only when no container is left in it.
        wasmfaas_containerd::remove_namespace_cgroups("k8s.io");
    }
}

/// The CRI's two services over containerd's socket, driven synchronously.
struct Cri {
    tokio: tokio::runtime::Runtime,
    runtime: RuntimeServiceClient<Channel>,
    images: ImageServiceClient<Channel>,
}

impl Cri {
    fn connect(socket: &Path) -> Cri {
        let tokio = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let socket = socket.to_path_buf();
        // The URI is a placeholder: every connection goes to the Unix socket.
        let channel = tokio
            .block_on(
                Endpoint::try_from("http://[::]:50051")
                    .unwrap()
                    .connect_with_connector(tower::service_fn(move |_| {
                        let socket = socket.clone();
                        async move {
                            let stream = tokio::net::UnixStream::connect(socket).await?;
                            Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
                        }
                    })),
            )
            .expect("cannot connect to containerd's CRI socket");
        Cri {
            tokio,
            runtime: RuntimeServiceClient::new(channel.clone()),
            images: ImageServiceClient::new(channel),
        }
    }
}

/// A pod's sandbox config: host network (no CNI on a test node), the given annotations.
fn sandbox_config(name: &str, logs: &Path, annotations: &[(&str, &str)]) -> PodSandboxConfig {
    PodSandboxConfig {
        metadata: Some(PodSandboxMetadata {
            name: name.into(),
            uid: format!("{name}-{}", std::process::id()),
            namespace: "wasmfaas-test".into(),
            attempt: 0,
        }),
        hostname: String::new(),
        log_directory: logs.display().to_string(),
        annotations: annotations
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        linux: Some(LinuxPodSandboxConfig {
            security_context: Some(LinuxSandboxSecurityContext {
                namespace_options: Some(namespaces()),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn namespaces() -> NamespaceOption {
    NamespaceOption {
        network: NamespaceMode::Node as i32,
        pid: NamespaceMode::Container as i32,
        ipc: NamespaceMode::Pod as i32,
        ..Default::default()
    }
}

/// How a container of the pod ended.
struct Finished {
    exit_code: i32,
    stdout: String,
    stderr: String,
    reason: String,
}

/// Reads a CRI container log (`<time> <stream> <P|F> <text>` per line) back into its streams.
fn read_cri_log(path: &Path) -> (String, String) {
    let (mut stdout, mut stderr) = (String::new(), String::new());
    for line in std::fs::read_to_string(path).unwrap_or_default().lines() {
        let mut fields = line.splitn(4, ' ');
        let (_, stream, tag, text) = (
            fields.next(),
            fields.next().unwrap_or(""),
            fields.next().unwrap_or(""),
            fields.next().unwrap_or(""),
        );
        let to = if stream == "stderr" {
            &mut stderr
        } else {
            &mut stdout
        };
        to.push_str(text);
        if tag == "F" {
            to.push('\n');
        }
    }
    (stdout, stderr)
}

/// A pod to run: its container's name, image, arguments and mounts, the pod's annotations, and
/// any containers beside it (sidecars).
struct PodRun<'a> {
    name: &'a str,
    /// The runtime handler (the RuntimeClass's).
    handler: &'a str,
    image: &'a str,
    args: Vec<String>,
    mounts: Vec<Mount>,
    annotations: &'a [(&'a str, &'a str)],
    logs: PathBuf,
    /// Containers started beside the pod's own, in the same sandbox.
    sidecars: Vec<ContainerRun<'a>>,
}

/// One container of a pod: its name, image, arguments and mounts.
#[derive(Clone)]
struct ContainerRun<'a> {
    name: &'a str,
    image: &'a str,
    args: Vec<String>,
    mounts: Vec<Mount>,
}

impl<'a> PodRun<'a> {
    /// Every container of the pod, its own first.
    fn containers(&self) -> Vec<ContainerRun<'a>> {
        let own = ContainerRun {
            name: self.name,
            image: self.image,
            args: self.args.clone(),
            mounts: self.mounts.clone(),
        };
        std::iter::once(own)
            .chain(self.sidecars.iter().cloned())
            .collect()
    }
}

/// Awaits one CRI call, never longer than [`LIMIT`] (a hung shim fails the test, not hangs it).
async fn call<T>(
    what: &str,
    name: &str,
    call: impl std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> Result<T, String> {
    match tokio::time::timeout(LIMIT, call).await {
        Ok(Ok(response)) => Ok(response.into_inner()),
        Ok(Err(status)) => Err(format!("{what} {name}: {}", status.message())),
        Err(_) => Err(format!("{what} {name}: no answer within {LIMIT:?}")),
    }
}

/// Runs one pod to its end, its containers side by side, and removes them and the pod, as the
/// kubelet runs a Job's pod; gives each container's end, the pod's own first. The images must
/// be on the node already (imported or pulled). An error is the first call that failed, with
/// the message containerd gave.
fn run_pod(cri: &mut Cri, run: &PodRun) -> Result<Vec<Finished>, String> {
    let name = run.name;
    std::fs::create_dir_all(&run.logs).unwrap();
    let sandbox = sandbox_config(name, &run.logs, run.annotations);
    let containers = run.containers();
    let Cri {
        tokio,
        runtime,
        images,
    } = cri;
    tokio.block_on(async {
        for container in &containers {
            let status = call(
                "ImageStatus",
                container.name,
                images.image_status(ImageStatusRequest {
                    image: Some(image_spec(container.image)),
                    verbose: false,
                }),
            )
            .await?;
            if status.image.is_none() {
                return Err(format!(
                    "the CRI plugin does not see the image {} (not imported or pulled)",
                    container.image
                ));
            }
        }
        let pod = call(
            "RunPodSandbox",
            name,
            runtime.run_pod_sandbox(RunPodSandboxRequest {
                config: Some(sandbox.clone()),
                runtime_handler: run.handler.into(),
            }),
        )
        .await?
        .pod_sandbox_id;
        let finished = run_containers(runtime, &pod, &sandbox, &containers, &run.logs).await;
        // Stopped and removed whatever happened, as the kubelet does, before the verdict.
        let stopped = call(
            "StopPodSandbox",
            name,
            runtime.stop_pod_sandbox(StopPodSandboxRequest {
                pod_sandbox_id: pod.clone(),
            }),
        )
        .await;
        let removed = call(
            "RemovePodSandbox",
            name,
            runtime.remove_pod_sandbox(RemovePodSandboxRequest {
                pod_sandbox_id: pod,
            }),
        )
        .await;
        let finished = finished?;
        stopped?;
        removed?;
        Ok(finished)
    })
}

/// A pod's input (read-only) and output folders under `io`, and their mounts at `/input` and
/// `/output`.
fn io_mounts(io: &Path) -> (PathBuf, PathBuf, Vec<Mount>) {
    let (input, output) = (io.join("input"), io.join("output"));
    std::fs::create_dir_all(&input).unwrap();
    std::fs::create_dir_all(&output).unwrap();
    let mounts = vec![
        Mount {
            container_path: "/input".into(),
            host_path: input.display().to_string(),
            readonly: true,
            ..Default::default()
        },
        Mount {
            container_path: "/output".into(),
            host_path: output.display().to_string(),
            ..Default::default()
        },
    ];
    (input, output, mounts)
}

fn image_spec(image: &str) -> ImageSpec {
    ImageSpec {
        image: image.into(),
        ..Default::default()
    }
}

/// Creates and starts every container of the pod, then waits for each, reads its log and
/// removes it; every container created is removed, whatever failed.
async fn run_containers(
    runtime: &mut RuntimeServiceClient<Channel>,
    pod: &str,
    sandbox: &PodSandboxConfig,
    containers: &[ContainerRun<'_>],
    logs: &Path,
) -> Result<Vec<Finished>, String> {
    let mut created = Vec::new();
    let mut outcome = Ok(());
    for container in containers {
        match create_container(runtime, pod, sandbox, container).await {
            Ok(id) => created.push((container.name, id)),
            Err(e) => {
                outcome = Err(e);
                break;
            }
        }
    }
    if outcome.is_ok() {
        for (name, id) in &created {
            let started = call(
                "StartContainer",
                name,
                runtime.start_container(StartContainerRequest {
                    container_id: id.clone(),
                }),
            )
            .await;
            if let Err(e) = started {
                outcome = Err(e);
                break;
            }
        }
    }
    let mut finished = Vec::new();
    if outcome.is_ok() {
        for (name, id) in &created {
            match wait_exited(runtime, name, id, logs).await {
                Ok(end) => finished.push(end),
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
    }
    for (name, id) in created {
        call(
            "RemoveContainer",
            name,
            runtime.remove_container(RemoveContainerRequest { container_id: id }),
        )
        .await?;
    }
    outcome.map(|()| finished)
}

/// Creates one container of the pod; gives its id.
async fn create_container(
    runtime: &mut RuntimeServiceClient<Channel>,
    pod: &str,
    sandbox: &PodSandboxConfig,
    container: &ContainerRun<'_>,
) -> Result<String, String> {
    let name = container.name;
    Ok(call(
        "CreateContainer",
        name,
        runtime.create_container(CreateContainerRequest {
            pod_sandbox_id: pod.into(),
            config: Some(ContainerConfig {
                metadata: Some(ContainerMetadata {
                    name: name.into(),
                    attempt: 0,
                }),
                image: Some(image_spec(container.image)),
                args: container.args.clone(),
                mounts: container.mounts.clone(),
                log_path: format!("{name}.log"),
                linux: Some(LinuxContainerConfig {
                    security_context: Some(LinuxContainerSecurityContext {
                        namespace_options: Some(namespaces()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            sandbox_config: Some(sandbox.clone()),
        }),
    )
    .await?
    .container_id)
}

/// Polls a started container until it has exited, within [`LIMIT`]; reads its log.
async fn wait_exited(
    runtime: &mut RuntimeServiceClient<Channel>,
    name: &str,
    id: &str,
    logs: &Path,
) -> Result<Finished, String> {
    let deadline = Instant::now() + LIMIT;
    loop {
        let status = call(
            "ContainerStatus",
            name,
            runtime.container_status(ContainerStatusRequest {
                container_id: id.into(),
                verbose: false,
            }),
        )
        .await?
        .status
        .ok_or_else(|| format!("ContainerStatus {name}: no status"))?;
        if status.state == ContainerState::ContainerExited as i32 {
            let (stdout, stderr) = read_cri_log(&logs.join(format!("{name}.log")));
            return Ok(Finished {
                exit_code: status.exit_code,
                stdout,
                stderr,
                reason: format!("{} {}", status.reason, status.message),
            });
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{name} did not finish within {LIMIT:?}: its status is {status:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn pods_run_through_the_deploy_snippet_with_their_output_checked() {
    if !can_run() {
        return;
    }
    let node = Node::start();
    let artifacts = project_root().join("artifacts");

    // The snippet loaded: the CRI plugin is up and the handler has the runtime's path and the
    // annotations it reads.
    let plugins = String::from_utf8_lossy(&node.ctr(&["plugins", "ls"]).stdout).into_owned();
    let cri_plugin = plugins
        .lines()
        .find(|l| l.contains("io.containerd.grpc.v1") && l.contains(" cri "))
        .unwrap_or_else(|| panic!("no CRI plugin:\n{plugins}"));
    assert!(cri_plugin.trim_end().ends_with("ok"), "{cri_plugin}");
    let logged = node.log();
    let config_line = logged
        .lines()
        .find(|l| l.contains("Start cri plugin with config"))
        .unwrap_or_else(|| panic!("containerd logged no CRI config:\n{logged}"));
    for needle in [
        "wasmfaas:{Type:io.containerd.runc.v2",
        &format!("BinaryName:{}", env!("CARGO_BIN_EXE_wasmfaas-runtime")),
        "PodAnnotations:[run.oci.handler wasmfaas.mode module.wasm.image/variant]",
        "wasmfaas-shim:{Type:io.containerd.wasmfaas.v1",
    ] {
        assert!(
            config_line.contains(needle),
            "{needle:?} not in {config_line}"
        );
    }

    node.import(
        "pause",
        &Variant::NativeStatic,
        &artifacts.join("native-static/pause"),
    );
    let registry = Registry::start(&node.dir.path().join("registry"));
    let wasm_image = node.publish(
        &registry,
        "matmul",
        &Variant::Aot("wasmtime".into()),
        &artifacts.join("aot/wasmtime/matmul.cwasm"),
    );
    let native_image = node.import(
        "matmul",
        &Variant::NativeDistroless,
        &artifacts.join("native/matmul"),
    );

    let mut cri = Cri::connect(&node.socket());
    let version = cri
        .tokio
        .block_on(cri.runtime.version(VersionRequest::default()))
        .unwrap()
        .into_inner();
    assert_eq!(version.runtime_name, "containerd", "{version:?}");
    // The WebAssembly image comes from the registry through the kubelet's PullImage (the
    // node's platform is linux/amd64, the image's wasip1/wasm); the native one was imported,
    // as a node preloads images.
    let pulled = cri
        .tokio
        .block_on(cri.images.pull_image(PullImageRequest {
            image: Some(ImageSpec {
                image: wasm_image.clone(),
                ..Default::default()
            }),
            ..Default::default()
        }))
        .unwrap_or_else(|e| panic!("PullImage {wasm_image}: {e}\ncontainerd:\n{}", node.log()))
        .into_inner();
    assert!(pulled.image_ref.starts_with("sha256:"), "{pulled:?}");

    let matmul = wasmfaas_suite::find("matmul").unwrap();
    let size = Size::Small;
    // Each pod through the runtime's handler (runc's shim) and through the shim's: the pause
    // sandbox, then the WebAssembly or native container in it.
    for (name, handler, image, annotations) in [
        (
            "matmul-wasm",
            HANDLER,
            &wasm_image,
            &[("run.oci.handler", "wasmtime"), ("wasmfaas.mode", "aot")][..],
        ),
        ("matmul-native", HANDLER, &native_image, &[][..]),
        (
            "matmul-wasm-shim",
            SHIM_HANDLER,
            &wasm_image,
            &[("run.oci.handler", "wasmtime"), ("wasmfaas.mode", "aot")][..],
        ),
        ("matmul-native-shim", SHIM_HANDLER, &native_image, &[][..]),
    ] {
        let io = node.dir.path().join(name);
        let (input, output, mounts) = io_mounts(&io);
        let finished = run_pod(
            &mut cri,
            &PodRun {
                name,
                handler,
                image,
                args: matmul.args(size, "/input", "/output"),
                mounts,
                annotations,
                logs: io.join("logs"),
                sidecars: Vec::new(),
            },
        )
        .unwrap_or_else(|e| panic!("{e}\ncontainerd:\n{}", node.log()))
        .remove(0);
        assert_eq!(
            finished.exit_code,
            0,
            "{name} through the CRI: {} stderr: {}\ncontainerd:\n{}",
            finished.reason,
            finished.stderr,
            node.log()
        );
        wasmfaas_suite::check(matmul, size, finished.stdout.as_bytes(), &output, &input)
            .unwrap_or_else(|e| panic!("{name} through the CRI: {e}"));
    }

    // A pod as Kubernetes runs an app with a sidecar: the pause sandbox, the WebAssembly
    // container and a native container side by side, through the shim's handler. The pod's
    // engine annotation is for its WebAssembly; the native sidecar (and pause) are exec'd as
    // the entrypoint's bytes say. One shim serves the whole pod.
    let hello = wasmfaas_suite::find("hello").unwrap();
    let hello_image = node.import(
        "hello",
        &Variant::NativeDistroless,
        &artifacts.join("native/hello"),
    );
    let shims_started = || node.log().matches("Shim successfully started").count();
    let before = shims_started();
    let io = node.dir.path().join("sidecar-pod");
    let (input, output, mounts) = io_mounts(&io);
    let ends = run_pod(
        &mut cri,
        &PodRun {
            name: "matmul-with-sidecar",
            handler: SHIM_HANDLER,
            image: &wasm_image,
            args: matmul.args(size, "/input", "/output"),
            mounts,
            annotations: &[("run.oci.handler", "wasmtime"), ("wasmfaas.mode", "aot")],
            logs: io.join("logs"),
            sidecars: vec![ContainerRun {
                name: "native-sidecar",
                image: &hello_image,
                args: Vec::new(),
                mounts: Vec::new(),
            }],
        },
    )
    .unwrap_or_else(|e| panic!("{e}\ncontainerd:\n{}", node.log()));
    assert_eq!(ends.len(), 2);
    for end in &ends {
        assert_eq!(
            end.exit_code, 0,
            "the sidecar pod: {} stderr: {}",
            end.reason, end.stderr
        );
    }
    wasmfaas_suite::check(matmul, size, ends[0].stdout.as_bytes(), &output, &input)
        .unwrap_or_else(|e| panic!("the sidecar pod's WebAssembly: {e}"));
    let empty = tempfile::tempdir().unwrap();
    wasmfaas_suite::check(
        hello,
        size,
        ends[1].stdout.as_bytes(),
        empty.path(),
        empty.path(),
    )
    .unwrap_or_else(|e| panic!("the sidecar pod's native sidecar: {e}"));
    assert_eq!(
        shims_started() - before,
        1,
        "one shim serves the pod's sandbox and both containers:\n{}",
        node.log()
    );

    // A pod that asks for an engine the runtime does not have: the runtime fails create with
    // its own message, which containerd passes on, and the shim does not hang.
    // The shim's pods ran in containerd-shim-wasmfaas-v1: its log (containerd-shim's words)
    // reaches containerd's, which the runc shim's does not write.
    assert!(
        node.log().contains("Shim successfully started"),
        "no pod ran through the shim:\n{}",
        node.log()
    );
    for (name, handler) in [
        ("unknown-engine", HANDLER),
        ("unknown-engine-shim", SHIM_HANDLER),
    ] {
        let refused = run_pod(
            &mut cri,
            &PodRun {
                name,
                handler,
                image: &wasm_image,
                args: Vec::new(),
                mounts: Vec::new(),
                annotations: &[("run.oci.handler", "wasmtime-nightly")],
                logs: node.dir.path().join(name),
                sidecars: Vec::new(),
            },
        );
        let error = refused.err().expect("a pod with an unknown engine ran");
        assert!(
            error.contains("annotation run.oci.handler=wasmtime-nightly: unknown engine"),
            "{name}: {error}"
        );
    }

    // Nothing of the pods is left: no container or task in containerd, no state in the
    // runtime's root, no shim, no mount, no cgroup.
    let listed = |what: &str| {
        let listed = node.ctr(&["--namespace", "k8s.io", what, "ls", "--quiet"]);
        String::from_utf8_lossy(&listed.stdout).trim().to_owned()
    };
    assert_eq!(listed("containers"), "");
    assert_eq!(listed("tasks"), "");
    let states: Vec<_> = std::fs::read_dir(node.dir.path().join("runtime/k8s.io"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(states.is_empty(), "runtime state left: {states:?}");
    let shim_state = Path::new("/run/containerd/wasmfaas/k8s.io");
    assert!(
        !shim_state.exists(),
        "the shim's state left: {}",
        shim_state.display()
    );
    assert_eq!(wasmfaas_containerd::shims_of(&node.socket()), Vec::new());
    let cgroups: Vec<_> = std::fs::read_dir("/sys/fs/cgroup")
        .unwrap()
        .flatten()
        .flat_map(|h| {
            std::fs::read_dir(h.path().join("k8s.io"))
                .into_iter()
                .flatten()
                .flatten()
        })
        .filter(|c| c.path().is_dir())
        .map(|c| c.path())
        .collect();
    assert!(cgroups.is_empty(), "cgroups left: {cgroups:?}");
}
