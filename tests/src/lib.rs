//! Helpers for the end-to-end tests: the test plugins in `plugins/`, built
//! from source for wasm32 once per test binary.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use wasmer_plugin_build::Options;

pub use wasmer_plugin_tests_common as common;

#[cfg(feature = "tracing")]
pub mod recorder;

/// The README's examples, plugins' and hosts', compiled by `cargo test
/// --doc` here, where both sides are dependencies. (As doctests of
/// `wasmer-plugin` they made its UI tests build wasmer a second time.)
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;

/// The bytes of test plugin crate `crate_name` (see `plugins/Cargo.toml`).
///
/// The first call builds every test plugin; a failed build fails every
/// test that needs a plugin, with cargo's output.
pub fn plugin(crate_name: &str) -> Vec<u8> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    built(&BUILT, "plugins", &Options::default(), crate_name)
}

/// The bytes of the plugin that asks for capabilities
/// (`capabilities-plugin/`: uuid over getrandom, the runtime's clock and
/// randomness), built once per test binary. A workspace of its own, as
/// wasmer-plugin's `getrandom` feature would reach every plugin of
/// `plugins/`.
pub fn capabilities_plugin() -> Vec<u8> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let options = Options::default();
    built(
        &BUILT,
        "capabilities-plugin",
        &options,
        "capabilities-plugin",
    )
}

/// The bytes of the json test plugin (`plugins/json`: serde_json and the
/// runtime) built without `--release`: unoptimised, with DWARF, as
/// `cargo build` leaves it. Built once per test binary.
pub fn debug_json_plugin() -> Vec<u8> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let options = Options::default().debug().package("json-plugin");
    built(&BUILT, "plugins", &options, "json-plugin")
}

/// Plugin `crate_name` of the workspace in folder `workspace` (beside this
/// crate's manifest), built as `options` say the first time `cell` is
/// asked, into the shared `target/test-plugins`.
fn built(
    cell: &OnceLock<Result<PathBuf, String>>,
    workspace: &str,
    options: &Options,
    crate_name: &str,
) -> Vec<u8> {
    let wasm_dir = cell
        .get_or_init(|| {
            let here = Path::new(env!("CARGO_MANIFEST_DIR"));
            let manifest = here.join(workspace).join("Cargo.toml");
            let target_dir = here.join("../target/test-plugins");
            wasmer_plugin_build::build_with(&manifest, &target_dir, options)
                .map_err(|err| err.to_string())
        })
        .as_ref()
        .unwrap_or_else(|err| panic!("{err}"));
    let file = wasmer_plugin_build::wasm_file(wasm_dir, crate_name);
    std::fs::read(&file).unwrap_or_else(|err| panic!("reading {}: {err}", file.display()))
}

/// The exports the C plugin's link keeps (`examples/c-plugin/plugin.c`).
const C_PLUGIN_EXPORTS: [&str; 4] = [
    "__wasmer_plugin_alloc",
    "__wasmer_plugin_free",
    "__wasmer_plugin_slot",
    "__wasmer_plugin_fn_add",
];

/// The bytes of the plugin written in C, `examples/c-plugin/plugin.c`,
/// built with clang and lld for wasm32 once per test binary; `None` when
/// those are not installed and this is not CI (`CI` unset), so that the
/// README's test command needs only rustup. In CI, which installs them,
/// their absence fails the test.
pub fn c_plugin() -> Option<Vec<u8>> {
    static BUILT: OnceLock<Result<Option<PathBuf>, String>> = OnceLock::new();
    let wasm = BUILT
        .get_or_init(build_c_plugin)
        .as_ref()
        .unwrap_or_else(|err| panic!("{err}"))
        .as_ref()?;
    Some(std::fs::read(wasm).unwrap_or_else(|err| panic!("reading {}: {err}", wasm.display())))
}

