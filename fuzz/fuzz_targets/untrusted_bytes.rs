//! Arbitrary bytes where a plugin controls them: as the metadata section,
//! and as a call's slot, returned pointer and guest memory, decoded by
//! every codec into typed values. The host must return a value or an
//! error, never panic or read out of bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmer_plugin_abi::SLOT_SIZE;
use wasmer_plugin_host::__fuzz::{metadata, reply};
use wasmer_plugin_host::{Bincode, Codec, Json, MsgPack, Postcard};
use wasmer_plugin_tests_common::{Order, Summary};

/// Slot, then the returned pointer; the rest is guest memory.
const HEADER: usize = SLOT_SIZE + 4;

fuzz_target!(|data: &[u8]| {
    let _ = metadata(data);

    let Some((header, memory)) = data.split_first_chunk::<HEADER>() else {
        return;
    };
    let (slot, returned) = header.split_at(SLOT_SIZE);
    let slot: &[u8; SLOT_SIZE] = slot.try_into().unwrap();
    let returned = u32::from_le_bytes(returned.try_into().unwrap());
    // A small output limit, so that the limit check is reached too.
    let max_output = memory.len() as u64 / 2 + 1;
    decode_all::<Bincode>(slot, returned, memory, max_output);
    decode_all::<MsgPack>(slot, returned, memory, max_output);
    decode_all::<Postcard>(slot, returned, memory, max_output);
    decode_all::<Json>(slot, returned, memory, max_output);
});

fn decode_all<C: Codec>(slot: &[u8; SLOT_SIZE], returned: u32, memory: &[u8], max_output: u64) {
    let _ = reply::<C, Order>(slot, returned, memory, max_output);
    let _ = reply::<C, Summary>(slot, returned, memory, max_output);
    let _ = reply::<C, (String, Vec<u8>, Option<i64>)>(slot, returned, memory, max_output);
}
