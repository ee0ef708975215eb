//! The per-instance memory limit, enforced by the engine: an instance's
//! memory and tables together never exceed `max_memory_bytes`, and a
//! refused `memory.grow` is remembered so that the trap that usually
//! follows can be reported as the limit it is.
//!
//! The tunables here also hand the timeout its interrupt flag (see
//! `timeout`): they are the one hook wasmer gives into an instance as
//! it is created.
//!
//! Tables cannot be watched as they grow (wasmer's tables are not a
//! trait), so the budget is split when the module is loaded: each table
//! is charged at the most it may ever hold, and the memory gets the rest.

use std::cell::Cell;
use std::ptr::NonNull;
use std::time::Duration;

use wasmer::sys::vm::{
    ExpectedValue, LinearMemory, MemoryError, MemoryStyle, TableStyle, ThreadConditions, Trap,
    VMGlobal, VMGlobalDefinition, VMMemory, VMMemoryDefinition, VMSharedMemory, VMTable,
    VMTableDefinition, WaiterError,
};
use wasmer::sys::{BaseTunables, Tunables};
use wasmer::{GlobalType, MemoryType, Pages, TableType, WASM_MAX_PAGES, WASM_PAGE_SIZE};

use super::timeout::offer_global_location;
use crate::{Builder, Error};

/// Default for [`Builder::max_memory_bytes`]: 512 MiB, room for the
/// default input and output several times over.
pub const DEFAULT_MAX_MEMORY_BYTES: u64 = 512 * 1024 * 1024;

impl<O: crate::builder::Target> Builder<O> {
    /// The most memory one plugin instance may have, in bytes: its linear
    /// memory and its tables together. Each table is charged 16 bytes per
    /// element at the most it may hold (its declared maximum, at most
    /// 2^20 elements; a table without a maximum does not grow) and the
    /// memory may grow to the rest, in whole 64 KiB pages. A plugin that
    /// tries to grow its memory past that gets [`Error::MemoryLimit`]; one
    /// whose tables and initial memory do not fit fails to load with
    /// [`Error::LoadLimit`]. Default [`DEFAULT_MAX_MEMORY_BYTES`]; the
    /// memory is at most 4 GiB, all a wasm32 guest can address. Each
    /// instance has its own: a pool of `n` instances may take `n` times
    /// this.
    pub fn max_memory_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_memory_bytes = bytes;
        self
    }
}

/// Most elements a plugin table may hold. Rust plugins use a few hundred.
pub(crate) const MAX_TABLE_ELEMENTS: u32 = 1 << 20;

/// What one table element is charged: wasmer stores an 8-byte reference,
/// and a growing table's vector may briefly hold twice its length.
pub(crate) const TABLE_ELEMENT_BYTES: u64 = 16;

/// A table as a module declares it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TableNeed {
    pub(crate) initial: u64,
    pub(crate) maximum: Option<u64>,
}

/// The most elements a table of this type may hold here: what it
/// declares as its maximum, capped; a table without a maximum keeps its
/// initial size (`table.grow` answers -1), so that it cannot take the
/// memory's share.
fn table_cap(initial: u64, maximum: Option<u64>) -> u64 {
    maximum.unwrap_or(initial).min(MAX_TABLE_ELEMENTS as u64)
}

/// How an instance's `max_memory_bytes` is shared between its tables and
/// its memory.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InstanceBudget {
    /// The most pages the memory may grow to.
    pub(crate) memory_pages: Pages,
}

