//! `wasmfaas serve`: an HTTP gateway that runs each request in a fresh instance of its function.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use wasmfaas_engines::{AotCache, Mode, Pool};
use wasmfaas_serve::{ConnectionLimits, Engines, Gateway, Served, Settings, Shutdown};
use wasmfaas_suite::Size;

use super::ProjectArgs;

/// Arguments of `wasmfaas serve`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  wasmfaas serve --suite --engine wasmtime --mode aot\n  wasmfaas serve --functions functions.toml --addr 127.0.0.1:8080\n  curl -d 'World' http://127.0.0.1:8080/hello"
)]
pub struct Args {
    /// A functions file (TOML, `[[function]]` tables; see docs/serving.md)
    #[arg(long, value_name = "FILE", required_unless_present = "suite")]
    functions: Option<PathBuf>,
    /// Serve the suite's functions too, with their arguments and inputs at --size
    #[arg(long)]
    suite: bool,
    /// The engine of the suite's functions: wasmtime, wasmer, wasmi or native
    #[arg(long, default_value = "wasmtime")]
    engine: String,
    /// The mode of the suite's functions [default: aot for wasmtime and wasmer, else the engine's first]
    #[arg(long)]
    mode: Option<Mode>,
    /// The workload size of the suite's functions: small, paper or large
    #[arg(long, default_value = "paper")]
    size: Size,
    /// Where to listen (port 0: any free port, printed at start)
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Requests that run at once; each holds an instance or a process [default: 4 per core]
    #[arg(long, value_name = "N")]
    max_concurrency: Option<usize>,
    /// Requests that may wait for a slot; beyond them the gateway answers 503 with Retry-After
    #[arg(long, value_name = "N", default_value_t = 256)]
    max_queue: usize,
    /// The largest request body (413 beyond)
    #[arg(long, value_name = "BYTES", default_value = "1MiB", value_parser = wasmfaas_engines::parse_bytes)]
    max_body: u64,
    /// The largest request head (431 beyond)
    #[arg(long, value_name = "BYTES", default_value = "16KiB", value_parser = wasmfaas_engines::parse_bytes)]
    max_head: u64,
    /// The most a function may print per request
    #[arg(long, value_name = "BYTES", default_value = "64MiB", value_parser = wasmfaas_engines::parse_bytes)]
    max_response: u64,
    /// The longest a client may take to send a request's head, then its body
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = super::parse_duration)]
    read_timeout: Duration,
    /// How long in-flight requests may take to finish after SIGTERM or Ctrl-C
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = super::parse_duration)]
    grace: Duration,
    /// Keep each request's output folder as DIR/<request id> instead of removing it
    #[arg(long, value_name = "DIR")]
    keep_outputs: Option<PathBuf>,
    /// Where AOT artifacts of modules are cached [default: $WASMFAAS_CACHE or ~/.cache/wasmfaas]
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Run each request in a fresh container through containerd and wasmfaas's shim (as root,
    /// with containerd installed): a native binary as a native container, a module or AOT
    /// artifact as a WebAssembly container in its engine and mode
    #[arg(long)]
    container: bool,
    /// With --container: the socket of a running containerd to use [default: a private
    /// containerd of the gateway's, stopped when it stops]
    #[arg(long, value_name = "SOCKET", requires = "container")]
    containerd_address: Option<PathBuf>,
    #[command(flatten)]
    project: ProjectArgs,
}

