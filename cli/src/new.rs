//! `wasmer-plugin new`: a plugin crate ready to build and test.

use std::path::{Path, PathBuf};

/// The wasmer-plugin crate this command was built beside, if it is still
/// there: new crates depend on it by path while it is unpublished.
const FACADE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../wasmer-plugin");

/// Where the new crate takes wasmer-plugin from (`--wasmer-plugin-*`).
pub(crate) enum Source {
    /// The command line named none: the crate this command was built
    /// beside when it is still there, else the repository.
    Default,
    Path(PathBuf),
    Git(String),
    Version(String),
}

/// The repository the crates come from while they are unpublished.
pub(crate) const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

pub(crate) fn run(name: &str, source: Source, simd: bool) -> Result<(), String> {
    check_name(name)?;
    let dir = Path::new(name);
    if dir.exists() {
        return Err(format!("{} already exists", dir.display()));
    }
    let dependency = dependency(source)?;
    let files = [
        ("Cargo.toml", cargo_toml(name, &dependency)),
        ("rust-toolchain.toml", RUST_TOOLCHAIN.to_owned()),
        (".cargo/config.toml", cargo_config(simd)),
        ("src/lib.rs", LIB_RS.to_owned()),
        (".gitignore", "/target\n".to_owned()),
    ];
    for folder in ["src", ".cargo"] {
        std::fs::create_dir_all(dir.join(folder))
            .map_err(|err| format!("could not create {}: {err}", dir.display()))?;
    }
    for (file, text) in files {
        let path = dir.join(file);
        std::fs::write(&path, text)
            .map_err(|err| format!("could not write {}: {err}", path.display()))?;
    }
    let wasm = name.replace('-', "_");
    println!("created plugin crate `{name}` in {}", dir.display());
    println!(
        r#"
Test it natively:  cd {name} && cargo test
Build it:          wasmer-plugin build {name}
Call it:           wasmer-plugin call {name}/target/wasm32-unknown-unknown/release/{wasm}.wasm greet '["wasm", 2]'

From a Rust host (crate wasmer-plugin-host):

    use wasmer_plugin_host::{{Host, Json}};

    let wasm = std::fs::read("{name}/target/wasm32-unknown-unknown/release/{wasm}.wasm")?;
    let mut host = Host::<Json>::new(&wasm)?;
    let greeting: String = host.call("greet", &("wasm", 2u32))?;"#
    );
    Ok(())
}

/// The dependency's source, as its line in Cargo.toml says it.
fn dependency(source: Source) -> Result<String, String> {
    Ok(match source {
        Source::Default => {
            let bundled = Path::new(FACADE_DIR);
            return dependency(match bundled.join("Cargo.toml").is_file() {
                true => Source::Path(bundled.to_owned()),
                false => Source::Git(REPOSITORY.to_owned()),
            });
        }
        Source::Path(path) => {
            let path = std::fs::canonicalize(&path)
                .map_err(|err| format!("the wasmer-plugin crate at {}: {err}", path.display()))?;
            if !path.join("Cargo.toml").is_file() {
                return Err(format!(
                    "{} holds no Cargo.toml: `--wasmer-plugin-path` names the folder of the wasmer-plugin crate",
                    path.display()
                ));
            }
            format!("path = {:?}", path.display().to_string())
        }
        Source::Git(url) => format!("git = {url:?}"),
        Source::Version(version) => format!("version = {version:?}"),
    })
}

/// The target's rustflags the build helper sets too
/// (`wasmer_plugin_build::Options`), so that a plain `cargo build --target
/// wasm32-unknown-unknown` builds the same plugin.
fn cargo_config(simd: bool) -> String {
    let mut options = wasmer_plugin_build::Options::default();
    let simd_comment = match simd {
        true => {
            "# wasm SIMD (`-Ctarget-feature=+simd128`): wasmer-plugin hosts accept it\n# and Rust leaves it off by default. Remove the flag for hosts on\n# runtimes without wasm SIMD (`wasmer-plugin new --no-simd`).\n"
        }
        false => {
            options = options.without_simd();
            "# Built without wasm SIMD (`wasmer-plugin new --no-simd`).\n"
        }
    };
    format!(
        r#"# The flags `wasmer-plugin build` sets too.
{simd_comment}# getrandom's custom backend: with wasmer-plugin's `getrandom` feature,
# `rand`, `uuid` and friends draw their bytes from the host (which must
# grant randomness). Without the feature the flag changes nothing.
[target.wasm32-unknown-unknown]
rustflags = {}
"#,
        options.rustflags_toml()
    )
}

/// A crate name cargo accepts, so that the error comes before any file.
fn check_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a crate name: use ASCII letters, digits, `-` and `_`, not starting with a digit"
        ))
    }
}

fn cargo_toml(name: &str, dependency: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"

# A plugin is a wasm32 library; `rlib` lets `cargo test` run natively.
[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
# JSON is this template's codec so that `wasmer-plugin call` can reach it;
# bincode (the default) is faster between two Rust sides.
wasmer-plugin = {{ {dependency}, default-features = false, features = ["std", "json"] }}

# Not part of an enclosing workspace.
[workspace]

[profile.release]
opt-level = "s"
lto = true
"#
    )
}

const RUST_TOOLCHAIN: &str = r#"[toolchain]
channel = "1.95.0"
targets = ["wasm32-unknown-unknown"]
profile = "minimal"
"#;

const LIB_RS: &str = r#"//! A wasmer-plugin plugin. Build it with `wasmer-plugin build`, or
//! `cargo build --release --target wasm32-unknown-unknown`.

use wasmer_plugin::wasmer_plugin;

/// Greets `name`, `times` times.
#[wasmer_plugin(codec = "json")]
pub fn greet(name: &str, times: u32) -> String {
    format!("Hello, {name}! ").repeat(times as usize).trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greets() {
        assert_eq!(greet("wasm", 2), "Hello, wasm! Hello, wasm!");
    }
}
"#;
