use std::collections::HashMap;

use crate::canvas::colour;
use crate::scale::{Scale, format_power_of_ten};
use crate::*;

/// Checks that `svg` is one well-formed `<svg>` element: tags balanced and properly nested,
/// attributes quoted, no stray `<` or `&`.
fn assert_well_formed(svg: &str) {
    let svg = svg.trim();
    assert!(svg.starts_with("<svg"), "does not start with <svg");
    assert!(svg.ends_with("</svg>"), "does not end with </svg>");
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = svg;
    let mut roots = 0;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        assert!(!text.contains('>'), "stray '>' in text {text:?}");
        check_entities(text);
        let close = rest[open..].find('>').expect("unterminated tag") + open;
        let tag = &rest[open + 1..close];
        assert!(!tag.contains('<'), "'<' inside tag {tag:?}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name.trim()), "mismatched </{name}>");
        } else {
            if stack.is_empty() {
                roots += 1;
            }
            let name = tag
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches('/');
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()),
                "bad tag name in {tag:?}"
            );
            assert_eq!(
                tag.matches('"').count() % 2,
                0,
                "unbalanced quotes in {tag:?}"
            );
            check_entities(tag);
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
        rest = &rest[close + 1..];
    }
    assert!(rest.trim().is_empty());
    assert!(stack.is_empty(), "unclosed tags {stack:?}");
    assert_eq!(roots, 1, "more than one root element");
}

fn check_entities(s: &str) {
    for (i, _) in s.match_indices('&') {
        let entity = &s[i..s[i..].find(';').map_or(s.len(), |j| i + j + 1)];
        assert!(
            ["&lt;", "&gt;", "&amp;", "&quot;", "&apos;"].contains(&entity),
            "bad entity {entity:?}"
        );
    }
}

/// The attributes of every `<tag ...>` element.
fn elements(svg: &str, tag: &str) -> Vec<HashMap<String, String>> {
    let open = format!("<{tag} ");
    svg.match_indices(&open)
        .map(|(i, _)| {
            let body = &svg[i + open.len()..i + svg[i..].find('>').unwrap()];
            let mut attrs = HashMap::new();
            let mut rest = body;
            while let Some(eq) = rest.find("=\"") {
                let key = rest[..eq].trim().to_owned();
                let end = rest[eq + 2..].find('"').unwrap() + eq + 2;
                attrs.insert(key, rest[eq + 2..end].to_owned());
                rest = &rest[end + 1..];
            }
            attrs
        })
        .collect()
}

fn num(attrs: &HashMap<String, String>, key: &str) -> f64 {
    attrs[key].parse().unwrap()
}

