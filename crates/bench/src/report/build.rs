//! Building the report's content from an analysis.

use super::document::{Block, Document};
use super::ms;
use crate::BenchError;
use crate::analysis::Analysis;
use crate::claims::{self, Checked};
use crate::paper::PaperData;

use super::sections::beside_paper::beside_paper;
use super::sections::claims::claims_section;
use super::sections::comparison::comparison_with;
use super::sections::compute_ratio::compute_ratio;
use super::sections::density::density;
use super::sections::environments_of;
use super::sections::failures::failures;
use super::sections::image_sizes::image_sizes;
use super::sections::lifecycle::lifecycle;
use super::sections::medians::medians;
use super::sections::method::method;
use super::sections::overview::overview;
use super::sections::pairwise::pairwise;
use super::sections::phases::phases;
use super::sections::serving::serving;
use super::sections::speedups::speedups;

/// A built report: the analysis, the claims, the document and its figures.
#[derive(Debug, Clone)]
pub struct Report {
    /// The statistics.
    pub analysis: Analysis,
    /// The paper's claims, checked.
    pub claims: Vec<Checked>,
    /// The content.
    pub document: Document,
    /// The run set compared with, if any.
    pub compared_with: Option<String>,
}

impl Report {
    /// The figures: (file name relative to the run set, SVG).
    pub fn figures(&self) -> Vec<(String, String)> {
        let mut figures = Vec::new();
        for section in &self.document.sections {
            collect_figures(&section.blocks, &mut figures);
        }
        figures
    }
}

fn collect_figures(blocks: &[Block], out: &mut Vec<(String, String)>) {
    for block in blocks {
        match block {
            Block::Figure { file, svg, .. } => out.push((file.clone(), svg.clone())),
            Block::Details { blocks, .. } => collect_figures(blocks, out),
            _ => {}
        }
    }
}

/// Builds the report of `analysis`, with the paper beside it and, if given, another run set.
pub fn build(
    analysis: Analysis,
    paper: &PaperData,
    compare: Option<&Analysis>,
) -> Result<Report, BenchError> {
    let claims = claims::check_all(&analysis, paper);
    let mut sections = vec![overview(&analysis)];
    sections.extend(medians(&analysis)?);
    if let Some(section) = failures(&analysis) {
        sections.push(section);
    }
    if let Some(section) = phases(&analysis)? {
        sections.push(section);
    }
    if let Some(section) = lifecycle(&analysis) {
        sections.push(section);
    }
    sections.push(speedups(&analysis));
    if let Some(section) = compute_ratio(&analysis) {
        sections.push(section);
    }
    if let Some(section) = image_sizes(&analysis)? {
        sections.push(section);
    }
    if let Some(section) = density(&analysis) {
        sections.push(section);
    }
    if let Some(section) = serving(&analysis) {
        sections.push(section);
    }
    sections.push(beside_paper(&analysis, paper));
    // The paper's claims are about the paper's functions; a manifest's are said apart.
    sections.push(claims_section(&claims, &user_functions(&analysis)));
    sections.push(pairwise(&analysis));
    if let Some(other) = compare {
        sections.push(comparison_with(&analysis, other));
    }
    sections.push(method(&analysis));
    let document = Document {
        title: format!(
            "wasmfaas bench: {} functions × {} environments, size {}",
            analysis.meta.plan.functions.len(),
            analysis.meta.plan.environments.len(),
            analysis.meta.plan.size
        ),
        sections,
    };
    Ok(Report {
        claims,
        document,
        compared_with: compare.map(|c| c.meta.command_line.join(" ")),
        analysis,
    })
}

/// The plan's functions that are a manifest's, not the suite's.
fn user_functions(analysis: &Analysis) -> Vec<&str> {
    analysis
        .meta
        .plan
        .functions
        .iter()
        .map(String::as_str)
        .filter(|f| wasmfaas_suite::find(f).is_err())
        .collect()
}

