//! Helpers for the end-to-end tests: the test plugins in `plugins/`, built
//! from source for wasm32 once per test binary.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use wasmer_plugin_tests_common as common;

/// The bytes of test plugin crate `crate_name` (see `plugins/Cargo.toml`).
///
/// The first call builds every test plugin; a failed build fails every
/// test that needs a plugin, with cargo's output.
pub fn plugin(crate_name: &str) -> Vec<u8> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let wasm_dir = BUILT
        .get_or_init(|| {
            let here = Path::new(env!("CARGO_MANIFEST_DIR"));
            let target_dir = here.join("../target/test-plugins");
            wasmer_plugin_build::build(&here.join("plugins/Cargo.toml"), &target_dir)
                .map_err(|err| err.to_string())
        })
        .as_ref()
        .unwrap_or_else(|err| panic!("{err}"));
    let file = wasmer_plugin_build::wasm_file(wasm_dir, crate_name);
    std::fs::read(&file).unwrap_or_else(|err| panic!("reading {}: {err}", file.display()))
}

/// Appends a custom section to a wasm binary, as a toolchain would.
pub fn append_custom_section(wasm: &mut Vec<u8>, name: &str, data: &[u8]) {
    let mut payload = Vec::new();
    leb128(&mut payload, name.len() as u32);
    payload.extend_from_slice(name.as_bytes());
    payload.extend_from_slice(data);
    wasm.push(0); // custom section id
    leb128(wasm, payload.len() as u32);
    wasm.extend_from_slice(&payload);
}

fn leb128(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}
