//! `wasmfaas environments`: every launcher × engine × mode, available here or not, and why.
use std::process::ExitCode;

use anyhow::Result;
use wasmfaas_bench::environment;
use wasmfaas_engines::registry;

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
    let engines = registry();
    let mut rows: Vec<Row> = environment::available(&engines)
        .into_iter()
        .map(|e| Row {
            version: engines
                .iter()
                .find(|engine| engine.name() == e.engine)
                .map_or_else(|| "-".into(), |engine| engine.version()),
            environment: e.to_string(),
            status: "available".into(),
        })
        .collect();
    for unavailable in environment::unavailable() {
        rows.push(Row {
            environment: unavailable.pattern.into(),
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