/// `#RRGGBB` of palette entry `i`, as the SVG backend writes it.
fn hex(i: usize) -> String {
    let c = colour(i);
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

fn filled_rects(svg: &str, fill: &str) -> Vec<HashMap<String, String>> {
    elements(svg, "rect")
        .into_iter()
        .filter(|r| r["fill"] == fill)
        .collect()
}

/// All text contents, unescaped.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text ")
        .skip(1)
        .map(|t| {
            let start = t.find('>').unwrap() + 1;
            let end = t.find("</text>").unwrap();
            t[start..end]
                .trim()
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

const ENVS: [&str; 3] = [
    "process/native",
    "embedded/wasmtime-aot",
    "process/wasmi-interp",
];
const FUNCTIONS: [&str; 4] = ["fibonacci", "linear-equations", "sha256", "json-parse"];

fn sample_chart(log_scale: bool) -> BarChart {
    let groups = FUNCTIONS
        .iter()
        .enumerate()
        .map(|(fi, f)| {
            let bars = ENVS
                .iter()
                .enumerate()
                .map(|(ei, e)| {
                    let v = 0.15 * 10f64.powi(ei as i32 + fi as i32);
                    Bar::new(*e, v).with_interval(v * 0.9, v * 1.2)
                })
                .collect();
            Group::new(*f, bars)
        })
        .collect();
    BarChart {
        title: "Cold start".into(),
        value_label: "median time (ms)".into(),
        log_scale,
        groups,
    }
}

#[test]
fn grouped_bars_is_well_formed_and_labelled() {
    for log_scale in [false, true] {
        let svg = grouped_bars(&sample_chart(log_scale)).unwrap();
        assert_well_formed(&svg);
        let texts = texts(&svg);
        for name in FUNCTIONS.iter().chain(&ENVS) {
            assert!(texts.iter().any(|t| t == name), "{name} missing");
        }
        assert!(texts.iter().any(|t| t == "Cold start"));
        assert!(texts.iter().any(|t| t == "median time (ms)"));
        assert!(!svg.contains("font-face") && !svg.contains("<style") && !svg.contains("<script"));
        assert!(svg.contains("viewBox=\"0 0 "));
    }
}

#[test]
fn one_rect_per_bar_in_the_series_colour() {
    let mut chart = sample_chart(true);
    // "sha256" has no wasmi bar; a group lists its bars in another order.
    chart.groups[2]
        .bars
        .retain(|b| b.series != "process/wasmi-interp");
    chart.groups[3].bars.reverse();
    let svg = grouped_bars(&chart).unwrap();
    assert_well_formed(&svg);
    for (i, env) in ENVS.iter().enumerate() {
        let bars = chart
            .groups
            .iter()
            .flat_map(|g| &g.bars)
            .filter(|b| b.series == *env)
            .count();
        // One rect per bar plus the legend swatch.
        assert_eq!(filled_rects(&svg, &hex(i)).len(), bars + 1, "{env}");
    }
    // Each series keeps its slot: its bars' x offsets within their groups are all equal.
    let first = filled_rects(&svg, &hex(0));
    let second = filled_rects(&svg, &hex(1));
    let d: Vec<f64> = second
        .iter()
        .zip(&first)
        .skip(1)
        .map(|(b, a)| num(b, "x") - num(a, "x"))
        .collect();
    assert!(d.windows(2).all(|w| (w[0] - w[1]).abs() <= 1.0), "{d:?}");
}

#[test]
fn bars_stand_on_the_axis_and_grow_with_the_value() {
    for log_scale in [false, true] {
        let chart = BarChart {
            title: String::new(),
            value_label: String::new(),
            log_scale,
            groups: vec![Group::new(
                "g",
                vec![
                    Bar::new("a", 1.0),
                    Bar::new("b", 10.0),
                    Bar::new("c", 100.0),
                ],
            )],
        };
        let svg = grouped_bars(&chart).unwrap();
        let rects: Vec<_> = (0..3).map(|i| filled_rects(&svg, &hex(i))).collect();
        // The bar is the lower of the two rects (the other is the legend swatch, on top).
        let bar = |i: usize| {
            rects[i]
                .iter()
                .max_by(|a, b| num(a, "y").total_cmp(&num(b, "y")))
                .unwrap()
                .clone()
        };
        let bottoms: Vec<f64> = (0..3)
            .map(|i| num(&bar(i), "y") + num(&bar(i), "height"))
            .collect();
        assert!(bottoms.iter().all(|b| *b == bottoms[0]), "{bottoms:?}");
        let heights: Vec<f64> = (0..3).map(|i| num(&bar(i), "height")).collect();
        assert!(
            heights[0] > 0.0 && heights[0] < heights[1] && heights[1] < heights[2],
            "{heights:?}"
        );
        if log_scale {
            // Equal ratios, equal steps.
            assert!(
                ((heights[2] - heights[1]) - (heights[1] - heights[0])).abs() <= 1.0,
                "{heights:?}"
            );
        }
    }
}

#[test]
fn width_grows_with_the_number_of_bars() {
    let small = grouped_bars(&sample_chart(false)).unwrap();
    let width = |svg: &str| num(&elements(svg, "svg")[0], "width");
    assert_eq!(width(&small), 800.0);
    let groups: Vec<Group> = (0..40)
        .map(|g| {
            Group::new(
                format!("function-{g}"),
                (0..10)
                    .map(|s| Bar::new(format!("env-{s}"), 1.0 + s as f64))
                    .collect(),
            )
        })
        .collect();
    let chart = BarChart {
        title: "wide".into(),
        value_label: "ms".into(),
        log_scale: true,
        groups,
    };
    let svg = grouped_bars(&chart).unwrap();
    assert_well_formed(&svg);
    assert!(width(&svg) >= 14.0 * 400.0, "{}", width(&svg));
}

#[test]
fn long_group_labels_are_drawn_vertically() {
    let svg = grouped_bars(&sample_chart(true)).unwrap();
    // 4 groups of 800 px: horizontal.
    assert!(!elements(&svg, "text").iter().any(|t| {
        t.get("transform")
            .is_some_and(|_| t["text-anchor"] == "end")
    }));
    let groups: Vec<Group> = (0..13)
        .map(|g| {
            Group::new(
                format!("linear-equations-{g}"),
                (0..8).map(|s| Bar::new(format!("env-{s}"), 1.0)).collect(),
            )
        })
        .collect();
    let chart = BarChart {
        title: String::new(),
        value_label: String::new(),
        log_scale: false,
        groups,
    };
    let svg = grouped_bars(&chart).unwrap();
    let vertical = elements(&svg, "text")
        .into_iter()
        .filter(|t| t.contains_key("transform"))
        .count();
    assert_eq!(vertical, 13);
}

#[test]
fn log_scale_rejects_zero_and_negative_values() {
    let mut chart = sample_chart(true);
    chart.groups[1].bars[0].value = 0.0;
    assert!(matches!(
        grouped_bars(&chart),
        Err(PlotError::NonPositiveOnLogScale { .. })
    ));
    let mut chart = sample_chart(true);
    chart.groups[0].bars[2].low = Some(-1.0);
    assert!(matches!(
        grouped_bars(&chart),
        Err(PlotError::NonPositiveOnLogScale { .. })
    ));
    // A linear axis takes zero and negative values.
    let mut chart = sample_chart(false);
    chart.groups[1].bars[0].value = 0.0;
    chart.groups[1].bars[1] = Bar::new("embedded/wasmtime-aot", -3.0).with_interval(-4.0, -2.0);
    assert_well_formed(&grouped_bars(&chart).unwrap());
}

#[test]
fn empty_and_invalid_bar_data_are_errors() {
    let mut chart = sample_chart(false);
    chart.groups.clear();
    assert!(matches!(grouped_bars(&chart), Err(PlotError::Empty(_))));
    let mut chart = sample_chart(false);
    chart.groups.iter_mut().for_each(|g| g.bars.clear());
    assert!(matches!(grouped_bars(&chart), Err(PlotError::Empty(_))));

    for (v, low, high) in [
        (f64::NAN, None, None),
        (1.0, Some(f64::NAN), Some(2.0)),
        (1.0, Some(0.5), Some(f64::INFINITY)),
    ] {
        for log_scale in [false, true] {
            let mut chart = sample_chart(log_scale);
            chart.groups[0].bars[0] = Bar {
                series: ENVS[0].into(),
                value: v,
                low,
                high,
            };
            assert!(
                matches!(grouped_bars(&chart), Err(PlotError::NonFinite { .. })),
                "{v} {low:?} {high:?}"
            );
        }
    }
    let mut chart = sample_chart(false);
    chart.groups[0].bars[0] = Bar::new(ENVS[0], 1.0).with_interval(2.0, 0.5);
    assert!(matches!(
        grouped_bars(&chart),
        Err(PlotError::InvalidInterval { .. })
    ));
    let mut chart = sample_chart(false);
    chart.groups[0].bars.push(Bar::new(ENVS[0], 1.0));
    assert!(matches!(
        grouped_bars(&chart),
        Err(PlotError::DuplicateSeries { .. })
    ));
}

#[test]
fn markup_in_names_is_escaped() {
    let chart = BarChart {
        title: "a < b & \"c\"".into(),
        value_label: "time".into(),
        log_scale: false,
        groups: vec![Group::new("<g>", vec![Bar::new("x&y", 1.0)])],
    };
    let svg = grouped_bars(&chart).unwrap();
    assert_well_formed(&svg);
    let texts = texts(&svg);
    for s in ["a < b & \"c\"", "<g>", "x&y"] {
        assert!(texts.iter().any(|t| t == s), "{s}");
    }
}

#[test]
fn scales_and_ticks() {
    // Log: 0.1 ms to 10 s.
    let s = Scale::log(0.1, 10_000.0);
    assert_eq!(
        s,
        Scale::Log {
            lo_exp: -2,
            hi_exp: 4
        }
    );
    let labels: Vec<String> = s
        .ticks(12, false)
        .into_iter()
        .filter_map(|t| t.label)
        .collect();
    assert_eq!(labels, ["0.01", "0.1", "1", "10", "100", "1000", "10000"]);
    assert_eq!(s.frac(1.0), 2.0 / 6.0);
    assert_eq!(
        Scale::log(0.5, 0.9),
        Scale::Log {
            lo_exp: -1,
            hi_exp: 0
        }
    );
    // Many decades: fewer labels, no minor ticks.
    let wide = Scale::log(1e-9, 1e9).ticks(6, false);
    assert!(wide.iter().filter(|t| t.label.is_some()).count() <= 6);
    assert!(
        wide.iter()
            .all(|t| t.label.is_some() || t.value.log10().fract() == 0.0)
    );
    assert_eq!(format_power_of_ten(-3), "0.001");
    assert_eq!(format_power_of_ten(5), "100000");
    assert_eq!(format_power_of_ten(6), "1e6");
    assert_eq!(format_power_of_ten(-7), "1e-7");

    // Linear: nice steps, from zero.
    let s = Scale::linear(3.0, 97.0, 5).unwrap();
    assert_eq!(
        s,
        Scale::Linear {
            lo: 0.0,
            hi: 100.0,
            step: 20.0
        }
    );
    let labels: Vec<String> = s
        .ticks(10, true)
        .into_iter()
        .filter_map(|t| t.label)
        .collect();
    assert_eq!(labels, ["0%", "20%", "40%", "60%", "80%", "100%"]);
    let s = Scale::linear(-0.3, 0.7, 5).unwrap();
    let labels: Vec<String> = s
        .ticks(10, false)
        .into_iter()
        .filter_map(|t| t.label)
        .collect();
    assert_eq!(labels, ["-0.4", "-0.2", "0.0", "0.2", "0.4", "0.6", "0.8"]);
    assert_eq!(
        Scale::linear(0.0, 0.0, 5).unwrap().ticks(10, false).len(),
        6
    );
    assert!(Scale::linear(-f64::MAX, f64::MAX, 5).is_err());
}

fn phases(label: &str, values: [f64; 4]) -> Stack {
    Stack::new(
        label,
        ["load", "compile", "instantiate", "execute"]
            .into_iter()
            .zip(values)
            .collect(),
    )
}

fn stack_chart(normalised: bool) -> StackChart {
    StackChart {
        title: "fibonacci".into(),
        value_label: if normalised {
            "share of cold start"
        } else {
            "time (ms)"
        }
        .into(),
        normalised,
        stacks: vec![
            phases("process/native", [0.4, 0.0, 0.1, 2.0]),
            phases("embedded/wasmtime-aot", [0.2, 0.0, 0.05, 1.0]),
            phases("process/wasmi-interp", [0.3, 1.5, 0.4, 25.0]),
            phases("embedded/wasmtime-jit", [0.2, 12.0, 0.05, 1.1]),
        ],
    }
}

#[test]
fn segment_extents_are_cumulative_and_normalise_to_100() {
    let stack = phases("x", [1.0, 3.0, 0.0, 4.0]);
    assert_eq!(
        segment_extents(&stack, false),
        [(0.0, 1.0), (1.0, 4.0), (4.0, 4.0), (4.0, 8.0)]
    );
    assert_eq!(
        segment_extents(&stack, true),
        [(0.0, 12.5), (12.5, 50.0), (50.0, 50.0), (50.0, 100.0)]
    );
    for stack in stack_chart(true).stacks {
        let e = segment_extents(&stack, true);
        assert_eq!(e.last().unwrap().1, 100.0);
        assert!(e.windows(2).all(|w| w[0].1 == w[1].0));
    }
    assert_eq!(
        segment_extents(&phases("zero", [0.0; 4]), true),
        [(0.0, 0.0); 4]
    );
}

/// The rects of each segment colour, grouped by row (their `y`), as total width per row.
fn row_widths(svg: &str, segments: usize) -> HashMap<i64, f64> {
    let mut rows: HashMap<i64, f64> = HashMap::new();
    for i in 0..segments {
        for r in filled_rects(svg, &hex(i)) {
            if num(&r, "height") > 12.0 {
                *rows.entry(num(&r, "y") as i64).or_default() += num(&r, "width");
            }
        }
    }
    rows
}

#[test]
fn normalised_rows_fill_the_whole_width() {
    let chart = stack_chart(true);
    let svg = stacked_bars(&chart).unwrap();
    assert_well_formed(&svg);
    let rows = row_widths(&svg, 4);
    assert_eq!(rows.len(), 4);
    let widths: Vec<f64> = rows.values().copied().collect();
    assert!(widths.iter().all(|w| *w == widths[0]), "{widths:?}");
    // ... which is the distance from the 0% to the 100% grid line.
    let texts = texts(&svg);
    assert!(texts.iter().any(|t| t == "100%"));
    // Grid lines are vertical two-point polylines "x,y0 x,y1 ".
    let grid: Vec<f64> = elements(&svg, "polyline")
        .iter()
        .filter_map(|l| {
            let p: Vec<(f64, f64)> = l["points"]
                .split_whitespace()
                .map(|xy| {
                    xy.split_once(',')
                        .map(|(x, y)| (x.parse().unwrap(), y.parse().unwrap()))
                        .unwrap()
                })
                .collect();
            (l["stroke"] == "#DDDDDD" && p.len() == 2 && p[0].0 == p[1].0).then_some(p[0].0)
        })
        .collect();
    let span = grid.iter().copied().fold(f64::MIN, f64::max)
        - grid.iter().copied().fold(f64::MAX, f64::min);
    assert_eq!(widths[0], span);

    // Absolute: widths follow the totals.
    let svg = stacked_bars(&stack_chart(false)).unwrap();
    let rows = row_widths(&svg, 4);
    let mut by_y: Vec<(i64, f64)> = rows.into_iter().collect();
    by_y.sort_by_key(|r| r.0);
    let w: Vec<f64> = by_y.iter().map(|r| r.1).collect();
    assert!(w[2] > w[0] && w[0] > w[1] && w[3] < w[2], "{w:?}");
}

#[test]
fn stacked_bars_are_labelled_and_coloured_per_segment() {
    let chart = stack_chart(false);
    let svg = stacked_bars(&chart).unwrap();
    assert_well_formed(&svg);
    let texts = texts(&svg);
    for s in chart.stacks.iter().map(|s| s.label.as_str()).chain([
        "load",
        "compile",
        "instantiate",
        "execute",
        "fibonacci",
        "time (ms)",
    ]) {
        assert!(texts.iter().any(|t| t == s), "{s}");
    }
    // "compile" is zero in two rows: no rect there; one legend swatch per segment name.
    assert_eq!(filled_rects(&svg, &hex(0)).len(), 4 + 1);
    assert_eq!(filled_rects(&svg, &hex(1)).len(), 2 + 1);
    assert_eq!(filled_rects(&svg, &hex(4)).len(), 0);
}

#[test]
fn invalid_stack_data_are_errors() {
    let mut chart = stack_chart(true);
    chart.stacks.clear();
    assert!(matches!(stacked_bars(&chart), Err(PlotError::Empty(_))));
    let mut chart = stack_chart(true);
    chart.stacks.iter_mut().for_each(|s| s.segments.clear());
    assert!(matches!(stacked_bars(&chart), Err(PlotError::Empty(_))));
    let mut chart = stack_chart(false);
    chart.stacks[1].segments[2].1 = f64::NAN;
    assert!(matches!(
        stacked_bars(&chart),
        Err(PlotError::NonFinite { .. })
    ));
    let mut chart = stack_chart(false);
    chart.stacks[1].segments[2].1 = -1.0;
    assert!(matches!(
        stacked_bars(&chart),
        Err(PlotError::Negative { .. })
    ));
    let mut chart = stack_chart(false);
    chart.stacks[0].segments[0].1 = f64::MAX;
    chart.stacks[0].segments[1].1 = f64::MAX;
    assert!(matches!(
        stacked_bars(&chart),
        Err(PlotError::NonFinite { .. })
    ));

    assert!(matches!(
        stacked_panels("t", &[], 3),
        Err(PlotError::Empty(_))
    ));
    assert!(matches!(
        stacked_panels("t", &[stack_chart(true)], 0),
        Err(PlotError::InvalidOption(_))
    ));
    assert!(matches!(
        stacked_panels("t", &[stack_chart(true), chart], 2),
        Err(PlotError::NonFinite { .. })
    ));
}

#[test]
fn panels_share_colours_and_show_every_label() {
    let mut panels: Vec<StackChart> = (0..5)
        .map(|i| {
            let mut c = stack_chart(i % 2 == 0);
            c.title = format!("function-{i}");
            c
        })
        .collect();
    // A panel whose segments come in another order keeps the shared colours.
    panels[3].stacks = vec![Stack::new("only", vec![("execute", 2.0), ("load", 1.0)])];
    let svg = stacked_panels("Phases", &panels, 3).unwrap();
    assert_well_formed(&svg);
    let texts = texts(&svg);
    for s in panels
        .iter()
        .flat_map(|p| {
            p.stacks
                .iter()
                .map(|s| s.label.clone())
                .chain([p.title.clone()])
        })
        .chain(["Phases".into()])
    {
        assert!(texts.contains(&s), "{s}");
    }
    // "load": 4 panels x 4 rows + 1, plus the legend swatch; "execute" likewise.
    assert_eq!(filled_rects(&svg, &hex(0)).len(), 4 * 4 + 1 + 1);
    assert_eq!(filled_rects(&svg, &hex(3)).len(), 4 * 4 + 1 + 1);
    // 3 columns of at least 800/3 px; two rows of panels.
    let panels_x: Vec<f64> = elements(&svg, "text")
        .iter()
        .zip(&texts)
        .filter(|(_, t)| t.starts_with("function-"))
        .map(|(a, _)| num(a, "x"))
        .collect();
    assert_eq!(panels_x[0], panels_x[3]);
    assert!(panels_x[1] > panels_x[0] && panels_x[2] > panels_x[1]);
}
