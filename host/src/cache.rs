//! The compiled-module cache on disk: one file per compiled plugin, named
//! by a digest of everything the compiled code depends on, and checked
//! before wasmer loads it.
//!
//! An entry is wasmer's serialized artifact followed by a trailer:
//!
//! ```text
//! artifact | key (UTF-8) | xxh3-128(artifact) (16, LE) | artifact length (u64 LE) | key length (u32 LE) | "WPCACHE2"
//! ```
//!
//! An entry is read once; the artifact wasmer loads is the very bytes
//! that were checked. The checksum guards against damage, not attack
//! (whoever can write the folder can rewrite an entry and its trailer
//! together: docs/SECURITY.md), so it is a fast non-cryptographic one;
//! the entry's name, which must not collide between plugins, stays a
//! blake3 digest of its key. The key in the trailer is compared in full,
//! so an entry copied or renamed under another name is refused, not only
//! a damaged one. Entries are
//! written to a temporary file and renamed into place, so a reader sees
//! a whole entry or none, and processes filling one cache at once each
//! replace the entry with an equally valid one.
//!
//! Next to an entry, a schemas file of the same name keeps the schemas
//! the plugin's first instance read (see [`SchemasFile`]), sealed by the
//! same trailer with magic `"WPSCHEM1"`.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use wasmer::{Engine, Module};

use crate::engine::{artifact_dependencies, compile};
use crate::limits::{InstanceBudget, Limits};
use crate::module_shape::check_code;
use crate::{Builder, Error};

/// Where a builder caches compiled plugins.
#[derive(Debug, Clone)]
pub(crate) enum CacheSetting {
    Off,
    Dir(PathBuf),
    DefaultDir,
}

impl<O: crate::builder::Target> Builder<O> {
    /// Caches the compiled plugin in folder `dir` (made if missing): a
    /// later build of the same bytes with the same limits, on the same
    /// wasmer-plugin, wasmer and CPU, loads the compiled code instead of
    /// compiling, after checking it. An unusable entry (damaged, truncated,
    /// made for other bytes or settings, or not a regular file of a size
    /// an entry can have, such as a FIFO) is compiled again and replaced;
    /// a cache that cannot be read or written never fails the build.
    /// [`Plugin::cache_outcome`](crate::Plugin::cache_outcome) says what
    /// happened. Whoever can write to `dir` can run native code in this
    /// process: docs/SECURITY.md says which folders to trust.
    pub fn cache(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache = CacheSetting::Dir(dir.into());
        self
    }

    /// Caches the compiled plugin in [`default_cache_dir`], as
    /// [`cache`](Builder::cache) does.
    pub fn default_cache(mut self) -> Self {
        self.cache = CacheSetting::DefaultDir;
        self
    }
}

/// The user's cache folder for compiled plugins: `wasmer-plugin` in the
/// platform's cache folder (`$XDG_CACHE_HOME` or `~/.cache` on Linux,
/// `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows), or `None`
/// when the platform has none.
pub fn default_cache_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|dir| dir.join("wasmer-plugin"))
}

/// What the cache did for one build.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CacheOutcome {
    /// No cache was asked for.
    Off,
    /// The compiled code was loaded from `entry`; nothing was compiled.
    Hit {
        /// The entry's file.
        entry: PathBuf,
    },
    /// The plugin was compiled and stored in `entry`.
    Stored {
        /// The entry's file.
        entry: PathBuf,
        /// Why the entry already there was not used, if there was one.
        rejected: Option<String>,
    },
    /// The plugin was compiled but could not be stored.
    NotStored {
        /// Why.
        reason: String,
        /// Why the entry already there was not used, if there was one.
        rejected: Option<String>,
    },
}

/// A plugin's module, loaded or compiled, and what the cache did.
pub(crate) struct Loaded {
    pub(crate) module: Module,
    pub(crate) outcome: CacheOutcome,
    /// Where the schemas of the plugin's functions are kept next to its
    /// entry, when it has one.
    pub(crate) schemas: Option<SchemasFile>,
}