fn build_c_plugin() -> Result<Option<PathBuf>, String> {
    const INSTALL: &str = "the C plugin needs clang and lld (Debian: apt-get install clang lld)";
    let installed = |tool: &str| {
        std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if !installed("clang") || !installed("wasm-ld") {
        if std::env::var_os("CI").is_some() {
            return Err(format!("{INSTALL}; CI must install them"));
        }
        eprintln!("skipping the C plugin: {INSTALL}");
        return Ok(None);
    }
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out_dir = here.join("../target/test-plugins/c");
    std::fs::create_dir_all(&out_dir).map_err(|err| err.to_string())?;
    let wasm = out_dir.join("c_plugin.wasm");
    let mut clang = std::process::Command::new("clang");
    clang
        .args(["--target=wasm32", "-O2", "-mbulk-memory", "-nostdlib"])
        .args(["-Wl,--no-entry", "-o"])
        .arg(&wasm)
        .arg(here.join("../examples/c-plugin/plugin.c"));
    for export in C_PLUGIN_EXPORTS {
        clang.arg(format!("-Wl,--export={export}"));
    }
    let output = clang
        .output()
        .map_err(|err| format!("could not run clang ({err}): {INSTALL}"))?;
    if !output.status.success() {
        return Err(format!(
            "clang could not build the C plugin ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(Some(wasm))
}

/// A plugin module written by hand in WAT, for tests of what the host does
/// with modules that break the contract or attack it: the contract's
/// exports (slot at address 16; `alloc` as the allocator's body, which
/// sees the size as `(local.get 0)`), a `$answer` helper that publishes
/// `(ptr, len, status)` and returns `ptr`, a function `good` answering the
/// bytes of `good_reply` (placed at address 64), and `functions`. `good`
/// and each name in `names` get a metadata record of codec `codec`.
pub struct PluginWat<'a> {
    pub imports: &'a str,
    pub memory: &'a str,
    pub alloc: &'a str,
    pub codec: &'a str,
    pub good_reply: Vec<u8>,
    pub functions: &'a str,
    pub names: &'a [&'a str],
}

impl<'a> PluginWat<'a> {
    /// One page of memory, an allocator answering 1024, and `good`
    /// answering bincode's 7u32.
    pub fn new(functions: &'a str, names: &'a [&'a str]) -> Self {
        PluginWat {
            imports: "",
            memory: r#"(memory (export "memory") 1)"#,
            alloc: "(i32.const 1024)",
            codec: "bincode",
            good_reply: vec![7],
            functions,
            names,
        }
    }

    /// The module's text.
    pub fn text(&self) -> String {
        let PluginWat {
            imports,
            memory,
            alloc,
            good_reply,
            functions,
            ..
        } = self;
        let good_len = good_reply.len();
        let good_data = wat_string(good_reply);
        format!(
            r#"(module
                 {imports}
                 {memory}
                 (global (export "__wasmer_plugin_slot") i32 (i32.const 16))
                 (func (export "__wasmer_plugin_alloc") (param i32) (result i32) {alloc})
                 (func (export "__wasmer_plugin_free") (param i32 i32))
                 (data (i32.const 64) "{good_data}")
                 (func $answer (param $ptr i32) (param $len i32) (param $status i32) (result i32)
                   (i32.store (i32.const 16) (local.get $len))
                   (i32.store (i32.const 20) (local.get $status))
                   (i32.store (i32.const 24) (local.get $ptr))
                   (local.get $ptr))
                 (func (export "__wasmer_plugin_fn_good") (param i32 i32) (result i32)
                   (call $answer (i32.const 64) (i32.const {good_len}) (i32.const 0)))
                 {functions})"#
        )
    }

    /// The compiled module without its metadata.
    pub fn bare_wasm(&self) -> Vec<u8> {
        wasmer::wat2wasm(self.text().as_bytes())
            .unwrap_or_else(|err| panic!("the test's WAT: {err}"))
            .into_owned()
    }

    /// The module with its metadata section.
    pub fn wasm(&self) -> Vec<u8> {
        let mut wasm = self.bare_wasm();
        append_custom_section(&mut wasm, "wasmer-plugin", &self.metadata());
        wasm
    }

    /// The module with its metadata section, which declares besides host
    /// function `name` taking `args` and answering `ret` (its import is
    /// the caller's to write in `imports`).
    pub fn wasm_importing(&self, name: &str, args: &str, ret: &str) -> Vec<u8> {
        let mut wasm = self.bare_wasm();
        let mut metadata = self.metadata();
        let mut import = record(name, self.codec);
        import.args = args.into();
        import.ret = ret.into();
        metadata.extend(import.to_import_bytes());
        append_custom_section(&mut wasm, "wasmer-plugin", &metadata);
        wasm
    }

    /// The records of `good` and of `names`.
    pub fn metadata(&self) -> Vec<u8> {
        ["good"]
            .iter()
            .chain(self.names)
            .flat_map(|name| wat_record_bytes(&record(name, self.codec)))
            .collect()
    }
}

/// The ABI version of the records [`PluginWat`] and [`wat_record_bytes`]
/// write: 6, whose function exports return the output's address and leave
/// the rest in the slot. Every hand-written module here answers that way
/// (a host still serves it), so the slot's misreadings are all tested
/// through it; version 7's direct replies are tested on their own
/// (`failures.rs`) and by every plugin built from Rust.
pub const WAT_ABI_VERSION: u32 = 6;

/// The bytes of `record` as a function record of [`WAT_ABI_VERSION`].
pub fn wat_record_bytes(record: &wasmer_plugin_abi::FunctionRecord) -> Vec<u8> {
    let mut bytes = record.to_bytes();
    bytes[..4].copy_from_slice(&WAT_ABI_VERSION.to_le_bytes());
    bytes
}

/// The metadata record of a test function `name() -> u32`.
pub fn record(name: &str, codec: &str) -> wasmer_plugin_abi::FunctionRecord {
    wasmer_plugin_abi::FunctionRecord {
        name: name.into(),
        codec: codec.into(),
        args: "()".into(),
        ret: "u32".into(),
    }
}

/// A plugin function `poke` for [`PluginWat`] that runs `body`, then
/// answers the byte at address 64 (as a bincode `u8`).
pub fn poke(body: &str) -> String {
    format!(
        r#"(func (export "__wasmer_plugin_fn_poke") (param i32 i32) (result i32)
             {body}
             (call $answer (i32.const 64) (i32.const 1) (i32.const 0)))"#
    )
}

/// `bytes` as the inside of a WAT string.
pub fn wat_string(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("\\{byte:02x}")).collect()
}

/// Appends a custom section to a wasm binary, as a toolchain would.
pub fn append_custom_section(wasm: &mut Vec<u8>, name: &str, data: &[u8]) {
    let mut payload = Vec::new();
    leb128(&mut payload, name.len() as u32);
    payload.extend_from_slice(name.as_bytes());
    payload.extend_from_slice(data);
    wasm.push(0); // custom section id
    leb128(wasm, payload.len() as u32);
    wasm.extend_from_slice(&payload);
}

fn leb128(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}
