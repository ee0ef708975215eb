//! The fuel meter: a compiler middleware that charges every wasm
//! instruction one unit (more for the few the runtime serves, see
//! [`base_cost`]) and every bulk memory or table instruction one more
//! unit per 8 bytes or per element it touches, and stops the call when
//! its budget is spent.
//!
//! It follows `wasmer_middlewares::Metering` (costs are added up per basic
//! block and checked at each branch), with three differences that make
//! fuel a bound on time:
//! - Instructions served by a call into the runtime cost what that call
//!   takes ([`base_cost`]): a loop of empty `memory.fill`s otherwise got
//!   seventy times the time per unit of a plain loop.
//! - `memory.fill`, `memory.copy`, `memory.init`, `table.fill`,
//!   `table.copy`, `table.init` and `table.grow` do work in proportion to
//!   an operand; the meter reads that operand at run time and charges it
//!   before the instruction runs.
//!
//! A metered module's start function runs under the budget too: the engine
//! defers it (see `defer_start`) and the host runs it as a call.

use wasmer::sys::{FunctionMiddleware, MiddlewareError, MiddlewareReaderState, ModuleMiddleware};
use wasmer::wasmparser::{BlockType, Operator};
use wasmer::{
    AsStoreMut, ExportIndex, Global, GlobalInit, GlobalType, Instance, LocalFunctionIndex,
    ModuleInfo, Mutability, Store, Type, Value,
};

use super::added_globals::AddedGlobals;
use crate::{Builder, Error};

/// Default for [`Builder::fuel_per_call`]: no metering, which is right for
/// trusted plugins.
pub const DEFAULT_FUEL_PER_CALL: Option<u64> = None;

impl<O: crate::builder::Target> Builder<O> {
    /// Meters every call: a call that spends more than `units` of fuel
    /// (allocating its input included) stops with [`Error::OutOfFuel`]. A
    /// unit is one wasm instruction (the few the runtime serves cost more),
    /// or 8 bytes or one element that a bulk memory or table instruction
    /// touches; docs/SECURITY.md gives the costs and what a unit takes in
    /// time (about a quarter of a nanosecond). The module's start function,
    /// if any, runs under the same budget at load. Default
    /// [`DEFAULT_FUEL_PER_CALL`]: no metering; set it (or a
    /// [`timeout`](Builder::timeout)) for any plugin that could loop
    /// forever. Metering costs a little speed in loop-heavy plugin code.
    pub fn fuel_per_call(mut self, units: u64) -> Self {
        self.limits.fuel_per_call = Some(units);
        self
    }
}

/// The export holding the fuel left for the running call (`i64`, read as
/// unsigned).
pub(crate) const REMAINING_EXPORT: &str = "__wasmer_plugin_fuel_remaining";
/// The export set to 1 when the meter stopped a call (`i32`).
pub(crate) const EXHAUSTED_EXPORT: &str = "__wasmer_plugin_fuel_exhausted";

/// Bytes of a bulk memory instruction that cost one unit, as a loop of
/// 64-bit loads and stores would.
pub(crate) const BYTES_PER_UNIT: u32 = 8;

/// What one call of a host function costs the plugin for each side of
/// it (the arguments, the reply) before its bytes: as much as a
/// `memory.copy`, which is what the host does with them. The time the
/// host function itself takes is the host's; the deadline bounds it.
const HOST_CALL_BASE_COST: u64 = 128;

/// The fuel one side of a host-function call of `bytes` bytes costs.
pub(crate) fn host_call_fuel(bytes: u64) -> u64 {
    HOST_CALL_BASE_COST + bytes / BYTES_PER_UNIT as u64
}

