//! Everything the attribute accepts compiles natively, and the functions
//! stay ordinary Rust functions.
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use wasmer_plugin::*;

#[derive(Serialize, Deserialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

#[wasmer_plugin]
pub fn none() {}

#[wasmer_plugin]
pub fn one(x: u32) -> u32 {
    x
}

#[wasmer_plugin(codec = "bincode")]
pub fn three(a: u8, b: String, c: Vec<Point>) -> (u8, String, usize) {
    (a, b, c.len())
}

#[wasmer_plugin]
pub fn borrowed(text: &str, bytes: &[u8], point: &Point, elided: &'_ str) -> usize {
    text.len() + bytes.len() + point.x as usize + elided.len()
}

#[wasmer_plugin]
pub fn fallible(map: HashMap<String, u32>) -> Result<u32, String> {
    map.get("key").copied().ok_or_else(|| "no key".to_string())
}

#[wasmer_plugin]
pub fn static_return() -> &'static str {
    "static"
}

#[wasmer_plugin(codec = Bincode)]
pub fn codec_by_path(x: u32) -> u32 {
    x
}

/// A function may be named like the generated code's locals.
#[wasmer_plugin]
pub fn input(len: u32) -> u32 {
    len
}

mod renamed {
    pub use wasmer_plugin as plugin_framework;
}

#[wasmer_plugin(crate = "renamed::plugin_framework")]
pub fn via_renamed_crate(x: u32) -> u32 {
    x
}

fn main() {
    none();
    assert_eq!(one(1), 1);
    assert_eq!(three(1, "b".into(), vec![]), (1, "b".into(), 0));
    assert_eq!(borrowed("ab", &[1], &Point { x: 1.0, y: 0.0 }, "s"), 5);
    assert!(fallible(HashMap::new()).is_err());
    assert_eq!(static_return(), "static");
    assert_eq!(codec_by_path(3), 3);
    assert_eq!(input(4), 4);
    assert_eq!(via_renamed_crate(5), 5);
}
