//! Writing the report's files.
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::build::Report;
use super::document;
use crate::analysis::{Analysis, CellStats};
use crate::claims::Checked;
use crate::{BenchError, RunSet};

/// The files a report wrote.
#[derive(Debug, Clone)]
pub struct ReportFiles {
    /// `report.md`.
    pub markdown: PathBuf,
    /// `report.html`.
    pub html: PathBuf,
    /// `samples.csv`.
    pub csv: PathBuf,
    /// `summary.json`.
    pub json: PathBuf,
    /// The SVG figures.
    pub figures: Vec<PathBuf>,
}

/// What `summary.json` holds.
#[derive(Serialize)]
struct SummaryJson<'a> {
    analysis: &'a Analysis,
    claims: &'a [Checked],
    compared_with: Option<String>,
}

/// Writes every report file into the run set's folder.
pub fn write(runset: &RunSet, report: &Report) -> Result<ReportFiles, BenchError> {
    let dir = &runset.dir;
    let put = |name: &str, text: &str| -> Result<PathBuf, BenchError> {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| BenchError::io(&path, e))?;
        Ok(path)
    };
    let figures_dir = dir.join("figures");
    std::fs::create_dir_all(&figures_dir).map_err(|e| BenchError::io(&figures_dir, e))?;
    let mut figures = Vec::new();
    for (file, svg) in report.figures() {
        figures.push(put(&file, &svg)?);
    }
    let markdown = put("report.md", &document::markdown(&report.document))?;
    let html = put("report.html", &document::html(&report.document))?;
    let json = serde_json::to_string_pretty(&SummaryJson {
        analysis: &report.analysis,
        claims: &report.claims,
        compared_with: report.compared_with.clone(),
    })
    .map_err(|e| BenchError::NoData(format!("cannot serialise the summary: {e}")))?;
    let json = put("summary.json", &json)?;
    let csv = dir.join("samples.csv");
    write_csv(&csv, runset, &report.analysis)?;
    Ok(ReportFiles {
        markdown,
        html,
        csv,
        json,
        figures,
    })
}

/// Every sample, one row each, with an outlier flag against its cell's Tukey fences.
fn write_csv(path: &Path, runset: &RunSet, analysis: &Analysis) -> Result<(), BenchError> {
    let error = |e: csv::Error| BenchError::io(path, std::io::Error::other(e));
    let mut writer = csv::Writer::from_path(path).map_err(error)?;
    writer
        .write_record([
            "seq",
            "function",
            "environment",
            "round",
            "warmup",
            "ok",
            "total_ns",
            "load_ns",
            "compile_ns",
            "instantiate_ns",
            "execute_ns",
            "exit_code",
            "peak_rss_kib",
            "outlier",
            "started_unix_ms",
            "error",
            "create_ns",
            "start_to_exit_ns",
            "delete_ns",
        ])
        .map_err(error)?;
    for sample in &runset.samples {
        let cell: Option<&CellStats> = analysis.cells.iter().find(|c| {
            c.function == sample.function && c.environment.to_string() == sample.environment
        });
        let outlier = match cell.and_then(|c| c.summary.as_ref()) {
            Some(summary) if sample.counts() => summary.is_outlier(sample.seconds()).to_string(),
            _ => String::new(),
        };
        let opt = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
        let phase = |i: usize| opt(sample.phases.map(|p| p.values()[i]));
        let step = |i: usize| opt(sample.lifecycle.map(|l| l.values()[i]));
        writer
            .write_record([
                sample.seq.to_string(),
                sample.function.clone(),
                sample.environment.clone(),
                sample.round.to_string(),
                sample.warmup.to_string(),
                sample.ok.to_string(),
                sample.total_ns.to_string(),
                phase(0),
                phase(1),
                phase(2),
                phase(3),
                sample.exit_code.map(|c| c.to_string()).unwrap_or_default(),
                opt(sample.peak_rss_kib),
                outlier,
                sample.started_unix_ms.to_string(),
                sample.error.clone().unwrap_or_default(),
                step(0),
                step(1),
                step(2),
            ])
            .map_err(error)?;
    }
    writer.flush().map_err(|e| BenchError::io(path, e))
}
