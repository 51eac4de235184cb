//! The overview: what ran, where, and how much of it passed.

use crate::analysis::Analysis;
use crate::report::document::{Block, Section};

pub(crate) fn overview(analysis: &Analysis) -> Section {
    let meta = &analysis.meta;
    let plan = &meta.plan;
    let mut section = Section::new("Run set");
    let measured = analysis
        .cells
        .iter()
        .filter_map(|c| c.summary.as_ref().map(|s| s.n))
        .sum::<usize>();
    let failed: usize = analysis.cells.iter().map(|c| c.failed).sum();
    let engines: Vec<String> = meta
        .engines
        .iter()
        .map(|(name, version)| format!("{name} {version}"))
        .collect();
    section.blocks.push(Block::List(vec![
        format!("Machine: {}", meta.machine.describe()),
        format!(
            "Functions: {} (size `{}`)",
            plan.functions.join(", "),
            plan.size
        ),
        format!(
            "Environments: {}",
            plan.environments
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "Runs: {} measured per cell{} after {} warmup; seed {}; {} samples in the run set, {measured} measured successfully, {failed} measured runs failed",
            plan.runs,
            plan.time_budget
                .map_or_else(String::new, |b| format!(" ({}: the time budget)", b.describe())),
            plan.warmup,
            plan.seed,
            analysis.samples
        ),
        format!("Engines: {}", engines.join(", ")),
        format!("wasmfaas {}; command: `{}`", meta.wasmfaas_version, meta.command_line.join(" ")),
    ]));
    if plan.runs < 20 {
        section.paragraph(format!(
            "With {} runs per cell, confidence intervals are wide and small differences are not significant; the paper used 100 (`--preset paper`).",
            plan.runs
        ));
    }
    section
}
