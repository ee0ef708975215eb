//! Plugin functions over column types, for the batch exports and the
//! DataFusion integration (`datafusion/tests`): every column type as a
//! parameter and a result, nulls, several columns, failures, and
//! functions that do not map to SQL.

use serde::{Deserialize, Serialize};
use wasmer_plugin::{host_functions, wasmer_plugin};

#[host_functions]
extern "C" {
    /// Returns once `peers` calls wait at once (or the host gives up).
    fn rendezvous(peers: u32) -> bool;
}

macro_rules! identities {
    ($($name:ident: $ty:ty),* $(,)?) => {$(
        #[wasmer_plugin]
        pub fn $name(value: $ty) -> $ty {
            value
        }
    )*};
}

identities!(
    id_bool: bool, id_i8: i8, id_i16: i16, id_i32: i32, id_i64: i64,
    id_u8: u8, id_u16: u16, id_u32: u32, id_u64: u64, id_f32: f32, id_f64: f64,
    id_string: String, id_bytes: Vec<u8>,
);

/// `a + b`, wrapping.
#[wasmer_plugin]
pub fn add(a: i64, b: i64) -> i64 {
    a.wrapping_add(b)
}

/// The address trimmed and lowercased, or null when it is not one.
#[wasmer_plugin]
pub fn clean_email(address: &str) -> Option<String> {
    let address = address.trim();
    let (user, domain) = address.split_once('@')?;
    if user.is_empty() || domain.is_empty() || domain.contains('@') || !domain.contains('.') {
        return None;
    }
    Some(address.to_ascii_lowercase())
}

/// The length of borrowed bytes.
#[wasmer_plugin]
pub fn byte_len(bytes: &[u8]) -> u64 {
    bytes.len() as u64
}

/// One row of every parameter kind, described.
#[wasmer_plugin]
#[allow(clippy::too_many_arguments)]
pub fn describe(
    a: bool,
    b: i8,
    c: i16,
    d: i32,
    e: u8,
    f: u16,
    g: u32,
    h: u64,
    i: f32,
    j: f64,
    k: &str,
    l: Vec<u8>,
) -> String {
    format!("{a} {b} {c} {d} {e} {f} {g} {h} {i} {j} {k} {l:?}")
}

/// Nulls reach an `Option` parameter as `None`.
#[wasmer_plugin]
pub fn or_minus_one(value: Option<i64>) -> i64 {
    value.unwrap_or(-1)
}

/// The length in chars of a string, null for null or empty.
#[wasmer_plugin]
pub fn char_count(text: Option<&str>) -> Option<u32> {
    text.filter(|text| !text.is_empty())
        .map(|text| text.chars().count() as u32)
}

/// A function of no arguments: one value per row.
#[wasmer_plugin]
pub fn answer() -> i32 {
    42
}

/// Panics on `"boom"`.
#[wasmer_plugin]
pub fn explode_on_boom(text: &str) -> i64 {
    if text == "boom" {
        panic!("boom is not allowed here");
    }
    text.len() as i64
}

/// Waits until `peers` calls of the plugin run at once, then returns `x`.
#[wasmer_plugin]
pub fn meet(x: i64, peers: u32) -> i64 {
    if rendezvous(peers) { x } else { -x }
}

#[derive(Serialize, Deserialize)]
pub struct Point {
    pub x: i64,
    pub y: i64,
}

/// Not a column type: listed, not registered.
#[wasmer_plugin]
pub fn norm(point: Point) -> i64 {
    point.x.abs() + point.y.abs()
}

/// A tuple result is not a column type either.
#[wasmer_plugin]
pub fn split(x: i64) -> (i64, i64) {
    (x / 2, x - x / 2)
}
