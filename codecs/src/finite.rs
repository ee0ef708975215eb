//! Floats JSON cannot carry. serde_json writes a NaN or an infinity as
//! `null`, which reads back as an error, or worse as `None` where the
//! type is an `Option<f64>`: a value silently changed. The JSON codec
//! writes every value through [`Finite`], which refuses them with an
//! error naming the value instead.

use core::fmt;

use serde::ser::{Error, Serialize, Serializer};

use crate::proxy::{Policy, Proxy};

/// `value`, serialized with every float in it checked to be finite.
pub(crate) struct Finite<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: Serialize + ?Sized> Serialize for Finite<'_, T> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(Proxy::<S, FiniteFloats>::new(serializer))
    }
}

/// The [`Policy`] that refuses NaN and infinities, at every depth.
struct FiniteFloats;

impl Policy for FiniteFloats {
    type Nested = FiniteFloats;

    #[inline]
    fn element<T: Serialize + ?Sized, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        Finite(value).serialize(serializer)
    }

    #[inline]
    fn content<T: Serialize + ?Sized, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        Finite(value).serialize(serializer)
    }

    #[inline]
    fn f32<S: Serializer>(value: f32, serializer: S) -> Result<S::Ok, S::Error> {
        if !value.is_finite() {
            return Err(not_finite(&format_args!("the f32 {value}")));
        }
        serializer.serialize_f32(value)
    }

    #[inline]
    fn f64<S: Serializer>(value: f64, serializer: S) -> Result<S::Ok, S::Error> {
        if !value.is_finite() {
            return Err(not_finite(&format_args!("the f64 {value}")));
        }
        serializer.serialize_f64(value)
    }
}

#[cold]
fn not_finite<E: Error>(value: &dyn fmt::Display) -> E {
    E::custom(format_args!(
        "JSON cannot carry {value}: only finite numbers are JSON numbers (serde_json would write null)"
    ))
}
