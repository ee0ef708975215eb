//! Loops over bytes that a compiler vectorises when the target has SIMD:
//! the work of the SIMD benchmark (`benches/benches/simd.rs`), run by the
//! plugin built with and without `+simd128` and natively.

/// How many bytes the SIMD benchmark feeds the kernels: 1 MiB of
/// text-like bytes (see [`kernel_input`]).
pub const KERNEL_INPUT_BYTES: usize = 1 << 20;

/// How many bytes of `data` are `\n`, as `wc -l` counts.
pub fn count_newlines(data: &[u8]) -> u64 {
    data.iter().filter(|&&byte| byte == b'\n').count() as u64
}

/// Each byte of an RGBA image raised by 32, saturating: a brightness
/// filter.
pub fn brighten(pixels: &[u8]) -> Vec<u8> {
    pixels.iter().map(|byte| byte.saturating_add(32)).collect()
}

/// [`KERNEL_INPUT_BYTES`] deterministic bytes from `rng`: printable
/// ASCII with a newline on average every 40 bytes.
pub fn kernel_input(rng: &mut crate::Rng) -> Vec<u8> {
    (0..KERNEL_INPUT_BYTES)
        .map(|_| match rng.range(0, 40) {
            0 => b'\n',
            n => b' ' + (n as u8 * 2),
        })
        .collect()
}
