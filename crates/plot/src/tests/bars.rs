//! Grouped bar charts and their scales.
use super::*;

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
