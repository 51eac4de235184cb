//! `wasmfaas build`: compile the suite for both targets, precompile, generate inputs, show sizes.
use std::process::ExitCode;

use anyhow::Result;
use wasmfaas_suite::Size;
use wasmfaas_suite::build::{ArtifactSizes, build_all};

use super::ProjectArgs;

/// Arguments of `wasmfaas build`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Sizes whose inputs to generate (repeat or comma-separate) [default: small, paper]
    #[arg(long, value_delimiter = ',')]
    size: Vec<Size>,
    #[command(flatten)]
    project: ProjectArgs,
}

/// Runs `wasmfaas build`.
pub fn run(args: Args) -> Result<ExitCode> {
    let layout = args.project.layout();
    let sizes = if args.size.is_empty() {
        vec![Size::Small, Size::Paper]
    } else {
        args.size
    };
    let started = std::time::Instant::now();
    let table = build_all(
        &layout,
        &wasmfaas_engines::aot_engines(),
        &sizes,
        &mut super::notice,
    )?;
    print_sizes(&table);
    eprintln!(
        "built {} functions in {:.1} s into {}; inputs: {}",
        table.len(),
        started.elapsed().as_secs_f64(),
        layout.artifacts.display(),
        sizes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

fn print_sizes(table: &[ArtifactSizes]) {
    let engines: Vec<&str> = table
        .first()
        .map(|row| row.aot.iter().map(|(e, _)| *e).collect())
        .unwrap_or_default();
    let mut header = format!("{:<18} {:>12}", "function", "wasm");
    for engine in &engines {
        header.push_str(&format!(" {:>14}", format!("aot/{engine}")));
    }
    header.push_str(&format!(" {:>12} {:>14}", "native", "native-static"));
    println!("{header}");
    for row in table {
        let mut line = format!("{:<18} {:>12}", row.function, human(row.wasm));
        for (_, bytes) in &row.aot {
            line.push_str(&format!(" {:>14}", human(*bytes)));
        }
        line.push_str(&format!(
            " {:>12} {:>14}",
            human(row.native),
            human(row.native_static)
        ));
        println!("{line}");
    }
}

/// Bytes in KiB/MiB with one decimal, as a size table wants them.
pub fn human(bytes: u64) -> String {
    match bytes {
        0 => "-".into(),
        b if b < 1 << 20 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1 << 20) as f64),
    }
}
