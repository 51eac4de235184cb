//! From samples to statistics: a summary per cell, and pairwise comparisons of the
//! environments of each function under the same launcher, Holm-corrected together.
use std::collections::BTreeMap;

use serde::Serialize;
use wasmfaas_stats::{MannWhitney, Ratio, Summary};

use crate::{BenchError, Environment, LauncherKind, RunSet, RunSetMeta, Sample};

/// The significance level of every test in the report, as in the paper.
pub const ALPHA: f64 = 0.05;
/// Bootstrap resamples for ratio confidence intervals.
const RESAMPLES: usize = 1000;

/// Statistics of one cell (function × environment). Times in seconds.
#[derive(Debug, Clone, Serialize)]
pub struct CellStats {
    /// The function.
    pub function: String,
    /// The environment.
    pub environment: Environment,
    /// Measured runs that failed (non-zero exit or wrong output): reported, never timed.
    pub failed: usize,
    /// The distinct failure messages, first few.
    pub failures: Vec<String>,
    /// Successful measured runs whose output nobody checked (a manifest's `check = "none"`).
    pub unchecked: usize,
    /// Of the successful measured runs that recorded it, how many found the module's compiled
    /// code in the node's AOT cache (jit mode through wasmfaas's shim), and how many recorded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aot_cache_hits: Option<(usize, usize)>,
    /// Summary of the successful measured runs' total times; none when all failed.
    pub summary: Option<Summary>,
    /// Median time of each phase (load, compile, instantiate, execute), where the launcher
    /// sees phases.
    pub phase_medians: Option<[f64; 4]>,
    /// Median time of each container lifecycle step (create, start to exit, delete), where the
    /// launcher drives them (`oci`).
    pub lifecycle_medians: Option<[f64; 3]>,
    /// Median peak RSS in KiB.
    pub peak_rss_kib: Option<f64>,
    /// The successful measured times, in run order (kept for tests and plots).
    #[serde(skip)]
    pub times: Vec<f64>,
}

/// Two environments compared on one function: `a` against `b`.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The function.
    pub function: String,
    /// The first environment.
    pub a: Environment,
    /// The second environment.
    pub b: Environment,
    /// Median of `a` over median of `b`, with a bootstrap 95% CI.
    pub median_ratio: Ratio,
    /// Mean of `a` over mean of `b` and its standard deviation (hyperfine's relative speed).
    pub mean_ratio: (f64, f64),
    /// The two-sided Mann–Whitney U test.
    pub mann_whitney: MannWhitney,
    /// Its p-value after Holm's correction over the comparisons of the same function.
    pub p_holm: f64,
    /// Cliff's delta of `a` against `b` (negative: `a` tends to be faster).
    pub cliffs_delta: f64,
}

impl Comparison {
    /// Whether the difference is significant at [`ALPHA`] after correction.
    pub fn significant(&self) -> bool {
        self.p_holm < ALPHA
    }

    /// hyperfine's sentence: "`a` ran 2.31 ± 0.05 times faster than `b`" (or slower).
    pub fn sentence(&self) -> String {
        let (ratio, sd) = self.mean_ratio;
        if ratio <= 1.0 {
            let inverse = 1.0 / ratio;
            format!(
                "{} ran {:.2} ± {:.2} times faster than {}",
                self.a,
                inverse,
                sd * inverse * inverse,
                self.b
            )
        } else {
            format!(
                "{} ran {:.2} ± {:.2} times slower than {}",
                self.a, ratio, sd, self.b
            )
        }
    }
}

/// Everything the report shows, computed once.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// The run set's description.
    pub meta: RunSetMeta,
    /// Samples in the run set (measured, warmup, failed).
    pub samples: usize,
    /// One entry per cell with at least one measured run, in plan order.
    pub cells: Vec<CellStats>,
    /// Pairwise comparisons within each function and launcher.
    pub comparisons: Vec<Comparison>,
    /// The serving benchmark's loads, when the run set has them (`wasmfaas bench --serving`).
    pub serving: Vec<crate::serving::ServingRow>,
    /// The density rounds, when the run set has them (`wasmfaas bench --density`).
    pub density: Vec<crate::density::DensityRound>,
    /// The start of each runner `process` ran WebAssembly with (none without such runs).
    pub runner_starts: Vec<crate::runner_start::RunnerStart>,
}

