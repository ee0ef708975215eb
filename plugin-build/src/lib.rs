//! Builds plugin crates for `wasm32-unknown-unknown` from a host program,
//! a test or an example, so that no compiled `.wasm` is ever committed.
//!
//! ```no_run
//! let wasm_dir = wasmer_plugin_build::build("plugins/Cargo.toml".as_ref(), "target/plugins".as_ref())?;
//! let wasm = std::fs::read(wasmer_plugin_build::wasm_file(&wasm_dir, "my-plugin"))?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The build runs a nested `cargo build --release` with its own target
//! directory, so that it never waits on the lock of the cargo that runs
//! the caller. Cargo's own locking makes concurrent calls safe.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The target plugins are built for.
pub const TARGET: &str = "wasm32-unknown-unknown";

/// Environment variables of an enclosing cargo run that must not leak into
/// the nested build: they name the outer target dir, native-only flags, or
/// the outer jobserver.
const INHERITED_VARS_TO_DROP: &[&str] = &[
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_TARGET_DIR",
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_MAKEFLAGS",
    "MAKEFLAGS",
    "MFLAGS",
];

/// Builds every crate of the workspace of the manifest at `manifest` in release mode into `target_dir`, and returns the folder
/// holding the `.wasm` files.
///
/// Fails with the nested cargo's output when the build fails.
pub fn build(manifest: &Path, target_dir: &Path) -> io::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(&cargo);
    command
        .arg("build")
        .arg("--release")
        .arg("--target")
        .arg(TARGET)
        .arg("--manifest-path")
        .arg(manifest)
        .arg("--target-dir")
        .arg(target_dir)
        .arg("--workspace");
    for var in INHERITED_VARS_TO_DROP {
        command.env_remove(var);
    }
    let output = command.output().map_err(|err| {
        io::Error::new(
            err.kind(),
            format!("could not run {}: {err}", Path::new(&cargo).display()),
        )
    })?;
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "building the plugins of {} for {TARGET} failed ({}):\n{}",
            manifest.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(target_dir.join(TARGET).join("release"))
}

/// The `.wasm` file of crate `crate_name` in a folder [`build`] returned.
pub fn wasm_file(wasm_dir: &Path, crate_name: &str) -> PathBuf {
    wasm_dir.join(format!("{}.wasm", crate_name.replace('-', "_")))
}
