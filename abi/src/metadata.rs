//! The records of the [`METADATA_SECTION`] custom section.
//!
//! The section is a concatenation of records (the linker appends one per
//! plugin function). Each record starts with a header that every version of
//! the contract keeps as it is, so any host can read a record's version:
//!
//! ```text
//! abi_version: u32 LE | kind: u32 LE | body_len: u32 LE | body: [u8; body_len]
//! ```
//!
//! A [`RECORD_KIND_FUNCTION`] record describes a plugin function, a
//! [`RECORD_KIND_IMPORT`] record a host function the plugin imports. Both
//! bodies are four strings, each a `u32 LE` byte length followed by UTF-8:
//! the function name, the codec name, the argument type text and the
//! return type text.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::contract::{ABI_VERSION, METADATA_SECTION, OLDEST_ABI_VERSION};
use crate::le::{read_u32, write_u32};

/// Size of the header that starts every record.
pub const RECORD_HEADER_SIZE: usize = 12;

/// The record kind of a plugin function.
pub const RECORD_KIND_FUNCTION: u32 = 1;

/// The record kind of a host function the plugin imports.
pub const RECORD_KIND_IMPORT: u32 = 2;

/// The most bytes of metadata [`parse_metadata`] reads: 4 MiB, room for
/// tens of thousands of functions with long type names.
pub const MAX_METADATA_BYTES: usize = 4 << 20;

/// The most function records, and the most import records,
/// [`parse_metadata`] accepts.
pub const MAX_FUNCTIONS: usize = 65_536;

const FUNCTION_FIELDS: [&str; 4] = ["function name", "codec", "argument type", "return type"];

/// One plugin function, or one host function the plugin imports, as its
/// metadata record describes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FunctionRecord {
    /// The function's name. A plugin function's export is
    /// `function_export_name(name)`; an imported host function's import
    /// is `host_function_import_name(name)`.
    pub name: String,
    /// The [`Codec::NAME`](crate::Codec::NAME) of the codec it was built with.
    pub codec: String,
    /// The Rust type of its arguments as the host must encode them: the bare
    /// type for one argument, a tuple for several, `()` for none.
    pub args: String,
    /// The Rust type of its return value.
    pub ret: String,
}

/// Everything a plugin's metadata describes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// The plugin's functions, in section order.
    pub functions: Vec<FunctionRecord>,
    /// The ABI version each of [`functions`](Metadata::functions)' records
    /// names, in the same order: it says what the function's export
    /// returns (see [`DIRECT_REPLY_VERSION`](crate::DIRECT_REPLY_VERSION)).
    pub function_versions: Vec<u32>,
    /// The host functions it imports, in section order.
    pub imports: Vec<FunctionRecord>,
}

impl FunctionRecord {
    /// The bytes of this record as a plugin function's
    /// ([`RECORD_KIND_FUNCTION`]), as a guest's section holds them.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_bytes_of_kind(RECORD_KIND_FUNCTION)
    }

    /// The bytes of this record as an imported host function's
    /// ([`RECORD_KIND_IMPORT`]).
    pub fn to_import_bytes(&self) -> Vec<u8> {
        self.to_bytes_of_kind(RECORD_KIND_IMPORT)
    }

    fn to_bytes_of_kind(&self, kind: u32) -> Vec<u8> {
        let fields = [&*self.name, &*self.codec, &*self.args, &*self.ret];
        let body_len = record_len(fields) - RECORD_HEADER_SIZE;
        let mut out = Vec::with_capacity(record_len(fields));
        out.extend_from_slice(&ABI_VERSION.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&(body_len as u32).to_le_bytes());
        for field in fields {
            out.extend_from_slice(&(field.len() as u32).to_le_bytes());
            out.extend_from_slice(field.as_bytes());
        }
        out
    }
}

/// The length of a record with these four fields.
pub const fn record_len(fields: [&str; 4]) -> usize {
    let mut len = RECORD_HEADER_SIZE;
    let mut i = 0;
    while i < fields.len() {
        len += 4 + fields[i].len();
        i += 1;
    }
    len
}

/// The record of `kind` for `fields`, computed at compile time by the code
/// `#[wasmer_plugin]` and `#[host_functions]` generate. `N` must be
/// [`record_len`].
pub const fn record<const N: usize>(kind: u32, fields: [&str; 4]) -> [u8; N] {
    assert!(N == record_len(fields), "record length mismatch");
    let mut out = [0u8; N];
    let mut at = write_u32(&mut out, 0, ABI_VERSION);
    at = write_u32(&mut out, at, kind);
    at = write_u32(&mut out, at, (N - RECORD_HEADER_SIZE) as u32);
    let mut i = 0;
    while i < fields.len() {
        let bytes = fields[i].as_bytes();
        at = write_u32(&mut out, at, bytes.len() as u32);
        let mut j = 0;
        while j < bytes.len() {
            out[at] = bytes[j];
            at += 1;
            j += 1;
        }
        i += 1;
    }
    out
}

