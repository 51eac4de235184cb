//! What one run measured.
use serde::{Deserialize, Serialize};
use wasmfaas_engines::Phases;

/// Phase times of one run in nanoseconds, where the launcher can see them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseNs {
    /// Loading the program (AOT: deserialising the artifact).
    pub load: u64,
    /// Compiling it (JIT and baseline modes).
    pub compile: u64,
    /// Linking and instantiating.
    pub instantiate: u64,
    /// Running to exit.
    pub execute: u64,
}

impl From<Phases> for PhaseNs {
    fn from(p: Phases) -> Self {
        let ns = |d: std::time::Duration| d.as_nanos() as u64;
        PhaseNs {
            load: ns(p.load),
            compile: ns(p.compile),
            instantiate: ns(p.instantiate),
            execute: ns(p.execute),
        }
    }
}

impl PhaseNs {
    /// The phase names, in order.
    pub const NAMES: [&'static str; 4] = ["load", "compile", "instantiate", "execute"];

    /// The phases in [`Self::NAMES`] order.
    pub fn values(&self) -> [u64; 4] {
        [self.load, self.compile, self.instantiate, self.execute]
    }
}

/// The three steps of one container run under the `oci` launcher, in nanoseconds: they add up
/// to the run's total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleNs {
    /// The runtime's `create`: namespaces, cgroups, root filesystem and, for WebAssembly in
    /// wasmfaas-runtime, loading (AOT) or compiling the module.
    pub create: u64,
    /// From `start` until the container's process is reaped: for WebAssembly, instantiating and
    /// running the module.
    pub start_to_exit: u64,
    /// The runtime's `delete`.
    pub delete: u64,
}

impl LifecycleNs {
    /// The steps' names, in order.
    pub const NAMES: [&'static str; 3] = ["create", "start to exit", "delete"];

    /// The steps in [`Self::NAMES`] order.
    pub fn values(&self) -> [u64; 3] {
        [self.create, self.start_to_exit, self.delete]
    }
}

/// One cold run: the row appended to `samples.jsonl` as soon as the run ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// The run's position in the plan (unique in a run set).
    pub seq: u64,
    /// The function.
    pub function: String,
    /// The environment (`launcher/engine-mode`).
    pub environment: String,
    /// The round.
    pub round: u32,
    /// A warmup run: kept, but not in the statistics.
    pub warmup: bool,
    /// When the run started, in milliseconds since the Unix epoch.
    pub started_unix_ms: u64,
    /// Wall time of the whole run, monotonic clock, nanoseconds.
    pub total_ns: u64,
    /// Phase times, for launchers that see them (embedded).
    pub phases: Option<PhaseNs>,
    /// The container's create, start-to-exit and delete times (the `oci` launcher). Absent in
    /// run sets written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<LifecycleNs>,
    /// The exit code of the function.
    pub exit_code: Option<i32>,
    /// Peak resident set size during the run, KiB (for embedded runs: the harness process's).
    pub peak_rss_kib: Option<u64>,
    /// Whether the run exited 0 and its output passed the function's check.
    pub ok: bool,
    /// Why the run failed.
    pub error: Option<String>,
    /// A user function whose manifest says `check = "none"`: it ran, but nobody judged its
    /// output, and the report says so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unchecked: bool,
    /// For a module run in jit mode through wasmfaas's shim: whether the node's AOT cache held
    /// its compiled code when the container was created (the shim then loads it instead of
    /// compiling). Absent for every other run, and in run sets from before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aot_cache_hit: Option<bool>,
}

impl Sample {
    /// The total time in seconds.
    pub fn seconds(&self) -> f64 {
        self.total_ns as f64 / 1e9
    }

    /// Whether the sample counts in the statistics: measured, not warmup, and successful.
    pub fn counts(&self) -> bool {
        self.ok && !self.warmup
    }
}
