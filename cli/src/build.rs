//! `wasmer-plugin build`: the plugin build helper, from the command line.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub(crate) fn run(path: &Path) -> Result<(), String> {
    let manifest = if path.is_dir() {
        path.join("Cargo.toml")
    } else {
        path.to_owned()
    };
    if !manifest.is_file() {
        return Err(format!("no Cargo.toml at {}", manifest.display()));
    }
    let (target_dir, libraries) = plugin_libraries(&manifest)?;
    if libraries.is_empty() {
        return Err(format!(
            "{} builds no cdylib: a plugin crate needs `crate-type = [\"cdylib\"]` under [lib]",
            manifest.display()
        ));
    }
    let wasm_dir =
        wasmer_plugin_build::build(&manifest, &target_dir).map_err(|err| err.to_string())?;
    for library in libraries {
        let wasm = wasmer_plugin_build::wasm_file(&wasm_dir, &library);
        if !wasm.is_file() {
            return Err(format!("the build did not write {}", wasm.display()));
        }
        println!("{}", wasm.display());
    }
    Ok(())
}

/// The workspace's target folder and the names of its cdylib libraries,
/// from `cargo metadata`.
fn plugin_libraries(manifest: &Path) -> Result<(PathBuf, Vec<String>), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(manifest)
        .output()
        .map_err(|err| format!("could not run cargo metadata: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed for {}:\n{}",
            manifest.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let metadata: Value = serde_json::from_slice(&output.stdout)
        .map_err(|err| format!("cargo metadata printed something else than JSON: {err}"))?;
    let target_dir = metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or("cargo metadata named no target directory")?;
    let libraries = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|package| package["targets"].as_array().into_iter().flatten())
        .filter(|target| {
            target["crate_types"]
                .as_array()
                .is_some_and(|types| types.iter().any(|kind| kind == "cdylib"))
        })
        .filter_map(|target| target["name"].as_str().map(str::to_owned))
        .collect();
    Ok((target_dir, libraries))
}
