//! Limits on one run: wall-clock time and linear memory, and how a run that hit one ended.
use std::time::Duration;

/// Exit code of a run stopped by its time limit (as `timeout(1)` uses it).
pub const EXIT_TIMEOUT: i32 = 124;
/// Exit code of a run stopped by its memory limit (as an OOM kill shows: 128 + SIGKILL).
pub const EXIT_MEMORY_LIMIT: i32 = 137;

/// Limits on one run. `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// The longest the guest may run.
    pub timeout: Option<Duration>,
    /// The most bytes of linear memory the guest may have.
    pub max_memory: Option<u64>,
}

/// Why a run was stopped by wasmfaas rather than ending by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// It ran longer than its time limit.
    Timeout(Duration),
    /// It tried to grow its memory beyond the limit.
    MemoryLimit {
        /// The limit in bytes.
        limit: u64,
        /// The size it asked for, when the engine says (WasmEdge only says that it refused).
        requested: Option<u64>,
    },
}

impl Stopped {
    /// The exit code a run stopped this way reports.
    pub fn exit_code(self) -> i32 {
        match self {
            Stopped::Timeout(_) => EXIT_TIMEOUT,
            Stopped::MemoryLimit { .. } => EXIT_MEMORY_LIMIT,
        }
    }
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stopped::Timeout(limit) => {
                write!(f, "stopped after the time limit of {limit:?} (--timeout)")
            }
            Stopped::MemoryLimit {
                limit,
                requested: Some(requested),
            } => write!(
                f,
                "stopped: it asked for {} MiB of memory, over the limit of {} MiB (--max-memory)",
                requested >> 20,
                limit >> 20
            ),
            Stopped::MemoryLimit {
                limit,
                requested: None,
            } => write!(
                f,
                "stopped: it asked for more memory than the limit of {} MiB (--max-memory)",
                limit >> 20
            ),
        }
    }
}

/// Parses a byte count with an optional binary or decimal unit (KiB, MiB, GiB, KB, MB, GB), as
/// `--max-memory` and the functions files of `wasmfaas serve` take it.
pub fn parse_bytes(spec: &str) -> Result<u64, String> {
    let digits = spec
        .trim()
        .trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &spec.trim()[digits.len()..];
    let scale: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => {
            return Err(format!(
                "bad size {spec:?}: unknown unit {unit:?}; e.g. 64MiB, 1GiB, 65536"
            ));
        }
    };
    let value: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("bad size {spec:?}: expected a number with a unit, e.g. 64MiB"))?;
    value
        .checked_mul(scale)
        .ok_or_else(|| format!("bad size {spec:?}: too large"))
}

/// Refuses memory growth beyond a limit and remembers that it did.
#[derive(Debug, Default)]
pub(crate) struct MemoryGuard {
    limit: Option<u64>,
    /// The first size refused, once one was.
    pub(crate) refused: Option<u64>,
}

impl MemoryGuard {
    pub(crate) fn new(limit: Option<u64>) -> Self {
        Self {
            limit,
            refused: None,
        }
    }

    /// The limit in bytes, if there is one.
    pub(crate) fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// Whether memory may grow to `desired` bytes.
    pub(crate) fn allow(&mut self, desired: usize) -> bool {
        match self.limit {
            Some(limit) if desired as u64 > limit => {
                self.refused.get_or_insert(desired as u64);
                false
            }
            _ => true,
        }
    }

    /// The outcome of a guard that refused growth.
    pub(crate) fn stopped(&self) -> Option<Stopped> {
        Some(Stopped::MemoryLimit {
            limit: self.limit?,
            requested: Some(self.refused?),
        })
    }
}

impl wasmtime::ResourceLimiter for MemoryGuard {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(self.allow(desired))
    }

    fn table_growing(
        &mut self,
        _current: usize,
        _desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

impl wasmi::ResourceLimiter for MemoryGuard {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, wasmi_core::LimiterError> {
        Ok(self.allow(desired))
    }

    fn table_growing(
        &mut self,
        _current: usize,
        _desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, wasmi_core::LimiterError> {
        Ok(true)
    }

    fn instances(&self) -> usize {
        usize::MAX
    }

    fn tables(&self) -> usize {
        usize::MAX
    }

    fn memories(&self) -> usize {
        usize::MAX
    }
}
