//! The runs that failed, each with its error (never timed).

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
    if failed.is_empty() {
        return None;
    }
    let mut section = Section::new("Failed runs");
    section.paragraph(
        "A failed run (non-zero exit, or output that fails the function's check) is never timed: it is left out of every statistic and listed here.",
    );
    section.blocks.push(Block::List(failed));
    Some(section)
}
