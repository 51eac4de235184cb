//! `wasmfaas environments`: every launcher × engine × mode, available here or not, and why.
use std::process::ExitCode;

use anyhow::Result;
use wasmfaas_engines::{Mode, registry};

/// Arguments of `wasmfaas environments`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// One row of the table.
struct Row {
    environment: String,
    version: String,
    status: String,
}

/// Runs `wasmfaas environments`.
pub fn run(_args: Args) -> Result<ExitCode> {
    let mut rows = Vec::new();
    for engine in registry() {
        for &mode in engine.modes() {
            let name = if mode == Mode::Native {
                "native".to_owned()
            } else {
                format!("{}-{mode}", engine.name())
            };
            let launchers: &[&str] = if mode == Mode::Native {
                &["process"]
            } else {
                &["embedded", "process"]
            };
            for launcher in launchers {
                rows.push(Row {
                    environment: format!("{launcher}/{name}"),
                    version: engine.version(),
                    status: "available".into(),
                });
            }
        }
    }
    for (environment, reason) in unavailable() {
        rows.push(Row {
            environment: environment.into(),
            version: "-".into(),
            status: format!("unavailable: {reason}"),
        });
    }
    let width = rows
        .iter()
        .map(|r| r.environment.len())
        .max()
        .unwrap_or(11)
        .max(11);
    let version_width = rows
        .iter()
        .map(|r| r.version.len())
        .max()
        .unwrap_or(7)
        .max(7);
    println!(
        "{:<width$}  {:<version_width$}  status",
        "environment", "version"
    );
    for row in rows {
        println!(
            "{:<width$}  {:<version_width$}  {}",
            row.environment, row.version, row.status
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Environments of the design that this build cannot run, with the reason and what to do.
fn unavailable() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "embedded/wasmedge-{interp,aot}",
            "no WasmEdge engine in this build yet; WasmEdge is in no package registry, so it will need a WasmEdge built from source",
        ),
        (
            "{oci,containerd}/*",
            "the container launchers are not part of this build yet",
        ),
    ]
}
