//! `wasmfaas-runtime`: see the crate's README.
use std::process::ExitCode;

use clap::Parser;
use tracing::Level;
use wasmfaas_runtime::cli::{Cli, Command};
use wasmfaas_runtime::commands::{self, Globals};
use wasmfaas_runtime::logging::{Log, LogFormat};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let format = match cli
        .global
        .log_format
        .as_deref()
        .unwrap_or("text")
        .parse::<LogFormat>()
    {
        Ok(format) => format,
        Err(e) => {
            eprintln!("wasmfaas-runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let log = match Log::open(cli.global.log.as_deref(), format) {
        Ok(log) => log,
        Err(e) => {
            eprintln!("wasmfaas-runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    log.install(cli.global.debug);
    match dispatch(cli) {
        Ok(code) => ExitCode::from(u8::try_from(code & 0xff).unwrap_or(1)),
        Err(e) => {
            // The last error line of the log is what containerd shows the user.
            let message = format!("{e:#}");
            log.line(Level::ERROR, &message);
            if log.to_file() {
                eprintln!("wasmfaas-runtime: {message}");
            }
            ExitCode::FAILURE
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    if let Command::Features(_) = cli.command {
        commands::features()?;
        return Ok(0);
    }
    let globals = Globals::new(cli.global.root, cli.global.systemd_cgroup)?;
    match cli.command {
        Command::Create(args) => commands::create(&args, &globals)?,
        Command::Start(args) => commands::start(&args.container_id, &globals)?,
        Command::State(args) => commands::state(&args.container_id, &globals)?,
        Command::Kill(args) => {
            commands::kill(&args.container_id, &args.signal, args.all, &globals)?
        }
        Command::Delete(args) => commands::delete(&args.container_id, args.force, &globals)?,
        Command::Run(args) => return commands::run(&args, &globals),
        Command::Ps(args) => commands::ps(&args, &globals)?,
        Command::Features(_) => unreachable!("handled above"),
    }
    Ok(0)
}