/// What an instruction costs before what it touches. Most cost one unit;
/// those that compiled code cannot do inline call into the runtime, which
/// takes from a few to a hundred times as long as a plain instruction
/// (measured by `benches/examples/security_probe.rs`), and cost as much
/// more, so that no loop gets more time per unit than a plain one.
fn base_cost(operator: &Operator) -> u64 {
    match operator {
        Operator::MemoryFill { .. } | Operator::MemoryCopy { .. } | Operator::MemoryInit { .. } => {
            128
        }
        Operator::MemoryGrow { .. }
        | Operator::TableGrow { .. }
        | Operator::TableFill { .. }
        | Operator::TableCopy { .. }
        | Operator::TableInit { .. }
        | Operator::DataDrop { .. }
        | Operator::ElemDrop { .. } => 32,
        Operator::TableSet { .. } | Operator::TableGet { .. } | Operator::RefFunc { .. } => 8,
        Operator::MemorySize { .. } | Operator::TableSize { .. } => 4,
        _ => 1,
    }
}

/// The middleware for one module (a second module panics, as
/// `wasmer_middlewares::Metering` does: it keeps that module's globals).
/// The budget is not compiled in: the host sets it before every call, so
/// that one compiled module serves any budget.
pub(crate) struct FuelMeter {
    globals: AddedGlobals<MeterGlobals>,
}

#[derive(Debug, Clone, Copy)]
struct MeterGlobals {
    remaining: u32,
    exhausted: u32,
    /// Holds a bulk instruction's count while the meter charges it.
    scratch: u32,
}

impl FuelMeter {
    /// A meter for one module.
    pub(crate) fn new() -> Self {
        FuelMeter {
            globals: AddedGlobals::new(),
        }
    }
}

impl std::fmt::Debug for FuelMeter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FuelMeter").finish_non_exhaustive()
    }
}

impl ModuleMiddleware for FuelMeter {
    fn generate_function_middleware<'a>(
        &self,
        _: LocalFunctionIndex,
    ) -> Box<dyn FunctionMiddleware<'a> + 'a> {
        Box::new(FunctionMeter {
            globals: self.globals.get(),
            accumulated: 0,
        })
    }

    fn transform_module_info(&self, info: &mut ModuleInfo) -> Result<(), MiddlewareError> {
        let mut add = |ty: Type, init: GlobalInit| {
            let index = info.globals.push(GlobalType::new(ty, Mutability::Var));
            info.global_initializers.push(init);
            index
        };
        // Empty until the host refuels it for a call.
        let remaining = add(Type::I64, GlobalInit::I64Const(0));
        let exhausted = add(Type::I32, GlobalInit::I32Const(0));
        let scratch = add(Type::I32, GlobalInit::I32Const(0));
        info.exports
            .insert(REMAINING_EXPORT.into(), ExportIndex::Global(remaining));
        info.exports
            .insert(EXHAUSTED_EXPORT.into(), ExportIndex::Global(exhausted));
        self.globals.record(MeterGlobals {
            remaining: remaining.as_u32(),
            exhausted: exhausted.as_u32(),
            scratch: scratch.as_u32(),
        });
        Ok(())
    }
}

/// The meter inside one function.
#[derive(Debug)]
struct FunctionMeter {
    globals: MeterGlobals,
    /// Cost of the basic block so far, charged at its end.
    accumulated: u64,
}

/// What a bulk instruction's count operand (on top of the stack) is.
#[derive(Clone, Copy)]
pub(super) enum Counted {
    Bytes,
    Elements,
}

/// Which bulk instruction `operator` is, if it is one: an instruction
/// whose work grows with its count operand (the timeout checks before
/// each too).
pub(super) fn counted(operator: &Operator) -> Option<Counted> {
    match operator {
        Operator::MemoryFill { .. } | Operator::MemoryCopy { .. } | Operator::MemoryInit { .. } => {
            Some(Counted::Bytes)
        }
        Operator::TableFill { .. }
        | Operator::TableCopy { .. }
        | Operator::TableInit { .. }
        | Operator::TableGrow { .. } => Some(Counted::Elements),
        _ => None,
    }
}

/// Where a basic block ends or starts: the accumulated cost is charged
/// there, before control can leave or loop.
fn ends_block(operator: &Operator) -> bool {
    matches!(
        operator,
        Operator::Loop { .. }
            | Operator::End
            | Operator::If { .. }
            | Operator::Else
            | Operator::Br { .. }
            | Operator::BrTable { .. }
            | Operator::BrIf { .. }
            | Operator::Call { .. }
            | Operator::CallIndirect { .. }
            | Operator::Return
    )
}

