//! The command line: runc's global options and subcommands, with youki's `liboci-cli` types.
use clap::{Args, Parser, Subcommand};

/// The command line of `wasmfaas-runtime`.
#[derive(Debug, Parser)]
#[command(
    name = "wasmfaas-runtime",
    version,
    about = "An OCI runtime (runc's command line) that runs WebAssembly in wasmtime, wasmer or wasmi and everything else as Linux containers",
    after_help = "containerd uses it in place of runc:\n  ctr run --rm --runc-binary /path/to/wasmfaas-runtime --runtime io.containerd.runc.v2 IMAGE ID"
)]
pub struct Cli {
    /// Global options, before the subcommand.
    #[command(flatten)]
    pub global: liboci_cli::GlobalOpts,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands containerd's runc shim calls.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a container from a bundle: set it up and load its workload, ready to start
    Create(liboci_cli::Create),
    /// Start a created container's workload
    Start(liboci_cli::Start),
    /// Print a container's OCI state as JSON
    State(liboci_cli::State),
    /// Send a signal to a container's init process (or, with --all, to all its processes)
    Kill(Kill),
    /// Delete a container: its processes (with --force), cgroup and state
    Delete(liboci_cli::Delete),
    /// Create, start and wait for a container, then delete it; exits with its exit code
    Run(liboci_cli::Run),
    /// List a container's processes
    Ps(liboci_cli::Ps),
    /// Print what this runtime supports, as JSON
    Features(liboci_cli::Features),
}

/// `kill`: as runc, the signal is optional (SIGTERM). liboci-cli's `Kill` requires it.
#[derive(Debug, Args)]
pub struct Kill {
    /// The container
    #[arg(value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub container_id: String,
    /// The signal: a name (SIGTERM, TERM) or a number
    #[arg(default_value = "SIGTERM")]
    pub signal: String,
    /// Send it to every process of the container
    #[arg(short, long)]
    pub all: bool,
}