impl Analysis {
    /// The statistics of `function` in `environment`.
    pub fn cell(&self, function: &str, environment: &Environment) -> Option<&CellStats> {
        self.cells
            .iter()
            .find(|c| c.function == function && &c.environment == environment)
    }

    /// The summary of a cell with successful runs.
    pub fn summary(&self, function: &str, environment: &Environment) -> Option<&Summary> {
        self.cell(function, environment)?.summary.as_ref()
    }

    /// The comparison of `a` against `b` on `function` (in either order, turned to `a` vs `b`).
    pub fn comparison(
        &self,
        function: &str,
        a: &Environment,
        b: &Environment,
    ) -> Option<Comparison> {
        self.comparisons.iter().find_map(|c| {
            if c.function != function {
                None
            } else if &c.a == a && &c.b == b {
                Some(c.clone())
            } else if &c.a == b && &c.b == a {
                Some(c.reversed())
            } else {
                None
            }
        })
    }

    /// How many comparisons share `function`'s Holm family.
    pub fn family_size(&self, function: &str) -> usize {
        self.comparisons
            .iter()
            .filter(|c| c.function == function)
            .count()
    }

    /// The launchers present in the run set.
    pub fn launchers(&self) -> Vec<LauncherKind> {
        let mut launchers: Vec<LauncherKind> = self
            .meta
            .plan
            .environments
            .iter()
            .map(|e| e.launcher)
            .collect();
        launchers.sort();
        launchers.dedup();
        launchers
    }
}

impl Comparison {
    fn reversed(&self) -> Comparison {
        let (ratio, sd) = self.mean_ratio;
        Comparison {
            function: self.function.clone(),
            a: self.b.clone(),
            b: self.a.clone(),
            median_ratio: Ratio {
                value: 1.0 / self.median_ratio.value,
                ci: (1.0 / self.median_ratio.ci.1, 1.0 / self.median_ratio.ci.0),
            },
            mean_ratio: (1.0 / ratio, sd / (ratio * ratio)),
            mann_whitney: MannWhitney {
                u: f64::NAN,
                p_value: self.mann_whitney.p_value,
            },
            p_holm: self.p_holm,
            cliffs_delta: -self.cliffs_delta,
        }
    }
}

/// Analyses a run set. An empty run set, or one where no run succeeded, is an error.
pub fn analyse(runset: &RunSet) -> Result<Analysis, BenchError> {
    let plan = &runset.meta.plan;
    if runset.samples.is_empty() {
        return Err(BenchError::NoData(format!(
            "run set {} has no samples yet: run it with `wasmfaas bench --resume {}`",
            runset.dir.display(),
            runset.dir.display()
        )));
    }
    let mut by_cell: BTreeMap<(String, String), Vec<&Sample>> = BTreeMap::new();
    for sample in runset.samples.iter().filter(|s| !s.warmup) {
        by_cell
            .entry((sample.function.clone(), sample.environment.clone()))
            .or_default()
            .push(sample);
    }
    let mut cells = Vec::new();
    for function in &plan.functions {
        for environment in &plan.environments {
            let key = (function.clone(), environment.to_string());
            let Some(samples) = by_cell.get(&key) else {
                continue;
            };
            cells.push(cell_stats(function, environment, samples)?);
        }
    }
    if cells.iter().all(|c| c.summary.is_none()) {
        return Err(BenchError::NoData(format!(
            "run set {}: no measured run succeeded, so there is nothing to compare; see the errors in {}",
            runset.dir.display(),
            runset.dir.join(crate::runset::SAMPLES_FILE).display()
        )));
    }
    let comparisons = compare_all(&cells, runset.meta.plan.seed);
    Ok(Analysis {
        meta: runset.meta.clone(),
        samples: runset.samples.len(),
        cells,
        comparisons,
        serving: crate::serving::read_rows(&runset.dir)?,
        density: crate::density::read_rounds(&runset.dir)?,
        runner_starts: crate::runner_start::read(&runset.dir)?,
    })
}

