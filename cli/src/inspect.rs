//! `wasmer-plugin inspect`: what a plugin declares, read from its
//! metadata, and the types of its functions, read from the schemas it
//! exports (which takes compiling it and running its schema exports once).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;
use wasmer_plugin_host::{
    ABI_VERSION, Bincode, FunctionRecord, FunctionSchema, Host, Schema, plugin_functions,
    plugin_imports,
};

/// Each function's schema by name, or why none could be read.
fn schemas(wasm: &[u8]) -> Result<BTreeMap<String, FunctionSchema>, String> {
    // The host's codec does not matter: nothing is called but the schema
    // exports.
    let host = Host::<Bincode>::new(wasm).map_err(|err| match &err {
        wasmer_plugin_host::Error::MissingHostFunctions { .. } => {
            "the plugin imports host functions, which this command does not provide".to_owned()
        }
        _ => err.report().to_string(),
    })?;
    Ok(host
        .functions()
        .iter()
        .map(|function| {
            let schema = host
                .schema(&function.name)
                .expect("a listed function")
                .clone();
            (function.name.clone(), schema)
        })
        .collect())
}

/// One side of a schema for `--json`: its text and JSON Schema, or why it
/// is not described.
fn side_json(side: &Result<Schema, String>) -> serde_json::Value {
    match side {
        Ok(schema) => json!({
            "type": schema.to_string(),
            "json_schema": crate::json_schema::of(schema),
        }),
        Err(reason) => json!({ "not_described": reason }),
    }
}

pub(crate) fn run(path: &Path, as_json: bool) -> Result<(), String> {
    let wasm = crate::read_plugin(path)?;
    let mut functions =
        plugin_functions(&wasm).map_err(|err| format!("{}: {}", path.display(), err.report()))?;
    let mut imports =
        plugin_imports(&wasm).map_err(|err| format!("{}: {}", path.display(), err.report()))?;
    // The metadata's order is the linker's; by name is the reader's.
    functions.sort_by(|a, b| a.name.cmp(&b.name));
    imports.sort_by(|a, b| a.name.cmp(&b.name));
    let schemas = schemas(&wasm);
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
        let mut described = records(&functions);
        for (record, function) in described.iter_mut().zip(&functions) {
            record["schema"] = match &schemas {
                Ok(schemas) => json!({
                    "args": side_json(&schemas[&function.name].args),
                    "ret": side_json(&schemas[&function.name].ret),
                }),
                Err(reason) => json!({ "not_read": reason }),
            };
        }
        let report = json!({
            "abi_version": ABI_VERSION,
            "size_bytes": wasm.len(),
            "functions": described,
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
    let indent = |text: String| text.replace('\n', "\n        ");
    for function in &functions {
        println!(
            "    {}({}) -> {}  [{}]",
            function.name, function.args, function.ret, function.codec
        );
        if let Ok(schemas) = &schemas {
            let schema = &schemas[&function.name];
            for (side, described) in [("arguments", &schema.args), ("returns", &schema.ret)] {
                match described {
                    Ok(schema) => println!("      {side}: {}", indent(schema.to_string())),
                    Err(reason) => println!("      {side}: not checked: {reason}"),
                }
            }
        }
    }
    if let Err(reason) = &schemas {
        println!("  types not read: {reason}");
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
