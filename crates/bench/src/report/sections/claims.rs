//! The paper's quantitative claims, each with its verdict on our samples.

use crate::claims::Checked;
use crate::report::document::{Block, Section, Table};

pub(crate) fn claims_section(claims: &[Checked], user_functions: &[&str]) -> Section {
    let mut section = Section::new("The paper's claims");
    if !user_functions.is_empty() {
        section.paragraph(format!(
            "This section counts only the suite's functions, the paper's; those declared with `--manifest` ({}) are in every other table but not here.",
            user_functions
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    section.paragraph(
        "Each quantitative claim of the paper's §4–5, counted the same way on the paper's published runs (recomputed here: it must match the count the paper prints) and on this run set, under the most paper-like launcher that has the environments; a claim that compares WebAssembly with native containers is counted again through wasmfaas's shim (`containerd-shim`, against the same `containerd` native containers) when the run set has it. A claim is confirmed when it holds for the same majority of functions; functions where the outcome differs from the paper's are listed.",
    );
    let rows = claims
        .iter()
        .map(|c| {
            vec![
                format!("{} ({})", c.statement, c.source),
                format!("{} (recomputed {})", c.printed, c.paper.fraction()),
                match (&c.ours, c.launcher) {
                    (Some(count), Some(launcher)) => format!(
                        "{} in `{launcher}`{}",
                        count.fraction(),
                        c.stand_in
                            .map_or(String::new(), |s| format!("; stand-in: {s}"))
                    ),
                    _ => "-".into(),
                },
                format!("**{}**", c.verdict.as_str()),
                c.detail.clone(),
            ]
        })
        .collect();
    section.blocks.push(Block::Table(Table {
        caption: String::new(),
        headers: vec![
            "claim".into(),
            "paper".into(),
            "ours".into(),
            "verdict".into(),
            "detail".into(),
        ],
        rows,
    }));
    section
}
