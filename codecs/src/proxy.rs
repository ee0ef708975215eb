//! A serializer that forwards everything to a format's own and lets a
//! [`Policy`] decide how the values inside the value are written: how
//! the codecs change what a format does to some values (byte buffers
//! written as bytes, floats JSON cannot carry refused) without a
//! serializer of their own. Policies are types without data, so after
//! monomorphization the proxy is the format's serializer plus the
//! policy's checks.

use core::fmt;
use core::marker::PhantomData;

use serde::ser::{
    Serialize, SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

/// How a [`Proxy`] writes what lies inside the value it serializes.
pub(crate) trait Policy {
    /// The policy for the elements of a compound other than a tuple (a
    /// sequence, a map, a struct, a tuple struct, a variant's fields); a
    /// tuple's elements keep this one.
    type Nested: Policy;

    /// Serializes `value`, an element, field, map key or map value of a
    /// compound this policy governs.
    fn element<T: Serialize + ?Sized, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error>;

    /// Serializes `value`, the content of an option, newtype struct or
    /// newtype variant this policy governs.
    fn content<T: Serialize + ?Sized, S: Serializer>(
        value: &T,
        serializer: S,
    ) -> Result<S::Ok, S::Error>;

    /// Writes an `f32`.
    #[inline]
    fn f32<S: Serializer>(value: f32, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f32(value)
    }

    /// Writes an `f64`.
    #[inline]
    fn f64<S: Serializer>(value: f64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(value)
    }
}

/// The format's serializer `S` (or one of its compounds), under policy `P`.
pub(crate) struct Proxy<S, P>(S, PhantomData<P>);

impl<S, P> Proxy<S, P> {
    #[inline]
    pub(crate) fn new(serializer: S) -> Self {
        Proxy(serializer, PhantomData)
    }
}

/// A value inside a compound (`CONTENT` false) or an option or newtype
/// (`CONTENT` true), written as `P` says.
struct Child<'a, T: ?Sized, P, const CONTENT: bool>(&'a T, PhantomData<P>);

impl<'a, T: ?Sized, P, const CONTENT: bool> Child<'a, T, P, CONTENT> {
    #[inline]
    fn new(value: &'a T) -> Self {
        Child(value, PhantomData)
    }
}

impl<T: Serialize + ?Sized, P: Policy, const CONTENT: bool> Serialize for Child<'_, T, P, CONTENT> {
    #[inline]
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if CONTENT {
            P::content(self.0, serializer)
        } else {
            P::element(self.0, serializer)
        }
    }
}

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        #[inline]
        fn $method(self, $($arg: $ty),*) -> Result<S::Ok, S::Error> {
            self.0.$method($($arg),*)
        }
    )*};
}

impl<S: Serializer, P: Policy> Serializer for Proxy<S, P> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Proxy<S::SerializeSeq, P::Nested>;
    type SerializeTuple = Proxy<S::SerializeTuple, P>;
    type SerializeTupleStruct = Proxy<S::SerializeTupleStruct, P::Nested>;
    type SerializeTupleVariant = Proxy<S::SerializeTupleVariant, P::Nested>;
    type SerializeMap = Proxy<S::SerializeMap, P::Nested>;
    type SerializeStruct = Proxy<S::SerializeStruct, P::Nested>;
    type SerializeStructVariant = Proxy<S::SerializeStructVariant, P::Nested>;

    forward! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_i128(v: i128);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_u128(v: u128);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_bytes(v: &[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    #[inline]
    fn serialize_f32(self, v: f32) -> Result<S::Ok, S::Error> {
        P::f32(v, self.0)
    }

    #[inline]
    fn serialize_f64(self, v: f64) -> Result<S::Ok, S::Error> {
        P::f64(v, self.0)
    }

    #[inline]
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.0.serialize_some(&Child::<T, P, true>::new(value))
    }

    #[inline]
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0
            .serialize_newtype_struct(name, &Child::<T, P, true>::new(value))
    }

    #[inline]
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0
            .serialize_newtype_variant(name, index, variant, &Child::<T, P, true>::new(value))
    }

    #[inline]
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        self.0.serialize_seq(len).map(Proxy::new)
    }

    #[inline]
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        self.0.serialize_tuple(len).map(Proxy::new)
    }

    #[inline]
    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        self.0.serialize_tuple_struct(name, len).map(Proxy::new)
    }

    #[inline]
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        self.0
            .serialize_tuple_variant(name, index, variant, len)
            .map(Proxy::new)
    }

    #[inline]
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        self.0.serialize_map(len).map(Proxy::new)
    }

    #[inline]
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        self.0.serialize_struct(name, len).map(Proxy::new)
    }

    #[inline]
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        self.0
            .serialize_struct_variant(name, index, variant, len)
            .map(Proxy::new)
    }

    #[inline]
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.0.collect_str(value)
    }

    #[inline]
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

/// The element methods of the compound serializers: each value goes
/// through the policy's [`element`](Policy::element).
macro_rules! compound {
    ($trait:ident { $($method:ident($($key:ident: $key_ty:ty),*);)* }) => {
        impl<S: $trait, P: Policy> $trait for Proxy<S, P> {
            type Ok = S::Ok;
            type Error = S::Error;
            $(
                #[inline]
                fn $method<T: Serialize + ?Sized>(
                    &mut self,
                    $($key: $key_ty,)*
                    value: &T,
                ) -> Result<(), S::Error> {
                    self.0.$method($($key,)* &Child::<T, P, false>::new(value))
                }
            )*
            #[inline]
            fn end(self) -> Result<S::Ok, S::Error> {
                self.0.end()
            }
        }
    };
}

compound!(SerializeSeq { serialize_element(); });
compound!(SerializeTuple { serialize_element(); });
compound!(SerializeTupleStruct { serialize_field(); });
compound!(SerializeTupleVariant { serialize_field(); });
compound!(SerializeStruct { serialize_field(key: &'static str); });
compound!(SerializeStructVariant { serialize_field(key: &'static str); });

impl<S: SerializeMap, P: Policy> SerializeMap for Proxy<S, P> {
    type Ok = S::Ok;
    type Error = S::Error;

    #[inline]
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), S::Error> {
        self.0.serialize_key(&Child::<T, P, false>::new(key))
    }

    #[inline]
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), S::Error> {
        self.0.serialize_value(&Child::<T, P, false>::new(value))
    }

    #[inline]
    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), S::Error> {
        self.0.serialize_entry(
            &Child::<K, P, false>::new(key),
            &Child::<V, P, false>::new(value),
        )
    }

    #[inline]
    fn end(self) -> Result<S::Ok, S::Error> {
        self.0.end()
    }
}
