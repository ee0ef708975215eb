//! The bundled example end to end, as the README's `cargo run -p
//! simple-host` runs it: the binary builds its plugin, calls it, and
//! checks its own answers (a wrong one fails it).

use std::process::Command;

#[test]
fn the_example_runs_end_to_end() {
    let output = Command::new(env!("CARGO_BIN_EXE_simple-host"))
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the example failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(r#"double((21, "wasm ")) = (42, "wasm wasm ")"#),
        "{stdout}"
    );
    assert!(stdout.contains("as expected: "), "{stdout}");
}