fn cell_stats(
    function: &str,
    environment: &Environment,
    samples: &[&Sample],
) -> Result<CellStats, BenchError> {
    let ok: Vec<&Sample> = samples.iter().copied().filter(|s| s.ok).collect();
    let mut failures: Vec<String> = Vec::new();
    for sample in samples.iter().filter(|s| !s.ok) {
        let error = sample.error.clone().unwrap_or_else(|| "failed".into());
        if failures.len() < 3 && !failures.contains(&error) {
            failures.push(error);
        }
    }
    let times: Vec<f64> = ok.iter().map(|s| s.seconds()).collect();
    let summary = if times.is_empty() {
        None
    } else {
        Some(
            wasmfaas_stats::summarize(&times)
                .map_err(|e| BenchError::NoData(format!("{function} in {environment}: {e}")))?,
        )
    };
    let phase_medians = step_medians(ok.iter().map(|s| s.phases.map(|p| p.values())));
    let lifecycle_medians = step_medians(ok.iter().map(|s| s.lifecycle.map(|l| l.values())));
    let rss: Vec<f64> = ok
        .iter()
        .filter_map(|s| s.peak_rss_kib)
        .map(|k| k as f64)
        .collect();
    Ok(CellStats {
        function: function.to_owned(),
        environment: environment.clone(),
        failed: samples.len() - ok.len(),
        failures,
        unchecked: ok.iter().filter(|s| s.unchecked).count(),
        aot_cache_hits: cache_hits(&ok),
        summary,
        phase_medians,
        lifecycle_medians,
        peak_rss_kib: (!rss.is_empty()).then(|| median_of(&rss)),
        times,
    })
}

/// How many of `runs` found their module's code in the AOT cache, of those that recorded it.
fn cache_hits(runs: &[&Sample]) -> Option<(usize, usize)> {
    let recorded: Vec<bool> = runs.iter().filter_map(|s| s.aot_cache_hit).collect();
    (!recorded.is_empty()).then(|| (recorded.iter().filter(|hit| **hit).count(), recorded.len()))
}

/// The median of each step (phases, or lifecycle steps) over a cell's successful runs, in
/// seconds: only when every run recorded them, so a median never mixes runs that did and did
/// not.
fn step_medians<const N: usize>(runs: impl Iterator<Item = Option<[u64; N]>>) -> Option<[f64; N]> {
    let runs: Vec<[u64; N]> = runs.collect::<Option<_>>()?;
    (!runs.is_empty()).then(|| {
        std::array::from_fn(|i| {
            let values: Vec<f64> = runs.iter().map(|r| r[i] as f64 / 1e9).collect();
            median_of(&values)
        })
    })
}

fn median_of(values: &[f64]) -> f64 {
    wasmfaas_stats::summarize(values).map_or(f64::NAN, |s| s.median)
}

