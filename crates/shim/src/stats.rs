//! A container's cgroup statistics as containerd reads them from a shim's Stats: its cgroups v1
//! `Metrics` message (the one shape containerd-shim 0.10's protos hold; containerd, `ctr task
//! metrics` and the CRI read it by its type URL on either cgroup version).
use std::collections::HashMap;

use containerd_shim::protos::cgroups::metrics::{
    BlkIOEntry, BlkIOStat, CPUStat, CPUUsage, HugetlbStat, MemoryEntry, MemoryStat, Metrics,
    PidsStat, Throttle,
};
use containerd_shim::protos::protobuf::well_known_types::any::Any;
use containerd_shim::protos::protobuf::{Message, MessageField};
use libcgroups::stats::{BlkioDeviceStat, MemoryData, Stats};

/// The type URL containerd decodes the statistics by.
pub const METRICS_TYPE_URL: &str = "io.containerd.cgroups.v1.Metrics";

/// `stats` as the `Any` of a StatsResponse.
pub fn to_any(stats: &Stats) -> Result<Any, String> {
    let value = metrics_of(stats)
        .write_to_bytes()
        .map_err(|e| format!("cannot encode the statistics: {e}"))?;
    Ok(Any {
        type_url: METRICS_TYPE_URL.to_owned(),
        value,
        ..Default::default()
    })
}

