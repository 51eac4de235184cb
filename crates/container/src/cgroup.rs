//! A container's cgroup: the processes in it (runc's `ps`, a shim's Pids) and its resource
//! statistics (a shim's Stats, which `ctr task metrics` and the kubelet read).
use libcgroups::common::{AnyCgroupManager, CgroupManager};
use libcgroups::stats::Stats;
use libcontainer::container::Container;

use crate::ContainerError;

/// The pids of every process in `container`'s cgroup.
pub fn processes(container: &Container) -> Result<Vec<i32>, ContainerError> {
    let pids = manager_of(container)?
        .get_all_pids()
        .map_err(|e| corrupt(container, format!("listing its processes: {e}")))?;
    Ok(pids.iter().map(|p| p.as_raw()).collect())
}

/// The CPU, memory, pids, block I/O and huge page statistics of `container`'s cgroup, with
/// every CPU time in nanoseconds on either cgroup version.
pub fn statistics(container: &Container) -> Result<Stats, ContainerError> {
    let manager = manager_of(container)?;
    let mut stats = manager
        .stats()
        .map_err(|e| corrupt(container, format!("reading its cgroup's statistics: {e}")))?;
    let version = match manager {
        AnyCgroupManager::V1(_) => CgroupVersion::V1,
        AnyCgroupManager::V2(_) | AnyCgroupManager::Systemd(_) => CgroupVersion::V2,
    };
    in_nanoseconds(&mut stats, version);
    Ok(stats)
}

/// Which cgroup interface statistics were read from: each counts CPU time in its own unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupVersion {
    /// cgroup v1: `cpuacct.usage` and the throttled time in nanoseconds, `cpuacct.stat`'s
    /// user and system time in clock ticks.
    V1,
    /// cgroup v2: `cpu.stat`, every time in microseconds.
    V2,
}

/// Converts the CPU times of `stats`, as libcgroups reads them from `version`, to nanoseconds.
pub fn in_nanoseconds(stats: &mut Stats, version: CgroupVersion) {
    let usage = &mut stats.cpu.usage;
    match version {
        CgroupVersion::V1 => {
            // SAFETY: sysconf only reads a constant of the system.
            let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
            let per_tick = 1_000_000_000 / u64::try_from(ticks_per_second).unwrap_or(100).max(1);
            usage.usage_user = usage.usage_user.saturating_mul(per_tick);
            usage.usage_kernel = usage.usage_kernel.saturating_mul(per_tick);
        }
        CgroupVersion::V2 => {
            for time in [
                &mut usage.usage_total,
                &mut usage.usage_user,
                &mut usage.usage_kernel,
                &mut stats.cpu.throttling.throttled_time,
            ] {
                *time = time.saturating_mul(1_000);
            }
        }
    }
}

fn manager_of(container: &Container) -> Result<AnyCgroupManager, ContainerError> {
    let config = container
        .spec()
        .map_err(|e| corrupt(container, e.to_string()))?;
    libcgroups::common::create_cgroup_manager(libcgroups::common::CgroupConfig {
        cgroup_path: config.cgroup_path,
        systemd_cgroup: container.systemd(),
        container_name: container.id().to_owned(),
    })
    .map_err(|e| corrupt(container, format!("its cgroup: {e}")))
}

fn corrupt(container: &Container, problem: String) -> ContainerError {
    ContainerError::CorruptState {
        id: container.id().to_owned(),
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_times_come_out_in_nanoseconds_from_either_cgroup_version() {
        let mut v1 = Stats::default();
        v1.cpu.usage.usage_total = 3_000_000_000;
        v1.cpu.usage.usage_user = 200;
        in_nanoseconds(&mut v1, CgroupVersion::V1);
        // SAFETY: as above.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
        assert_eq!(v1.cpu.usage.usage_user, 200 * 1_000_000_000 / ticks);
        assert_eq!(
            v1.cpu.usage.usage_total, 3_000_000_000,
            "already nanoseconds"
        );

        let mut v2 = Stats::default();
        v2.cpu.usage.usage_total = 3_000_000;
        v2.cpu.throttling.throttled_time = 5;
        in_nanoseconds(&mut v2, CgroupVersion::V2);
        assert_eq!(v2.cpu.usage.usage_total, 3_000_000_000);
        assert_eq!(v2.cpu.throttling.throttled_time, 5_000);
    }
}
