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
//!
//! rustup installs the targets of a `rust-toolchain.toml` only when it
//! installs the toolchain itself, so a toolchain that was there before
//! often lacks `wasm32-unknown-unknown`. [`build`] checks first (see
//! [`ensure_target`]) and adds it with rustup, saying so on stderr.
#![forbid(unsafe_code)]

use std::ffi::{OsStr, OsString};
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

/// Builds every crate of the workspace of the manifest at `manifest` in
/// release mode into `target_dir`, with the [`Options`] defaults (SIMD on,
/// randomness served by the guest runtime), and returns the folder holding
/// the `.wasm` files.
///
/// Fails with the nested cargo's output when the build fails.
pub fn build(manifest: &Path, target_dir: &Path) -> io::Result<PathBuf> {
    build_with(manifest, target_dir, &Options::default())
}

/// How [`build_with`] builds plugins.
///
/// The defaults are what a plugin host wants: a release build; wasm SIMD
/// (`-C target-feature=+simd128`), which the host accepts and Rust does not
/// turn on by default, and which code that vectorises (regex, hashing,
/// image filters) can run faster with; and
/// `--cfg getrandom_backend="custom"`, so that a plugin using `getrandom`
/// (through `rand`, `uuid`…) can get its randomness from the host through
/// the guest runtime (its `getrandom` feature; without it the flag changes
/// nothing). These flags are added to the plugin workspace's own
/// `target.wasm32-unknown-unknown.rustflags`, never in place of them (a
/// `build.rustflags` setting gives way to them, as cargo ranks the two).
#[derive(Debug, Clone)]
pub struct Options {
    release: bool,
    simd: bool,
    packages: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            release: true,
            simd: true,
            packages: Vec::new(),
        }
    }
}

impl Options {
    /// A debug build (`cargo build` without `--release`): unoptimised,
    /// with DWARF, which the host loads with its default limits.
    pub fn debug(mut self) -> Self {
        self.release = false;
        self
    }

    /// Without `+simd128`: for hosts on other runtimes that lack wasm SIMD.
    pub fn without_simd(mut self) -> Self {
        self.simd = false;
        self
    }

    /// Only this package of the workspace (repeat for several); the whole
    /// workspace when none is named.
    pub fn package(mut self, name: &str) -> Self {
        self.packages.push(name.to_owned());
        self
    }

    /// The folder under the target dir that the build writes to.
    fn profile_dir(&self) -> &'static str {
        if self.release { "release" } else { "debug" }
    }

    /// The flags this build adds to the target's rustflags.
    pub fn rustflags(&self) -> Vec<&'static str> {
        let mut flags = vec!["--cfg", r#"getrandom_backend="custom""#];
        if self.simd {
            flags.push("-Ctarget-feature=+simd128");
        }
        flags
    }

    /// [`rustflags`](Options::rustflags) as a TOML array, as a
    /// `.cargo/config.toml` or cargo's `--config` writes it.
    pub fn rustflags_toml(&self) -> String {
        // A literal string: the flags hold double quotes but no single one.
        let quoted: Vec<String> = self
            .rustflags()
            .iter()
            .map(|flag| format!("'{flag}'"))
            .collect();
        format!("[{}]", quoted.join(", "))
    }
}

/// Like [`build`], built as `options` say; returns the folder holding the
/// `.wasm` files (`<target_dir>/wasm32-unknown-unknown/release` or
/// `.../debug`).
pub fn build_with(manifest: &Path, target_dir: &Path, options: &Options) -> io::Result<PathBuf> {
    ensure_target()?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut command = Command::new(&cargo);
    command.arg("build");
    if options.release {
        command.arg("--release");
    }
    command
        .arg("--target")
        .arg(TARGET)
        .arg("--manifest-path")
        .arg(manifest)
        .arg("--target-dir")
        .arg(target_dir)
        .arg("--config")
        // cargo joins this array to the workspace's own target rustflags.
        .arg(format!(
            "target.{TARGET}.rustflags={}",
            options.rustflags_toml()
        ));
    if options.packages.is_empty() {
        command.arg("--workspace");
    }
    for package in &options.packages {
        command.arg("--package").arg(package);
    }
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
    Ok(target_dir.join(TARGET).join(options.profile_dir()))
}

