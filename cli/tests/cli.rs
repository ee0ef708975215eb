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
    assert_eq!(report["capabilities"], serde_json::json!([]));
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
    let i64_side = serde_json::json!({
        "type": "i64",
        "json_schema": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "integer",
            "minimum": i64::MIN,
            "maximum": i64::MAX,
        },
    });
    assert_eq!(
        *double,
        serde_json::json!({
            "name": "double", "codec": "json", "args": "i64", "ret": "i64",
            "schema": { "args": i64_side, "ret": i64_side },
        })
    );
    // A struct's JSON Schema names its fields and which are required; an
    // undescribed side says why.
    let function = |name: &str| {
        report["functions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|function| function["name"] == name)
            .unwrap_or_else(|| panic!("{name} is listed"))
            .clone()
    };
    let settings = &function("configure")["schema"]["args"]["json_schema"];
    assert_eq!(settings["$ref"], "#/$defs/Settings");
    assert_eq!(
        settings["$defs"]["Settings"]["required"],
        serde_json::json!(["name"])
    );
    assert_eq!(
        settings["$defs"]["Settings"]["properties"]["comment"],
        serde_json::json!({"anyOf": [{"type": "string"}, {"type": "null"}]})
    );
    let opaque = function("opaque");
    assert!(
        opaque["schema"]["ret"]["not_described"]
            .as_str()
            .unwrap()
            .contains("Deserialize"),
        "{opaque}"
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
    for (key, value) in [
        ("name", "add"),
        ("codec", "postcard"),
        ("args", "u64"),
        ("ret", "u64"),
    ] {
        assert_eq!(imports[0][key], value, "{key}: {}", imports[0]);
    }
    // The stand-ins inspect links let the plugin's schemas be read: what
    // it sends each host function and reads back.
    assert_eq!(
        imports[0]["schema"]["args"]["type"], "u64",
        "{}",
        imports[0]
    );
    assert_eq!(imports[0]["schema"]["ret"]["type"], "u64", "{}", imports[0]);
    let text = run(&["inspect", path_arg(&plugin)]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("10 host functions imported:"), "{text}");
    assert!(
        text.contains(
            "    config(&str) -> Option<String>  [postcard]\n      arguments: String\n      reply: Option<String>\n"
        ),
        "{text}"
    );
    assert!(!text.contains("types not read"), "{text}");
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
fn call_builds_bincode_and_postcard_values_by_the_schemas() {
    for name in ["bincode-plugin", "postcard-plugin"] {
        let plugin = test_plugin(name);
        let path = path_arg(&plugin);
        assert_prints(&run(&["call", path, "double", "21"]), "42");
        assert_prints(&run(&["call", path, "answer"]), "42");
        assert_prints(
            &run(&["call", path, "repeat", r#"["ab", 3]"#]),
            r#""ababab""#,
        );
        let shifted: serde_json::Value = serde_json::from_str(&stdout(&run(&[
            "call",
            path,
            "shift",
            r#"{"x": 1, "y": 2}"#,
        ])))
        .unwrap();
        assert_eq!(shifted, serde_json::json!({"x": 2, "y": 12}), "{name}");
        // Enums as serde_json writes them, and `Option` fields left out.
        let divided: serde_json::Value =
            serde_json::from_str(&stdout(&run(&["call", path, "divide", "[7, 0]"]))).unwrap();
        assert_eq!(
            divided,
            serde_json::json!({"Err": {"DivideByZero": {"dividend": 7}}}),
            "{name}"
        );
        let kind: serde_json::Value =
            serde_json::from_str(&stdout(&run(&["call", path, "kind_of", "3"]))).unwrap();
        assert_eq!(kind, serde_json::json!({"Square": {"side": 3}}), "{name}");
        assert_prints(&run(&["call", path, "kind_size", r#"{"Circle": 5}"#]), "5");
        let settings: serde_json::Value = serde_json::from_str(&stdout(&run(&[
            "call",
            path,
            "configure",
            r#"{"name": "n", "retries": 1}"#,
        ])))
        .unwrap();
        assert_eq!(
            settings,
            serde_json::json!({"name": "n", "retries": 2, "comment": null}),
            "{name}"
        );
        assert_prints(
            &run(&["call", path, "checksum", "[1, 2, 3]"]),
            &wasmer_plugin_tests_checksum(&[1, 2, 3]).to_string(),
        );
        assert_fails(
            &run(&["call", path, "kind_size", r#"{"Triangle": 5}"#]),
            "`Kind` has no variant `Triangle`; it has Circle, Square",
        );
        assert_fails(
            &run(&["call", path, "shift", r#"{"x": 1}"#]),
            "missing field `y`",
        );
    }
}

/// The test plugins' checksum (FNV-1a).
fn wasmer_plugin_tests_checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ byte as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

#[test]
fn call_runs_a_pipeline_of_stages() {
    let (bincode, mixed, json) = (
        test_plugin("bincode-plugin"),
        test_plugin("mixed-plugin"),
        test_plugin("json-plugin"),
    );
    let stage = |plugin: &Path, function: &str| format!("{}:{function}", plugin.display());
    // via_bincode(4) = 5, kind_of(5) = Square { side: 5 }, kind_size = 5.
    assert_prints(
        &run(&[
            "call",
            &stage(&mixed, "via_bincode"),
            &stage(&bincode, "kind_of"),
            &stage(&bincode, "kind_size"),
            "4",
        ]),
        "5",
    );
    let order = r#"{"id": 7, "customer": {"name": "Ada", "email": null},
        "lines": [{"sku": "X-1", "quantity": 3, "unit_cents": 100}],
        "notes": null, "tags": {}, "priority": "Low"}"#;
    assert_prints(
        &run(&[
            "call",
            &stage(&json, "echo"),
            &stage(&json, "summarize"),
            &stage(&json, "total_of"),
            order,
        ]),
        "300",
    );
    assert_fails(
        &run(&[
            "call",
            &stage(&bincode, "kind_of"),
            &stage(&bincode, "double"),
            "3",
        ]),
        "in the pipeline's 2nd stage, `double`: ",
    );
    assert_fails(
        &run(&[
            "call",
            &stage(&json, "double"),
            &stage(&bincode, "double"),
            "3",
        ]),
        "uses the bincode codec but was called with json",
    );
    assert_fails(
        &run(&["call", &stage(&json, "no_such"), "3"]),
        "has no function `no_such`",
    );
    assert_fails(
        &run(&["call", &stage(&json, "double"), "3", "4"]),
        "`4` follows the arguments",
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
    let unknown = run(&["call", path_arg(&json), "triple", "1"]);
    assert_fails(&unknown, "no function `triple`");
    let message = stderr(&unknown);
    let (_, listed) = message.trim_end().split_once("; it has ").unwrap();
    let listed: Vec<&str> = listed.split(", ").collect();
    assert!(
        listed.len() > 1 && listed.is_sorted(),
        "not sorted: {message}"
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
        &run(&["call", path_arg(&bincode), "double", r#""text""#]),
        "the arguments do not fit `double`'s types (i64)",
    );
    assert_fails(
        &run(&["call", path_arg(&bincode), "opaque", r#""text""#]),
        "its return type is not described",
    );
    // A command line clap refuses is status 2.
    assert_eq!(run(&["call"]).status.code(), Some(2));
}

/// The README's transcript of the command (the first `sh` block of its
/// section "The `wasmer-plugin` command"): each `$ wasmer-plugin` line's
/// arguments, and the lines it shows printed, up to the next `$` (none
/// where the README leaves the output out).
fn readme_transcript() -> Vec<(Vec<String>, Vec<String>)> {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let section = &readme[readme
        .find("## The `wasmer-plugin` command")
        .expect("the README has the command's section")..];
    let block = &section[section.find("```sh\n").expect("a sh block") + 6..];
    let block = &block[..block.find("```").expect("the block ends")];
    let mut transcript: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for line in block.lines() {
        match line.strip_prefix("$ wasmer-plugin ") {
            Some(command) => transcript.push((shell_words(command), Vec::new())),
            None => transcript
                .last_mut()
                .expect("the block starts with a command")
                .1
                .push(line.to_owned()),
        }
    }
    transcript
}

/// The words of a shell command line with single quotes and a trailing
/// `# comment`, as the README writes them.
fn shell_words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quoted, mut in_word) = (Vec::new(), String::new(), false, false);
    for c in line.chars() {
        match c {
            '\'' => (quoted, in_word) = (!quoted, true),
            '#' if !quoted && !in_word => break,
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                }
                in_word = false;
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// Output lines with what differs between machines and builds replaced:
/// the folder the crate was made in (`/home/me/` in the README) and the
/// module's size.
fn comparable(lines: &[String], dir: &Path) -> Vec<String> {
    let dir = format!("{}/", dir.display());
    lines
        .iter()
        .map(|line| {
            let line = line.replace(&dir, "/home/me/");
            match line.split_once("ABI version ") {
                Some((indent, rest)) => {
                    let (version, size) = rest.split_once(", ").unwrap_or((rest, ""));
                    let unit = size.trim_start_matches(|c: char| c.is_ascii_digit());
                    format!("{indent}ABI version {version}, SIZE{unit}")
                }
                None => line,
            }
        })
        .collect()
}

#[test]
fn the_readme_transcript_is_what_the_command_prints() {
    let dir =
        fresh_dir(&std::env::temp_dir().join(format!("wasmer-plugin-cli-{}", std::process::id())));
    let in_dir = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .current_dir(&dir)
            // The crate's own target folder, as for a user.
            .env_remove("CARGO_TARGET_DIR")
            .output()
            .unwrap()
    };
    let transcript = readme_transcript();
    let commands: Vec<&str> = transcript
        .iter()
        .map(|(args, _)| args[0].as_str())
        .collect();
    assert_eq!(
        commands,
        ["new", "build", "inspect", "call"],
        "{transcript:?}"
    );
    for (args, shown) in &transcript {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = in_dir(&args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        if args[0] == "new" {
            assert!(
                stdout(&output).contains("Host::<Json>::new"),
                "{}",
                stdout(&output)
            );
        }
        if shown.is_empty() {
            continue;
        }
        let printed: Vec<String> = stdout(&output).lines().map(str::to_owned).collect();
        assert_eq!(
            comparable(&printed, &dir),
            comparable(shown, &dir),
            "the README's transcript of `wasmer-plugin {}` is not what it prints",
            args.join(" ")
        );
    }

    assert_fails(&in_dir(&["new", "greeter"]), "already exists");
    assert_fails(&in_dir(&["new", "9lives"]), "is not a crate name");
    // The template's native unit test passes.
    let tested = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["test", "--quiet", "--manifest-path"])
        .arg(dir.join("greeter/Cargo.toml"))
        .env("CARGO_TARGET_DIR", dir.join("native"))
        .output()
        .unwrap();
    assert!(tested.status.success(), "{}", stderr(&tested));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn capabilities_are_shown_and_granted_by_flag() {
    let root = workspace();
    let dir = wasmer_plugin_build::build(
        &root.join("tests/capabilities-plugin/Cargo.toml"),
        &root.join("target/test-plugins"),
    )
    .unwrap_or_else(|err| panic!("{err}"));
    let plugin = wasmer_plugin_build::wasm_file(&dir, "capabilities-plugin");
    let output = run(&["inspect", path_arg(&plugin)]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("\n  capabilities: clock, randomness\n"),
        "{}",
        stdout(&output)
    );
    let output = run(&["inspect", "--json", path_arg(&plugin)]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["capabilities"],
        serde_json::json!(["clock", "randomness"])
    );
    // Refused without the flag, which the error names.
    assert_fails(
        &run(&["call", path_arg(&plugin), "new_uuid", "--grant-clock"]),
        "allow it with `--grant-randomness`",
    );
    let output = run(&[
        "call",
        path_arg(&plugin),
        "new_uuid",
        "--grant-clock",
        "--grant-randomness",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let uuid: String = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(uuid.len(), 36, "{uuid}");
}

#[test]
fn new_writes_the_dependency_and_the_flags_it_is_told() {
    let dir = fresh_dir(
        &std::env::temp_dir().join(format!("wasmer-plugin-cli-new-{}", std::process::id())),
    );
    let new = |args: &[&str]| {
        Command::new(BIN)
            .arg("new")
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap()
    };
    let read = |file: &str| std::fs::read_to_string(dir.join(file)).unwrap();

    let output = new(&[
        "by-git",
        "--wasmer-plugin-git",
        "https://example.com/wp.git",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        read("by-git/Cargo.toml")
            .contains(r#"wasmer-plugin = { git = "https://example.com/wp.git", "#),
        "{}",
        read("by-git/Cargo.toml")
    );
    let config = read("by-git/.cargo/config.toml");
    assert!(
        config.contains(
            r#"rustflags = ['--cfg', 'getrandom_backend="custom"', '-Ctarget-feature=+simd128']"#
        ),
        "{config}"
    );

    let output = new(&["by-version", "--wasmer-plugin-version", "0.1", "--no-simd"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(read("by-version/Cargo.toml").contains(r#"wasmer-plugin = { version = "0.1", "#));
    let config = read("by-version/.cargo/config.toml");
    assert!(
        config.contains(r#"rustflags = ['--cfg', 'getrandom_backend="custom"']"#),
        "{config}"
    );

    // One source at a time.
    let output = new(&[
        "both",
        "--wasmer-plugin-git",
        "x",
        "--wasmer-plugin-version",
        "1",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_fails(
        &new(&["nowhere", "--wasmer-plugin-path", "/"]),
        "holds no Cargo.toml",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh, empty folder at `path`, as its canonical path (cargo gives
/// the command canonical paths, which it prints).
fn fresh_dir(path: &Path) -> PathBuf {
    let _ = std::fs::remove_dir_all(path);
    std::fs::create_dir_all(path).unwrap();
    path.canonicalize().unwrap()
}

#[test]
fn readme_command_lines_split_into_their_words() {
    assert_eq!(
        shell_words("call x.wasm greet '[\"wasm\", 2]'   # a comment"),
        ["call", "x.wasm", "greet", "[\"wasm\", 2]"]
    );
    assert_eq!(
        shell_words("new greeter            # a plugin crate"),
        ["new", "greeter"]
    );
}