impl InstanceBudget {
    /// The budget for a module with these tables and memories, or the
    /// reason it cannot be instantiated within `max_memory_bytes`.
    pub(crate) fn new(
        max_memory_bytes: u64,
        tables: &[TableNeed],
        memory_pages: &[u64],
    ) -> Result<InstanceBudget, Error> {
        let over = |reason: String| Error::LoadLimit {
            limit: "max_memory_bytes",
            reason,
        };
        let mut table_bytes: u64 = 0;
        for table in tables {
            if table.initial > MAX_TABLE_ELEMENTS as u64 {
                return Err(over(format!(
                    "a table starts with {} elements, over the host's limit of {MAX_TABLE_ELEMENTS} per table",
                    table.initial
                )));
            }
            table_bytes += table_cap(table.initial, table.maximum) * TABLE_ELEMENT_BYTES;
        }
        if table_bytes > max_memory_bytes {
            return Err(over(format!(
                "its {} tables may hold {table_bytes} bytes ({TABLE_ELEMENT_BYTES} per element), over the {max_memory_bytes}-byte limit",
                tables.len()
            )));
        }
        let pages =
            ((max_memory_bytes - table_bytes) / WASM_PAGE_SIZE as u64).min(WASM_MAX_PAGES as u64);
        if let Some(&initial) = memory_pages.iter().find(|&&initial| initial > pages) {
            return Err(over(format!(
                // `initial` is the module's own (2^48 pages for a 64-bit
                // memory): said in pages, as multiplying could overflow.
                "its memory starts at {initial} pages of 64 KiB and its tables may hold {table_bytes} bytes, over the {max_memory_bytes}-byte limit"
            )));
        }
        Ok(InstanceBudget {
            memory_pages: Pages(pages as u32),
        })
    }
}

thread_local! {
    /// Set when a plugin memory refused to grow on this thread.
    ///
    /// Per thread, not per engine: a plugin's memory grows only inside a
    /// call into that plugin, which runs on the calling thread, and a
    /// store (with all its instances) never leaves its thread. So the
    /// flag a call finds set after it returns was set by that call, even
    /// when many instances of one compiled plugin run on other threads.
    static GROW_REFUSED: Cell<bool> = const { Cell::new(false) };
}

/// Whether a memory refused to grow on this thread since the last take;
/// clears the flag.
#[inline]
pub(crate) fn take_grow_refused() -> bool {
    GROW_REFUSED.with(|refused| refused.replace(false))
}

/// Puts back a flag taken with [`take_grow_refused`]: an async call
/// suspended on a host future lets other calls run on its thread, so it
/// keeps its flag meanwhile.
#[cfg(feature = "async")]
pub(crate) fn restore_grow_refused(refused: bool) {
    let _ = GROW_REFUSED.try_with(|flag| flag.set(refused));
}

fn set_grow_refused() {
    // `try_with`: a memory may grow while the thread's locals are being
    // destroyed only if a plugin runs in a destructor; then no call can
    // read the flag anyway.
    let _ = GROW_REFUSED.try_with(|refused| refused.set(true));
}

/// Engine tunables that cap memories at the budget's pages and tables at
/// their share of it, delegating everything else to wasmer's defaults.
pub(crate) struct LimitingTunables {
    base: BaseTunables,
    max_pages: Pages,
}

impl LimitingTunables {
    pub(crate) fn new(budget: InstanceBudget) -> Self {
        LimitingTunables {
            base: BaseTunables::new(),
            max_pages: budget.memory_pages,
        }
    }

    /// `ty` with its maximum lowered to the limit, or an error when even
    /// its minimum is over it.
    fn capped_memory(&self, ty: &MemoryType) -> Result<MemoryType, MemoryError> {
        if ty.minimum > self.max_pages {
            return Err(MemoryError::MinimumMemoryTooLarge {
                min_requested: ty.minimum,
                max_allowed: self.max_pages,
            });
        }
        let maximum = ty
            .maximum
            .map_or(self.max_pages, |max| max.min(self.max_pages));
        Ok(MemoryType {
            maximum: Some(maximum),
            ..*ty
        })
    }

    fn capped_table(&self, ty: &TableType) -> Result<TableType, String> {
        if ty.minimum > MAX_TABLE_ELEMENTS {
            return Err(format!(
                "the plugin's table needs {} elements, over the host's limit of {MAX_TABLE_ELEMENTS}",
                ty.minimum
            ));
        }
        let maximum = table_cap(ty.minimum as u64, ty.maximum.map(u64::from)) as u32;
        Ok(TableType {
            maximum: Some(maximum),
            ..*ty
        })
    }

