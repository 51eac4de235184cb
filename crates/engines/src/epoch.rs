//! Time limits on wasmtime as epoch deadlines: one ticker thread per engine, not one per run.
//!
//! An interruptible wasmtime engine compiles a check of the engine's epoch into guest code. A
//! run with a time limit sets its deadline a number of ticks ahead; the ticker advances the epoch
//! every [`TICK`], so the run traps within one tick after its limit. Runs without a limit set a
//! deadline that no ticker reaches.
use std::sync::Mutex;
use std::time::Duration;

/// How often the epoch advances: the resolution of every wasmtime time limit.
pub(crate) const TICK: Duration = Duration::from_millis(5);

/// A deadline no ticker reaches (the store adds it to the current epoch, so not `u64::MAX`).
pub(crate) const NEVER: u64 = u64::MAX / 2;

/// The ticker of one wasmtime engine, started on the first run that has a time limit.
#[derive(Debug, Default)]
pub(crate) struct EpochTicker {
    /// The process that started the ticker thread. A container's init process is a fork of the
    /// process that made the engine, and a fork has no threads, so it starts its own.
    started_in: Mutex<Option<u32>>,
}

impl EpochTicker {
    /// Makes sure a thread of this process advances `engine`'s epoch every [`TICK`]. The thread
    /// ends once the engine is dropped.
    pub(crate) fn ensure_running(&self, engine: &wasmtime::Engine) {
        let pid = std::process::id();
        let mut started_in = self.started_in.lock().unwrap_or_else(|e| e.into_inner());
        if *started_in == Some(pid) {
            return;
        }
        let weak = engine.weak();
        let spawned = std::thread::Builder::new()
            .name("wasmtime-epoch".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(TICK);
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            });
        if spawned.is_ok() {
            *started_in = Some(pid);
        }
    }

    /// The deadline, in ticks from now, of a run limited to `timeout`: never before the limit
    /// (the first tick may come at once), at most one tick after it.
    pub(crate) fn ticks(timeout: Duration) -> u64 {
        let ticks = timeout.as_nanos().div_ceil(TICK.as_nanos()) + 1;
        u64::try_from(ticks).unwrap_or(NEVER).min(NEVER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_is_never_before_its_limit_and_at_most_one_tick_after() {
        for millis in [0, 1, 4, 5, 6, 999, 1000, 1001] {
            let timeout = Duration::from_millis(millis);
            let ticks = EpochTicker::ticks(timeout);
            // The first of the ticks may come at once: the deadline is ticks - 1 whole ticks away.
            assert!(
                TICK * (ticks as u32 - 1) >= timeout,
                "{millis} ms: {ticks} ticks"
            );
            assert!(
                TICK * (ticks as u32 - 1) < timeout + TICK,
                "{millis} ms: {ticks} ticks"
            );
        }
        assert_eq!(EpochTicker::ticks(Duration::MAX), NEVER);
    }
}
