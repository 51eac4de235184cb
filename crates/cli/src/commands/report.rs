//! `wasmfaas report`: the report of a run set, regenerated from its samples.
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use wasmfaas_bench::paper::PaperData;
use wasmfaas_bench::{RunSet, analysis, report};

/// Arguments of `wasmfaas report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run set folder (written by `wasmfaas bench`)
    dir: PathBuf,
    #[command(flatten)]
    export: ExportArgs,
}

/// Where else the report goes: copies of its files, and a run set to compare with.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Also write the Markdown report to FILE
    #[arg(long, value_name = "FILE")]
    export_markdown: Option<PathBuf>,
    /// Also write the JSON summary to FILE
    #[arg(long, value_name = "FILE")]
    export_json: Option<PathBuf>,
    /// Also write every sample as CSV to FILE
    #[arg(long, value_name = "FILE")]
    export_csv: Option<PathBuf>,
    /// Another run set to compare this one with, cell by cell
    #[arg(long, value_name = "DIR")]
    compare: Option<PathBuf>,
}

/// Runs `wasmfaas report`.
pub fn run(args: Args) -> Result<ExitCode> {
    let runset = RunSet::open(&args.dir)?;
    let failed = write_report(&runset, &args.export)?;
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Analyses `runset`, writes its report files and exports, prints the summary and where the
/// report is. Returns the number of failed measured runs.
pub fn write_report(runset: &RunSet, export: &ExportArgs) -> Result<usize> {
    let analysis = analysis::analyse(runset)?;
    let other = match &export.compare {
        Some(dir) => Some(analysis::analyse(&RunSet::open(dir)?)?),
        None => None,
    };
    let failed = analysis.cells.iter().map(|c| c.failed).sum();
    let built = report::build(analysis, &PaperData::load(), other.as_ref())?;
    let files = report::write(runset, &built)?;
    for (wanted, written) in [
        (&export.export_markdown, &files.markdown),
        (&export.export_json, &files.json),
        (&export.export_csv, &files.csv),
    ] {
        if let Some(path) = wanted {
            copy(written, path)?;
        }
    }
    println!("{}", report::terminal_summary(&built));
    println!("report: {}", files.html.display());
    Ok(failed)
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to)
        .map(|_| ())
        .with_context(|| format!("cannot write {}", to.display()))
}
