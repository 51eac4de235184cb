//! How the figures were measured.

use crate::analysis::Analysis;
use crate::report::document::{Block, Section};
use crate::report::ms;

pub(crate) fn method(analysis: &Analysis) -> Section {
    let mut section = Section::new("How this was measured");
    let mut points = vec![
        "One run = one cold execution: `process` starts a fresh OS process (the native binary: `native` linked against glibc as the paper's, `native-static` against musl; or `wasmfaas run` of the module or AOT artifact); native containers hold the glibc binary on distroless/cc and Debian bases, the musl one alone in `native-static`; `embedded` loads the program into an engine created once per harness process, with a fresh store and WASI context per run.".into(),
        "Time: the monotonic clock around the whole run, in nanoseconds. Every run's output is checked; a failed run is reported and never timed.".into(),
        "Order: every round runs each cell once, in a seeded random order (the seed is recorded), so drift spreads over all cells.".into(),
        "Statistics: medians with distribution-free 95% CIs (binomial order statistics); Mann–Whitney U (two-sided, scipy's method), Holm-corrected within each function; ratio of medians with a 95% bootstrap CI; Cliff's delta; outliers (Tukey fences) flagged in samples.csv, never dropped.".into(),
        "Peak RSS: for `process`, the child's (wait4); for `embedded`, the harness process's high-water mark, reset before each run.".into(),
    ];
    if let Some(start) = &analysis.runner_start {
        points.push(format!(
            "What a `process` WebAssembly run includes: starting `wasmfaas` itself, a {:.0} MB binary that links every engine, before the engine loads the program. Its own start (`{}`, which runs no engine), timed {} times before the runs: median {} ms, fastest {} ms. Subtract it from a `process` WebAssembly median to estimate the engine's own cold start as a process; a native `process` run starts only the function's binary.",
            start.binary_bytes as f64 / 1e6,
            start.command,
            start.samples_ns.len(),
            ms(start.median()),
            ms(start.min()),
        ));
    }
    section.blocks.push(Block::List(points));
    section
}
