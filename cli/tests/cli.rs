//! The `wasmer-plugin` binary run as a user runs it: against the test
//! plugins (built from `tests/plugins`), and on a crate it creates.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const BIN: &str = env!("CARGO_BIN_EXE_wasmer-plugin");

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `.wasm` file of test plugin `name`, the test plugins built once.
fn test_plugin(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let root = workspace();
        wasmer_plugin_build::build(
            &root.join("tests/plugins/Cargo.toml"),
            &root.join("target/test-plugins"),
        )
        .unwrap_or_else(|err| panic!("{err}"))
    });
    wasmer_plugin_build::wasm_file(dir, name)
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("running {BIN}: {err}"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn path_arg(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// `output` succeeded and printed `expected` (trimmed).
fn assert_prints(output: &Output, expected: &str) {
    assert!(output.status.success(), "{}", stderr(output));
    assert_eq!(stdout(output).trim(), expected);
}

/// `output` failed with exit status 1 and an error containing `says`.
fn assert_fails(output: &Output, says: &str) {
    assert_eq!(output.status.code(), Some(1), "{}", stdout(output));
    let message = stderr(output);
    assert!(message.starts_with("error: "), "{message}");
    assert!(message.contains(says), "{message}");
}

#[test]
fn inspect_lists_the_functions_as_the_snapshot_says() {
    let plugin = test_plugin("mixed-plugin");
    let output = run(&["inspect", path_arg(&plugin)]);
    assert!(output.status.success(), "{}", stderr(&output));
    // The path and the size change with the build; the rest must not.
    let size = std::fs::metadata(&plugin).unwrap().len();
    let text = stdout(&output)
        .replace(path_arg(&plugin), "PLUGIN")
        .replace(&format!("{size} bytes"), "SIZE bytes");
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/inspect_mixed.txt");
    if std::env::var_os("WASMER_PLUGIN_BLESS").is_some() {
        std::fs::write(&snapshot, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_else(|err| {
        panic!(
            "{}: {err} (bless with WASMER_PLUGIN_BLESS=1)",
            snapshot.display()
        )
    });
    assert_eq!(
        text, expected,
        "bless with WASMER_PLUGIN_BLESS=1 after a deliberate change"
    );
}

#[test]
fn inspect_speaks_json_for_machines() {
    let plugin = test_plugin("json-plugin");
    let output = run(&["inspect", "--json", path_arg(&plugin)]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["abi_version"], wasmer_plugin_host::ABI_VERSION);
    assert_eq!(report["imports"], serde_json::json!([]));
    assert_eq!(
        report["size_bytes"],
        std::fs::metadata(&plugin).unwrap().len()
    );
    let double = report["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|function| function["name"] == "double")
        .expect("double is listed");
    assert_eq!(
        *double,
        serde_json::json!({"name": "double", "codec": "json", "args": "i64", "ret": "i64"})
    );
}

#[test]
fn inspect_lists_the_host_functions_a_plugin_imports() {
    let plugin = test_plugin("host-calls-postcard");
    let output = run(&["inspect", "--json", path_arg(&plugin)]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let imports = report["imports"].as_array().unwrap();
    assert_eq!(imports.len(), 10, "{imports:?}");
    assert_eq!(
        imports[0],
        serde_json::json!({"name": "add", "codec": "postcard", "args": "u64", "ret": "u64"})
    );
    let text = run(&["inspect", path_arg(&plugin)]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("10 host functions imported:"), "{text}");
    assert!(
        text.contains("    config(&str) -> Option<String>  [postcard]"),
        "{text}"
    );
}

#[test]
fn inspect_gives_the_hosts_errors() {
    let manifest = workspace().join("Cargo.toml");
    assert_fails(
        &run(&["inspect", path_arg(&manifest)]),
        "not a WebAssembly module",
    );
    assert_fails(
        &run(&["inspect", "no-such.wasm"]),
        "could not read no-such.wasm",
    );
}

#[test]
fn call_transcodes_json_for_json_and_msgpack_functions() {
    let json = test_plugin("json-plugin");
    assert_prints(&run(&["call", path_arg(&json), "double", "21"]), "42");
    assert_prints(&run(&["call", path_arg(&json), "answer"]), "42");
    let msgpack = test_plugin("msgpack-plugin");
    assert_prints(
        &run(&[
            "call",
            path_arg(&msgpack),
            "describe",
            r#"["Ada", 36, [1.5, 2.25]]"#,
        ]),
        r#""Ada (36) scored 3.75""#,
    );
    // A byte buffer answered as MessagePack `bin` shows as JSON's bytes.
    assert_prints(
        &run(&["call", path_arg(&msgpack), "reverse_bytes", "[1, 2, 255]"]),
        "[\n  255,\n  2,\n  1\n]",
    );
    assert_prints(
        &run(&["call", path_arg(&msgpack), "divide", "[7, 0]"]),
        "{\n  \"Err\": {\n    \"DivideByZero\": {\n      \"dividend\": 7\n    }\n  }\n}",
    );
}

#[test]
fn call_reports_what_went_wrong() {
    let json = test_plugin("json-plugin");
    assert_fails(
        &run(&["call", path_arg(&json), "fail", r#""boom""#]),
        "plugin function `fail` panicked",
    );
    assert_fails(
        &run(&["call", path_arg(&json), "double", "twenty"]),
        "not JSON",
    );
    assert_fails(
        &run(&["call", path_arg(&json), "triple", "1"]),
        "no function `triple`",
    );
    assert_fails(
        &run(&["call", path_arg(&json), "double", r#""text""#]),
        "rejected its arguments",
    );
    assert_fails(
        &run(&[
            "call",
            "--fuel",
            "1000",
            path_arg(&json),
            "digest",
            &format!("[{}]", "7,".repeat(10_000) + "7"),
        ]),
        "ran out of fuel",
    );
    let bincode = test_plugin("bincode-plugin");
    assert_fails(
        &run(&["call", path_arg(&bincode), "double", "21"]),
        "uses the bincode codec, which does not describe itself",
    );
    // A command line clap refuses is status 2.
    assert_eq!(run(&["call"]).status.code(), Some(2));
}

#[test]
fn new_makes_a_crate_that_tests_builds_and_answers() {
    let dir = std::env::temp_dir().join(format!("wasmer-plugin-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let in_dir = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", dir.join("target"))
            .output()
            .unwrap()
    };
    let created = in_dir(&["new", "hello-plugin"]);
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(
        stdout(&created).contains("Host::<Json>::new"),
        "{}",
        stdout(&created)
    );
    assert_fails(&in_dir(&["new", "hello-plugin"]), "already exists");
    assert_fails(&in_dir(&["new", "9lives"]), "is not a crate name");

    // The template's native unit test passes.
    let crate_dir = dir.join("hello-plugin");
    let tested = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["test", "--quiet", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", dir.join("native"))
        .output()
        .unwrap();
    assert!(tested.status.success(), "{}", stderr(&tested));

    let built = in_dir(&["build", "hello-plugin"]);
    assert!(built.status.success(), "{}", stderr(&built));
    let wasm = stdout(&built).trim().to_owned();
    assert!(wasm.ends_with("hello_plugin.wasm"), "{wasm}");
    assert_prints(
        &in_dir(&["call", &wasm, "greet", r#"["wasm", 2]"#]),
        r#""Hello, wasm! Hello, wasm!""#,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