impl Loaded {
    fn uncached(module: Module, outcome: CacheOutcome) -> Loaded {
        Loaded {
            module,
            outcome,
            schemas: None,
        }
    }
}

/// The module of `wasm` for `engine`: from the cache when a valid entry
/// is there, else compiled (and stored).
pub(crate) fn load_or_compile(
    setting: &CacheSetting,
    engine: &Engine,
    wasm: &[u8],
    limits: &Limits,
    budget: InstanceBudget,
) -> Result<Loaded, Error> {
    let dir = match setting {
        CacheSetting::Off => {
            let module = checked_compile(engine, wasm, limits)?;
            return Ok(Loaded::uncached(module, CacheOutcome::Off));
        }
        CacheSetting::Dir(dir) => dir.clone(),
        CacheSetting::DefaultDir => match default_cache_dir() {
            Some(dir) => dir,
            None => {
                let outcome = CacheOutcome::NotStored {
                    reason: "this system has no user cache folder".to_owned(),
                    rejected: None,
                };
                return Ok(Loaded::uncached(
                    checked_compile(engine, wasm, limits)?,
                    outcome,
                ));
            }
        },
    };
    let key = format!(
        "wasmer-plugin compiled module\nwasm: blake3 {}\n{}",
        blake3::hash(wasm).to_hex(),
        artifact_dependencies(engine, limits, budget)
    );
    let name = &blake3::hash(key.as_bytes()).to_hex()[..32];
    let entry = dir.join(format!("{name}.{ENTRY_EXTENSION}"));
    let max_bytes = max_entry_bytes(wasm.len());
    let schemas = SchemasFile {
        path: dir.join(format!("{name}.{SCHEMAS_EXTENSION}")),
        key: key.clone(),
        max_bytes,
    };
    let rejected = match read_entry(engine, &entry, &key, max_bytes) {
        Ok(Some(module)) => {
            return Ok(Loaded {
                module,
                outcome: CacheOutcome::Hit { entry },
                schemas: Some(schemas),
            });
        }
        Ok(None) => None,
        Err(reason) => Some(reason),
    };
    let module = checked_compile(engine, wasm, limits)?;
    let (outcome, schemas) = match write_entry(&dir, &entry, &key, &module) {
        Ok(()) => (CacheOutcome::Stored { entry, rejected }, Some(schemas)),
        Err(reason) => (CacheOutcome::NotStored { reason, rejected }, None),
    };
    Ok(Loaded {
        module,
        outcome,
        schemas,
    })
}

/// The file next to a plugin's entry that keeps the schemas its first
/// instance read (docs/ABI.md, "Schemas"): they are a pure function of
/// the wasm bytes and the limits, which its key holds, as the entry's
/// does, so a later build of the plugin need not run the schema exports
/// again. Sealed like an entry (key, checksum, magic); a file that is
/// missing, damaged or for another key is ignored, and the schemas are
/// read through an instance and written again.
pub(crate) struct SchemasFile {
    path: PathBuf,
    key: String,
    max_bytes: u64,
}

impl SchemasFile {
    /// The stored schemas, or why there are none usable.
    pub(crate) fn read(&self) -> Result<Vec<u8>, String> {
        let mut bytes = read_bounded(&self.path, self.max_bytes)?
            .ok_or_else(|| "there is no schemas file".to_owned())?;
        let body_len = unseal(&bytes, &self.key, SCHEMAS_MAGIC, "its schemas")?;
        bytes.truncate(body_len);
        Ok(bytes)
    }

    /// Stores `body`, replacing the file atomically.
    pub(crate) fn write(&self, body: &[u8]) -> Result<(), String> {
        let trailer = seal(body, &self.key, SCHEMAS_MAGIC);
        write_atomically(&self.path, &[body, &trailer])
    }
}

/// Compiles `wasm` once its code is within the code limits. A cache hit
/// skips both: the key holds the code limits, which the entry's module
/// met when it was compiled and stored.
fn checked_compile(engine: &Engine, wasm: &[u8], limits: &Limits) -> Result<Module, Error> {
    check_code(wasm, limits.code())?;
    compile(engine, wasm)
}

