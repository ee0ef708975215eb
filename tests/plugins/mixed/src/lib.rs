//! One module whose functions use different codecs, including a codec the
//! framework does not ship.
use wasmer_plugin::wasmer_plugin;
use wasmer_plugin_tests_common::CustomJson;

/// The default codec.
#[wasmer_plugin]
pub fn via_bincode(x: u32) -> u32 {
    x + 1
}

/// A named codec.
#[wasmer_plugin(codec = "postcard")]
pub fn via_postcard(x: u32) -> u32 {
    x + 2
}

/// A user codec, by path.
#[wasmer_plugin(codec = CustomJson)]
pub fn via_custom(x: u32) -> u32 {
    x + 3
}

/// A raw identifier keeps its plain name in the export and metadata.
#[wasmer_plugin]
pub fn r#type(name: &str) -> String {
    format!("type {name}")
}

/// Named like the generated code's locals, which must not capture it.
#[wasmer_plugin]
pub fn input(len: u32) -> u32 {
    len * 10
}
