//! Messages the guest hands the host as UTF-8 bytes: its decoding and
//! encoding errors, its panic message.

use alloc::vec::Vec;
use core::fmt::Write as _;

/// Appends `args` to `out` as UTF-8.
pub(super) fn write_message(out: &mut Vec<u8>, args: core::fmt::Arguments<'_>) {
    struct Bytes<'a>(&'a mut Vec<u8>);
    impl core::fmt::Write for Bytes<'_> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            self.0.extend_from_slice(s.as_bytes());
            Ok(())
        }
    }
    // Writing into a Vec cannot fail; a failing Display impl leaves a
    // shorter message, which is still better than none.
    let _ = Bytes(out).write_fmt(args);
}

/// Cuts `bytes` to at most `max` bytes at a UTF-8 character boundary.
pub(super) fn truncate_utf8(bytes: &mut Vec<u8>, max: usize) {
    if bytes.len() <= max {
        return;
    }
    let mut end = max;
    // A UTF-8 continuation byte is 0b10xx_xxxx.
    while end > 0 && (bytes[end] as i8) < -0x40 {
        end -= 1;
    }
    bytes.truncate(end);
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn truncation_keeps_whole_characters() {
        let mut text = "aé".repeat(4).into_bytes();
        truncate_utf8(&mut text, 2);
        assert_eq!(text, b"a");
        let mut text = "aé".repeat(4).into_bytes();
        truncate_utf8(&mut text, 3);
        assert_eq!(text, "aé".as_bytes());
        let mut short = vec![b'x'; 3];
        truncate_utf8(&mut short, 10);
        assert_eq!(short, b"xxx");
    }

    #[test]
    fn messages_are_appended() {
        let mut out = b"> ".to_vec();
        write_message(&mut out, format_args!("{}-{}", 1, "two"));
        assert_eq!(out, b"> 1-two");
    }
}
