//! The median of every cell with its confidence interval, per launcher (the paper's Figures 5–6).
use wasmfaas_plot::{Bar, BarChart, Group};

use super::environments_of;
use crate::BenchError;
use crate::analysis::Analysis;
use crate::report::document::{Block, Section};
use crate::report::ms;

pub(crate) fn medians(analysis: &Analysis) -> Result<Vec<Section>, BenchError> {
    let mut sections = Vec::new();
    for launcher in analysis.launchers() {
        let environments = environments_of(analysis, launcher);
        let mut section = Section::new(format!(
            "Median time by environment: `{}` launcher",
            launcher.as_str()
        ));
        section.paragraph(
            "Median wall time of one cold run in milliseconds, with its distribution-free 95% confidence interval; the paper's Figures 5–6 show the same comparison as means.",
        );
        let mut headers = vec!["function".to_owned()];
        headers.extend(environments.iter().map(|e| e.engine_mode()));
        let mut rows = Vec::new();
        let mut groups = Vec::new();
        for function in &analysis.meta.plan.functions {
            let mut row = vec![function.clone()];
            let mut bars = Vec::new();
            for environment in &environments {
                match analysis.cell(function, environment) {
                    Some(cell) => match &cell.summary {
                        Some(s) => {
                            let mut flag = if cell.failed > 0 {
                                format!(" ({} failed)", cell.failed)
                            } else {
                                String::new()
                            };
                            if cell.unchecked > 0 {
                                flag.push_str(" (unchecked)");
                            }
                            row.push(format!(
                                "{} [{}–{}]{flag}",
                                ms(s.median),
                                ms(s.median_ci.0),
                                ms(s.median_ci.1)
                            ));
                            bars.push(Bar {
                                series: environment.engine_mode(),
                                value: s.median * 1e3,
                                low: Some(s.median_ci.0 * 1e3),
                                high: Some(s.median_ci.1 * 1e3),
                            });
                        }
                        None => row.push(format!("failed ({})", cell.failed)),
                    },
                    None => row.push("-".into()),
                }
            }
            rows.push(row);
            if !bars.is_empty() {
                groups.push(Group {
                    label: function.clone(),
                    bars,
                });
            }
        }
        section.table(headers, rows);
        if !groups.is_empty() {
            let svg = wasmfaas_plot::grouped_bars(&BarChart {
                title: format!("Median cold run time, {} launcher", launcher.as_str()),
                value_label: "median time (ms, log scale)".into(),
                log_scale: true,
                groups,
            })
            .map_err(|e| BenchError::NoData(format!("cannot draw the medians: {e}")))?;
            section.blocks.push(Block::Figure {
                file: format!("figures/median-{}.svg", launcher.as_str()),
                svg,
                caption: format!(
                    "Median time per function and environment ({} launcher), whiskers: 95% CI of the median.",
                    launcher.as_str()
                ),
            });
        }
        sections.push(section);
    }
    Ok(sections)
}
