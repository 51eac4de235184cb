//! Building the report's content from an analysis.
use wasmfaas_plot::{Bar, BarChart, Group, Stack, StackChart};

use super::document::{Block, Document, Section, Table};
use super::{ms, p_value};
use crate::analysis::{ALPHA, Analysis, Comparison};
use crate::claims::{self, Checked};
use crate::paper::{self, PaperData};
use crate::{BenchError, Environment, LauncherKind, LifecycleNs, PhaseNs};

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
    sections.push(beside_paper(&analysis, paper));
    sections.push(claims_section(&claims));
    sections.push(pairwise(&analysis));
    if let Some(other) = compare {
        sections.push(comparison_with(&analysis, other));
    }
    sections.push(method());
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

fn environments_of(analysis: &Analysis, launcher: LauncherKind) -> Vec<&Environment> {
    analysis
        .meta
        .plan
        .environments
        .iter()
        .filter(|e| e.launcher == launcher)
        .collect()
}

fn overview(analysis: &Analysis) -> Section {
    let meta = &analysis.meta;
    let plan = &meta.plan;
    let mut section = Section::new("Run set");
    let measured = analysis
        .cells
        .iter()
        .filter_map(|c| c.summary.as_ref().map(|s| s.n))
        .sum::<usize>();
    let failed: usize = analysis.cells.iter().map(|c| c.failed).sum();
    let engines: Vec<String> = meta
        .engines
        .iter()
        .map(|(name, version)| format!("{name} {version}"))
        .collect();
    section.blocks.push(Block::List(vec![
        format!("Machine: {}", meta.machine.describe()),
        format!(
            "Functions: {} (size `{}`)",
            plan.functions.join(", "),
            plan.size
        ),
        format!(
            "Environments: {}",
            plan.environments
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "Runs: {} measured per cell after {} warmup; seed {}; {} samples in the run set, {measured} measured successfully, {failed} measured runs failed",
            plan.runs, plan.warmup, plan.seed, analysis.samples
        ),
        format!("Engines: {}", engines.join(", ")),
        format!("wasmfaas {}; command: `{}`", meta.wasmfaas_version, meta.command_line.join(" ")),
    ]));
    if plan.runs < 20 {
        section.paragraph(format!(
            "With {} runs per cell, confidence intervals are wide and small differences are not significant; the paper used 100 (`--preset paper`).",
            plan.runs
        ));
    }
    section
}

fn medians(analysis: &Analysis) -> Result<Vec<Section>, BenchError> {
    let mut sections = Vec::new();
    for launcher in analysis.launchers() {
        let environments = environments_of(analysis, launcher);
        let mut section = Section::new(format!(
            "Median time by environment: `{}` launcher",
            launcher.as_str()
        ));
        section.paragraph(
            "Median wall time of one cold run in milliseconds, with its distribution-free 95% confidence interval; the paper's Figures 5–6 show the same comparison as means.",
        );
        let mut headers = vec!["function".to_owned()];
        headers.extend(environments.iter().map(|e| e.engine_mode()));
        let mut rows = Vec::new();
        let mut groups = Vec::new();
        for function in &analysis.meta.plan.functions {
            let mut row = vec![function.clone()];
            let mut bars = Vec::new();
            for environment in &environments {
                match analysis.cell(function, environment) {
                    Some(cell) => match &cell.summary {
                        Some(s) => {
                            let flag = if cell.failed > 0 {
                                format!(" ({} failed)", cell.failed)
                            } else {
                                String::new()
                            };
                            row.push(format!(
                                "{} [{}–{}]{flag}",
                                ms(s.median),
                                ms(s.median_ci.0),
                                ms(s.median_ci.1)
                            ));
                            bars.push(Bar {
                                series: environment.engine_mode(),
                                value: s.median * 1e3,
                                low: Some(s.median_ci.0 * 1e3),
                                high: Some(s.median_ci.1 * 1e3),
                            });
                        }
                        None => row.push(format!("failed ({})", cell.failed)),
                    },
                    None => row.push("-".into()),
                }
            }
            rows.push(row);
            if !bars.is_empty() {
                groups.push(Group {
                    label: function.clone(),
                    bars,
                });
            }
        }
        section.table(headers, rows);
        if !groups.is_empty() {
            let svg = wasmfaas_plot::grouped_bars(&BarChart {
                title: format!("Median cold run time, {} launcher", launcher.as_str()),
                value_label: "median time (ms, log scale)".into(),
                log_scale: true,
                groups,
            })
            .map_err(|e| BenchError::NoData(format!("cannot draw the medians: {e}")))?;
            section.blocks.push(Block::Figure {
                file: format!("figures/median-{}.svg", launcher.as_str()),
                svg,
                caption: format!(
                    "Median time per function and environment ({} launcher), whiskers: 95% CI of the median.",
                    launcher.as_str()
                ),
            });
        }
        sections.push(section);
    }
    Ok(sections)
}

