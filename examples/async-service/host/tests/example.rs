//! The async example end to end, as `cargo run -p async-service` runs it:
//! the binary builds its plugin, serves on 127.0.0.1, sends itself a burst
//! of concurrent requests and checks every answer.

use std::process::Command;

#[test]
fn the_example_serves_a_burst_of_requests() {
    let output = Command::new(env!("CARGO_BIN_EXE_async-service"))
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
        stdout.contains("answered 200 concurrent requests"),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"visits: [("Ada", 40), ("Barbara", 40), ("Grace", 40)]"#),
        "{stdout}"
    );
}
