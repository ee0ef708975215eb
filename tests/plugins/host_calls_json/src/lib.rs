//! The host-function test plugin, built with the json codec.
wasmer_plugin_tests_common::host_calls_plugin!("json");
