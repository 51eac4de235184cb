//! wasmer's memory limit. wasmer 7.4 has no resource limiter: the only hook on a memory's growth
//! is the memory itself, which the engine's tunables create. So a run with a limit gets tunables
//! whose memories ask its [`MemoryGuard`] before each growth.
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use wasmer::sys::vm::{
    ExpectedValue, LinearMemory, ThreadConditions, Trap, VMConfig, VMMemory, VMMemoryDefinition,
    VMSharedMemory, VMTable, VMTableDefinition, WaiterError,
};
use wasmer::sys::{BaseTunables, Tunables};
use wasmer::{MemoryError, MemoryStyle, MemoryType, Pages, TableStyle, TableType, WASM_PAGE_SIZE};

use crate::Stopped;
use crate::limits::MemoryGuard;

/// One run's guard, shared by every memory of the run and read by the run when it ends.
type SharedGuard = Arc<Mutex<MemoryGuard>>;

/// The memory limit of one run: the tunables that enforce it, and what it refused.
pub(crate) struct RunLimit(SharedGuard);

impl RunLimit {
    /// A limit of `bytes` of linear memory, nothing refused yet.
    pub(crate) fn new(bytes: u64) -> Self {
        Self(Arc::new(Mutex::new(MemoryGuard::new(Some(bytes)))))
    }

    /// Tunables whose memories are held to this limit, for the run's handle on the engine.
    pub(crate) fn tunables(&self) -> LimitedTunables {
        LimitedTunables {
            base: BaseTunables::new(),
            guard: Arc::clone(&self.0),
        }
    }

    /// How the run was stopped, if the limit refused a growth.
    pub(crate) fn stopped(&self) -> Option<Stopped> {
        lock(&self.0).stopped()
    }
}

/// wasmer's [`BaseTunables`], except that every memory they create is held to one run's guard.
///
/// The memory and table styles are BaseTunables' own: compiled code and AOT artifacts were made
/// with them, and a different style would make wasmer refuse or misuse those artifacts.
pub(crate) struct LimitedTunables {
    base: BaseTunables,
    guard: SharedGuard,
}

impl LimitedTunables {
    /// Refuses a memory whose initial size is already over the limit, as wasmtime and wasmi do:
    /// the run cannot start, and there is no growth to refuse later.
    fn check_initial(&self, ty: &MemoryType) -> Result<(), MemoryError> {
        let initial = ty.minimum.bytes().0;
        let mut guard = lock(&self.guard);
        if guard.allow(initial) {
            return Ok(());
        }
        Err(MemoryError::Generic(format!(
            "an initial memory of {} MiB is over the limit of {} MiB (--max-memory)",
            initial >> 20,
            guard.limit().unwrap_or_default() >> 20
        )))
    }

    fn limited(&self, memory: VMMemory) -> VMMemory {
        VMMemory(Box::new(LimitedMemory {
            inner: memory,
            guard: Arc::clone(&self.guard),
        }))
    }
}

impl Tunables for LimitedTunables {
    fn memory_style(&self, memory: &MemoryType) -> MemoryStyle {
        self.base.memory_style(memory)
    }

    fn table_style(&self, table: &TableType) -> TableStyle {
        self.base.table_style(table)
    }

    fn create_host_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
    ) -> Result<VMMemory, MemoryError> {
        self.check_initial(ty)?;
        Ok(self.limited(self.base.create_host_memory(ty, style)?))
    }

    unsafe fn create_vm_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
        vm_definition_location: NonNull<VMMemoryDefinition>,
    ) -> Result<VMMemory, MemoryError> {
        self.check_initial(ty)?;
        // SAFETY: the caller's guarantee for `vm_definition_location`, passed on unchanged.
        let memory = unsafe {
            self.base
                .create_vm_memory(ty, style, vm_definition_location)?
        };
        Ok(self.limited(memory))
    }

    fn create_host_table(&self, ty: &TableType, style: &TableStyle) -> Result<VMTable, String> {
        self.base.create_host_table(ty, style)
    }

    unsafe fn create_vm_table(
        &self,
        ty: &TableType,
        style: &TableStyle,
        vm_definition_location: NonNull<VMTableDefinition>,
    ) -> Result<VMTable, String> {
        // SAFETY: the caller's guarantee for `vm_definition_location`, passed on unchanged.
        unsafe { self.base.create_vm_table(ty, style, vm_definition_location) }
    }

    fn vmconfig(&self) -> &VMConfig {
        self.base.vmconfig()
    }
}