fn compare_all(cells: &[CellStats], seed: u64) -> Vec<Comparison> {
    let mut comparisons = Vec::new();
    for (i, a) in cells.iter().enumerate() {
        for b in &cells[i + 1..] {
            if a.function != b.function || a.environment.launcher != b.environment.launcher {
                continue;
            }
            let (Some(sa), Some(sb)) = (&a.summary, &b.summary) else {
                continue;
            };
            let Ok(mann_whitney) = wasmfaas_stats::mann_whitney(&a.times, &b.times) else {
                continue;
            };
            let (Ok(median_ratio), Ok(mean_ratio)) = (
                wasmfaas_stats::ratio_of_medians(&a.times, &b.times, RESAMPLES, seed),
                wasmfaas_stats::ratio_of_means(sa, sb),
            ) else {
                continue;
            };
            comparisons.push(Comparison {
                function: a.function.clone(),
                a: a.environment.clone(),
                b: b.environment.clone(),
                median_ratio,
                mean_ratio,
                cliffs_delta: wasmfaas_stats::cliffs_delta(&a.times, &b.times).unwrap_or(0.0),
                p_holm: f64::NAN,
                mann_whitney,
            });
        }
    }
    // Each function is its own family: the paper asks its questions per function, and a family
    // of every pair of every function would make a 13-function bench blind to real differences.
    let functions: Vec<String> = comparisons.iter().map(|c| c.function.clone()).collect();
    for function in functions {
        let members: Vec<usize> = (0..comparisons.len())
            .filter(|&i| comparisons[i].function == function)
            .collect();
        let p: Vec<f64> = members
            .iter()
            .map(|&i| comparisons[i].mann_whitney.p_value)
            .collect();
        for (&i, adjusted) in members.iter().zip(wasmfaas_stats::holm(&p)) {
            comparisons[i].p_holm = adjusted;
        }
    }
    comparisons
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::runset::{FORMAT, SuiteBuild};
    use crate::{Machine, PlanSpec};

    /// A run set of `matmul` and `aes` in `process/native` and `process/wasmtime-aot` holding
    /// the given samples (function, environment, seconds, ok).
    pub(crate) fn runset(dir: &std::path::Path, times: &[(&str, &str, f64, bool)]) -> RunSet {
        runset_of(dir, &["process/native", "process/wasmtime-aot"], times)
    }

    /// A run set of `environments` with the samples `times` (function, environment, seconds,
    /// passed its check).
    pub(crate) fn runset_of(
        dir: &std::path::Path,
        environments: &[&str],
        times: &[(&str, &str, f64, bool)],
    ) -> RunSet {
        let environments: Vec<Environment> = environments
            .iter()
            .map(|e| Environment::parse(e).unwrap())
            .collect();
        let meta = RunSetMeta {
            format: FORMAT.into(),
            wasmfaas_version: "test".into(),
            created_unix: 0,
            command_line: Vec::new(),
            preset: None,
            plan: PlanSpec {
                functions: vec!["matmul".into(), "aes".into()],
                manifest: None,
                environments,
                size: wasmfaas_suite::Size::Small,
                runs: 10,
                warmup: 0,
                seed: 3,
                prepare: None,
                restore_containerd: false,
                time_budget: None,
            },
            machine: Machine::current(),
            engines: BTreeMap::new(),
            suite: SuiteBuild::default(),
        };
        let mut set = RunSet::create(dir, meta).unwrap();
        for (seq, &(function, environment, seconds, ok)) in times.iter().enumerate() {
            set.append(Sample {
                seq: seq as u64,
                function: function.into(),
                environment: environment.into(),
                round: 0,
                warmup: false,
                started_unix_ms: 0,
                total_ns: (seconds * 1e9) as u64,
                phases: None,
                lifecycle: None,
                exit_code: Some(if ok { 0 } else { 1 }),
                peak_rss_kib: None,
                ok,
                error: (!ok).then(|| "exited with 1".into()),
                unchecked: false,
                aot_cache_hit: None,
            })
            .unwrap();
        }
        set
    }

    #[test]
    fn failed_runs_are_counted_not_timed_and_comparisons_see_the_difference() {
        let dir = tempfile::tempdir().unwrap();
        let mut times = Vec::new();
        for i in 0..10 {
            let t = 0.010 + i as f64 * 1e-4;
            times.push(("matmul", "process/native", t, true));
            times.push(("matmul", "process/wasmtime-aot", 2.0 * t, true));
            times.push(("aes", "process/native", t, true));
            times.push(("aes", "process/wasmtime-aot", t + 5e-5, true));
        }
        // A failed run that was very fast must not pull the median down.
        times.push(("matmul", "process/native", 1e-6, false));
        let analysis = analyse(&runset(dir.path(), &times)).unwrap();
        let native = Environment::parse("process/native").unwrap();
        let wasm = Environment::parse("process/wasmtime-aot").unwrap();
        let cell = analysis.cell("matmul", &native).unwrap();
        assert_eq!((cell.failed, cell.summary.as_ref().unwrap().n), (1, 10));
        assert!(cell.summary.as_ref().unwrap().min >= 0.010);
        let matmul = analysis.comparison("matmul", &wasm, &native).unwrap();
        assert!((matmul.median_ratio.value - 2.0).abs() < 1e-6);
        assert!(matmul.significant() && matmul.cliffs_delta == 1.0);
        assert!(
            matmul
                .sentence()
                .contains("times slower than process/native")
        );
        // Interleaved samples with a shift of half a step: no evidence of a difference.
        let aes = analysis.comparison("aes", &native, &wasm).unwrap();
        assert!(!aes.significant(), "{aes:?}");
        // Each function is its own Holm family of one comparison: p is left as it is.
        assert_eq!(analysis.family_size("aes"), 1);
        assert_eq!(aes.p_holm, aes.mann_whitney.p_value);
    }

    #[test]
    fn nothing_to_analyse_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let error = analyse(&runset(dir.path(), &[])).unwrap_err().to_string();
        assert!(error.contains("no samples yet"), "{error}");
        let dir = tempfile::tempdir().unwrap();
        let failed = [("aes", "process/native", 0.01, false)];
        let error = analyse(&runset(dir.path(), &failed))
            .unwrap_err()
            .to_string();
        assert!(error.contains("no measured run succeeded"), "{error}");
    }
}
