//! The shared test functions, built with the json codec.
wasmer_plugin_tests_common::plugin_functions!("json");

/// A GeoJSON polygon collection (canada.json's shape) there and back: its
/// coordinates are decoded and encoded again by the plugin's serde_json.
#[wasmer_plugin::wasmer_plugin(codec = "json")]
pub fn echo_geometry(
    collection: wasmer_plugin_bench_payloads::FeatureCollection,
) -> wasmer_plugin_bench_payloads::FeatureCollection {
    collection
}
