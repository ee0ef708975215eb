//! Arbitrary bytes decoded by every codec as values of every shape, under
//! the depth limit: see `wasmer_plugin_fuzzing::codec_decode`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(violation) = wasmer_plugin_fuzzing::codec_decode(data) {
        panic!("{violation}");
    }
});
