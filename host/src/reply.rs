//! What a plugin's answer means: the slot and returned pointer of a call,
//! checked against guest memory, turned into the output bytes or an error.
//! Pure, so that it can be fuzzed without a plugin.

use wasmer_plugin_abi::{SLOT_LEN_OFFSET, SLOT_PTR_OFFSET, SLOT_SIZE, SLOT_STATUS_OFFSET, Status};

use crate::Error;
use crate::limits::check_output;

/// A call's answer that passed the bounds checks.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reply<'a> {
    /// The encoded return value.
    Value(&'a [u8]),
    /// The plugin could not decode its arguments; the instance is intact.
    GuestDecode(String),
    /// The plugin could not encode its return value; the instance is intact.
    GuestEncode(String),
}

impl<'a> Reply<'a> {
    /// The output bytes, or the plugin's own error as the host's.
    pub(crate) fn output(self, function: &str) -> Result<&'a [u8], Error> {
        match self {
            Reply::Value(output) => Ok(output),
            Reply::GuestDecode(message) => Err(Error::GuestDecode {
                function: function.to_owned(),
                message,
            }),
            Reply::GuestEncode(message) => Err(Error::GuestEncode {
                function: function.to_owned(),
                message,
            }),
        }
    }
}

/// Reads the answer of a call that returned `returned` with `slot` from
/// `memory`. An `Err` is a breach of the contract: the instance that gave
/// it must not be trusted again.
pub(crate) fn read_reply<'a>(
    function: &str,
    slot: &[u8; SLOT_SIZE],
    returned: u32,
    memory: &'a [u8],
    max_output_bytes: u64,
) -> Result<Reply<'a>, Error> {
    let len = slot_word(slot, SLOT_LEN_OFFSET) as u64;
    let status = slot_word(slot, SLOT_STATUS_OFFSET);
    check_output(function, len, max_output_bytes)?;
    let start = returned as u64;
    let memory_size = memory.len() as u64;
    // Both are below 2^32, so the sum cannot overflow.
    if start + len > memory_size {
        return Err(bad_output(
            function,
            format!("{len} bytes at address {start} lie outside the {memory_size}-byte memory"),
        ));
    }
    let output = &memory[start as usize..(start + len) as usize];
    match Status::from_code(status) {
        Some(Status::Ok) => Ok(Reply::Value(output)),
        Some(Status::DecodeError) => Ok(Reply::GuestDecode(guest_message(output))),
        Some(Status::EncodeError) => Ok(Reply::GuestEncode(guest_message(output))),
        Some(Status::Panic) | None => Err(bad_output(
            function,
            format!("the slot holds status {status}, which a returning call cannot report"),
        )),
    }
}

/// The message a panicking plugin recorded in `slot` before it trapped,
/// if it did, cut to [`MAX_GUEST_MESSAGE_BYTES`].
pub(crate) fn panic_message(slot: &[u8; SLOT_SIZE], memory: &[u8]) -> Option<String> {
    if Status::from_code(slot_word(slot, SLOT_STATUS_OFFSET)) != Some(Status::Panic) {
        return None;
    }
    let len = slot_word(slot, SLOT_LEN_OFFSET) as u64;
    let ptr = slot_word(slot, SLOT_PTR_OFFSET) as u64;
    Some(match memory.get(ptr as usize..(ptr + len) as usize) {
        Some(message) => guest_message(message),
        None => format!("its message ({len} bytes at address {ptr}) lies outside memory"),
    })
}

/// The most bytes of a message from the plugin (a panic, a guest's
/// decoding or encoding error, a codec error quoting the output) that an
/// [`Error`] carries; the rest is cut and the cut is said.
pub(crate) const MAX_GUEST_MESSAGE_BYTES: usize = 4096;

