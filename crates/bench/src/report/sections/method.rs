//! How the figures were measured.

use crate::LauncherKind;
use crate::analysis::Analysis;
use crate::report::document::{Block, Section};
use crate::report::ms;

pub(crate) fn method(analysis: &Analysis) -> Section {
    let mut section = Section::new("How this was measured");
    let mut points = vec![
        "One run = one cold execution: `process` starts a fresh OS process (the native binary: `native` linked against glibc as the paper's, `native-static` against musl; or the engine's lean runner, `wasmfaas-run-<engine>`, of the module or AOT artifact); native containers hold the glibc binary on distroless/cc and Debian bases, the musl one alone in `native-static`; `embedded` loads the program into an engine created once per harness process, with a fresh store and WASI context per run.".into(),
        "Time: the monotonic clock around the whole run, in nanoseconds. Every run's output is checked; a failed run is reported and never timed.".into(),
        "Order: every round runs each cell once, in a seeded random order (the seed is recorded), so drift spreads over all cells.".into(),
        "Statistics: medians with distribution-free 95% CIs (binomial order statistics); Mann–Whitney U (two-sided, scipy's method), Holm-corrected within each function; ratio of medians with a 95% bootstrap CI; Cliff's delta; outliers (Tukey fences) flagged in samples.csv, never dropped.".into(),
        "Peak RSS: for `process`, the child's (wait4); for `embedded`, the harness process's high-water mark, reset before each run.".into(),
    ];
    if let Some(point) = cgroup_point(analysis) {
        points.push(point);
    }
    if let Some(point) = aot_cache_point(analysis) {
        points.push(point);
    }
    if !analysis.runner_starts.is_empty() {
        let each: Vec<String> = analysis
            .runner_starts
            .iter()
            .map(|start| {
                let what = if start.command.starts_with("wasmfaas ") {
                    "the whole wasmfaas, which links every engine"
                } else {
                    "its engine alone"
                };
                let engines = if start.engines.is_empty() {
                    "every engine".to_owned()
                } else {
                    start.engines.join(", ")
                };
                format!(
                    "{engines}: `{}` ({:.1} MB, {what}), median {} ms, fastest {} ms",
                    start.command,
                    start.binary_bytes as f64 / 1e6,
                    ms(start.median()),
                    ms(start.min()),
                )
            })
            .collect();
        points.push(format!(
            "What a `process` WebAssembly run includes: starting its runner, before the engine loads the program. Each runner's own start (its `--version`, which runs no engine), timed {} times before the runs: {}. Subtract it from a `process` WebAssembly median to estimate the engine's own cold start as a process; a native `process` run starts only the function's binary.",
            analysis.runner_starts[0].samples_ns.len(),
            each.join("; "),
        ));
    }
    section.blocks.push(Block::List(points));
    section
}

/// What the host's cgroups add to every container start, when containers ran.
fn cgroup_point(analysis: &Analysis) -> Option<String> {
    let containers = analysis.meta.plan.environments.iter().any(|e| {
        matches!(
            e.launcher,
            LauncherKind::Oci | LauncherKind::Containerd | LauncherKind::ContainerdShim
        )
    });
    let cgroups = analysis
        .meta
        .machine
        .cgroups
        .as_ref()
        .filter(|_| containers)?;
    let cost = if cgroups.favordynmods {
        "with `favordynmods`, the kernel moves it without waiting for an RCU grace period"
    } else {
        "without `favordynmods`, the kernel makes the first move wait for an RCU grace period: 12–15 ms of each start on the machine this project is measured on, through runc and through the shim alike (`crates/shim/README.md`), so a host mounted with it starts every container faster"
    };
    Some(format!(
        "Every container start moves the container's first process into a new cgroup. This host: {}; {cost}.",
        cgroups.describe()
    ))
}

/// Which jit-mode runs through wasmfaas's shim loaded the module's code from the node's AOT
/// cache instead of compiling it, per environment.
fn aot_cache_point(analysis: &Analysis) -> Option<String> {
    let mut counts: Vec<(String, usize, usize)> = Vec::new();
    for cell in &analysis.cells {
        let Some((hits, runs)) = cell.aot_cache_hits else {
            continue;
        };
        let environment = cell.environment.to_string();
        match counts.iter_mut().find(|(e, _, _)| *e == environment) {
            Some((_, h, r)) => (*h, *r) = (*h + hits, *r + runs),
            None => counts.push((environment, hits, runs)),
        }
    }
    if counts.is_empty() {
        return None;
    }
    let each: Vec<String> = counts
        .iter()
        .map(|(environment, hits, runs)| format!("`{environment}` {hits} of {runs} measured runs"))
        .collect();
    Some(format!(
        "wasmfaas's shim compiles a module run in jit mode once per node: the first container compiles it into the node's AOT cache, and the next ones load the compiled code, as runwasi's shims do. So these runs measure a jit image on a node that has run it before, not a compilation. Runs that found the code in the cache: {}.",
        each.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{analyse, tests::runset_of};
    use crate::{CgroupLayout, Cgroups};

    fn cgroup_point_of(environment: &str, favordynmods: Option<bool>) -> Option<String> {
        let dir = tempfile::tempdir().unwrap();
        let mut set = runset_of(
            dir.path(),
            &[environment],
            &[("matmul", environment, 0.05, true)],
        );
        set.meta.machine.cgroups = favordynmods.map(|favordynmods| Cgroups {
            layout: CgroupLayout::Hybrid,
            favordynmods,
        });
        cgroup_point(&analyse(&set).unwrap())
    }

    #[test]
    fn container_runs_say_what_the_hosts_cgroups_cost_each_start() {
        let off = cgroup_point_of("containerd-shim/wasmtime-aot", Some(false)).expect("a point");
        assert!(
            off.contains("cgroup v1 (hybrid), favordynmods off"),
            "{off}"
        );
        assert!(off.contains("RCU grace period: 12–15 ms"), "{off}");
        let on = cgroup_point_of("containerd/native-static", Some(true)).expect("a point");
        assert!(
            on.contains("favordynmods on") && on.contains("without waiting"),
            "{on}"
        );
    }

    #[test]
    fn jit_runs_through_the_shim_say_how_many_found_the_code_in_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let environment = "containerd-shim/wasmtime-jit";
        let times = [("matmul", environment, 0.09, true)];
        let mut set = runset_of(dir.path(), &[environment], &times);
        for (seq, hit) in [false, true, true].into_iter().enumerate() {
            let mut sample = set.samples[0].clone();
            sample.seq = 100 + seq as u64;
            sample.aot_cache_hit = Some(hit);
            set.append(sample).unwrap();
        }
        let point = aot_cache_point(&analyse(&set).unwrap()).expect("a point");
        assert!(
            point.contains("`containerd-shim/wasmtime-jit` 2 of 3 measured runs"),
            "{point}"
        );
        let plain = tempfile::tempdir().unwrap();
        let set = runset_of(plain.path(), &[environment], &times);
        assert_eq!(aot_cache_point(&analyse(&set).unwrap()), None);
    }

    #[test]
    fn no_cgroup_point_without_containers_or_without_a_record() {
        assert_eq!(cgroup_point_of("process/native", Some(false)), None);
        assert_eq!(cgroup_point_of("containerd/native-static", None), None);
    }
}
