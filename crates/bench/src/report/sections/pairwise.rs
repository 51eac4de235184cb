//! Every pair of environments of a function: Mann–Whitney U and effect sizes.

use crate::analysis::{ALPHA, Analysis, Comparison};
use crate::report::document::{Block, Section};

pub(crate) fn pairwise(analysis: &Analysis) -> Section {
    let mut section = Section::new("Every environment against the fastest");
    section.paragraph(format!(
        "Per function and launcher, the fastest environment by median, and how the others compare (hyperfine's form: ratio of means ± its standard deviation). Differences with p ≥ {ALPHA} after Holm's correction are marked \"(not significant)\"."
    ));
    let mut blocks = Vec::new();
    for function in &analysis.meta.plan.functions {
        for launcher in analysis.launchers() {
            let mut cells: Vec<_> = analysis
                .cells
                .iter()
                .filter(|c| &c.function == function && c.environment.launcher == launcher)
                .filter_map(|c| c.summary.as_ref().map(|s| (c, s.median)))
                .collect();
            if cells.len() < 2 {
                continue;
            }
            cells.sort_by(|a, b| a.1.total_cmp(&b.1));
            let fastest = &cells[0].0.environment;
            let lines: Vec<String> = cells[1..]
                .iter()
                .filter_map(|(c, _)| analysis.comparison(function, fastest, &c.environment))
                .map(|c: Comparison| {
                    format!(
                        "{}{}",
                        c.sentence(),
                        if c.significant() {
                            ""
                        } else {
                            " (not significant)"
                        }
                    )
                })
                .collect();
            blocks.push(Block::Paragraph(format!(
                "**{function}**, `{}`: fastest `{fastest}`",
                launcher.as_str()
            )));
            blocks.push(Block::List(lines));
        }
    }
    section.blocks.push(Block::Details {
        summary: format!("{} functions", analysis.meta.plan.functions.len()),
        blocks,
    });
    section
}
