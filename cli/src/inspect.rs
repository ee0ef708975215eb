//! `wasmer-plugin inspect`: what a plugin declares, read from its
//! metadata, and the types of its functions, read from the schemas it
//! exports (which takes compiling it and running its schema exports once).

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::IgnoredAny;
use serde_json::json;
use wasmer_plugin_host::{
    ABI_VERSION, Bincode, Clock, FunctionRecord, FunctionSchema, Host, HostContext, Json, MsgPack,
    Postcard, Randomness, Schema, plugin_capabilities, plugin_functions, plugin_imports,
};

/// The schemas a plugin exports, by name: its functions' and its host
/// functions'.
struct Schemas {
    functions: BTreeMap<String, FunctionSchema>,
    host_functions: BTreeMap<String, FunctionSchema>,
}

/// A host function standing in for one the plugin imports: nothing is
/// called but the schema exports, which call no host function.
fn stand_in(_: &mut HostContext<'_, ()>, _: IgnoredAny) -> Result<(), &'static str> {
    Err("`wasmer-plugin inspect` provides no host functions")
}

/// Reads the schemas by instantiating the plugin once, with a stand-in
/// for each host function it imports (which takes any argument, so that
/// it is not checked against the plugin's).
fn schemas(wasm: &[u8], imports: &[FunctionRecord]) -> Result<Schemas, String> {
    // The host's codec does not matter: nothing is called but the schema
    // exports.
    // Every capability is granted: nothing reads the clock or draws a
    // byte but the plugin's start function, if it has one.
    let mut builder = Host::<Bincode>::builder()
        .grant_clock(Clock::system())
        .grant_randomness(Randomness::system());
    for import in imports {
        let name = &*import.name;
        builder = match &*import.codec {
            "bincode" => builder.try_host_fn_in::<Bincode, _, _, _, _>(name, stand_in),
            "postcard" => builder.try_host_fn_in::<Postcard, _, _, _, _>(name, stand_in),
            "msgpack" => builder.try_host_fn_in::<MsgPack, _, _, _, _>(name, stand_in),
            "json" => builder.try_host_fn_in::<Json, _, _, _, _>(name, stand_in),
            // Refused by `build` below, naming the codec.
            _ => builder,
        };
    }
    let host = builder
        .build(wasm)
        .map_err(|err| err.report().to_string())?;
    let functions = host
        .functions()
        .iter()
        .map(|function| {
            let schema = host
                .schema(&function.name)
                .expect("a listed function")
                .clone();
            (function.name.clone(), schema)
        })
        .collect();
    let host_functions = host
        .plugin()
        .host_function_schemas()
        .unwrap_or_default()
        .iter()
        .cloned()
        .collect();
    Ok(Schemas {
        functions,
        host_functions,
    })
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
    let capabilities = plugin_capabilities(&wasm)
        .map_err(|err| format!("{}: {}", path.display(), err.report()))?;
    let schemas = schemas(&wasm, &imports);
    if as_json {
        let with_schemas =
            |records: &[FunctionRecord],
             pick: fn(&Schemas) -> &BTreeMap<String, FunctionSchema>| {
                let mut described = Vec::new();
                for record in records {
                    let mut json = json!({
                        "name": record.name,
                        "codec": record.codec,
                        "args": record.args,
                        "ret": record.ret,
                    });
                    json["schema"] = match &schemas {
                        Ok(schemas) => match pick(schemas).get(&record.name) {
                            Some(schema) => json!({
                                "args": side_json(&schema.args),
                                "ret": side_json(&schema.ret),
                            }),
                            None => json!({ "not_read": NOT_IMPORTED }),
                        },
                        Err(reason) => json!({ "not_read": reason }),
                    };
                    described.push(json);
                }
                described
            };
        let report = json!({
            "abi_version": ABI_VERSION,
            "size_bytes": wasm.len(),
            "capabilities": capabilities,
            "functions": with_schemas(&functions, |schemas| &schemas.functions),
            "imports": with_schemas(&imports, |schemas| &schemas.host_functions),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("JSON values print")
        );
        return Ok(());
    }
    println!("{}", path.display());
    println!("  ABI version {ABI_VERSION}, {} bytes", wasm.len());
    match capabilities.as_slice() {
        [] => println!("  capabilities: none"),
        asked => println!("  capabilities: {}", asked.join(", ")),
    }
    let plural = if functions.len() == 1 { "" } else { "s" };
    println!("  {} function{plural}:", functions.len());
    for function in &functions {
        println!(
            "    {}({}) -> {}  [{}]",
            function.name, function.args, function.ret, function.codec
        );
        if let Ok(schemas) = &schemas {
            print_schema(&schemas.functions[&function.name], "returns");
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
            if let Ok(schemas) = &schemas {
                match schemas.host_functions.get(&import.name) {
                    Some(schema) => print_schema(schema, "reply"),
                    None => println!("      not checked: {NOT_IMPORTED}"),
                }
            }
        }
    }
    Ok(())
}

/// Why a declared host function has no schema: the module does not import
/// it, so it is never called.
const NOT_IMPORTED: &str = "the module does not import it (the plugin never calls it)";

/// A function's two sides, indented under its line.
fn print_schema(schema: &FunctionSchema, returned: &str) {
    let indent = |text: String| text.replace('\n', "\n        ");
    for (side, described) in [("arguments", &schema.args), (returned, &schema.ret)] {
        match described {
            Ok(schema) => println!("      {side}: {}", indent(schema.to_string())),
            Err(reason) => println!("      {side}: not checked: {reason}"),
        }
    }
}