/// `bytes` as text for an error: invalid UTF-8 replaced, and cut after
/// [`MAX_GUEST_MESSAGE_BYTES`] with a note of the whole length.
pub(crate) fn guest_message(bytes: &[u8]) -> String {
    if bytes.len() <= MAX_GUEST_MESSAGE_BYTES {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let message = String::from_utf8_lossy(&bytes[..MAX_GUEST_MESSAGE_BYTES]).into_owned();
    mark_cut(message, bytes.len())
}

/// A message already in a `String`, cut as [`guest_message`] cuts, at a
/// character boundary.
pub(crate) fn cap_message(mut message: String) -> String {
    if message.len() <= MAX_GUEST_MESSAGE_BYTES {
        return message;
    }
    let len = message.len();
    let mut end = MAX_GUEST_MESSAGE_BYTES;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    message.truncate(end);
    mark_cut(message, len)
}

fn mark_cut(mut message: String, whole_len: usize) -> String {
    message.push_str(&format!("… (cut: {whole_len} bytes in all)"));
    message
}

/// The slot's bytes in `memory` at `address`, if they are inside it.
pub(crate) fn slot_at(memory: &[u8], address: u64) -> Option<[u8; SLOT_SIZE]> {
    memory
        .get(address as usize..)?
        .first_chunk::<SLOT_SIZE>()
        .copied()
}

/// The little-endian `u32` at `offset` of the slot.
fn slot_word(slot: &[u8; SLOT_SIZE], offset: usize) -> u32 {
    u32::from_le_bytes([
        slot[offset],
        slot[offset + 1],
        slot[offset + 2],
        slot[offset + 3],
    ])
}

fn bad_output(function: &str, reason: String) -> Error {
    Error::BadOutput {
        function: function.to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(len: u32, status: u32, ptr: u32) -> [u8; SLOT_SIZE] {
        let mut slot = [0; SLOT_SIZE];
        slot[SLOT_LEN_OFFSET..][..4].copy_from_slice(&len.to_le_bytes());
        slot[SLOT_STATUS_OFFSET..][..4].copy_from_slice(&status.to_le_bytes());
        slot[SLOT_PTR_OFFSET..][..4].copy_from_slice(&ptr.to_le_bytes());
        slot
    }

    const MEMORY: &[u8] = b"0123456789";

    #[test]
    fn a_reply_inside_memory_is_its_bytes() {
        let reply = read_reply("f", &slot(3, 0, 0), 4, MEMORY, 100).unwrap();
        assert_eq!(reply, Reply::Value(b"456"));
        let empty = read_reply("f", &slot(0, 0, 0), 10, MEMORY, 100).unwrap();
        assert_eq!(empty, Reply::Value(b""));
    }

    #[test]
    fn guest_errors_carry_their_message() {
        let reply = read_reply("f", &slot(2, 1, 0), 0, MEMORY, 100).unwrap();
        assert_eq!(reply, Reply::GuestDecode("01".into()));
        let reply = read_reply("f", &slot(2, 2, 0), 8, MEMORY, 100).unwrap();
        assert_eq!(reply, Reply::GuestEncode("89".into()));
    }

    #[test]
    fn out_of_bounds_and_wrapping_replies_are_breaches() {
        for (len, returned) in [(1, 10), (11, 0), (u32::MAX, u32::MAX), (16, u32::MAX - 8)] {
            let err = read_reply("f", &slot(len, 0, 0), returned, MEMORY, u64::MAX).unwrap_err();
            assert!(
                matches!(err, Error::BadOutput { .. }),
                "{len} at {returned}: {err:?}"
            );
        }
    }

    #[test]
    fn the_output_limit_comes_before_the_bounds() {
        let err = read_reply("f", &slot(5, 0, 0), u32::MAX, MEMORY, 4).unwrap_err();
        assert!(
            matches!(
                err,
                Error::OutputTooLarge {
                    len: 5,
                    limit: 4,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn a_panic_status_or_an_unknown_one_is_a_breach_in_a_reply() {
        for status in [3, 4, u32::MAX] {
            let err = read_reply("f", &slot(1, status, 0), 0, MEMORY, 100).unwrap_err();
            assert!(matches!(err, Error::BadOutput { .. }), "{status}: {err:?}");
        }
    }

    #[test]
    fn panic_messages_are_never_read_out_of_bounds() {
        assert_eq!(
            panic_message(&slot(3, 3, 1), MEMORY).as_deref(),
            Some("123")
        );
        let outside = panic_message(&slot(4, 3, 8), MEMORY).unwrap();
        assert!(outside.contains("outside memory"), "{outside}");
        let past_the_end = panic_message(&slot(9, 3, 2), MEMORY).unwrap();
        assert!(past_the_end.contains("outside memory"), "{past_the_end}");
        assert_eq!(panic_message(&slot(3, 0, 1), MEMORY), None);
    }

    #[test]
    fn guest_messages_are_cut_and_say_so() {
        let long = vec![0xff; 64 << 20];
        let message = guest_message(&long);
        // Each invalid byte becomes a 3-byte replacement character.
        assert!(message.len() <= 3 * MAX_GUEST_MESSAGE_BYTES + 100);
        assert!(
            message.ends_with(&format!("(cut: {} bytes in all)", 64 << 20)),
            "{}",
            &message[message.len() - 40..]
        );
        assert_eq!(guest_message(b"short"), "short");
        let text = "é".repeat(MAX_GUEST_MESSAGE_BYTES);
        let cut = cap_message(text.clone());
        assert!(cut.starts_with(&text[..MAX_GUEST_MESSAGE_BYTES]));
        assert!(!cut.contains('\u{fffd}'), "a character was split");
        assert!(cut.ends_with(&format!("(cut: {} bytes in all)", text.len())));
    }

    #[test]
    fn the_slot_is_read_only_inside_memory() {
        assert_eq!(slot_at(&[1; 12], 0), Some([1; 12]));
        assert_eq!(slot_at(&[1; 12], 1), None);
        assert_eq!(slot_at(&[1; 12], u64::MAX), None);
    }
}
