//! One live instance of a plugin module and the mechanics of a call:
//! input buffer, export call, slot, output bounds.

use wasmer::{
    Engine, Instance, Memory, Module, RuntimeError, Store, TypedFunction, Value, imports,
};
use wasmer_plugin_abi::{
    ALLOC_EXPORT, FREE_EXPORT, FunctionRecord, MEMORY_EXPORT, SLOT_EXPORT, SLOT_LEN_OFFSET,
    SLOT_PTR_OFFSET, SLOT_SIZE, SLOT_STATUS_OFFSET, Status, function_export_name,
};

use crate::Error;
use crate::limits::Limits;

/// A plugin instance with everything a call needs looked up once.
pub(crate) struct Live {
    /// Each instance has its own store, so that dropping a trapped
    /// instance also frees its memory (a store keeps every instance it
    /// ever made alive).
    store: Store,
    memory: Memory,
    alloc: TypedFunction<u32, u32>,
    free: TypedFunction<(u32, u32), ()>,
    /// One export per metadata record, in the same order.
    exports: Vec<TypedFunction<(u32, u32), u32>>,
    slot: u64,
    /// The host-owned input buffer in guest memory, reused across calls.
    input: Option<InputBuffer>,
}

#[derive(Clone, Copy)]
struct InputBuffer {
    ptr: u32,
    capacity: u32,
}

/// What a failed call did to the instance.
pub(crate) enum CallError {
    /// The instance may still serve calls.
    Recoverable(Error),
    /// The instance must be thrown away.
    Poisoned(Error),
}

/// Smallest input buffer the host asks for, so that small arguments of
/// growing size do not reallocate on every call.
const MIN_INPUT_CAPACITY: u32 = 1024;