/// Makes sure the toolchain that builds plugins has the standard library
/// for [`TARGET`]: when its sysroot lacks it, runs `rustup target add
/// wasm32-unknown-unknown --toolchain <that toolchain>` and says so on
/// stderr, as wasm-pack does. Without rustup, the error says what to
/// install.
///
/// The toolchain is the one the nested cargo will use: `$RUSTC` (or
/// `rustc`) under the `RUSTUP_TOOLCHAIN` rustup set for this process, if
/// any.
pub fn ensure_target() -> io::Result<()> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let toolchain = std::env::var("RUSTUP_TOOLCHAIN").ok();
    ensure_target_with(&rustc, OsStr::new("rustup"), toolchain)
}

/// [`ensure_target`] with the programs and toolchain named.
fn ensure_target_with(rustc: &OsStr, rustup: &OsStr, toolchain: Option<String>) -> io::Result<()> {
    let sysroot = sysroot(rustc)?;
    if has_target_std(&sysroot) {
        return Ok(());
    }
    // rustup names a toolchain by its folder under `toolchains/`.
    let toolchain = toolchain.unwrap_or_else(|| {
        sysroot
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let command = format!("rustup target add {TARGET} --toolchain {toolchain}");
    eprintln!(
        "wasmer-plugin-build: toolchain {toolchain} has no {TARGET} standard library; running `{command}`"
    );
    let missing = format!(
        "the Rust standard library for {TARGET} is not installed in {}",
        sysroot.display()
    );
    let status = Command::new(rustup)
        .args(["target", "add", TARGET, "--toolchain", &toolchain])
        .status();
    match status {
        Err(err) if err.kind() == io::ErrorKind::NotFound => Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{missing}, and rustup is not on PATH to add it: install rustup (https://rustup.rs) and run `{command}`, or install your Rust distribution's {TARGET} standard library (on Debian, the package libstd-rust-dev-wasm32)"
            ),
        )),
        Err(err) => Err(io::Error::new(
            err.kind(),
            format!("{missing}, and `{command}` could not run: {err}"),
        )),
        Ok(status) if !status.success() => Err(io::Error::other(format!(
            "{missing}, and `{command}` failed ({status}); its output is above"
        ))),
        Ok(_) if !has_target_std(&sysroot) => Err(io::Error::other(format!(
            "{missing}, though `{command}` succeeded: is {} another toolchain than the one cargo uses?",
            toolchain
        ))),
        Ok(_) => Ok(()),
    }
}

/// The sysroot `rustc --print sysroot` names.
fn sysroot(rustc: &OsStr) -> io::Result<PathBuf> {
    let output = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|err| {
            io::Error::new(
                err.kind(),
                format!("could not run {}: {err}", Path::new(rustc).display()),
            )
        })?;
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "`{} --print sysroot` failed ({}):\n{}",
            Path::new(rustc).display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(PathBuf::from(
        String::from_utf8_lossy(&output.stdout).trim().to_owned(),
    ))
}

/// Whether `sysroot` holds the standard library for [`TARGET`].
fn has_target_std(sysroot: &Path) -> bool {
    let lib = sysroot.join("lib/rustlib").join(TARGET).join("lib");
    std::fs::read_dir(lib).is_ok_and(|entries| {
        entries.flatten().any(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with("libstd-") && name.ends_with(".rlib")
        })
    })
}

