//! This run set beside another (`--compare`).

use crate::analysis::Analysis;
use crate::report::document::{Block, Section, Table};
use crate::report::{ms, p_value};

pub(crate) fn comparison_with(analysis: &Analysis, other: &Analysis) -> Section {
    let mut section = Section::new("Compared with another run set");
    section.paragraph(format!(
        "This run set (A) against `{}` (B, measured on {}). Ratio = median A ÷ median B; p from a Mann–Whitney U test per cell, Holm-corrected over the cells shown.",
        other.meta.command_line.join(" "),
        other.meta.machine.describe()
    ));
    let mut rows = Vec::new();
    let mut p = Vec::new();
    for cell in &analysis.cells {
        let Some(theirs) = other.cell(&cell.function, &cell.environment) else {
            continue;
        };
        if cell.times.is_empty() || theirs.times.is_empty() {
            continue;
        }
        let (Ok(ratio), Ok(test)) = (
            wasmfaas_stats::ratio_of_medians(
                &cell.times,
                &theirs.times,
                1000,
                analysis.meta.plan.seed,
            ),
            wasmfaas_stats::mann_whitney(&cell.times, &theirs.times),
        ) else {
            continue;
        };
        p.push(test.p_value);
        rows.push(vec![
            cell.function.clone(),
            cell.environment.to_string(),
            ms(cell.summary.as_ref().map_or(f64::NAN, |s| s.median)),
            ms(theirs.summary.as_ref().map_or(f64::NAN, |s| s.median)),
            format!("{:.2} [{:.2}–{:.2}]", ratio.value, ratio.ci.0, ratio.ci.1),
        ]);
    }
    for (row, adjusted) in rows.iter_mut().zip(wasmfaas_stats::holm(&p)) {
        row.push(p_value(adjusted));
    }
    if rows.is_empty() {
        section.paragraph("The two run sets have no cell (function × environment) in common.");
    } else {
        section.blocks.push(Block::Table(Table {
            caption: String::new(),
            headers: vec![
                "function".into(),
                "environment".into(),
                "median A (ms)".into(),
                "median B (ms)".into(),
                "A/B [95% CI]".into(),
                "p (Holm)".into(),
            ],
            rows,
        }));
    }
    section
}
