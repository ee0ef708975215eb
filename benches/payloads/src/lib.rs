//! The payloads the benchmarks carry across the plugin boundary.
//!
//! Each has a typed model that also reads one of the classic JSON
//! benchmark documents (`twitter.json`, `citm_catalog.json`,
//! `canada.json`), a generator that builds a document of that shape
//! deterministically from a seed, and a small piece of [`Work`] that the
//! plugin (or the native lower bound) does between decoding and encoding.
#![forbid(unsafe_code)]

mod catalog;
mod geometry;
mod kernels;
mod rng;
mod small;
mod tweets;

pub use catalog::{Area, Catalog, Event, Performance, Price, SeatCategory};
pub use geometry::{Feature, FeatureCollection, Geometry, Properties};
pub use kernels::{KERNEL_INPUT_BYTES, brighten, count_newlines, kernel_input};
pub use rng::Rng;
pub use small::{Blob, Kind, Small};
pub use tweets::{
    Entities, Hashtag, Media, Mention, SearchMetadata, Status, StatusMetadata, Tweets, Url, User,
};

/// The seed every generated payload starts from.
pub const SEED: u64 = 0x5EED_2019;

/// The bit of work a plugin does with a decoded payload before encoding
/// it back: cheap, so that a round trip measures the crossing, and
/// visible in the result, so that it cannot be skipped.
pub trait Work {
    fn work(self) -> Self;
}
