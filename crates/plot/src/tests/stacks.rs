//! Stacked bar charts and their panels.
use super::*;

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
