//! Hand-made module bytes for the probes: LEB128, sections, and the
//! metadata records that make a module a plugin.

use wasmer_plugin_host::FunctionRecord;

/// Metadata records for `names`, each a bincode `() -> ()` function.
pub fn metadata(names: &[&str]) -> Vec<u8> {
    names
        .iter()
        .flat_map(|name| {
            FunctionRecord {
                name: (*name).into(),
                codec: "bincode".into(),
                args: "()".into(),
                ret: "()".into(),
            }
            .to_bytes()
        })
        .collect()
}

/// Appends `value` as unsigned LEB128.
pub fn leb(out: &mut Vec<u8>, mut value: u32) {
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

/// Appends a section of kind `id`.
pub fn section(wasm: &mut Vec<u8>, id: u8, payload: &[u8]) {
    wasm.push(id);
    leb(wasm, payload.len() as u32);
    wasm.extend_from_slice(payload);
}

/// Appends a custom section `name` holding `data`.
pub fn custom_section(wasm: &mut Vec<u8>, name: &str, data: &[u8]) {
    let mut payload = Vec::new();
    leb(&mut payload, name.len() as u32);
    payload.extend_from_slice(name.as_bytes());
    payload.extend_from_slice(data);
    section(wasm, 0, &payload);
}