/// Why a [`METADATA_SECTION`] could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MetadataError {
    /// A record was written for a version of the contract this side does
    /// not serve: newer than [`ABI_VERSION`] or older than
    /// [`OLDEST_ABI_VERSION`].
    VersionMismatch {
        /// The version the record names.
        found: u32,
    },
    /// The section ends inside a record.
    Truncated {
        /// Byte offset in the section where the short item starts.
        offset: usize,
        /// What was being read.
        what: &'static str,
        /// Bytes it needs.
        needed: usize,
        /// Bytes left in the section or record.
        available: usize,
    },
    /// A record of a kind this version does not define.
    UnknownKind {
        /// Byte offset of the record.
        offset: usize,
        /// The kind it names.
        kind: u32,
    },
    /// A string field is not UTF-8.
    NotUtf8 {
        /// Byte offset of the record.
        offset: usize,
        /// Which field.
        field: &'static str,
    },
    /// A record's body is longer than its fields.
    TrailingBytes {
        /// Byte offset of the record.
        offset: usize,
        /// Bytes left over.
        extra: usize,
    },
    /// Two records describe functions of the same name.
    DuplicateFunction {
        /// The repeated name.
        name: String,
    },
    /// Two records describe imports of the same name.
    DuplicateImport {
        /// The repeated name.
        name: String,
    },
    /// The metadata is longer than [`MAX_METADATA_BYTES`].
    TooLarge {
        /// Its length in bytes.
        len: usize,
    },
    /// The metadata describes more than [`MAX_FUNCTIONS`] functions, or
    /// more than [`MAX_FUNCTIONS`] imports.
    TooManyFunctions,
}

impl fmt::Display for MetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetadataError::VersionMismatch { found } => write!(
                f,
                "a `{METADATA_SECTION}` record is for ABI version {found}, this side serves versions {OLDEST_ABI_VERSION} to {ABI_VERSION}"
            ),
            MetadataError::Truncated {
                offset,
                what,
                needed,
                available,
            } => write!(
                f,
                "`{METADATA_SECTION}` section truncated at byte {offset}: the {what} needs {needed} bytes, {available} are left"
            ),
            MetadataError::UnknownKind { offset, kind } => write!(
                f,
                "`{METADATA_SECTION}` record at byte {offset} has unknown kind {kind}"
            ),
            MetadataError::NotUtf8 { offset, field } => write!(
                f,
                "`{METADATA_SECTION}` record at byte {offset}: the {field} is not UTF-8"
            ),
            MetadataError::TrailingBytes { offset, extra } => write!(
                f,
                "`{METADATA_SECTION}` record at byte {offset} has {extra} bytes after its last field"
            ),
            MetadataError::DuplicateFunction { name } => write!(
                f,
                "`{METADATA_SECTION}` section describes function `{name}` twice"
            ),
            MetadataError::DuplicateImport { name } => write!(
                f,
                "`{METADATA_SECTION}` section describes import `{name}` twice"
            ),
            MetadataError::TooLarge { len } => write!(
                f,
                "the `{METADATA_SECTION}` sections hold {len} bytes, over the {MAX_METADATA_BYTES}-byte limit"
            ),
            MetadataError::TooManyFunctions => write!(
                f,
                "the `{METADATA_SECTION}` sections describe more than {MAX_FUNCTIONS} functions or imports"
            ),
        }
    }
}

impl core::error::Error for MetadataError {}

