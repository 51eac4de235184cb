//! The machine a run set was measured on: results from other hardware are compared as ratios.
use serde::{Deserialize, Serialize};

/// Facts about the host that bear on timings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// The host name.
    pub hostname: String,
    /// The CPU model (`/proc/cpuinfo`).
    pub cpu_model: String,
    /// Logical CPUs this process may use.
    pub cores: usize,
    /// Total memory in MiB.
    pub memory_mib: u64,
    /// The kernel release.
    pub kernel: String,
    /// The cpufreq governor of CPU 0, when the kernel exposes it.
    pub governor: Option<String>,
}

impl Machine {
    /// Reads the facts of this machine; a fact that cannot be read is `unknown`.
    pub fn current() -> Machine {
        let read = |path: &str| std::fs::read_to_string(path).ok();
        let cpuinfo = read("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or_else(|| "unknown".into(), |(_, v)| v.trim().to_owned());
        let memory_mib = read("/proc/meminfo")
            .and_then(|m| {
                m.lines()
                    .find_map(|l| l.strip_prefix("MemTotal:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .map_or(0, |kib| kib / 1024);
        Machine {
            hostname: read("/proc/sys/kernel/hostname")
                .map_or_else(|| "unknown".into(), |h| h.trim().to_owned()),
            cpu_model,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_mib,
            kernel: read("/proc/sys/kernel/osrelease")
                .map_or_else(|| "unknown".into(), |k| k.trim().to_owned()),
            governor: read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
                .map(|g| g.trim().to_owned()),
        }
    }

    /// One line: CPU, cores, memory, kernel.
    pub fn describe(&self) -> String {
        format!(
            "{} ({} cores, {} MiB, Linux {})",
            self.cpu_model, self.cores, self.memory_mib, self.kernel
        )
    }
}
