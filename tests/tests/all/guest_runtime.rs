//! The guest runtime's soundness, checked with the nightly toolchain
//! where it has what the check needs: the unit tests of a plugin crate
//! (`tests/native-guest`), which call host functions from many threads,
//! under Miri, which reports any data race or undefined behaviour; and a
//! wasm32 build with the `atomics` target feature, which must be refused.
//!
//! Without nightly (the README's commands need only the pinned toolchain)
//! each says so and passes; in CI (`CI` set) a missing tool fails, unless
//! `.ci/run` could not install it and said why in
//! `WASMER_PLUGIN_NO_NIGHTLY`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `cargo +nightly` with `args`, in the workspace, without what the
/// enclosing cargo run set for itself.
fn nightly_cargo(args: &[&str]) -> Command {
    let mut command = Command::new("cargo");
    command.arg("+nightly").args(args).current_dir(workspace());
    for var in [
        "RUSTUP_TOOLCHAIN",
        "CARGO",
        "CARGO_TARGET_DIR",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
    ] {
        command.env_remove(var);
    }
    command
}

fn run(mut command: Command) -> Output {
    command
        .output()
        .unwrap_or_else(|err| panic!("running {command:?}: {err}"))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Whether `what` can run, by `probe`'s answer: `Err` says why not, which
/// skips the check, or fails it in CI.
fn available(what: &str, probe: Result<(), String>) -> bool {
    let Err(why) = probe else {
        return true;
    };
    let install = "rustup toolchain install nightly --component miri,rust-src --target wasm32-unknown-unknown";
    if std::env::var_os("CI").is_some() && std::env::var_os("WASMER_PLUGIN_NO_NIGHTLY").is_none() {
        panic!("{what} needs nightly with it ({install}); CI must install it: {why}");
    }
    let reason = std::env::var("WASMER_PLUGIN_NO_NIGHTLY").unwrap_or(why);
    eprintln!(
        "skipping {what}: it needs nightly ({install}): {}",
        reason.trim()
    );
    false
}

/// Whether nightly cargo runs `args` successfully.
fn nightly_runs(args: &[&str]) -> Result<(), String> {
    match nightly_cargo(args).output() {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(text(&output)),
        Err(err) => Err(err.to_string()),
    }
}

/// Whether nightly has the wasm32 target's standard library.
fn nightly_has_wasm32() -> Result<(), String> {
    let output = Command::new("rustup")
        .args(["target", "list", "--installed", "--toolchain", "nightly"])
        .output()
        .map_err(|err| format!("running rustup: {err}"))?;
    let installed = String::from_utf8_lossy(&output.stdout);
    if output.status.success()
        && installed
            .lines()
            .any(|line| line.trim() == "wasm32-unknown-unknown")
    {
        Ok(())
    } else {
        Err(format!(
            "nightly's targets: {installed}{}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

#[test]
fn the_native_guest_tests_pass_under_miri() {
    if !available(
        "the Miri run of tests/native-guest",
        nightly_runs(&["miri", "--version"]),
    ) {
        return;
    }
    let target_dir = workspace().join("target/miri");
    let mut command = nightly_cargo(&[
        "miri",
        "test",
        "--locked",
        "-p",
        "wasmer-plugin-native-guest",
    ]);
    command.arg("--target-dir").arg(&target_dir);
    // Data races and leaks are Miri's default checks; isolation stays on.
    command.env("MIRIFLAGS", "-Zmiri-strict-provenance");
    let output = run(command);
    let log = text(&output);
    assert!(output.status.success(), "cargo miri test failed:\n{log}");
    assert!(
        log.contains("host_functions_called_from_many_threads_share_nothing ... ok"),
        "{log}"
    );
}

#[test]
fn a_wasm32_build_with_atomics_is_refused() {
    // Stable rustc neither builds a threaded wasm32 std nor sets the
    // `atomics` cfg; nightly does both, which is where the refusal counts.
    if !available("the atomics build check", nightly_has_wasm32()) {
        return;
    }
    let target_dir = workspace().join("target/atomics-check");
    let mut command = nightly_cargo(&[
        "check",
        "--locked",
        "-p",
        "wasmer-plugin",
        "--target",
        "wasm32-unknown-unknown",
    ]);
    command
        .arg("--target-dir")
        .arg(&target_dir)
        .env("RUSTFLAGS", "-C target-feature=+atomics");
    let output = run(command);
    let log = text(&output);
    assert!(!output.status.success(), "the atomics build passed:\n{log}");
    assert!(
        log.contains("wasmer-plugin guests are single-threaded"),
        "{log}"
    );
}
