//! The SQL example end to end, as `cargo run -p sql-udf-host` runs it:
//! the binary builds its plugin, runs its queries, and checks its own
//! answer (a wrong one fails it).

use std::process::Command;

#[test]
fn the_example_runs_end_to_end() {
    let output = Command::new(env!("CARGO_BIN_EXE_sql-udf-host"))
        .output()
        .expect("the example runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the example failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("SQL functions from"), "{stdout}");
    assert!(stdout.contains("clean_email"), "{stdout}");
    assert!(stdout.contains("as expected: "), "{stdout}");
}