/// The extension of entry files.
const ENTRY_EXTENSION: &str = "wasmer-plugin-module";
/// The extension of the schemas file next to an entry.
const SCHEMAS_EXTENSION: &str = "wasmer-plugin-schemas";
/// The last bytes of every schemas file.
const SCHEMAS_MAGIC: &[u8; 8] = b"WPSCHEM1";
/// The last bytes of every entry.
/// Entries of earlier layouts end otherwise ("WPCACHE1": a blake3
/// digest, for wasmer's validating load from a path) and are replaced.
const MAGIC: &[u8; 8] = b"WPCACHE2";
/// The fixed part of a trailer: checksum, two lengths, magic.
const FIXED_TRAILER: usize = CHECKSUM_LEN + 8 + 4 + MAGIC.len();
/// Bytes of the artifact's checksum.
const CHECKSUM_LEN: usize = 16;

/// The checksum of an artifact, as the trailer stores it.
fn checksum(artifact: &[u8]) -> [u8; CHECKSUM_LEN] {
    twox_hash::XxHash3_128::oneshot(artifact).to_le_bytes()
}

/// The most bytes an entry for `wasm_len` bytes of wasm may have: far
/// more than any artifact wasmer makes (a few times the wasm's code), so
/// that only a file this code did not write is refused, before it is read
/// whole into memory.
fn max_entry_bytes(wasm_len: usize) -> u64 {
    const BASE: u64 = 16 << 20;
    const PER_WASM_BYTE: u64 = 32;
    BASE.saturating_add(PER_WASM_BYTE.saturating_mul(wasm_len as u64))
}

/// Why `metadata` is not that of an entry of at most `max_bytes` bytes.
fn check_file(metadata: &std::fs::Metadata, max_bytes: u64) -> Result<(), String> {
    if !metadata.is_file() {
        return Err(format!(
            "it is not a regular file but {}",
            file_kind(&metadata.file_type())
        ));
    }
    if metadata.len() > max_bytes {
        return Err(format!(
            "it is {} bytes, more than the {max_bytes} a file of this cache for this plugin can be",
            metadata.len()
        ));
    }
    Ok(())
}

/// What a file that is not a regular file is, for a message.
fn file_kind(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else {
        "neither a file nor a folder"
    }
}

/// The module in the entry at `path`, `None` when there is no entry, or
/// why the entry there is unusable.
fn read_entry(
    engine: &Engine,
    path: &Path,
    key: &str,
    max_bytes: u64,
) -> Result<Option<Module>, String> {
    let Some(mut bytes) = read_bounded(path, max_bytes)? else {
        return Ok(None);
    };
    let artifact_len = check_entry(&bytes, key)?;
    bytes.truncate(artifact_len);
    // SAFETY: the artifact is native code, which wasmer loads without
    // checking its layout. These bytes are loaded only because the
    // entry's checksum matches them and its key matches this plugin,
    // engine and wasmer exactly: they are what `write_entry` stored from
    // a module this code compiled with this engine's configuration, so
    // they are an artifact wasmer made, of this layout. They are the bytes
    // checked (read once, not read again from a path another writer could
    // swap meanwhile). The checksum detects damage, not an attacker: a
    // writer of the folder could store another artifact under a matching
    // trailer, so the cache folder must be as trusted as the program's
    // own files (docs/SECURITY.md, "Trust model").
    let module = unsafe { Module::deserialize_unchecked(engine, bytes) }
        .map_err(|err| format!("wasmer could not load it: {err}"))?;
    Ok(Some(module))
}