/// The statistics libcgroups read (cgroup v1 or v2) in containerd's message.
pub fn metrics_of(stats: &Stats) -> Metrics {
    let usage = &stats.cpu.usage;
    let throttling = &stats.cpu.throttling;
    let blkio = &stats.blkio;
    Metrics {
        pids: MessageField::some(PidsStat {
            current: stats.pids.current,
            limit: stats.pids.limit,
            ..Default::default()
        }),
        cpu: MessageField::some(CPUStat {
            usage: MessageField::some(CPUUsage {
                total: usage.usage_total,
                kernel: usage.usage_kernel,
                user: usage.usage_user,
                per_cpu: usage.per_core_usage_total.clone(),
                ..Default::default()
            }),
            throttling: MessageField::some(Throttle {
                periods: throttling.periods,
                throttled_periods: throttling.throttled_periods,
                throttled_time: throttling.throttled_time,
                ..Default::default()
            }),
            ..Default::default()
        }),
        memory: MessageField::some(memory_of(stats)),
        blkio: MessageField::some(BlkIOStat {
            io_service_bytes_recursive: entries(&blkio.service_bytes),
            io_serviced_recursive: entries(&blkio.serviced),
            io_queued_recursive: entries(&blkio.queued),
            io_service_time_recursive: entries(&blkio.service_time),
            io_wait_time_recursive: entries(&blkio.wait_time),
            io_merged_recursive: entries(&blkio.merged),
            io_time_recursive: entries(&blkio.time),
            sectors_recursive: entries(&blkio.sectors),
            ..Default::default()
        }),
        hugetlb: stats
            .hugetlb
            .iter()
            .map(|(pagesize, hugetlb)| HugetlbStat {
                usage: hugetlb.usage,
                max: hugetlb.max_usage,
                failcnt: hugetlb.fail_count,
                pagesize: pagesize.clone(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

fn memory_of(stats: &Stats) -> MemoryStat {
    let memory = &stats.memory;
    // memory.stat's counters: cgroup v1 names them as containerd's message does; v2 calls the
    // page cache `file` and anonymous memory `anon`.
    let stat = |names: &[&str]| first_of(&memory.stats, names);
    MemoryStat {
        cache: stat(&["cache", "file"]),
        rss: stat(&["rss", "anon"]),
        rss_huge: stat(&["rss_huge", "anon_thp"]),
        mapped_file: stat(&["mapped_file", "file_mapped"]),
        dirty: stat(&["dirty", "file_dirty"]),
        writeback: stat(&["writeback", "file_writeback"]),
        pg_pg_in: stat(&["pgpgin"]),
        pg_pg_out: stat(&["pgpgout"]),
        pg_fault: stat(&["pgfault"]),
        pg_maj_fault: stat(&["pgmajfault"]),
        inactive_anon: stat(&["inactive_anon"]),
        active_anon: stat(&["active_anon"]),
        inactive_file: stat(&["inactive_file"]),
        active_file: stat(&["active_file"]),
        unevictable: stat(&["unevictable"]),
        hierarchical_memory_limit: stat(&["hierarchical_memory_limit"]),
        hierarchical_swap_limit: stat(&["hierarchical_memsw_limit"]),
        total_cache: stat(&["total_cache"]),
        total_rss: stat(&["total_rss"]),
        total_rss_huge: stat(&["total_rss_huge"]),
        total_mapped_file: stat(&["total_mapped_file"]),
        total_dirty: stat(&["total_dirty"]),
        total_writeback: stat(&["total_writeback"]),
        total_pg_pg_in: stat(&["total_pgpgin"]),
        total_pg_pg_out: stat(&["total_pgpgout"]),
        total_pg_fault: stat(&["total_pgfault"]),
        total_pg_maj_fault: stat(&["total_pgmajfault"]),
        total_inactive_anon: stat(&["total_inactive_anon"]),
        total_active_anon: stat(&["total_active_anon"]),
        total_inactive_file: stat(&["total_inactive_file"]),
        total_active_file: stat(&["total_active_file"]),
        total_unevictable: stat(&["total_unevictable"]),
        usage: MessageField::some(entry(&memory.memory)),
        swap: MessageField::some(entry(&memory.memswap)),
        kernel: MessageField::some(entry(&memory.kernel)),
        kernel_tcp: MessageField::some(entry(&memory.kernel_tcp)),
        ..Default::default()
    }
}

fn first_of(stats: &HashMap<String, u64>, names: &[&str]) -> u64 {
    names
        .iter()
        .find_map(|name| stats.get(*name))
        .copied()
        .unwrap_or(0)
}

fn entry(data: &MemoryData) -> MemoryEntry {
    MemoryEntry {
        limit: data.limit,
        usage: data.usage,
        max: data.max_usage,
        failcnt: data.fail_count,
        ..Default::default()
    }
}

fn entries(stats: &[BlkioDeviceStat]) -> Vec<BlkIOEntry> {
    stats
        .iter()
        .map(|stat| BlkIOEntry {
            op: stat.op_type.clone().unwrap_or_default(),
            major: stat.major,
            minor: stat.minor,
            value: stat.value,
            ..Default::default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use libcgroups::stats::{HugeTlbStats, MemoryStats};

    fn stats() -> Stats {
        let mut stats = Stats::default();
        stats.cpu.usage.usage_total = 3_000_000;
        stats.cpu.usage.usage_user = 2_000_000;
        stats.cpu.usage.usage_kernel = 1_000_000;
        stats.cpu.usage.per_core_usage_total = vec![1_000_000, 2_000_000];
        stats.cpu.throttling.throttled_periods = 4;
        stats.pids.current = 3;
        stats.pids.limit = 64;
        stats.memory = MemoryStats {
            memory: MemoryData {
                usage: 5 << 20,
                max_usage: 6 << 20,
                fail_count: 1,
                limit: 64 << 20,
            },
            ..Default::default()
        };
        stats.hugetlb.insert(
            "2MB".into(),
            HugeTlbStats {
                usage: 2 << 20,
                ..Default::default()
            },
        );
        stats.blkio.service_bytes.push(BlkioDeviceStat {
            major: 8,
            minor: 0,
            op_type: Some("Read".into()),
            value: 4096,
        });
        stats
    }

    #[test]
    fn each_statistic_lands_in_containerds_field_for_it() {
        let metrics = metrics_of(&stats());
        let cpu = metrics.cpu.usage.as_ref().unwrap();
        assert_eq!(
            (cpu.total, cpu.user, cpu.kernel),
            (3_000_000, 2_000_000, 1_000_000)
        );
        assert_eq!(cpu.per_cpu, [1_000_000, 2_000_000]);
        assert_eq!(metrics.cpu.throttling.throttled_periods, 4);
        assert_eq!((metrics.pids.current, metrics.pids.limit), (3, 64));
        let usage = metrics.memory.usage.as_ref().unwrap();
        assert_eq!(
            (usage.usage, usage.max, usage.failcnt, usage.limit),
            (5 << 20, 6 << 20, 1, 64 << 20)
        );
        assert_eq!(metrics.hugetlb[0].pagesize, "2MB");
        assert_eq!(metrics.hugetlb[0].usage, 2 << 20);
        let read = &metrics.blkio.io_service_bytes_recursive[0];
        assert_eq!(
            (read.op.as_str(), read.major, read.value),
            ("Read", 8, 4096)
        );
    }

    #[test]
    fn memory_counters_are_read_under_their_v1_or_their_v2_names() {
        let mut v1 = Stats::default();
        v1.memory.stats = HashMap::from([("rss".into(), 7), ("cache".into(), 9)]);
        let mut v2 = Stats::default();
        v2.memory.stats = HashMap::from([("anon".into(), 7), ("file".into(), 9)]);
        for stats in [v1, v2] {
            let memory = metrics_of(&stats).memory.unwrap();
            assert_eq!((memory.rss, memory.cache), (7, 9));
        }
    }

    #[test]
    fn the_statistics_decode_back_from_their_any() {
        let any = to_any(&stats()).unwrap();
        assert_eq!(any.type_url, METRICS_TYPE_URL);
        let decoded = Metrics::parse_from_bytes(&any.value).unwrap();
        assert_eq!(decoded, metrics_of(&stats()));
    }
}