impl FunctionMeter {
    /// Charges `cost` (an `i64` the caller pushed by `push_cost`), trapping
    /// with the exhausted flag set when less is left.
    fn charge<'a>(&self, state: &mut MiddlewareReaderState<'a>, push_cost: &[Operator<'a>]) {
        let remaining = self.globals.remaining;
        state.push_operator(Operator::GlobalGet {
            global_index: remaining,
        });
        state.extend(push_cost);
        state.extend([
            Operator::I64LtU,
            Operator::If {
                blockty: BlockType::Empty,
            },
            Operator::I32Const { value: 1 },
            Operator::GlobalSet {
                global_index: self.globals.exhausted,
            },
            Operator::Unreachable,
            Operator::End,
            Operator::GlobalGet {
                global_index: remaining,
            },
        ]);
        state.extend(push_cost);
        state.extend([
            Operator::I64Sub,
            Operator::GlobalSet {
                global_index: remaining,
            },
        ]);
    }

    /// Charges the count on top of the stack and leaves it there.
    fn charge_count<'a>(&self, state: &mut MiddlewareReaderState<'a>, counted: Counted) {
        let scratch = self.globals.scratch;
        state.push_operator(Operator::GlobalSet {
            global_index: scratch,
        });
        let mut cost = vec![
            Operator::GlobalGet {
                global_index: scratch,
            },
            Operator::I64ExtendI32U,
        ];
        if let Counted::Bytes = counted {
            // ceil(bytes / BYTES_PER_UNIT), without overflow: the count
            // is at most 2^32 - 1.
            cost.extend([
                Operator::I64Const {
                    value: BYTES_PER_UNIT as i64 - 1,
                },
                Operator::I64Add,
                Operator::I64Const {
                    value: BYTES_PER_UNIT as i64,
                },
                Operator::I64DivU,
            ]);
        }
        self.charge(state, &cost);
        state.push_operator(Operator::GlobalGet {
            global_index: scratch,
        });
    }
}

impl<'a> FunctionMiddleware<'a> for FunctionMeter {
    fn feed(
        &mut self,
        operator: Operator<'a>,
        state: &mut MiddlewareReaderState<'a>,
    ) -> Result<(), MiddlewareError> {
        // Counted before the check, so that a call or branch pays for
        // itself before it leaves the block.
        self.accumulated += base_cost(&operator);
        let counted = counted(&operator);
        if ends_block(&operator) || counted.is_some() {
            let cost = self.accumulated as i64;
            self.charge(state, &[Operator::I64Const { value: cost }]);
            self.accumulated = 0;
        }
        if let Some(counted) = counted {
            self.charge_count(state, counted);
        }
        state.push_operator(operator);
        Ok(())
    }
}

/// The metering globals of one instance and the budget each call gets.
#[derive(Clone)]
pub(crate) struct FuelGauge {
    budget: u64,
    remaining: Global,
    exhausted: Global,
}

impl FuelGauge {
    /// The gauge of a metered instance, or why its globals are unusable.
    pub(crate) fn new(instance: &Instance, budget: u64) -> Result<FuelGauge, Error> {
        let global = |name: &str| {
            instance
                .exports
                .get_global(name)
                .cloned()
                .map_err(|err| Error::BadExport {
                    export: name.to_owned(),
                    reason: format!("the fuel meter's global: {err}"),
                })
        };
        Ok(FuelGauge {
            budget,
            remaining: global(REMAINING_EXPORT)?,
            exhausted: global(EXHAUSTED_EXPORT)?,
        })
    }

    /// Gives the instance a full budget for the coming call.
    pub(crate) fn refuel(&self, store: &mut Store) -> Result<(), Error> {
        // Points are an i64 global that the meter treats as unsigned.
        let set = self
            .remaining
            .set(store, Value::I64(self.budget as i64))
            .and_then(|()| self.exhausted.set(store, Value::I32(0)));
        set.map_err(|err| Error::BadExport {
            export: REMAINING_EXPORT.to_owned(),
            reason: format!("the fuel meter could not be reset: {err}"),
        })
    }