/// The whole file at `path`, `None` when there is none, or why it could
/// not be read. Only a regular file of at most `max_bytes` is read:
/// opening a FIFO would wait for a writer forever, and a link to a device
/// could be read without end.
fn read_bounded(path: &Path, max_bytes: u64) -> Result<Option<Vec<u8>>, String> {
    // Examined before it is opened, since opening a FIFO blocks; through
    // links, since a link to an entry is an entry.
    match std::fs::metadata(path) {
        Ok(metadata) => check_file(&metadata, max_bytes)?,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(format!("it could not be examined: {err}")),
    }
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(format!("it could not be opened: {err}")),
    };
    // And what was opened, which a writer of the folder may have swapped
    // in meanwhile; the read stays bounded whatever the file becomes.
    let metadata = file
        .metadata()
        .map_err(|err| format!("it could not be examined: {err}"))?;
    check_file(&metadata, max_bytes)?;
    // One byte more than the file's size, so that a file that grew
    // since is seen to have without a second `read_to_end` round.
    let mut bytes = Vec::with_capacity((metadata.len() as usize).saturating_add(1));
    (&file)
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|err| format!("it could not be read: {err}"))?;
    if bytes.len() as u64 > max_bytes {
        return Err(format!(
            "it grew past the {max_bytes} bytes a file of this cache for this plugin can be while it was read"
        ));
    }
    Ok(Some(bytes))
}

/// Checks an entry's trailer against `key` and its artifact against its
/// checksum; returns the artifact's length (the artifact starts the
/// entry).
fn check_entry(bytes: &[u8], key: &str) -> Result<usize, String> {
    unseal(bytes, key, MAGIC, "its compiled code")
}

/// The trailer that seals `body` under `key`: what [`unseal`] checks.
fn seal(body: &[u8], key: &str, magic: &[u8; 8]) -> Vec<u8> {
    let mut trailer = Vec::with_capacity(key.len() + FIXED_TRAILER);
    trailer.extend_from_slice(key.as_bytes());
    trailer.extend_from_slice(&checksum(body));
    trailer.extend_from_slice(&(body.len() as u64).to_le_bytes());
    trailer.extend_from_slice(&(key.len() as u32).to_le_bytes());
    trailer.extend_from_slice(magic);
    trailer
}

/// Checks the trailer of a sealed file (body, key, checksum, lengths,
/// `magic`) against `key` and its body, named `what` in messages, against
/// its checksum; returns the body's length (the body starts the file).
fn unseal(bytes: &[u8], key: &str, magic: &[u8; 8], what: &str) -> Result<usize, String> {
    let len = bytes.len();
    if len < FIXED_TRAILER || !bytes.ends_with(magic) {
        return Err(format!(
            "it is truncated or not an entry: its {len} bytes do not end with the entry trailer"
        ));
    }
    let fixed = &bytes[len - FIXED_TRAILER..];
    let (stored_checksum, lengths) = fixed.split_at(CHECKSUM_LEN);
    let body_len = u64::from_le_bytes(lengths[..8].try_into().expect("8 bytes"));
    let key_len = u32::from_le_bytes(lengths[8..12].try_into().expect("4 bytes"));
    let expected = body_len as u128 + key_len as u128 + FIXED_TRAILER as u128;
    if expected != len as u128 {
        return Err(format!(
            "it is truncated: its trailer describes {expected} bytes, the file has {len}"
        ));
    }
    let body = &bytes[..body_len as usize];
    let stored_key = &bytes[body_len as usize..len - FIXED_TRAILER];
    if stored_key != key.as_bytes() {
        return Err(
            "it was made for other plugin bytes or another configuration (its key differs)"
                .to_owned(),
        );
    }
    if checksum(body) != stored_checksum {
        return Err(format!("it is damaged: {what} does not match its checksum"));
    }
    Ok(body.len())
}

/// Stores `module` as the entry at `entry` in `dir`, atomically.
fn write_entry(dir: &Path, entry: &Path, key: &str, module: &Module) -> Result<(), String> {
    create_private_dir(dir)
        .map_err(|err| format!("the folder {} could not be made: {err}", dir.display()))?;
    let artifact = module
        .serialize()
        .map_err(|err| format!("wasmer could not serialize the module: {err}"))?;
    let trailer = seal(&artifact, key, MAGIC);
    write_atomically(entry, &[&artifact, &trailer])
        .map_err(|err| format!("the entry {} could not be written: {err}", entry.display()))
}

