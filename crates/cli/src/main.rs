//! `wasmfaas`: run and measure serverless functions as WebAssembly and as native code.
//!
//! A thin layer over the libraries: it parses the command line, calls one subcommand, prints.
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;
mod companions;

/// Exit code when wasmfaas itself fails (bad input, missing files), as runc and docker use it.
pub const EXIT_ERROR: u8 = 125;

/// Run and measure serverless functions as WebAssembly and as native code.
#[derive(Debug, Parser)]
#[command(name = "wasmfaas", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Benchmark functions × environments with cold runs; write the statistics and the report.
    Bench(commands::bench::Args),
    /// Build the suite: modules, native binaries, AOT artifacts and inputs; print their sizes.
    Build(commands::build::Args),
    /// Run one suite function, or any WASI module or native executable, once.
    Run(commands::run::Args),
    /// Write the suite's OCI images (wasm, AOT, native static and distroless) into one layout.
    Images(commands::images::Args),
    /// List every environment (launcher/engine-mode), its version, and whether it is available.
    Environments(commands::environments::Args),
    /// Serve functions over HTTP: each request runs in a fresh instance (WebAssembly or a process).
    Serve(commands::serve::Args),
    /// Write the report of a run set again (e.g. compared with another run set).
    Report(commands::report::Args),
}

fn main() -> ExitCode {
    if std::env::var_os("WASMFAAS_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_env("WASMFAAS_LOG"))
            .with_writer(std::io::stderr)
            .init();
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Bench(args) => commands::bench::run(args),
        Command::Build(args) => commands::build::run(args),
        Command::Run(args) => commands::run::run(args),
        Command::Environments(args) => commands::environments::run(args),
        Command::Images(args) => commands::images::run(args),
        Command::Report(args) => commands::report::run(args),
        Command::Serve(args) => commands::serve::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("wasmfaas: error: {error:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
