//! What a plugin's answer means: the slot and returned pointer of a call,
//! checked against guest memory, turned into the output bytes or an error.
//! Pure, so that it can be fuzzed without a plugin.

use wasmer_plugin_abi::{DirectReply, Slot, Status};

use crate::Error;
use crate::error::CallResult;
use crate::guest_memory::GuestMemory;
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
    #[inline(always)]
    pub(crate) fn output(self, function: &str) -> CallResult<&'a [u8]> {
        match self {
            Reply::Value(output) => Ok(output),
            Reply::GuestDecode(message) => Err(Box::new(Error::GuestDecode {
                function: function.to_owned(),
                message,
            })),
            Reply::GuestEncode(message) => Err(Box::new(Error::GuestEncode {
                function: function.to_owned(),
                message,
            })),
        }
    }
}

/// Reads the answer of a call that returned `returned` with `slot` from
/// `memory`. An `Err` is a breach of the contract: the instance that gave
/// it must not be trusted again.
#[inline(always)]
pub(crate) fn read_reply<'a>(
    function: &str,
    slot: Slot,
    returned: u32,
    memory: &'a GuestMemory<'_>,
    max_output_bytes: u64,
) -> CallResult<Reply<'a>> {
    let output = output_bytes(function, returned, slot.len, memory, max_output_bytes)?;
    match slot.status() {
        Some(Status::Ok) => Ok(Reply::Value(output)),
        Some(Status::DecodeError) => Ok(Reply::GuestDecode(guest_message(output))),
        Some(Status::EncodeError) => Ok(Reply::GuestEncode(guest_message(output))),
        Some(Status::Panic) | None => Err(bad_output(
            function,
            format!(
                "the slot holds status {}, which a returning call cannot report",
                slot.status
            ),
        )),
    }
}

/// Reads the output of a call whose export returned `reply` (ABI version
/// 7 and later), whose status is Ok by the contract. An `Err` is the
/// output limit, or a breach of the contract.
#[inline(always)]
pub(crate) fn read_direct_reply<'a>(
    function: &str,
    reply: DirectReply,
    memory: &'a GuestMemory<'_>,
    max_output_bytes: u64,
) -> CallResult<&'a [u8]> {
    output_bytes(function, reply.ptr, reply.len, memory, max_output_bytes)
}

/// The `len` output bytes at `ptr`, within the output limit and inside
/// the memory.
#[inline(always)]
fn output_bytes<'a>(
    function: &str,
    ptr: u32,
    len: u32,
    memory: &'a GuestMemory<'_>,
    max_output_bytes: u64,
) -> CallResult<&'a [u8]> {
    let len = len as u64;
    check_output(function, len, max_output_bytes)?;
    memory
        .get("the output", ptr as u64, len)
        .map_err(|outside| bad_output(function, outside.to_string()))
}

/// The message a panicking plugin recorded in `slot` before it trapped,
/// if it did, cut to [`MAX_GUEST_MESSAGE_BYTES`].
pub(crate) fn panic_message(slot: Slot, memory: &GuestMemory<'_>) -> Option<String> {
    if slot.status() != Some(Status::Panic) {
        return None;
    }
    Some(
        match memory.get("the panic message", slot.ptr as u64, slot.len as u64) {
            Ok(message) => guest_message(message),
            Err(outside) => format!("its message cannot be read: {outside}"),
        },
    )
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

fn bad_output(function: &str, reason: String) -> Box<Error> {
    Box::new(Error::BadOutput {
        function: function.to_owned(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(len: u32, status: u32, ptr: u32) -> Slot {
        Slot { len, status, ptr }
    }

    fn memory() -> Vec<u8> {
        b"0123456789".to_vec()
    }

    #[test]
    fn a_reply_inside_memory_is_its_bytes() {
        let mut bytes = memory();
        let memory = GuestMemory::from_bytes(&mut bytes);
        let reply = read_reply("f", slot(3, 0, 0), 4, &memory, 100).unwrap();
        assert_eq!(reply, Reply::Value(b"456"));
        let empty = read_reply("f", slot(0, 0, 0), 10, &memory, 100).unwrap();
        assert_eq!(empty, Reply::Value(b""));
    }

    #[test]
    fn guest_errors_carry_their_message() {
        let mut bytes = memory();
        let memory = GuestMemory::from_bytes(&mut bytes);
        let reply = read_reply("f", slot(2, 1, 0), 0, &memory, 100).unwrap();
        assert_eq!(reply, Reply::GuestDecode("01".into()));
        let reply = read_reply("f", slot(2, 2, 0), 8, &memory, 100).unwrap();
        assert_eq!(reply, Reply::GuestEncode("89".into()));
    }

    #[test]
    fn out_of_bounds_and_wrapping_replies_are_breaches() {
        let mut bytes = memory();
        let memory = GuestMemory::from_bytes(&mut bytes);
        for (len, returned) in [(1, 10), (11, 0), (u32::MAX, u32::MAX), (16, u32::MAX - 8)] {
            let err = read_reply("f", slot(len, 0, 0), returned, &memory, u64::MAX).unwrap_err();
            assert!(
                matches!(&*err, Error::BadOutput { reason, .. } if reason.contains("(the output) lie outside the 10-byte memory")),
                "{len} at {returned}: {err:?}"
            );
        }
    }

    #[test]
    fn the_output_limit_comes_before_the_bounds() {
        let mut bytes = memory();
        let memory = GuestMemory::from_bytes(&mut bytes);
        let err = read_reply("f", slot(5, 0, 0), u32::MAX, &memory, 4).unwrap_err();
        assert!(
            matches!(
                *err,
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
        let mut bytes = memory();
        let memory = GuestMemory::from_bytes(&mut bytes);
        for status in [3, 4, u32::MAX] {
            let err = read_reply("f", slot(1, status, 0), 0, &memory, 100).unwrap_err();
            assert!(matches!(*err, Error::BadOutput { .. }), "{status}: {err:?}");
        }
    }

    #[test]
    fn panic_messages_are_never_read_out_of_bounds() {
        let mut bytes = memory();
        let memory = GuestMemory::from_bytes(&mut bytes);
        assert_eq!(
            panic_message(slot(3, 3, 1), &memory).as_deref(),
            Some("123")
        );
        let outside = panic_message(slot(4, 3, 8), &memory).unwrap();
        assert!(outside.contains("outside the 10-byte memory"), "{outside}");
        let past_the_end = panic_message(slot(9, 3, 2), &memory).unwrap();
        assert!(
            past_the_end.contains("outside the 10-byte memory"),
            "{past_the_end}"
        );
        assert_eq!(panic_message(slot(3, 0, 1), &memory), None);
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
}
