//! The image sizes recorded in the run set (the paper's Figures 1–4).
use wasmfaas_plot::{Bar, BarChart, Group};

use crate::BenchError;
use crate::analysis::Analysis;
use crate::report::document::{Block, Section};

/// The image sizes recorded in the run set: the paper's Figures 1–4 (one variant per bar).
pub(crate) fn image_sizes(analysis: &Analysis) -> Result<Option<Section>, BenchError> {
    let images = &analysis.meta.suite.images;
    if images.is_empty() {
        return Ok(None);
    }
    // The paper's order: WebAssembly, then AOT, then the native bases from small to large.
    let rank = |variant: &str| match variant {
        "wasm" => 0,
        "wasm-artifact" => 1,
        v if v.starts_with("aot-") => 2,
        "native-static" => 3,
        "native-distroless" => 4,
        "native-debian" => 5,
        _ => 6,
    };
    let mut variants: Vec<String> = Vec::new();
    let mut groups = Vec::new();
    let mut rows = Vec::new();
    for function in &analysis.meta.plan.functions {
        let prefix = format!("{function}-");
        let mine: Vec<(&str, u64)> = images
            .iter()
            .filter_map(|(tag, size)| tag.strip_prefix(&prefix).map(|v| (v, *size)))
            .filter(|(variant, _)| !variant.is_empty())
            .collect();
        if mine.is_empty() {
            continue;
        }
        let mut mine = mine;
        mine.sort_by_key(|(variant, _)| rank(variant));
        for (variant, _) in &mine {
            if !variants.iter().any(|v| v == variant) {
                variants.push((*variant).to_owned());
            }
        }
        rows.push((function.clone(), mine.clone()));
        groups.push(Group {
            label: function.clone(),
            bars: mine
                .iter()
                .map(|(variant, size)| Bar {
                    series: (*variant).to_owned(),
                    value: *size as f64 / 1024.0,
                    low: None,
                    high: None,
                })
                .collect(),
        });
    }
    if groups.is_empty() {
        return Ok(None);
    }
    variants.sort_by_key(|v| rank(v));
    let mut section = Section::new("Image sizes (the paper's Figures 1–4)");
    section.paragraph(
        "Size of each OCI image `wasmfaas images` wrote (manifest + config + compressed layers, KiB), as recorded when the run set was created.",
    );
    let mut headers = vec!["function".to_owned()];
    headers.extend(variants.iter().cloned());
    let rows = rows
        .into_iter()
        .map(|(function, sizes)| {
            let mut row = vec![function];
            for variant in &variants {
                row.push(
                    sizes
                        .iter()
                        .find(|(v, _)| v == variant)
                        .map_or("-".into(), |(_, s)| format!("{:.1}", *s as f64 / 1024.0)),
                );
            }
            row
        })
        .collect();
    section.table(headers, rows);
    let svg = wasmfaas_plot::grouped_bars(&BarChart {
        title: "OCI image size by variant".into(),
        value_label: "size (KiB, log scale)".into(),
        log_scale: true,
        groups,
    })
    .map_err(|e| BenchError::NoData(format!("cannot draw the image sizes: {e}")))?;
    section.blocks.push(Block::Figure {
        file: "figures/image-sizes.svg".into(),
        svg,
        caption: "OCI image size per function and variant (the paper's Figures 1–4 in one chart)."
            .into(),
    });
    Ok(Some(section))
}
