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
    /// How cgroups are mounted: every container start moves a process into a new cgroup, and
    /// what that costs depends on it (absent in run sets from before it was recorded).
    #[serde(default)]
    pub cgroups: Option<Cgroups>,
}

/// The cgroup mounts of the host, as far as they bear on a container's start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cgroups {
    /// Which hierarchies are mounted.
    pub layout: CgroupLayout,
    /// Whether a cgroup mount has the `favordynmods` option. Without it, the first move of a
    /// process into a cgroup waits for an RCU grace period (the kernel's threadgroup lock):
    /// 12–15 ms of every container start measured here, through runc and through the shim.
    pub favordynmods: bool,
}

/// Which cgroup hierarchies a host mounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CgroupLayout {
    /// Only the v1 controllers' hierarchies.
    V1,
    /// The v1 controllers beside a v2 hierarchy (systemd's "hybrid"): containers use v1.
    Hybrid,
    /// The unified v2 hierarchy alone.
    V2,
}

impl Cgroups {
    /// Reads the cgroup mounts from a `/proc/<pid>/mountinfo` text; `None` when there is none.
    pub fn from_mountinfo(mountinfo: &str) -> Option<Cgroups> {
        let (mut v1, mut v2, mut favordynmods) = (false, false, false);
        for line in mountinfo.lines() {
            // Per-mount fields, then " - ", then the filesystem type, source and super options.
            let Some((mount, filesystem)) = line.split_once(" - ") else {
                continue;
            };
            let mut filesystem = filesystem.split_whitespace();
            let kind = filesystem.next();
            let super_options = filesystem.nth(1).unwrap_or_default();
            let mount_options = mount.split_whitespace().nth(5).unwrap_or_default();
            match kind {
                Some("cgroup") => v1 = true,
                Some("cgroup2") => v2 = true,
                _ => continue,
            }
            favordynmods |= super_options
                .split(',')
                .chain(mount_options.split(','))
                .any(|option| option == "favordynmods");
        }
        let layout = match (v1, v2) {
            (true, true) => CgroupLayout::Hybrid,
            (true, false) => CgroupLayout::V1,
            (false, true) => CgroupLayout::V2,
            (false, false) => return None,
        };
        Some(Cgroups {
            layout,
            favordynmods,
        })
    }

    /// E.g. `cgroup v1 (hybrid), favordynmods off`.
    pub fn describe(&self) -> String {
        let layout = match self.layout {
            CgroupLayout::V1 => "cgroup v1",
            CgroupLayout::Hybrid => "cgroup v1 (hybrid)",
            CgroupLayout::V2 => "cgroup v2",
        };
        let favordynmods = if self.favordynmods { "on" } else { "off" };
        format!("{layout}, favordynmods {favordynmods}")
    }
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
            cgroups: read("/proc/self/mountinfo").and_then(|m| Cgroups::from_mountinfo(&m)),
        }
    }

    /// One line: CPU, cores, memory, kernel and, when recorded, the cgroup mounts.
    pub fn describe(&self) -> String {
        let cgroups = self
            .cgroups
            .as_ref()
            .map_or_else(String::new, |c| format!(", {}", c.describe()));
        format!(
            "{} ({} cores, {} MiB, Linux {}{cgroups})",
            self.cpu_model, self.cores, self.memory_mib, self.kernel
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
31 25 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
40 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    #[test]
    fn hybrid_mounts_are_read_as_v1_beside_v2_without_favordynmods() {
        let cgroups = Cgroups::from_mountinfo(HYBRID).expect("cgroup mounts");
        assert_eq!(cgroups.layout, CgroupLayout::Hybrid);
        assert!(!cgroups.favordynmods);
        assert_eq!(cgroups.describe(), "cgroup v1 (hybrid), favordynmods off");
    }

    #[test]
    fn favordynmods_on_any_cgroup_mount_is_seen() {
        let v2 =
            "30 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,favordynmods\n";
        let cgroups = Cgroups::from_mountinfo(v2).expect("cgroup mounts");
        assert_eq!(cgroups.layout, CgroupLayout::V2);
        assert!(cgroups.favordynmods);
        let v1 = HYBRID.replace("rw,pids", "rw,pids,favordynmods");
        assert!(
            Cgroups::from_mountinfo(&v1)
                .expect("cgroup mounts")
                .favordynmods
        );
        let only_v1: String = HYBRID
            .lines()
            .filter(|l| !l.contains("cgroup2"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            Cgroups::from_mountinfo(&only_v1).map(|c| c.layout),
            Some(CgroupLayout::V1)
        );
    }

    #[test]
    fn a_host_without_cgroups_or_an_old_run_set_has_none() {
        assert_eq!(
            Cgroups::from_mountinfo("22 27 0:21 / /proc rw - proc proc rw\n"),
            None
        );
        let old = r#"{"hostname":"h","cpu_model":"c","cores":2,"memory_mib":1,"kernel":"6.1","governor":null}"#;
        let machine: Machine = serde_json::from_str(old).expect("an old machine record");
        assert_eq!(machine.cgroups, None);
        assert_eq!(machine.describe(), "c (2 cores, 1 MiB, Linux 6.1)");
    }
}