/// Reads every record of a [`METADATA_SECTION`] section (or of several,
/// concatenated in module order), in time linear in its length.
///
/// Reads the records of every version from [`OLDEST_ABI_VERSION`] to
/// [`ABI_VERSION`], each by the rules of its own version (version 1 has no
/// import records). Fails on the first record of a version outside them,
/// so that a host can tell a version mismatch apart from a damaged
/// section; and on metadata over [`MAX_METADATA_BYTES`] or
/// [`MAX_FUNCTIONS`].
pub fn parse_metadata(section: &[u8]) -> Result<Metadata, MetadataError> {
    if section.len() > MAX_METADATA_BYTES {
        return Err(MetadataError::TooLarge { len: section.len() });
    }
    let mut metadata = Metadata::default();
    let mut function_names: BTreeSet<String> = BTreeSet::new();
    let mut import_names: BTreeSet<String> = BTreeSet::new();
    let mut offset = 0;
    while offset < section.len() {
        let rest = &section[offset..];
        let header = take(rest, 0, RECORD_HEADER_SIZE, offset, "record header")?;
        let version = read_u32(header, 0);
        if !(OLDEST_ABI_VERSION..=ABI_VERSION).contains(&version) {
            return Err(MetadataError::VersionMismatch { found: version });
        }
        let kind = read_u32(header, 4);
        let body_len = read_u32(header, 8) as usize;
        let body = take(rest, RECORD_HEADER_SIZE, body_len, offset, "record body")?;
        let (records, names) = match kind {
            RECORD_KIND_FUNCTION => (&mut metadata.functions, &mut function_names),
            RECORD_KIND_IMPORT if version >= 2 => (&mut metadata.imports, &mut import_names),
            _ => return Err(MetadataError::UnknownKind { offset, kind }),
        };
        let record = parse_function(body, offset)?;
        if !names.insert(record.name.clone()) {
            return Err(match kind {
                RECORD_KIND_IMPORT => MetadataError::DuplicateImport { name: record.name },
                _ => MetadataError::DuplicateFunction { name: record.name },
            });
        }
        if records.len() == MAX_FUNCTIONS {
            return Err(MetadataError::TooManyFunctions);
        }
        records.push(record);
        if kind == RECORD_KIND_FUNCTION {
            metadata.function_versions.push(version);
        }
        offset += RECORD_HEADER_SIZE + body_len;
    }
    Ok(metadata)
}

fn parse_function(body: &[u8], offset: usize) -> Result<FunctionRecord, MetadataError> {
    let body_offset = offset + RECORD_HEADER_SIZE;
    let mut at = 0;
    let mut fields: [String; 4] = Default::default();
    for (slot, what) in fields.iter_mut().zip(FUNCTION_FIELDS) {
        let len = read_u32(take(body, at, 4, body_offset, what)?, 0) as usize;
        let bytes = take(body, at + 4, len, body_offset, what)?;
        *slot = core::str::from_utf8(bytes)
            .map_err(|_| MetadataError::NotUtf8 {
                offset,
                field: what,
            })?
            .into();
        at += 4 + len;
    }
    if at != body.len() {
        return Err(MetadataError::TrailingBytes {
            offset,
            extra: body.len() - at,
        });
    }
    let [name, codec, args, ret] = fields;
    Ok(FunctionRecord {
        name,
        codec,
        args,
        ret,
    })
}

