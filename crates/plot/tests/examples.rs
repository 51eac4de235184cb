//! Writes one example of each chart, with report-like data, to /tmp/plot-examples/.

use std::path::Path;

use wasmfaas_plot::{
    Bar, BarChart, Group, Stack, StackChart, grouped_bars, stacked_bars, stacked_panels,
};

const FUNCTIONS: [&str; 13] = [
    "hello-world",
    "fibonacci",
    "linear-equations",
    "matrix-multiply",
    "json-parse",
    "sha256",
    "image-resize",
    "regex-match",
    "sort",
    "compress",
    "nbody",
    "mandelbrot",
    "base64",
];

/// (environment, cold-start factor over native, compile ms)
const ENVS: [(&str, f64, f64); 8] = [
    ("process/native", 1.0, 0.0),
    ("process/wasmtime-aot", 1.6, 0.0),
    ("process/wasmtime-jit", 2.5, 40.0),
    ("process/wasmer", 2.8, 55.0),
    ("process/wasmi-interp", 9.0, 3.0),
    ("embedded/wasmtime-aot", 0.4, 0.0),
    ("embedded/wasmtime-jit", 1.2, 35.0),
    ("embedded/wasmi-interp", 7.0, 2.5),
];

fn base_ms(f: usize) -> f64 {
    // 0.1 ms to a few seconds.
    0.1 * 10f64.powf(f as f64 * 4.5 / 12.0)
}

fn write(name: &str, svg: &str) {
    let dir = Path::new("/tmp/plot-examples");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), svg).unwrap();
}

fn bar_chart(log_scale: bool) -> BarChart {
    let groups = FUNCTIONS
        .iter()
        .enumerate()
        .map(|(fi, f)| {
            let bars = ENVS
                .iter()
                // One environment failed on one function: a gap.
                .filter(|(e, _, _)| !(*e == "process/wasmer" && *f == "image-resize"))
                .map(|(e, factor, _)| {
                    let v = base_ms(fi) * factor;
                    Bar::new(*e, v).with_interval(v * 0.85, v * 1.25)
                })
                .collect();
            Group::new(*f, bars)
        })
        .collect();
    BarChart {
        title: "Cold-start time per function and environment (median, 95% CI)".into(),
        value_label: "median time (ms)".into(),
        log_scale,
        groups,
    }
}

fn stack_chart(function: usize, normalised: bool) -> StackChart {
    let stacks = ENVS
        .iter()
        .map(|(e, factor, compile)| {
            let exec = base_ms(function) * factor;
            Stack::new(
                *e,
                vec![
                    ("load", 0.3 + exec * 0.05),
                    ("compile", *compile),
                    ("instantiate", 0.08 * factor),
                    ("execute", exec),
                ],
            )
        })
        .collect();
    StackChart {
        title: FUNCTIONS[function].into(),
        value_label: if normalised {
            "share of cold-start time"
        } else {
            "time (ms)"
        }
        .into(),
        normalised,
        stacks,
    }
}

#[test]
fn write_examples() {
    write("grouped-log.svg", &grouped_bars(&bar_chart(true)).unwrap());
    let mut linear = bar_chart(false);
    linear.groups.truncate(4);
    linear.title = "Cold-start time, small functions (linear scale)".into();
    write("grouped-linear.svg", &grouped_bars(&linear).unwrap());
    // Few bars per group: the group labels no longer fit side by side and turn vertical.
    let mut narrow = bar_chart(true);
    narrow.title = "Native vs. embedded AOT".into();
    for g in &mut narrow.groups {
        g.bars
            .retain(|b| b.series == "process/native" || b.series == "embedded/wasmtime-aot");
    }
    write(
        "grouped-vertical-labels.svg",
        &grouped_bars(&narrow).unwrap(),
    );
    let mut chart = stack_chart(2, false);
    chart.title = "Cold-start phases: linear-equations".into();
    write("stacked-absolute.svg", &stacked_bars(&chart).unwrap());
    let mut chart = stack_chart(2, true);
    chart.title = "Share of each phase: linear-equations".into();
    write("stacked-normalised.svg", &stacked_bars(&chart).unwrap());
    let panels: Vec<StackChart> = (0..FUNCTIONS.len()).map(|f| stack_chart(f, true)).collect();
    write(
        "stacked-panels.svg",
        &stacked_panels("Share of each cold-start phase", &panels, 3).unwrap(),
    );
}