/// Runs `wasmfaas serve` until SIGTERM or Ctrl-C.
pub fn run(args: Args) -> Result<ExitCode> {
    // One log line per request unless WASMFAAS_LOG says otherwise (main installs that one).
    if std::env::var_os("WASMFAAS_LOG").is_none() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init()
            .ok();
    }
    let mut specs = Vec::new();
    if let Some(file) = &args.functions {
        specs.extend(wasmfaas_serve::functions::read(file)?);
    }
    if args.suite {
        let engine = wasmfaas_engines::engine(&args.engine)?;
        let mode = args.mode.unwrap_or(if engine.modes().contains(&Mode::Aot) {
            Mode::Aot
        } else {
            engine.modes()[0]
        });
        engine.check_mode(mode)?;
        for spec in
            wasmfaas_serve::suite::functions(&args.project.layout(), args.size, &args.engine, mode)?
        {
            if specs
                .iter()
                .any(|s: &wasmfaas_serve::FunctionSpec| s.name == spec.name)
            {
                bail!(
                    "the functions file declares {:?}, which is a suite function too: rename it or leave out --suite",
                    spec.name
                );
            }
            specs.push(spec);
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let max_concurrency = args.max_concurrency.unwrap_or(4 * cores).max(1);
    let pool = Pool {
        instances: u32::try_from(max_concurrency).context("--max-concurrency is too large")?,
        // The pool's ceiling fits the largest limit; a function without one may have it all.
        max_memory: specs
            .iter()
            .map(|s| s.max_memory.unwrap_or(Pool::MAX_MEMORY))
            .max()
            .unwrap_or(Pool::MAX_MEMORY),
    };
    let cache = AotCache::new(
        args.cache_dir
            .clone()
            .unwrap_or_else(AotCache::default_root),
    );
    let mut engines = Engines::new(pool, cache.clone());
    // A private containerd lives as long as the gateway; dropping it stops it and cleans up.
    let mut node = None;
    if args.container {
        let (containers, private) = containers(&args, &cache)?;
        engines = engines.in_containers(containers);
        node = private;
    }
    let mut served = Vec::new();
    for spec in specs {
        let executor = engines
            .executor(&spec)
            .with_context(|| format!("cannot serve function {:?}", spec.name))?;
        served.push(Served {
            spec,
            executor: Arc::from(executor),
        });
    }
    let settings = Settings {
        max_concurrency,
        max_queue: args.max_queue,
        max_body: usize::try_from(args.max_body).unwrap_or(usize::MAX),
        max_response: usize::try_from(args.max_response).unwrap_or(usize::MAX),
        body_timeout: args.read_timeout,
        keep_outputs: args.keep_outputs.clone(),
    };
    let limits = ConnectionLimits {
        header_timeout: args.read_timeout,
        max_head: usize::try_from(args.max_head).unwrap_or(usize::MAX),
        grace: args.grace,
    };
    let gateway = Arc::new(Gateway::new(served, settings));
    // Engines with a runtime of their own (wasmer) must not be dropped inside the server's:
    // this handle outlives it, so the gateway goes last, on this thread.
    let last_handle = gateway.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server's threads")?;
    let shutdown = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {} (--addr)", args.addr))?;
        let local = listener.local_addr()?;
        for function in gateway.functions() {
            eprintln!(
                "wasmfaas: serving /{} ({})",
                function.spec.name,
                function.executor.describe()
            );
        }
        eprintln!("wasmfaas: listening on http://{local}");
        Ok::<_, anyhow::Error>(
            wasmfaas_serve::serve(gateway, listener, limits, wasmfaas_serve::termination()).await?,
        )
    })?;
    // Runs whose engine cannot stop them may still be going; they are not waited for.
    runtime.shutdown_timeout(Duration::from_millis(100));
    drop(last_handle);
    engines.remove_leftover_containers();
    if let Some(node) = node {
        node.stop();
    }
    match shutdown {
        Shutdown::Drained => {
            eprintln!("wasmfaas: stopped; every request in flight was answered");
            Ok(ExitCode::SUCCESS)
        }
        Shutdown::GraceExpired => {
            eprintln!(
                "wasmfaas: stopped at the end of the grace period ({:?}) with requests still in flight",
                args.grace
            );
            Ok(ExitCode::from(crate::EXIT_ERROR))
        }
    }
}

/// A private containerd of the gateway's: its folder, the daemon, and the namespace whose cgroup
/// folders go with it.
struct PrivateContainerd {
    daemon: wasmfaas_containerd::Containerd,
    namespace: String,
    _dir: tempfile::TempDir,
}

impl PrivateContainerd {
    fn stop(self) {
        drop(self.daemon);
        wasmfaas_containerd::remove_namespace_cgroups(&self.namespace);
    }
}

/// Where `--container` runs containers: containerd at `--containerd-address`, or a private
/// one (returned, to be stopped at the end), with wasmfaas's shim brought up to date.
fn containers(
    args: &Args,
    cache: &AotCache,
) -> Result<(wasmfaas_serve::Containers, Option<PrivateContainerd>)> {
    use wasmfaas_bench::LauncherKind;
    let layout = args.project.layout();
    let mut host = wasmfaas_bench::Host::probe(&layout.artifacts.join("bases"));
    crate::companions::bring(&layout, &crate::companions::of_shim(), &mut host);
    host.ready_for_wasm(LauncherKind::ContainerdShim)
        .map_err(|why| anyhow::anyhow!("--container: {why}"))?;
    let ctr = host.ctr.clone().expect("ready checked ctr");
    let shim = host.shim.clone().expect("ready checked the shim");
    let images = layout.artifacts.join("images");
    if let Some(address) = &args.containerd_address {
        let containers = wasmfaas_serve::Containers {
            ctr,
            address: address.clone(),
            namespace: wasmfaas_names::CONTAINERD_NAMESPACE.to_owned(),
            shim,
            images,
        };
        return Ok((containers, None));
    }
    // Short: containerd's socket path must fit a sockaddr_un. The pid tells gateways apart.
    let dir = tempfile::Builder::new()
        .prefix(&format!("wfs-serve-{}-", std::process::id()))
        .tempdir_in("/tmp")
        .context("cannot make a folder for the private containerd")?;
    let options = wasmfaas_containerd::Options::new(
        host.containerd.clone().expect("ready checked containerd"),
        &ctr,
    )
    // The shim keeps jit-mode modules' compiled code in the gateway's AOT cache.
    .with_env("WASMFAAS_CACHE", cache.root().as_os_str());
    let daemon = wasmfaas_containerd::Containerd::start(&dir.path().join("c"), options)
        .context("--container: the private containerd")?;
    let namespace = format!(
        "{}-serve-{}",
        wasmfaas_names::CONTAINERD_NAMESPACE,
        std::process::id()
    );
    let containers = wasmfaas_serve::Containers {
        ctr,
        address: daemon.address().to_path_buf(),
        namespace: namespace.clone(),
        shim,
        images,
    };
    Ok((
        containers,
        Some(PrivateContainerd {
            daemon,
            namespace,
            _dir: dir,
        }),
    ))
}
