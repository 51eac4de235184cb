//! The runs that failed, each with its error (never timed), and those nobody checked.

use crate::analysis::Analysis;
use crate::report::document::{Block, Section};

pub(crate) fn failures(analysis: &Analysis) -> Option<Section> {
    let failed: Vec<String> = analysis
        .cells
        .iter()
        .filter(|c| c.failed > 0)
        .map(|c| {
            format!(
                "`{}` in `{}`: {} failed run(s): {}",
                c.function,
                c.environment,
                c.failed,
                c.failures.join("; ")
            )
        })
        .collect();
    let unchecked: Vec<String> = analysis
        .cells
        .iter()
        .filter(|c| c.unchecked > 0)
        .map(|c| {
            format!(
                "`{}` in `{}`: {} run(s) timed, output not checked",
                c.function, c.environment, c.unchecked
            )
        })
        .collect();
    if failed.is_empty() && unchecked.is_empty() {
        return None;
    }
    let mut section = Section::new(if failed.is_empty() {
        "Unchecked runs"
    } else {
        "Failed runs"
    });
    if !failed.is_empty() {
        section.paragraph(
            "A failed run (non-zero exit, or output that fails the function's check) is never timed: it is left out of every statistic and listed here.",
        );
        section.blocks.push(Block::List(failed));
    }
    if !unchecked.is_empty() {
        section.paragraph(
            "These functions' manifests say `check = \"none\"`: their runs exited 0 and are timed like the others, but nobody judged their output, so a wrong result would go unnoticed. Their medians are marked \"(unchecked)\".",
        );
        section.blocks.push(Block::List(unchecked));
    }
    Some(section)
}