impl Live {
    pub(crate) fn new(
        engine: &Engine,
        module: &Module,
        functions: &[FunctionRecord],
    ) -> Result<Live, Error> {
        let mut store = Store::new(engine.clone());
        let instance = Instance::new(&mut store, module, &imports! {})
            .map_err(|err| Error::Instantiate(Box::new(err)))?;
        let exports = &instance.exports;
        let bad = |export: &str, reason: String| Error::BadExport {
            export: export.to_owned(),
            reason,
        };
        let memory = exports
            .get_memory(MEMORY_EXPORT)
            .map_err(|err| bad(MEMORY_EXPORT, err.to_string()))?
            .clone();
        let alloc = exports
            .get_typed_function(&store, ALLOC_EXPORT)
            .map_err(|err| bad(ALLOC_EXPORT, err.to_string()))?;
        let free = exports
            .get_typed_function(&store, FREE_EXPORT)
            .map_err(|err| bad(FREE_EXPORT, err.to_string()))?;
        let plugin_exports = functions
            .iter()
            .map(|function| {
                let name = function_export_name(&function.name);
                exports.get_typed_function(&store, &name).map_err(|err| {
                    bad(
                        &name,
                        format!("{err} (the metadata lists function `{}`)", function.name),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let slot = match exports
            .get_global(SLOT_EXPORT)
            .map_err(|err| bad(SLOT_EXPORT, err.to_string()))?
            .get(&mut store)
        {
            Value::I32(address) => address as u32 as u64,
            other => {
                return Err(bad(
                    SLOT_EXPORT,
                    format!("expected an i32 global, found {:?}", other.ty()),
                ));
            }
        };
        let memory_size = memory.view(&store).data_size();
        if slot + SLOT_SIZE as u64 > memory_size {
            return Err(bad(
                SLOT_EXPORT,
                format!("slot address {slot} lies outside the {memory_size}-byte memory"),
            ));
        }
        Ok(Live {
            store,
            memory,
            alloc,
            free,
            exports: plugin_exports,
            slot,
            input: None,
        })
    }

    /// Calls export `index` with `input` and hands the output bytes of a
    /// successful call to `decode`, straight from guest memory.
    pub(crate) fn call<T>(
        &mut self,
        index: usize,
        function: &str,
        input: &[u8],
        limits: &Limits,
        decode: impl FnOnce(&[u8]) -> Result<T, Error>,
    ) -> Result<T, CallError> {
        let (ptr, len) = self.write_input(function, input)?;
        let returned = match self.exports[index].call(&mut self.store, ptr, len) {
            Ok(returned) => returned,
            Err(trap) => return Err(CallError::Poisoned(self.trap_error(function, trap, limits))),
        };

        let view = self.memory.view(&self.store);
        let memory_size = view.data_size();
        let mut slot = [0u8; SLOT_SIZE];
        // The slot was checked against the memory at instantiation, and
        // memory never shrinks, so this read does not fail in practice.
        view.read(self.slot, &mut slot)
            .map_err(|err| poisoned_output(function, format!("could not read the slot: {err}")))?;
        let out_len = word(&slot, SLOT_LEN_OFFSET) as u64;
        let status = word(&slot, SLOT_STATUS_OFFSET);
        if out_len > limits.max_output_bytes {
            return Err(CallError::Poisoned(Error::OutputTooLarge {
                function: function.to_owned(),
                len: out_len,
                limit: limits.max_output_bytes,
            }));
        }
        let start = returned as u64;
        if start + out_len > memory_size {
            return Err(poisoned_output(
                function,
                format!(
                    "{out_len} bytes at address {start} lie outside the {memory_size}-byte memory"
                ),
            ));
        }
        // SAFETY: the slice lives while `view` borrows the store, during
        // which no wasm code runs and the memory cannot grow or change; the
        // memory is not shared with other threads. Bounds were checked above.
        let memory = unsafe { view.data_unchecked() };
        let output = &memory[start as usize..(start + out_len) as usize];
        match Status::from_code(status) {
            Some(Status::Ok) => decode(output).map_err(CallError::Recoverable),
            Some(Status::DecodeError) => Err(CallError::Recoverable(Error::GuestDecode {
                function: function.to_owned(),
                message: String::from_utf8_lossy(output).into_owned(),
            })),
            Some(Status::EncodeError) => Err(CallError::Recoverable(Error::GuestEncode {
                function: function.to_owned(),
                message: String::from_utf8_lossy(output).into_owned(),
            })),
            Some(Status::Panic) | None => Err(poisoned_output(
                function,
                format!("the slot holds status {status}, which a returning call cannot report"),
            )),
        }
    }

    /// Copies `input` into the reusable input buffer, growing it through
    /// the guest's allocator when it is too small. An empty input is passed
    /// as `(0, 0)` without touching the allocator.
    fn write_input(&mut self, function: &str, input: &[u8]) -> Result<(u32, u32), CallError> {
        if input.is_empty() {
            return Ok((0, 0));
        }
        let alloc_error = |reason: String| {
            CallError::Poisoned(Error::GuestAlloc {
                function: function.to_owned(),
                len: input.len() as u64,
                reason,
            })
        };
        // The caller checked the input limit, which is far below 4 GiB.
        let len = input.len() as u32;
        let buffer = match self.input {
            Some(buffer) if buffer.capacity >= len => buffer,
            previous => {
                if let Some(old) = previous {
                    self.input = None;
                    self.free
                        .call(&mut self.store, old.ptr, old.capacity)
                        .map_err(|trap| {
                            alloc_error(format!("its free export trapped: {}", trap.message()))
                        })?;
                }
                let capacity = len
                    .checked_next_power_of_two()
                    .unwrap_or(len)
                    .max(MIN_INPUT_CAPACITY);
                let ptr = self.alloc.call(&mut self.store, capacity).map_err(|trap| {
                    alloc_error(format!("its alloc export trapped: {}", trap.message()))
                })?;
                if ptr == 0 {
                    return Err(alloc_error(format!(
                        "its alloc export returned 0 for {capacity} bytes (out of memory)"
                    )));
                }
                let memory_size = self.memory.view(&self.store).data_size();
                if ptr as u64 + capacity as u64 > memory_size {
                    return Err(alloc_error(format!(
                        "its alloc export returned address {ptr} for {capacity} bytes, outside the {memory_size}-byte memory"
                    )));
                }
                let buffer = InputBuffer { ptr, capacity };
                self.input = Some(buffer);
                buffer
            }
        };
        self.memory
            .view(&self.store)
            .write(buffer.ptr as u64, input)
            .map_err(|err| alloc_error(format!("writing the input failed: {err}")))?;
        Ok((buffer.ptr, len))
    }

    /// The error for a call that trapped: a panic when the guest's panic
    /// hook filled the slot first, any other trap otherwise.
    fn trap_error(&self, function: &str, trap: RuntimeError, limits: &Limits) -> Error {
        if let Some(message) = self.panic_message(limits) {
            return Error::Panic {
                function: function.to_owned(),
                message,
            };
        }
        let message = trap.message();
        Error::Trap {
            function: function.to_owned(),
            message,
            code: trap.to_trap().map(|code| code.to_string()),
        }
    }

    fn panic_message(&self, limits: &Limits) -> Option<String> {
        let view = self.memory.view(&self.store);
        let mut slot = [0u8; SLOT_SIZE];
        view.read(self.slot, &mut slot).ok()?;
        if Status::from_code(word(&slot, SLOT_STATUS_OFFSET)) != Some(Status::Panic) {
            return None;
        }
        let len = (word(&slot, SLOT_LEN_OFFSET) as u64).min(limits.max_output_bytes);
        let ptr = word(&slot, SLOT_PTR_OFFSET) as u64;
        let mut message = vec![0; len as usize];
        match view.read(ptr, &mut message) {
            Ok(()) => Some(String::from_utf8_lossy(&message).into_owned()),
            Err(_) => Some(format!(
                "its message ({len} bytes at address {ptr}) lies outside memory"
            )),
        }
    }

    /// Bytes of guest memory, for tests of the contract's "a call leaks
    /// nothing" promise.
    pub(crate) fn memory_size(&self) -> u64 {
        self.memory.view(&self.store).data_size()
    }
}

/// The little-endian `u32` at `offset` of the slot.
fn word(slot: &[u8; SLOT_SIZE], offset: usize) -> u32 {
    u32::from_le_bytes([
        slot[offset],
        slot[offset + 1],
        slot[offset + 2],
        slot[offset + 3],
    ])
}

fn poisoned_output(function: &str, reason: String) -> CallError {
    CallError::Poisoned(Error::BadOutput {
        function: function.to_owned(),
        reason,
    })
}
