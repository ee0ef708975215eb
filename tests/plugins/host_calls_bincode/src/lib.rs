//! The host-function test plugin, built with the bincode codec.
wasmer_plugin_tests_common::host_calls_plugin!("bincode");