    /// Takes `units` from the running call's fuel, for work done outside
    /// wasm (a host-function call). When there is not that much left the
    /// call is out of fuel: the gauge says so and this returns false.
    pub(crate) fn charge(&self, store: &mut impl AsStoreMut, units: u64) -> bool {
        let remaining = match self.remaining.get(store) {
            Value::I64(points) => points as u64,
            _ => 0,
        };
        let (left, enough) = match remaining.checked_sub(units) {
            Some(left) => (left, true),
            None => (0, false),
        };
        let set = self
            .remaining
            .set(store, Value::I64(left as i64))
            .and_then(|()| match enough {
                true => Ok(()),
                false => self.exhausted.set(store, Value::I32(1)),
            });
        enough && set.is_ok()
    }

    /// The fuel the last call used of its budget.
    #[cfg(feature = "tracing")]
    pub(crate) fn used(&self, store: &mut Store) -> u64 {
        match self.remaining.get(store) {
            Value::I64(points) => self.budget.saturating_sub(points as u64),
            _ => self.budget,
        }
    }

    /// Whether the meter stopped the last call.
    pub(crate) fn exhausted(&self, store: &mut Store) -> bool {
        self.exhausted.get(store) != Value::I32(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_served_instructions_cost_what_their_call_takes() {
        assert_eq!(base_cost(&Operator::Nop), 1);
        assert_eq!(base_cost(&Operator::I64DivU), 1);
        assert_eq!(base_cost(&Operator::MemoryFill { mem: 0 }), 128);
        assert_eq!(
            base_cost(&Operator::MemoryCopy {
                dst_mem: 0,
                src_mem: 0
            }),
            128
        );
        assert_eq!(base_cost(&Operator::MemoryGrow { mem: 0 }), 32);
        assert_eq!(base_cost(&Operator::TableGrow { table: 0 }), 32);
        assert_eq!(base_cost(&Operator::DataDrop { data_index: 0 }), 32);
        assert_eq!(base_cost(&Operator::TableGet { table: 0 }), 8);
        assert_eq!(base_cost(&Operator::RefFunc { function_index: 0 }), 8);
        assert_eq!(base_cost(&Operator::MemorySize { mem: 0 }), 4);
    }

    #[test]
    fn bulk_instructions_are_charged_by_what_they_touch() {
        assert!(matches!(
            counted(&Operator::MemoryFill { mem: 0 }),
            Some(Counted::Bytes)
        ));
        assert!(matches!(
            counted(&Operator::TableFill { table: 0 }),
            Some(Counted::Elements)
        ));
        assert!(counted(&Operator::MemoryGrow { mem: 0 }).is_none());
        assert!(counted(&Operator::I32Add).is_none());
    }

    #[test]
    fn control_flow_ends_a_block_and_straight_code_does_not() {
        for operator in [
            Operator::Loop {
                blockty: BlockType::Empty,
            },
            Operator::End,
            Operator::Br { relative_depth: 0 },
            Operator::BrIf { relative_depth: 0 },
            Operator::Call { function_index: 0 },
            Operator::Return,
        ] {
            assert!(ends_block(&operator), "{operator:?}");
        }
        for operator in [Operator::I32Add, Operator::Nop, Operator::Drop] {
            assert!(!ends_block(&operator), "{operator:?}");
        }
    }

    #[test]
    fn a_host_call_costs_a_base_and_a_unit_per_eight_bytes() {
        assert_eq!(host_call_fuel(0), HOST_CALL_BASE_COST);
        assert_eq!(host_call_fuel(7), HOST_CALL_BASE_COST);
        assert_eq!(host_call_fuel(8), HOST_CALL_BASE_COST + 1);
        assert_eq!(host_call_fuel(64 << 20), HOST_CALL_BASE_COST + (8 << 20));
    }
}
