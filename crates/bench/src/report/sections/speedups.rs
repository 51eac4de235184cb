//! Speedups in the form of the paper's Tables 4–7, with Holm-corrected Mann–Whitney U p-values and Cliff's delta.

use super::environments_of;
use crate::analysis::Analysis;
use crate::report::document::{Block, Section, Table};
use crate::report::{ms, p_value};
use crate::{Environment, LauncherKind};

/// The pairs of the paper's Tables 4–7 and the wasm/native pair: (title, faster candidate,
/// slower candidate) as `engine-mode` keys.
pub(crate) fn table_pairs(
    analysis: &Analysis,
    launcher: LauncherKind,
) -> Vec<(String, Environment, Environment)> {
    let envs = environments_of(analysis, launcher);
    let find = |key: &str| {
        envs.iter()
            .find(|e| e.engine_mode() == key)
            .map(|e| (*e).clone())
    };
    let mut pairs = Vec::new();
    let aot: Vec<&&Environment> = envs
        .iter()
        .filter(|e| e.mode == wasmfaas_engines::Mode::Aot)
        .collect();
    for interp in envs
        .iter()
        .filter(|e| e.mode == wasmfaas_engines::Mode::Interp)
    {
        for aot in &aot {
            pairs.push((
                "AOT vs interpreter (the paper's Table 4)".to_owned(),
                (**aot).clone(),
                (*interp).clone(),
            ));
        }
    }
    for engine in ["wasmtime", "wasmer", "wasmedge"] {
        if let (Some(a), Some(j)) = (
            find(&format!("{engine}-aot")),
            find(&format!("{engine}-jit")),
        ) {
            let table = if engine == "wasmer" {
                "Table 6"
            } else {
                "Table 5"
            };
            pairs.push((format!("AOT vs JIT (the paper's {table})"), a, j));
        }
    }
    if let (Some(j), Some(b)) = (find("wasmtime-jit"), find("wasmtime-baseline")) {
        pairs.push((
            "Optimising JIT vs baseline compiler (Winch)".to_owned(),
            j,
            b,
        ));
    }
    if let (Some(d), Some(b)) = (find("native-distroless"), find("native-debian")) {
        pairs.push((
            "Distroless vs debian (the paper's Table 7)".to_owned(),
            d,
            b,
        ));
    }
    if let Some(native) = envs.iter().find(|e| !e.is_wasm()) {
        for wasm in envs.iter().filter(|e| e.is_wasm()) {
            pairs.push((
                "Native vs WebAssembly".to_owned(),
                (*native).clone(),
                (*wasm).clone(),
            ));
        }
    }
    pairs
}

pub(crate) fn speedups(analysis: &Analysis) -> Section {
    let mut section = Section::new("Speedups (the paper's Tables 4–7)");
    section.paragraph(format!(
        "Speedup = mean of B ÷ mean of A, as the paper's tables define it (above 1: A is faster). The ratio of medians has a 95% bootstrap CI; p is the two-sided Mann–Whitney U test after Holm's correction within the function (every pair of its environments under one launcher: {} comparisons here); δ is Cliff's delta of A against B (negative: A tends to be faster).",
        analysis
            .meta
            .plan
            .functions
            .first()
            .map_or(0, |f| analysis.family_size(f))
    ));
    for launcher in analysis.launchers() {
        for (title, a, b) in table_pairs(analysis, launcher) {
            let mut rows = Vec::new();
            let mut faster = 0;
            let mut significant = 0;
            for function in &analysis.meta.plan.functions {
                let (Some(sa), Some(sb)) = (
                    analysis.summary(function, &a),
                    analysis.summary(function, &b),
                ) else {
                    continue;
                };
                let Some(c) = analysis.comparison(function, &a, &b) else {
                    continue;
                };
                let speedup = sb.mean / sa.mean;
                faster += usize::from(speedup > 1.0);
                significant += usize::from(c.significant());
                let inverse = &c.median_ratio;
                rows.push(vec![
                    function.clone(),
                    ms(sa.mean),
                    ms(sb.mean),
                    format!("{speedup:.2}"),
                    format!(
                        "{:.2} [{:.2}–{:.2}]",
                        1.0 / inverse.value,
                        1.0 / inverse.ci.1,
                        1.0 / inverse.ci.0
                    ),
                    p_value(c.p_holm),
                    format!(
                        "{:+.2} ({})",
                        c.cliffs_delta,
                        wasmfaas_stats::delta_magnitude(c.cliffs_delta)
                    ),
                ]);
            }
            if rows.is_empty() {
                continue;
            }
            section.blocks.push(Block::Table(Table {
                caption: format!(
                    "{title}: A = `{a}`, B = `{b}` — A faster in {faster}/{n}, significant in {significant}/{n}",
                    n = rows.len()
                ),
                headers: vec![
                    "function".into(),
                    "mean A (ms)".into(),
                    "mean B (ms)".into(),
                    "speedup".into(),
                    "median B/A [95% CI]".into(),
                    "p (Holm)".into(),
                    "Cliff's δ".into(),
                ],
                rows,
            }));
        }
    }
    section
}
