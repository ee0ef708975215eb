use alloc::vec::Vec;
use core::fmt::{Debug, Display};
use serde::{Deserialize, Serialize};

/// How values cross the boundary between host and plugin.
///
/// A codec is a type with no data (`Bincode`, `Postcard`, …) naming a wire
/// format. Host and plugin must use the same one for a function; the host
/// checks this against the plugin's metadata before every call, by
/// comparing [`Codec::NAME`].
///
/// Implement it for your own unit struct to bring another format, then
/// write `#[wasmer_plugin(codec = path::to::YourCodec)]` in the plugin and
/// `Host::<YourCodec>` in the host.
pub trait Codec {
    /// The name recorded in a plugin's metadata and compared by the host.
    /// It must be unique among the codecs one host talks to.
    const NAME: &'static str;

    /// The error both directions report. Its text reaches users verbatim.
    type Error: Debug + Display;

    /// How the format lays out structs and enums, which decides which
    /// differences between the host's and the plugin's types it tolerates
    /// (docs/ABI.md, "Compatible types"). The default, [`Layout::POSITIONAL`],
    /// is the strictest: only identical types match.
    const LAYOUT: Layout = Layout::POSITIONAL;

    /// Appends the encoding of `value` to `out`; bytes already in `out`
    /// are kept, so a caller can reuse one buffer for many calls.
    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), Self::Error>;

    /// Decodes one value that fills `bytes`, borrowing from it where the
    /// format and `T` allow (`&str`, `&[u8]`).
    fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Self::Error>;
}

/// What a codec's format writes of a value's names, for the host's type
/// check: a format that writes field names tolerates reordered, added
/// optional and unknown fields; one that writes only positions tolerates
/// nothing but identical layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Layout {
    /// Structs are written as maps of field names, and decoding matches
    /// fields by name.
    pub named_fields: bool,
    /// Enum variants are written and matched by name, not by index.
    pub named_variants: bool,
    /// The format's serializer and deserializer say
    /// `is_human_readable()`, which some types (addresses, times) answer
    /// with another shape.
    pub human_readable: bool,
}

impl Layout {
    /// Fields and variants by position, not human-readable: bincode,
    /// postcard.
    pub const POSITIONAL: Layout = Layout {
        named_fields: false,
        named_variants: false,
        human_readable: false,
    };
}