    fn watched(&self, memory: VMMemory) -> VMMemory {
        VMMemory(Box::new(WatchedMemory { inner: memory }))
    }
}

impl Tunables for LimitingTunables {
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
        let ty = self.capped_memory(ty)?;
        Ok(self.watched(self.base.create_host_memory(&ty, style)?))
    }

    unsafe fn create_vm_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
        vm_definition_location: NonNull<VMMemoryDefinition>,
    ) -> Result<VMMemory, MemoryError> {
        let ty = self.capped_memory(ty)?;
        // SAFETY: the engine passes a location it owns for this memory,
        // which is the caller's obligation forwarded unchanged.
        let memory = unsafe {
            self.base
                .create_vm_memory(&ty, style, vm_definition_location)?
        };
        Ok(self.watched(memory))
    }

    fn create_host_table(&self, ty: &TableType, style: &TableStyle) -> Result<VMTable, String> {
        self.base.create_host_table(&self.capped_table(ty)?, style)
    }

    unsafe fn create_vm_table(
        &self,
        ty: &TableType,
        style: &TableStyle,
        vm_definition_location: NonNull<VMTableDefinition>,
    ) -> Result<VMTable, String> {
        let ty = self.capped_table(ty)?;
        // SAFETY: as for memories, the location is the engine's, forwarded
        // unchanged.
        unsafe {
            self.base
                .create_vm_table(&ty, style, vm_definition_location)
        }
    }

    /// wasmer's own global, whose location is also offered to the
    /// timeout: the interrupt flag is the last global of a module that
    /// has one (see `timeout`).
    unsafe fn create_vm_global(
        &self,
        ty: GlobalType,
        vm_definition_location: NonNull<VMGlobalDefinition>,
    ) -> Result<VMGlobal, String> {
        offer_global_location(vm_definition_location);
        // SAFETY: the location is the engine's, forwarded unchanged.
        unsafe { self.base.create_vm_global(ty, vm_definition_location) }
    }
}

/// A plugin memory that records when it refuses to grow.
#[derive(Debug)]
struct WatchedMemory {
    inner: VMMemory,
}

impl WatchedMemory {
    fn observe<T>(&self, result: Result<T, MemoryError>) -> Result<T, MemoryError> {
        if result.is_err() {
            set_grow_refused();
        }
        result
    }
}

