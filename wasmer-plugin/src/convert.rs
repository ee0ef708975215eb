//! The original crate's two helpers, now generic over a codec and
//! returning errors instead of panicking. The attribute does not need
//! them; they are for hand-written exports and for tests.

use alloc::vec::Vec;

use serde::{Deserialize, Serialize};
use wasmer_plugin_abi::Codec;

/// Decodes a value from bytes a host wrote, borrowing from `bytes` where
/// the codec and `T` allow.
///
/// ```
/// # #[cfg(feature = "bincode")] {
/// use wasmer_plugin::{Bincode, convert_ret, convert_slice};
///
/// let bytes = convert_ret::<Bincode, _>(&("hi", 2u8)).unwrap();
/// let (text, n): (&str, u8) = convert_slice::<Bincode, _>(&bytes).unwrap();
/// assert_eq!((text, n), ("hi", 2));
/// assert!(convert_slice::<Bincode, (String, u8)>(&bytes[..1]).is_err());
/// # }
/// ```
pub fn convert_slice<'de, C: Codec, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, C::Error> {
    C::decode(bytes)
}

/// Encodes a value for the other side.
pub fn convert_ret<C: Codec, T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, C::Error> {
    let mut out = Vec::new();
    C::encode(value, &mut out)?;
    Ok(out)
}
