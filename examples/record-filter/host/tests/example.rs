//! The host-functions example end to end, as `cargo run -p
//! record-filter-host` runs it: the binary builds its plugin, configures
//! it through host functions and checks what it keeps and logs.

use std::process::Command;

#[test]
fn the_example_runs_end_to_end() {
    let output = Command::new(env!("CARGO_BIN_EXE_record-filter-host"))
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the example failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("kept records [1, 4]"), "{stdout}");
    assert!(stdout.contains("the plugin logged 7 lines"), "{stdout}");
}