/// The guard even if a thread panicked while holding it: the guard's state is two plain values,
/// always consistent.
fn lock(guard: &Mutex<MemoryGuard>) -> std::sync::MutexGuard<'_, MemoryGuard> {
    guard.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A memory that asks its run's guard before it grows, and is otherwise the memory it wraps.
#[derive(Debug)]
struct LimitedMemory {
    inner: VMMemory,
    guard: SharedGuard,
}

impl LimitedMemory {
    /// Whether the memory may grow to `pages` (counted in u64: a request may exceed 4 GiB).
    fn allow(&self, pages: u64) -> bool {
        let desired = pages.saturating_mul(WASM_PAGE_SIZE as u64);
        lock(&self.guard).allow(usize::try_from(desired).unwrap_or(usize::MAX))
    }

    /// Another handle on the same or a copied memory, held to the same guard.
    fn with_guard(
        &self,
        inner: Box<dyn LinearMemory + Send + Sync>,
    ) -> Box<dyn LinearMemory + Send + Sync> {
        Box::new(LimitedMemory {
            inner: VMMemory(inner),
            guard: Arc::clone(&self.guard),
        })
    }
}

impl LinearMemory for LimitedMemory {
    fn ty(&self) -> MemoryType {
        self.inner.ty()
    }

    fn size(&self) -> Pages {
        self.inner.size()
    }

    fn style(&self) -> MemoryStyle {
        self.inner.style()
    }

    fn grow(&mut self, delta: Pages) -> Result<Pages, MemoryError> {
        let current = self.inner.size();
        if !self.allow(u64::from(current.0) + u64::from(delta.0)) {
            // memory.grow returns -1, as for any growth wasmer cannot make.
            return Err(MemoryError::CouldNotGrow {
                current,
                attempted_delta: delta,
            });
        }
        self.inner.grow(delta)
    }

    fn grow_at_least(&mut self, min_size: u64) -> Result<(), MemoryError> {
        let current = self.inner.size();
        let pages = min_size.div_ceil(WASM_PAGE_SIZE as u64);
        if pages > u64::from(current.0) && !self.allow(pages) {
            return Err(MemoryError::CouldNotGrow {
                current,
                attempted_delta: Pages(
                    u32::try_from(pages - u64::from(current.0)).unwrap_or(u32::MAX),
                ),
            });
        }
        self.inner.grow_at_least(min_size)
    }

    fn reset(&mut self) -> Result<(), MemoryError> {
        self.inner.reset()
    }

    fn vmmemory(&self) -> NonNull<VMMemoryDefinition> {
        self.inner.vmmemory()
    }

    fn try_clone(&self) -> Result<Box<dyn LinearMemory + Send + Sync + 'static>, MemoryError> {
        Ok(self.with_guard(LinearMemory::try_clone(&self.inner)?))
    }

    unsafe fn initialize_with_data(&self, start: usize, data: &[u8]) -> Result<(), Trap> {
        // SAFETY: the caller's guarantee, passed on to the memory this one is.
        unsafe { self.inner.initialize_with_data(start, data) }
    }

    fn copy(&self) -> Result<Box<dyn LinearMemory + Send + Sync + 'static>, MemoryError> {
        Ok(self.with_guard(LinearMemory::copy(&self.inner)?))
    }

    fn as_shared(&self) -> Result<VMSharedMemory, MemoryError> {
        self.inner.as_shared()
    }

    unsafe fn do_wait(
        &mut self,
        dst: u32,
        expected: ExpectedValue,
        timeout: Option<Duration>,
    ) -> Result<u32, WaiterError> {
        // SAFETY: the caller's guarantee for `dst`, passed on to the memory this one is.
        unsafe { self.inner.do_wait(dst, expected, timeout) }
    }

    fn do_notify(&mut self, dst: u32, count: u32) -> u32 {
        self.inner.do_notify(dst, count)
    }

    fn thread_conditions(&self) -> Option<&ThreadConditions> {
        self.inner.thread_conditions()
    }
}
