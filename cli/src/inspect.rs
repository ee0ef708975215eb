//! `wasmer-plugin inspect`: what a plugin declares, read from its
//! metadata without compiling or running it.

use std::path::Path;

use serde_json::json;
use wasmer_plugin_host::{ABI_VERSION, FunctionRecord, plugin_functions, plugin_imports};

pub(crate) fn run(path: &Path, as_json: bool) -> Result<(), String> {
    let wasm = crate::read_plugin(path)?;
    let mut functions =
        plugin_functions(&wasm).map_err(|err| format!("{}: {}", path.display(), err.report()))?;
    let mut imports =
        plugin_imports(&wasm).map_err(|err| format!("{}: {}", path.display(), err.report()))?;
    // The metadata's order is the linker's; by name is the reader's.
    functions.sort_by(|a, b| a.name.cmp(&b.name));
    imports.sort_by(|a, b| a.name.cmp(&b.name));
    if as_json {
        let records = |records: &[FunctionRecord]| -> Vec<serde_json::Value> {
            records
                .iter()
                .map(|record| {
                    json!({
                        "name": record.name,
                        "codec": record.codec,
                        "args": record.args,
                        "ret": record.ret,
                    })
                })
                .collect()
        };
        let report = json!({
            "abi_version": ABI_VERSION,
            "size_bytes": wasm.len(),
            "functions": records(&functions),
            "imports": records(&imports),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("JSON values print")
        );
        return Ok(());
    }
    println!("{}", path.display());
    println!("  ABI version {ABI_VERSION}, {} bytes", wasm.len());
    let plural = if functions.len() == 1 { "" } else { "s" };
    println!("  {} function{plural}:", functions.len());
    for function in &functions {
        println!(
            "    {}({}) -> {}  [{}]",
            function.name, function.args, function.ret, function.codec
        );
    }
    if !imports.is_empty() {
        let plural = if imports.len() == 1 { "" } else { "s" };
        println!("  {} host function{plural} imported:", imports.len());
        for import in &imports {
            println!(
                "    {}({}) -> {}  [{}]",
                import.name, import.args, import.ret, import.codec
            );
        }
    }
    Ok(())
}
