//! The WebAssembly/native compute ratio.

use super::environments_of;
use crate::LauncherKind;
use crate::analysis::Analysis;
use crate::report::document::Section;

pub(crate) fn compute_ratio(analysis: &Analysis) -> Option<Section> {
    // Against each native build measured as a process: glibc (the paper's) first.
    let mut natives: Vec<_> = analysis
        .meta
        .plan
        .environments
        .iter()
        .filter(|e| e.launcher == LauncherKind::Process && !e.is_wasm())
        .collect();
    natives.sort_by_key(|e| e.native_build());
    if natives.is_empty() {
        return None;
    }
    let embedded = environments_of(analysis, LauncherKind::Embedded);
    if embedded.is_empty() {
        return None;
    }
    let mut section = Section::new("WebAssembly compute vs native");
    let builds: Vec<String> = natives
        .iter()
        .map(|e| format!("`{e}` is {}", e.native_build().describe()))
        .collect();
    section.paragraph(format!(
        "Median execute phase of each embedded environment ÷ median run of the native process ({}). The native figure includes starting the process (a fraction of a millisecond here), so at small sizes this understates WebAssembly's compute cost; `--size large` makes compute dominate.",
        builds.join("; ")
    ));
    let mut headers = vec!["function".to_owned()];
    for environment in &embedded {
        for native in &natives {
            headers.push(if natives.len() == 1 {
                environment.engine_mode()
            } else {
                format!("{} ÷ {}", environment.engine_mode(), native.engine_mode())
            });
        }
    }
    let mut rows = Vec::new();
    for function in &analysis.meta.plan.functions {
        let mut row = vec![function.clone()];
        for environment in &embedded {
            for native in &natives {
                let ratio = analysis
                    .summary(function, native)
                    .zip(
                        analysis
                            .cell(function, environment)
                            .and_then(|c| c.phase_medians),
                    )
                    .map(|(base, phases)| phases[3] / base.median);
                row.push(ratio.map_or("-".into(), |r| format!("{r:.2}")));
            }
        }
        rows.push(row);
    }
    section.table(headers, rows);
    Some(section)
}
