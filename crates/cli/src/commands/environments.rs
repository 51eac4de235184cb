//! `wasmfaas environments`: every launcher × engine × mode, available here or not, and why.
use std::process::ExitCode;

use anyhow::Result;
use wasmfaas_bench::{LauncherKind, environment};
use wasmfaas_engines::registry;

/// Arguments of `wasmfaas environments`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    project: super::ProjectArgs,
}

/// One row of the table.
struct Row {
    environment: String,
    version: String,
    status: String,
}

/// Runs `wasmfaas environments`.
pub fn run(args: Args) -> Result<ExitCode> {
    let engines = registry();
    let host = wasmfaas_bench::Host::probe(&args.project.layout().artifacts.join("bases"));
    // Each container tool is asked its version once, not once per environment it starts.
    let runc = tool_version(host.runc.as_deref(), Field::Last);
    let containerd = tool_version(host.containerd.as_deref(), Field::Third);
    let mut rows: Vec<Row> = environment::available(&engines, &host)
        .into_iter()
        .map(|e| {
            let engine = engines.iter().find(|engine| engine.name() == e.engine);
            let engine_version = engine.map(|engine| engine.version());
            let in_container = engine
                .filter(|_| e.engine != "native")
                .map(|engine| format!("{} {}", engine.name(), engine.version()));
            // Native code in a container: the tool that starts it. WebAssembly in a container:
            // the engine inside wasmfaas-runtime, and containerd in front of it.
            let version = match (e.launcher, in_container) {
                (LauncherKind::Oci, None) => runc.clone(),
                (LauncherKind::Containerd, None) => containerd.clone(),
                (LauncherKind::Oci, Some(engine)) => Some(format!(
                    "wasmfaas-runtime {}, {engine}",
                    env!("CARGO_PKG_VERSION")
                )),
                (LauncherKind::Containerd, Some(engine)) => Some(format!(
                    "{}, wasmfaas-runtime, {engine}",
                    containerd.as_deref().unwrap_or("containerd")
                )),
                (LauncherKind::ContainerdShim, Some(engine)) => Some(format!(
                    "{}, {}, {engine}",
                    containerd.as_deref().unwrap_or("containerd"),
                    wasmfaas_names::SHIM_BINARY
                )),
                _ => engine_version,
            };
            Row {
                version: version.unwrap_or_else(|| "-".into()),
                environment: e.to_string(),
                status: "available".into(),
            }
        })
        .collect();
    for unavailable in environment::unavailable(&engines, &host) {
        rows.push(Row {
            environment: unavailable.pattern,
            version: "-".into(),
            status: format!("unavailable: {}", unavailable.reason),
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

/// Which word of a tool's first `--version` line is the version.
enum Field {
    /// "runc version 1.1.5+ds1"
    Last,
    /// "containerd github.com/containerd/containerd 1.6.20~ds1 …"
    Third,
}

/// "runc 1.1.5+ds1", from the tool's `--version`; `None` where it is missing or says nothing.
fn tool_version(tool: Option<&std::path::Path>, field: Field) -> Option<String> {
    let tool = tool?;
    let output = std::process::Command::new(tool)
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let first = text.lines().next()?;
    let version = match field {
        Field::Last => first.rsplit(' ').next()?,
        Field::Third => first.split(' ').nth(2)?,
    };
    Some(format!("{} {version}", tool.file_name()?.to_string_lossy()))
}
