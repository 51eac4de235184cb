//! The paper's published means beside ours, as ratios.

use super::environments_of;
use crate::Environment;
use crate::analysis::Analysis;
use crate::paper::{self, PaperData};
use crate::report::document::{Block, Section, Table};

pub(crate) fn beside_paper(analysis: &Analysis, paper: &PaperData) -> Section {
    let mut section = Section::new("The paper beside us");
    section.paragraph(format!(
        "The paper's published runs ({}) next to this run set. Absolute seconds come from other hardware and a different path (containerd + crun), so both are shown as ratios of the mean to the mean of Wasmtime AOT on the same function. Marked * = a stand-in for the paper's environment (wasmi's interpreter for WasmEdge's; a native process without a container for distroless).",
        paper::ATTRIBUTION
    ));
    let reference_key = "wasmtime-aot";
    let mut launchers = analysis.launchers();
    launchers.reverse();
    for launcher in launchers {
        let environments = environments_of(analysis, launcher);
        let Some(reference) = environments
            .iter()
            .find(|e| e.engine_mode() == reference_key)
        else {
            continue;
        };
        let matched: Vec<(&Environment, &'static str, bool)> = environments
            .iter()
            .filter_map(|e| paper::counterpart(e).map(|(key, stand_in)| (*e, key, stand_in)))
            .collect();
        let mut headers = vec!["function".to_owned()];
        for (env, key, stand_in) in &matched {
            headers.push(format!(
                "{}{} (paper {key})",
                env.engine_mode(),
                if *stand_in { "*" } else { "" }
            ));
        }
        let mut rows = Vec::new();
        // Only the paper's functions have published runs to stand beside (a manifest's have none).
        let published = paper.functions();
        for function in analysis
            .meta
            .plan
            .functions
            .iter()
            .filter(|f| published.contains(f))
        {
            let Some(ours_reference) = analysis.summary(function, reference) else {
                continue;
            };
            let paper_reference = paper.mean(reference_key, function);
            let mut row = vec![function.clone()];
            for (env, key, _) in &matched {
                let ours = analysis
                    .summary(function, env)
                    .map(|s| s.mean / ours_reference.mean);
                let theirs = paper_reference.and_then(|r| paper.mean(key, function).map(|m| m / r));
                let show = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.2}"));
                row.push(format!("{} · paper {}", show(ours), show(theirs)));
            }
            rows.push(row);
        }
        section.blocks.push(Block::Table(Table {
            caption: format!(
                "Mean ÷ mean of {reference_key}, `{}` launcher (ours · paper)",
                launcher.as_str()
            ),
            headers,
            rows,
        }));
        break;
    }
    section
}
