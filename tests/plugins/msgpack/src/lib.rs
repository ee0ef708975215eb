//! The shared test functions, built with the msgpack codec.
wasmer_plugin_tests_common::plugin_functions!("msgpack");
