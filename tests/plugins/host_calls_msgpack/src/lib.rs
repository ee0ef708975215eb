//! The host-function test plugin, built with the msgpack codec.
wasmer_plugin_tests_common::host_calls_plugin!("msgpack");
