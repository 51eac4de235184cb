//! `wasmfaas environments`: every launcher × engine × mode, available here or not, and why.
use std::process::ExitCode;

use anyhow::Result;
use wasmfaas_bench::environment;
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
    let mut rows: Vec<Row> = environment::available(&engines, &host)
        .into_iter()
        .map(|e| Row {
            version: container_tool_version(&host, &e).unwrap_or_else(|| {
                engines
                    .iter()
                    .find(|engine| engine.name() == e.engine)
                    .map_or_else(|| "-".into(), |engine| engine.version())
            }),
            environment: e.to_string(),
            status: "available".into(),
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

/// The version of the tool that starts containers of `environment` (runc, containerd).
fn container_tool_version(
    host: &wasmfaas_bench::Host,
    environment: &wasmfaas_bench::Environment,
) -> Option<String> {
    use wasmfaas_bench::LauncherKind;
    let (tool, args): (&std::path::Path, &[&str]) = match environment.launcher {
        LauncherKind::Oci => (host.runc.as_deref()?, &["--version"]),
        LauncherKind::Containerd => (host.containerd.as_deref()?, &["--version"]),
        _ => return None,
    };
    let output = std::process::Command::new(tool).args(args).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let first = text.lines().next()?;
    // "runc version 1.1.5+ds1", "containerd github.com/containerd/containerd 1.6.20~ds1 …"
    let version = match environment.launcher {
        LauncherKind::Oci => first.rsplit(' ').next()?,
        _ => first.split(' ').nth(2)?,
    };
    Some(format!("{} {version}", tool.file_name()?.to_string_lossy()))
}