/// The summary printed at the end of a bench: the headline table and the claims.
pub fn terminal_summary(report: &Report) -> String {
    let analysis = &report.analysis;
    let mut out = String::new();
    for launcher in analysis.launchers() {
        let environments = environments_of(analysis, launcher);
        let names: Vec<String> = environments.iter().map(|e| e.engine_mode()).collect();
        let width = names.iter().map(|n| n.len()).max().unwrap_or(8).max(8);
        out.push_str(&format!(
            "\nmedian ms, {} launcher\n{:<18}",
            launcher.as_str(),
            "function"
        ));
        for name in &names {
            out.push_str(&format!(" {name:>width$}"));
        }
        out.push('\n');
        for function in &analysis.meta.plan.functions {
            out.push_str(&format!("{function:<18}"));
            for environment in &environments {
                let cell = match analysis.cell(function, environment) {
                    Some(c) => match &c.summary {
                        Some(s) if c.failed == 0 && c.unchecked > 0 => format!("{}?", ms(s.median)),
                        Some(s) if c.failed == 0 => ms(s.median),
                        Some(s) => format!("{}!", ms(s.median)),
                        None => "failed".into(),
                    },
                    None => "-".into(),
                };
                out.push_str(&format!(" {cell:>width$}"));
            }
            out.push('\n');
        }
    }
    let claims: &[Checked] = if user_functions(analysis).len() == analysis.meta.plan.functions.len()
    {
        out.push_str("\nthe paper's claims: none tested, they are about the suite's functions and this plan has none\n");
        &[]
    } else {
        out.push_str("\nthe paper's claims:\n");
        &report.claims
    };
    for claim in claims {
        let ours = claim
            .ours
            .as_ref()
            .map_or("-".into(), |c| format!("{} here", c.fraction()));
        let through = match claim.launcher {
            Some(launcher) if launcher == crate::LauncherKind::ContainerdShim.as_str() => {
                " [through containerd-shim]"
            }
            _ => "",
        };
        out.push_str(&format!(
            "  {:<18} {}{through} (paper {}, {ours})\n",
            claim.verdict.as_str(),
            claim.statement,
            claim.printed
        ));
    }
    let failed: usize = analysis.cells.iter().map(|c| c.failed).sum();
    if failed > 0 {
        out.push_str(&format!(
            "\n{failed} measured run(s) failed (marked !): see \"Failed runs\" in the report\n"
        ));
    }
    let unchecked: usize = analysis.cells.iter().map(|c| c.unchecked).sum();
    if unchecked > 0 {
        out.push_str(&format!(
            "\n{unchecked} measured run(s) had no output check (marked ?): their manifest says check = \"none\"\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{analyse, tests::runset};

    #[test]
    fn recorded_image_sizes_become_the_papers_figures() {
        let dir = tempfile::tempdir().unwrap();
        let times = [
            ("matmul", "process/native", 0.01, true),
            ("matmul", "process/wasmtime-aot", 0.02, true),
        ];
        let mut set = runset(dir.path(), &times);
        set.meta.suite.images = [
            ("matmul-wasm", 35_000),
            ("matmul-native-distroless", 670_000),
            ("aes-wasm", 32_000),
        ]
        .into_iter()
        .map(|(t, s)| (t.to_owned(), s))
        .collect();
        let report = build(analyse(&set).unwrap(), &PaperData::load(), None).unwrap();
        let section = report
            .document
            .sections
            .iter()
            .find(|s| s.heading.starts_with("Image sizes"))
            .expect("an image size section");
        let Block::Table(table) = &section.blocks[1] else {
            panic!("a table first");
        };
        assert_eq!(table.headers, ["function", "wasm", "native-distroless"]);
        assert_eq!(
            table.rows,
            [["matmul", "34.2", "654.3"], ["aes", "31.2", "-"]]
        );
        assert!(
            report
                .figures()
                .iter()
                .any(|(f, svg)| f == "figures/image-sizes.svg" && svg.contains("matmul"))
        );
    }
}
