//! Little-endian `u32` fields, the one integer shape of the contract: the
//! slot's three words and every field of a metadata record. `const` so
//! that the records the attribute generates are computed at compile time.

/// The little-endian `u32` at `at` in `bytes`; `bytes` must hold four
/// bytes there.
#[inline]
pub(crate) const fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Writes `value` as four little-endian bytes at `at` in `out` and
/// returns the offset after them.
#[inline]
pub(crate) const fn write_u32(out: &mut [u8], at: usize, value: u32) -> usize {
    let bytes = value.to_le_bytes();
    out[at] = bytes[0];
    out[at + 1] = bytes[1];
    out[at + 2] = bytes[2];
    out[at + 3] = bytes[3];
    at + 4
}
