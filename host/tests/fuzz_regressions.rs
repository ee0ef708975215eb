//! Inputs the fuzz target in `fuzz/` found, replayed through the same
//! entry point. Each once crashed the host.

use wasmer_plugin_host::__fuzz::{metadata, reply};
use wasmer_plugin_host::{Bincode, Error};

/// `crash-c32df24f…`: an output whose bincode length prefix claims a
/// 2^56-byte string; bincode allocated it before reading and the process
/// aborted.
#[test]
fn a_lying_bincode_length_is_a_decode_error() {
    let input: &[u8] = &[
        10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 253, 249, 254, 0, 0, 0, 0, 255, 0, 0, 0,
        0, 10, 202, 202, 202, 202, 3, 0, 202, 202, 202, 202, 202, 202, 0, 0, 0, 0, 0, 8, 0, 0, 0,
        0, 0, 128, 255, 0, 10, 0, 0, 93, 0, 0,
    ];
    assert!(metadata(input).is_err());
    let (slot, rest) = input.split_first_chunk::<12>().unwrap();
    let (returned, memory) = rest.split_first_chunk::<4>().unwrap();
    let (value, panic) = reply::<Bincode, (String, Vec<u8>, Option<i64>)>(
        slot,
        u32::from_le_bytes(*returned),
        memory,
        memory.len() as u64,
    );
    assert!(matches!(value, Err(Error::Decode { .. })), "{value:?}");
    assert_eq!(panic, None);
}
