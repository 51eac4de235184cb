//! The WebAssembly/native compute ratio.

use super::environments_of;
use crate::LauncherKind;
use crate::analysis::Analysis;
use crate::report::document::Section;

pub(crate) fn compute_ratio(analysis: &Analysis) -> Option<Section> {
    let native = analysis
        .meta
        .plan
        .environments
        .iter()
        .find(|e| e.launcher == LauncherKind::Process && !e.is_wasm())?;
    let embedded = environments_of(analysis, LauncherKind::Embedded);
    if embedded.is_empty() {
        return None;
    }
    let mut section = Section::new("WebAssembly compute vs native");
    section.paragraph(format!(
        "Median execute phase of each embedded environment ÷ median run of `{native}`. The native figure includes starting the process (a fraction of a millisecond here), so at small sizes this understates WebAssembly's compute cost; `--size large` makes compute dominate."
    ));
    let mut headers = vec!["function".to_owned()];
    headers.extend(embedded.iter().map(|e| e.engine_mode()));
    let mut rows = Vec::new();
    for function in &analysis.meta.plan.functions {
        let Some(base) = analysis.summary(function, native) else {
            continue;
        };
        let mut row = vec![function.clone()];
        for environment in &embedded {
            let ratio = analysis
                .cell(function, environment)
                .and_then(|c| c.phase_medians)
                .map(|p| p[3] / base.median);
            row.push(ratio.map_or("-".into(), |r| format!("{r:.2}")));
        }
        rows.push(row);
    }
    section.table(headers, rows);
    Some(section)
}