/// Writes `parts` one after the other as the file at `path`, through a
/// temporary file beside it renamed into place, so that a reader sees a
/// whole file or none.
fn write_atomically(path: &Path, parts: &[&[u8]]) -> Result<(), String> {
    static NEXT_TEMPORARY: AtomicU64 = AtomicU64::new(0);
    let temporary = path.with_file_name(format!(
        ".{}.{}.{}.tmp",
        path.file_name()
            .map(|name| name.to_string_lossy())
            .unwrap_or_default(),
        std::process::id(),
        NEXT_TEMPORARY.fetch_add(1, Ordering::Relaxed)
    ));
    let written = File::create_new(&temporary)
        .and_then(|mut file| parts.iter().try_for_each(|part| file.write_all(part)))
        .and_then(|()| std::fs::rename(&temporary, path));
    written.map_err(|err| {
        let _ = std::fs::remove_file(&temporary);
        err.to_string()
    })
}

/// Makes `dir` and its missing parents, readable and writable by this
/// user only where the platform says so.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry as the module documentation lays it out, spelled out
    /// here rather than through `seal`, which it checks.
    fn entry(artifact: &[u8], key: &str) -> Vec<u8> {
        let mut bytes = artifact.to_vec();
        bytes.extend_from_slice(key.as_bytes());
        bytes.extend_from_slice(&checksum(artifact));
        bytes.extend_from_slice(&(artifact.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&(key.len() as u32).to_le_bytes());
        bytes.extend_from_slice(MAGIC);
        bytes
    }

    #[test]
    fn a_whole_entry_for_its_key_passes() {
        assert_eq!(check_entry(&entry(b"compiled code", "key"), "key"), Ok(13));
        assert_eq!(check_entry(&entry(b"", ""), ""), Ok(0));
        let sealed = [&b"compiled code"[..], &seal(b"compiled code", "key", MAGIC)].concat();
        assert_eq!(sealed, entry(b"compiled code", "key"));
    }

    #[test]
    fn every_truncation_is_refused() {
        let whole = entry(b"compiled code", "key");
        for len in 0..whole.len() {
            let reason = check_entry(&whole[..len], "key").unwrap_err();
            assert!(
                reason.contains("truncated") || reason.contains("not an entry"),
                "{len}: {reason}"
            );
        }
    }

    #[test]
    fn damage_and_other_keys_are_refused_by_name() {
        let whole = entry(b"compiled code", "key");
        let mut damaged = whole.clone();
        damaged[3] ^= 1;
        assert!(
            check_entry(&damaged, "key")
                .unwrap_err()
                .contains("damaged")
        );
        let reason = check_entry(&whole, "another key").unwrap_err();
        assert!(reason.contains("its key differs"), "{reason}");
        // An entry of the earlier layout ("WPCACHE1") is not one of this.
        let mut magic = whole.clone();
        *magic.last_mut().unwrap() = b'1';
        assert!(
            check_entry(&magic, "key")
                .unwrap_err()
                .contains("not an entry")
        );
    }

    #[test]
    fn lengths_that_lie_are_refused_without_overflow() {
        let whole = entry(b"compiled code", "key");
        let fixed = whole.len() - FIXED_TRAILER;
        for artifact_len in [u64::MAX, u64::MAX / 2, 14] {
            let mut lying = whole.clone();
            lying[fixed + CHECKSUM_LEN..fixed + CHECKSUM_LEN + 8]
                .copy_from_slice(&artifact_len.to_le_bytes());
            let reason = check_entry(&lying, "key").unwrap_err();
            assert!(reason.contains("truncated"), "{artifact_len}: {reason}");
        }
        let mut lying = whole.clone();
        lying[fixed + CHECKSUM_LEN + 8..fixed + CHECKSUM_LEN + 12]
            .copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(
            check_entry(&lying, "key")
                .unwrap_err()
                .contains("truncated")
        );
    }
}