impl LinearMemory for WatchedMemory {
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
        let result = self.inner.grow(delta);
        self.observe(result)
    }

    fn grow_at_least(&mut self, min_size: u64) -> Result<(), MemoryError> {
        let result = self.inner.grow_at_least(min_size);
        self.observe(result)
    }

    fn reset(&mut self) -> Result<(), MemoryError> {
        self.inner.reset()
    }

    fn vmmemory(&self) -> NonNull<VMMemoryDefinition> {
        self.inner.vmmemory()
    }

    fn try_clone(&self) -> Result<Box<dyn LinearMemory + Send + Sync + 'static>, MemoryError> {
        LinearMemory::try_clone(&self.inner)
    }

    unsafe fn initialize_with_data(&self, start: usize, data: &[u8]) -> Result<(), Trap> {
        // SAFETY: forwarded unchanged; the caller upholds the contract.
        unsafe { self.inner.initialize_with_data(start, data) }
    }

    fn copy(&self) -> Result<Box<dyn LinearMemory + Send + Sync + 'static>, MemoryError> {
        LinearMemory::copy(&self.inner)
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
        // SAFETY: forwarded unchanged; the caller upholds the contract.
        unsafe { self.inner.do_wait(dst, expected, timeout) }
    }

    fn do_notify(&mut self, dst: u32, count: u32) -> u32 {
        self.inner.do_notify(dst, count)
    }

    fn thread_conditions(&self) -> Option<&ThreadConditions> {
        self.inner.thread_conditions()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;
    const PAGE: u64 = WASM_PAGE_SIZE as u64;

    fn table(initial: u64, maximum: Option<u64>) -> TableNeed {
        TableNeed { initial, maximum }
    }

    fn load_limit(result: Result<InstanceBudget, Error>) -> String {
        match result {
            Err(Error::LoadLimit { limit, reason }) => {
                assert_eq!(limit, "max_memory_bytes");
                reason
            }
            other => panic!("expected a load limit, got {other:?}"),
        }
    }

    #[test]
    fn a_table_is_charged_at_the_most_it_may_hold() {
        assert_eq!(table_cap(10, Some(100)), 100);
        // Without a maximum it keeps its initial size.
        assert_eq!(table_cap(10, None), 10);
        // A declared maximum over the cap is capped.
        assert_eq!(table_cap(10, Some(u64::MAX)), MAX_TABLE_ELEMENTS as u64);
        assert_eq!(table_cap(0, Some(0)), 0);
    }

    #[test]
    fn the_memory_gets_what_the_tables_leave_in_whole_pages() {
        let budget = InstanceBudget::new(64 * MIB, &[], &[1]).unwrap();
        assert_eq!(budget.memory_pages, Pages(1024));
        // One table of at most 4096 elements takes 64 KiB: one page less.
        let budget = InstanceBudget::new(64 * MIB, &[table(1, Some(4096))], &[1]).unwrap();
        assert_eq!(budget.memory_pages, Pages(1023));
        // A part page left over is not a page.
        let budget = InstanceBudget::new(PAGE + PAGE / 2, &[], &[]).unwrap();
        assert_eq!(budget.memory_pages, Pages(1));
        // The memory is at most 4 GiB, whatever the budget.
        let budget = InstanceBudget::new(u64::MAX, &[], &[]).unwrap();
        assert_eq!(budget.memory_pages, Pages(WASM_MAX_PAGES));
    }

    #[test]
    fn modules_that_cannot_fit_are_refused_with_the_reason() {
        let reason = load_limit(InstanceBudget::new(
            64 * MIB,
            &[table(MAX_TABLE_ELEMENTS as u64 + 1, None)],
            &[],
        ));
        assert!(reason.contains("starts with 1048577 elements"), "{reason}");
        let reason = load_limit(InstanceBudget::new(MIB, &[table(0, Some(1 << 20))], &[]));
        assert!(reason.contains("may hold 16777216 bytes"), "{reason}");
        let reason = load_limit(InstanceBudget::new(MIB, &[], &[17]));
        assert!(reason.contains("starts at 17 pages"), "{reason}");
        // A 64-bit memory's initial size does not overflow the arithmetic.
        let reason = load_limit(InstanceBudget::new(u64::MAX, &[], &[1 << 48]));
        assert!(reason.contains("281474976710656 pages"), "{reason}");
        // Exactly at the limit fits.
        assert!(InstanceBudget::new(16 * PAGE, &[], &[16]).is_ok());
    }

    #[test]
    fn the_tunables_lower_maxima_and_refuse_minima_over_the_budget() {
        let tunables = LimitingTunables::new(InstanceBudget {
            memory_pages: Pages(16),
        });
        let capped = tunables
            .capped_memory(&MemoryType::new(Pages(1), None, false))
            .unwrap();
        assert_eq!(capped.maximum, Some(Pages(16)));
        let capped = tunables
            .capped_memory(&MemoryType::new(Pages(1), Some(Pages(4)), false))
            .unwrap();
        assert_eq!(capped.maximum, Some(Pages(4)));
        assert!(matches!(
            tunables.capped_memory(&MemoryType::new(Pages(17), None, false)),
            Err(MemoryError::MinimumMemoryTooLarge { .. })
        ));
        let table_type = |minimum, maximum| TableType::new(wasmer::Type::FuncRef, minimum, maximum);
        assert_eq!(
            tunables.capped_table(&table_type(3, None)).unwrap().maximum,
            Some(3)
        );
        assert_eq!(
            tunables
                .capped_table(&table_type(3, Some(u32::MAX)))
                .unwrap()
                .maximum,
            Some(MAX_TABLE_ELEMENTS)
        );
        assert!(
            tunables
                .capped_table(&table_type(MAX_TABLE_ELEMENTS + 1, None))
                .is_err()
        );
    }
}