fn failures(analysis: &Analysis) -> Option<Section> {
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

fn phases(analysis: &Analysis) -> Result<Option<Section>, BenchError> {
    let cells: Vec<_> = analysis
        .cells
        .iter()
        .filter(|c| c.phase_medians.is_some())
        .collect();
    if cells.is_empty() {
        return Ok(None);
    }
    let mut section = Section::new("Phases of embedded runs");
    section.paragraph(
        "Median time of each phase in milliseconds: load (read or deserialise the program), compile (JIT and baseline), instantiate (link WASI, instantiate), execute (run to exit).",
    );
    let mut headers = vec!["function".to_owned(), "environment".to_owned()];
    headers.extend(PhaseNs::NAMES.iter().map(|n| n.to_string()));
    headers.push("peak RSS (MiB)".into());
    let mut rows = Vec::new();
    let mut panels = Vec::new();
    for function in &analysis.meta.plan.functions {
        let mut stacks = Vec::new();
        for cell in cells.iter().filter(|c| &c.function == function) {
            let medians = cell.phase_medians.expect("filtered above");
            let mut row = vec![function.clone(), cell.environment.engine_mode()];
            row.extend(medians.iter().map(|m| ms(*m)));
            row.push(
                cell.peak_rss_kib
                    .map_or("-".into(), |k| format!("{:.1}", k / 1024.0)),
            );
            rows.push(row);
            stacks.push(Stack {
                label: cell.environment.engine_mode(),
                segments: PhaseNs::NAMES
                    .iter()
                    .zip(medians)
                    .map(|(name, m)| (name.to_string(), m * 1e3))
                    .collect(),
            });
        }
        if !stacks.is_empty() {
            panels.push(StackChart {
                title: function.clone(),
                value_label: "share of the run".into(),
                normalised: true,
                stacks,
            });
        }
    }
    section.table(headers, rows);
    let svg = wasmfaas_plot::stacked_panels("Where an embedded run's time goes", &panels, 3)
        .map_err(|e| BenchError::NoData(format!("cannot draw the phases: {e}")))?;
    section.blocks.push(Block::Figure {
        file: "figures/phases.svg".into(),
        svg,
        caption: "Share of each phase in the median embedded run, per function and environment."
            .into(),
    });
    Ok(Some(section))
}

/// Where a container run's time goes under the `oci` launcher: the runtime's create, start to
/// exit, and delete. For WebAssembly, wasmfaas-runtime loads or compiles the module at create,
/// so this is where create cost and start-to-exit cost are told apart.
fn lifecycle(analysis: &Analysis) -> Option<Section> {
    let cells: Vec<_> = analysis
        .cells
        .iter()
        .filter(|c| c.lifecycle_medians.is_some())
        .collect();
    if cells.is_empty() {
        return None;
    }
    let mut section = Section::new("Container lifecycle (oci launcher)");
    section.paragraph(
        "Median time of each step of a container run in milliseconds. create: the runtime's `create` (namespaces, cgroups, root filesystem; for WebAssembly, wasmfaas-runtime also reads and deserialises (aot) or compiles (jit, baseline, interp) the module there); start to exit: from `start` until the container's process is reaped (for WebAssembly: instantiating and running the module); delete: the runtime's `delete`. The three add up to the run's time.",
    );
    let mut headers = vec!["function".to_owned(), "environment".to_owned()];
    headers.extend(LifecycleNs::NAMES.iter().map(|n| n.to_string()));
    headers.push("create share".into());
    let mut rows = Vec::new();
    for function in &analysis.meta.plan.functions {
        for cell in cells.iter().filter(|c| &c.function == function) {
            let medians = cell.lifecycle_medians.expect("filtered above");
            let mut row = vec![function.clone(), cell.environment.engine_mode()];
            row.extend(medians.iter().map(|m| ms(*m)));
            let sum: f64 = medians.iter().sum();
            row.push(if sum > 0.0 {
                format!("{:.0}%", medians[0] / sum * 100.0)
            } else {
                "-".into()
            });
            rows.push(row);
        }
    }
    section.table(headers, rows);
    Some(section)
}

/// The pairs of the paper's Tables 4–7 and the wasm/native pair: (title, faster candidate,
/// slower candidate) as `engine-mode` keys.
fn table_pairs(
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

fn speedups(analysis: &Analysis) -> Section {
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

fn compute_ratio(analysis: &Analysis) -> Option<Section> {
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

/// The image sizes recorded in the run set: the paper's Figures 1–4 (one variant per bar).
fn image_sizes(analysis: &Analysis) -> Result<Option<Section>, BenchError> {
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

fn beside_paper(analysis: &Analysis, paper: &PaperData) -> Section {
    let mut section = Section::new("The paper beside us");
    section.paragraph(format!(
        "The paper's published runs ({}) next to this run set. Absolute seconds come from other hardware and a different path (containerd + crun), so both are shown as ratios of the mean to the mean of Wasmtime AOT on the same function. Marked * = a stand-in for the paper's environment (wasmi's interpreter for WasmEdge's; a native process without a container for distroless).",
        paper::ATTRIBUTION
    ));
    let reference_key = "wasmtime-aot";
    let mut launchers = analysis.launchers();
    launchers.reverse();
    for launcher in launchers {
        let environments = environments_of(analysis, launcher);
        let Some(reference) = environments
            .iter()
            .find(|e| e.engine_mode() == reference_key)
        else {
            continue;
        };
        let matched: Vec<(&Environment, &'static str, bool)> = environments
            .iter()
            .filter_map(|e| paper::counterpart(e).map(|(key, stand_in)| (*e, key, stand_in)))
            .collect();
        let mut headers = vec!["function".to_owned()];
        for (env, key, stand_in) in &matched {
            headers.push(format!(
                "{}{} (paper {key})",
                env.engine_mode(),
                if *stand_in { "*" } else { "" }
            ));
        }
        let mut rows = Vec::new();
        for function in &analysis.meta.plan.functions {
            let Some(ours_reference) = analysis.summary(function, reference) else {
                continue;
            };
            let paper_reference = paper.mean(reference_key, function);
            let mut row = vec![function.clone()];
            for (env, key, _) in &matched {
                let ours = analysis
                    .summary(function, env)
                    .map(|s| s.mean / ours_reference.mean);
                let theirs = paper_reference.and_then(|r| paper.mean(key, function).map(|m| m / r));
                let show = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.2}"));
                row.push(format!("{} · paper {}", show(ours), show(theirs)));
            }
            rows.push(row);
        }
        section.blocks.push(Block::Table(Table {
            caption: format!(
                "Mean ÷ mean of {reference_key}, `{}` launcher (ours · paper)",
                launcher.as_str()
            ),
            headers,
            rows,
        }));
        break;
    }
    section
}

fn claims_section(claims: &[Checked]) -> Section {
    let mut section = Section::new("The paper's claims");
    section.paragraph(
        "Each quantitative claim of the paper's §4–5, counted the same way on the paper's published runs (recomputed here: it must match the count the paper prints) and on this run set, under the most paper-like launcher that has the environments. A claim is confirmed when it holds for the same majority of functions; functions where the outcome differs from the paper's are listed.",
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

fn pairwise(analysis: &Analysis) -> Section {
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

fn comparison_with(analysis: &Analysis, other: &Analysis) -> Section {
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

fn method() -> Section {
    let mut section = Section::new("How this was measured");
    section.blocks.push(Block::List(vec![
        "One run = one cold execution: `process` starts a fresh OS process (the static native binary, or `wasmfaas run` of the module or AOT artifact); `embedded` loads the program into an engine created once per harness process, with a fresh store and WASI context per run.".into(),
        "Time: the monotonic clock around the whole run, in nanoseconds. Every run's output is checked; a failed run is reported and never timed.".into(),
        "Order: every round runs each cell once, in a seeded random order (the seed is recorded), so drift spreads over all cells.".into(),
        "Statistics: medians with distribution-free 95% CIs (binomial order statistics); Mann–Whitney U (two-sided, scipy's method), Holm-corrected within each function; ratio of medians with a 95% bootstrap CI; Cliff's delta; outliers (Tukey fences) flagged in samples.csv, never dropped.".into(),
        "Peak RSS: for `process`, the child's (wait4); for `embedded`, the harness process's high-water mark, reset before each run.".into(),
    ]));
    section
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
    out.push_str("\nthe paper's claims:\n");
    for claim in &report.claims {
        let ours = claim
            .ours
            .as_ref()
            .map_or("-".into(), |c| format!("{} here", c.fraction()));
        out.push_str(&format!(
            "  {:<18} {} (paper {}, {ours})\n",
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
