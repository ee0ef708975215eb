//! Large byte copies that stay clear of the 4K-aliasing trap.
//!
//! On some x86 CPUs (the AMD EPYC machines of docs/BENCHMARKS.md) glibc
//! copies blocks of a few KiB and up with `rep movsb`, which runs about
//! fourteen times slower when the destination lies a few bytes above the
//! source modulo 4 KiB. Codec output buffers hit that often: the bytes of
//! a buffer land right after a length prefix of a few bytes. A copy the
//! codecs make (a byte buffer into the output, a borrowed buffer into a
//! new `Vec`) therefore checks the distance first and, inside the window,
//! copies in pieces small enough that glibc uses its vector loop instead.
//! In a wasm guest the pieces are `memory.copy`s, which the runtime runs
//! with the host's `memmove`: the same rule holds there.

use alloc::vec::Vec;

/// Copies shorter than this never take `rep movsb` (glibc's threshold is
/// 2 KiB and up, depending on the CPU's vector width).
const LARGE: usize = 2048;

/// Copies this short are done byte by byte, inline.
const TINY: usize = 16;

/// Destinations this many bytes or fewer above the source, modulo 4 KiB,
/// are the slow case.
const WINDOW: usize = 63;

/// The piece size inside the window: below every `rep movsb` threshold.
const PIECE: usize = 1024;

/// Whether copying `len` bytes from `src` to `dst` is the slow case:
/// large, with the destination `1..=WINDOW` bytes above the source modulo
/// 4 KiB.
#[inline]
pub(crate) fn aliased(dst: usize, src: usize, len: usize) -> bool {
    let distance = dst.wrapping_sub(src) % 4096;
    len >= LARGE && (1..=WINDOW).contains(&distance)
}

/// Appends `bytes` to `out`, in pieces when one copy would be aliased.
#[inline(always)]
pub(crate) fn extend(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.len() <= TINY {
        // Varints, tags and short strings: an inlined loop beats a call
        // to `memcpy` (postcard's small struct encodes 40 % faster).
        out.extend(bytes.iter().copied());
    } else if bytes.len() < LARGE {
        out.extend_from_slice(bytes);
    } else {
        extend_large(out, bytes);
    }
}

#[inline(never)]
fn extend_large(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len());
    let dst = out.as_ptr() as usize + out.len();
    if !aliased(dst, bytes.as_ptr() as usize, bytes.len()) {
        out.extend_from_slice(bytes);
        return;
    }
    for piece in bytes.chunks(PIECE) {
        out.extend_from_slice(piece);
    }
}

/// `bytes` in a new `Vec` of exactly their length.
#[inline]
pub(crate) fn to_vec(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    extend(&mut out, bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slow_case_is_a_large_copy_a_few_bytes_above_modulo_4k() {
        assert!(aliased(0x1_0005, 0x3_0000, 64 * 1024));
        assert!(aliased(0x1_0000 + 4096 * 7 + 63, 0x3_0000, 4096));
        assert!(!aliased(0x1_0000, 0x3_0000, 64 * 1024), "same offset");
        assert!(!aliased(0x1_0000, 0x3_0005, 64 * 1024), "below");
        assert!(!aliased(0x1_0040, 0x3_0000, 64 * 1024), "64 bytes above");
        assert!(!aliased(0x1_0005, 0x3_0000, LARGE - 1), "small");
        assert!(aliased(5, usize::MAX - 4095, LARGE), "wrapping");
    }

    #[test]
    fn copies_are_exact_inside_and_outside_the_window() {
        let source: Vec<u8> = (0..70_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        for prefix in [0usize, 1, 5, 9, 63, 64, 4095] {
            let mut out = Vec::with_capacity(prefix + source.len());
            out.resize(prefix, 0xAA);
            extend(&mut out, &source);
            assert_eq!(&out[..prefix], &alloc::vec![0xAA; prefix][..]);
            assert_eq!(&out[prefix..], &source[..], "prefix {prefix}");
        }
        // A source placed 5 bytes below the destination modulo 4 KiB: the
        // window, copied in pieces.
        let big: Vec<u8> = (0..80_000u32).map(|i| (i % 253) as u8).collect();
        let mut out: Vec<u8> = Vec::with_capacity(70_000);
        let dst = out.as_ptr() as usize;
        let offset = dst.wrapping_sub(big.as_ptr() as usize).wrapping_sub(5) % 4096;
        let piece = &big[offset..offset + 70_000];
        assert!(aliased(dst, piece.as_ptr() as usize, piece.len()));
        extend(&mut out, piece);
        assert_eq!(out, piece);
        assert_eq!(to_vec(&source), source);
        assert_eq!(to_vec(&[]), Vec::<u8>::new());
        assert_eq!(to_vec(&source[..3]), source[..3].to_vec());
    }
}
