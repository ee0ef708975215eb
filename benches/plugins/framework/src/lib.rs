//! The benchmark round trips written the way a plugin author would: one
//! `#[wasmer_plugin]` function per payload and codec, named
//! `{payload}_{codec}`, doing the payload's [`Work`]; and per codec two
//! byte echoes, one with the obvious signature and one with `serde_bytes`.

use wasmer_plugin::wasmer_plugin;
use wasmer_plugin_bench_payloads::{Blob, Catalog, FeatureCollection, Small, Tweets, Work};

macro_rules! round_trips {
    ($codec:literal: $($name:ident($payload:ty)),* $(,)?) => {
        $(
            #[wasmer_plugin(codec = $codec)]
            pub fn $name(payload: $payload) -> $payload {
                payload.work()
            }
        )*
    };
}

round_trips!("bincode":
    small_bincode(Small), tweets_bincode(Tweets), geometry_bincode(FeatureCollection),
    catalog_bincode(Catalog), blob_bincode(Blob),
);
round_trips!("msgpack":
    small_msgpack(Small), tweets_msgpack(Tweets), geometry_msgpack(FeatureCollection),
    catalog_msgpack(Catalog), blob_msgpack(Blob),
);
round_trips!("postcard":
    small_postcard(Small), tweets_postcard(Tweets), geometry_postcard(FeatureCollection),
    catalog_postcard(Catalog), blob_postcard(Blob),
);
round_trips!("json":
    small_json(Small), tweets_json(Tweets), geometry_json(FeatureCollection),
    catalog_json(Catalog), blob_json(Blob),
);

macro_rules! byte_echoes {
    ($($codec:literal: $obvious:ident, $serde_bytes:ident;)*) => {
        $(
            /// The obvious signature: borrowed bytes in, a `Vec<u8>` out
            /// (one copy in the plugin, as below).
            #[wasmer_plugin(codec = $codec)]
            pub fn $obvious(data: &[u8]) -> Vec<u8> {
                data.to_vec()
            }

            /// The same echo by an author who knows `serde_bytes` (decoding
            /// the `ByteBuf` is the plugin's one copy).
            #[wasmer_plugin(codec = $codec)]
            pub fn $serde_bytes(data: serde_bytes::ByteBuf) -> serde_bytes::ByteBuf {
                data
            }
        )*
    };
}

byte_echoes! {
    "bincode": echo_obvious_bincode, echo_serde_bytes_bincode;
    "msgpack": echo_obvious_msgpack, echo_serde_bytes_msgpack;
    "postcard": echo_obvious_postcard, echo_serde_bytes_postcard;
    "json": echo_obvious_json, echo_serde_bytes_json;
}

/// Does nothing: the framework's floor of a call, against a bare wasmer
/// call of an empty export.
#[wasmer_plugin]
pub fn empty() {}
