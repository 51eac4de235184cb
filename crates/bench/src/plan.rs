//! The run matrix: which function runs in which environment, in what order.
//!
//! Every round runs each cell (function × environment) once, in an order shuffled by a seeded
//! generator: drift of the machine (thermal, other load) spreads evenly over all cells instead
//! of landing on whichever ran last, and the same seed gives the same order, so an interrupted
//! run set can be resumed exactly.
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use wasmfaas_suite::Size;

use crate::Environment;

/// What a bench measures: the inputs of the run matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanSpec {
    /// Functions, by name: the suite's and the manifest's.
    pub functions: Vec<String>,
    /// The manifest declaring the plan's user functions (an absolute path, so that a resumed
    /// run set finds it from anywhere). Absent when the plan runs only suite functions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<std::path::PathBuf>,
    /// Environments.
    pub environments: Vec<Environment>,
    /// Workload size.
    #[serde(with = "size_name")]
    pub size: Size,
    /// Measured runs per cell.
    pub runs: u32,
    /// Unmeasured runs per cell before the measured ones (recorded, flagged, left out of the
    /// statistics).
    pub warmup: u32,
    /// The seed of the run order.
    pub seed: u64,
    /// A shell command run before each run, outside the timing (e.g. dropping caches).
    pub prepare: Option<String>,
    /// Restart the private containerd on its pristine state before each containerd run.
    #[serde(default)]
    pub restore_containerd: bool,
    /// Fewer measured runs for a slow cell (none: every cell gets `runs`).
    #[serde(default)]
    pub time_budget: Option<TimeBudget>,
}

/// Time-bounded sampling, as hyperfine and criterion bound theirs: a cell's measured runs stop
/// before [`PlanSpec::runs`] once there are `min_runs` of them and together they took
/// `per_cell_ms`. A 4-second interpreted run then gets 3 runs instead of 10 while a 1 ms run
/// still gets all 10, so a quick bench is not dominated by its slowest cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeBudget {
    /// The measured time, in milliseconds, after which a cell with `min_runs` runs stops.
    pub per_cell_ms: u64,
    /// Runs every cell gets, however slow.
    pub min_runs: u32,
}

impl TimeBudget {
    /// Whether a cell with `runs` measured runs that took `measured_ns` in all is done.
    pub fn spent(&self, runs: u32, measured_ns: u64) -> bool {
        runs >= self.min_runs && measured_ns >= self.per_cell_ms.saturating_mul(1_000_000)
    }

    /// What it does to a plan's runs, for the bench's start line and the report.
    pub fn describe(&self) -> String {
        format!(
            "fewer, at least {}, for a cell whose measured runs took {} s together",
            self.min_runs,
            self.per_cell_ms as f64 / 1e3
        )
    }
}

/// One run of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Its position in the plan: the key of its sample.
    pub seq: u64,
    /// The round: warmup rounds first, then measured rounds 0..runs.
    pub round: u32,
    /// Whether it is a warmup run.
    pub warmup: bool,
    /// Index into [`PlanSpec::functions`].
    pub function: usize,
    /// Index into [`PlanSpec::environments`].
    pub environment: usize,
}

impl PlanSpec {
    /// Number of cells (function × environment).
    pub fn cells(&self) -> usize {
        self.functions.len() * self.environments.len()
    }

    /// Every run in order: `warmup` rounds, then `runs` rounds, each a seeded shuffle of the
    /// cells.
    pub fn jobs(&self) -> Vec<Job> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut cells: Vec<(usize, usize)> = (0..self.functions.len())
            .flat_map(|f| (0..self.environments.len()).map(move |e| (f, e)))
            .collect();
        let mut jobs = Vec::with_capacity(cells.len() * (self.warmup + self.runs) as usize);
        let rounds = (0..self.warmup)
            .map(|r| (r, true))
            .chain((0..self.runs).map(|r| (r, false)));
        for (round, warmup) in rounds {
            cells.shuffle(&mut rng);
            for &(function, environment) in &cells {
                jobs.push(Job {
                    seq: jobs.len() as u64,
                    round,
                    warmup,
                    function,
                    environment,
                });
            }
        }
        jobs
    }
}

/// Serialises a [`Size`] by its name.
pub(crate) mod size_name {
    use serde::{Deserialize, Deserializer, Serializer};
    use wasmfaas_suite::Size;

    pub fn serialize<S: Serializer>(size: &Size, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(size.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Size, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(seed: u64) -> PlanSpec {
        PlanSpec {
            functions: vec!["matmul".into(), "aes".into(), "n-body".into()],
            manifest: None,
            environments: vec![
                Environment::parse("process/native").unwrap(),
                Environment::parse("embedded/wasmtime-aot").unwrap(),
            ],
            size: Size::Small,
            runs: 4,
            warmup: 1,
            seed,
            prepare: None,
            restore_containerd: false,
            time_budget: None,
        }
    }

    #[test]
    fn a_budget_stops_a_cell_only_after_its_minimum_runs_and_its_time() {
        let budget = TimeBudget {
            per_cell_ms: 3000,
            min_runs: 3,
        };
        assert!(
            !budget.spent(2, 10_000_000_000),
            "two slow runs are not enough"
        );
        assert!(!budget.spent(9, 2_999_999_999), "fast runs go on");
        assert!(budget.spent(3, 3_000_000_000));
    }

    #[test]
    fn every_cell_runs_once_per_round_and_seq_is_the_position() {
        let jobs = spec(7).jobs();
        assert_eq!(jobs.len(), 6 * 5);
        for (i, job) in jobs.iter().enumerate() {
            assert_eq!(job.seq, i as u64);
        }
        for round in jobs.chunks(6) {
            let mut cells: Vec<_> = round.iter().map(|j| (j.function, j.environment)).collect();
            cells.sort();
            cells.dedup();
            assert_eq!(cells.len(), 6);
        }
        assert!(jobs[..6].iter().all(|j| j.warmup));
        assert!(jobs[6..].iter().all(|j| !j.warmup));
    }

    #[test]
    fn the_seed_fixes_the_order_and_different_seeds_differ() {
        assert_eq!(spec(7).jobs(), spec(7).jobs());
        assert_ne!(spec(7).jobs(), spec(8).jobs());
        // Rounds are shuffled independently, not one order repeated.
        let jobs = spec(7).jobs();
        let order = |r: &[Job]| {
            r.iter()
                .map(|j| (j.function, j.environment))
                .collect::<Vec<_>>()
        };
        let orders: Vec<_> = jobs.chunks(6).map(order).collect();
        assert!(orders.windows(2).any(|w| w[0] != w[1]));
    }
}
