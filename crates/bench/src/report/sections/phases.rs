//! The phases of embedded runs: load, compile, instantiate, execute.
use wasmfaas_plot::{Stack, StackChart};

use crate::analysis::Analysis;
use crate::report::document::{Block, Section};
use crate::report::ms;
use crate::{BenchError, PhaseNs};

pub(crate) fn phases(analysis: &Analysis) -> Result<Option<Section>, BenchError> {
    let cells: Vec<_> = analysis
        .cells
        .iter()
        .filter(|c| c.phase_medians.is_some())
        .collect();
    if cells.is_empty() {
        return Ok(None);
    }
    let mut section = Section::new("Phases of embedded runs");
    section.paragraph(
        "Median time of each phase in milliseconds: load (read or deserialise the program), compile (JIT and baseline), instantiate (link WASI, instantiate), execute (run to exit).",
    );
    let mut headers = vec!["function".to_owned(), "environment".to_owned()];
    headers.extend(PhaseNs::NAMES.iter().map(|n| n.to_string()));
    headers.push("peak RSS (MiB)".into());
    let mut rows = Vec::new();
    let mut panels = Vec::new();
    for function in &analysis.meta.plan.functions {
        let mut stacks = Vec::new();
        for cell in cells.iter().filter(|c| &c.function == function) {
            let medians = cell.phase_medians.expect("filtered above");
            let mut row = vec![function.clone(), cell.environment.engine_mode()];
            row.extend(medians.iter().map(|m| ms(*m)));
            row.push(
                cell.peak_rss_kib
                    .map_or("-".into(), |k| format!("{:.1}", k / 1024.0)),
            );
            rows.push(row);
            stacks.push(Stack {
                label: cell.environment.engine_mode(),
                segments: PhaseNs::NAMES
                    .iter()
                    .zip(medians)
                    .map(|(name, m)| (name.to_string(), m * 1e3))
                    .collect(),
            });
        }
        if !stacks.is_empty() {
            panels.push(StackChart {
                title: function.clone(),
                value_label: "share of the run".into(),
                normalised: true,
                stacks,
            });
        }
    }
    section.table(headers, rows);
    let svg = wasmfaas_plot::stacked_panels("Where an embedded run's time goes", &panels, 3)
        .map_err(|e| BenchError::NoData(format!("cannot draw the phases: {e}")))?;
    section.blocks.push(Block::Figure {
        file: "figures/phases.svg".into(),
        svg,
        caption: "Share of each phase in the median embedded run, per function and environment."
            .into(),
    });
    Ok(Some(section))
}
