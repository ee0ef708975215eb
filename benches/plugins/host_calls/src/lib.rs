//! Host-function calls written the way a plugin author would: per codec, a
//! plugin function `relay_{codec}` that hands its small struct to host
//! function `transform_{codec}` and returns the reply; and `ping_host`,
//! which calls an empty host function as often as asked.

use wasmer_plugin::{host_functions, wasmer_plugin};
use wasmer_plugin_bench_payloads::Small;

macro_rules! relays {
    ($($codec:literal: $relay:ident, $transform:ident;)*) => {
        $(
            #[host_functions(codec = $codec)]
            extern "C" {
                fn $transform(value: &Small) -> Small;
            }

            #[wasmer_plugin(codec = $codec)]
            pub fn $relay(value: Small) -> Small {
                $transform(&value)
            }
        )*
    };
}

relays! {
    "bincode": relay_bincode, transform_bincode;
    "msgpack": relay_msgpack, transform_msgpack;
    "postcard": relay_postcard, transform_postcard;
    "json": relay_json, transform_json;
}

#[host_functions]
extern "C" {
    fn ping();
}

/// `times` empty host-function calls.
#[wasmer_plugin]
pub fn ping_host(times: u32) {
    for _ in 0..times {
        ping();
    }
}