/// The `.wasm` file of crate `crate_name` in a folder [`build`] returned.
pub fn wasm_file(wasm_dir: &Path, crate_name: &str) -> PathBuf {
    wasm_dir.join(format!("{}.wasm", crate_name.replace('-', "_")))
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    /// A folder with a fake `rustc` that prints `sysroot/` inside it and a
    /// fake `rustup` that records its arguments and installs the target's
    /// library there (or fails, if asked to).
    struct Fakes {
        dir: PathBuf,
        /// Held for the test's life: while one test writes a fake script,
        /// another's fork can inherit the open file, and exec'ing the
        /// script then fails with "Text file busy". One at a time.
        _serial: std::sync::MutexGuard<'static, ()>,
    }

    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

    impl Fakes {
        fn new(name: &str, rustup_succeeds: bool) -> Fakes {
            let serial = SERIAL
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let dir = std::env::temp_dir()
                .join(format!("wasmer-plugin-build-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("sysroot")).unwrap();
            let lib = dir.join("sysroot/lib/rustlib").join(TARGET).join("lib");
            let rustup_body = if rustup_succeeds {
                format!(
                    "mkdir -p '{0}' && touch '{0}/libstd-0123.rlib'",
                    lib.display()
                )
            } else {
                "echo 'error: no network' >&2; exit 1".to_owned()
            };
            let fakes = Fakes {
                dir,
                _serial: serial,
            };
            fakes.script(
                "rustc",
                &format!("echo '{}'", fakes.dir.join("sysroot").display()),
            );
            fakes.script(
                "rustup",
                &format!(
                    "echo \"$@\" > '{}'\n{rustup_body}",
                    fakes.dir.join("rustup-args").display()
                ),
            );
            fakes
        }

        fn script(&self, name: &str, body: &str) {
            let path = self.dir.join(name);
            std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }

        fn path(&self, name: &str) -> OsString {
            self.dir.join(name).into_os_string()
        }

        fn rustup_args(&self) -> Option<String> {
            std::fs::read_to_string(self.dir.join("rustup-args")).ok()
        }
    }

    /// `ensure_target_with`, again while a fake is "busy": another test
    /// thread may fork between our write of a script and its exec, holding
    /// the script open for writing until its child execs (`ETXTBSY`).
    fn ensure_target_retrying(
        rustc: &OsStr,
        rustup: &OsStr,
        toolchain: Option<String>,
    ) -> io::Result<()> {
        let mut tries = 0;
        loop {
            match ensure_target_with(rustc, rustup, toolchain.clone()) {
                Err(err) if err.kind() == io::ErrorKind::ExecutableFileBusy && tries < 50 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => return other,
            }
        }
    }

    impl Drop for Fakes {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    #[test]
    fn the_rustflags_are_toml_cargo_reads() {
        assert_eq!(
            Options::default().rustflags_toml(),
            r#"['--cfg', 'getrandom_backend="custom"', '-Ctarget-feature=+simd128']"#
        );
        assert_eq!(
            Options::default().without_simd().rustflags(),
            ["--cfg", r#"getrandom_backend="custom""#]
        );
    }

    #[test]
    fn a_missing_target_is_added_with_rustup_for_that_toolchain() {
        let fakes = Fakes::new("adds", true);
        ensure_target_retrying(&fakes.path("rustc"), &fakes.path("rustup"), None).unwrap();
        assert_eq!(
            fakes.rustup_args().as_deref(),
            Some(&*format!("target add {TARGET} --toolchain sysroot\n"))
        );
        // Once there, rustup is not asked again.
        std::fs::remove_file(fakes.dir.join("rustup-args")).unwrap();
        ensure_target_retrying(&fakes.path("rustc"), &fakes.path("rustup"), None).unwrap();
        assert_eq!(fakes.rustup_args(), None);
    }

    #[test]
    fn the_toolchain_rustup_chose_is_the_one_completed() {
        let fakes = Fakes::new("named", true);
        let toolchain = Some("1.95.0-x86_64-unknown-linux-gnu".to_owned());
        ensure_target_retrying(&fakes.path("rustc"), &fakes.path("rustup"), toolchain).unwrap();
        let args = fakes.rustup_args().unwrap();
        assert!(
            args.ends_with("--toolchain 1.95.0-x86_64-unknown-linux-gnu\n"),
            "{args}"
        );
    }

    #[test]
    fn without_rustup_the_error_says_what_to_install() {
        let fakes = Fakes::new("no-rustup", true);
        let err = ensure_target_retrying(&fakes.path("rustc"), &fakes.path("no-such-rustup"), None)
            .unwrap_err();
        let message = err.to_string();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(message.contains("not installed in"), "{message}");
        assert!(message.contains("https://rustup.rs"), "{message}");
        assert!(
            message.contains(&format!("rustup target add {TARGET}")),
            "{message}"
        );
    }

    #[test]
    fn a_failing_rustup_is_an_error() {
        let fakes = Fakes::new("fails", false);
        let err =
            ensure_target_retrying(&fakes.path("rustc"), &fakes.path("rustup"), None).unwrap_err();
        assert!(err.to_string().contains("failed"), "{err}");
    }

    #[test]
    fn the_real_toolchain_is_ready_after_the_check() {
        ensure_target().unwrap();
        let sysroot = sysroot(OsStr::new("rustc")).unwrap();
        assert!(has_target_std(&sysroot), "{}", sysroot.display());
    }
}