/// `len` bytes of `bytes` from `at`, or a `Truncated` error that names the
/// section offset of the record (`base`) and what was being read.
fn take<'a>(
    bytes: &'a [u8],
    at: usize,
    len: usize,
    base: usize,
    what: &'static str,
) -> Result<&'a [u8], MetadataError> {
    let available = bytes.len().saturating_sub(at);
    if len > available {
        return Err(MetadataError::Truncated {
            offset: base + at,
            what,
            needed: len,
            available,
        });
    }
    Ok(&bytes[at..at + len])
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn record(name: &str) -> FunctionRecord {
        FunctionRecord {
            name: name.into(),
            codec: "bincode".into(),
            args: "(&str, u32)".into(),
            ret: "Result<String, String>".into(),
        }
    }

    #[test]
    fn const_encoding_matches_runtime_encoding() {
        const FIELDS: [&str; 4] = ["greet", "bincode", "(&str, u32)", "Result<String, String>"];
        const LEN: usize = record_len(FIELDS);
        const FUNCTION: [u8; LEN] = super::record::<LEN>(RECORD_KIND_FUNCTION, FIELDS);
        const IMPORT: [u8; LEN] = super::record::<LEN>(RECORD_KIND_IMPORT, FIELDS);
        assert_eq!(FUNCTION.to_vec(), record("greet").to_bytes());
        assert_eq!(IMPORT.to_vec(), record("greet").to_import_bytes());
    }

    #[test]
    fn parses_concatenated_records() {
        let mut section = record("a").to_bytes();
        section.extend(record("log").to_import_bytes());
        section.extend(record("b").to_bytes());
        // A function and an import may share a name.
        section.extend(record("a").to_import_bytes());
        let parsed = parse_metadata(&section).unwrap();
        assert_eq!(parsed.functions, [record("a"), record("b")]);
        assert_eq!(parsed.imports, [record("log"), record("a")]);
        assert_eq!(parse_metadata(&[]).unwrap(), Metadata::default());
    }

    #[test]
    fn every_truncation_is_an_error() {
        let section = record("a").to_bytes();
        for cut in 1..section.len() {
            let err = parse_metadata(&section[..cut]).unwrap_err();
            assert!(
                matches!(err, MetadataError::Truncated { .. }),
                "cut at {cut}: {err}"
            );
        }
    }

    #[test]
    fn other_version_is_reported_as_such() {
        for version in [0, ABI_VERSION + 1, u32::MAX] {
            let mut section = record("a").to_bytes();
            section[..4].copy_from_slice(&version.to_le_bytes());
            let err = parse_metadata(&section).unwrap_err();
            assert_eq!(err, MetadataError::VersionMismatch { found: version });
            assert!(
                err.to_string()
                    .contains(&alloc::format!("version {version}")),
                "{err}"
            );
        }
    }

    #[test]
    fn older_versions_are_read_by_their_own_rules() {
        let mut section = Vec::new();
        for version in OLDEST_ABI_VERSION..=ABI_VERSION {
            let mut function = record(&alloc::format!("f{version}")).to_bytes();
            function[..4].copy_from_slice(&version.to_le_bytes());
            section.extend(function);
        }
        let parsed = parse_metadata(&section).unwrap();
        assert_eq!(
            parsed.functions.len() as u32,
            ABI_VERSION - OLDEST_ABI_VERSION + 1
        );
        // Each function's version comes with it: it says what its export
        // returns.
        assert_eq!(
            parsed.function_versions,
            (OLDEST_ABI_VERSION..=ABI_VERSION).collect::<Vec<_>>()
        );
        // Version 1 had no import records.
        let mut import = record("log").to_import_bytes();
        import[..4].copy_from_slice(&1u32.to_le_bytes());
        assert_eq!(
            parse_metadata(&import).unwrap_err(),
            MetadataError::UnknownKind {
                offset: 0,
                kind: RECORD_KIND_IMPORT
            }
        );
    }

    #[test]
    fn damaged_records_are_rejected() {
        let good = record("a").to_bytes();

        let mut kind = good.clone();
        kind[4..8].copy_from_slice(&9u32.to_le_bytes());
        assert_eq!(
            parse_metadata(&kind).unwrap_err(),
            MetadataError::UnknownKind { offset: 0, kind: 9 }
        );

        let mut utf8 = good.clone();
        utf8[RECORD_HEADER_SIZE + 4] = 0xff;
        assert_eq!(
            parse_metadata(&utf8).unwrap_err(),
            MetadataError::NotUtf8 {
                offset: 0,
                field: "function name"
            }
        );

        let mut trailing = good.clone();
        trailing.push(0);
        let body_len = (trailing.len() - RECORD_HEADER_SIZE) as u32;
        trailing[8..12].copy_from_slice(&body_len.to_le_bytes());
        assert_eq!(
            parse_metadata(&trailing).unwrap_err(),
            MetadataError::TrailingBytes {
                offset: 0,
                extra: 1
            }
        );

        let mut twice = good.clone();
        twice.extend(&good);
        assert_eq!(
            parse_metadata(&twice).unwrap_err(),
            MetadataError::DuplicateFunction { name: "a".into() }
        );
        let import = record("a").to_import_bytes();
        let mut twice = import.clone();
        twice.extend(&import);
        assert_eq!(
            parse_metadata(&twice).unwrap_err(),
            MetadataError::DuplicateImport { name: "a".into() }
        );
    }

    #[test]
    fn huge_lengths_do_not_overflow() {
        let mut section = record("a").to_bytes();
        section[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            parse_metadata(&section).unwrap_err(),
            MetadataError::Truncated { .. }
        ));
        let mut field = record("a").to_bytes();
        field[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            parse_metadata(&field).unwrap_err(),
            MetadataError::Truncated { .. }
        ));
    }

    #[test]
    fn metadata_is_bounded_in_bytes_and_functions() {
        let too_long = alloc::vec![0; MAX_METADATA_BYTES + 1];
        assert_eq!(
            parse_metadata(&too_long).unwrap_err(),
            MetadataError::TooLarge {
                len: MAX_METADATA_BYTES + 1
            }
        );
        let tiny = |i: usize| {
            FunctionRecord {
                name: i.to_string(),
                codec: "c".into(),
                args: "()".into(),
                ret: "()".into(),
            }
            .to_bytes()
        };
        let mut many: Vec<u8> = (0..MAX_FUNCTIONS).flat_map(tiny).collect();
        assert_eq!(
            parse_metadata(&many).unwrap().functions.len(),
            MAX_FUNCTIONS
        );
        many.extend(tiny(MAX_FUNCTIONS));
        assert!(many.len() <= MAX_METADATA_BYTES);
        assert_eq!(
            parse_metadata(&many).unwrap_err(),
            MetadataError::TooManyFunctions
        );
    }

    #[test]
    fn messages_name_the_section() {
        let err = parse_metadata(&[1, 0]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`wasmer-plugin` section truncated at byte 0: the record header needs 12 bytes, 2 are left"
        );
    }
}
