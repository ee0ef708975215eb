//! The host-function test plugin, built with the postcard codec.
wasmer_plugin_tests_common::host_calls_plugin!("postcard");
